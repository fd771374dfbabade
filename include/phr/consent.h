/* The consent that governs a record (docs/PRIVACY.md, "Consent"): one
 * reading of the entries' `consent` objects for the register (storing) and
 * the hub (storing, sharing, emergency access).
 *
 * On one chain, from the newest entry back, the first verified entry whose
 * consent has a boolean `store` decides; a `store: false` met on the way
 * decides too, verified or not (refusing is always safe), an unverified
 * `store: true` never. A merged record: a consent so found on the main
 * chain from the merge entry on governs; otherwise the stricter of the two
 * branches' (each walked back through the shared entries before the fork
 * point): stored only if neither refuses, shared only with the countries
 * both share with, emergency access only if both allow it. */
#ifndef PHR_CONSENT_H
#define PHR_CONSENT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define PHR_CONSENT_MAX_SHARE 32 /* share_with countries kept (the schema's limit) */

struct phr_record;
struct phr_report;

struct phr_consent {
	bool any;               /* a consent decides (false: none given, or one branch of a merge gave none) */
	bool store;
	size_t n_share;
	char share_with[PHR_CONSENT_MAX_SHARE][3];
	bool emergency_access;
	size_t entry;           /* the entry that decided (a refusal: the refusing one), its signed index */
	bool side;              /* that entry is on the side branch (branch B) */
};

/* Fills *out from r as verified in rep. contents (r->n_entries) and
 * side_contents (r->n_side) are the entries' decoded content when the
 * caller has it (NULL items: no content); either may be NULL, then the
 * entries are decoded here. */
int phr_consent_of(const struct phr_record *r, const struct phr_report *rep, json_t *const *contents,
		   json_t *const *side_contents, struct phr_consent *out);

/* Whether c shares the record with clinics of country (ISO 3166 alpha-2). */
bool phr_consent_shares(const struct phr_consent *c, const char *country);

#endif
