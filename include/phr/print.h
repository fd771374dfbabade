/* phr — printing a record: A6 booklets, ID-1 wallet cards and imposed
 * print-shop sheets, as PDF or PNG (print/, Cairo and Pango).
 *
 * Three parts:
 *   - the printable view: what a page says about a record in one language
 *     (identity, verification status per entry, the summary lines). It is
 *     built from a record and its verification report by verifier/
 *     (phr_render_print_view in phr/render.h); print/ never sees the
 *     report itself, only this neutral view.
 *   - layouts: page geometry, fonts, QR module size, which pages in which
 *     order, loaded from JSON (layouts/pages/NAME.json are compiled in;
 *     docs/PRINT.md describes the format).
 *   - a document: one PDF stream (or a series of PNG pages) that records are
 *     added to one at a time, so that a batch of any size keeps memory flat.
 *
 * Not thread-safe: one document, one thread (Pango's font map is shared
 * per thread).
 */
#ifndef PHR_PRINT_H
#define PHR_PRINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "phr/error.h"

/* ---- The printable view ---- */

enum phr_print_line_kind {
	PHR_PL_SECTION = 0, /* a section title ("Identity"); value is "" */
	PHR_PL_FIELD,       /* "label: value" */
	PHR_PL_ITEM,        /* one item of a list ("- value"); label is "" */
};

/* One paragraph of the summary. Lines of two views of the same record (two
 * languages) correspond one to one, in the same order. */
struct phr_print_line {
	int kind;          /* enum phr_print_line_kind */
	int depth;         /* nesting, 0 for a top-level section */
	unsigned entry;    /* index of the entry it comes from */
	bool unverified;   /* the entry is not PHR_ST_VALID: never print as trusted */
	const char *label; /* "" when none */
	const char *value; /* "" when none */
};

struct phr_print_entry {
	int status;               /* enum phr_status */
	bool valid;               /* status == PHR_ST_VALID */
	const char *title;        /* "Entry 1" */
	const char *status_text;  /* "Signature valid", in the view's language */
	const char *signer;       /* "Lesvos Reception Clinic (Greece)", or the key id when unknown */
	const char *signed_on;    /* "YYYY-MM-DD" */
	unsigned sealed_sections; /* sections the entry holds sealed (docs/PRIVACY.md), 0: none */
	int seal_state;           /* 0 not opened (no key), 1 opened: its lines include them, else why not (PHR_E_*) */
};

struct phr_print_view {
	char lang[8];                /* language of every string below */
	char record_id[33];          /* 32 lowercase hex digits */
	char preferred_language[3];  /* identity.preferred_language of the record, "" if none */
	const char *holder_name;     /* "given family" of the first spelling, "" if the record has none */
	const char *holder_other;    /* other spellings, "; "-separated, "" if none */
	bool holder_verified;        /* the name comes from a valid entry */
	const char *birth_date;      /* "" when absent */
	const char *issued_on;       /* entry 0's date of visit, else its signing date */
	const char *issuer;          /* signer of entry 0 */
	bool all_valid;              /* every entry PHR_ST_VALID */
	bool trust_checked;          /* a trust bundle was used */
	size_t n_valid;
	size_t n_entries;
	struct phr_print_entry *entries;
	size_t n_lines;
	struct phr_print_line *lines;
	/* NULL, or n_lines strings: each line's value as the holder's column
	 * shows it, coded terms by their label alone, without "[icd11:1E90]"
	 * (the value itself when it has no code) */
	const char **plain;
	void *store;                 /* owner of the strings (private) */
};

/* ---- Layouts ---- */

#define PHR_LAYOUT_MAX_FILE (256 * 1024) /* largest layout JSON file */
#define PHR_LAYOUT_MAX_PAGES 32          /* page blocks in one layout */
#define PHR_LAYOUT_PATH_ENV "PHR_LAYOUT_PATH"

struct phr_layout;

/* Loads a layout by name or path. A name with a '/' or ending in ".json"
 * is a file; otherwise NAME.json is looked for in each directory of
 * $PHR_LAYOUT_PATH (':'-separated, first match wins), then among the
 * built-in layouts. PHR_E_NOT_FOUND when none has that name (the message
 * lists the built-in ones); PHR_E_MALFORMED / PHR_E_LIMIT with the file and
 * the field named when the JSON is wrong. A sheet layout loads the booklet
 * it imposes the same way. */
PHR_NODISCARD int phr_layout_load(const char *name_or_path, struct phr_layout **out);
/* Parses a layout from JSON text; origin names it in messages. */
PHR_NODISCARD int phr_layout_parse(const char *json, size_t len, const char *origin, struct phr_layout **out);
void phr_layout_destroy(struct phr_layout *l);
const char *phr_layout_name(const struct phr_layout *l);
/* "booklet", "card", "sheet" or "slip". */
const char *phr_layout_kind(const struct phr_layout *l);
/* The fontconfig family list the layout draws text with. */
const char *phr_layout_font_family(const struct phr_layout *l);
/* Built-in layouts (layouts/pages/NAME.json, compiled in). */
size_t phr_layout_builtin_count(void);
const char *phr_layout_builtin_name(size_t i);

/* ---- Documents ---- */

struct phr_print_options {
	bool png;       /* false: one PDF written through write(); true: PNG pages through page() */
	int dpi;        /* PNG resolution, 72..1200 (PDF: ignored) */
	uint64_t now;   /* Unix seconds printed as the date of printing */
	/* PDF bytes, in order. Returns PHR_OK or an error that stops the document. */
	int (*write)(void *ctx, const uint8_t *data, size_t len);
	/* One PNG page: its number in this record from 1, of total. */
	int (*page)(void *ctx, size_t number, size_t total, const uint8_t *png, size_t len);
	void *ctx;
};

/* What printing one record gave. */
struct phr_print_result {
	size_t pages;          /* pages of the booklet or card (a sheet: booklet pages imposed) */
	size_t sheets;         /* sheet sides written (sheet layouts), else pages written */
	size_t first_sheet;    /* serial of the first sheet (sheet layouts), from 1 */
	unsigned k, m;         /* data and parity codes */
	int version;           /* QR version of each code */
	int module_px;         /* dots per module at the layout's dpi (300) */
	double module_mm;      /* printed module size */
	size_t code_pages;     /* pages that hold codes */
	bool codes_fit;        /* false: a card too small for the record (it says so) */
	unsigned card_capacity; /* codes the card holds at this version (when !codes_fit) */
	size_t summary_pages;
};

struct phr_print_doc;

/* Opens a document for a layout. The layout must outlive the document. */
PHR_NODISCARD int phr_print_open(const struct phr_layout *l, const struct phr_print_options *o,
				 struct phr_print_doc **out);
/* Adds one record: container is the record as it travels (its QR codes are
 * cut from it as 'phr qr' cuts them), holder and clinic its views in the two
 * languages (the same view twice for one language). Pages go out before
 * it returns. PHR_E_LIMIT when the record cannot be cut into codes of
 * the layout's size. */
PHR_NODISCARD int phr_print_record(struct phr_print_doc *d, const uint8_t *container, size_t len,
				   const struct phr_print_view *holder, const struct phr_print_view *clinic,
				   struct phr_print_result *res);
/* Adds a key slip (a layout of kind "slip", docs/PRINT.md "The key slip"):
 * the holder key (phr/seal.h) of the record the views describe, as a QR
 * code (phr/seal_qr.h) and in its typed form, with the record id and what
 * the slip is for in the holder's and the clinic's language. The caller
 * checks that the key is the record's. PHR_E_ARG for a layout that is not
 * a slip; PHR_E_LIMIT when the code does not fit it. */
PHR_NODISCARD int phr_print_key_slip(struct phr_print_doc *d, const uint8_t key[16],
				     const struct phr_print_view *holder, const struct phr_print_view *clinic,
				     struct phr_print_result *res);
/* Finishes the document (PDF: fonts and trailer written). A document to
 * which no record was added writes nothing. */
PHR_NODISCARD int phr_print_close(struct phr_print_doc *d);
/* Frees d (closing nothing: call phr_print_close first to keep the output). */
void phr_print_doc_destroy(struct phr_print_doc *d);

#endif
