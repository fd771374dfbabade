/* A seeded generator of realistic entries (assessments and follow-ups of
 * migrants' health assessments), for tests, the compression dictionary and
 * size measurements. Output depends only on (seed, index) and on the code
 * table in use; no rand(), no clock.
 *
 * Every code comes from layouts/codes.tsv when that table was loaded
 * (gen_codes_load); an item whose code the table lacks is left out. */
#ifndef PHR_GEN_H
#define PHR_GEN_H

#include <jansson.h>
#include <stdint.h>

/* xoshiro256** seeded through splitmix64 (Blackman & Vigna). */
struct gen_rng {
	uint64_t s[4];
};
/* Stream `stream` of seed `seed`: distinct streams are independent. */
void gen_rng_init(struct gen_rng *r, uint64_t seed, uint64_t stream);
uint64_t gen_next(struct gen_rng *r);
/* Uniform in [0, n); n > 0. */
uint32_t gen_below(struct gen_rng *r, uint32_t n);
/* Uniform in [0, 1). */
double gen_unit(struct gen_rng *r);

/* Loads the code table (TSV: system, code, English label, source; one header
 * line). Returns the number of codes, or -1 if the file cannot be read. When
 * no table is loaded, the generator's built-in codes are used as they are.
 * Prints to stderr how many built-in codes the table lacks. */
int gen_codes_load(const char *path);

/* One person's journey through the clinics: an assessment, then follow-ups. */
struct gen_case;
struct gen_case *gen_case_create(uint64_t seed, uint64_t index);
void gen_case_destroy(struct gen_case *c);
/* Entry 0. New JSON object; the caller json_decref()s it. */
json_t *gen_case_assessment(struct gen_case *c);
/* Follow-up n (0-based), after the assessment. New JSON object. */
json_t *gen_case_follow_up(struct gen_case *c, unsigned n);
/* How many follow-ups this case has in a realistic record (0..2). */
unsigned gen_case_follow_ups(const struct gen_case *c);
/* Signing time of entry n (0 = assessment), Unix seconds. */
uint64_t gen_case_time(const struct gen_case *c, unsigned n);

/* Checks an entry against the schema (through phr_json_dump and
 * phr_entry_parse_text, exactly the text that is written). Returns the text
 * (malloc'd) or prints the failure and aborts: a generator that emits an
 * invalid entry is a bug. */
char *gen_entry_text(const json_t *entry, const char *what);

#endif
