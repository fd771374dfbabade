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

#include "phr/error.h"

#define PHR_FACTS_MAX 4096 /* largest facts blob, bytes */

/* Facts of a record version from its entries' contents (JSON as
 * phr_entry_decode_json gives them, entry 0 first) and the clinic that
 * signed each entry (from its verification report; "" if unknown).
 * Writes the blob to out[0..cap), its length to *len, and the first and
 * last visit day (days since 1900-01-01, as phr_days_from_civil) of the entries. */
int phr_facts_from_entries(const json_t *const *contents, const char *const *clinics, size_t n,
			   uint8_t *out, size_t cap, size_t *len, int64_t *first_day, int64_t *last_day);

/* ---- Reading a blob back (report.c; the blob comes from the database) ---- */

#define PHR_FACTS_VERSION 1
/* one visit per entry: PHR_MAX_ENTRIES of the main chain and, for a merged
 * record, PHR_MAX_SIDE_ENTRIES of its branch B */
#define PHR_FACTS_MAX_VISITS 96
#define PHR_FACTS_MAX_STRINGS 255 /* distinct clinic names and codes in one blob */
#define PHR_FACTS_MAX_ITEMS 64    /* results, vaccines or chapters of one visit */

/* Visit flags */
#define PHR_FACT_TB_SCREENED 0x01u /* a TB test at this visit, result other than not_done */
#define PHR_FACT_TB_POSITIVE 0x02u /* a TB test positive (TST, IGRA, sputum) or abnormal (chest X-ray) */
#define PHR_FACT_TB_REFERRED 0x04u /* a referral whose reason is a TB code */
#define PHR_FACT_PREGNANT 0x08u    /* pregnancy.status is "pregnant" */
#define PHR_FACT_FLAGS 0x0fu

/* Referral urgencies of a visit (bit mask) */
#define PHR_FACT_REF_ROUTINE 0x01u
#define PHR_FACT_REF_URGENT 0x02u
#define PHR_FACT_REF_EMERGENCY 0x04u
#define PHR_FACT_REF_UNSPECIFIED 0x08u
#define PHR_FACT_REFS 0x0fu

enum phr_facts_sex { PHR_FACT_SEX_NONE = 0, PHR_FACT_SEX_FEMALE, PHR_FACT_SEX_MALE, PHR_FACT_SEX_OTHER,
	PHR_FACT_SEX_UNKNOWN };

struct phr_facts_visit {
	int64_t day;               /* date of the visit, days since 1900-01-01 */
	int clinic;                /* index into strings, -1 when unknown */
	unsigned flags;            /* PHR_FACT_* */
	unsigned referrals;        /* PHR_FACT_REF_* */
	size_t n_results;          /* other (non-TB) screening results: pairs */
	const uint8_t *results;    /* [2 * n_results]: code string index, result (index in the schema's enum) */
	size_t n_vaccines;
	const uint8_t *vaccines;   /* [n_vaccines]: string index of an "atc:J07..." code */
	size_t n_chapters;
	const uint8_t *chapters;   /* [n_chapters]: ICD-11 chapter 1..28 of a chronic condition, 0 if not ICD */
};

/* A decoded blob. Pointers point into the blob, which must outlive it. */
struct phr_facts {
	int birth_precision;       /* 0 none, 1 year, 2 year and month, 3 full date */
	int birth_year, birth_month, birth_day; /* 0 for parts not known */
	int sex;                   /* enum phr_facts_sex */
	char nationality[3];       /* ISO 3166-1 alpha-2, "" if not known */
	char host_country[3];
	size_t n_strings;
	const char *string[PHR_FACTS_MAX_STRINGS]; /* NOT NUL-terminated: see string_len */
	uint8_t string_len[PHR_FACTS_MAX_STRINGS];
	size_t n_visits;
	struct phr_facts_visit visit[PHR_FACTS_MAX_VISITS];
};

/* Decodes and checks a blob: every length, index, enum value and date;
 * nothing after the end. PHR_E_VERSION for an unknown version byte,
 * PHR_E_MALFORMED / PHR_E_TRUNCATED / PHR_E_TRAILING otherwise, PHR_E_LIMIT
 * when len > PHR_FACTS_MAX. On failure *f is zeroed. */
PHR_NODISCARD int phr_facts_decode(const uint8_t *blob, size_t len, struct phr_facts *f);

/* ICD-11 chapter (1..28) of a code "icd11:..." or "icd10:..." (ICD-10
 * chapters mapped to the ICD-11 chapter of the same body system:
 * docs/REPORTS.md); 0 for any other system or an unknown first character. */
int phr_facts_icd_chapter(const char *code);
/* 1 when a code is a tuberculosis test (LOINC), 2 when a tuberculosis
 * diagnosis (ICD-11 1B1x, ICD-10 A15-A19), else 0. */
int phr_facts_tb_code(const char *code);

#endif
