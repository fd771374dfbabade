/* Layouts: JSON files that say what a printed page looks like
 * (docs/PRINT.md, "The layout file"). Every key is checked: an unknown key
 * or a value out of range is an error naming the file and the key, so a
 * typo never silently falls back to a default. */
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "layouts_builtin.h"
#include "print_int.h"

#define LAYOUT_FORMAT 1
#define MAX_ORIGIN 200

static const char *const block_names[BLK_COUNT] = { "cover", "summary", "codes", "followup", "extra_lab",
	"back_cover", "card_front", "card_back", "blank", "key_slip" };

const char *block_name(int b)
{
	return b >= 0 && b < BLK_COUNT ? block_names[b] : "?";
}

struct parse {
	const char *origin;
	int rc;
};

__attribute__((format(printf, 3, 4))) static int bad(struct parse *p, const char *key, const char *fmt, ...)
{
	char msg[300];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!p->rc)
		p->rc = phr_fail(PHR_E_MALFORMED, "layout %s: %s: %s", p->origin, key, msg);
	return p->rc;
}

/* Every key of obj must be one of keys (NULL-terminated). */
static void only(struct parse *p, const json_t *obj, const char *where, const char *const *keys)
{
	const char *k;
	const json_t *v;
	json_object_foreach((json_t *)obj, k, v) {
		const char *const *q = keys;
		while (*q && strcmp(*q, k))
			q++;
		if (!*q) {
			char path[160];
			snprintf(path, sizeof(path), "%s%s%s", where, *where ? "." : "", k);
			bad(p, path, "unknown key");
		}
	}
}

static const json_t *object(struct parse *p, const json_t *parent, const char *key, bool required)
{
	const json_t *o = json_object_get(parent, key);
	if (!o) {
		if (required)
			bad(p, key, "missing");
		return NULL;
	}
	if (!json_is_object(o)) {
		bad(p, key, "must be an object");
		return NULL;
	}
	return o;
}

static double num(struct parse *p, const json_t *obj, const char *where, const char *key, double lo, double hi,
		  double def)
{
	char path[160];
	const json_t *v = obj ? json_object_get(obj, key) : NULL;
	snprintf(path, sizeof(path), "%s%s%s", where, *where ? "." : "", key);
	if (!v) {
		if (def < lo)
			bad(p, path, "missing");
		return def;
	}
	if (!json_is_number(v) || json_number_value(v) < lo || json_number_value(v) > hi) {
		bad(p, path, "must be a number from %g to %g", lo, hi);
		return lo;
	}
	return json_number_value(v);
}

static const char *str(struct parse *p, const json_t *obj, const char *where, const char *key, const char *def)
{
	char path[160];
	const json_t *v = obj ? json_object_get(obj, key) : NULL;
	snprintf(path, sizeof(path), "%s%s%s", where, *where ? "." : "", key);
	if (!v) {
		if (!def)
			bad(p, path, "missing");
		return def;
	}
	if (!json_is_string(v) || !json_string_length(v)) {
		bad(p, path, "must be a non-empty string");
		return def ? def : "";
	}
	return json_string_value(v);
}

static struct rgb colour(struct parse *p, const json_t *obj, const char *key, const char *def)
{
	const char *s = str(p, obj, "colours", key, def);
	unsigned r, g, b;
	char end;
	if (strlen(s) != 7 || sscanf(s, "#%2x%2x%2x%c", &r, &g, &b, &end) != 3) {
		char path[80];
		snprintf(path, sizeof(path), "colours.%s", key);
		bad(p, path, "must be a colour #rrggbb");
		return (struct rgb){ 0, 0, 0 };
	}
	return (struct rgb){ r / 255.0, g / 255.0, b / 255.0 };
}

static int block_of(const char *s)
{
	for (int b = 0; b < BLK_COUNT; b++)
		if (!strcmp(s, block_names[b]))
			return b;
	return -1;
}

static void parse_page(struct parse *p, const json_t *root, struct phr_layout *l)
{
	static const char *const page_keys[] = { "width_mm", "height_mm", "bleed_mm", "corner_radius_mm", NULL };
	static const char *const margin_keys[] = { "top", "bottom", "inner", "outer", NULL };
	static const char *const font_keys[] = { "family", "title_pt", "heading_pt", "body_pt", "small_pt", "footer_pt",
		NULL };
	static const char *const colour_keys[] = { "accent", "ok", "warn", "grey", "rule", "tint", "warn_tint", NULL };
	static const char *const code_keys[] = { "dpi", "module_px", "quiet_modules", "parity", "gap_mm", "max_pages",
		"card_front_text_mm", NULL };
	static const char *const slip_code_keys[] = { "dpi", "module_px", "quiet_modules", "ecc", NULL };
	static const char *const summary_keys[] = { "column_gap_mm", "paragraph_gap_pt", "indent_mm", NULL };
	static const char *const form_keys[] = { "line_pitch_mm", NULL };
	const json_t *page = object(p, root, "page", true), *m = object(p, root, "margins_mm", true);
	const json_t *f = object(p, root, "fonts", true), *c = object(p, root, "colours", false);
	const json_t *codes = object(p, root, "codes", true), *s = object(p, root, "summary", false);
	const json_t *forms = object(p, root, "forms", false);
	if (p->rc)
		return;
	only(p, page, "page", page_keys);
	only(p, m, "margins_mm", margin_keys);
	only(p, f, "fonts", font_keys);
	if (c)
		only(p, c, "colours", colour_keys);
	only(p, codes, "codes", l->kind == KIND_SLIP ? slip_code_keys : code_keys);
	if (s)
		only(p, s, "summary", summary_keys);
	if (forms)
		only(p, forms, "forms", form_keys);
	l->width = num(p, page, "page", "width_mm", 20, 1000, -1) * PT_PER_MM;
	l->height = num(p, page, "page", "height_mm", 20, 1000, -1) * PT_PER_MM;
	l->bleed = num(p, page, "page", "bleed_mm", 0, 10, 0) * PT_PER_MM;
	l->corner = num(p, page, "page", "corner_radius_mm", 0, 10, 0) * PT_PER_MM;
	l->m_top = num(p, m, "margins_mm", "top", 0, 100, -1) * PT_PER_MM;
	l->m_bottom = num(p, m, "margins_mm", "bottom", 0, 100, -1) * PT_PER_MM;
	l->m_inner = num(p, m, "margins_mm", "inner", 0, 100, -1) * PT_PER_MM;
	l->m_outer = num(p, m, "margins_mm", "outer", 0, 100, -1) * PT_PER_MM;
	if (!p->rc && (l->m_inner + l->m_outer > l->width / 2 || l->m_top + l->m_bottom > l->height / 2))
		bad(p, "margins_mm", "leave less than half the page");
	const char *family = str(p, f, "fonts", "family", NULL);
	if (!p->rc && !(l->family = strdup(family)))
		p->rc = phr_fail(PHR_E_NOMEM, "out of memory");
	l->title_pt = num(p, f, "fonts", "title_pt", 3, 72, -1);
	l->heading_pt = num(p, f, "fonts", "heading_pt", 3, 72, -1);
	l->body_pt = num(p, f, "fonts", "body_pt", 3, 72, -1);
	l->small_pt = num(p, f, "fonts", "small_pt", 3, 72, -1);
	l->footer_pt = num(p, f, "fonts", "footer_pt", 3, 72, -1);
	l->accent = colour(p, c, "accent", "#1d4e89");
	l->ok = colour(p, c, "ok", "#1b6e35");
	l->warn = colour(p, c, "warn", "#b3261e");
	l->grey = colour(p, c, "grey", "#6b6b6b");
	l->rule = colour(p, c, "rule", "#a0a0a0");
	l->tint = colour(p, c, "tint", "#e6edf5");
	l->warn_tint = colour(p, c, "warn_tint", "#f9e3e1");

	l->dpi = (int)num(p, codes, "codes", "dpi", 72, 2400, 300);
	const json_t *mp = json_object_get(codes, "module_px");
	if (!json_is_array(mp) || !json_array_size(mp) || json_array_size(mp) > MAX_CHOICES) {
		bad(p, "codes.module_px", "must be a list of 1 to %d whole numbers of dots, preferred first", MAX_CHOICES);
	} else {
		for (size_t i = 0; i < json_array_size(mp); i++) {
			const json_t *v = json_array_get(mp, i);
			if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 32)
				bad(p, "codes.module_px", "each is a whole number of dots from 1 to 32");
			else
				l->module_px[l->n_module_px++] = (int)json_integer_value(v);
		}
	}
	l->quiet = (int)num(p, codes, "codes", "quiet_modules", 1, 16, 4);
	const json_t *par = json_object_get(codes, "parity");
	if (!par) {
		l->parity[l->n_parity++] = -1;
	} else if (!json_is_array(par) || !json_array_size(par) || json_array_size(par) > MAX_CHOICES) {
		bad(p, "codes.parity", "must be a list of 1 to %d choices (\"auto\" or a number of codes)", MAX_CHOICES);
	} else {
		for (size_t i = 0; i < json_array_size(par); i++) {
			const json_t *v = json_array_get(par, i);
			if (json_is_string(v) && !strcmp(json_string_value(v), "auto"))
				l->parity[l->n_parity++] = -1;
			else if (json_is_integer(v) && json_integer_value(v) >= 1 && json_integer_value(v) <= 16)
				l->parity[l->n_parity++] = (int)json_integer_value(v);
			else
				bad(p, "codes.parity",
				    "each is \"auto\" or a number of codes from 1 to 16 (without parity one stain on a "
				    "code loses the record)");
		}
	}
	l->code_gap = num(p, codes, "codes", "gap_mm", 0, 50, 3) * PT_PER_MM;
	l->max_code_pages = (int)num(p, codes, "codes", "max_pages", 0, 64, 0);
	l->card_front_text = num(p, codes, "codes", "card_front_text_mm", 0, 1000, 0) * PT_PER_MM;
	if (l->card_front_text > 0 && l->kind != KIND_CARD)
		bad(p, "codes.card_front_text_mm", "only a card has a front that carries codes");
	else if (l->card_front_text > 0 && l->card_front_text >= l->width - l->m_inner - l->m_outer)
		bad(p, "codes.card_front_text_mm", "leaves no room for codes on the front");
	l->col_gap = num(p, s, "summary", "column_gap_mm", 0, 50, 4) * PT_PER_MM;
	l->para_gap = num(p, s, "summary", "paragraph_gap_pt", 0, 20, 1.5);
	l->indent = num(p, s, "summary", "indent_mm", 0, 20, 2.5) * PT_PER_MM;
	l->line_pitch = num(p, forms, "forms", "line_pitch_mm", 3, 30, 7) * PT_PER_MM;
	if (l->kind == KIND_SLIP) {
		const char *ecc = str(p, codes, "codes", "ecc", "Q");
		l->ecc = !strcmp(ecc, "L") ? 0 : !strcmp(ecc, "M") ? 1 : !strcmp(ecc, "Q") ? 2 : !strcmp(ecc, "H") ? 3 : -1;
		if (l->ecc < 0)
			bad(p, "codes.ecc", "'%s' is not a QR error correction level (L, M, Q or H)", ecc);
	}

	const json_t *pages = json_object_get(root, "pages");
	if (!json_is_array(pages) || !json_array_size(pages) || json_array_size(pages) > PHR_LAYOUT_MAX_PAGES) {
		bad(p, "pages", "must be a list of 1 to %d page blocks", PHR_LAYOUT_MAX_PAGES);
		return;
	}
	int summary = 0, codes_n = 0;
	for (size_t i = 0; i < json_array_size(pages); i++) {
		const char *name = json_string_value(json_array_get(pages, i));
		int b = name ? block_of(name) : -1;
		if (b < 0) {
			bad(p, "pages", "'%s' is not a page block (cover, summary, codes, followup, extra_lab, back_cover, "
					"card_front, card_back, blank, key_slip)",
			    name ? name : "?");
			return;
		}
		summary += b == BLK_SUMMARY;
		codes_n += b == BLK_CODES || b == BLK_CARD_BACK;
		l->pages[l->n_pages++] = b;
	}
	int slips = 0;
	for (int i = 0; i < l->n_pages; i++)
		slips += l->pages[i] == BLK_KEY_SLIP;
	if (l->kind == KIND_SLIP) {
		if (l->n_pages != 1 || slips != 1)
			bad(p, "pages", "a slip has one page: [\"key_slip\"]");
	} else if (slips) {
		bad(p, "pages", "key_slip is the page of a slip layout (\"kind\": \"slip\")");
	} else if (summary > 1 || codes_n != 1) {
		bad(p, "pages", "must hold one block of codes (codes or card_back) and at most one summary");
	}
	l->page_multiple = (int)num(p, root, "", "page_multiple", 1, 64, 1);
	const char *fill = str(p, root, "", "fill", "blank");
	if ((l->fill = block_of(fill)) < 0 || l->fill == BLK_SUMMARY || l->fill == BLK_CODES || l->fill == BLK_CARD_BACK ||
	    l->fill == BLK_KEY_SLIP)
		bad(p, "fill", "'%s' cannot fill pages (followup, extra_lab or blank can)", fill);
}

static void parse_sheet(struct parse *p, const json_t *root, struct phr_layout *l, const char *dir)
{
	static const char *const sheet_keys[] = { "width_mm", "height_mm", NULL };
	static const char *const mark_keys[] = { "offset_mm", "length_mm", "line_pt", NULL };
	const json_t *sheet = object(p, root, "sheet", true), *marks = object(p, root, "marks", false);
	if (p->rc)
		return;
	only(p, sheet, "sheet", sheet_keys);
	if (marks)
		only(p, marks, "marks", mark_keys);
	const char *imp = str(p, root, "", "imposition", NULL);
	if (!p->rc && strcmp(imp, "saddle-stitch"))
		bad(p, "imposition", "'%s' is not known (saddle-stitch is)", imp);
	l->sheet_w = num(p, sheet, "sheet", "width_mm", 50, 2000, -1) * PT_PER_MM;
	l->sheet_h = num(p, sheet, "sheet", "height_mm", 50, 2000, -1) * PT_PER_MM;
	l->rows = (int)num(p, root, "", "rows", 1, 8, 2);
	l->scale = num(p, root, "", "scale", 0.25, 1, -1);
	l->row_gap = num(p, root, "", "row_gap_mm", 0, 200, 10) * PT_PER_MM;
	l->mark_offset = num(p, marks, "marks", "offset_mm", 0, 20, 1) * PT_PER_MM;
	l->mark_length = num(p, marks, "marks", "length_mm", 1, 30, 4) * PT_PER_MM;
	l->mark_line = num(p, marks, "marks", "line_pt", 0.05, 3, 0.3);
	const char *imposes = str(p, root, "", "imposes", NULL);
	if (p->rc)
		return;
	/* A file name is taken beside the sheet's own file. */
	char path[4096];
	size_t n = strlen(imposes);
	if (dir && !strchr(imposes, '/') && n > 5 && !strcmp(imposes + n - 5, ".json"))
		snprintf(path, sizeof(path), "%s/%s", dir, imposes);
	else
		snprintf(path, sizeof(path), "%s", imposes);
	int rc = phr_layout_load(path, &l->imposed);
	if (rc) {
		p->rc = rc;
		return;
	}
	if (l->imposed->kind != KIND_BOOKLET) {
		bad(p, "imposes", "'%s' is a %s, not a booklet", imposes, phr_layout_kind(l->imposed));
		return;
	}
	l->imposed->imposed_rows = l->rows;
	const struct phr_layout *b = l->imposed;
	double need_w = 2 * b->width * l->scale, need_h = l->rows * b->height * l->scale + (l->rows - 1) * l->row_gap;
	if (need_w > l->sheet_w || need_h > l->sheet_h)
		bad(p, "scale", "%g puts %d spreads of %s (%.0f x %.0f mm) on %.0f x %.0f mm: they do not fit", l->scale,
		    l->rows, b->name, need_w / PT_PER_MM, need_h / PT_PER_MM, l->sheet_w / PT_PER_MM,
		    l->sheet_h / PT_PER_MM);
	if (l->rows > 1 && l->row_gap < 2 * b->bleed * l->scale)
		bad(p, "row_gap_mm", "must leave room for the bleed of two spreads (%.1f mm)",
		    2 * b->bleed * l->scale / PT_PER_MM);
	l->family = strdup(b->family);
	if (!l->family && !p->rc)
		p->rc = phr_fail(PHR_E_NOMEM, "out of memory");
}

static int parse_in(const char *json, size_t len, const char *origin, const char *dir, struct phr_layout **out)
{
	static const char *const booklet_keys[] = { "format", "name", "description", "kind", "page", "margins_mm",
		"fonts", "colours", "codes", "summary", "forms", "pages", "page_multiple", "fill", NULL };
	static const char *const slip_keys[] = { "format", "name", "description", "kind", "page", "margins_mm", "fonts",
		"colours", "codes", "pages", NULL };
	static const char *const sheet_keys[] = { "format", "name", "description", "kind", "imposes", "sheet",
		"imposition", "rows", "scale", "row_gap_mm", "marks", NULL };
	struct parse p = { origin, PHR_OK };
	json_error_t err;
	*out = NULL;
	if (len > PHR_LAYOUT_MAX_FILE)
		return phr_fail(PHR_E_LIMIT, "layout %s: larger than %d bytes", origin, PHR_LAYOUT_MAX_FILE);
	json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &err);
	if (!root)
		return phr_fail(PHR_E_MALFORMED, "layout %s: line %d, column %d: %s", origin, err.line, err.column,
				err.text);
	struct phr_layout *l = calloc(1, sizeof(*l));
	if (!l) {
		json_decref(root);
		return phr_fail(PHR_E_NOMEM, "out of memory");
	}
	if (!json_is_object(root)) {
		bad(&p, "the file", "must be a JSON object");
		goto out;
	}
	if (num(&p, root, "", "format", 1, 1000, -1) != LAYOUT_FORMAT && !p.rc)
		bad(&p, "format", "this phr reads layout format %d", LAYOUT_FORMAT);
	const char *name = str(&p, root, "", "name", NULL);
	const char *kind = str(&p, root, "", "kind", NULL);
	str(&p, root, "", "description", "");
	if (p.rc)
		goto out;
	if (strlen(name) >= sizeof(l->name) || strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789-_.") != strlen(name)) {
		bad(&p, "name", "'%s' must be at most %zu lowercase letters, digits, '-', '_' or '.'", name,
		    sizeof(l->name) - 1);
		goto out;
	}
	snprintf(l->name, sizeof(l->name), "%s", name);
	if (!strcmp(kind, "slip")) {
		l->kind = KIND_SLIP;
		only(&p, root, "", slip_keys);
		parse_page(&p, root, l);
	} else if (!strcmp(kind, "booklet") || !strcmp(kind, "card")) {
		l->kind = !strcmp(kind, "card") ? KIND_CARD : KIND_BOOKLET;
		only(&p, root, "", booklet_keys);
		parse_page(&p, root, l);
	} else if (!strcmp(kind, "sheet")) {
		l->kind = KIND_SHEET;
		only(&p, root, "", sheet_keys);
		if (!p.rc)
			parse_sheet(&p, root, l, dir);
	} else {
		bad(&p, "kind", "'%s' is not booklet, card, sheet or slip", kind);
	}
out:
	json_decref(root);
	if (p.rc) {
		phr_layout_destroy(l);
		return p.rc;
	}
	*out = l;
	return PHR_OK;
}

int phr_layout_parse(const char *json, size_t len, const char *origin, struct phr_layout **out)
{
	return parse_in(json, len, origin, NULL, out);
}

void phr_layout_destroy(struct phr_layout *l)
{
	if (!l)
		return;
	phr_layout_destroy(l->imposed);
	free(l->family);
	free(l);
}

const char *phr_layout_name(const struct phr_layout *l)
{
	return l->name;
}

const char *phr_layout_kind(const struct phr_layout *l)
{
	return l->kind == KIND_SHEET ? "sheet" : l->kind == KIND_CARD ? "card" : l->kind == KIND_SLIP ? "slip" : "booklet";
}

const char *phr_layout_font_family(const struct phr_layout *l)
{
	return l->family;
}

size_t phr_layout_builtin_count(void)
{
	return sizeof(phr_layouts_builtin_table) / sizeof(phr_layouts_builtin_table[0]);
}

const char *phr_layout_builtin_name(size_t i)
{
	return i < phr_layout_builtin_count() ? phr_layouts_builtin_table[i].name : NULL;
}

/* Reads a layout file (bounded) and parses it. PHR_E_NOT_FOUND when it does
 * not exist. */
static int load_file(const char *path, struct phr_layout **out)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return phr_fail(errno == ENOENT ? PHR_E_NOT_FOUND : PHR_E_IO, "layout %s: %s", path, strerror(errno));
	char *buf = malloc(PHR_LAYOUT_MAX_FILE + 1);
	size_t n = buf ? fread(buf, 1, PHR_LAYOUT_MAX_FILE + 1, f) : 0;
	int err = ferror(f);
	fclose(f);
	if (!buf)
		return phr_fail(PHR_E_NOMEM, "out of memory");
	if (err) {
		free(buf);
		return phr_fail(PHR_E_IO, "layout %s: cannot read it", path);
	}
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	else
		snprintf(dir, sizeof(dir), ".");
	int rc = parse_in(buf, n, path, dir, out);
	free(buf);
	return rc;
}

int phr_layout_load(const char *name, struct phr_layout **out)
{
	size_t n = strlen(name);
	*out = NULL;
	if (strchr(name, '/') || (n > 5 && !strcmp(name + n - 5, ".json")))
		return load_file(name, out);
	if (!n || n > 63 || strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789-_.") != n || name[0] == '.')
		return phr_fail(PHR_E_ARG, "'%s' is not a layout name", name);
	const char *env = getenv(PHR_LAYOUT_PATH_ENV);
	if (env && *env) {
		char *dirs = strdup(env), *save = NULL;
		if (!dirs)
			return phr_fail(PHR_E_NOMEM, "out of memory");
		for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
			char path[4096];
			snprintf(path, sizeof(path), "%s/%s.json", d, name);
			int rc = load_file(path, out);
			if (rc != PHR_E_NOT_FOUND) {
				free(dirs);
				return rc;
			}
		}
		free(dirs);
	}
	for (size_t i = 0; i < phr_layout_builtin_count(); i++)
		if (!strcmp(phr_layouts_builtin_table[i].name, name)) {
			char origin[MAX_ORIGIN];
			snprintf(origin, sizeof(origin), "%s (built in)", name);
			return parse_in((const char *)phr_layouts_builtin_table[i].data, *phr_layouts_builtin_table[i].len_p, origin, NULL,
					out);
		}
	char list[400] = "";
	for (size_t i = 0; i < phr_layout_builtin_count(); i++) {
		size_t l = strlen(list);
		snprintf(list + l, sizeof(list) - l, "%s%s", i ? ", " : "", phr_layouts_builtin_table[i].name);
	}
	return phr_fail(PHR_E_NOT_FOUND, "no layout named '%s' (built in: %s%s)", name, list,
			env && *env ? "; nor in " PHR_LAYOUT_PATH_ENV : "");
}
