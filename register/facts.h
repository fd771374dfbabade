/* phr — what a health-status report counts of one record (register/facts.c).
 *
 * When the register stores a version of a record, it turns the version's
 * verified entry contents into a compact "facts" blob (who the person is,
 * for grouping, and what was found at each visit, for counting) and keeps it
 * beside the version with the first and last visit day. Reports then read
 * only these blobs, never the records, so a year's report over a million
 * persons decodes no CBOR and verifies no signature.
 *
 * The blob's encoding is private to register/ (it can change with a schema
 * migration that recomputes it from the stored containers); it starts with
 * a version byte.
 */
#ifndef PHR_REGISTER_FACTS_H
#define PHR_REGISTER_FACTS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define PHR_FACTS_MAX 4096 /* largest facts blob, bytes */

/* Facts of a record version from its entries' contents (JSON as
 * phr_entry_decode_json gives them, entry 0 first) and the clinic that
 * signed each entry (from its verification report; "" if unknown).
 * Writes the blob to out[0..cap), its length to *len, and the first and
 * last visit day (days since 1900-01-01, as phr_days_from_civil) of the entries. */
int phr_facts_from_entries(const json_t *const *contents, const char *const *clinics, size_t n,
			   uint8_t *out, size_t cap, size_t *len, int64_t *first_day, int64_t *last_day);

#endif
