/* phr — bench_register's report of a year, through register/report.c.
 * A translation unit of its own: register/report.h names its report
 * struct phr_report, as include/phr/verify.h (used by bench_register.c)
 * names the verifier's. */
#include "bench_register_report.h"

#include "phr/register.h"
#include "report.h"

int bench_register_report(struct phr_register *reg, int64_t from_day, int64_t to_day, int by_month,
			  struct bench_report_figures *out)
{
	struct phr_report_options o = { .from_day = from_day, .to_day = to_day, .by = by_month ? PHR_REPORT_BY_MONTH : PHR_REPORT_BY_WEEK,
					.group = PHR_REPORT_GROUP_NATIONALITY, .now = 1764547200 };
	struct phr_report *r;
	const struct phr_report_doc *d;
	int rc = phr_report_create(&o, &r);
	if (rc)
		return rc;
	if (!(rc = phr_register_each_facts(reg, from_day, to_day, phr_report_add_cb, r)) &&
	    !(rc = phr_report_doc(r, &d))) {
		out->persons = phr_report_persons(r);
		out->tables = d->n_tables;
		out->cols = d->n_cols;
	}
	phr_report_destroy(r);
	return rc;
}
