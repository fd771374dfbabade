/* phr_record_seal_key_check (phr/seal_check.h): the holder key a follow-up
 * is to be sealed under, checked against the record's sealed entries
 * through the public seal API. */
#include "phr/seal_check.h"

#include <sodium.h>
#include <stdlib.h>

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
	if (st == PHR_SEAL_KEY_REPLACED) {
		*at = rekeyed_at;
		return phr_fail(PHR_E_REKEYED,
				"holder key %02x%02x%02x%02x was replaced at entry %zu (re-keyed to %02x%02x%02x%02x): the holder's new key slip is needed",
				kid[0], kid[1], kid[2], kid[3], rekeyed_at, newest[0], newest[1], newest[2], newest[3]);
	}
	*at = newest_at;
	if (st == PHR_SEAL_KEY_OTHER)
		return phr_fail(PHR_E_SEAL_KEY,
				"holder key %02x%02x%02x%02x is not this record's holder key: entry %zu is sealed under key %02x%02x%02x%02x",
				kid[0], kid[1], kid[2], kid[3], newest_at, newest[0], newest[1], newest[2], newest[3]);
	/* the newest sealed entry names the key: it must also open with it */
	const struct phr_entry *e = &r->entries[newest_at];
	rc = phr_seal_open(key, r->id, newest_at, e->sealed, e->sealed_len, &plain, &plain_len);
	if (plain) {
		sodium_memzero(plain, plain_len);
		free(plain);
	}
	if (rc)
		return phr_fail_wrap(rc, "holder key %02x%02x%02x%02x: entry %zu, the newest sealed entry, does not open with it",
				     kid[0], kid[1], kid[2], kid[3], newest_at);
	return PHR_OK;
}
