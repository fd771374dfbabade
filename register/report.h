/* phr — aggregated health-status reports from facts blobs (register/report.c).
 *
 * A report takes the facts blob of each stored record one at a time
 * (phr_report_add, or phr_report_add_cb given straight to
 * phr_register_each_facts), keeps counters only (memory grows with the
 * number of groups, indicators and weeks, not with the number of persons),
 * then builds the tables: every indicator of docs/REPORTS.md by group and by
 * week or month, with small cells suppressed and complementary suppression
 * so that no hidden cell can be worked out from the totals.
 *
 * Not thread-safe: one report, one thread.
 */
#ifndef PHR_REGISTER_REPORT_H
#define PHR_REGISTER_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "phr/error.h"
#include "phr/report_print.h"

#define PHR_REPORT_MAX_BUCKETS 600   /* weeks or months in one report (about 11 years of weeks) */
#define PHR_REPORT_MAX_CELLS 4000000 /* counters of one report (groups x indicators x buckets) */
#define PHR_REPORT_MIN_CELL 5        /* default: cells of fewer persons are suppressed */
#define PHR_REPORT_MAX_MIN_CELL 1000

enum phr_report_by { PHR_REPORT_BY_WEEK = 0, PHR_REPORT_BY_MONTH = 1 };
enum phr_report_group {
	PHR_REPORT_GROUP_NATIONALITY = 0,
	PHR_REPORT_GROUP_AGE_BAND,
	PHR_REPORT_GROUP_SEX,
	PHR_REPORT_GROUP_CLINIC,
	PHR_REPORT_GROUP_HOST_COUNTRY,
};
enum phr_report_format { PHR_REPORT_TEXT = 0, PHR_REPORT_CSV, PHR_REPORT_JSON, PHR_REPORT_PDF };

struct phr_report_options {
	int64_t from_day, to_day; /* inclusive, days since 1900-01-01 (phr_days_from_civil) */
	int by;                   /* enum phr_report_by */
	int group;                /* enum phr_report_group */
	unsigned min_cell;        /* 1..PHR_REPORT_MAX_MIN_CELL; 0 means PHR_REPORT_MIN_CELL */
	const char *lang;         /* labels (layouts/po); NULL: "en" */
	uint64_t now;             /* Unix seconds printed as the date of the report */
};

/* Option words as the command line spells them ("week", "age-band", "csv");
 * -1 if unknown. */
int phr_report_by_parse(const char *s);
int phr_report_group_parse(const char *s);
int phr_report_format_parse(const char *s);

struct phr_report;

/* PHR_E_ARG for from > to, an unknown by/group, min_cell over the limit;
 * PHR_E_LIMIT when the period has more than PHR_REPORT_MAX_BUCKETS. */
PHR_NODISCARD int phr_report_create(const struct phr_report_options *o, struct phr_report **out);
void phr_report_destroy(struct phr_report *r);

/* Counts one record: its facts blob (facts.h). Visits outside [from, to]
 * are ignored. PHR_E_ARG once the tables are built (phr_report_doc). A blob that does not decode is an error (PHR_E_MALFORMED,
 * PHR_E_VERSION, ...) and changes nothing; PHR_E_LIMIT when the counters
 * would pass PHR_REPORT_MAX_CELLS. */
PHR_NODISCARD int phr_report_add(struct phr_report *r, const uint8_t *facts, size_t len);
/* The same, shaped as phr_register_each_facts's callback (ctx: the report). */
int phr_report_add_cb(void *ctx, const uint8_t *facts, size_t len);
/* Records counted so far (blobs with at least one visit in the period). */
size_t phr_report_persons(const struct phr_report *r);

/* The tables, suppressed, labelled in o->lang. Owned by the report, valid
 * until phr_report_destroy; built once (later calls return the same). */
PHR_NODISCARD int phr_report_doc(struct phr_report *r, const struct phr_report_doc **out);

/* Writes the report in a format (PDF through print/report_pdf.c). */
PHR_NODISCARD int phr_report_write(struct phr_report *r, int format,
				   int (*write)(void *ctx, const uint8_t *data, size_t len), void *ctx);

/* Age band of a person on a day, as the report counts it (docs/REPORTS.md):
 * its index 0..PHR_REPORT_AGE_BANDS-1, or -1 when the birth date is not known. */
#define PHR_REPORT_AGE_BANDS 6
int phr_report_age_band(int birth_precision, int y, int m, int d, int64_t day);
const char *phr_report_age_band_name(int band); /* "0-4", ..., "65+" */

#endif
