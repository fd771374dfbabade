/* phr — verification policy and report (verifier/).
 *
 * Every entry gets one status. An entry is VALID only when:
 *   - its COSE_Sign1 and payload parse,
 *   - its signer's certificate is found (embedded in the container or in the
 *     trust bundle) and was signed by an authority listed in the bundle,
 *   - neither the signer's kid nor the issuing authority's kid is revoked,
 *   - its signer is not a key the trust bundle lists as an authority (an
 *     authority key never signs entries, whatever certificate names it),
 *   - its signing time is not after the verifier's clock by more than
 *     PHR_CLOCK_TOLERANCE (when a clock is given),
 *   - the certificate was valid at the entry's signing time,
 *   - the signature verifies with external AAD "phr/entry" || record id ||
 *     hash of the entry before it (zeros for entry 0),
 *   - the index the signer wrote equals its position, and every entry before
 *     it is VALID (a chain is only as good as its prefix).
 * In a merged record, side-branch entry j is checked the same way with its
 * own predecessor (side entry j-1, or main entry fork-1) and index fork+j;
 * it is VALID only when the main entries before the fork are, and the merge
 * entry's second parent (payload key 5) names exactly the side branch's
 * fork point and head. A merge entry whose reference does not match, or a
 * side branch without a merge entry, is CHAIN_BROKEN.
 * Without a trust bundle the signature and chain are still checked with the
 * embedded certificate's key, and the status is SIGNATURE_ONLY at best.
 *
 * An entry signed before the entry in front of it is not invalid (clinics'
 * clocks differ, and an honest wrong clock must not void a record): it is
 * flagged with the warning PHR_WARN_SIGNED_BEFORE_PREVIOUS.
 */
#ifndef PHR_VERIFY_H
#define PHR_VERIFY_H

#include <stdbool.h>
#include <stdint.h>

#include "phr/container.h"
#include "phr/crypto.h"

/* How far an entry's signing time may lie after the verifier's clock
 * before the entry is SIGNED_IN_FUTURE: clocks drift, and a clinic and a
 * verifier a day apart in time zones must still agree. Seconds. */
#define PHR_CLOCK_TOLERANCE (24u * 60u * 60u)

enum phr_status {
	PHR_ST_VALID = 0,
	PHR_ST_BAD_SIGNATURE,    /* signature does not verify for this record and place */
	PHR_ST_UNKNOWN_SIGNER,   /* no certificate from a trusted authority for the kid */
	PHR_ST_REVOKED,          /* signer or its authority is revoked */
	PHR_ST_CERT_VALIDITY,    /* certificate not valid when the entry was signed */
	PHR_ST_CHAIN_BROKEN,     /* reordered, an entry missing before it, or follows a failed entry */
	PHR_ST_MALFORMED,        /* the entry cannot be parsed */
	PHR_ST_SIGNATURE_ONLY,   /* signature and chain good, no trust bundle given */
	PHR_ST_FUTURE,           /* signed after the verifier's clock + PHR_CLOCK_TOLERANCE */
	PHR_ST_COUNT,
};

/* Stable machine name: "valid", "bad_signature", "unknown_signer", "revoked",
 * "cert_not_valid", "chain_broken", "malformed", "signature_only",
 * "signed_in_future". */
const char *phr_status_name(int status);

/* Warnings: flags beside the status, which they do not change. */
enum phr_warning {
	PHR_WARN_SIGNED_BEFORE_PREVIOUS = 1 << 0, /* signed_at < the previous entry's */
};
#define PHR_WARN_COUNT 1
/* Stable machine name of one warning bit: "signed_before_previous"; NULL
 * for anything else. */
const char *phr_warning_name(unsigned warning);

struct phr_entry_report {
	int status;
	char detail[200];               /* why, in English, one line */
	uint8_t kid[PHR_KID_LEN];       /* signer kid (zeros if unparsable) */
	bool have_signer;               /* clinic/country known (from a certificate) */
	char clinic[PHR_MAX_NAME + 1];
	char country[3];
	bool cert_embedded;             /* certificate came from the container */
	uint64_t signed_at;
	unsigned warnings;              /* enum phr_warning bits */
};

struct phr_report {
	size_t n;
	struct phr_entry_report entries[PHR_MAX_ENTRIES];
	bool all_valid;                 /* every entry PHR_ST_VALID */
	bool trust_checked;             /* a trust bundle was given */
	/* merged records (docs/FORMAT.md, "Merged records") */
	int merge_at;                   /* index of the merge entry, -1 if none */
	size_t n_side;                  /* side-branch entries, each with a status as above */
	struct phr_entry_report side[PHR_MAX_SIDE_ENTRIES];
};

/* Verifies every entry of r against trust (NULL: signatures and chain only)
 * at the verifier's clock now (Unix seconds; 0: no clock, signing times are
 * not compared with it). Never fails on bad content: the report says what
 * is wrong, entry by entry. Returns PHR_OK. */
int phr_verify_record(const struct phr_record *r, const struct phr_trust *trust, uint64_t now,
		      struct phr_report *out);

/* Exit-code-like summary: PHR_OK if all valid, else the error of the first
 * failing entry (PHR_E_BAD_SIGNATURE, PHR_E_UNKNOWN_SIGNER, ...); only when
 * no entry fails, the error of PHR_ST_SIGNATURE_ONLY (signers not checked). */
int phr_report_error(const struct phr_report *rep);

#endif
