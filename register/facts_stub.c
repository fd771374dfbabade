/* A stand-in for facts.c, ONLY so that the register builds and its tests
 * run before the report facts are merged: an empty one-byte blob, and the
 * first and last day from the entries' "date". Replaced by facts.c. */
#include "facts.h"

#include <stdio.h>

#include "phr/error.h"
#include "phr/json.h"

int phr_facts_from_entries(const json_t *const *contents, const char *const *clinics, size_t n, uint8_t *out,
			   size_t cap, size_t *len, int64_t *first_day, int64_t *last_day)
{
	(void)clinics;
	if (cap < 1)
		return phr_fail(PHR_E_BUFFER, "facts: no room");
	out[0] = 0;
	*len = 1;
	*first_day = INT64_MAX;
	*last_day = INT64_MIN;
	for (size_t i = 0; i < n; i++) {
		int y, m, d;
		const char *s = json_string_value(json_object_get(contents[i], "date"));
		if (!s || sscanf(s, "%4d-%2d-%2d", &y, &m, &d) != 3)
			continue;
		int64_t day = phr_days_from_civil(y, m, d);
		if (day < *first_day)
			*first_day = day;
		if (day > *last_day)
			*last_day = day;
	}
	if (*first_day > *last_day)
		*first_day = *last_day = 0;
	return PHR_OK;
}
