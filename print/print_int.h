/* print/ internals: the parsed layout, the text engine, the code plan and
 * the page plan of one booklet or card. Lengths are in points (1/72 inch),
 * Cairo's and PDF's unit; layouts are written in millimetres. */
#ifndef PHR_PRINT_INT_H
#define PHR_PRINT_INT_H

#include <cairo.h>
#include <pango/pangocairo.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "phr/chunk.h"
#include "phr/print.h"
#include "phr/qrimage.h"

#define PT_PER_MM (72.0 / 25.4)
#define MAX_CHOICES 4

enum block {
	BLK_COVER,
	BLK_SUMMARY,
	BLK_CODES,
	BLK_FOLLOWUP,
	BLK_EXTRA_LAB,
	BLK_BACK_COVER,
	BLK_CARD_FRONT,
	BLK_CARD_BACK,
	BLK_BLANK,
	BLK_COUNT
};
const char *block_name(int b);

enum layout_kind { KIND_BOOKLET, KIND_CARD, KIND_SHEET };

struct rgb {
	double r, g, b;
};

struct phr_layout {
	char name[64];
	int kind;
	/* booklet and card pages */
	double width, height, bleed, corner;
	double m_top, m_bottom, m_inner, m_outer;
	char *family;
	double title_pt, heading_pt, body_pt, small_pt, footer_pt;
	struct rgb accent, ok, warn, grey, rule, tint, warn_tint;
	/* codes */
	int dpi;
	int module_px[MAX_CHOICES];
	int n_module_px;
	int quiet;
	int parity[MAX_CHOICES]; /* -1: auto */
	int n_parity;
	double code_gap;
	int max_code_pages; /* 0: no limit */
	/* summary */
	double col_gap, para_gap, indent;
	/* forms */
	double line_pitch;
	int pages[PHR_LAYOUT_MAX_PAGES];
	int n_pages;
	int page_multiple;
	int fill;
	/* sheet */
	struct phr_layout *imposed;
	double sheet_w, sheet_h, scale, row_gap;
	int rows;
	double mark_offset, mark_length, mark_line;
};

/* ---- text (text.c): Pango layouts, cached ---- */

enum text_style { TS_TITLE, TS_HEADING, TS_BODY, TS_SMALL, TS_FOOTER, TS_COUNT };
/* What a paragraph looks like besides its style. */
enum text_flags {
	TF_BOLD = 1,        /* the whole paragraph bold */
	TF_CENTER = 2,      /* centred (else the paragraph's start edge: left, or right for RTL) */
	TF_ELLIPSIZE = 4,   /* one line, "..." at the end when too long */
	TF_MARK = 8,        /* a red bold mark before the text (mark_len bytes), the rest grey */
	TF_LABEL = 16,      /* the first label_len bytes bold */
	TF_GREY = 32,       /* the whole paragraph grey */
	TF_NOCACHE = 64,    /* text met once (a serial number): not kept */
};

struct text;
struct text *text_create(const struct phr_layout *l);
void text_destroy(struct text *t);
/* A laid-out paragraph of text in lang (for shaping, fonts and the base
 * direction), width pt wide (0: no wrapping). A reference the caller owns
 * (g_object_unref). Equal requests share a cached layout, so static labels
 * are shaped once per document. prefix_len: bytes of text that TF_MARK or
 * TF_LABEL concern. NULL when out of memory. */
PangoLayout *text_layout(struct text *t, const char *lang, int style, int flags, double width, const char *text,
			 size_t prefix_len);
/* Size of a layout in points. */
void text_size(PangoLayout *pl, double *w, double *h);
/* Draws pl with its top-left corner at x, y (points) in colour c. */
void text_draw(cairo_t *cr, PangoLayout *pl, double x, double y, const struct rgb *c);
/* Layouts made and shaped, and cache hits (benchmarks). */
void text_stats(const struct text *t, size_t *made, size_t *hits);

/* ---- codes (codes.c): the record cut into QR codes, fitted to pages ---- */

struct code_plan {
	struct phr_chunk_plan chunk;
	struct phr_chunk_set set;
	struct phr_qr *qr[PHR_MAX_CHUNKS];
	size_t n;
	int module_px;       /* at the layout's dpi */
	double module_dev;   /* module in device units (what is snapped to the device grid) */
	double module_mm;    /* module as printed */
	double dot;          /* one dot of the output, in device units */
	int quiet;           /* quiet zone, modules */
	double side;         /* one code with its quiet zones, in page points */
	double label_h;      /* room under a code for its "code n of k" label */
	int cols, rows;      /* codes per page */
	size_t per_page, pages;
	bool fits;           /* within the layout's max_pages */
	unsigned capacity;   /* codes one page holds at the smallest module (cards) */
};
/* Device: what a code's modules are snapped to. dev_per_pt device units
 * per page point (page scale included), grid the device unit of one
 * printer dot. */
struct device {
	double dev_per_pt; /* device units per page point */
	double dot;        /* one dot of the output's raster, in device units */
	double dots_per_px; /* output dots per layout dot (1 for PDF, dpi/300 for PNG at dpi) */
	double mm_per_dev; /* millimetres on paper per device unit */
};
/* Cuts container into codes the way 'phr qr' does (phr_chunk_plan,
 * phr_chunk_split; Base45, the default ECC and maximum version), choosing
 * parity and module size from the layout's lists so that the codes take as
 * few pages of w x h points as possible. */
PHR_NODISCARD int codes_plan(const struct phr_layout *l, const struct device *dev, const uint8_t *container,
			     size_t len, double w, double h, double label_h, struct code_plan *out);
void codes_free(struct code_plan *p);
/* Draws code i with its quiet zone's top-left corner near x, y (page
 * points), snapped to the device's dots so that every module covers whole
 * dots. */
void codes_draw(cairo_t *cr, const struct code_plan *p, size_t i, double x, double y);

/* ---- stamps (stamps.c): drawings that many pages share ---- */

/* The forms of follow-up and laboratory pages, and the back cover, are the
 * same in every booklet of a language pair: each is recorded once per
 * document (a Cairo recording surface) and painted on every page that
 * shows it; a PDF gets it once, as a form XObject, however many booklets
 * use it. At most STAMPS_MAX are kept (the oldest is dropped). */
#define STAMPS_MAX 64
struct stamps;
struct stamps *stamps_create(void);
void stamps_destroy(struct stamps *st);
/* Paints the stamp named key at the origin of cr, recording it first with
 * draw(ctx, cr) when it is not held; extents: the box it may draw in. */
void stamps_paint(struct stamps *st, cairo_t *cr, const char *key, const cairo_rectangle_t *extents,
		  void (*draw)(const void *ctx, cairo_t *cr), const void *ctx);

/* ---- booklet and card pages (booklet.c) ---- */

struct booklet;
/* Plans every page of one record: pagination of the summary, codes, fill
 * pages. scale: page points to sheet points (1 unless imposed). */
PHR_NODISCARD int booklet_plan(const struct phr_layout *l, struct text *t, struct stamps *st, const struct device *dev,
			       const uint8_t *container, size_t len, const struct phr_print_view *holder,
			       const struct phr_print_view *clinic, uint64_t now, struct booklet **out);
size_t booklet_pages(const struct booklet *b);
const struct code_plan *booklet_codes(const struct booklet *b);
size_t booklet_summary_pages(const struct booklet *b);
size_t booklet_code_pages(const struct booklet *b);
/* Draws page i (0-based) with its trim box at 0, 0; content meant for the
 * bleed extends beyond it, the caller clips. */
void booklet_draw(const struct booklet *b, cairo_t *cr, size_t i);
void booklet_free(struct booklet *b);
/* The record id (hex) and the languages (0 holder's, 1 clinic's). */
const char *booklet_record_id(const struct booklet *b);
const char *booklet_lang(const struct booklet *b, int which);
/* A label with %d (or %s) replaced by x, then y: labels are data, never
 * printf formats. */
void label_num(char *out, size_t cap, const char *tmpl, long x, long y);

/* A growing memory buffer that Cairo writes PNG, SVG or PDF bytes into
 * (qrimage.c): phr_membuf_write is a cairo_write_func_t; failed is set when
 * memory ran out. The caller frees p. */
struct phr_membuf {
	uint8_t *p;
	size_t len, cap;
	int failed;
};
cairo_status_t phr_membuf_write(void *closure, const unsigned char *data, unsigned int n);

#endif
