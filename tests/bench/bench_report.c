/* Report aggregation: facts blobs counted per second, a year's monthly
 * report over a million persons (the register's goal: <= 2 s with the
 * database read; this is the counting alone), the tables built and written,
 * and the peak memory, which must not grow with the number of persons.
 *
 * The million blobs are 20,000 generated records, each counted 50 times
 * with its visits shifted by a few days (so buckets differ). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "benchlib.h"
#include "facts.h"
#include "gen.h"
#include "phr/json.h"
#include "report.h"

const char *const bench_name = "bench_report";

#define DISTINCT 20000
#define PERSONS 1000000

static double cpu_now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int count(void *ctx, const uint8_t *d, size_t n)
{
	size_t *t = ctx;
	(void)d;
	*t += n;
	return PHR_OK;
}

int main(void)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/layouts/codes.tsv", PHR_SOURCE_ROOT);
	if (gen_codes_load(path) < 0)
		bench_die("codes.tsv");
	uint8_t(*blob)[PHR_FACTS_MAX] = malloc(DISTINCT * sizeof(*blob));
	size_t *len = malloc(DISTINCT * sizeof(*len));
	if (!blob || !len)
		bench_die("memory");
	static const char *const clinics[] = { "Lesvos Reception Clinic", "Samos RIC", "Athens Health Centre" };
	double t0 = bench_now();
	for (size_t i = 0; i < DISTINCT; i++) {
		struct gen_case *c = gen_case_create(7, i);
		json_t *e[4];
		const char *cl[4];
		unsigned n = gen_case_follow_ups(c) + 1;
		for (unsigned k = 0; k < n; k++) {
			e[k] = k ? gen_case_follow_up(c, k - 1) : gen_case_assessment(c);
			cl[k] = clinics[(i + k) % 3];
		}
		int64_t lo, hi;
		if (phr_facts_from_entries((const json_t *const *)e, cl, n, blob[i], PHR_FACTS_MAX, &len[i], &lo, &hi))
			bench_die("facts");
		for (unsigned k = 0; k < n; k++)
			json_decref(e[k]);
		gen_case_destroy(c);
	}
	double t1 = bench_now();
	printf("facts: %d records in %.2f s (generation included)\n", DISTINCT, t1 - t0);

	struct phr_report_options o = { .from_day = phr_days_from_civil(2024, 1, 1),
					.to_day = phr_days_from_civil(2024, 12, 31), .by = PHR_REPORT_BY_MONTH,
					.group = PHR_REPORT_GROUP_NATIONALITY, .lang = "en" };
	struct phr_report *r;
	if (phr_report_create(&o, &r))
		bench_die("report");
	long before = bench_vm_hwm_kb();
	double c0 = cpu_now();
	t0 = bench_now();
	for (size_t i = 0; i < PERSONS; i++) {
		if (phr_report_add(r, blob[i % DISTINCT], len[i % DISTINCT]))
			bench_die("add");
	}
	t1 = bench_now();
	double c1 = cpu_now();
	const struct phr_report_doc *d;
	size_t bytes = 0;
	if (phr_report_doc(r, &d) || phr_report_write(r, PHR_REPORT_CSV, count, &bytes))
		bench_die("doc");
	double t2 = bench_now();
	printf("report: %d facts counted in %.2f s (%.0f per second); tables built and CSV written in %.2f s\n",
	       PERSONS, t1 - t0, PERSONS / (t1 - t0), t2 - t1);
	printf("report: counting took %.2f s of processor time (the machine may be shared)\n", c1 - c0);
	printf("report: %zu persons with a visit in 2024, %zu tables, %zu bytes of CSV\n", phr_report_persons(r),
	       d->n_tables, bytes);
	printf("peak memory: %ld KiB before counting, %ld KiB after (blobs held: %zu KiB)\n", before, bench_vm_hwm_kb(),
	       (size_t)DISTINCT * PHR_FACTS_MAX / 1024);
	phr_report_destroy(r);
	free(blob);
	free(len);
	return 0;
}
