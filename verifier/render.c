/* Text and JSON views of a record and its verification report. */
#include "phr/render.h"
#include "phr/json.h"
#include "phr/labels.h"
#include "phr/schema.h"

#include <stdlib.h>
#include <string.h>

#define ID_MAX 160
#define PATH_MAX_LEN 120

const char *phr_status_label_id(int s)
{
	static const char *const ids[PHR_ST_COUNT] = { "ui.status.valid", "ui.status.bad_signature",
		"ui.status.unknown_signer", "ui.status.revoked", "ui.status.cert_validity", "ui.status.chain_broken",
		"ui.status.malformed", "ui.status.not_checked" };
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

static void value_text(const struct phr_field *f, const json_t *v, const char *path, const char *lang, FILE *out)
{
	char id[ID_MAX];
	switch (f->type) {
	case PHR_T_BOOL:
		fputs(L(lang, json_is_true(v) ? "ui.yes" : "ui.no", json_is_true(v) ? "yes" : "no"), out);
		break;
	case PHR_T_ENUM:
		snprintf(id, sizeof(id), "enum.%s.%s", path, json_string_value(v));
		fputs(L(lang, id, json_string_value(v)), out);
		break;
	case PHR_T_CODE: {
		const char *s = json_string_value(v);
		const char *colon = strchr(s, ':');
		snprintf(id, sizeof(id), "code.%.*s.%s", (int)(colon - s), s, colon + 1);
		const char *label = L(lang, id, NULL);
		if (label)
			fprintf(out, "%s [%s]", label, s);
		else
			fprintf(out, "%s (%s)", s, L(lang, "ui.unknown_code", "code not in the local table"));
		break;
	}
	case PHR_T_COUNTRY:
		snprintf(id, sizeof(id), "country.%s", json_string_value(v));
		fputs(L(lang, id, json_string_value(v)), out);
		break;
	case PHR_T_LANG:
		snprintf(id, sizeof(id), "lang.%s", json_string_value(v));
		fputs(L(lang, id, json_string_value(v)), out);
		break;
	case PHR_T_INT:
		fprintf(out, "%lld", (long long)json_integer_value(v));
		break;
	case PHR_T_DECIMAL: {
		char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_REAL_PRECISION(10));
		fputs(s ? s : "?", out);
		free(s);
		break;
	}
	case PHR_T_OBJECT: {
		/* inline: "label: value; label: value" */
		int first = 1;
		const json_t *unit = json_object_get(v, "unit");
		for (const struct phr_field *c = f->children; c->name; c++) {
			const json_t *cv = json_object_get(v, c->name);
			if (!cv || (c->type == PHR_T_UNIT && json_object_get(v, "value")))
				continue; /* printed with its value */
			char cpath[PATH_MAX_LEN], cid[ID_MAX];
			snprintf(cpath, sizeof(cpath), "%s.%s", path, c->name);
			snprintf(cid, sizeof(cid), "field.%s", cpath);
			if (!first)
				fputs("; ", out);
			if (!first || (c->type != PHR_T_CODE && c->type != PHR_T_TEXT))
				fprintf(out, "%s: ", L(lang, cid, c->name));
			value_text(c, cv, cpath, lang, out);
			if (c->type == PHR_T_DECIMAL && unit)
				fprintf(out, " %s", json_string_value(unit));
			first = 0;
		}
		break;
	}
	case PHR_T_ARRAY: {
		for (size_t i = 0; i < json_array_size(v); i++) {
			if (i)
				fputs(", ", out);
			value_text(&f->children[0], json_array_get(v, i), path, lang, out);
		}
		break;
	}
	default: /* text, date, unit */
		fputs(json_string_value(v), out);
		break;
	}
}

static void field_text(const struct phr_field *f, const json_t *v, const char *path, const char *lang, int depth,
		       FILE *out)
{
	char id[ID_MAX];
	snprintf(id, sizeof(id), "field.%s", path);
	const char *label = L(lang, id, f->name);
	int indent = 2 * depth + 2;
	if (f->type == PHR_T_OBJECT) {
		fprintf(out, "%*s%s\n", indent, "", label);
		for (const struct phr_field *c = f->children; c->name; c++) {
			const json_t *cv = json_object_get(v, c->name);
			if (!cv)
				continue;
			char cpath[PATH_MAX_LEN];
			snprintf(cpath, sizeof(cpath), "%s.%s", path, c->name);
			field_text(c, cv, cpath, lang, depth + 1, out);
		}
	} else if (f->type == PHR_T_ARRAY && f->children[0].type == PHR_T_OBJECT) {
		fprintf(out, "%*s%s\n", indent, "", label);
		for (size_t i = 0; i < json_array_size(v); i++) {
			fprintf(out, "%*s- ", indent + 2, "");
			value_text(&f->children[0], json_array_get(v, i), path, lang, out);
			fputc('\n', out);
		}
	} else {
		fprintf(out, "%*s%s: ", indent, "", label);
		value_text(f, v, path, lang, out);
		fputc('\n', out);
	}
}

int phr_render_text(const struct phr_record *r, const struct phr_report *rep, const char *lang, FILE *out)
{
	char hex[33], kid[PHR_KID_HEX_LEN], when[21], line[256];
	phr_record_id_hex(r->id, hex);
	fprintf(out, "%s\n%s: %.4s %.4s %.4s %.4s %.4s %.4s %.4s %.4s\n", L(lang, "ui.title", "Personal Health Record"),
		L(lang, "ui.record_id", "Record ID"), hex, hex + 4, hex + 8, hex + 12, hex + 16, hex + 20, hex + 24,
		hex + 28);
	if (!rep->all_valid)
		fprintf(out, "\n!! %s\n", L(lang, "ui.warning_unverified",
					    "WARNING: this record could not be verified. Do not rely on entries not marked valid."));
	for (size_t i = 0; i < r->n_entries; i++) {
		const struct phr_entry_report *e = &rep->entries[i];
		long num = (long)i + 1;
		fill(line, sizeof(line), L(lang, "ui.entry", "Entry %d"), &num, 1);
		fprintf(out, "\n== %s: %s ==\n", line, L(lang, phr_status_label_id(e->status), phr_status_name(e->status)));
		if (e->status != PHR_ST_VALID)
			fprintf(out, "   !! %s: %s\n", L(lang, "ui.unverified_entry", "Unverified entry"), e->detail);
		phr_kid_to_hex(e->kid, kid);
		phr_format_time(e->signed_at, when);
		if (e->have_signer)
			fprintf(out, "   %s: %s (%s), %s, %s %s\n", L(lang, "ui.signed_by", "Signed by"), e->clinic,
				L(lang, (snprintf(line, sizeof(line), "country.%s", e->country), line), e->country), when,
				L(lang, "ui.key_id", "Key ID"), kid);
		else
			fprintf(out, "   %s: %s %s, %s\n", L(lang, "ui.signed_by", "Signed by"), L(lang, "ui.key_id", "Key ID"),
				kid, when);
		json_t *content = NULL;
		if (!r->entries[i].content || phr_entry_decode_json(r->entries[i].content, r->entries[i].content_len,
								    &content) != PHR_OK)
			continue;
		const struct phr_field *root = phr_schema_root();
		for (const struct phr_field *c = root->children; c->name; c++) {
			const json_t *cv = json_object_get(content, c->name);
			if (cv)
				field_text(c, cv, c->name, lang, 0, out);
		}
		json_decref(content);
	}
	if (fflush(out) != 0 || ferror(out))
		return phr_fail(PHR_E_IO, "writing the summary failed");
	return PHR_OK;
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
		json_array_append_new(entries, ent);
	}
	*out = root;
	return PHR_OK;
}
