/* Posted entry forms -> JSON entry: phr_web_form_parse(), and the form
 * written back with phr_web_form_html() (web/form.h).
 *
 * Input: byte 0 = form kind (mod the number of kinds), byte 1 = language
 * (mod the languages compiled in), the rest = fields, one a line
 * ("NAME=VALUE", or "NAME" with no value; a value holds any byte but a new
 * line, NUL included).
 *
 * Invariants:
 *  - the result is PHR_OK, PHR_E_FORM or PHR_E_LIMIT (more fields than
 *    PHR_WEB_FORM_MAX_FIELDS), never anything else;
 *  - PHR_OK: an entry of the form's JSON kind that phr_entry_encode_json()
 *    takes, no errors; the entry shown in the form and posted again the
 *    way the form shows it comes back the same (one step is a fixed point);
 *  - PHR_E_FORM: no entry, at least one message, each a non-empty string,
 *    and a message for phr_last_error();
 *  - the form written back (the posted values and the messages, or the
 *    entry) succeeds and holds no markup from the input ("<script").
 */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "form.h"
#include "phr/json.h"
#include "phr/labels.h"

#define MAXF (PHR_WEB_FORM_MAX_FIELDS + 8)

struct posted {
	struct phr_web_field f[MAXF];
	char *mem[MAXF];
	size_t n;
};

static void posted_free(struct posted *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->mem[i]);
	p->n = 0;
}

/* One field: the name NUL-terminated, then the value, in one allocation. */
static void post(struct posted *p, const char *name, size_t nlen, const char *value, size_t vlen)
{
	if (p->n >= MAXF)
		return;
	char *m = malloc(nlen + 1 + vlen + 1);
	FUZZ_CHECK(m != NULL, "out of memory");
	memcpy(m, name, nlen);
	m[nlen] = '\0';
	if (vlen)
		memcpy(m + nlen + 1, value, vlen);
	m[nlen + 1 + vlen] = '\0';
	p->mem[p->n] = m;
	p->f[p->n] = (struct phr_web_field){ m, m + nlen + 1, vlen };
	p->n++;
}

static void real_text(double x, char *buf, size_t cap)
{
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(buf, cap, "%.*g", prec, x);
		if (strtod(buf, NULL) == x)
			return;
	}
}

/* The entry as its form's fields (the values as the form shows them). */
static void flatten(struct posted *p, const json_t *v, const char *name)
{
	char buf[300];
	if (json_is_object(v)) {
		const char *k;
		json_t *c;
		json_object_foreach((json_t *)v, k, c) {
			if (strcmp(name, "e") == 0 && strcmp(k, "kind") == 0)
				continue;
			snprintf(buf, sizeof(buf), "%s.%s", name, k);
			flatten(p, c, buf);
		}
	} else if (json_is_array(v)) {
		size_t i;
		json_t *c;
		json_array_foreach(v, i, c) {
			snprintf(buf, sizeof(buf), "%s.%zu", name, i);
			flatten(p, c, buf);
		}
	} else {
		char val[64];
		const char *s = val;
		size_t n;
		if (json_is_string(v)) {
			s = json_string_value(v);
			n = json_string_length(v);
		} else if (json_is_integer(v)) {
			n = (size_t)snprintf(val, sizeof(val), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		} else if (json_is_real(v)) {
			real_text(json_real_value(v), val, sizeof(val));
			n = strlen(val);
		} else {
			s = json_is_true(v) ? "true" : "false";
			n = strlen(s);
		}
		post(p, name, strlen(name), s, n);
	}
}

static void html_ok(const char *kind, const char *lang, const json_t *prefill, const json_t *errors)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	FUZZ_CHECK(f != NULL, "open_memstream");
	int rc = phr_web_form_html(f, kind, lang, prefill, errors);
	fclose(f);
	FUZZ_CHECK(rc == PHR_OK, "the form is not written");
	for (size_t i = 0; i + 7 <= len; i++)
		FUZZ_CHECK(memcmp(buf + i, "<script", 7) != 0, "input reached the page as markup");
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct posted p, again;
	size_t nkinds = 0;
	while (phr_web_form_kind(nkinds))
		nkinds++;
	if (size < 2)
		return 0;
	const char *kind = phr_web_form_kind(data[0] % nkinds);
	const char *lang = phr_label_lang_at(data[1] % phr_label_lang_count());
	const char *s = (const char *)data + 2, *end = (const char *)data + size;
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		const char *e = nl ? nl : end;
		const char *eq = memchr(s, '=', (size_t)(e - s));
		if (eq)
			post(&p, s, (size_t)(eq - s), eq + 1, (size_t)(e - eq - 1));
		else
			post(&p, s, (size_t)(e - s), "", 0);
		s = nl ? nl + 1 : end;
	}

	json_t *entry = (json_t *)&entry, *errors = (json_t *)&errors;
	int rc = phr_web_form_parse(p.f, p.n, kind, lang, &entry, &errors);
	if (rc == PHR_E_LIMIT) {
		FUZZ_CHECK(p.n > PHR_WEB_FORM_MAX_FIELDS, "limit below PHR_WEB_FORM_MAX_FIELDS");
		FUZZ_CHECK(entry == NULL && errors == NULL, "output after a limit");
	} else if (rc == PHR_E_FORM) {
		FUZZ_CHECK(entry == NULL && json_is_object(errors) && json_object_size(errors) > 0, "refused without messages");
		const char *k;
		json_t *v;
		json_object_foreach(errors, k, v)
			FUZZ_CHECK(json_is_string(v) && json_string_length(v) > 0, "empty message");
		FUZZ_CHECK(phr_last_error()[0] != '\0', "failure without a message");
		json_t *values = phr_web_form_values(p.f, p.n);
		FUZZ_CHECK(values != NULL, "values");
		html_ok(kind, lang, values, errors);
		json_decref(values);
		json_decref(errors);
	} else {
		FUZZ_CHECK(rc == PHR_OK, "error other than PHR_E_FORM or PHR_E_LIMIT");
		FUZZ_CHECK(entry != NULL && errors == NULL, "accepted without an entry");
		FUZZ_CHECK(strcmp(json_string_value(json_object_get(entry, "kind")), phr_web_form_entry_kind(kind)) == 0,
			   "entry of another kind");
		uint8_t *cbor = NULL;
		size_t len = 0;
		FUZZ_CHECK(phr_entry_encode_json(entry, &cbor, &len) == PHR_OK, "accepted entry the schema refuses");
		free(cbor);
		html_ok(kind, lang, entry, NULL);
		/* posted again as the form shows it */
		flatten(&again, entry, "e");
		json_t *entry2 = NULL, *errors2 = NULL;
		rc = phr_web_form_parse(again.f, again.n, kind, lang, &entry2, &errors2);
		FUZZ_CHECK(rc == PHR_OK, "the accepted entry, posted again, is refused");
		FUZZ_CHECK(json_equal(entry, entry2), "the accepted entry, posted again, changed");
		json_decref(entry2);
		json_decref(entry);
		posted_free(&again);
	}
	posted_free(&p);
	return 0;
}
