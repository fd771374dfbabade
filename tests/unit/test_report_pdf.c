/* The report PDF's tables (print/report_pdf.c) on a synthetic report: a
 * table longer than a page repeats its header row (the row title and the
 * column labels) at the top of every page it runs over to, and no row is
 * lost or drawn twice. Read back with pdftotext (poppler-utils), page by
 * page. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "phr/report_print.h"
#include "testlib.h"

/* LeakSanitizer: fontconfig's parsed configuration, unreachable for the
 * life of the process (as in test_print.c and test_report.c). */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void) { return "leak:libfontconfig.so\n"; }

#define LONG_ROWS 130
#define COLS 4

struct sink {
	char *p;
	size_t len, cap;
};

static int to_sink(void *ctx, const uint8_t *data, size_t len)
{
	struct sink *s = ctx;
	if (s->len + len > s->cap) {
		size_t cap = (s->len + len) * 2;
		char *p = realloc(s->p, cap);
		if (!p)
			return PHR_E_NOMEM;
		s->p = p;
		s->cap = cap;
	}
	memcpy(s->p + s->len, data, len);
	s->len += len;
	return PHR_OK;
}

/* The text of page n of the PDF at path (pdftotext -layout), malloc'd. */
static char *page_text(const char *path, int n)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "pdftotext -layout -f %d -l %d %s -", n, n, path);
	FILE *p = popen(cmd, "r");
	if (!p)
		return NULL;
	struct sink s = { 0 };
	char buf[4096];
	size_t got;
	while ((got = fread(buf, 1, sizeof(buf), p)) > 0)
		if (to_sink(&s, (const uint8_t *)buf, got)) {
			free(s.p);
			pclose(p);
			return NULL;
		}
	int st = pclose(p);
	if (st != 0 || to_sink(&s, (const uint8_t *)"", 1)) {
		free(s.p);
		return NULL;
	}
	return s.p;
}

static int pages_of(const char *path)
{
	char cmd[512], line[256];
	int n = -1;
	snprintf(cmd, sizeof(cmd), "pdfinfo %s", path);
	FILE *p = popen(cmd, "r");
	if (!p)
		return -1;
	while (fgets(line, sizeof(line), p))
		if (!strncmp(line, "Pages:", 6))
			n = atoi(line + 6);
	pclose(p);
	return n;
}

static int long_table_repeats_its_header(void)
{
	static const char *const cols[COLS] = { "2024-01", "2024-02", "2024-03", "Whole period" };
	static char labels[LONG_ROWS][16];
	static const char *lp[LONG_ROWS];
	static int64_t cells[(LONG_ROWS + 1) * COLS];
	static const char *const short_labels[] = { "Female", "Male" };
	static const int64_t short_cells[] = { 7, 8, 9, 24, 6, 5, 5, 16, 13, 13, 14, 40 };
	for (size_t k = 0; k < LONG_ROWS; k++) {
		snprintf(labels[k], sizeof(labels[k]), "Group %03zu", k);
		lp[k] = labels[k];
		for (size_t c = 0; c < COLS; c++)
			cells[k * COLS + c] = c + 1 == COLS ? 30 : 10;
	}
	for (size_t c = 0; c < COLS; c++)
		cells[LONG_ROWS * COLS + c] = (c + 1 == COLS ? 30 : 10) * LONG_ROWS;
	const struct phr_report_table tables[] = {
		{ .id = "long", .title = "Persons screened", .row_title = "Country of origin", .n_rows = LONG_ROWS,
		  .row_labels = lp, .cells = cells },
		{ .id = "short", .title = "Persons vaccinated", .row_title = "Sex of the person", .n_rows = 2,
		  .row_labels = short_labels, .cells = short_cells },
	};
	const struct phr_report_doc d = { .lang = "en", .title = "Health-status report", .subtitle = "2024-01 to 2024-03",
					  .note = "Counts under 5 are shown as <5", .suppressed_text = "<5",
					  .total_label = "Total", .chart_bars_title = "Headline indicators",
					  .chart_lines_title = "By month", .footer = "Generated 2024-04-01",
					  .n_cols = COLS, .col_labels = cols, .n_tables = 2, .tables = tables };
	struct sink s = { 0 };
	CHECK_RC(phr_report_pdf(&d, to_sink, &s), PHR_OK);
	char path[] = "/tmp/phr-report-pdf-XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	FILE *fp = fdopen(fd, "wb");
	CHECK(fp && fwrite(s.p, 1, s.len, fp) == s.len && fclose(fp) == 0);
	free(s.p);
	const char *dir = getenv("PHR_REPORT_PDF_DIR");
	if (dir) {
		char keep[1024];
		snprintf(keep, sizeof(keep), "cp %s %s/report-long-table.pdf", path, dir);
		CHECK(system(keep) == 0);
	}
	int pages = pages_of(path);
	/* page 1: the title (no chart here); then 130 rows of 11.5 pt need
	 * three pages or more */
	CHECK(pages >= 4);
	int seen[LONG_ROWS] = { 0 }, long_pages = 0, bad = 0;
	for (int n = 2; n <= pages; n++) {
		char *t = page_text(path, n);
		CHECK(t);
		const char *first_row = strstr(t, "Group ");
		if (first_row) {
			long_pages++;
			/* the header row, above the page's first row */
			const char *h = strstr(t, "Country of origin");
			if (!h || h > first_row) {
				fprintf(stderr, "  page %d: no header row above its first row\n", n);
				bad++;
			}
			for (size_t c = 0; c < COLS; c++) {
				const char *cl = strstr(t, cols[c]);
				if (!cl || cl > first_row) {
					fprintf(stderr, "  page %d: column label \"%s\" not above the rows\n", n, cols[c]);
					bad++;
				}
			}
			for (const char *q = first_row; (q = strstr(q, "Group ")); q += 6) {
				int k = atoi(q + 6);
				if (k >= 0 && k < LONG_ROWS)
					seen[k]++;
			}
		}
		free(t);
	}
	unlink(path);
	fprintf(stderr, "  %d pages, the long table on %d\n", pages, long_pages);
	CHECK(long_pages >= 3);
	CHECK(!bad);
	for (size_t k = 0; k < LONG_ROWS; k++)
		if (seen[k] != 1) {
			fprintf(stderr, "  row %zu drawn %d times\n", k, seen[k]);
			bad++;
		}
	CHECK(!bad);
	return 0;
}

int main(void)
{
	static const struct test tests[] = {
		{ "long_table_repeats_its_header", long_table_repeats_its_header },
	};
	return run_tests(tests, sizeof(tests) / sizeof(tests[0]));
}
