/* bench_print: how fast booklets and print-shop sheets are made, and the
 * peak memory of a batch, against Cairo alone drawing the same pages
 * without Pango, timed in the same run.
 *
 *   bench_print [N] [--booklets-only]    (N distinct generated records, default 200;
 *                                         --booklets-only: the a6-booklet run alone, for perf)
 *
 * Records: seeded assessments with their follow-ups (tests/gen), signed by
 * one clinic, every one different, so the text cache sees realistic reuse
 * (labels, common values) and not copies. Per record, what 'phr print'
 * does between reading the file and writing the PDF: decode, verify,
 * build the two views (the holder's language rotating through every
 * compiled-in one, the clinic's English), lay out and draw, PDF bytes to
 * a sink that counts them. One core (the process is single-threaded).
 *
 * Baseline: Cairo alone writing a PDF of the same number of pages with the
 * same QR codes (vector, merged runs) and one filled rectangle where each
 * line of text goes, no Pango: what drawing costs before any text is
 * shaped. Peak memory: a sheet batch of 100 and of 1,000 records (the N
 * records repeated), each in a child process, VmHWM from /proc. */
#include <cairo-pdf.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "gen.h"
#include "phr/chunk.h"
#include "phr/container.h"
#include "phr/crypto.h"
#include "phr/json.h"
#include "phr/labels.h"
#include "phr/print.h"
#include "phr/qrimage.h"
#include "phr/render.h"
#include "phr/verify.h"

#include "benchlib.h"

const char *const bench_name = "bench_print";

#ifndef PHR_SOURCE_ROOT
#define PHR_SOURCE_ROOT "."
#endif

#define T0 1750000000u
#define DAY 86400u
#define SEED 20251130u
#define LINES_PER_PAGE_STATIC 40 /* labels, titles, footers and form rules of a page, for the baseline */
#define GOAL 50.0                /* eight-page booklets per second per core */

struct rec {
	uint8_t *c;
	size_t len;
	const char *holder;
};

static size_t sunk;
static int sink(void *ctx, const uint8_t *data, size_t len)
{
	(void)ctx;
	(void)data;
	sunk += len;
	return PHR_OK;
}

struct run {
	double secs;
	size_t booklets, pages, out_pages;
	size_t eight, eight_pages;
	double eight_secs;
	size_t lines; /* summary lines of both views, for the baseline */
};

static void print_all(const struct phr_layout *l, const struct rec *recs, size_t n, size_t count,
		      const struct phr_trust *trust, struct run *out, size_t *pages_of)
{
	struct phr_print_options o = { .now = T0, .write = sink };
	struct phr_print_doc *d;
	struct phr_report *rep = malloc(sizeof(*rep));
	if (!rep || phr_print_open(l, &o, &d))
		bench_die("print_open");
	memset(out, 0, sizeof(*out));
	double t0 = bench_now();
	for (size_t i = 0; i < count; i++) {
		const struct rec *r = &recs[i % n];
		double a = bench_now();
		struct phr_record *rr;
		struct phr_print_view *hv, *cv;
		struct phr_print_result res;
		if (phr_record_decode(r->c, r->len, &rr))
			bench_die("decode");
		phr_verify_record(rr, trust, 4102444800u, rep); /* the certificate's end: after every entry */
		if (!rep->all_valid)
			bench_die("a record did not verify");
		if (phr_render_print_view(rr, rep, "en", &cv) || phr_render_print_view(rr, rep, r->holder, &hv))
			bench_die("view");
		if (phr_print_record(d, r->c, r->len, hv, cv, &res))
			bench_die("print");
		out->lines += hv->n_lines + cv->n_lines;
		phr_render_print_view_free(hv);
		phr_render_print_view_free(cv);
		phr_record_destroy(rr);
		double b = bench_now();
		out->booklets++;
		out->pages += res.pages;
		out->out_pages += res.sheets;
		if (pages_of)
			pages_of[i % n] = res.pages;
		if (res.pages == 8) {
			out->eight++;
			out->eight_pages += res.pages;
			out->eight_secs += b - a;
		}
	}
	if (phr_print_close(d))
		bench_die("print_close");
	out->secs = bench_now() - t0;
	phr_print_doc_destroy(d);
	free(rep);
}

static cairo_status_t sink_cairo(void *ctx, const unsigned char *data, unsigned int len)
{
	(void)ctx;
	(void)data;
	sunk += len;
	return CAIRO_STATUS_SUCCESS;
}

/* Cairo alone: the same pages, the same codes (merged runs, as print/
 * draws them), a filled rectangle where each line of text goes. */
static double baseline(const struct rec *recs, size_t n, size_t count, const size_t *pages_of, double lines_per_booklet)
{
	const double mm = 72 / 25.4, module = 7 * 72.0 / 300;
	cairo_surface_t *s = cairo_pdf_surface_create_for_stream(sink_cairo, NULL, 105 * mm, 148 * mm);
	cairo_t *cr = cairo_create(s);
	double t0 = bench_now();
	for (size_t i = 0; i < count; i++) {
		const struct rec *r = &recs[i % n];
		struct phr_chunk_plan plan;
		struct phr_chunk_set set;
		struct phr_qr *q[PHR_MAX_CHUNKS];
		if (phr_chunk_plan(r->len, PHR_CHUNK_BASE45, PHR_QR_DEFAULT_ECC, PHR_QR_DEFAULT_MAX_VERSION, 0, &plan) ||
		    phr_chunk_split(r->c, r->len, &plan, &set))
			bench_die("chunks");
		for (size_t k = 0; k < set.n; k++)
			if (phr_qr_make(set.payload[k], set.len[k], PHR_CHUNK_BASE45, plan.ecc, plan.max_version, &q[k]))
				bench_die("qr");
		size_t pages = pages_of[i % n];
		size_t per_page = (size_t)(lines_per_booklet / (double)pages) + LINES_PER_PAGE_STATIC;
		for (size_t p = 0; p < pages; p++) {
			cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
			for (size_t l = 0; l < per_page; l++) {
				cairo_rectangle(cr, 20 + (double)(l % 2) * 130, 20 + (double)(l / 2) * 9, 120, 6);
				cairo_fill(cr);
			}
			if (p == pages - 3) { /* the codes page */
				cairo_set_source_rgb(cr, 0, 0, 0);
				for (size_t k = 0; k < set.n; k++) {
					const struct phr_qr *qq = q[k];
					for (int y = 0; y < qq->width; y++)
						for (int x = 0; x < qq->width;) {
							if (!qq->modules[(size_t)y * (size_t)qq->width + (size_t)x]) {
								x++;
								continue;
							}
							int run = 1;
							while (x + run < qq->width &&
							       qq->modules[(size_t)y * (size_t)qq->width + (size_t)(x + run)])
								run++;
							cairo_rectangle(cr, 30 + x * module, 60 + y * module, run * module, module);
							x += run;
						}
					cairo_fill(cr);
				}
			}
			cairo_show_page(cr);
		}
		for (size_t k = 0; k < set.n; k++)
			phr_qr_free(q[k]);
		phr_chunk_set_free(&set);
	}
	cairo_destroy(cr);
	cairo_surface_finish(s);
	cairo_surface_destroy(s);
	return bench_now() - t0;
}

/* Peak memory of a sheet batch of count records, in a child process. */
static long batch_peak(const struct phr_layout *sheet, const struct rec *recs, size_t n, size_t count,
		       const struct phr_trust *trust)
{
	int fd[2];
	long kb = -1;
	fflush(stdout);
	if (pipe(fd))
		bench_die("pipe");
	pid_t pid = fork();
	if (pid < 0)
		bench_die("fork");
	if (pid == 0) {
		struct run r;
		print_all(sheet, recs, n, count, trust, &r, NULL);
		kb = bench_vm_hwm_kb();
		if (write(fd[1], &kb, sizeof(kb)) != (ssize_t)sizeof(kb))
			_exit(1);
		_exit(0);
	}
	close(fd[1]);
	if (read(fd[0], &kb, sizeof(kb)) != (ssize_t)sizeof(kb))
		kb = -1;
	close(fd[0]);
	waitpid(pid, NULL, 0);
	return kb;
}

static void append(struct phr_record *r, const struct phr_seckey *key, const uint8_t *cert, size_t cert_len,
		   const json_t *entry, uint64_t t, const char *what)
{
	char *text = gen_entry_text(entry, what);
	uint8_t *cbor;
	size_t len;
	if (phr_entry_parse_text(text, strlen(text), &cbor, &len) ||
	    phr_record_append(r, key, cert, cert_len, cbor, len, t))
		bench_die(what);
	free(cbor);
	free(text);
}

static void report(const char *name, const struct run *r)
{
	printf("%-17s %5zu booklets, %4.1f pages each: %6.1f booklets/s, %6.0f pages/s (%zu output pages)\n", name,
	       r->booklets, (double)r->pages / (double)r->booklets, (double)r->booklets / r->secs,
	       (double)r->pages / r->secs, r->out_pages);
	if (r->eight)
		printf("%-17s %5zu of them eight-page booklets: %6.1f eight-page booklets/s\n", "", r->eight,
		       (double)r->eight / r->eight_secs);
}

int main(int argc, char **argv)
{
	size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 200;
	if (n == 0 || sodium_init() < 0)
		return 2;
	const char *root = getenv("PHR_SOURCE_ROOT");
	char path[4096];
	snprintf(path, sizeof(path), "%s/layouts/codes.tsv", root ? root : PHR_SOURCE_ROOT);
	if (gen_codes_load(path) < 0)
		bench_die(path);
	struct phr_seckey *auth, *c1;
	auth = bench_key(BENCH_AUTHORITY);
	c1 = bench_key(BENCH_LESVOS);
	uint8_t *cert, *tb;
	size_t cert_len, tb_len;
	struct phr_pubkey ap = *phr_seckey_public(auth);
	struct phr_trust *trust;
	if (phr_cert_issue(auth, phr_seckey_public(c1), 0, 4102444800u, &cert, &cert_len))
		bench_die("certificate");
	const uint8_t *certs[1] = { cert };
	size_t lens[1] = { cert_len };
	if (phr_trust_build(auth, &ap, 1, certs, lens, 1, NULL, 0, 1, T0, T0 + 86400, &tb, &tb_len) ||
	    phr_trust_load(tb, tb_len, &trust))
		bench_die("trust bundle");
	free(tb);

	struct rec *recs = calloc(n, sizeof(*recs));
	size_t *pages_of = calloc(n, sizeof(*pages_of));
	if (!recs || !pages_of)
		abort();
	size_t nl = phr_label_lang_count();
	for (size_t i = 0; i < n; i++) {
		struct gen_case *gc = gen_case_create(SEED, i);
		struct phr_record *r;
		uint8_t id[PHR_RECORD_ID_LEN] = { 0 };
		char what[64];
		memcpy(id, &i, sizeof(i));
		snprintf(what, sizeof(what), "record %zu", i);
		if (!gc || phr_record_create(id, &r))
			bench_die("record");
		json_t *a = gen_case_assessment(gc);
		append(r, c1, cert, cert_len, a, gen_case_time(gc, 0), what);
		json_decref(a);
		for (unsigned k = 0; k < gen_case_follow_ups(gc); k++) {
			json_t *f = gen_case_follow_up(gc, k);
			append(r, c1, cert, cert_len, f, gen_case_time(gc, k + 1), what);
			json_decref(f);
		}
		if (phr_record_encode(r, -1, &recs[i].c, &recs[i].len))
			bench_die("encode");
		phr_record_destroy(r);
		gen_case_destroy(gc);
		recs[i].holder = phr_label_lang_at(i % nl);
	}

	struct phr_layout *booklet, *sheet;
	if (phr_layout_load("a6-booklet", &booklet) || phr_layout_load("a4-booklet-sheet", &sheet))
		bench_die("layout");
	printf("%zu distinct generated records (seed %u), holder's language rotating through %zu, clinic's English;\n"
	       "per record: decode, verify, two views, layout and PDF to memory; one core.\n\n",
	       n, SEED, nl);
	struct run warm, book, sh;
	print_all(booklet, recs, n, n < 20 ? n : 20, trust, &warm, NULL); /* fonts and fontconfig loaded once */
	if (argc > 2 && !strcmp(argv[2], "--booklets-only")) { /* for a profiler: perf record bench_print N --booklets-only */
		print_all(booklet, recs, n, n, trust, &book, pages_of);
		report("a6-booklet", &book);
		return 0;
	}
	print_all(booklet, recs, n, n, trust, &book, pages_of);
	print_all(sheet, recs, n, n, trust, &sh, NULL);
	report("a6-booklet", &book);
	report("a4-booklet-sheet", &sh);
	double base = baseline(recs, n, n, pages_of, (double)book.lines / (double)book.booklets);
	printf("baseline          Cairo alone, the same pages and codes, a rectangle per line of text, no Pango:\n"
	       "                  %6.1f booklets/s; phr print takes %.1f times as long\n",
	       (double)n / base, book.secs / base);
	long m100 = batch_peak(sheet, recs, n, 100, trust), m1000 = batch_peak(sheet, recs, n, 1000, trust);
	printf("peak memory       a4-booklet-sheet batch (VmHWM): 100 records %.1f MB, 1000 records %.1f MB (%+.1f%%)\n",
	       (double)m100 / 1024, (double)m1000 / 1024, 100.0 * (double)(m1000 - m100) / (double)m100);
	double eight = book.eight ? (double)book.eight / book.eight_secs : (double)book.pages / 8 / book.secs;
	printf("\nGoal: >= %.0f eight-page booklets per second per core: %.1f, %s\n", GOAL, eight,
	       eight >= GOAL ? "met" : "NOT met");
	printf("      peak memory of 1000 records within 10%% of 100: %s\n",
	       m1000 * 10 <= m100 * 11 ? "met" : "NOT met");
	for (size_t i = 0; i < n; i++)
		free(recs[i].c);
	free(recs);
	free(pages_of);
	free(cert);
	phr_layout_destroy(booklet);
	phr_layout_destroy(sheet);
	phr_trust_destroy(trust);
	phr_seckey_destroy(auth);
	phr_seckey_destroy(c1);
	return 0;
}
