/* Entry forms generated from the schema table (form.h). */
#include "form.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "phr/json.h"
#include "phr/labels.h"
#include "phr/schema.h"

#define NAME_PREFIX "e."
#define PATH_MAX_LEN 256 /* a label path or a form name being built */
#define MSG_MAX 512

/* snprintf into a buffer whose cut is harmless (a path that long is not a
 * field, and fails as unknown) */
static void bfmt(char *out, size_t cap, const char *f, ...) PHR_PRINTF(3, 4);
static void bfmt(char *out, size_t cap, const char *f, ...)
{
	va_list ap;
	va_start(ap, f);
	vsnprintf(out, cap, f, ap);
	va_end(ap);
}

size_t phr_web_form_max_fields(void) { return PHR_WEB_FORM_MAX_FIELDS; }
size_t phr_web_form_max_value(void) { return PHR_WEB_FORM_MAX_VALUE; }

/* ---- Form kinds ---- */

/* The root sections a follow-up form shows; an assessment shows every
 * root field the form can express. "date" is always first. */
static const char *const vaccination_sections[] = { "vaccinations", "plan", "author", "notes", 0 };
static const char *const lab_sections[] = { "results", "diagnoses", "plan", "author", "notes", 0 };
static const char *const referral_sections[] = { "diagnoses", "plan", "author", "notes", 0 };
static const char *const note_sections[] = { "author", "notes", 0 };

static const struct form_kind {
	const char *name;
	const char *entry_kind;
	const char *const *sections; /* NULL: every root field */
} kinds[] = {
	{ "assessment", "assessment", NULL },
	{ "followup-vaccination", "follow_up", vaccination_sections },
	{ "followup-lab", "follow_up", lab_sections },
	{ "followup-referral", "follow_up", referral_sections },
	{ "followup-note", "follow_up", note_sections },
};
#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

static const struct form_kind *kind_find(const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < NKINDS; i++)
		if (strcmp(kinds[i].name, name) == 0)
			return &kinds[i];
	return NULL;
}

const char *phr_web_form_kind(size_t i) { return i < NKINDS ? kinds[i].name : NULL; }
int phr_web_form_kind_known(const char *kind) { return kind_find(kind) != NULL; }
const char *phr_web_form_entry_kind(const char *kind)
{
	const struct form_kind *k = kind_find(kind);
	return k ? k->entry_kind : NULL;
}

/* A field a person can type: not one holding bytes (a hash), nor an
 * object or array that holds one. */
static bool expressible(const struct phr_field *f)
{
	if (f->type == PHR_T_BYTES)
		return false;
	if (f->type == PHR_T_OBJECT) {
		for (const struct phr_field *c = f->children; c->name; c++)
			if (!expressible(c))
				return false;
	}
	if (f->type == PHR_T_ARRAY)
		return expressible(&f->children[0]);
	return true;
}

static const struct phr_field *root_fields(void)
{
	return phr_schema_root()->children;
}

/* Whether a root field is on the form of kind k. */
static bool on_form(const struct form_kind *k, const struct phr_field *f)
{
	if (strcmp(f->name, "kind") == 0)
		return false;
	if (strcmp(f->name, "date") == 0)
		return true;
	if (!expressible(f))
		return false;
	if (!k->sections)
		return true;
	for (const char *const *s = k->sections; *s; s++)
		if (strcmp(*s, f->name) == 0)
			return true;
	return false;
}

/* ---- Labels ---- */

static const char *L(const char *lang, const char *id, const char *fallback)
{
	return phr_label_or(lang, id, fallback);
}

/* The label of the field at a dotted path without positions. */
static const char *field_label(const char *lang, const char *path, const char *fallback)
{
	char id[PATH_MAX_LEN + 8];
	bfmt(id, sizeof(id), "field.%s", path);
	return L(lang, id, fallback);
}

/* tmpl with each "%s" replaced by the next of args (a label's template:
 * the directives are checked by the labels test, never by printf). */
static void fill(char *out, size_t cap, const char *tmpl, const char *const *args, size_t nargs)
{
	size_t o = 0, a = 0;
	if (cap == 0)
		return;
	for (const char *p = tmpl; *p && o + 1 < cap; p++) {
		if (p[0] == '%' && p[1] == 's') {
			const char *s = a < nargs ? args[a] : "";
			a++;
			p++;
			size_t n = strlen(s);
			if (n > cap - o - 1)
				n = cap - o - 1;
			/* never cut inside a UTF-8 character */
			while (n > 0 && n < strlen(s) && ((unsigned char)s[n] & 0xC0) == 0x80)
				n--;
			memcpy(out + o, s, n);
			o += n;
		} else {
			out[o++] = *p;
		}
	}
	out[o] = '\0';
}

/* ---- HTML output ---- */

struct gen {
	FILE *out;
	const char *lang;
	const json_t *prefill;
	bool flat;        /* prefill is form names -> strings */
	const json_t *errors;
	uint32_t code_masks[8]; /* code datalists used, by allowed systems */
	size_t ncode_masks;
	bool countries, languages, units;
	bool nomem;
};

static bool is_digit_c(char c) { return c >= '0' && c <= '9'; }

static void esc(FILE *out, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		switch (c) {
		case '&': fputs("&amp;", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '"': fputs("&quot;", out); break;
		case '\'': fputs("&#39;", out); break;
		default: fputc(c, out);
		}
	}
}

static void escs(FILE *out, const char *s)
{
	esc(out, s, strlen(s));
}

/* A real as the shortest text that reads back as the same double. */
static void real_text(double x, char *buf, size_t cap)
{
	for (int prec = 1; prec <= 17; prec++) {
		bfmt(buf, cap, "%.*g", prec, x);
		if (strtod(buf, NULL) == x)
			return;
	}
}

/* The prefilled value of a form name, as text; NULL if none. buf holds
 * numbers. */
static const char *prefill_value(const struct gen *g, const char *name, char *buf, size_t cap)
{
	if (!g->prefill)
		return NULL;
	if (g->flat) {
		const json_t *v = json_object_get(g->prefill, name);
		return json_is_string(v) ? json_string_value(v) : NULL;
	}
	/* walk the entry: name is "e.a.0.b" */
	const json_t *v = g->prefill;
	const char *p = name + strlen(NAME_PREFIX);
	char seg[PATH_MAX_LEN];
	while (v && *p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		if (n >= sizeof(seg))
			return NULL;
		memcpy(seg, p, n);
		seg[n] = '\0';
		if (json_is_array(v)) {
			char *end;
			unsigned long i = strtoul(seg, &end, 10);
			v = *end ? NULL : json_array_get(v, i);
		} else if (json_is_object(v)) {
			v = json_object_get(v, seg);
		} else {
			v = NULL;
		}
		p += n;
		if (*p == '.')
			p++;
	}
	if (!v)
		return NULL;
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v)) {
		bfmt(buf, cap, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return buf;
	}
	if (json_is_real(v)) {
		real_text(json_real_value(v), buf, cap);
		return buf;
	}
	if (json_is_boolean(v))
		return json_is_true(v) ? "true" : "false";
	return NULL;
}

/* Marks the positions "<name>.<n>..." that keys of obj use. */
static void mark_positions(const json_t *obj, const char *name, bool *used)
{
	size_t n = strlen(name);
	const char *key;
	const json_t *v;
	json_object_foreach((json_t *)obj, key, v) {
		if (strncmp(key, name, n) != 0 || key[n] != '.' || !is_digit_c(key[n + 1]))
			continue;
		unsigned long i = strtoul(key + n + 1, NULL, 10);
		if (i <= PHR_WEB_FORM_MAX_INDEX)
			used[i] = true;
	}
}

/* Which rows an array shows: the positions the prefill holds (as posted,
 * gaps kept, so that each message finds its field), at least row 0. */
static void row_positions(const struct gen *g, const char *name, bool *used)
{
	size_t rows = 0;
	memset(used, 0, (PHR_WEB_FORM_MAX_INDEX + 1) * sizeof(*used));
	if (g->prefill && g->flat) {
		mark_positions(g->prefill, name, used);
		if (g->errors)
			mark_positions(g->errors, name, used);
	} else if (g->prefill) {
		const json_t *v = g->prefill;
		const char *p = name + strlen(NAME_PREFIX);
		char seg[PATH_MAX_LEN];
		while (v && *p) {
			const char *dot = strchr(p, '.');
			size_t n = dot ? (size_t)(dot - p) : strlen(p);
			if (n >= sizeof(seg)) {
				v = NULL;
				break;
			}
			memcpy(seg, p, n);
			seg[n] = '\0';
			if (json_is_array(v))
				v = json_array_get(v, strtoul(seg, NULL, 10));
			else
				v = json_object_get(v, seg);
			p += n;
			if (*p == '.')
				p++;
		}
		if (json_is_array(v))
			rows = json_array_size(v);
		for (size_t i = 0; i < rows && i <= PHR_WEB_FORM_MAX_INDEX; i++)
			used[i] = true;
	}
	bool any = false;
	for (size_t i = 0; i <= PHR_WEB_FORM_MAX_INDEX && !any; i++)
		any = used[i];
	if (!any)
		used[0] = true;
}

static const char *error_of(const struct gen *g, const char *name)
{
	if (!g->errors)
		return NULL;
	const json_t *v = json_object_get(g->errors, name);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

static void code_list_id(uint32_t mask, char *buf, size_t cap)
{
	bfmt(buf, cap, "phr-dl-code-%" PRIu32, mask);
}

static void use_code_mask(struct gen *g, uint32_t mask)
{
	for (size_t i = 0; i < g->ncode_masks; i++)
		if (g->code_masks[i] == mask)
			return;
	if (g->ncode_masks < sizeof(g->code_masks) / sizeof(g->code_masks[0]))
		g->code_masks[g->ncode_masks++] = mask;
}

static const char *date_hint(const struct gen *g, const struct phr_field *f)
{
	return f->min == 1 ? L(g->lang, "web.form.date_full", "YYYY-MM-DD")
			   : L(g->lang, "web.form.date_partial", "YYYY, YYYY-MM or YYYY-MM-DD");
}

/* One input for a scalar field. name: its form name; path: its label path. */
static void emit_input(struct gen *g, const struct phr_field *f, const char *path, const char *name, bool in_row_list)
{
	FILE *o = g->out;
	char buf[64];
	const char *val = prefill_value(g, name, buf, sizeof(buf));
	const char *err = error_of(g, name);
	const char *label = field_label(g->lang, path, f->name);

	if (!in_row_list) {
		fputs("<div class=\"phr-field\"><label for=\"", o);
		escs(o, name);
		fputs("\">", o);
		escs(o, label);
		if (f->required)
			fputs("<span class=\"phr-req\" aria-hidden=\"true\"> *</span>", o);
		fputs("</label>", o);
	}
	switch (f->type) {
	case PHR_T_ENUM:
	case PHR_T_BOOL: {
		fputs("<select name=\"", o);
		escs(o, name);
		fputs("\" id=\"", o);
		escs(o, name);
		fputs("\"", o);
		if (in_row_list) {
			fputs(" aria-label=\"", o);
			escs(o, label);
			fputs("\"", o);
		}
		if (err)
			fputs(" aria-invalid=\"true\"", o);
		fputs("><option value=\"\"></option>", o);
		if (f->type == PHR_T_BOOL) {
			static const char *const yn[] = { "true", "false" };
			for (int i = 0; i < 2; i++) {
				fprintf(o, "<option value=\"%s\"%s>", yn[i], val && strcmp(val, yn[i]) == 0 ? " selected" : "");
				escs(o, L(g->lang, i == 0 ? "ui.yes" : "ui.no", yn[i]));
				fputs("</option>", o);
			}
		} else {
			for (const char *const *e = f->enums; *e; e++) {
				char id[PATH_MAX_LEN + 80];
				bfmt(id, sizeof(id), "enum.%s.%s", path, *e);
				fputs("<option value=\"", o);
				escs(o, *e);
				fputs("\"", o);
				if (val && strcmp(val, *e) == 0)
					fputs(" selected", o);
				fputs(">", o);
				escs(o, L(g->lang, id, *e));
				fputs("</option>", o);
			}
			/* a posted value no longer in the list is shown, not lost */
			bool known = !val || !*val;
			for (const char *const *e = f->enums; *e && !known; e++)
				known = strcmp(val, *e) == 0;
			if (!known) {
				fputs("<option selected value=\"", o);
				escs(o, val);
				fputs("\">", o);
				escs(o, val);
				fputs("</option>", o);
			}
		}
		fputs("</select>", o);
		break;
	}
	default: {
		const char *cls = "phr-in";
		const char *mode = NULL;
		const char *list = NULL;
		char listbuf[48];
		size_t maxlen = 0;
		switch (f->type) {
		case PHR_T_TEXT:
			cls = f->max > 200 ? "phr-in phr-wide" : "phr-in";
			maxlen = (size_t)f->max;
			break;
		case PHR_T_INT: mode = "numeric"; cls = "phr-in phr-num"; break;
		case PHR_T_DECIMAL: mode = "decimal"; cls = "phr-in phr-num"; break;
		case PHR_T_DATE: mode = "numeric"; cls = "phr-in phr-date"; break;
		case PHR_T_CODE:
			use_code_mask(g, f->systems);
			code_list_id(f->systems, listbuf, sizeof(listbuf));
			list = listbuf;
			cls = "phr-in phr-code";
			break;
		case PHR_T_COUNTRY: g->countries = true; list = "phr-dl-country"; cls = "phr-in phr-short"; break;
		case PHR_T_LANG: g->languages = true; list = "phr-dl-lang"; cls = "phr-in phr-short"; break;
		case PHR_T_UNIT: g->units = true; list = "phr-dl-unit"; cls = "phr-in phr-short"; break;
		default: break;
		}
		fprintf(o, "<input type=\"text\" class=\"%s\" name=\"", cls);
		escs(o, name);
		fputs("\" id=\"", o);
		escs(o, name);
		fputs("\"", o);
		if (in_row_list) {
			fputs(" aria-label=\"", o);
			escs(o, label);
			fputs("\"", o);
		}
		if (mode)
			fprintf(o, " inputmode=\"%s\"", mode);
		if (list)
			fprintf(o, " list=\"%s\" autocomplete=\"off\"", list);
		if (maxlen)
			fprintf(o, " maxlength=\"%zu\"", maxlen);
		if (f->type == PHR_T_DATE || f->type == PHR_T_CODE || f->type == PHR_T_UNIT || f->type == PHR_T_INT ||
		    f->type == PHR_T_DECIMAL || f->type == PHR_T_COUNTRY || f->type == PHR_T_LANG)
			fputs(" dir=\"ltr\"", o);
		if (f->type == PHR_T_TEXT)
			fputs(" dir=\"auto\"", o);
		if (err) {
			fputs(" aria-invalid=\"true\" aria-describedby=\"err-", o);
			escs(o, name);
			fputs("\"", o);
		}
		if (val) {
			fputs(" value=\"", o);
			escs(o, val);
			fputs("\"", o);
		}
		fputs(">", o);
		if (f->type == PHR_T_DATE) {
			fputs("<span class=\"phr-hint\">", o);
			escs(o, date_hint(g, f));
			fputs("</span>", o);
		}
		break;
	}
	}
	if (err) {
		fputs("<span class=\"phr-err\" id=\"err-", o);
		escs(o, name);
		fputs("\">", o);
		escs(o, err);
		fputs("</span>", o);
	}
	if (!in_row_list)
		fputs("</div>\n", o);
}

static void emit_field(struct gen *g, const struct phr_field *f, const char *path, const char *name, int depth);

/* The children of an object, each with its path and name. */
static void emit_children(struct gen *g, const struct phr_field *children, const char *path, const char *name,
			  int depth)
{
	for (const struct phr_field *c = children; c->name; c++) {
		if (!expressible(c))
			continue;
		char cpath[PATH_MAX_LEN], cname[PATH_MAX_LEN];
		bfmt(cpath, sizeof(cpath), "%s%s%s", path, *path ? "." : "", c->name);
		bfmt(cname, sizeof(cname), "%s.%s", name, c->name);
		emit_field(g, c, cpath, cname, depth);
	}
}

/* One row of an array: idx is a number or the template's placeholder. */
static void emit_row(struct gen *g, const struct phr_field *f, const char *path, const char *name,
		     const char *idx, int depth)
{
	FILE *o = g->out;
	const struct phr_field *item = &f->children[0];
	char iname[PATH_MAX_LEN];
	bfmt(iname, sizeof(iname), "%s.%s", name, idx);
	if (item->type == PHR_T_OBJECT) {
		fputs("<fieldset class=\"phr-row\"><legend>", o);
		escs(o, field_label(g->lang, path, f->name));
		fputs(" <span class=\"phr-rownum\"></span></legend>\n", o);
		emit_children(g, item->children, path, iname, depth + 1);
		fputs("<button type=\"button\" class=\"phr-del\">", o);
		escs(o, L(g->lang, "web.form.remove_row", "Remove"));
		fputs("</button></fieldset>\n", o);
	} else {
		fputs("<span class=\"phr-row phr-row-inline\">", o);
		emit_input(g, item, path, iname, true);
		fputs("<button type=\"button\" class=\"phr-del\" aria-label=\"", o);
		escs(o, L(g->lang, "web.form.remove_row", "Remove"));
		fputs("\">&#215;</button></span>\n", o);
	}
}

static void emit_field(struct gen *g, const struct phr_field *f, const char *path, const char *name, int depth)
{
	FILE *o = g->out;
	if (f->type == PHR_T_OBJECT) {
		fprintf(o, "<fieldset class=\"phr-group\" data-depth=\"%d\"><legend>", depth);
		escs(o, field_label(g->lang, path, f->name));
		fputs("</legend>\n", o);
		emit_children(g, f->children, path, name, depth + 1);
		fputs("</fieldset>\n", o);
		return;
	}
	if (f->type != PHR_T_ARRAY) {
		emit_input(g, f, path, name, false);
		return;
	}
	/* a repeated group: rows, a template for a new one, add button */
	char ph[16];
	bfmt(ph, sizeof(ph), "__i%d__", depth);
	const char *err = error_of(g, name);
	bool objects = f->children[0].type == PHR_T_OBJECT;
	fprintf(o, "<div class=\"phr-array%s\" data-max=\"%" PRId64 "\" data-ph=\"%s\" data-name=\"", objects ? "" : " phr-inline",
		f->max, ph);
	escs(o, name);
	fputs("\">", o);
	if (objects)
		fputs("<h3 class=\"phr-array-title\">", o);
	else
		fputs("<span class=\"phr-array-title\">", o);
	escs(o, field_label(g->lang, path, f->name));
	fputs(objects ? "</h3>\n" : "</span>", o);
	if (err) {
		fputs("<span class=\"phr-err\" id=\"err-", o);
		escs(o, name);
		fputs("\">", o);
		escs(o, err);
		fputs("</span>", o);
	}
	fputs("<div class=\"phr-rows\">", o);
	bool *used = malloc((PHR_WEB_FORM_MAX_INDEX + 1) * sizeof(*used));
	if (!used) {
		g->nomem = true;
		return;
	}
	row_positions(g, name, used);
	for (size_t i = 0; i <= PHR_WEB_FORM_MAX_INDEX; i++) {
		if (!used[i])
			continue;
		char idx[16];
		bfmt(idx, sizeof(idx), "%zu", i);
		emit_row(g, f, path, name, idx, depth);
	}
	free(used);
	fputs("</div><template>", o);
	/* the template carries no prefill */
	const json_t *saved = g->prefill;
	const json_t *saved_err = g->errors;
	g->prefill = NULL;
	g->errors = NULL;
	emit_row(g, f, path, name, ph, depth);
	g->prefill = saved;
	g->errors = saved_err;
	fputs("</template><button type=\"button\" class=\"phr-add\">", o);
	escs(o, L(g->lang, "web.form.add_row", "Add"));
	fputs("</button></div>\n", o);
}

/* Datalist options: every label id "<prefix><code>" in lang. */
static void emit_list(struct gen *g, const char *id, const char *prefix, const char *value_prefix)
{
	FILE *o = g->out;
	size_t plen = strlen(prefix);
	fprintf(o, "<datalist id=\"%s\">", id);
	/* the ids of English: every language holds every key */
	size_t n = phr_label_count("en");
	for (size_t i = 0; i < n; i++) {
		const char *lid = phr_label_id_at("en", i);
		if (!lid || strncmp(lid, prefix, plen) != 0)
			continue;
		fputs("<option value=\"", o);
		escs(o, value_prefix);
		escs(o, lid + plen);
		fputs("\">", o);
		escs(o, L(g->lang, lid, lid + plen));
		fputs("</option>", o);
	}
	fputs("</datalist>\n", o);
}

int phr_web_form_html(FILE *out, const char *kind, const char *lang, const json_t *prefill, const json_t *errors)
{
	const struct form_kind *k = kind_find(kind);
	if (!out || !k)
		return phr_fail(PHR_E_ARG, "web form: unknown form kind \"%s\"", kind ? kind : "(null)");
	if (!lang || !phr_label_has_lang(lang))
		lang = "en";
	struct gen g = { .out = out, .lang = lang, .prefill = json_is_object(prefill) ? prefill : NULL,
			 .errors = json_is_object(errors) && json_object_size(errors) ? errors : NULL };
	if (g.prefill) {
		const char *key;
		const json_t *v;
		json_object_foreach((json_t *)g.prefill, key, v) {
			if (strncmp(key, NAME_PREFIX, strlen(NAME_PREFIX)) == 0) {
				g.flat = true;
				break;
			}
		}
	}
	fprintf(out, "<div class=\"phr-form\" data-form=\"%s\" data-lang=\"%s\">\n", k->name, lang);
	if (g.errors) {
		fputs("<div class=\"phr-errors\" role=\"alert\"><p>", out);
		escs(out, L(lang, "web.form.errors", "Please correct these fields:"));
		fputs("</p><ul>", out);
		const char *key;
		const json_t *v;
		json_object_foreach((json_t *)g.errors, key, v) {
			if (!json_is_string(v))
				continue;
			fputs("<li>", out);
			if (*key) {
				fputs("<a href=\"#", out);
				escs(out, key);
				fputs("\">", out);
			}
			escs(out, json_string_value(v));
			if (*key)
				fputs("</a>", out);
			fputs("</li>", out);
		}
		fputs("</ul></div>\n", out);
	}
	/* the visit first, then each section in the table's order */
	for (const struct phr_field *f = root_fields(); f->name; f++) {
		if (!on_form(k, f))
			continue;
		char name[PATH_MAX_LEN];
		bfmt(name, sizeof(name), NAME_PREFIX "%s", f->name);
		if (f->type == PHR_T_OBJECT || f->type == PHR_T_ARRAY) {
			fprintf(out, "<section class=\"phr-section\" id=\"sec-%s\">\n", f->name);
			if (f->type == PHR_T_OBJECT) {
				fputs("<h2>", out);
				escs(out, field_label(lang, f->name, f->name));
				fputs("</h2>\n", out);
				emit_children(&g, f->children, f->name, name, 1);
			} else {
				emit_field(&g, f, f->name, name, 0);
			}
			fputs("</section>\n", out);
		} else {
			fprintf(out, "<section class=\"phr-section phr-single\" id=\"sec-%s\">\n", f->name);
			emit_field(&g, f, f->name, name, 0);
			fputs("</section>\n", out);
		}
	}
	/* the lists the inputs name */
	for (size_t i = 0; i < g.ncode_masks; i++) {
		char id[48];
		code_list_id(g.code_masks[i], id, sizeof(id));
		fprintf(out, "<datalist id=\"%s\">", id);
		for (int cs = 1; cs <= PHR_CS_MAX; cs++) {
			if (!(g.code_masks[i] & PHR_CS_BIT(cs)))
				continue;
			const char *sys = phr_code_system_name(cs);
			char prefix[32], vprefix[32];
			bfmt(prefix, sizeof(prefix), "code.%s.", sys);
			bfmt(vprefix, sizeof(vprefix), "%s:", sys);
			size_t plen = strlen(prefix);
			size_t n = phr_label_count("en");
			for (size_t j = 0; j < n; j++) {
				const char *lid = phr_label_id_at("en", j);
				if (!lid || strncmp(lid, prefix, plen) != 0)
					continue;
				fputs("<option value=\"", out);
				escs(out, vprefix);
				escs(out, lid + plen);
				fputs("\">", out);
				escs(out, L(lang, lid, lid + plen));
				fputs("</option>", out);
			}
		}
		fputs("</datalist>\n", out);
	}
	if (g.countries)
		emit_list(&g, "phr-dl-country", "country.", "");
	if (g.languages)
		emit_list(&g, "phr-dl-lang", "lang.", "");
	if (g.units)
		emit_list(&g, "phr-dl-unit", "unit.", "");
	fputs("</div>\n", out);
	if (g.nomem)
		return phr_fail(PHR_E_NOMEM, "web form: out of memory");
	if (ferror(out))
		return phr_fail(PHR_E_IO, "web form: write failed");
	return PHR_OK;
}

/* ---- Parsing a posted form ---- */

struct parse {
	const struct form_kind *k;
	const char *lang;
	json_t *errors;  /* form name -> message */
	json_t *pathmap; /* JSON path of an array item -> its form name */
	bool nomem;
};

/* Records the first message for a form name (later ones for the same
 * field would only repeat it). */
static void add_error(struct parse *p, const char *name, const char *msg)
{
	if (json_object_get(p->errors, name))
		return;
	json_t *m = json_string(msg);
	if (!m) {
		/* not UTF-8 (a piece of what was posted): shown sanitised */
		char shown[MSG_MAX * 3];
		phr_text_sanitize(shown, sizeof(shown), msg, strlen(msg));
		m = json_string(shown);
	}
	if (json_object_set_new(p->errors, name, m))
		p->nomem = true;
}

/* A message from a label template "%s: ..." with the field's label. */
static void field_error(struct parse *p, const char *name, const char *lpath, const char *fallback_name,
			const char *id, const char *fallback, const char *a2, const char *a3)
{
	char msg[MSG_MAX];
	const char *args[3] = { field_label(p->lang, lpath, fallback_name), a2, a3 };
	fill(msg, sizeof(msg), L(p->lang, id, fallback), args, 3);
	add_error(p, name, msg);
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

static int digits(const char *s, size_t n)
{
	int v = 0;
	for (size_t i = 0; i < n; i++) {
		if (!is_digit(s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* "YYYY", "YYYY-MM" or "YYYY-MM-DD", 1900..2199, a real day; 0 if not;
 * else the number of parts. */
static int date_parts(const char *s, size_t n)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (n != 4 && n != 7 && n != 10)
		return 0;
	int y = digits(s, 4);
	if (y < 1900 || y > 2199)
		return 0;
	if (n == 4)
		return 1;
	if (s[4] != '-')
		return 0;
	int m = digits(s + 5, 2);
	if (m < 1 || m > 12)
		return 0;
	if (n == 7)
		return 2;
	if (s[7] != '-')
		return 0;
	int d = digits(s + 8, 2);
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	int dim = mdays[m - 1] + (m == 2 && leap);
	return d >= 1 && d <= dim ? 3 : 0;
}

/* The code or key whose label in lang (or English) is exactly s: the
 * label ids "<prefix>CODE"; the CODE part into out. */
static bool label_lookup(const char *lang, const char *prefix, const char *s, size_t n, char *out, size_t cap)
{
	size_t plen = strlen(prefix);
	size_t count = phr_label_count("en");
	for (size_t i = 0; i < count; i++) {
		const char *id = phr_label_id_at("en", i);
		if (!id || strncmp(id, prefix, plen) != 0)
			continue;
		const char *l1 = phr_label(lang, id);
		const char *l2 = phr_label("en", id);
		if ((l1 && strlen(l1) == n && memcmp(l1, s, n) == 0) || (l2 && strlen(l2) == n && memcmp(l2, s, n) == 0)) {
			if (strlen(id + plen) >= cap)
				return false;
			strcpy(out, id + plen);
			return true;
		}
	}
	return false;
}

static bool is_code_ok(uint32_t systems, const char *s, size_t n, char *out, size_t cap)
{
	const char *colon = memchr(s, ':', n);
	if (colon) {
		int cs = phr_code_system_id(s, (size_t)(colon - s));
		if (!cs || !(systems & PHR_CS_BIT(cs)))
			return false;
		const char *code = colon + 1;
		size_t cl = n - (size_t)(code - s);
		phr_clear_error();
		if (phr_code_check(cs, code, cl) != PHR_OK || n >= cap)
			return false;
		memcpy(out, s, n);
		out[n] = '\0';
		return true;
	}
	/* a bare code: only when exactly one allowed system takes it */
	int found = 0;
	for (int cs = 1; cs <= PHR_CS_MAX; cs++) {
		if (!(systems & PHR_CS_BIT(cs)))
			continue;
		if (phr_code_check(cs, s, n) == PHR_OK) {
			if (found)
				return false;
			found = cs;
		}
	}
	phr_clear_error();
	if (!found)
		return false;
	const char *sys = phr_code_system_name(found);
	if (strlen(sys) + 1 + n >= cap)
		return false;
	bfmt(out, cap, "%s:%.*s", sys, (int)n, s);
	return true;
}

/* A decimal as typed ("36.8", "36,8", "-2", "120"): a JSON integer when
 * it has no fraction, else a real; NULL if it is not one the schema takes
 * (at most 9 significant digits and 6 decimals). */
static json_t *decimal_value(const char *s, size_t n)
{
	char buf[64];
	size_t i = 0, sig = 0, frac = 0;
	bool dot = false, lead = true, any = false;
	if (n == 0 || n >= sizeof(buf))
		return NULL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (buf[0] == '-' || buf[0] == '+')
		i = 1;
	for (; i < n; i++) {
		char c = buf[i];
		if (c == '.' || c == ',') {
			if (dot)
				return NULL;
			dot = true;
			buf[i] = '.';
			continue;
		}
		if (!is_digit(c))
			return NULL;
		any = true;
		if (dot)
			frac++;
		if (c != '0' || !lead) {
			lead = false;
			sig++;
		} else if (dot) {
			/* zeros after the point before a digit are not significant */
		}
	}
	if (!any || frac > 6 || sig > 9)
		return NULL;
	if (!dot || frac == 0) {
		errno = 0;
		long long v = strtoll(buf, NULL, 10);
		if (errno)
			return NULL;
		return json_integer(v);
	}
	return json_real(strtod(buf, NULL));
}

static void trim(const char **s, size_t *n)
{
	while (*n && (**s == ' ' || **s == '\t' || **s == '\r' || **s == '\n')) {
		(*s)++;
		(*n)--;
	}
	while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t' || (*s)[*n - 1] == '\r' || (*s)[*n - 1] == '\n'))
		(*n)--;
}

/* The JSON value of a typed scalar, or NULL with the field's error set. */
static json_t *convert(struct parse *p, const struct phr_field *f, const char *name, const char *lpath, const char *s,
		       size_t n)
{
	char buf[PHR_WEB_FORM_MAX_VALUE + 1];
	char num1[24], num2[24];
	switch (f->type) {
	case PHR_T_TEXT: {
		if (phr_text_check(s, n, "text") != PHR_OK) {
			phr_clear_error();
			field_error(p, name, lpath, f->name, "web.form.err.text",
				    "%s: holds a character that is not allowed in text (a line break, a control or a direction "
				    "override)",
				    NULL, NULL);
			return NULL;
		}
		if ((int64_t)n > f->max) {
			bfmt(num1, sizeof(num1), "%" PRId64, f->max);
			field_error(p, name, lpath, f->name, "web.form.err.text_long", "%s: too long (at most %s bytes)", num1,
				    NULL);
			return NULL;
		}
		return json_stringn(s, n);
	}
	case PHR_T_INT: {
		size_t i = (n && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
		bool ok = n > i && n - i <= 12;
		for (size_t j = i; ok && j < n; j++)
			ok = is_digit(s[j]);
		long long v = 0;
		if (ok) {
			memcpy(buf, s, n);
			buf[n] = '\0';
			v = strtoll(buf, NULL, 10);
			ok = v >= f->min && v <= f->max;
		}
		if (!ok) {
			bfmt(num1, sizeof(num1), "%" PRId64, f->min);
			bfmt(num2, sizeof(num2), "%" PRId64, f->max);
			field_error(p, name, lpath, f->name, "web.form.err.int", "%s: expected a whole number from %s to %s",
				    num1, num2);
			return NULL;
		}
		return json_integer(v);
	}
	case PHR_T_BOOL:
		if (n == 4 && memcmp(s, "true", 4) == 0)
			return json_true();
		if (n == 5 && memcmp(s, "false", 5) == 0)
			return json_false();
		field_error(p, name, lpath, f->name, "web.form.err.choice", "%s: not one of the choices", NULL, NULL);
		return NULL;
	case PHR_T_ENUM:
		for (const char *const *e = f->enums; *e; e++)
			if (strlen(*e) == n && memcmp(*e, s, n) == 0)
				return json_string(*e);
		field_error(p, name, lpath, f->name, "web.form.err.choice", "%s: not one of the choices", NULL, NULL);
		return NULL;
	case PHR_T_DATE: {
		int parts = date_parts(s, n);
		if (f->min == 1 && parts != 3) {
			field_error(p, name, lpath, f->name, "web.form.err.full_date",
				    "%s: expected a full date YYYY-MM-DD (1900 to 2199)", NULL, NULL);
			return NULL;
		}
		if (!parts) {
			field_error(p, name, lpath, f->name, "web.form.err.date",
				    "%s: expected a date YYYY, YYYY-MM or YYYY-MM-DD (1900 to 2199)", NULL, NULL);
			return NULL;
		}
		return json_stringn(s, n);
	}
	case PHR_T_CODE: {
		char lab[128];
		if (is_code_ok(f->systems, s, n, buf, sizeof(buf)))
			return json_string(buf);
		for (int cs = 1; cs <= PHR_CS_MAX; cs++) {
			if (!(f->systems & PHR_CS_BIT(cs)))
				continue;
			char prefix[24];
			bfmt(prefix, sizeof(prefix), "code.%s.", phr_code_system_name(cs));
			if (label_lookup(p->lang, prefix, s, n, lab, sizeof(lab))) {
				bfmt(buf, sizeof(buf), "%s:%s", phr_code_system_name(cs), lab);
				return json_string(buf);
			}
		}
		char systems[64] = "";
		for (int cs = 1; cs <= PHR_CS_MAX; cs++) {
			if (!(f->systems & PHR_CS_BIT(cs)))
				continue;
			if (*systems)
				strcat(systems, ", ");
			strcat(systems, phr_code_system_name(cs));
		}
		field_error(p, name, lpath, f->name, "web.form.err.code",
			    "%s: not a code this field takes (%s), nor the label of one", systems, NULL);
		return NULL;
	}
	case PHR_T_COUNTRY:
	case PHR_T_LANG: {
		bool country = f->type == PHR_T_COUNTRY;
		if (n == 2) {
			char c0 = s[0], c1 = s[1];
			if (country) {
				c0 = (char)(c0 >= 'a' && c0 <= 'z' ? c0 - 32 : c0);
				c1 = (char)(c1 >= 'a' && c1 <= 'z' ? c1 - 32 : c1);
				if (c0 >= 'A' && c0 <= 'Z' && c1 >= 'A' && c1 <= 'Z')
					return json_stringn((char[]){ c0, c1 }, 2);
			} else {
				c0 = (char)(c0 >= 'A' && c0 <= 'Z' ? c0 + 32 : c0);
				c1 = (char)(c1 >= 'A' && c1 <= 'Z' ? c1 + 32 : c1);
				if (c0 >= 'a' && c0 <= 'z' && c1 >= 'a' && c1 <= 'z')
					return json_stringn((char[]){ c0, c1 }, 2);
			}
		}
		char code[8];
		if (label_lookup(p->lang, country ? "country." : "lang.", s, n, code, sizeof(code)))
			return json_string(code);
		if (country)
			field_error(p, name, lpath, f->name, "web.form.err.country",
				    "%s: expected a country (two capital letters, as SY)", NULL, NULL);
		else
			field_error(p, name, lpath, f->name, "web.form.err.lang",
				    "%s: expected a language (two small letters, as ar)", NULL, NULL);
		return NULL;
	}
	case PHR_T_UNIT: {
		char code[32], id[48];
		/* a unit code the labels know is itself, even where it is another's label */
		if (n < sizeof(code)) {
			bfmt(id, sizeof(id), "unit.%.*s", (int)n, s);
			if (phr_label("en", id))
				return json_stringn(s, n);
		}
		if (label_lookup(p->lang, "unit.", s, n, code, sizeof(code)))
			return json_string(code);
		bool ok = n >= 1 && n <= 20;
		for (size_t i = 0; ok && i < n; i++)
			ok = s[i] > ' ' && s[i] < 0x7f;
		if (ok)
			return json_stringn(s, n);
		field_error(p, name, lpath, f->name, "web.form.err.unit", "%s: expected a UCUM unit (as kg, Cel, mm[Hg])",
			    NULL, NULL);
		return NULL;
	}
	case PHR_T_DECIMAL: {
		json_t *v = decimal_value(s, n);
		if (!v)
			field_error(p, name, lpath, f->name, "web.form.err.number",
				    "%s: expected a number (at most 9 digits, 6 after the point)", NULL, NULL);
		return v;
	}
	default:
		break;
	}
	return NULL;
}

static json_t *child_object(json_t *parent, const char *key)
{
	json_t *v = json_object_get(parent, key);
	if (v)
		return json_is_object(v) ? v : NULL;
	v = json_object();
	if (!v || json_object_set_new(parent, key, v))
		return NULL;
	return v;
}

/* A row position: digits without a leading zero, at most
 * PHR_WEB_FORM_MAX_INDEX. */
static bool position_ok(const char *s, size_t n)
{
	if (n == 0 || n > 3 || (n > 1 && s[0] == '0'))
		return false;
	int v = digits(s, n);
	return v >= 0 && v <= PHR_WEB_FORM_MAX_INDEX;
}

static void unknown_field(struct parse *p, const char *name)
{
	char msg[MSG_MAX], shown[PHR_WEB_FORM_MAX_NAME * 3 + 4];
	/* the name as sent may be anything: shown, never trusted */
	phr_text_sanitize(shown, sizeof(shown), name, strnlen(name, PHR_WEB_FORM_MAX_NAME + 1));
	const char *args[1] = { shown };
	fill(msg, sizeof(msg), L(p->lang, "web.form.err.unknown", "%s: not a field of this form"), args, 1);
	add_error(p, "", msg);
}

/* Form names are lower-case ASCII letters, digits, '_' and '.'. */
static bool name_chars_ok(const char *name)
{
	for (const char *c = name; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || is_digit(*c) || *c == '_' || *c == '.'))
			return false;
	return true;
}

/* Puts one posted field in the tree (objects for objects, objects keyed
 * by position for arrays). */
static void place(struct parse *p, json_t *tree, const char *name, const char *value, size_t vlen)
{
	const struct phr_field *fields = root_fields();
	const char *s = name + strlen(NAME_PREFIX);
	char lpath[PATH_MAX_LEN] = "";
	json_t *node = tree;
	bool root = true;

	if (!name_chars_ok(name))
		goto unknown;

	while (*s) {
		const char *dot = strchr(s, '.');
		size_t n = dot ? (size_t)(dot - s) : strlen(s);
		const struct phr_field *c = fields;
		while (c->name && !(strlen(c->name) == n && memcmp(c->name, s, n) == 0))
			c++;
		if (!c->name || !expressible(c) || (root && !on_form(p->k, c)))
			goto unknown;
		root = false;
		size_t ll = strlen(lpath);
		bfmt(lpath + ll, sizeof(lpath) - ll, "%s%s", ll ? "." : "", c->name);
		s += n;
		if (*s == '.')
			s++;
		else if (c->type == PHR_T_OBJECT || c->type == PHR_T_ARRAY)
			goto unknown;
		if (c->type == PHR_T_OBJECT) {
			if (!*s || !(node = child_object(node, c->name)))
				goto unknown;
			fields = c->children;
			continue;
		}
		if (c->type == PHR_T_ARRAY) {
			const char *d2 = strchr(s, '.');
			size_t pn = d2 ? (size_t)(d2 - s) : strlen(s);
			char pos[8];
			if (!position_ok(s, pn))
				goto unknown;
			memcpy(pos, s, pn);
			pos[pn] = '\0';
			s += pn;
			json_t *rows = child_object(node, c->name);
			if (!rows)
				goto unknown;
			const struct phr_field *item = &c->children[0];
			if (item->type == PHR_T_OBJECT) {
				if (*s != '.' || !(node = child_object(rows, pos)))
					goto unknown;
				s++;
				fields = item->children;
				continue;
			}
			if (*s)
				goto unknown;
			c = item;
			node = rows;
			/* the leaf is keyed by its position */
			const char *v = value;
			size_t vn = vlen;
			trim(&v, &vn);
			if (!vn)
				return;
			if (json_object_get(node, pos))
				goto unknown;
			json_t *x = convert(p, c, name, lpath, v, vn);
			if (x && json_object_set_new(node, pos, x))
				p->nomem = true;
			return;
		}
		if (*s)
			goto unknown;
		const char *v = value;
		size_t vn = vlen;
		trim(&v, &vn);
		if (!vn)
			return;
		if (json_object_get(node, c->name))
			goto unknown;
		json_t *x = convert(p, c, name, lpath, v, vn);
		if (x && json_object_set_new(node, c->name, x))
			p->nomem = true;
		return;
	}
unknown:
	unknown_field(p, name);
}

static json_t *fin_object(struct parse *p, const struct phr_field *fields, json_t *tmp, const char *jpath,
			  const char *fname, const char *lpath);

static int cmp_pos(const void *a, const void *b)
{
	long x = strtol(*(const char *const *)a, NULL, 10), y = strtol(*(const char *const *)b, NULL, 10);
	return (x > y) - (x < y);
}

static json_t *fin_array(struct parse *p, const struct phr_field *f, json_t *tmp, const char *jpath, const char *fname,
			 const char *lpath)
{
	const char *keys[PHR_WEB_FORM_MAX_INDEX + 1];
	size_t nk = 0;
	const char *key;
	json_t *v;
	json_object_foreach(tmp, key, v) {
		if (nk < sizeof(keys) / sizeof(keys[0]))
			keys[nk++] = key;
	}
	qsort(keys, nk, sizeof(keys[0]), cmp_pos);
	json_t *arr = json_array();
	if (!arr) {
		p->nomem = true;
		return NULL;
	}
	const struct phr_field *item = &f->children[0];
	for (size_t i = 0; i < nk; i++) {
		char ij[PATH_MAX_LEN], iname[PATH_MAX_LEN];
		bfmt(ij, sizeof(ij), "%s[%zu]", jpath, json_array_size(arr));
		bfmt(iname, sizeof(iname), "%s.%s", fname, keys[i]);
		json_t *x;
		json_t *in = json_object_get(tmp, keys[i]);
		if (item->type == PHR_T_OBJECT)
			x = json_is_object(in) ? fin_object(p, item->children, in, ij, iname, lpath) : NULL;
		else
			x = json_incref(in);
		if (!x)
			continue;
		if (json_array_append_new(arr, x) || json_object_set_new(p->pathmap, ij, json_string(iname)))
			p->nomem = true;
	}
	if (json_array_size(arr) == 0) {
		json_decref(arr);
		return NULL;
	}
	if ((int64_t)json_array_size(arr) > f->max) {
		char num[24];
		bfmt(num, sizeof(num), "%" PRId64, f->max);
		field_error(p, fname, lpath, f->name, "web.form.err.too_many", "%s: too many (at most %s)", num, NULL);
	}
	return arr;
}

static json_t *fin_object(struct parse *p, const struct phr_field *fields, json_t *tmp, const char *jpath,
			  const char *fname, const char *lpath)
{
	json_t *out = json_object();
	if (!out) {
		p->nomem = true;
		return NULL;
	}
	for (const struct phr_field *c = fields; c->name; c++) {
		json_t *v = json_object_get(tmp, c->name);
		if (!v)
			continue;
		char cj[PATH_MAX_LEN], cname[PATH_MAX_LEN], cl[PATH_MAX_LEN];
		bfmt(cj, sizeof(cj), "%s%s%s", jpath, *jpath ? "." : "", c->name);
		bfmt(cname, sizeof(cname), "%s.%s", fname, c->name);
		bfmt(cl, sizeof(cl), "%s%s%s", lpath, *lpath ? "." : "", c->name);
		json_t *x;
		if (c->type == PHR_T_OBJECT)
			x = fin_object(p, c->children, v, cj, cname, cl);
		else if (c->type == PHR_T_ARRAY)
			x = fin_array(p, c, v, cj, cname, cl);
		else
			x = json_incref(v);
		if (x && json_object_set_new(out, c->name, x))
			p->nomem = true;
	}
	if (json_object_size(out) == 0 && *jpath) {
		json_decref(out);
		return NULL;
	}
	for (const struct phr_field *c = fields; c->name; c++) {
		if (!c->required || json_object_get(out, c->name) || (!*jpath && strcmp(c->name, "kind") == 0))
			continue;
		char cname[PATH_MAX_LEN], cl[PATH_MAX_LEN];
		bfmt(cname, sizeof(cname), "%s.%s", fname, c->name);
		bfmt(cl, sizeof(cl), "%s%s%s", lpath, *lpath ? "." : "", c->name);
		field_error(p, cname, cl, c->name, "web.form.err.required", "%s: required", NULL, NULL);
	}
	return out;
}

/* The form name and label path of a JSON path in a schema message
 * ("vaccinations[1].date": the form's row positions, not the array's). */
static void map_path(struct parse *p, const char *jpath, size_t n, char *name, size_t ncap, char *lpath, size_t lcap)
{
	char jp[PATH_MAX_LEN];
	if (n >= sizeof(jp))
		n = sizeof(jp) - 1;
	memcpy(jp, jpath, n);
	jp[n] = '\0';
	char *close = strrchr(jp, ']');
	const char *rest = jp;
	const char *base = NAME_PREFIX;
	char head[PATH_MAX_LEN] = "";
	if (close) {
		char save = close[1];
		close[1] = '\0';
		const json_t *m = json_object_get(p->pathmap, jp);
		close[1] = save;
		if (json_is_string(m)) {
			bfmt(head, sizeof(head), "%s", json_string_value(m));
			base = head;
			rest = close + 1;
			if (*rest == '.')
				rest++;
		}
	}
	if (base == head)
		bfmt(name, ncap, "%s%s%s", head, *rest ? "." : "", rest);
	else
		bfmt(name, ncap, "%s%s", base, rest);
	/* the label path: the JSON path without positions */
	size_t o = 0;
	for (const char *s = jp; *s && o + 1 < lcap; s++) {
		if (*s == '[') {
			while (*s && *s != ']')
				s++;
			if (!*s)
				break;
			continue;
		}
		lpath[o++] = *s;
	}
	lpath[o] = '\0';
	/* positions in the name as the form writes them: "a[2]" -> "a.2" */
	char tmp[PATH_MAX_LEN];
	size_t t = 0;
	for (const char *s = name; *s && t + 1 < sizeof(tmp); s++) {
		if (*s == '[')
			tmp[t++] = '.';
		else if (*s != ']')
			tmp[t++] = *s;
	}
	tmp[t] = '\0';
	bfmt(name, ncap, "%s", tmp);
}

static bool path_char(char c)
{
	return (c >= 'a' && c <= 'z') || is_digit(c) || c == '_' || c == '.' || c == '[' || c == ']';
}

/* The schema's own check of the whole entry: what the field checks above
 * did not catch (the schema is the last word), named by label. */
static void schema_check(struct parse *p, const json_t *entry)
{
	uint8_t *cbor = NULL;
	size_t len = 0;
	int rc = phr_entry_encode_json(entry, &cbor, &len);
	free(cbor);
	if (rc == PHR_OK)
		return;
	const char *m = phr_last_error();
	const char *colon = strstr(m, ": ");
	size_t pn = colon ? (size_t)(colon - m) : 0;
	for (size_t i = 0; i < pn; i++)
		if (!path_char(m[i]))
			pn = 0;
	char name[PATH_MAX_LEN], lpath[PATH_MAX_LEN], msg[MSG_MAX];
	if (pn) {
		map_path(p, m, pn, name, sizeof(name), lpath, sizeof(lpath));
		const char *args[2] = { field_label(p->lang, lpath, lpath), colon + 2 };
		fill(msg, sizeof(msg), L(p->lang, "web.form.err.schema", "%s: %s"), args, 2);
		add_error(p, name, msg);
	} else {
		add_error(p, "", m);
	}
}

json_t *phr_web_form_values(const struct phr_web_field *fields, size_t n)
{
	json_t *o = json_object();
	size_t kept = 0;
	for (size_t i = 0; o && i < n && kept < PHR_WEB_FORM_MAX_FIELDS; i++) {
		if (!fields[i].name || strncmp(fields[i].name, NAME_PREFIX, strlen(NAME_PREFIX)) != 0 ||
		    strlen(fields[i].name) > PHR_WEB_FORM_MAX_NAME || !name_chars_ok(fields[i].name))
			continue;
		size_t vl = fields[i].value_len > PHR_WEB_FORM_MAX_VALUE ? PHR_WEB_FORM_MAX_VALUE : fields[i].value_len;
		json_t *s = json_stringn_nocheck(fields[i].value ? fields[i].value : "", fields[i].value ? vl : 0);
		if (!s || json_object_set_new(o, fields[i].name, s)) {
			json_decref(o);
			return NULL;
		}
		kept++;
	}
	return o;
}

int phr_web_form_parse(const struct phr_web_field *fields, size_t n, const char *kind, const char *lang,
		       json_t **entry, json_t **errors)
{
	const struct form_kind *k = kind_find(kind);
	*entry = NULL;
	*errors = NULL;
	if (!k)
		return phr_fail(PHR_E_ARG, "web form: unknown form kind \"%s\"", kind ? kind : "(null)");
	if (n > PHR_WEB_FORM_MAX_FIELDS)
		return phr_fail(PHR_E_LIMIT, "web form: %zu fields, more than PHR_WEB_FORM_MAX_FIELDS (%d)", n,
				PHR_WEB_FORM_MAX_FIELDS);
	if (!lang || !phr_label_has_lang(lang))
		lang = "en";
	struct parse p = { .k = k, .lang = lang, .errors = json_object(), .pathmap = json_object() };
	json_t *tree = json_object();
	json_t *out = NULL;
	if (!p.errors || !p.pathmap || !tree)
		goto nomem;
	for (size_t i = 0; i < n; i++) {
		const char *name = fields[i].name;
		if (!name || strncmp(name, NAME_PREFIX, strlen(NAME_PREFIX)) != 0)
			continue;
		if (strlen(name) > PHR_WEB_FORM_MAX_NAME) {
			unknown_field(&p, "…");
			continue;
		}
		if (!name_chars_ok(name)) {
			unknown_field(&p, name);
			continue;
		}
		if (fields[i].value_len > PHR_WEB_FORM_MAX_VALUE || (!fields[i].value && fields[i].value_len)) {
			char num[24];
			bfmt(num, sizeof(num), "%d", PHR_WEB_FORM_MAX_VALUE);
			/* the label path: the name without positions */
			char lpath[PATH_MAX_LEN];
			size_t o = 0;
			for (const char *s = name + strlen(NAME_PREFIX); *s && o + 1 < sizeof(lpath); s++) {
				if (is_digit(*s) && (o == 0 || lpath[o - 1] == '.')) {
					while (is_digit(*s))
						s++;
					if (!*s)
						break;
					continue;
				}
				lpath[o++] = *s;
			}
			lpath[o] = '\0';
			if (o && lpath[o - 1] == '.')
				lpath[o - 1] = '\0';
			field_error(&p, name, lpath, lpath, "web.form.err.text_long", "%s: too long (at most %s bytes)", num,
				    NULL);
			continue;
		}
		place(&p, tree, name, fields[i].value ? fields[i].value : "", fields[i].value_len);
		if (p.nomem)
			goto nomem;
	}
	out = fin_object(&p, root_fields(), tree, "", "e", "");
	if (p.nomem || !out)
		goto nomem;
	/* the kind first, as phr prints an entry */
	json_t *ordered = json_object();
	if (!ordered || json_object_set_new(ordered, "kind", json_string(k->entry_kind)) ||
	    json_object_update(ordered, out)) {
		json_decref(ordered);
		goto nomem;
	}
	json_decref(out);
	out = ordered;
	if (json_object_size(p.errors) == 0)
		schema_check(&p, out);
	if (p.nomem)
		goto nomem;
	json_decref(tree);
	json_decref(p.pathmap);
	if (json_object_size(p.errors)) {
		json_decref(out);
		const char *key;
		json_t *v;
		json_object_foreach(p.errors, key, v) {
			phr_fail(PHR_E_FORM, "%s", json_string_value(v));
			break;
		}
		*errors = p.errors;
		return PHR_E_FORM;
	}
	json_decref(p.errors);
	*entry = out;
	return PHR_OK;
nomem:
	json_decref(out);
	json_decref(tree);
	json_decref(p.pathmap);
	json_decref(p.errors);
	return phr_fail(PHR_E_NOMEM, "web form: out of memory");
}

/* ---- The summary shown before signing ---- */

static void summary_value(FILE *o, const char *lang, const struct phr_field *f, const char *lpath, const json_t *v)
{
	char buf[64], id[PATH_MAX_LEN + 80];
	const char *s = json_is_string(v) ? json_string_value(v) : NULL;
	switch (f->type) {
	case PHR_T_ENUM:
		bfmt(id, sizeof(id), "enum.%s.%s", lpath, s ? s : "");
		escs(o, L(lang, id, s ? s : ""));
		return;
	case PHR_T_BOOL:
		escs(o, L(lang, json_is_true(v) ? "ui.yes" : "ui.no", json_is_true(v) ? "yes" : "no"));
		return;
	case PHR_T_CODE: {
		const char *colon = s ? strchr(s, ':') : NULL;
		if (colon) {
			bfmt(id, sizeof(id), "code.%.*s.%s", (int)(colon - s), s, colon + 1);
			const char *l = phr_label(lang, id);
			if (!l)
				l = phr_label("en", id);
			if (l) {
				escs(o, l);
				fputs(" <span class=\"phr-code\" dir=\"ltr\">", o);
				escs(o, s);
				fputs("</span>", o);
				return;
			}
		}
		fputs("<span dir=\"ltr\">", o);
		escs(o, s ? s : "");
		fputs("</span>", o);
		return;
	}
	case PHR_T_COUNTRY:
	case PHR_T_LANG:
	case PHR_T_UNIT:
		bfmt(id, sizeof(id), "%s.%s", f->type == PHR_T_COUNTRY ? "country" : f->type == PHR_T_LANG ? "lang" : "unit",
		     s ? s : "");
		escs(o, L(lang, id, s ? s : ""));
		if (f->type != PHR_T_UNIT && phr_label(lang, id)) {
			fputs(" <span class=\"phr-code\" dir=\"ltr\">", o);
			escs(o, s ? s : "");
			fputs("</span>", o);
		}
		return;
	case PHR_T_INT:
		bfmt(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		escs(o, buf);
		return;
	case PHR_T_DECIMAL:
		if (json_is_integer(v))
			bfmt(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		else
			real_text(json_real_value(v), buf, sizeof(buf));
		fputs("<span dir=\"ltr\">", o);
		escs(o, buf);
		fputs("</span>", o);
		return;
	case PHR_T_DATE:
		fputs("<span dir=\"ltr\">", o);
		escs(o, s ? s : "");
		fputs("</span>", o);
		return;
	default:
		fputs("<bdi>", o);
		escs(o, s ? s : "");
		fputs("</bdi>", o);
		return;
	}
}

static void summary_fields(FILE *o, const char *lang, const struct phr_field *fields, const char *lpath, const json_t *v);

static void summary_of(FILE *o, const char *lang, const struct phr_field *f, const char *lpath, const json_t *v)
{
	if (f->type == PHR_T_OBJECT) {
		summary_fields(o, lang, f->children, lpath, v);
	} else if (f->type == PHR_T_ARRAY) {
		const struct phr_field *item = &f->children[0];
		fputs("<ol>", o);
		size_t i;
		const json_t *c;
		json_array_foreach(v, i, c) {
			fputs("<li>", o);
			summary_of(o, lang, item, lpath, c);
			fputs("</li>", o);
		}
		fputs("</ol>", o);
	} else {
		summary_value(o, lang, f, lpath, v);
	}
}

static void summary_fields(FILE *o, const char *lang, const struct phr_field *fields, const char *lpath, const json_t *v)
{
	fputs("<dl>", o);
	for (const struct phr_field *f = fields; f->name; f++) {
		const json_t *c = json_object_get(v, f->name);
		if (!c)
			continue;
		char p[PATH_MAX_LEN];
		bfmt(p, sizeof(p), "%s%s%s", lpath, *lpath ? "." : "", f->name);
		fputs("<dt>", o);
		escs(o, field_label(lang, p, f->name));
		fputs("</dt><dd>", o);
		summary_of(o, lang, f, p, c);
		fputs("</dd>\n", o);
	}
	fputs("</dl>", o);
}

int phr_web_form_summary_html(FILE *out, const json_t *entry, const char *lang)
{
	if (!out || !json_is_object(entry))
		return phr_fail(PHR_E_ARG, "web form: no entry to summarise");
	if (!lang || !phr_label_has_lang(lang))
		lang = "en";
	fputs("<div class=\"phr-summary\">", out);
	summary_fields(out, lang, root_fields(), "", entry);
	fputs("</div>\n", out);
	if (ferror(out))
		return phr_fail(PHR_E_IO, "web form: write failed");
	return PHR_OK;
}
