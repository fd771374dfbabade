/* phr_record_seal_key_check (phr/seal_check.h): the holder key a follow-up
 * is to be sealed under, checked against the record's sealed entries
 * through the public seal API. */
#include "phr/seal_check.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "phr/container.h"

int phr_record_seal_key_check(const struct phr_record *r, const uint8_t key[PHR_HOLDER_KEY_LEN], size_t *at)
{
	uint8_t kid[PHR_SEAL_KID_LEN], newest[PHR_SEAL_KID_LEN];
	size_t newest_at = 0, rekeyed_at = 0, where;
	uint8_t *plain = NULL;
	size_t plain_len = 0;
	int rc;
	if (!at)
		at = &where;
	*at = 0;
	phr_holder_key_id(key, kid);
	int st = phr_record_seal_key_state(r, kid, newest, &newest_at, &rekeyed_at);
	if (st == PHR_SEAL_KEY_NONE)
		return PHR_OK;
	/* the newest key id as the newest sealed entry holds it (v3: 2 bytes) */
	struct phr_seal_envelope env;
	char nt[PHR_SEAL_KID_TEXT_LEN];
	if (phr_seal_envelope_parse(r->entries[newest_at].sealed, r->entries[newest_at].sealed_len, &env) != PHR_OK) {
		phr_clear_error();
		memset(&env, 0, sizeof(env));
		memcpy(env.kid, newest, PHR_SEAL_KID_LEN);
	}
	phr_seal_kid_format(&env, nt);
	if (st == PHR_SEAL_KEY_REPLACED) {
		*at = rekeyed_at;
		return phr_fail(PHR_E_REKEYED,
				"holder key %02x%02x%02x%02x was replaced at entry %zu (re-keyed to %s): the holder's new key slip is needed",
				kid[0], kid[1], kid[2], kid[3], rekeyed_at, nt);
	}
	*at = newest_at;
	if (st == PHR_SEAL_KEY_OTHER)
		return phr_fail(PHR_E_SEAL_KEY,
				"holder key %02x%02x%02x%02x is not this record's holder key: entry %zu is sealed under key %s",
				kid[0], kid[1], kid[2], kid[3], newest_at, nt);
	/* the newest sealed entry names the key: it must also open with it */
	const struct phr_entry *e = &r->entries[newest_at];
	rc = phr_seal_open_entry(key, r->id, newest_at, e->clear, e->clear_len, e->sealed, e->sealed_len, &plain,
				 &plain_len);
	if (plain) {
		sodium_memzero(plain, plain_len);
		free(plain);
	}
	if (rc)
		return phr_fail_wrap(rc, "holder key %02x%02x%02x%02x: entry %zu, the newest sealed entry, does not open with it",
				     kid[0], kid[1], kid[2], kid[3], newest_at);
	return PHR_OK;
}
