/* phr — drawing an aggregated health-status report (print/report_pdf.c).
 *
 * A neutral set of tables: print/ never sees the register nor the facts it
 * counts, only these numbers and labels, already in one language and
 * already suppressed (a cell that must not be shown is
 * PHR_REPORT_SUPPRESSED, never its value). register/report.c builds it.
 *
 * Not thread-safe (Pango's font map is per thread).
 */
#ifndef PHR_REPORT_PRINT_H
#define PHR_REPORT_PRINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "phr/error.h"

#define PHR_REPORT_SUPPRESSED (-1) /* a cell shown as doc->suppressed_text */

struct phr_report_table {
	const char *id;               /* "tb.screened", "vacc.atc:J07BD52", ... (docs/REPORTS.md) */
	const char *title;            /* in the document's language */
	const char *row_title;        /* "Nationality", "Age band", ... */
	size_t n_rows;                /* group rows; the total row is not counted */
	const char *const *row_labels; /* n_rows labels */
	/* (n_rows + 1) x n_cols numbers of persons, row by row; the last row is
	 * the total over the groups; PHR_REPORT_SUPPRESSED where hidden */
	const int64_t *cells;
	/* NULL, or the id of the table whose cells (same shape) are this one's
	 * denominators: a coverage, shown as a percentage beside the count when
	 * neither is suppressed */
	const char *denominator;
	bool chart;                   /* a headline indicator: drawn in the charts */
};

struct phr_report_doc {
	char lang[8];                 /* language of every string */
	bool rtl;                     /* right to left (ar, fa, ...) */
	const char *title;            /* "Health-status report" */
	const char *subtitle;         /* period, grouping */
	const char *note;             /* how small cells are shown */
	const char *suppressed_text;  /* "<5"; "" when min_cell is 1 (nothing hidden) */
	const char *total_label;      /* label of the total row */
	const char *chart_bars_title; /* bar chart: headline indicators over the whole period */
	const char *chart_lines_title;/* line chart: headline indicators per week or month */
	const char *footer;           /* "Generated 2026-12-03" */
	size_t n_cols;                /* buckets (weeks or months) and, last, the whole period */
	const char *const *col_labels;
	size_t n_tables;
	const struct phr_report_table *tables;
};

/* Writes the report as a PDF (A4 portrait): a page of charts (a bar per
 * headline indicator over the whole period, a line per headline indicator
 * across the weeks or months), then the tables, split over as many pages as
 * they need (a table that runs over a page repeats its header row). Text is shaped by Pango in doc->lang and laid out right to left
 * when doc->rtl. A suppressed cell is drawn as a hatched bar labelled with
 * suppressed_text, never at its value. write() receives the bytes in order.
 * PHR_E_ARG, PHR_E_IO (cairo failed), or write()'s error. */
PHR_NODISCARD int phr_report_pdf(const struct phr_report_doc *doc,
				 int (*write)(void *ctx, const uint8_t *data, size_t len), void *ctx);

#endif
