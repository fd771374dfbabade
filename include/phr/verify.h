/* phr — verification policy and report (verifier/).
 *
 * Every entry gets one status. An entry is VALID only when:
 *   - its COSE_Sign1 and payload parse,
 *   - its signer's certificate is found (embedded in the container or in the
 *     trust bundle) and was signed by an authority listed in the bundle,
 *   - neither the signer's kid nor the issuing authority's kid is revoked,
 *   - the certificate was valid at the entry's signing time,
 *   - the signature verifies with external AAD "phr/entry" || record id ||
 *     hash of the entry before it (zeros for entry 0),
 *   - the index the signer wrote equals its position, and every entry before
 *     it is VALID (a chain is only as good as its prefix).
 * Without a trust bundle the signature and chain are still checked with the
 * embedded certificate's key, and the status is SIGNATURE_ONLY at best.
 */
#ifndef PHR_VERIFY_H
#define PHR_VERIFY_H

#include <stdbool.h>
#include <stdint.h>

#include "phr/container.h"
#include "phr/crypto.h"

enum phr_status {
	PHR_ST_VALID = 0,
	PHR_ST_BAD_SIGNATURE,    /* signature does not verify for this record and place */
	PHR_ST_UNKNOWN_SIGNER,   /* no certificate from a trusted authority for the kid */
	PHR_ST_REVOKED,          /* signer or its authority is revoked */
	PHR_ST_CERT_VALIDITY,    /* certificate not valid when the entry was signed */
	PHR_ST_CHAIN_BROKEN,     /* reordered, an entry missing before it, or follows a failed entry */
	PHR_ST_MALFORMED,        /* the entry cannot be parsed */
	PHR_ST_SIGNATURE_ONLY,   /* signature and chain good, no trust bundle given */
	PHR_ST_COUNT,
};

/* Stable machine name: "valid", "bad_signature", "unknown_signer", "revoked",
 * "cert_not_valid", "chain_broken", "malformed", "signature_only". */
const char *phr_status_name(int status);

struct phr_entry_report {
	int status;
	char detail[200];               /* why, in English, one line */
	uint8_t kid[PHR_KID_LEN];       /* signer kid (zeros if unparsable) */
	bool have_signer;               /* clinic/country known (from a certificate) */
	char clinic[PHR_MAX_NAME + 1];
	char country[3];
	bool cert_embedded;             /* certificate came from the container */
	uint64_t signed_at;
};

struct phr_report {
	size_t n;
	struct phr_entry_report entries[PHR_MAX_ENTRIES];
	bool all_valid;                 /* every entry PHR_ST_VALID */
	bool trust_checked;             /* a trust bundle was given */
};

/* Verifies every entry of r against trust (NULL: signatures and chain only).
 * Never fails on bad content: the report says what is wrong, entry by entry.
 * Returns PHR_OK. */
int phr_verify_record(const struct phr_record *r, const struct phr_trust *trust, struct phr_report *out);

/* Exit-code-like summary: PHR_OK if all valid, else the error of the first
 * failing entry (PHR_E_BAD_SIGNATURE, PHR_E_UNKNOWN_SIGNER, ...); only when
 * no entry fails, the error of PHR_ST_SIGNATURE_ONLY (signers not checked). */
int phr_report_error(const struct phr_report *rep);

#endif
