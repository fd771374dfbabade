/* phr — bench_register's report of a year (bench_register_report.c). */
#ifndef PHR_BENCH_REGISTER_REPORT_H
#define PHR_BENCH_REGISTER_REPORT_H

#include <stddef.h>
#include <stdint.h>

struct phr_register;

struct bench_report_figures {
	size_t persons; /* records with a visit in the period (phr_report_persons) */
	size_t tables;  /* tables of the built report (phr_report_doc) */
	size_t cols;    /* its columns: buckets and the whole period */
};

/* Runs register/report.c over the register's facts of [from_day, to_day]
 * (by month, else by week) and builds its tables (phr_report_doc). A PHR_E_* code. */
int bench_register_report(struct phr_register *reg, int64_t from_day, int64_t to_day, int by_month,
			  struct bench_report_figures *out);

#endif
