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
	size_t newest_at = 0, rekeyed_at = 0, where;
	if (!at)
		at = &where;
	*at = 0;
	int st = phr_record_seal_key_state(r, key, &newest_at, &rekeyed_at);
	if (st == PHR_SEAL_KEY_NONE || st == PHR_SEAL_KEY_NEWEST)
		return PHR_OK;
	if (st == PHR_SEAL_KEY_REPLACED) {
		*at = rekeyed_at;
		return phr_fail(PHR_E_REKEYED,
				"the holder key given was replaced at entry %zu (the record was re-keyed there): it opens only entries before it; the holder's new key slip is needed (or the clinic that signed entry %zu sealed it under another key)",
				rekeyed_at, rekeyed_at);
	}
	*at = newest_at;
	return phr_fail(PHR_E_SEAL_KEY,
			"the holder key given is not this record's holder key: it does not open this record's sealed entries (entry %zu)",
			newest_at);
}
