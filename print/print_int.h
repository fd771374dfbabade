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
	BLK_KEY_SLIP, /* a slip layout's one page: the holder key */
	BLK_COUNT
};
const char *block_name(int b);

enum layout_kind { KIND_BOOKLET, KIND_CARD, KIND_SHEET, KIND_SLIP };

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
	int max_code_pages; /* booklets: most pages of codes, 0: no limit */
	double card_front_text; /* cards: width kept for the front's text, codes beside it; 0: codes on the back only */
	int ecc;            /* slips: error correction level of the key's code (enum phr_qr_ecc) */
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
	/* on the booklet a sheet imposes (l->imposed): the sheet's spreads per
	 * side, so that its code pages are kept on one sheet side; 0 otherwise */
	int imposed_rows;
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

/* Room for codes on one page or card face, in page points. */
struct code_box {
	double w, h;
};
/* The codes one page or face carries: codes first .. first + count - 1, in
 * a grid of cols columns, in box `box` of those codes_plan was given. */
struct code_group {
	size_t first, count;
	int cols;
	int box;
};

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
	size_t pages;        /* pages (card: faces) that carry codes */
	struct code_group group[PHR_MAX_CHUNKS]; /* what each of them carries */
	bool fits;           /* within the layout's max_pages, or the card's faces */
	unsigned capacity;   /* codes the boxes hold at the smallest module (cards) */
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
/* Parity codes for k data codes when the layout says "auto": at least one,
 * so that every printed record survives the loss of any one code (with one
 * data code the parity code restores the record alone: a copy); one in
 * four beyond four data codes. */
unsigned codes_auto_parity(unsigned k);
/* How a container of len bytes is cut and where its codes go, without
 * cutting it: the way 'phr qr' cuts (phr_chunk_plan; Base45, the default
 * ECC and maximum version), parity and module size chosen from the
 * layout's lists so that the codes take as few pages as possible. box: a
 * booklet's one box (every page of codes alike, as many as it takes, at
 * most the layout's max_pages), or a card's faces in order. One data code
 * and its parity copy never share a page or a face. PHR_E_LIMIT when the
 * record cannot be cut at all; a record that does not fit the card is
 * PHR_OK with out->fits false. */
PHR_NODISCARD int codes_fit(const struct phr_layout *l, const struct device *dev, size_t len,
			    const struct code_box *box, size_t n_box, double label_h, struct code_plan *out);
/* codes_fit, then the codes themselves when they fit (phr_chunk_split,
 * phr_qr_make). */
PHR_NODISCARD int codes_plan(const struct phr_layout *l, const struct device *dev, const uint8_t *container,
			     size_t len, const struct code_box *box, size_t n_box, double label_h,
			     struct code_plan *out);
void codes_free(struct code_plan *p);
/* Draws code i with its quiet zone's top-left corner near x, y (page
 * points), snapped to the device's dots so that every module covers whole
 * dots. */
void codes_draw(cairo_t *cr, const struct code_plan *p, size_t i, double x, double y);

/* Which pages of an n-page saddle-stitched booklet carry its c pages of
 * codes (docs/PRINT.md, "Codes: pages"). movable[i]: page i + 1 may (a
 * page of codes, forms or fill, not a cover or the summary). rows: when
 * the booklet is imposed on sheets, their spreads per side; 0 when not.
 * Writes c page indexes (0-based, ascending) to out and returns how well
 * the rule was met. */
enum code_placement {
	PLACE_ANY = 0,    /* the first c movable pages: the rule could not be met */
	PLACE_LEAVES = 1, /* no two on one leaf (its front and back) nor facing each other in the closed booklet */
	PLACE_SIDE = 2,   /* that, and all on one side of one sheet (rows > 0) */
};
int codes_place(const bool *movable, size_t n, size_t c, int rows, size_t *out);
/* Sheet side of page p (1-based) of an n-page booklet imposed rows spreads
 * to a sheet: 2 * sheet + (0 front, 1 back); its leaf is (p - 1) / 2. */
size_t codes_sheet_side(size_t n, size_t p, int rows);

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
/* The block of page i (enum block) and the codes it carries (count 0:
 * none). */
int booklet_page(const struct booklet *b, size_t i, size_t *first, size_t *count);
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

/* ---- the key slip (slip.c) ---- */

/* Draws a slip layout's page: the holder key's code (payload, a
 * phr/seal_qr.h payload) and typed form (key_text), the record id and the
 * notice in the views' languages. PHR_E_LIMIT when the code does not fit
 * the page at any of the layout's module sizes. */
PHR_NODISCARD int slip_draw(const struct phr_layout *l, struct text *t, const struct device *dev, cairo_t *cr,
			    const char *payload, const char *key_text, const struct phr_print_view *holder,
			    const struct phr_print_view *clinic, struct phr_print_result *res);

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
