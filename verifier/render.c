/* Text and JSON views of a record and its verification report. */
#include "phr/render.h"
#include "phr/json.h"
#include "phr/labels.h"
#include "phr/print.h"
#include "phr/schema.h"
#include "phr/seal.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define ID_MAX 160
#define PATH_MAX_LEN 120
#define CLEAN_CHUNK 120 /* input bytes put_clean() sanitizes at a time */
#define UNIT_CODE_MAX 20 /* a UCUM code as the schema takes it: 1-20 printable ASCII characters */
#define UNIT_TEXT_MAX 160 /* a unit: a label of layouts/po, or a code's print form */
#define UNIT_SHOWN_MAX (2 * UNIT_TEXT_MAX + 8) /* with NBSP for its spaces, NBSP and LRM before it */
#define NUMBER_MAX 48     /* a decimal as shown: 9 significant digits, 6 decimals, a sign */
#define NBSP "\u00a0"     /* between a number and its unit: never broken across lines */
#define LRM "\u200e"      /* before a Latin unit in a right-to-left line: "°C" stays "°C" */

const char *phr_status_label_id(int s)
{
	static const char *const ids[PHR_ST_COUNT] = { "ui.status.valid", "ui.status.bad_signature",
		"ui.status.unknown_signer", "ui.status.revoked", "ui.status.cert_validity", "ui.status.chain_broken",
		"ui.status.malformed", "ui.status.not_checked", "ui.status.signed_in_future" };
	return (s >= 0 && s < PHR_ST_COUNT) ? ids[s] : "ui.unknown";
}

void phr_format_time(uint64_t t, char out[21])
{
	int y, m, d;
	if (t > 253402300799u) /* 9999-12-31T23:59:59Z */
		t = 253402300799u;
	int64_t days = (int64_t)(t / 86400);
	uint64_t rem = t % 86400;
	phr_civil_from_days(days + phr_days_from_civil(1970, 1, 1), &y, &m, &d);
	snprintf(out, 21, "%04d-%02d-%02dT%02u:%02u:%02uZ", (y % 10000 + 10000) % 10000, (m % 100 + 100) % 100,
		 (d % 100 + 100) % 100, (unsigned)(rem / 3600) % 24u, (unsigned)(rem / 60 % 60), (unsigned)(rem % 60));
}

void phr_record_id_hex(const uint8_t id[PHR_RECORD_ID_LEN], char out[33])
{
	static const char hx[] = "0123456789abcdef";
	for (size_t i = 0; i < PHR_RECORD_ID_LEN; i++) {
		out[2 * i] = hx[id[i] >> 4];
		out[2 * i + 1] = hx[id[i] & 15];
	}
	out[32] = '\0';
}

/* Replaces each "%d" in tmpl by the next of vals. Labels come from data, so
 * they are never used as printf formats. */
static void fill(char *out, size_t cap, const char *tmpl, const long *vals, size_t nvals)
{
	size_t o = 0, v = 0;
	for (const char *p = tmpl; *p && o + 1 < cap; p++) {
		if (p[0] == '%' && p[1] == 'd') {
			int n = snprintf(out + o, cap - o, "%ld", v < nvals ? vals[v] : 0L);
			v++;
			p++;
			if (n < 0)
				break;
			o += (size_t)n < cap - o ? (size_t)n : cap - o - 1;
		} else {
			out[o++] = *p;
		}
	}
	out[o] = '\0';
}

static const char *L(const char *lang, const char *id, const char *fallback)
{
	return phr_label_or(lang, id, fallback);
}

/* ---- Units and numbers as people write them ---- */

/* A bounded output string: a piece goes in whole or not at all, so a cut
 * never falls inside a character. */
struct obuf {
	char *p;
	size_t cap, len;
};

static void ob_put(struct obuf *o, const char *s, size_t n)
{
	if (o->len + n + 1 > o->cap)
		return;
	memcpy(o->p + o->len, s, n);
	o->len += n;
	o->p[o->len] = '\0';
}

static void ob_puts(struct obuf *o, const char *s)
{
	ob_put(o, s, strlen(s));
}

/* UCUM atoms whose print symbol is not the code (UCUM's printSymbol, as a
 * clinic writes it): matched where a unit term starts. */
static const struct {
	const char *code, *print;
} ucum_atoms[] = {
	{ "Cel", "\u00b0C" },      { "[degF]", "\u00b0F" },   { "[Hg]", "Hg" },   { "[H2O]", "H\u2082O" },
	{ "[IU]", "IU" },          { "[iU]", "IU" },          { "[pH]", "pH" },   { "[in_i]", "in" },
	{ "[ft_i]", "ft" },        { "[lb_av]", "lb" },       { "[oz_av]", "oz" }, { "[arb'U]", "arb. U" },
	{ "[ppm]", "ppm" },        { "[ppb]", "ppb" },        { "[drp]", "drops" },
};

static bool ucum_letter(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* A UCUM exponent (a run of digits, with a sign) in superscript digits. */
static size_t put_exponent(struct obuf *o, const char *s, size_t n)
{
	static const char *const sup[10] = { "\u2070", "\u00b9", "\u00b2", "\u00b3", "\u2074",
					     "\u2075", "\u2076", "\u2077", "\u2078", "\u2079" };
	size_t i = 0;
	if (i < n && (s[i] == '-' || s[i] == '+') && i + 1 < n && s[i + 1] >= '0' && s[i + 1] <= '9')
		ob_puts(o, s[i++] == '-' ? "\u207b" : "\u207a");
	for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
		ob_puts(o, sup[s[i] - '0']);
	return i;
}

/* The print form of any UCUM code ("Cel" → "°C", "mm[Hg]" → "mmHg",
 * "10*9/L" → "10⁹/L", "kg/m2" → "kg/m²", "umol/L" → "µmol/L",
 * "{copies}/mL" → "copies/mL", "mg.kg-1" → "mg·kg⁻¹", "{score}" → ""):
 * the same in every language. s is printable ASCII, at most UNIT_CODE_MAX
 * bytes. */
static void ucum_print(const char *s, size_t n, struct obuf *o)
{
	bool term = true; /* at the start of a unit term */
	if (s[0] == '{' && memchr(s, '}', n) == s + n - 1)
		return; /* "{score}": unity with a note, the number stands alone */
	for (size_t i = 0; i < n;) {
		size_t hit = 0;
		for (size_t a = 0; term && !hit && a < sizeof(ucum_atoms) / sizeof(ucum_atoms[0]); a++) {
			size_t k = strlen(ucum_atoms[a].code);
			if (k <= n - i && memcmp(s + i, ucum_atoms[a].code, k) == 0 &&
			    (ucum_atoms[a].code[0] == '[' || i + k == n || !ucum_letter(s[i + k]))) {
				ob_puts(o, ucum_atoms[a].print);
				hit = k;
			}
		}
		/* mm[Hg], cm[H2O]: a prefixed bracket atom */
		for (size_t a = 0; !hit && s[i] == '[' && a < sizeof(ucum_atoms) / sizeof(ucum_atoms[0]); a++) {
			size_t k = strlen(ucum_atoms[a].code);
			if (ucum_atoms[a].code[0] == '[' && k <= n - i && memcmp(s + i, ucum_atoms[a].code, k) == 0) {
				ob_puts(o, ucum_atoms[a].print);
				hit = k;
			}
		}
		if (hit) {
			i += hit;
			term = false;
			continue;
		}
		char c = s[i];
		if (c == '{' || c == '[') {
			/* an annotation or another bracketed atom: its text */
			char close = c == '{' ? '}' : ']';
			size_t j = i + 1;
			for (; j < n && s[j] != close; j++)
				ob_put(o, s[j] == '_' ? " " : s + j, 1);
			i = j < n ? j + 1 : j;
			term = false;
		} else if (term && c == 'u' && i + 1 < n && ucum_letter(s[i + 1])) {
			ob_puts(o, "\u00b5"); /* the micro prefix */
			i++;
			term = false;
		} else if (term && n - i > 3 && s[i] == '1' && s[i + 1] == '0' && (s[i + 2] == '*' || s[i + 2] == '^')) {
			ob_puts(o, "10");
			size_t k = put_exponent(o, s + i + 3, n - i - 3);
			if (!k)
				ob_put(o, s + i + 2, 1);
			i += 3 + k;
			term = false;
		} else if (!term && ((c >= '0' && c <= '9') || c == '-' || c == '+') && i > 0 &&
			   (ucum_letter(s[i - 1]) || s[i - 1] == ']' || s[i - 1] == '}')) {
			size_t k = put_exponent(o, s + i, n - i);
			if (!k)
				ob_put(o, s + i, 1), k = 1;
			i += k;
		} else if (c == '.') {
			ob_puts(o, "\u00b7");
			i++;
			term = true;
		} else {
			ob_put(o, s + i, 1);
			i++;
			term = c == '/' || c == '(';
		}
	}
}

const char *phr_unit_text(const char *lang, const char *ucum, char *out, size_t cap)
{
	if (!out || !cap)
		return out;
	out[0] = '\0';
	size_t n = ucum ? strlen(ucum) : 0;
	bool code = n >= 1 && n <= UNIT_CODE_MAX;
	for (size_t i = 0; code && i < n; i++)
		code = ucum[i] > 0x20 && ucum[i] < 0x7f;
	if (!code) { /* not a unit the schema takes: as it is, sanitized */
		if (n)
			phr_text_sanitize(out, cap, ucum, n);
		return out;
	}
	char id[ID_MAX];
	snprintf(id, sizeof(id), "unit.%s", ucum);
	const char *label = L(lang, id, NULL);
	if (label) {
		phr_text_sanitize(out, cap, label, strlen(label));
	} else {
		struct obuf o = { out, cap, 0 };
		ucum_print(ucum, n, &o);
	}
	return out;
}

/* A letter of a right-to-left script (Hebrew, Arabic, Syriac, Thaana, NKo,
 * and their presentation forms). */
static bool has_rtl_letter(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		unsigned cp;
		if (((p[0] == 0xd6 && p[1] >= 0x90) || (p[0] >= 0xd7 && p[0] <= 0xdf)) && (p[1] & 0xc0) == 0x80)
			return true; /* U+0590..U+07FF */
		if (p[0] == 0xe0 && p[1] >= 0xa0 && p[1] <= 0xa3)
			return true; /* U+0800..U+08FF */
		if (p[0] == 0xef && p[1] && p[2]) {
			cp = (unsigned)(p[1] & 0x3f) << 6 | (p[2] & 0x3fu);
			cp |= 0xf000;
			if ((cp >= 0xfb1d && cp <= 0xfdff) || (cp >= 0xfe70 && cp <= 0xfefc))
				return true;
		}
	}
	return false;
}

/* The unit of a value in lang, after the number when after_number: a
 * no-break space between them ("36.8 °C", "120 mmHg"), none before a unit
 * that starts with a slash ("72/min"). In a right-to-left language a unit
 * in Latin letters is preceded by LRM, so that the bidi algorithm keeps
 * "°C" or "10⁹/L" in its own order beside the number. */
static void unit_text(const char *lang, const char *ucum, bool after_number, char *out, size_t cap)
{
	char u[UNIT_TEXT_MAX];
	struct obuf o = { out, cap, 0 };
	out[0] = '\0';
	if (!*phr_unit_text(lang, ucum, u, sizeof(u)))
		return;
	if (after_number && u[0] != '/')
		ob_puts(&o, NBSP);
	if (phr_lang_is_rtl(lang) && !has_rtl_letter(u))
		ob_puts(&o, LRM);
	for (const char *p = u; *p; p++) /* one unit, never broken: "мм рт. ст." */
		if (*p == ' ')
			ob_puts(&o, NBSP);
		else
			ob_put(&o, p, 1);
}

/* A decimal in lang: the shortest of 0-9 decimals that gives the value
 * back, never in exponent form, with the language's decimal separator
 * (ui.decimal_separator: "36.8", "36,8"). */
static void decimal_text(const char *lang, const json_t *v, char *out, size_t cap)
{
	char num[NUMBER_MAX];
	if (json_is_integer(v)) {
		snprintf(out, cap, "%lld", (long long)json_integer_value(v));
		return;
	}
	double x = json_number_value(v);
	if (x != x || x > 1e15 || x < -1e15) {
		snprintf(out, cap, "?");
		return;
	}
	for (int d = 0; d <= 9; d++) {
		snprintf(num, sizeof(num), "%.*f", d, x);
		if (strtod(num, NULL) == x)
			break;
	}
	const char *sep = L(lang, "ui.decimal_separator", ".");
	struct obuf o = { out, cap, 0 };
	out[0] = '\0';
	for (const char *p = num; *p; p++) {
		if (*p == '.')
			ob_puts(&o, sep);
		else
			ob_put(&o, p, 1);
	}
}

/* Nothing from a record, a certificate or a trust bundle reaches a reader
 * with a control or bidi formatting character in it, whatever the schema
 * let through: the text view and the printable view show each one as
 * U+FFFD (phr_text_sanitize). */
static const char *shown(char *buf, size_t cap, const char *s)
{
	phr_text_sanitize(buf, cap, s, strlen(s));
	return buf;
}

/* Writes s to out sanitized, CLEAN_CHUNK bytes at a time, each piece cut
 * before a character, not inside one. */
static void put_clean(FILE *out, const char *s)
{
	char buf[3 * CLEAN_CHUNK + 1];
	size_t n = strlen(s);
	for (size_t i = 0; i < n;) {
		size_t m = n - i < CLEAN_CHUNK ? n - i : CLEAN_CHUNK;
		for (int back = 0; back < 3 && i + m < n && m > 1 && ((unsigned char)s[i + m] & 0xc0) == 0x80; back++)
			m--;
		phr_text_sanitize(buf, sizeof(buf), s + i, m);
		fputs(buf, out);
		i += m;
	}
}

/* A growing string: the value of one line, built once and handed to the
 * text renderer or to the printable view. */
struct sbuf {
	char *p;
	size_t len, cap;
	bool failed;
};

static void sb_put(struct sbuf *b, const char *s, size_t n)
{
	if (b->failed)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (!p) {
			b->failed = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void sb_puts(struct sbuf *b, const char *s)
{
	sb_put(b, s, strlen(s));
}

__attribute__((format(printf, 2, 3))) static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	char small[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->failed = true;
	} else if ((size_t)n < sizeof(small)) {
		sb_put(b, small, (size_t)n);
	} else {
		char *big = malloc((size_t)n + 1);
		if (!big) {
			b->failed = true;
			return;
		}
		va_start(ap, fmt);
		vsnprintf(big, (size_t)n + 1, fmt, ap);
		va_end(ap);
		sb_put(b, big, (size_t)n);
		free(big);
	}
}

static void sb_reset(struct sbuf *b)
{
	b->len = 0;
	if (b->p)
		b->p[0] = '\0';
}

static const char *sb_str(const struct sbuf *b)
{
	return b->p && !b->failed ? b->p : "";
}

/* One document reference (docs/RECORD.md, "documents"):
 * "Title (type, media type, N bytes)"; its hash is in the JSON view. */
static void document_text(const json_t *v, const char *lang, struct sbuf *out)
{
	char id[ID_MAX];
	const char *type = json_string_value(json_object_get(v, "type"));
	snprintf(id, sizeof(id), "enum.documents.type.%s", type ? type : "");
	sb_printf(out, "%s (%s, %s, %lld %s)", json_string_value(json_object_get(v, "title")), L(lang, id, type),
		  json_string_value(json_object_get(v, "media_type")),
		  (long long)json_integer_value(json_object_get(v, "size")), L(lang, "ui.bytes", "bytes"));
}

/* The text of one value in lang. codes: a coded term is followed by its
 * code ("Hypertension [icd11:BA00]", for clinics); otherwise it is shown
 * by its label alone (the holder's column), and by its code only when the
 * local table has no label for it. */
static void value_text(const struct phr_field *f, const json_t *v, const char *path, const char *lang, bool codes,
		       struct sbuf *out)
{
	char id[ID_MAX];
	switch (f->type) {
	case PHR_T_BOOL:
		sb_puts(out, L(lang, json_is_true(v) ? "ui.yes" : "ui.no", json_is_true(v) ? "yes" : "no"));
		break;
	case PHR_T_ENUM:
		snprintf(id, sizeof(id), "enum.%s.%s", path, json_string_value(v));
		sb_puts(out, L(lang, id, json_string_value(v)));
		break;
	case PHR_T_CODE: {
		const char *s = json_string_value(v);
		const char *colon = strchr(s, ':');
		snprintf(id, sizeof(id), "code.%.*s.%s", (int)(colon - s), s, colon + 1);
		const char *label = L(lang, id, NULL);
		if (label && codes)
			sb_printf(out, "%s [%s]", label, s);
		else if (label)
			sb_puts(out, label);
		else
			sb_printf(out, "%s (%s)", s, L(lang, "ui.unknown_code", "code not in the local table"));
		break;
	}
	case PHR_T_COUNTRY:
		snprintf(id, sizeof(id), "country.%s", json_string_value(v));
		sb_puts(out, L(lang, id, json_string_value(v)));
		break;
	case PHR_T_LANG:
		snprintf(id, sizeof(id), "lang.%s", json_string_value(v));
		sb_puts(out, L(lang, id, json_string_value(v)));
		break;
	case PHR_T_INT:
		sb_printf(out, "%lld", (long long)json_integer_value(v));
		break;
	case PHR_T_DECIMAL: {
		char num[NUMBER_MAX];
		decimal_text(lang, v, num, sizeof(num));
		sb_puts(out, num);
		break;
	}
	case PHR_T_UNIT: {
		char u[UNIT_SHOWN_MAX];
		unit_text(lang, json_string_value(v), false, u, sizeof(u));
		sb_puts(out, u);
		break;
	}
	case PHR_T_OBJECT: {
		/* inline: "label: value; label: value" */
		int first = 1;
		if (!strcmp(path, "documents")) {
			document_text(v, lang, out);
			break;
		}
		const json_t *unit = json_object_get(v, "unit");
		for (const struct phr_field *c = f->children; c->name; c++) {
			const json_t *cv = json_object_get(v, c->name);
			if (!cv || (c->type == PHR_T_UNIT && json_object_get(v, "value")))
				continue; /* printed with its value */
			char cpath[PATH_MAX_LEN], cid[ID_MAX];
			snprintf(cpath, sizeof(cpath), "%s.%s", path, c->name);
			snprintf(cid, sizeof(cid), "field.%s", cpath);
			if (!first)
				sb_puts(out, "; ");
			if (!first || (c->type != PHR_T_CODE && c->type != PHR_T_TEXT))
				sb_printf(out, "%s: ", L(lang, cid, c->name));
			value_text(c, cv, cpath, lang, codes, out);
			if (c->type == PHR_T_DECIMAL && unit) {
				char u[UNIT_SHOWN_MAX];
				unit_text(lang, json_string_value(unit), true, u, sizeof(u));
				sb_puts(out, u);
			}
			first = 0;
		}
		break;
	}
	case PHR_T_ARRAY: {
		for (size_t i = 0; i < json_array_size(v); i++) {
			if (i)
				sb_puts(out, ", ");
			value_text(&f->children[0], json_array_get(v, i), path, lang, codes, out);
		}
		break;
	}
	default: /* text, date */
		sb_puts(out, json_string_value(v));
		break;
	}
}

/* The walk over an entry's content that every view shares: one call of
 * emit per line, in reading order. SECTION lines carry a label (an object,
 * or a list of objects whose items follow as ITEM lines one level deeper);
 * FIELD lines a label and a value; ITEM lines a value. value has the codes
 * of coded terms; plain (when the walker's holder is set, else value
 * again) is the same without them, for the holder's column. */
enum walk_kind { WALK_SECTION, WALK_FIELD, WALK_ITEM };
struct walker {
	const char *lang;
	int (*emit)(void *ctx, int kind, int depth, const char *label, const char *value, const char *plain);
	void *ctx;
	bool holder;
	struct sbuf val, plain;
};

/* w->val and w->plain: the text of v with codes and without. */
static int walk_value(struct walker *w, const struct phr_field *f, const json_t *v, const char *path)
{
	sb_reset(&w->val);
	value_text(f, v, path, w->lang, true, &w->val);
	if (w->holder) {
		sb_reset(&w->plain);
		value_text(f, v, path, w->lang, false, &w->plain);
	}
	if (w->val.failed || w->plain.failed)
		return phr_fail(PHR_E_NOMEM, "out of memory");
	return PHR_OK;
}

static int walk_field(struct walker *w, const struct phr_field *f, const json_t *v, const char *path, int depth)
{
	char id[ID_MAX];
	int rc;
	snprintf(id, sizeof(id), "field.%s", path);
	const char *label = L(w->lang, id, f->name);
	if (f->type == PHR_T_OBJECT) {
		if ((rc = w->emit(w->ctx, WALK_SECTION, depth, label, "", "")))
			return rc;
		for (const struct phr_field *c = f->children; c->name; c++) {
			const json_t *cv = json_object_get(v, c->name);
			if (!cv)
				continue;
			char cpath[PATH_MAX_LEN];
			snprintf(cpath, sizeof(cpath), "%s.%s", path, c->name);
			if ((rc = walk_field(w, c, cv, cpath, depth + 1)))
				return rc;
		}
	} else if (!strcmp(path, "documents")) {
		/* one line each: "Document: Title (type, media type, N bytes)" */
		const char *one = L(w->lang, "ui.document", "Document");
		for (size_t i = 0; i < json_array_size(v); i++) {
			if ((rc = walk_value(w, &f->children[0], json_array_get(v, i), path)) ||
			    (rc = w->emit(w->ctx, WALK_FIELD, depth, one, sb_str(&w->val),
					  w->holder ? sb_str(&w->plain) : sb_str(&w->val))))
				return rc;
		}
	} else if (f->type == PHR_T_ARRAY && f->children[0].type == PHR_T_OBJECT) {
		if ((rc = w->emit(w->ctx, WALK_SECTION, depth, label, "", "")))
			return rc;
		for (size_t i = 0; i < json_array_size(v); i++) {
			if ((rc = walk_value(w, &f->children[0], json_array_get(v, i), path)) ||
			    (rc = w->emit(w->ctx, WALK_ITEM, depth + 1, "", sb_str(&w->val),
					  w->holder ? sb_str(&w->plain) : sb_str(&w->val))))
				return rc;
		}
	} else {
		if ((rc = walk_value(w, f, v, path)) ||
		    (rc = w->emit(w->ctx, WALK_FIELD, depth, label, sb_str(&w->val),
				  w->holder ? sb_str(&w->plain) : sb_str(&w->val))))
			return rc;
	}
	return PHR_OK;
}

static int walk_content(struct walker *w, const json_t *content)
{
	int rc = PHR_OK;
	const struct phr_field *root = phr_schema_root();
	for (const struct phr_field *c = root->children; c->name && !rc; c++) {
		const json_t *cv = json_object_get(content, c->name);
		if (cv)
			rc = walk_field(w, c, cv, c->name, 0);
	}
	return rc;
}

/* Entry i's content as JSON, or NULL when it cannot be read (its status
 * says why). */
static json_t *entry_content(const struct phr_record *r, size_t i)
{
	json_t *content = NULL;
	if (!r->entries[i].content ||
	    phr_entry_decode_json(r->entries[i].content, r->entries[i].content_len, &content) != PHR_OK)
		return NULL;
	return content;
}

static int text_line(void *ctx, int kind, int depth, const char *label, const char *value, const char *plain)
{
	FILE *out = ctx;
	(void)plain; /* phr show is the clinic's view: codes kept */
	int indent = 2 * depth + 2;
	fprintf(out, "%*s%s", indent, "", kind == WALK_ITEM ? "- " : "");
	put_clean(out, kind == WALK_ITEM ? value : label);
	if (kind == WALK_FIELD) {
		fputs(": ", out);
		put_clean(out, value);
	}
	fputc('\n', out);
	return PHR_OK;
}

/* One entry of phr show: heading, status, signer, sealed sections, content. */
static int text_entry(FILE *out, const char *lang, struct walker *w, const struct phr_entry *en,
		      const struct phr_entry_report *e, const char *line_in)
{
	char kid[PHR_KID_HEX_LEN], when[21], line[256];
	char detail[3 * sizeof(e->detail)], clinic[3 * sizeof(e->clinic)], country[12];
	snprintf(line, sizeof(line), "%s", line_in);
	fprintf(out, "\n== %s: %s ==\n", line, L(lang, phr_status_label_id(e->status), phr_status_name(e->status)));
	if (e->status != PHR_ST_VALID)
		fprintf(out, "   !! %s: %s\n", L(lang, "ui.unverified_entry", "Unverified entry"),
			shown(detail, sizeof(detail), e->detail));
	if (e->warnings & PHR_WARN_SIGNED_BEFORE_PREVIOUS)
		fprintf(out, "   ! %s\n", L(lang, "ui.warning.signed_before_previous",
				      "Dated before the previous entry (a clinic's clock may be wrong)"));
	phr_kid_to_hex(e->kid, kid);
	phr_format_time(e->signed_at, when);
	if (e->have_signer)
		fprintf(out, "   %s: %s (%s), %s, %s %s\n", L(lang, "ui.signed_by", "Signed by"),
			shown(clinic, sizeof(clinic), e->clinic),
			L(lang, (snprintf(line, sizeof(line), "country.%s", e->country), line),
			  shown(country, sizeof(country), e->country)),
			when, L(lang, "ui.key_id", "Key ID"), kid);
	else
		fprintf(out, "   %s: %s %s, %s\n", L(lang, "ui.signed_by", "Signed by"), L(lang, "ui.key_id", "Key ID"),
			kid, when);
	const char *sealed = L(lang, "ui.sealed", "Sealed sections");
	size_t note_at = 0;
	int note = en->sealed && en->seal_state == 1 ? phr_seal_note(en->seal_why, &note_at) : PHR_SEAL_NOTE_NONE;
	if (note != PHR_SEAL_NOTE_NONE) { /* re-keying notes, in the reader's language */
		char resealed[200] = "";
		long at = (long)note_at;
		const char *rekeying = note == PHR_SEAL_NOTE_RESEALED ? "" :
				       L(lang, "ui.sealed.rekeying", PHR_SEAL_NOTE_REKEYING_TEXT);
		if (note != PHR_SEAL_NOTE_REKEYING)
			fill(resealed, sizeof(resealed), L(lang, "ui.sealed.resealed", "re-sealed at entry %d"), &at, 1);
		bool both = rekeying[0] && resealed[0];
		fprintf(out, "   %s: %u (%s: %s%s%s%s)\n", sealed, en->sealed_sections,
			L(lang, "ui.sealed.opened", "opened with the holder key"), rekeying, both ? " (" : "", resealed,
			both ? ")" : "");
	} else
	if (en->sealed && en->seal_state == 1 && en->seal_why[0]) /* re-keying: the detail stays English */
		fprintf(out, "   %s: %u (%s: %s)\n", sealed, en->sealed_sections,
			L(lang, "ui.sealed.opened", "opened with the holder key"),
			shown(detail, sizeof(detail), en->seal_why));
	else if (en->sealed && en->seal_state == 1)
		fprintf(out, "   %s: %u (%s)\n", sealed, en->sealed_sections,
			L(lang, "ui.sealed.opened", "opened with the holder key"));
	else if (en->sealed && en->seal_state) /* the reason stays English, like every detail */
		fprintf(out, "   !! %s: %u, %s: %s\n", sealed, en->sealed_sections,
			L(lang, "ui.sealed.not_opened", "NOT OPENED"), shown(detail, sizeof(detail), en->seal_why));
	else if (en->sealed)
		fprintf(out, "   %s: %u (%s)\n", sealed, en->sealed_sections,
			L(lang, "ui.sealed.closed", "the holder key opens them"));
	json_t *content = NULL;
	if (!en->content || phr_entry_decode_json(en->content, en->content_len, &content) != PHR_OK)
		return PHR_OK;
	int rc = walk_content(w, content);
	json_decref(content);
	return rc;
}

int phr_render_text(const struct phr_record *r, const struct phr_report *rep, const char *lang, FILE *out)
{
	char hex[33], kid[PHR_KID_HEX_LEN], when[21], line[256];
	char clinic[3 * sizeof(rep->entries[0].clinic)], country[12];
	struct walker w = { .lang = lang, .emit = text_line, .ctx = out };
	int rc = PHR_OK;
	phr_record_id_hex(r->id, hex);
	fprintf(out, "%s\n%s: %.4s %.4s %.4s %.4s %.4s %.4s %.4s %.4s\n", L(lang, "ui.title", "Personal Health Record"),
		L(lang, "ui.record_id", "Record ID"), hex, hex + 4, hex + 8, hex + 12, hex + 16, hex + 20, hex + 24,
		hex + 28);
	/* How many entries, and the newest: a copy with its last entries
	 * dropped verifies too (docs/FORMAT.md, "What a record cannot prove"),
	 * so the reader compares these with the holder's card or booklet. */
	if (r->n_entries) {
		const struct phr_entry_report *e = &rep->entries[r->n_entries - 1];
		phr_format_time(e->signed_at, when);
		fprintf(out, "%s: %zu\n%s: %s \u00b7 ", L(lang, "ui.entry_count", "Entries in this record"), r->n_entries,
			L(lang, "ui.last_entry", "Last entry"), when);
		phr_kid_to_hex(e->kid, kid);
		if (e->have_signer)
			fprintf(out, "%s (%s)", shown(clinic, sizeof(clinic), e->clinic),
				L(lang, (snprintf(line, sizeof(line), "country.%s", e->country), line),
				  shown(country, sizeof(country), e->country)));
		else
			fprintf(out, "%s %s", L(lang, "ui.key_id", "Key ID"), kid);
		if (e->status != PHR_ST_VALID)
			fprintf(out, " !! %s", L(lang, phr_status_label_id(e->status), phr_status_name(e->status)));
		fputc('\n', out);
	}
	if (!rep->all_valid)
		fprintf(out, "\n!! %s\n", L(lang, "ui.warning_unverified",
					    "WARNING: this record could not be verified. Do not rely on entries not marked valid."));
	/* Display order of a merged record (docs/FORMAT.md, "Merged records"):
	 * the shared entries, branch A (the main chain up to the merge entry),
	 * branch B (the side branch), then the merge entry and what follows. */
	int mat = rep->merge_at;
	size_t fork = mat >= 0 ? (size_t)r->entries[mat].merge_fork : 0;
	for (size_t i = 0; i < r->n_entries && !rc; i++) {
		long num = (long)i + 1;
		fill(line, sizeof(line), L(lang, "ui.entry", "Entry %d"), &num, 1);
		if (mat >= 0 && i >= fork && i < (size_t)mat) {
			size_t l = strlen(line);
			snprintf(line + l, sizeof(line) - l, " (%.32s A)", L(lang, "ui.branch", "branch"));
		}
		if (mat >= 0 && i == (size_t)mat) {
			for (size_t j = 0; j < r->n_side && !rc; j++) {
				long n = (long)(fork + j) + 1;
				fill(line, sizeof(line), L(lang, "ui.entry", "Entry %d"), &n, 1);
				size_t l = strlen(line);
				snprintf(line + l, sizeof(line) - l, " (%.32s B)", L(lang, "ui.branch", "branch"));
				rc = text_entry(out, lang, &w, &r->side[j], &rep->side[j], line);
			}
			if (rc)
				break;
			const struct phr_entry_report *m = &rep->entries[mat];
			fprintf(out, "\n-- %s %d %s %s (%s B: %s %ld..%ld) --\n",
				L(lang, "ui.merged_at", "merged at entry"), mat + 1, L(lang, "ui.merged_by", "by"),
				m->have_signer ? shown(clinic, sizeof(clinic), m->clinic) : "?", L(lang, "ui.branch", "branch"),
				L(lang, "ui.entries", "entries"), (long)fork + 1, (long)(fork + r->n_side));
			fill(line, sizeof(line), L(lang, "ui.entry", "Entry %d"), &num, 1);
		}
		rc = text_entry(out, lang, &w, &r->entries[i], &rep->entries[i], line);
	}
	free(w.val.p);
	if (rc)
		return rc;
	if (fflush(out) != 0 || ferror(out))
		return phr_fail(PHR_E_IO, "writing the summary failed");
	return PHR_OK;
}

/* An entry's sealed sections in the JSON report, alike for the main chain
 * and branch B: how many, whether they opened, and why not. */
static json_t *sealed_json(const struct phr_entry *en)
{
	json_t *sd = json_pack("{s:I, s:b}", "sections", (json_int_t)en->sealed_sections, "opened", en->seal_state == 1);
	if (sd && en->seal_state && en->seal_state != 1)
		json_object_set_new(sd, "error", json_string(en->seal_why));
	else if (sd && en->seal_state == 1 && en->seal_why[0])
		json_object_set_new(sd, "note", json_string(en->seal_why));
	return sd;
}

int phr_render_json(const struct phr_record *r, const struct phr_report *rep, json_t **out)
{
	char hex[33], kid[PHR_KID_HEX_LEN], when[21];
	json_t *entries = json_array();
	phr_record_id_hex(r->id, hex);
	json_t *root = json_pack("{s:s, s:b, s:b, s:o}", "record_id", hex, "verified", rep->all_valid,
				 "trust_checked", rep->trust_checked, "entries", entries);
	if (!root)
		return phr_fail(PHR_E_NOMEM, "out of memory");
	/* What the signatures fix (record id, last entry): a register keys
	 * versions by it (docs/FORMAT.md, Container). */
	char vid[PHR_VERSION_ID_HEX_LEN];
	if (phr_record_version_id_hex(r, vid) == PHR_OK)
		json_object_set_new(root, "version_id", json_string(vid));
	for (size_t i = 0; i < r->n_entries; i++) {
		const struct phr_entry_report *e = &rep->entries[i];
		json_t *content = NULL;
		if (r->entries[i].content &&
		    phr_entry_decode_json(r->entries[i].content, r->entries[i].content_len, &content) != PHR_OK)
			content = NULL;
		phr_kid_to_hex(e->kid, kid);
		phr_format_time(e->signed_at, when);
		json_t *signer = json_pack("{s:s}", "kid", kid);
		if (e->have_signer) {
			json_object_set_new(signer, "clinic", json_string(e->clinic));
			json_object_set_new(signer, "country", json_string(e->country));
		}
		json_t *ent = json_pack("{s:I, s:s, s:s, s:o, s:s, s:s, s:o}", "index", (json_int_t)i, "status",
					phr_status_name(e->status), "detail", e->detail, "signer", signer, "signed_at",
					when, "certificate",
					!e->have_signer ? "none" : e->cert_embedded ? "embedded" : "trust_bundle",
					"content", content ? content : json_null());
		if (!ent) {
			json_decref(root);
			return phr_fail(PHR_E_NOMEM, "out of memory");
		}
		json_t *warnings = json_array();
		for (unsigned w = 0; w < PHR_WARN_COUNT; w++)
			if (e->warnings & (1u << w))
				json_array_append_new(warnings, json_string(phr_warning_name(1u << w)));
		json_object_set_new(ent, "warnings", warnings);
		if (r->entries[i].sealed)
			json_object_set_new(ent, "sealed", sealed_json(&r->entries[i]));
		json_array_append_new(entries, ent);
	}
	/* A merged record (docs/FORMAT.md, "Merged records"): the merge
	 * entry's index and branch B's entries, each with its status. */
	if (rep->merge_at >= 0 || r->n_side) {
		json_t *side = json_array();
		for (size_t j = 0; side && j < r->n_side && j < rep->n_side; j++) {
			const struct phr_entry_report *e = &rep->side[j];
			json_t *content = NULL;
			if (r->side[j].content &&
			    phr_entry_decode_json(r->side[j].content, r->side[j].content_len, &content) != PHR_OK)
				content = NULL;
			phr_kid_to_hex(e->kid, kid);
			phr_format_time(e->signed_at, when);
			json_t *signer = json_pack("{s:s}", "kid", kid);
			if (signer && e->have_signer) {
				json_object_set_new(signer, "clinic", json_string(e->clinic));
				json_object_set_new(signer, "country", json_string(e->country));
			}
			json_t *ent = json_pack("{s:I, s:s, s:s, s:o, s:s, s:o}", "index",
						(json_int_t)(r->side[j].content_err ? j : r->side[j].index), "status",
						phr_status_name(e->status), "detail", e->detail, "signer", signer, "signed_at",
						when, "content", content ? content : json_null());
			if (ent && r->side[j].sealed)
				json_object_set_new(ent, "sealed", sealed_json(&r->side[j]));
			json_array_append_new(side, ent);
		}
		json_object_set_new(root, "merged_at", rep->merge_at >= 0 ? json_integer(rep->merge_at) : json_null());
		json_object_set_new(root, "branch_b", side);
	}
	*out = root;
	return PHR_OK;
}

/* ---- The printable view (phr/print.h) ---- */

#define VIEW_BLOCK 8192

/* Strings of a view live in blocks that never move, so lines can point
 * into them while more are added. */
struct view_block {
	struct view_block *next;
	size_t used, cap;
	char data[];
};

struct view_build {
	struct phr_print_view *v;
	struct view_block *blocks;
	size_t cap_lines;
	unsigned entry;
	bool unverified;
};

/* A copy of s[0..n) in the view, sanitized like the text view's strings:
 * every string of a printable view is one. */
static const char *view_strn(struct view_build *b, const char *s, size_t n)
{
	struct view_block *k = b->blocks;
	size_t raw = n;
	n = phr_text_sanitize(NULL, 0, s, raw);
	if (!k || k->cap - k->used < n + 1) {
		size_t cap = n + 1 > VIEW_BLOCK ? n + 1 : VIEW_BLOCK;
		if (!(k = malloc(sizeof(*k) + cap)))
			return NULL;
		k->next = b->blocks;
		k->used = 0;
		k->cap = cap;
		b->blocks = k;
	}
	char *p = k->data + k->used;
	phr_text_sanitize(p, n + 1, s, raw);
	k->used += n + 1;
	return p;
}

static const char *view_str(struct view_build *b, const char *s)
{
	return view_strn(b, s, strlen(s));
}

static int view_line(void *ctx, int kind, int depth, const char *label, const char *value, const char *plain)
{
	struct view_build *b = ctx;
	struct phr_print_view *v = b->v;
	if (v->n_lines == b->cap_lines) {
		size_t cap = b->cap_lines ? 2 * b->cap_lines : 64;
		struct phr_print_line *p = realloc(v->lines, cap * sizeof(*p));
		if (p)
			v->lines = p;
		const char **q = p ? realloc(v->plain, cap * sizeof(*q)) : NULL;
		if (!q)
			return phr_fail(PHR_E_NOMEM, "out of memory");
		v->plain = q;
		b->cap_lines = cap;
	}
	struct phr_print_line *l = &v->lines[v->n_lines];
	l->kind = kind == WALK_SECTION ? PHR_PL_SECTION : kind == WALK_ITEM ? PHR_PL_ITEM : PHR_PL_FIELD;
	l->depth = depth;
	l->entry = b->entry;
	l->unverified = b->unverified;
	if (!(l->label = view_str(b, label)) || !(l->value = view_str(b, value)) ||
	    !(v->plain[v->n_lines] = strcmp(plain, value) == 0 ? l->value : view_str(b, plain)))
		return phr_fail(PHR_E_NOMEM, "out of memory");
	v->n_lines++;
	return PHR_OK;
}

/* "given family" of one spelling of the holder's name. */
static void name_text(const json_t *name, struct sbuf *out)
{
	const char *given = json_string_value(json_object_get(name, "given"));
	const char *family = json_string_value(json_object_get(name, "family"));
	if (given)
		sb_puts(out, given);
	if (given && family)
		sb_puts(out, " ");
	if (family)
		sb_puts(out, family);
}

/* Holder's name, birth date and preferred language, from the last valid
 * entry that names the holder, else from the last entry that does. */
static int view_identity(struct view_build *b, const struct phr_report *rep, json_t *const *contents, size_t n)
{
	struct phr_print_view *v = b->v;
	const json_t *id = NULL;
	bool valid = false;
	for (size_t i = 0; i < n; i++) {
		const json_t *cand = contents[i] ? json_object_get(contents[i], "identity") : NULL;
		bool ok = rep->entries[i].status == PHR_ST_VALID;
		if (cand && json_array_size(json_object_get(cand, "names")) && (ok || !valid)) {
			id = cand;
			valid = ok;
		}
	}
	for (size_t i = 0; !id && i < n; i++)
		if (contents[i] && json_object_get(contents[i], "identity"))
			id = json_object_get(contents[i], "identity"), valid = rep->entries[i].status == PHR_ST_VALID;
	v->holder_verified = valid;
	struct sbuf s = { 0 }, other = { 0 };
	const json_t *names = id ? json_object_get(id, "names") : NULL;
	for (size_t i = 0; i < json_array_size(names); i++) {
		if (i == 0) {
			name_text(json_array_get(names, i), &s);
		} else {
			if (other.len)
				sb_puts(&other, "; ");
			name_text(json_array_get(names, i), &other);
		}
	}
	const char *birth = id ? json_string_value(json_object_get(id, "birth_date")) : NULL;
	const char *pref = id ? json_string_value(json_object_get(id, "preferred_language")) : NULL;
	if (pref && strlen(pref) == 2 && pref[0] >= 'a' && pref[0] <= 'z' && pref[1] >= 'a' && pref[1] <= 'z')
		memcpy(v->preferred_language, pref, 3);
	int bad = s.failed || other.failed || !(v->holder_name = view_str(b, sb_str(&s))) ||
		  !(v->holder_other = view_str(b, sb_str(&other))) || !(v->birth_date = view_str(b, birth ? birth : ""));
	free(s.p);
	free(other.p);
	return bad ? phr_fail(PHR_E_NOMEM, "out of memory") : PHR_OK;
}

int phr_render_print_view(const struct phr_record *r, const struct phr_report *rep, const char *lang,
			  struct phr_print_view **out)
{
	char line[256], kid[PHR_KID_HEX_LEN], when[21];
	struct view_build b = { 0 };
	json_t **contents = NULL;
	int rc = PHR_OK;
	*out = NULL;
	if (!(b.v = calloc(1, sizeof(*b.v))) || (r->n_entries && !(b.v->entries = calloc(r->n_entries, sizeof(*b.v->entries)))) ||
	    (r->n_entries && !(contents = calloc(r->n_entries, sizeof(*contents))))) {
		rc = phr_fail(PHR_E_NOMEM, "out of memory");
		goto out;
	}
	struct phr_print_view *v = b.v;
	struct walker w = { .lang = lang, .emit = view_line, .ctx = &b, .holder = true };
	snprintf(v->lang, sizeof(v->lang), "%s", lang);
	phr_record_id_hex(r->id, v->record_id);
	v->all_valid = rep->all_valid;
	v->trust_checked = rep->trust_checked;
	v->n_entries = r->n_entries;
	for (size_t i = 0; i < r->n_entries && !rc; i++) {
		const struct phr_entry_report *e = &rep->entries[i];
		struct phr_print_entry *pe = &v->entries[i];
		long num = (long)i + 1;
		pe->status = e->status;
		pe->valid = e->status == PHR_ST_VALID;
		v->n_valid += pe->valid;
		fill(line, sizeof(line), L(lang, "ui.entry", "Entry %d"), &num, 1);
		if (!(pe->title = view_str(&b, line)) ||
		    !(pe->status_text = view_str(&b, L(lang, phr_status_label_id(e->status), phr_status_name(e->status))))) {
			rc = phr_fail(PHR_E_NOMEM, "out of memory");
			break;
		}
		if (e->have_signer) {
			snprintf(line, sizeof(line), "country.%s", e->country);
			char who[PHR_MAX_NAME + 200];
			snprintf(who, sizeof(who), "%s (%s)", e->clinic, L(lang, line, e->country));
			pe->signer = view_str(&b, who);
		} else {
			phr_kid_to_hex(e->kid, kid);
			snprintf(line, sizeof(line), "%s %s", L(lang, "ui.key_id", "Key ID"), kid);
			pe->signer = view_str(&b, line);
		}
		phr_format_time(e->signed_at, when);
		if (!pe->signer || !(pe->signed_on = view_strn(&b, when, 10))) {
			rc = phr_fail(PHR_E_NOMEM, "out of memory");
			break;
		}
		if (r->entries[i].sealed) { /* where sealed sections are, never what they say */
			pe->sealed_sections = r->entries[i].sealed_sections;
			pe->seal_state = r->entries[i].seal_state;
		}
		contents[i] = entry_content(r, i);
		b.entry = (unsigned)i;
		b.unverified = !pe->valid;
		if (contents[i])
			rc = walk_content(&w, contents[i]);
	}
	if (!rc)
		rc = view_identity(&b, rep, contents, r->n_entries);
	if (!rc) {
		const char *date = r->n_entries && contents[0] ? json_string_value(json_object_get(contents[0], "date")) : NULL;
		v->issued_on = date ? view_str(&b, date) : r->n_entries ? v->entries[0].signed_on : view_str(&b, "");
		v->issuer = r->n_entries ? v->entries[0].signer : view_str(&b, "");
		if (!v->issued_on || !v->issuer)
			rc = phr_fail(PHR_E_NOMEM, "out of memory");
	}
	free(w.val.p);
	free(w.plain.p);
out:
	for (size_t i = 0; contents && i < r->n_entries; i++)
		json_decref(contents[i]);
	free(contents);
	if (b.v)
		b.v->store = b.blocks;
	if (rc) {
		phr_render_print_view_free(b.v);
		return rc;
	}
	*out = b.v;
	return PHR_OK;
}

void phr_render_print_view_free(struct phr_print_view *v)
{
	if (!v)
		return;
	for (struct view_block *k = v->store, *next; k; k = next) {
		next = k->next;
		free(k);
	}
	free(v->entries);
	free(v->lines);
	free(v->plain);
	free(v);
}
