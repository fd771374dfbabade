/* JSON <-> CBOR for entry content, driven by the schema table. */
#include "phr/json.h"
#include "phr/cbor.h"
#include "phr/schema.h"
#include "cbor_int.h"
#include "schema_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t phr_max_text(void) { return PHR_MAX_TEXT; }
size_t phr_max_array(void) { return PHR_MAX_ARRAY; }
size_t phr_max_entry_cbor(void) { return PHR_MAX_ENTRY_CBOR; }

#define PATH_MAX_LEN 160
#define DATE_MIN_YEAR 1900
#define DATE_MAX_YEAR 2199
#define DECIMAL_MAX_MANTISSA 999999999LL
#define DECIMAL_MAX_PLACES 6
/* phr_text_forbidden() as a JSON Schema (ECMA-262) pattern */
#define TEXT_PATTERN "^[^\\u0000-\\u001F\\u007F-\\u009F\\u2028\\u2029\\u202A-\\u202E\\u2066-\\u2069]*$"

static const char *const cs_names[] = { NULL, "icd11", "icd10", "atc", "loinc", "snomed" };

const char *phr_code_system_name(int id)
{
	return (id >= 1 && id <= PHR_CS_MAX) ? cs_names[id] : NULL;
}

int phr_code_system_id(const char *name, size_t len)
{
	for (int i = 1; i <= PHR_CS_MAX; i++)
		if (strlen(cs_names[i]) == len && memcmp(cs_names[i], name, len) == 0)
			return i;
	return 0;
}

/* ---- code syntax ---- */

static int is_up(char c) { return c >= 'A' && c <= 'Z'; }
static int is_dig(char c) { return c >= '0' && c <= '9'; }
static int is_lo(char c) { return c >= 'a' && c <= 'z'; }

static int luhn_ok(const char *digits, size_t n, int check)
{
	int sum = 0;
	for (size_t i = 0; i < n; i++) {
		int dgt = digits[n - 1 - i] - '0';
		if (i % 2 == 0) {
			dgt *= 2;
			if (dgt > 9)
				dgt -= 9;
		}
		sum += dgt;
	}
	return (10 - sum % 10) % 10 == check;
}

static int verhoeff_ok(const char *s, size_t n)
{
	static const uint8_t d[10][10] = {
		{ 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 }, { 1, 2, 3, 4, 0, 6, 7, 8, 9, 5 },
		{ 2, 3, 4, 0, 1, 7, 8, 9, 5, 6 }, { 3, 4, 0, 1, 2, 8, 9, 5, 6, 7 },
		{ 4, 0, 1, 2, 3, 9, 5, 6, 7, 8 }, { 5, 9, 8, 7, 6, 0, 4, 3, 2, 1 },
		{ 6, 5, 9, 8, 7, 1, 0, 4, 3, 2 }, { 7, 6, 5, 9, 8, 2, 1, 0, 4, 3 },
		{ 8, 7, 6, 5, 9, 3, 2, 1, 0, 4 }, { 9, 8, 7, 6, 5, 4, 3, 2, 1, 0 } };
	static const uint8_t p[8][10] = {
		{ 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 }, { 1, 5, 7, 6, 2, 8, 3, 0, 9, 4 },
		{ 5, 8, 0, 3, 7, 9, 6, 1, 4, 2 }, { 8, 9, 1, 6, 0, 4, 3, 5, 2, 7 },
		{ 9, 4, 5, 3, 1, 2, 6, 8, 7, 0 }, { 4, 2, 8, 6, 5, 7, 3, 9, 0, 1 },
		{ 2, 7, 9, 3, 8, 0, 6, 4, 1, 5 }, { 7, 0, 4, 6, 9, 1, 3, 2, 5, 8 } };
	int c = 0;
	for (size_t i = 0; i < n; i++)
		c = d[c][p[i % 8][s[n - 1 - i] - '0']];
	return c == 0;
}

static int icd11_segment(const char *s, size_t n)
{
	/* stem "1B10", extension "XN2K7": 4-5 chars, then optional .x{1,4} */
	size_t i = 0;
	while (i < n && (is_up(s[i]) || is_dig(s[i])))
		i++;
	if (i < 4 || i > 6)
		return 0;
	if (i == n)
		return 1;
	if (s[i] != '.')
		return 0;
	size_t j = i + 1;
	while (j < n && (is_up(s[j]) || is_dig(s[j])))
		j++;
	return j == n && j - i - 1 >= 1 && j - i - 1 <= 4;
}

int phr_code_check(int system, const char *c, size_t n)
{
	const char *why = NULL;
	if (n == 0 || n > 64)
		return phr_fail(PHR_E_CODE_SYSTEM, "code must have 1 to 64 characters");
	for (size_t i = 0; i < n; i++) /* before the code is quoted below */
		if ((uint8_t)c[i] <= 0x20 || (uint8_t)c[i] >= 0x7f)
			return phr_fail(PHR_E_CODE_SYSTEM, "%s code holds byte 0x%02x at %zu, not a character of any code",
					phr_code_system_name(system) ? phr_code_system_name(system) : "a", (uint8_t)c[i], i);
	switch (system) {
	case PHR_CS_ICD11: {
		/* postcoordination: stem & extension or stem / stem */
		size_t start = 0;
		for (size_t i = 0; i <= n; i++) {
			if (i == n || c[i] == '&' || c[i] == '/') {
				if (!icd11_segment(c + start, i - start)) {
					why = "ICD-11 code like 1B10.0 (optionally with &extension or /stem)";
					break;
				}
				start = i + 1;
			}
		}
		break;
	}
	case PHR_CS_ICD10:
		if (!(n >= 3 && is_up(c[0]) && is_dig(c[1]) && is_dig(c[2])))
			why = "ICD-10 code like A15 or A15.0";
		else if (n > 3 && !(c[3] == '.' && n >= 5 && n <= 8))
			why = "ICD-10 code like A15 or A15.0";
		else
			for (size_t i = 4; i < n && !why; i++)
				if (!is_dig(c[i]) && !is_up(c[i]))
					why = "ICD-10 code like A15 or A15.0";
		break;
	case PHR_CS_ATC: {
		/* A, A10, A10B, A10BA, A10BA02 */
		static const char *const shape[] = { "L", "LDD", "LDDL", "LDDLL", "LDDLLDD" };
		int ok = 0;
		for (size_t k = 0; k < 5 && !ok; k++) {
			size_t m = strlen(shape[k]);
			if (m != n)
				continue;
			ok = 1;
			for (size_t i = 0; i < n; i++)
				if (shape[k][i] == 'L' ? !is_up(c[i]) : !is_dig(c[i]))
					ok = 0;
		}
		if (!ok)
			why = "ATC code like J07BD52";
		break;
	}
	case PHR_CS_LOINC: {
		size_t dash = 0;
		for (size_t i = 0; i < n; i++)
			if (c[i] == '-')
				dash = i;
		int ok = dash >= 1 && dash <= 7 && dash == n - 2 && is_dig(c[n - 1]);
		for (size_t i = 0; ok && i < dash; i++)
			ok = is_dig(c[i]);
		if (!ok)
			why = "LOINC code like 8302-2";
		else if (!luhn_ok(c, dash, c[n - 1] - '0'))
			why = "LOINC code with a valid check digit (mod 10)";
		break;
	}
	case PHR_CS_SNOMED: {
		int ok = n >= 6 && n <= 18 && c[0] != '0';
		for (size_t i = 0; ok && i < n; i++)
			ok = is_dig(c[i]);
		if (!ok)
			why = "SNOMED CT identifier of 6 to 18 digits";
		else if (!verhoeff_ok(c, n))
			why = "SNOMED CT identifier with a valid Verhoeff check digit";
		break;
	}
	default:
		return phr_fail(PHR_E_CODE_SYSTEM, "unknown code system %d", system);
	}
	if (why)
		return phr_fail(PHR_E_CODE_SYSTEM, "'%.*s' is not a valid %s code: expected %s",
				(int)n, c, phr_code_system_name(system), why);
	return PHR_OK;
}

/* ---- text a reader sees ---- */

/* One UTF-8 character at s[0..n), n >= 1 (RFC 3629: shortest form, no
 * surrogates, at most U+10FFFF): its length in bytes, or 0 when the bytes
 * there are not one. */
static size_t utf8_char(const uint8_t *s, size_t n, uint32_t *cp)
{
	uint8_t c = s[0];
	size_t k;
	uint32_t v;
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		k = 1;
		v = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		k = 2;
		v = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		k = 3;
		v = c & 0x07;
	} else {
		return 0;
	}
	if (n <= k)
		return 0;
	for (size_t j = 1; j <= k; j++) {
		if ((s[j] & 0xc0) != 0x80)
			return 0;
		v = (v << 6) | (s[j] & 0x3f);
	}
	if ((k == 2 && (v < 0x800 || (v >= 0xd800 && v <= 0xdfff))) || (k == 3 && (v < 0x10000 || v > 0x10ffff)))
		return 0;
	*cp = v;
	return k + 1;
}

bool phr_text_forbidden(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029 ||
	       (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

/* What a forbidden code point is, for a message a clinic can act on. */
static const char *forbidden_what(uint32_t cp)
{
	switch (cp) {
	case 0x00: return "NUL, a control character";
	case 0x07: return "bell, a control character";
	case 0x08: return "backspace, a control character";
	case 0x09: return "tab, a control character";
	case 0x0a: return "new line, a control character";
	case 0x0d: return "carriage return, a control character";
	case 0x1b: return "escape, a control character";
	case 0x7f: return "delete, a control character";
	case 0x2028: return "line separator";
	case 0x2029: return "paragraph separator";
	case 0x202d: return "left-to-right override, a bidi control";
	case 0x202e: return "right-to-left override, a bidi control";
	}
	if (cp >= 0x202a && cp <= 0x202c)
		return "a bidi embedding";
	if (cp >= 0x2066 && cp <= 0x2069)
		return "a bidi isolate";
	return "a control character";
}

int phr_text_check(const char *s, size_t n, const char *what)
{
	const uint8_t *p = (const uint8_t *)s;
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t k;
		if (p[i] >= 0x20 && p[i] < 0x7f) {
			i++;
			continue;
		}
		if (!(k = utf8_char(p + i, n - i, &cp)))
			return phr_fail(PHR_E_SCHEMA, "%s: text is not UTF-8 (byte %zu)", what, i);
		if (phr_text_forbidden(cp))
			return phr_fail(PHR_E_SCHEMA,
					"%s: U+%04X (%s) at byte %zu is not allowed in text (no control characters, "
					"line breaks or bidi overrides)",
					what, (unsigned)cp, forbidden_what(cp), i);
		i += k;
	}
	return PHR_OK;
}

size_t phr_text_sanitize(char *out, size_t cap, const char *s, size_t n)
{
	static const char fffd[] = "\xef\xbf\xbd"; /* U+FFFD REPLACEMENT CHARACTER */
	const uint8_t *p = (const uint8_t *)s;
	size_t total = 0, written = 0;
	bool cut = cap == 0;
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t k = utf8_char(p + i, n - i, &cp);
		const char *put = s + i;
		size_t m = k;
		if (!k || phr_text_forbidden(cp)) {
			put = fffd;
			m = 3;
			k = k ? k : 1;
		}
		if (!cut && written + m < cap) {
			memcpy(out + written, put, m);
			written += m;
		} else {
			cut = true;
		}
		total += m;
		i += k;
	}
	if (cap)
		out[written] = '\0';
	return total;
}

/* s[0..n) quoted in a message: never a control character from the input. */
static const char *shown(char *buf, size_t cap, const char *s, size_t n)
{
	phr_text_sanitize(buf, cap, s, n);
	return buf;
}

/* ---- dates ---- */

int64_t phr_days_from_civil(int y, int m, int d)
{
	/* H. Hinnant's algorithm, shifted so 1900-01-01 is day 0 */
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468 + 25567;
}

void phr_civil_from_days(int64_t z, int *y, int *m, int *d)
{
	z += 719468 - 25567;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t yy = yoe + era * 400;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yy + (*m <= 2));
}

static int days_in_month(int y, int m)
{
	static const int dm[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return dm[m - 1];
}

static int parse_digits(const char *s, int n)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!is_dig(s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* returns parts: 1 year, 2 year-month, 3 full; 0 invalid */
static int parse_date(const char *s, size_t n, int *y, int *m, int *d)
{
	*m = *d = 0;
	if (n != 4 && n != 7 && n != 10)
		return 0;
	if ((*y = parse_digits(s, 4)) < 0)
		return 0;
	if (*y < DATE_MIN_YEAR || *y > DATE_MAX_YEAR)
		return 0;
	if (n == 4)
		return 1;
	if (s[4] != '-' || (*m = parse_digits(s + 5, 2)) < 1 || *m > 12)
		return 0;
	if (n == 7)
		return 2;
	if (s[7] != '-' || (*d = parse_digits(s + 8, 2)) < 1 || *d > days_in_month(*y, *m))
		return 0;
	return 3;
}

/* ---- encode ---- */

#define BYTES_MAX 64 /* longest BYTES field (schema_table.c: 32, a hash) */

static int hex_lower(char c)
{
	return is_dig(c) ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static int count_enum(const char *const *e)
{
	int n = 0;
	while (e[n])
		n++;
	return n;
}

static int encode_value(const struct phr_field *f, const json_t *v, char *path, struct phr_cbor_enc *e);

/* Appends ".name" (or "name" at the start) or "[idx]" to path, truncating
 * at PATH_MAX_LEN; *saved is where to cut it back. On every field of every
 * entry decoded, so no printf. */
static void path_push(char *path, size_t *saved, const char *fmt, const char *name, size_t idx)
{
	size_t at = strlen(path);
	char tmp[24];
	const char *add = name;
	size_t n;
	*saved = at;
	(void)fmt;
	if (!name) {
		char *p = tmp + sizeof(tmp);
		*--p = ']';
		do
			*--p = (char)('0' + idx % 10);
		while ((idx /= 10) != 0);
		*--p = '[';
		add = p;
		n = (size_t)(tmp + sizeof(tmp) - p);
	} else {
		n = strlen(name);
		if (at && at + 1 < PATH_MAX_LEN)
			path[at++] = '.';
	}
	if (n > PATH_MAX_LEN - 1 - at)
		n = PATH_MAX_LEN - 1 - at;
	memcpy(path + at, add, n);
	path[at + n] = '\0';
}

static int encode_object(const struct phr_field *fields, const json_t *v, char *path, struct phr_cbor_enc *e)
{
	const char *name;
	json_t *val;
	size_t present = 0;
	json_object_foreach((json_t *)v, name, val) {
		const struct phr_field *f = fields;
		while (f->name && strcmp(f->name, name) != 0)
			f++;
		if (!f->name)
			return phr_fail(PHR_E_SCHEMA, "%s%sunknown field '%s'", path, *path ? ": " : "", name);
		present++;
	}
	if (present == 0)
		return phr_fail(PHR_E_SCHEMA, "%s: empty object (omit the section instead)", *path ? path : "entry");
	for (const struct phr_field *f = fields; f->name; f++)
		if (f->required && !json_object_get(v, f->name))
			return phr_fail(PHR_E_SCHEMA, "%s%smissing required field '%s'", path, *path ? ": " : "",
					f->name);
	phr_cbor_put_map(e, present);
	for (const struct phr_field *f = fields; f->name; f++) {
		const json_t *fv = json_object_get(v, f->name);
		if (!fv)
			continue;
		size_t saved;
		path_push(path, &saved, NULL, f->name, 0);
		phr_cbor_put_uint(e, f->key);
		int rc = encode_value(f, fv, path, e);
		path[saved] = '\0';
		if (rc)
			return rc;
	}
	return PHR_OK;
}

static int encode_decimal(const json_t *v, const char *path, struct phr_cbor_enc *e)
{
	if (json_is_integer(v)) {
		json_int_t i = json_integer_value(v);
		if (i > DECIMAL_MAX_MANTISSA || i < -DECIMAL_MAX_MANTISSA)
			return phr_fail(PHR_E_SCHEMA, "%s: value out of range (at most 9 digits)", path);
		phr_cbor_put_int(e, (int64_t)i);
		return PHR_OK;
	}
	if (!json_is_real(v))
		return phr_fail(PHR_E_SCHEMA, "%s: expected a number", path);
	double x = json_real_value(v);
	if (!isfinite(x) || fabs(x) > (double)DECIMAL_MAX_MANTISSA)
		return phr_fail(PHR_E_SCHEMA, "%s: value out of range (at most 9 digits)", path);
	double scale = 1;
	for (int k = 0; k <= DECIMAL_MAX_PLACES; k++, scale *= 10) {
		double m = nearbyint(x * scale);
		if (fabs(m / scale - x) <= 1e-9 * fmax(1.0, fabs(x))) {
			if (fabs(m) > (double)DECIMAL_MAX_MANTISSA)
				return phr_fail(PHR_E_SCHEMA, "%s: more than 9 significant digits", path);
			if (k == 0) {
				phr_cbor_put_int(e, (int64_t)m);
			} else {
				phr_cbor_put_tag(e, 4);
				phr_cbor_put_array(e, 2);
				phr_cbor_put_int(e, -k);
				phr_cbor_put_int(e, (int64_t)m);
			}
			return PHR_OK;
		}
	}
	return phr_fail(PHR_E_SCHEMA, "%s: more than %d decimal places", path, DECIMAL_MAX_PLACES);
}

static int encode_value(const struct phr_field *f, const json_t *v, char *path, struct phr_cbor_enc *e)
{
	switch (f->type) {
	case PHR_T_TEXT: {
		if (!json_is_string(v))
			return phr_fail(PHR_E_SCHEMA, "%s: expected a string", path);
		size_t n = json_string_length(v);
		if (n < (size_t)f->min || n > (size_t)f->max)
			return phr_fail(PHR_E_SCHEMA, "%s: text must have %lld to %lld bytes, has %zu", path,
					(long long)f->min, (long long)f->max, n);
		if (phr_text_check(json_string_value(v), n, path))
			return PHR_E_SCHEMA;
		phr_cbor_put_text(e, json_string_value(v), n);
		return PHR_OK;
	}
	case PHR_T_INT: {
		if (!json_is_integer(v))
			return phr_fail(PHR_E_SCHEMA, "%s: expected an integer", path);
		json_int_t i = json_integer_value(v);
		if (i < f->min || i > f->max)
			return phr_fail(PHR_E_SCHEMA, "%s: %lld is out of range %lld..%lld", path, (long long)i,
					(long long)f->min, (long long)f->max);
		phr_cbor_put_int(e, (int64_t)i);
		return PHR_OK;
	}
	case PHR_T_BOOL:
		if (!json_is_boolean(v))
			return phr_fail(PHR_E_SCHEMA, "%s: expected true or false", path);
		phr_cbor_put_bool(e, json_is_true(v));
		return PHR_OK;
	case PHR_T_DATE: {
		int y, m, d, parts;
		if (!json_is_string(v) ||
		    !(parts = parse_date(json_string_value(v), json_string_length(v), &y, &m, &d)))
			return phr_fail(PHR_E_SCHEMA, "%s: expected a date YYYY-MM-DD (or YYYY, YYYY-MM) between %d and %d",
					path, DATE_MIN_YEAR, DATE_MAX_YEAR);
		if (f->min == 1 && parts != 3)
			return phr_fail(PHR_E_SCHEMA, "%s: a full date YYYY-MM-DD is required here", path);
		if (parts == 3) {
			phr_cbor_put_uint(e, (uint64_t)phr_days_from_civil(y, m, d));
		} else {
			phr_cbor_put_array(e, (size_t)parts);
			phr_cbor_put_uint(e, (uint64_t)y);
			if (parts == 2)
				phr_cbor_put_uint(e, (uint64_t)m);
		}
		return PHR_OK;
	}
	case PHR_T_ENUM: {
		if (!json_is_string(v))
			return phr_fail(PHR_E_SCHEMA, "%s: expected one of the listed values as a string", path);
		const char *s = json_string_value(v);
		for (int i = 0; f->enums[i]; i++)
			if (strcmp(f->enums[i], s) == 0) {
				phr_cbor_put_uint(e, (uint64_t)i);
				return PHR_OK;
			}
		char list[256] = "";
		for (int i = 0; f->enums[i]; i++) {
			size_t l = strlen(list);
			snprintf(list + l, sizeof(list) - l, "%s%s", i ? ", " : "", f->enums[i]);
		}
		char q[80];
		return phr_fail(PHR_E_SCHEMA, "%s: '%s' is not one of: %s", path, shown(q, sizeof(q), s, strlen(s)), list);
	}
	case PHR_T_CODE: {
		if (!json_is_string(v))
			return phr_fail(PHR_E_SCHEMA, "%s: expected a code \"system:code\"", path);
		const char *s = json_string_value(v);
		const char *colon = strchr(s, ':');
		char q[80];
		if (!colon)
			return phr_fail(PHR_E_SCHEMA, "%s: expected a code \"system:code\" (e.g. \"atc:J07BD52\"), got '%s'",
					path, shown(q, sizeof(q), s, strlen(s)));
		int sys = phr_code_system_id(s, (size_t)(colon - s));
		if (!sys)
			return phr_fail(PHR_E_CODE_SYSTEM, "%s: unknown code system '%s' (known: icd11, icd10, atc, loinc, snomed)",
					path, shown(q, sizeof(q), s, (size_t)(colon - s)));
		if (!(f->systems & PHR_CS_BIT(sys))) {
			char list[128] = "";
			for (int i = 1; i <= PHR_CS_MAX; i++)
				if (f->systems & PHR_CS_BIT(i)) {
					size_t l = strlen(list);
					snprintf(list + l, sizeof(list) - l, "%s%s", l ? ", " : "", cs_names[i]);
				}
			return phr_fail(PHR_E_CODE_SYSTEM, "%s: code system '%s' is not allowed here (use %s)", path,
					cs_names[sys], list);
		}
		size_t clen = strlen(colon + 1);
		if (phr_code_check(sys, colon + 1, clen))
			return phr_fail_wrap(PHR_E_CODE_SYSTEM, "%s", path);
		phr_cbor_put_array(e, 2);
		phr_cbor_put_uint(e, (uint64_t)sys);
		phr_cbor_put_text(e, colon + 1, clen);
		return PHR_OK;
	}
	case PHR_T_COUNTRY:
	case PHR_T_LANG: {
		int country = f->type == PHR_T_COUNTRY;
		const char *s = json_is_string(v) ? json_string_value(v) : NULL;
		if (!s || json_string_length(v) != 2 || !(country ? is_up(s[0]) && is_up(s[1]) : is_lo(s[0]) && is_lo(s[1])))
			return phr_fail(PHR_E_SCHEMA, "%s: expected %s", path,
					country ? "an ISO 3166-1 alpha-2 country code in capitals, e.g. \"SY\""
						: "an ISO 639-1 language code in lower case, e.g. \"ar\"");
		phr_cbor_put_text(e, s, 2);
		return PHR_OK;
	}
	case PHR_T_UNIT: {
		const char *s = json_is_string(v) ? json_string_value(v) : NULL;
		size_t n = s ? json_string_length(v) : 0;
		int ok = s && n >= 1 && n <= 20;
		for (size_t i = 0; ok && i < n; i++)
			ok = s[i] > 0x20 && s[i] < 0x7f;
		if (!ok)
			return phr_fail(PHR_E_SCHEMA, "%s: expected a UCUM unit (1-20 printable ASCII characters, e.g. \"mm[Hg]\")",
					path);
		phr_cbor_put_text(e, s, n);
		return PHR_OK;
	}
	case PHR_T_DECIMAL:
		return encode_decimal(v, path, e);
	case PHR_T_BYTES: {
		uint8_t buf[BYTES_MAX];
		const char *s = json_is_string(v) ? json_string_value(v) : NULL;
		size_t n = s ? json_string_length(v) : 0;
		int ok = s && f->max <= BYTES_MAX && n == 2 * (size_t)f->max;
		for (size_t i = 0; ok && i < n; i += 2) {
			int hi = hex_lower(s[i]), lo = hex_lower(s[i + 1]);
			ok = hi >= 0 && lo >= 0;
			if (ok)
				buf[i / 2] = (uint8_t)((unsigned)hi << 4 | (unsigned)lo);
		}
		if (!ok)
			return phr_fail(PHR_E_SCHEMA, "%s: expected %lld lowercase hex digits (%lld bytes)", path,
					2 * (long long)f->max, (long long)f->max);
		phr_cbor_put_bytes(e, buf, (size_t)f->max);
		return PHR_OK;
	}
	case PHR_T_OBJECT:
		if (!json_is_object(v))
			return phr_fail(PHR_E_SCHEMA, "%s: expected an object", *path ? path : "entry");
		return encode_object(f->children, v, path, e);
	case PHR_T_ARRAY: {
		if (!json_is_array(v))
			return phr_fail(PHR_E_SCHEMA, "%s: expected an array", path);
		size_t n = json_array_size(v);
		if (n == 0)
			return phr_fail(PHR_E_SCHEMA, "%s: empty array (omit the field instead)", path);
		if (n > (size_t)f->max)
			return phr_fail(PHR_E_LIMIT, "%s: %zu items, at most %lld allowed", path, n, (long long)f->max);
		phr_cbor_put_array(e, n);
		for (size_t i = 0; i < n; i++) {
			size_t saved;
			path_push(path, &saved, "[%zu]", NULL, i);
			int rc = encode_value(&f->children[0], json_array_get(v, i), path, e);
			path[saved] = '\0';
			if (rc)
				return rc;
		}
		return PHR_OK;
	}
	}
	return phr_fail(PHR_E_ARG, "%s: bad schema type", path);
}

int phr_entry_encode_json(const json_t *entry, uint8_t **out, size_t *len)
{
	char path[PATH_MAX_LEN] = "";
	struct phr_cbor_enc e;
	uint8_t *buf = NULL;
	size_t need;
	int rc;
	*out = NULL;
	*len = 0;
	phr_cbor_enc_init(&e, NULL, 0);
	if ((rc = encode_value(phr_schema_root(), entry, path, &e)))
		return rc;
	if ((rc = phr_cbor_enc_finish(&e, &need)))
		return rc;
	if (need > PHR_MAX_ENTRY_CBOR)
		return phr_fail(PHR_E_LIMIT, "entry encodes to %zu bytes, more than PHR_MAX_ENTRY_CBOR (%d)", need,
				PHR_MAX_ENTRY_CBOR);
	if (!(buf = malloc(need)))
		return phr_fail(PHR_E_NOMEM, "out of memory");
	phr_cbor_enc_init(&e, buf, need);
	path[0] = '\0';
	if ((rc = encode_value(phr_schema_root(), entry, path, &e)) || (rc = phr_cbor_enc_finish(&e, &need))) {
		free(buf);
		return rc;
	}
	*out = buf;
	*len = need;
	return PHR_OK;
}

int phr_entry_parse_text(const char *text, size_t len, uint8_t **out, size_t *outlen)
{
	json_error_t jerr;
	*out = NULL;
	*outlen = 0;
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return phr_fail(PHR_E_JSON, "JSON line %d column %d: %s", jerr.line, jerr.column, jerr.text);
	int rc = phr_entry_encode_json(root, out, outlen);
	json_decref(root);
	return rc;
}

/* ---- decode ---- */

static int decode_value(const struct phr_field *f, struct phr_cbor_dec *d, char *path, json_t **out);

static json_t *date_json(int y, int m, int d, int parts)
{
	char s[16];
	if (parts == 3)
		snprintf(s, sizeof(s), "%04d-%02d-%02d", y, m, d);
	else if (parts == 2)
		snprintf(s, sizeof(s), "%04d-%02d", y, m);
	else
		snprintf(s, sizeof(s), "%04d", y);
	return json_string(s);
}

#define DFAIL(code, ...) do { rc = phr_fail(code, __VA_ARGS__); goto fail; } while (0)

static int decode_value(const struct phr_field *f, struct phr_cbor_dec *d, char *path, json_t **out)
{
	int rc = PHR_OK;
	json_t *v = NULL;
	size_t at = d->off;
	bool build = out != NULL; /* NULL: validate only, build nothing */
	if (build)
		*out = NULL;
	switch (f->type) {
	case PHR_T_TEXT: {
		const char *s;
		size_t n;
		if ((rc = phr_cbor_get_text(d, &s, &n)))
			goto wrap;
		if (n < (size_t)f->min || n > (size_t)f->max)
			DFAIL(PHR_E_SCHEMA, "%s: text of %zu bytes at offset %zu (allowed %lld..%lld)", path, n, at,
			      (long long)f->min, (long long)f->max);
		if ((rc = phr_text_check(s, n, path)))
			goto fail;
		if (build)
			v = json_stringn(s, n);
		break;
	}
	case PHR_T_INT: {
		int64_t i;
		if ((rc = phr_cbor_get_int(d, &i)))
			goto wrap;
		if (i < f->min || i > f->max)
			DFAIL(PHR_E_SCHEMA, "%s: %lld out of range", path, (long long)i);
		if (build)
			v = json_integer(i);
		break;
	}
	case PHR_T_BOOL: {
		bool b;
		if ((rc = phr_cbor_get_bool(d, &b)))
			goto wrap;
		if (build)
			v = json_boolean(b);
		break;
	}
	case PHR_T_DATE: {
		if (phr_cbor_peek(d) == PHR_CBOR_UINT) {
			uint64_t days;
			int y, m, dd;
			if ((rc = phr_cbor_get_uint(d, &days)))
				goto wrap;
			if (days > (uint64_t)phr_days_from_civil(DATE_MAX_YEAR, 12, 31))
				DFAIL(PHR_E_SCHEMA, "%s: date out of range at offset %zu", path, at);
			phr_civil_from_days((int64_t)days, &y, &m, &dd);
			if (build)
				v = date_json(y, m, dd, 3);
		} else {
			size_t n;
			uint64_t y, m = 0;
			if (f->min == 1)
				DFAIL(PHR_E_SCHEMA, "%s: a full date is required at offset %zu", path, at);
			if ((rc = phr_cbor_get_array(d, &n)))
				goto wrap;
			if (n < 1 || n > 2)
				DFAIL(PHR_E_SCHEMA, "%s: partial date must be [year] or [year, month] at offset %zu", path, at);
			if ((rc = phr_cbor_get_uint(d, &y)) || (n == 2 && (rc = phr_cbor_get_uint(d, &m))))
				goto wrap;
			if (y < DATE_MIN_YEAR || y > DATE_MAX_YEAR || (n == 2 && (m < 1 || m > 12)))
				DFAIL(PHR_E_SCHEMA, "%s: partial date out of range at offset %zu", path, at);
			if (build)
				v = date_json((int)y, (int)m, 0, (int)n);
		}
		break;
	}
	case PHR_T_ENUM: {
		uint64_t i;
		if ((rc = phr_cbor_get_uint(d, &i)))
			goto wrap;
		if (i >= (uint64_t)count_enum(f->enums))
			DFAIL(PHR_E_SCHEMA, "%s: unknown value %llu at offset %zu", path, (unsigned long long)i, at);
		if (build)
			v = json_string(f->enums[i]);
		break;
	}
	case PHR_T_CODE: {
		size_t n;
		uint64_t sys;
		const char *s;
		size_t sl;
		if ((rc = phr_cbor_get_array(d, &n)))
			goto wrap;
		if (n != 2)
			DFAIL(PHR_E_SCHEMA, "%s: code must be [system, code] at offset %zu", path, at);
		if ((rc = phr_cbor_get_uint(d, &sys)) || (rc = phr_cbor_get_text(d, &s, &sl)))
			goto wrap;
		if (sys < 1 || sys > PHR_CS_MAX)
			DFAIL(PHR_E_CODE_SYSTEM, "%s: unknown code system %llu at offset %zu", path, (unsigned long long)sys, at);
		if (!(f->systems & PHR_CS_BIT(sys)))
			DFAIL(PHR_E_CODE_SYSTEM, "%s: code system '%s' not allowed here", path, cs_names[sys]);
		if ((rc = phr_code_check((int)sys, s, sl))) {
			phr_fail_wrap(rc, "%s", path);
			goto fail;
		}
		if (build) {
			char buf[80];
			snprintf(buf, sizeof(buf), "%s:%.*s", cs_names[sys], (int)sl, s);
			v = json_string(buf);
		}
		break;
	}
	case PHR_T_COUNTRY:
	case PHR_T_LANG:
	case PHR_T_UNIT: {
		const char *s;
		size_t n;
		if ((rc = phr_cbor_get_text(d, &s, &n)))
			goto wrap;
		json_t *tmp = json_stringn(s, n);
		struct phr_cbor_enc e;
		phr_cbor_enc_init(&e, NULL, 0);
		rc = tmp ? encode_value(f, tmp, path, &e) : PHR_E_NOMEM; /* same rules both ways */
		if (rc) {
			json_decref(tmp);
			goto fail;
		}
		if (build)
			v = tmp;
		else
			json_decref(tmp);
		break;
	}
	case PHR_T_DECIMAL: {
		if (phr_cbor_peek(d) == PHR_CBOR_TAG) {
			uint64_t tag;
			size_t n;
			int64_t ex, man;
			if ((rc = phr_cbor_get_tag(d, &tag)) || (rc = phr_cbor_get_array(d, &n)))
				goto wrap;
			if (tag != 4 || n != 2)
				DFAIL(PHR_E_SCHEMA, "%s: decimal must be tag 4 [exponent, mantissa] at offset %zu", path, at);
			if ((rc = phr_cbor_get_int(d, &ex)) || (rc = phr_cbor_get_int(d, &man)))
				goto wrap;
			if (ex < -DECIMAL_MAX_PLACES || ex > -1 || man == 0 || man % 10 == 0 ||
			    man > DECIMAL_MAX_MANTISSA || man < -DECIMAL_MAX_MANTISSA)
				DFAIL(PHR_E_NONCANONICAL, "%s: decimal at offset %zu is not in canonical form", path, at);
			if (build)
				v = json_real((double)man / pow(10, (double)-ex));
		} else {
			int64_t i;
			if ((rc = phr_cbor_get_int(d, &i)))
				goto wrap;
			if (i > DECIMAL_MAX_MANTISSA || i < -DECIMAL_MAX_MANTISSA)
				DFAIL(PHR_E_SCHEMA, "%s: value out of range", path);
			if (build)
				v = json_integer(i);
		}
		break;
	}
	case PHR_T_BYTES: {
		const uint8_t *p;
		size_t n;
		if ((rc = phr_cbor_get_bytes(d, &p, &n)))
			goto wrap;
		if (n != (size_t)f->max || n > BYTES_MAX)
			DFAIL(PHR_E_SCHEMA, "%s: %zu bytes at offset %zu (must be %lld)", path, n, at, (long long)f->max);
		if (build) {
			static const char hexd[] = "0123456789abcdef";
			char hex[2 * BYTES_MAX + 1];
			for (size_t i = 0; i < n; i++) {
				hex[2 * i] = hexd[p[i] >> 4];
				hex[2 * i + 1] = hexd[p[i] & 15];
			}
			v = json_stringn(hex, 2 * n);
		}
		break;
	}
	case PHR_T_OBJECT: {
		size_t n;
		if ((rc = phr_cbor_get_map(d, &n)))
			goto wrap;
		if (n == 0)
			DFAIL(PHR_E_SCHEMA, "%s: empty map at offset %zu", *path ? path : "entry", at);
		uint64_t seen = 0; /* bit i: children[i] present (schema_table.c keeps < 64) */
		if (build && !(v = json_object()))
			DFAIL(PHR_E_NOMEM, "out of memory");
		for (size_t i = 0; i < n; i++) {
			uint64_t key;
			size_t kat = d->off;
			if ((rc = phr_cbor_get_uint(d, &key)))
				goto wrap;
			const struct phr_field *c = f->children;
			while (c->name && c->key != key)
				c++;
			if (!c->name)
				DFAIL(PHR_E_SCHEMA, "%s%sunknown key %llu at offset %zu", path, *path ? ": " : "",
				      (unsigned long long)key, kat);
			size_t saved;
			json_t *cv = NULL;
			path_push(path, &saved, NULL, c->name, 0);
			rc = decode_value(c, d, path, build ? &cv : NULL);
			path[saved] = '\0';
			if (rc)
				goto fail;
			seen |= (uint64_t)1 << (c - f->children);
			if (build)
				json_object_set_new(v, c->name, cv);
		}
		for (const struct phr_field *c = f->children; c->name; c++)
			if (c->required && !(seen & ((uint64_t)1 << (c - f->children))))
				DFAIL(PHR_E_SCHEMA, "%s%smissing required field '%s'", path, *path ? ": " : "", c->name);
		break;
	}
	case PHR_T_ARRAY: {
		size_t n;
		if ((rc = phr_cbor_get_array(d, &n)))
			goto wrap;
		if (n == 0 || n > (size_t)f->max)
			DFAIL(n ? PHR_E_LIMIT : PHR_E_SCHEMA, "%s: %zu items at offset %zu (allowed 1..%lld)", path, n, at,
			      (long long)f->max);
		if (build && !(v = json_array()))
			DFAIL(PHR_E_NOMEM, "out of memory");
		for (size_t i = 0; i < n; i++) {
			size_t saved;
			json_t *cv = NULL;
			path_push(path, &saved, "[%zu]", NULL, i);
			rc = decode_value(&f->children[0], d, path, build ? &cv : NULL);
			path[saved] = '\0';
			if (rc)
				goto fail;
			if (build)
				json_array_append_new(v, cv);
		}
		break;
	}
	}
	if (!build)
		return PHR_OK;
	if (!v)
		DFAIL(PHR_E_NOMEM, "out of memory");
	*out = v;
	return PHR_OK;
wrap:
	phr_fail_wrap(rc, "%s", *path ? path : "entry");
fail:
	json_decref(v);
	return rc;
}

/* All run the same checks; out == NULL only skips building the JSON, and
 * nested only skips validating CBOR the caller has validated. */
static int entry_decode(const uint8_t *cbor, size_t len, json_t **out, bool nested)
{
	struct phr_cbor_dec d;
	char path[PATH_MAX_LEN] = "";
	int rc;
	if (out)
		*out = NULL;
	if (len > PHR_MAX_ENTRY_CBOR)
		return phr_fail(PHR_E_LIMIT, "entry of %zu bytes is larger than PHR_MAX_ENTRY_CBOR (%d)", len,
				PHR_MAX_ENTRY_CBOR);
	if (nested)
		phr_cbor_dec_init_nested(&d, cbor, len);
	else if ((rc = phr_cbor_dec_init(&d, cbor, len)))
		return phr_fail_wrap(rc, "entry");
	return decode_value(phr_schema_root(), &d, path, out);
}

int phr_entry_decode_json(const uint8_t *cbor, size_t len, json_t **out)
{
	return entry_decode(cbor, len, out, false);
}

int phr_entry_validate(const uint8_t *cbor, size_t len)
{
	return entry_decode(cbor, len, NULL, false);
}

int phr_entry_validate_nested(const uint8_t *cbor, size_t len)
{
	return entry_decode(cbor, len, NULL, true);
}

/* ---- output ---- */

char *phr_json_dump(const json_t *v)
{
	return json_dumps(v, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
}

/* ---- JSON Schema ---- */

static json_t *schema_of(const struct phr_field *f);

static json_t *schema_object(const struct phr_field *fields, const char *doc)
{
	json_t *props = json_object(), *req = json_array();
	for (const struct phr_field *c = fields; c->name; c++) {
		json_object_set_new(props, c->name, schema_of(c));
		if (c->required)
			json_array_append_new(req, json_string(c->name));
	}
	json_t *o = json_pack("{s:s, s:s, s:o, s:b, s:i}", "type", "object", "description", doc,
			      "properties", props, "additionalProperties", 0, "minProperties", 1);
	if (json_array_size(req))
		json_object_set_new(o, "required", req);
	else
		json_decref(req);
	return o;
}

static json_t *schema_of(const struct phr_field *f)
{
	switch (f->type) {
	case PHR_T_TEXT:
		return json_pack("{s:s,s:s,s:I,s:I,s:s}", "type", "string", "description", f->doc, "minLength",
				 (json_int_t)f->min, "maxLength", (json_int_t)f->max, "pattern", TEXT_PATTERN);
	case PHR_T_INT:
		return json_pack("{s:s,s:s,s:I,s:I}", "type", "integer", "description", f->doc, "minimum",
				 (json_int_t)f->min, "maximum", (json_int_t)f->max);
	case PHR_T_BOOL:
		return json_pack("{s:s,s:s}", "type", "boolean", "description", f->doc);
	case PHR_T_DATE:
		return json_pack("{s:s,s:s,s:s}", "type", "string", "description", f->doc, "pattern",
				 f->min == 1 ? "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
					     : "^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$");
	case PHR_T_ENUM: {
		json_t *e = json_array();
		for (int i = 0; f->enums[i]; i++)
			json_array_append_new(e, json_string(f->enums[i]));
		return json_pack("{s:s,s:s,s:o}", "type", "string", "description", f->doc, "enum", e);
	}
	case PHR_T_CODE: {
		char pat[128] = "^(";
		for (int i = 1, first = 1; i <= PHR_CS_MAX; i++)
			if (f->systems & PHR_CS_BIT(i)) {
				size_t l = strlen(pat);
				snprintf(pat + l, sizeof(pat) - l, "%s%s", first ? "" : "|", cs_names[i]);
				first = 0;
			}
		size_t l = strlen(pat);
		snprintf(pat + l, sizeof(pat) - l, "):[0-9A-Za-z.&/-]{1,64}$");
		return json_pack("{s:s,s:s,s:s}", "type", "string", "description", f->doc, "pattern", pat);
	}
	case PHR_T_COUNTRY:
		return json_pack("{s:s,s:s,s:s}", "type", "string", "description", f->doc, "pattern", "^[A-Z]{2}$");
	case PHR_T_LANG:
		return json_pack("{s:s,s:s,s:s}", "type", "string", "description", f->doc, "pattern", "^[a-z]{2}$");
	case PHR_T_UNIT:
		return json_pack("{s:s,s:s,s:s}", "type", "string", "description", f->doc, "pattern", "^[!-~]{1,20}$");
	case PHR_T_DECIMAL:
		return json_pack("{s:s,s:s,s:f,s:f}", "type", "number", "description", f->doc, "minimum",
				 -(double)DECIMAL_MAX_MANTISSA, "maximum", (double)DECIMAL_MAX_MANTISSA);
	case PHR_T_BYTES: {
		char pat[32];
		snprintf(pat, sizeof(pat), "^[0-9a-f]{%lld}$", 2 * (long long)f->max);
		return json_pack("{s:s,s:s,s:s}", "type", "string", "description", f->doc, "pattern", pat);
	}
	case PHR_T_OBJECT:
		return schema_object(f->children, f->doc);
	case PHR_T_ARRAY:
		return json_pack("{s:s,s:s,s:o,s:i,s:I}", "type", "array", "description", f->doc, "items",
				 schema_of(&f->children[0]), "minItems", 1, "maxItems", (json_int_t)f->max);
	}
	return json_object();
}

int phr_schema_json_schema(json_t **out)
{
	json_t *s = schema_of(phr_schema_root());
	if (!s)
		return phr_fail(PHR_E_NOMEM, "out of memory");
	json_object_set_new(s, "$schema", json_string("https://json-schema.org/draft/2020-12/schema"));
	json_object_set_new(s, "$id", json_string("urn:phr:entry:1"));
	json_object_set_new(s, "title", json_string("phr entry (docs/RECORD.md)"));
	*out = s;
	return PHR_OK;
}
