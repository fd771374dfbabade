/* phr register report: aggregated health-status indicators from the facts
 * kept beside each stored record (register/report.h, docs/REPORTS.md). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "phr/json.h"
#include "phr/labels.h"
#include "phr/register.h"
#include "report.h"

static const char report_usage[] =
	"usage: phr register report DB --from DATE --to DATE [--by week|month]\n"
	"         [--group nationality|age-band|sex|clinic|host-country]\n"
	"         [--format text|csv|json|pdf] [--lang LL] [--min-cell N] --out FILE\n"
	"Counts, over the records in the register with a visit from DATE to DATE\n"
	"(YYYY-MM-DD, both included), persons assessed, TB screening done, positive\n"
	"and referred, other screening results, vaccination coverage by age band,\n"
	"pregnancies, chronic conditions by ICD-11 chapter and referrals by urgency,\n"
	"per week or month (default month) and group (default nationality).\n"
	"Cells of fewer than N persons (default 5) are shown as \"<N\", and so are\n"
	"cells from which one could be worked out. docs/REPORTS.md defines each one.\n";

static int parse_day(const char *s, int64_t *out)
{
	int y, m, d;
	char tail;
	if (!s || strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 || m < 1 || m > 12 || d < 1 ||
	    d > 31 || y < 1900)
		return -1;
	int64_t day = phr_days_from_civil(y, m, d);
	int yy, mm, dd;
	phr_civil_from_days(day, &yy, &mm, &dd);
	if (yy != y || mm != m || dd != d)
		return -1; /* 2026-02-30 */
	*out = day;
	return 0;
}

struct report_out {
	const char *path;
	struct cli_out *o;
};

static int report_write(void *ctx, const uint8_t *data, size_t len)
{
	struct report_out *w = ctx;
	int rc;
	if (!w->o && (rc = cli_out_open(w->path, 0666, 0, &w->o)))
		return phr_fail(PHR_E_IO, "cannot write %s", w->path);
	rc = cli_out_write(w->o, data, len);
	return rc ? phr_fail(PHR_E_IO, "cannot write %s", w->path) : PHR_OK;
}

int cmd_register_report(int argc, char **argv)
{
	const char *verb = "register report";
	static const struct option opts[] = {
		{ "from", required_argument, 0, 'F' }, { "to", required_argument, 0, 'T' },
		{ "by", required_argument, 0, 'b' }, { "group", required_argument, 0, 'g' },
		{ "format", required_argument, 0, 'f' }, { "lang", required_argument, 0, 'l' },
		{ "min-cell", required_argument, 0, 'm' }, { "out", required_argument, 0, 'o' },
		{ "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 } };
	struct phr_report_options o = { .by = PHR_REPORT_BY_MONTH, .group = PHR_REPORT_GROUP_NATIONALITY,
					.min_cell = PHR_REPORT_MIN_CELL, .lang = "en" };
	const char *from = NULL, *to = NULL, *out = NULL, *group_name = NULL;
	int format = PHR_REPORT_TEXT, c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'F': from = optarg; break;
		case 'T': to = optarg; break;
		case 'b':
			if ((o.by = phr_report_by_parse(optarg)) < 0)
				return cli_usage(verb, "--by is week or month");
			break;
		case 'g':
			group_name = optarg;
			if ((o.group = phr_report_group_parse(optarg)) < 0)
				return cli_usage(verb, "--group is nationality, age-band, sex, clinic or host-country");
			break;
		case 'f':
			if ((format = phr_report_format_parse(optarg)) < 0)
				return cli_usage(verb, "--format is text, csv, json or pdf");
			break;
		case 'l':
			if (!phr_label_has_lang(optarg))
				return cli_usage(verb, "--lang: no labels in that language (phr show --help lists them)");
			o.lang = optarg;
			break;
		case 'm': {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (!*optarg || *end || v < 1 || v > PHR_REPORT_MAX_MIN_CELL)
				return cli_usage(verb, "--min-cell is a whole number from 1 to 1000");
			o.min_cell = (unsigned)v;
			break;
		}
		case 'o': out = optarg; break;
		case 'h': fputs(report_usage, stdout); return EXIT_OK_;
		default: return cli_usage(verb, "unknown option");
		}
	}
	if (optind != argc - 1)
		return cli_usage(verb, "expected one DB");
	if (!from || !to || parse_day(from, &o.from_day) || parse_day(to, &o.to_day))
		return cli_usage(verb, "--from and --to are dates, YYYY-MM-DD");
	if (o.from_day > o.to_day)
		return cli_usage(verb, "--from is after --to");
	if (!out)
		return cli_usage(verb, "--out is required (- for standard output)");
	const char *db = argv[optind];
	o.now = cli_now();

	struct phr_report *rep = NULL;
	int rc = phr_report_create(&o, &rep);
	if (rc)
		return cli_fail(verb, rc, db);
	/* opened for writing: the report is written to the audit */
	struct phr_register *reg = NULL;
	rc = phr_register_open(db, 0, &reg);
	if (!rc) {
		char detail[160];
		snprintf(detail, sizeof(detail), "%s..%s by %s, group %s", from, to,
			 o.by == PHR_REPORT_BY_WEEK ? "week" : "month", group_name ? group_name : "nationality");
		rc = phr_register_audit_log(reg, "report", NULL, detail);
	}
	if (!rc)
		rc = phr_register_each_facts(reg, o.from_day, o.to_day, phr_report_add_cb, rep);
	phr_register_close(reg);
	struct report_out w = { out, NULL };
	if (!rc)
		rc = phr_report_write(rep, format, report_write, &w);
	phr_report_destroy(rep);
	if (!rc && !w.o)
		rc = report_write(&w, (const uint8_t *)"", 0);
	if (rc) {
		if (w.o)
			cli_out_abandon(w.o);
		return cli_fail(verb, rc, db);
	}
	return cli_out_commit(w.o) ? cli_fail(verb, phr_fail(PHR_E_IO, "cannot write %s", out), out) : EXIT_OK_;
}
