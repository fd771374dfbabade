/* Report facts blobs (register/facts.c), as they are read back from the
 * register's database, and the report that counts them
 * (register/report.c).
 *
 * Invariants:
 *  - phr_facts_decode either fails, with a message and the output zeroed,
 *    or gives fields within the layout's ranges (birth date parts agree with
 *    the precision, sex and countries valid, at most PHR_FACTS_MAX_VISITS
 *    visits, every string index below the string count, results within the
 *    enum, chapters 0..28, flags and urgency masks within their bits);
 *  - a blob that decodes is exactly the bytes written again from what was
 *    decoded (the layout has one encoding);
 *  - a report over its visits' days counts it once: persons assessed over
 *    the whole period is 1 (minimum cell 1), the tables build, and the text
 *    and JSON outputs are written; a refused blob changes no report.
 */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "facts.h"
#include "report.h"

struct out {
	uint8_t b[PHR_FACTS_MAX + 16];
	size_t n;
};

static void put(struct out *o, const void *p, size_t n)
{
	FUZZ_CHECK(o->n + n <= sizeof(o->b), "re-encoded blob too long");
	memcpy(o->b + o->n, p, n);
	o->n += n;
}

static void put8(struct out *o, unsigned v)
{
	uint8_t b = (uint8_t)v;
	put(o, &b, 1);
}

static int sink(void *ctx, const uint8_t *d, size_t n)
{
	size_t *total = ctx;
	(void)d;
	*total += n;
	return PHR_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct phr_facts f;
	int rc = phr_facts_decode(data, size, &f);
	if (rc != PHR_OK) {
		FUZZ_CHECK(rc < 0 && phr_last_error()[0], "a refusal says why");
		FUZZ_CHECK(f.n_visits == 0 && f.n_strings == 0 && f.birth_year == 0, "refused: output zeroed");
		/* a report refuses it too and counts nothing */
		struct phr_report_options o = { .from_day = 40000, .to_day = 40100, .by = PHR_REPORT_BY_MONTH };
		struct phr_report *r;
		FUZZ_CHECK(phr_report_create(&o, &r) == PHR_OK, "report");
		FUZZ_CHECK(phr_report_add(r, data, size) != PHR_OK && phr_report_persons(r) == 0, "report refuses it");
		phr_report_destroy(r);
		return 0;
	}
	FUZZ_CHECK(f.birth_precision >= 0 && f.birth_precision <= 3, "precision");
	FUZZ_CHECK((f.birth_precision >= 2) == (f.birth_month > 0) && f.birth_month <= 12, "month");
	FUZZ_CHECK((f.birth_precision == 3) == (f.birth_day > 0) && f.birth_day <= 31, "day");
	FUZZ_CHECK(f.sex >= 0 && f.sex <= PHR_FACT_SEX_UNKNOWN, "sex");
	FUZZ_CHECK(strlen(f.nationality) == 0 || strlen(f.nationality) == 2, "nationality");
	FUZZ_CHECK(f.n_visits <= PHR_FACTS_MAX_VISITS && f.n_strings <= PHR_FACTS_MAX_STRINGS, "counts");

	struct out o = { .n = 0 };
	put8(&o, PHR_FACTS_VERSION);
	put8(&o, (unsigned)f.birth_precision);
	put8(&o, (unsigned)f.birth_year & 0xff);
	put8(&o, (unsigned)f.birth_year >> 8);
	put8(&o, (unsigned)f.birth_month);
	put8(&o, (unsigned)f.birth_day);
	put8(&o, (unsigned)f.sex);
	put(&o, f.nationality[0] ? f.nationality : "\0\0", 2);
	put(&o, f.host_country[0] ? f.host_country : "\0\0", 2);
	put8(&o, (unsigned)f.n_strings);
	for (size_t i = 0; i < f.n_strings; i++) {
		FUZZ_CHECK(f.string_len[i] > 0, "empty string");
		put8(&o, f.string_len[i]);
		put(&o, f.string[i], f.string_len[i]);
	}
	put8(&o, (unsigned)f.n_visits);
	int64_t lo = 0, hi = 0;
	for (size_t i = 0; i < f.n_visits; i++) {
		const struct phr_facts_visit *v = &f.visit[i];
		FUZZ_CHECK(v->day >= 0 && (v->clinic < 0 || (size_t)v->clinic < f.n_strings), "visit day or clinic");
		FUZZ_CHECK(!(v->flags & ~PHR_FACT_FLAGS) && !(v->referrals & ~PHR_FACT_REFS), "flags");
		uint32_t d = (uint32_t)v->day;
		uint8_t b[4] = { (uint8_t)d, (uint8_t)(d >> 8), (uint8_t)(d >> 16), (uint8_t)(d >> 24) };
		put(&o, b, 4);
		put8(&o, v->clinic < 0 ? 255u : (unsigned)v->clinic);
		put8(&o, v->flags);
		put8(&o, v->referrals);
		put8(&o, (unsigned)v->n_results);
		for (size_t k = 0; k < v->n_results; k++)
			FUZZ_CHECK(v->results[2 * k] < f.n_strings && v->results[2 * k + 1] < 7, "result");
		put(&o, v->results, 2 * v->n_results);
		put8(&o, (unsigned)v->n_vaccines);
		for (size_t k = 0; k < v->n_vaccines; k++)
			FUZZ_CHECK(v->vaccines[k] < f.n_strings, "vaccine");
		put(&o, v->vaccines, v->n_vaccines);
		put8(&o, (unsigned)v->n_chapters);
		for (size_t k = 0; k < v->n_chapters; k++)
			FUZZ_CHECK(v->chapters[k] <= 28, "chapter");
		put(&o, v->chapters, v->n_chapters);
		if (i == 0 || v->day < lo)
			lo = v->day;
		if (i == 0 || v->day > hi)
			hi = v->day;
	}
	FUZZ_CHECK(o.n == size && memcmp(o.b, data, size) == 0, "decoded blob written again differs");

	if (f.n_visits == 0)
		return 0;
	/* a report over its days, in months (limited to the report's maximum) */
	if (hi - lo > 30 * (PHR_REPORT_MAX_BUCKETS - 2))
		hi = lo + 30 * (PHR_REPORT_MAX_BUCKETS - 2);
	struct phr_report_options ro = { .from_day = lo, .to_day = hi, .by = PHR_REPORT_BY_MONTH,
					 .group = (int)(size % 5), .min_cell = 1, .lang = size % 2 ? "ar" : "en" };
	struct phr_report *r;
	FUZZ_CHECK(phr_report_create(&ro, &r) == PHR_OK, "report over the blob's days");
	FUZZ_CHECK(phr_report_add(r, data, size) == PHR_OK, "a blob that decodes is counted");
	FUZZ_CHECK(phr_report_persons(r) == 1, "counted once");
	const struct phr_report_doc *d;
	FUZZ_CHECK(phr_report_doc(r, &d) == PHR_OK, "tables");
	FUZZ_CHECK(d->n_tables > 0 && !strcmp(d->tables[0].id, "assessed"), "first table");
	const struct phr_report_table *t = &d->tables[0];
	FUZZ_CHECK(t->cells[t->n_rows * d->n_cols + d->n_cols - 1] == 1, "one person assessed over the period");
	size_t total = 0;
	FUZZ_CHECK(phr_report_write(r, PHR_REPORT_TEXT, sink, &total) == PHR_OK && total > 0, "text");
	FUZZ_CHECK(phr_report_write(r, PHR_REPORT_JSON, sink, &total) == PHR_OK, "json");
	phr_report_destroy(r);
	return 0;
}
