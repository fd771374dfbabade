/* Verification policy: who signed each entry and whether to believe it. */
#include "phr/verify.h"

#include <stdio.h>
#include <string.h>

const char *phr_status_name(int s)
{
	static const char *const names[PHR_ST_COUNT] = { "valid", "bad_signature", "unknown_signer", "revoked",
		"cert_not_valid", "chain_broken", "malformed", "signature_only", "signed_in_future" };
	return (s >= 0 && s < PHR_ST_COUNT) ? names[s] : "unknown";
}

const char *phr_warning_name(unsigned w)
{
	return w == PHR_WARN_SIGNED_BEFORE_PREVIOUS ? "signed_before_previous" : NULL;
}

static const int status_err[PHR_ST_COUNT] = { PHR_OK, PHR_E_BAD_SIGNATURE, PHR_E_UNKNOWN_SIGNER, PHR_E_REVOKED,
	PHR_E_CERT_VALIDITY, PHR_E_CHAIN, PHR_E_MALFORMED, PHR_E_UNTRUSTED, PHR_E_FUTURE };

int phr_report_error(const struct phr_report *rep)
{
	/* A failure outranks "signers not checked": an entry that is valid but
	 * unchecked must not hide a later one that is broken. */
	int unchecked = 0;
	for (size_t i = 0; i < rep->n + rep->n_side; i++) {
		int st = i < rep->n ? rep->entries[i].status : rep->side[i - rep->n].status;
		if (st == PHR_ST_SIGNATURE_ONLY)
			unchecked = 1;
		else if (st != PHR_ST_VALID)
			return status_err[st];
	}
	if (unchecked)
		return status_err[PHR_ST_SIGNATURE_ONLY];
	return rep->n ? PHR_OK : PHR_E_MALFORMED;
}

/* The detail text, with its one "%s" replaced by arg (texts are literals here). */
static void set(struct phr_entry_report *e, int status, const char *text, const char *arg)
{
	e->status = status;
	const char *mark = strstr(text, "%s");
	if (mark)
		snprintf(e->detail, sizeof(e->detail), "%.*s%s%s", (int)(mark - text), text, arg ? arg : "", mark + 2);
	else
		snprintf(e->detail, sizeof(e->detail), "%s", text);
}

/* The embedded certificates of one record, each parsed and checked against
 * the trust bundle at most once per verification however many entries its
 * clinic signed. Parsing costs about one signature check (the subject key's
 * subgroup check), so it is worth doing once. */
enum { CERT_UNSEEN, CERT_BAD, CERT_PARSED, CERT_TRUSTED, CERT_UNTRUSTED };
struct cert_cache {
	struct phr_cert c[PHR_MAX_EMBEDDED_CERTS];
	unsigned char state[PHR_MAX_EMBEDDED_CERTS];
};

/* Finds the signer's certificate: the bundle's when it certifies the kid;
 * else an embedded one (verified under an authority the bundle lists, or
 * any embedded one when there is no bundle). Returns 1 and fills *cert if
 * found. */
static int find_cert(const struct phr_record *r, const struct phr_trust *trust, struct cert_cache *cc,
		     const uint8_t kid[PHR_KID_LEN], uint64_t signed_at, struct phr_cert *cert, bool *embedded,
		     int *untrusted_embedded)
{
	const struct phr_cert *known = trust ? phr_trust_cert(trust, kid) : NULL;
	*untrusted_embedded = 0;
	/* The bundle wins: when it certifies the kid, that certificate is the
	 * one used, whatever the container embeds for it, so that a newer
	 * bundle can shorten a clinic's validity (docs/FORMAT.md,
	 * Verification 2). embedded only says whether the record carries the
	 * same bytes. */
	if (known) {
		*cert = *known;
		*embedded = false;
		for (size_t i = 0; i < r->n_certs && !*embedded; i++)
			*embedded = known->raw_len == r->cert_lens[i] &&
				    memcmp(known->raw, r->certs[i], known->raw_len) == 0;
		return 1;
	}
	int found = 0;
	for (size_t i = 0; i < r->n_certs; i++) {
		struct phr_cert *c = &cc->c[i];
		if (cc->state[i] == CERT_UNSEEN)
			cc->state[i] = phr_cert_parse(r->certs[i], r->cert_lens[i], c) == PHR_OK ? CERT_PARSED : CERT_BAD;
		if (cc->state[i] == CERT_BAD || memcmp(c->subject.kid, kid, PHR_KID_LEN) != 0)
			continue;
		if (trust && cc->state[i] == CERT_PARSED) {
			const struct phr_pubkey *auth = phr_trust_authority(trust, c->issuer_kid);
			cc->state[i] = auth && phr_cert_verify(c, auth->pk) == PHR_OK ? CERT_TRUSTED : CERT_UNTRUSTED;
		}
		if (cc->state[i] == CERT_UNTRUSTED) {
			*untrusted_embedded = 1;
			continue;
		}
		/* A clinic whose certificate was renewed has several for one
		 * key: the one valid when the entry was signed, else the first. */
		if (!found) {
			*cert = *c;
			found = 1;
		}
		if (phr_cert_check_time(c, signed_at) == PHR_OK) {
			*cert = *c;
			break;
		}
	}
	*embedded = found;
	return found;
}

/* Checks one entry: en at position pos (its expected index), with external
 * AAD aad, after prev (NULL for the first), prefix_ok when every entry
 * before it verified. main: r's main chain (reordered entries are
 * diagnosed there). */
static void check_entry(const struct phr_record *r, const struct phr_trust *trust, uint64_t now, struct cert_cache *cc,
			const struct phr_entry *en, const struct phr_entry *prev, size_t pos, const uint8_t *aad_in,
			bool prefix_ok, bool main, struct phr_entry_report *e)
{
	struct phr_cert cert;
	int untrusted = 0;
	uint8_t aad[PHR_ENTRY_AAD_LEN];

	if (en->content_err) {
		/* what is wrong and where: "plan.notes: U+001B (escape, ...) at byte 5 ..." */
		set(e, PHR_ST_MALFORMED, *en->content_why ? "entry cannot be read: %s" : "entry cannot be read",
		    en->content_why);
		return;
	}
	memcpy(e->kid, en->cose.kid, PHR_KID_LEN);
	e->signed_at = en->signed_at;
	/* Clinics' clocks differ: out of order is worth a look, not a failure. */
	if (prev && !prev->content_err && en->signed_at < prev->signed_at)
		e->warnings |= PHR_WARN_SIGNED_BEFORE_PREVIOUS;
	if (!find_cert(r, trust, cc, en->cose.kid, en->signed_at, &cert, &e->cert_embedded, &untrusted)) {
		char hex[PHR_KID_HEX_LEN];
		phr_kid_to_hex(en->cose.kid, hex);
		set(e, PHR_ST_UNKNOWN_SIGNER,
		    untrusted ? "certificate of signer %s is not from a trusted authority" : "no certificate for signer %s",
		    hex);
		return;
	}
	e->have_signer = true;
	snprintf(e->clinic, sizeof(e->clinic), "%s", cert.subject.name);
	memcpy(e->country, cert.subject.country, sizeof(e->country));
	/* An authority certifies; it never signs entries, even with a
	 * certificate that names its key as a clinic's. */
	const struct phr_pubkey *as_auth = trust ? phr_trust_authority(trust, en->cose.kid) : NULL;
	if (as_auth && memcmp(as_auth->pk, cert.subject.pk, PHR_PK_LEN) == 0) {
		set(e, PHR_ST_UNKNOWN_SIGNER,
		    "the signer is the authority \"%s\" of the trust bundle: an authority key does not sign entries",
		    as_auth->name);
		return;
	}
	if (trust && (phr_trust_revoked(trust, en->cose.kid) || phr_trust_revoked(trust, cert.issuer_kid))) {
		set(e, PHR_ST_REVOKED, "%s", phr_trust_revoked(trust, en->cose.kid)
						     ? "the signer's key is revoked"
						     : "the authority that certified the signer is revoked");
		return;
	}
	if (now && en->signed_at > now && en->signed_at - now > PHR_CLOCK_TOLERANCE) {
		uint64_t ahead = en->signed_at - now;
		e->status = PHR_ST_FUTURE;
		snprintf(e->detail, sizeof(e->detail),
			 "signed %llu d %llu h after the verifier's clock, more than the %u h tolerance",
			 (unsigned long long)(ahead / 86400), (unsigned long long)(ahead % 86400 / 3600),
			 PHR_CLOCK_TOLERANCE / 3600);
		return;
	}
	if (phr_cert_check_time(&cert, en->signed_at) != PHR_OK) {
		set(e, PHR_ST_CERT_VALIDITY, "signed outside the certificate's validity period", NULL);
		return;
	}
	if (phr_cose_verify(&en->cose, cert.subject.pk, aad_in, PHR_ENTRY_AAD_LEN) != PHR_OK) {
		/* Diagnose: is it a genuine entry in the wrong place? */
		int found = -1;
		for (size_t j = 0; main && j < r->n_entries && found < 0; j++) {
			if (j == pos)
				continue;
			phr_record_entry_aad(r, j, aad);
			if (phr_cose_verify(&en->cose, cert.subject.pk, aad, sizeof(aad)) == PHR_OK)
				found = (int)j;
		}
		if (found >= 0) {
			char p[48];
			snprintf(p, sizeof(p), "%d", found);
			set(e, PHR_ST_CHAIN_BROKEN, "entries reordered: this entry was signed for position %s", p);
		} else if (en->index != pos) {
			char p[48];
			snprintf(p, sizeof(p), "%llu", (unsigned long long)en->index);
			set(e, PHR_ST_CHAIN_BROKEN, "entry signed as number %s stands here: an entry before it is missing", p);
		} else if (!prefix_ok) {
			set(e, PHR_ST_CHAIN_BROKEN, "follows an entry that failed verification", NULL);
		} else {
			set(e, PHR_ST_BAD_SIGNATURE,
			    "signature does not verify for this record at this place (content altered, or entry taken from another record)",
			    NULL);
		}
		return;
	}
	if (en->index != pos) {
		set(e, PHR_ST_CHAIN_BROKEN, "entry index does not match its position", NULL);
		return;
	}
	if (!prefix_ok) {
		set(e, PHR_ST_CHAIN_BROKEN, "follows an entry that failed verification", NULL);
		return;
	}
	if (trust)
		set(e, PHR_ST_VALID, "signature, certificate and chain verified", NULL);
	else
		set(e, PHR_ST_SIGNATURE_ONLY, "signature and chain verified; signer not checked (no trust bundle)", NULL);
}

static bool good(const struct phr_entry_report *e)
{
	return e->status == PHR_ST_VALID || e->status == PHR_ST_SIGNATURE_ONLY;
}

int phr_verify_record(const struct phr_record *r, const struct phr_trust *trust, uint64_t now,
		      struct phr_report *out)
{
	memset(out, 0, sizeof(*out));
	out->n = r->n_entries;
	out->n_side = r->n_side;
	out->merge_at = -1;
	out->trust_checked = trust != NULL;
	out->all_valid = r->n_entries > 0;
	bool prefix_ok = true;
	struct cert_cache cc;
	memset(cc.state, CERT_UNSEEN, sizeof(cc.state));
	/* the side branch's fork point: the index its first entry was signed
	 * with (checked against the merge entry's reference below) */
	size_t fork = r->n_side && !r->side[0].content_err ? (size_t)r->side[0].index : 0;
	bool side_ok = false; /* every side entry verified */
	for (size_t i = 0; i < r->n_entries; i++) {
		const struct phr_entry *en = &r->entries[i];
		struct phr_entry_report *e = &out->entries[i];
		uint8_t aad[PHR_ENTRY_AAD_LEN];
		if (r->n_side && i == fork && fork > 0 && fork < r->n_entries) {
			/* the main chain's prefix ends here: walk the side branch */
			bool ok = prefix_ok;
			for (size_t j = 0; j < r->n_side; j++) {
				phr_record_side_aad(r, j, aad);
				check_entry(r, trust, now, &cc, &r->side[j], j ? &r->side[j - 1] : &r->entries[fork - 1],
					    fork + j, aad, ok, false, &out->side[j]);
				ok = ok && good(&out->side[j]);
			}
			side_ok = ok;
		}
		phr_record_entry_aad(r, i, aad);
		check_entry(r, trust, now, &cc, en, i ? &r->entries[i - 1] : NULL, i, aad, prefix_ok, true, e);
		if (!en->content_err && en->merge && out->merge_at < 0 && !good(e))
			out->merge_at = (int)i; /* the merge entry, failed: its branch B fails with it */
		if (good(e) && !en->content_err && en->merge) {
			if (out->merge_at >= 0) {
				e->status = PHR_ST_CHAIN_BROKEN;
				snprintf(e->detail, sizeof(e->detail),
					 "a second merge entry: a record joins two branches once (first merge at entry %d)",
					 out->merge_at);
			} else if (!r->n_side || en->merge_fork != fork ||
				   memcmp(en->merge_head, r->side[r->n_side - 1].hash, PHR_HASH_LEN) != 0) {
				set(e, PHR_ST_CHAIN_BROKEN,
				    r->n_side ? "merge entry's second parent does not match the side branch the record carries (entries of the other branch missing, altered or added)"
					      : "merge entry names a second branch, and the record carries no side branch",
				    NULL);
			} else if (!side_ok) {
				set(e, PHR_ST_CHAIN_BROKEN, "joins a side branch with an entry that failed verification",
				    NULL);
			}
			if (out->merge_at < 0)
				out->merge_at = (int)i;
		}
		if (!good(e))
			prefix_ok = false;
		if (e->status != PHR_ST_VALID)
			out->all_valid = false;
	}
	if (r->n_side) {
		const char *why = NULL;
		if (fork == 0 || fork >= r->n_entries)
			why = "side branch does not start after an entry of the main chain";
		else if (out->merge_at < 0)
			why = "side branch joined by no merge entry";
		else if (r->entries[out->merge_at].merge_fork != fork ||
			 memcmp(r->entries[out->merge_at].merge_head, r->side[r->n_side - 1].hash, PHR_HASH_LEN) != 0)
			why = "side branch is not the one the merge entry names";
		for (size_t j = 0; j < r->n_side; j++) {
			struct phr_entry_report *e = &out->side[j];
			if (r->side[j].content_err && e->status != PHR_ST_MALFORMED)
				set(e, PHR_ST_MALFORMED, *r->side[j].content_why ? "entry cannot be read: %s" : "entry cannot be read",
				    r->side[j].content_why);
			else if (why && good(e))
				set(e, PHR_ST_CHAIN_BROKEN, why, NULL);
			if (e->status != PHR_ST_VALID)
				out->all_valid = false;
		}
	}
	return PHR_OK;
}
