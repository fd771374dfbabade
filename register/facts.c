/* What a health-status report counts of one record version (facts.h).
 *
 * Blob layout, version 1 (all integers little-endian; docs/REPORTS.md says
 * what each item means for the indicators):
 *
 *   u8   version = 1
 *   u8   birth precision: 0 none, 1 year, 2 year-month, 3 full date
 *   u16  birth year (0 if none), u8 month (0 if not known), u8 day (0 if not known)
 *   u8   sex: 0 absent, 1 female, 2 male, 3 other, 4 unknown
 *   2 B  nationality, ISO 3166-1 alpha-2 ("\0\0" if absent)
 *   2 B  host country (migration.host_country), same
 *   u8   S, number of strings (clinic names and codes), then S times:
 *          u8 length (1..255), the UTF-8 bytes (no NUL)
 *   u8   V, number of visits (one per entry, entry 0 first; 0..96: a merged
 *        record's branch B entries after the fork point interleaved with the
 *        main chain's by visit day), then V times:
 *          i32  day of the visit (entry "date"), days since 1900-01-01
 *          u8   clinic: string index, 255 when unknown
 *          u8   flags: PHR_FACT_TB_SCREENED | _TB_POSITIVE | _TB_REFERRED | _PREGNANT
 *          u8   referral urgencies: PHR_FACT_REF_* mask
 *          u8   R, then R pairs: u8 string index of a LOINC code, u8 result
 *               (index in the schema's result enum: negative, positive,
 *               indeterminate, pending, not_done, normal, abnormal); TB tests
 *               are not listed (they are in flags); a (code, result) pair at
 *               most once per visit
 *          u8   N, then N string indices of vaccines ("atc:J07..."), each once
 *          u8   C, then C ICD-11 chapters (1..28, 0 = not ICD) of the chronic
 *               conditions this entry lists, each once
 *
 * Identity (birth date, sex, nationality, host country) is the last value
 * any entry gives, as a later entry corrects an earlier one. */
#include "facts.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "phr/json.h"

#define NO_CLINIC 255

static const char *const result_names[] = { "negative", "positive", "indeterminate", "pending", "not_done",
	"normal", "abnormal" };
#define N_RESULTS (sizeof(result_names) / sizeof(result_names[0]))

static const char *const tb_tests[] = { "loinc:1648-5", "loinc:71773-6", "loinc:64084-7", "loinc:24648-8",
	"loinc:36643-5", "loinc:11545-1", "loinc:38379-4", "loinc:543-9" };

int phr_facts_tb_code(const char *code)
{
	if (!code)
		return 0;
	for (size_t i = 0; i < sizeof(tb_tests) / sizeof(tb_tests[0]); i++)
		if (strcmp(code, tb_tests[i]) == 0)
			return 1;
	if (strncmp(code, "icd11:1B1", 9) == 0 && code[9])
		return 2;
	if (strncmp(code, "icd10:A1", 8) == 0 && code[8] >= '5' && code[8] <= '9')
		return 2;
	return 0;
}

int phr_facts_icd_chapter(const char *code)
{
	if (!code)
		return 0;
	if (strncmp(code, "icd11:", 6) == 0) {
		static const char first[] = "123456789ABCDEFGHJKLMNPQRSVX";
		const char *p = code[6] ? strchr(first, code[6]) : NULL;
		return p ? (int)(p - first) + 1 : 0;
	}
	if (strncmp(code, "icd10:", 6) == 0) {
		char c = code[6];
		int n = (code[7] >= '0' && code[7] <= '9' && code[8] >= '0' && code[8] <= '9')
				? (code[7] - '0') * 10 + (code[8] - '0') : -1;
		switch (c) {
		case 'A': case 'B': return 1;
		case 'C': return 2;
		case 'D': return n < 0 ? 0 : n <= 48 ? 2 : 3;
		case 'E': return 5;
		case 'F': return 6;
		case 'G': return 8;
		case 'H': return n < 0 ? 0 : n <= 59 ? 9 : 10;
		case 'I': return 11;
		case 'J': return 12;
		case 'K': return 13;
		case 'L': return 14;
		case 'M': return 15;
		case 'N': return 16;
		case 'O': return 18;
		case 'P': return 19;
		case 'Q': return 20;
		case 'R': return 21;
		case 'S': case 'T': return 22;
		case 'V': case 'W': case 'X': case 'Y': return 23;
		case 'Z': return 24;
		case 'U': return 25;
		default: return 0;
		}
	}
	return 0;
}

/* ---- encoder ---- */

struct enc {
	uint8_t *out;
	size_t cap, len;
	int err;
};

static void put(struct enc *e, const void *p, size_t n)
{
	if (e->err)
		return;
	if (n > e->cap - e->len) {
		e->err = phr_fail(PHR_E_LIMIT, "facts: more than %zu bytes", e->cap);
		return;
	}
	memcpy(e->out + e->len, p, n);
	e->len += n;
}

static void put8(struct enc *e, unsigned v)
{
	uint8_t b = (uint8_t)v;
	put(e, &b, 1);
}

struct strtab {
	size_t n;
	const char *s[PHR_FACTS_MAX_STRINGS];
	size_t len[PHR_FACTS_MAX_STRINGS];
};

/* Index of s in the table (added when new), or -1 with a failure set. */
static int intern(struct strtab *t, const char *s, int *err)
{
	size_t n = strlen(s);
	if (n > 255) {
		/* clinic names are at most PHR_MAX_NAME; cut at a character boundary */
		n = 255;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	if (n == 0)
		return -1;
	for (size_t i = 0; i < t->n; i++)
		if (t->len[i] == n && memcmp(t->s[i], s, n) == 0)
			return (int)i;
	if (t->n == PHR_FACTS_MAX_STRINGS) {
		if (!*err)
			*err = phr_fail(PHR_E_LIMIT, "facts: more than %d clinic names and codes", PHR_FACTS_MAX_STRINGS);
		return -1;
	}
	t->s[t->n] = s;
	t->len[t->n] = n;
	return (int)t->n++;
}

struct visit_acc {
	int64_t day;
	int clinic;
	unsigned flags, refs;
	size_t n_res, n_vac, n_ch;
	uint8_t res[2 * PHR_FACTS_MAX_ITEMS];
	uint8_t vac[PHR_FACTS_MAX_ITEMS];
	uint8_t ch[PHR_FACTS_MAX_ITEMS];
};

static const char *str_of(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static int add_unique(uint8_t *a, size_t *n, size_t width, const uint8_t *v, int *err)
{
	for (size_t i = 0; i < *n; i++)
		if (memcmp(a + i * width, v, width) == 0)
			return 0;
	if (*n == PHR_FACTS_MAX_ITEMS) {
		if (!*err)
			*err = phr_fail(PHR_E_LIMIT, "facts: more than %d items of one kind in a visit", PHR_FACTS_MAX_ITEMS);
		return -1;
	}
	memcpy(a + *n * width, v, width);
	(*n)++;
	return 0;
}

static int parse_date(const char *s, int *y, int *m, int *d)
{
	*y = *m = *d = 0;
	if (!s)
		return 0;
	size_t n = strlen(s);
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || ((i == 4 || i == 7) && s[i] == '-')))
			return 0;
	if (n >= 4)
		*y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	if (n >= 7)
		*m = (s[5] - '0') * 10 + (s[6] - '0');
	if (n >= 10)
		*d = (s[8] - '0') * 10 + (s[9] - '0');
	return n == 4 ? 1 : n == 7 ? 2 : n == 10 ? 3 : 0;
}

static void visit_of(const json_t *c, const char *clinic, struct strtab *t, struct visit_acc *v, int *err)
{
	memset(v, 0, sizeof(*v));
	int y, m, d;
	if (parse_date(str_of(c, "date"), &y, &m, &d) == 3)
		v->day = phr_days_from_civil(y, m, d);
	bool plain = clinic && clinic[0];
	for (const char *p = clinic; plain && *p; p++)
		plain = (unsigned char)*p >= 0x20 && *p != 0x7f; /* a name with control characters: unknown */
	v->clinic = plain ? intern(t, clinic, err) : -1;
	if (v->clinic < 0)
		v->clinic = NO_CLINIC;

	size_t i;
	json_t *x;
	json_array_foreach(json_object_get(c, "results"), i, x) {
		const char *test = str_of(x, "test"), *res = str_of(x, "result");
		if (!test || !res)
			continue;
		size_t r = 0;
		while (r < N_RESULTS && strcmp(res, result_names[r]) != 0)
			r++;
		if (r == N_RESULTS)
			continue;
		if (phr_facts_tb_code(test) == 1) {
			if (strcmp(res, "not_done") != 0)
				v->flags |= PHR_FACT_TB_SCREENED;
			if (strcmp(res, "positive") == 0 || strcmp(res, "abnormal") == 0)
				v->flags |= PHR_FACT_TB_POSITIVE;
			continue;
		}
		int k = intern(t, test, err);
		if (k < 0)
			continue;
		uint8_t pair[2] = { (uint8_t)k, (uint8_t)r };
		add_unique(v->res, &v->n_res, 2, pair, err);
	}
	json_array_foreach(json_object_get(c, "vaccinations"), i, x) {
		const char *code = str_of(x, "vaccine");
		if (!code || strncmp(code, "atc:J07", 7) != 0)
			continue;
		int k = intern(t, code, err);
		if (k < 0)
			continue;
		uint8_t b = (uint8_t)k;
		add_unique(v->vac, &v->n_vac, 1, &b, err);
	}
	json_array_foreach(json_object_get(c, "history"), i, x) {
		const char *cat = str_of(x, "category"), *st = str_of(x, "status");
		if (!cat || strcmp(cat, "chronic") != 0 || (st && strcmp(st, "resolved") == 0))
			continue;
		uint8_t ch = (uint8_t)phr_facts_icd_chapter(str_of(x, "code"));
		add_unique(v->ch, &v->n_ch, 1, &ch, err);
	}
	const char *preg = str_of(json_object_get(c, "pregnancy"), "status");
	if (preg && strcmp(preg, "pregnant") == 0)
		v->flags |= PHR_FACT_PREGNANT;
	json_array_foreach(json_object_get(json_object_get(c, "plan"), "referrals"), i, x) {
		const char *u = str_of(x, "urgency");
		if (phr_facts_tb_code(str_of(x, "reason")) == 2)
			v->flags |= PHR_FACT_TB_REFERRED;
		if (!u)
			v->refs |= PHR_FACT_REF_UNSPECIFIED;
		else if (strcmp(u, "routine") == 0)
			v->refs |= PHR_FACT_REF_ROUTINE;
		else if (strcmp(u, "urgent") == 0)
			v->refs |= PHR_FACT_REF_URGENT;
		else if (strcmp(u, "emergency") == 0)
			v->refs |= PHR_FACT_REF_EMERGENCY;
	}
}

int phr_facts_from_entries(const json_t *const *contents, const char *const *clinics, size_t n, uint8_t *out,
			   size_t cap, size_t *len, int64_t *first_day, int64_t *last_day)
{
	if (len)
		*len = 0;
	if (!contents || !out || !len || (n && !clinics) || !first_day || !last_day)
		return phr_fail(PHR_E_ARG, "facts: missing argument");
	if (n > PHR_FACTS_MAX_VISITS)
		return phr_fail(PHR_E_LIMIT, "facts: more than %d entries", PHR_FACTS_MAX_VISITS);
	if (cap > PHR_FACTS_MAX)
		cap = PHR_FACTS_MAX;

	int err = 0;
	struct strtab *t = calloc(1, sizeof(*t));
	struct visit_acc *v = calloc(n ? n : 1, sizeof(*v));
	if (!t || !v) {
		free(t);
		free(v);
		return phr_fail(PHR_E_NOMEM, "facts: out of memory");
	}
	int by = 0, bm = 0, bd = 0, prec = 0, sex = 0;
	char nat[2] = { 0, 0 }, host[2] = { 0, 0 };
	for (size_t i = 0; i < n; i++) {
		const json_t *c = contents[i];
		if (!json_is_object(c)) {
			err = phr_fail(PHR_E_ARG, "facts: entry %zu is not an object", i);
			break;
		}
		const json_t *id = json_object_get(c, "identity");
		int y, m, d, p = parse_date(str_of(id, "birth_date"), &y, &m, &d);
		if (p) {
			prec = p;
			by = y, bm = m, bd = d;
		}
		const char *s = str_of(id, "sex");
		static const char *const sexes[] = { "female", "male", "other", "unknown" };
		for (int k = 0; s && k < 4; k++)
			if (strcmp(s, sexes[k]) == 0)
				sex = k + 1;
		s = str_of(id, "nationality");
		if (s && strlen(s) == 2)
			memcpy(nat, s, 2);
		s = str_of(json_object_get(c, "migration"), "host_country");
		if (s && strlen(s) == 2)
			memcpy(host, s, 2);
		visit_of(c, clinics[i], t, &v[i], &err);
	}

	struct enc e = { out, cap, 0, err };
	put8(&e, PHR_FACTS_VERSION);
	put8(&e, (unsigned)prec);
	put8(&e, (unsigned)by & 0xff);
	put8(&e, (unsigned)by >> 8);
	put8(&e, (unsigned)bm);
	put8(&e, (unsigned)bd);
	put8(&e, (unsigned)sex);
	put(&e, nat, 2);
	put(&e, host, 2);
	put8(&e, (unsigned)t->n);
	for (size_t i = 0; i < t->n; i++) {
		put8(&e, (unsigned)t->len[i]);
		put(&e, t->s[i], t->len[i]);
	}
	put8(&e, (unsigned)n);
	int64_t lo = 0, hi = 0;
	for (size_t i = 0; i < n; i++) {
		uint32_t d = (uint32_t)(int32_t)v[i].day;
		uint8_t b[4] = { (uint8_t)d, (uint8_t)(d >> 8), (uint8_t)(d >> 16), (uint8_t)(d >> 24) };
		put(&e, b, 4);
		put8(&e, (unsigned)v[i].clinic);
		put8(&e, v[i].flags);
		put8(&e, v[i].refs);
		put8(&e, (unsigned)v[i].n_res);
		put(&e, v[i].res, 2 * v[i].n_res);
		put8(&e, (unsigned)v[i].n_vac);
		put(&e, v[i].vac, v[i].n_vac);
		put8(&e, (unsigned)v[i].n_ch);
		put(&e, v[i].ch, v[i].n_ch);
		if (i == 0 || v[i].day < lo)
			lo = v[i].day;
		if (i == 0 || v[i].day > hi)
			hi = v[i].day;
	}
	free(t);
	free(v);
	if (e.err) {
		memset(out, 0, e.len);
		return e.err;
	}
	*len = e.len;
	*first_day = lo;
	*last_day = hi;
	return PHR_OK;
}

/* ---- decoder ---- */

struct dec {
	const uint8_t *p;
	size_t len, pos;
};

static int get(struct dec *d, size_t n, const uint8_t **out)
{
	*out = d->p;
	if (n > d->len - d->pos)
		return phr_fail(PHR_E_TRUNCATED, "facts: blob ends at byte %zu, %zu more needed", d->len, n);
	*out = d->p + d->pos;
	d->pos += n;
	return PHR_OK;
}

static int get8(struct dec *d, unsigned *v)
{
	const uint8_t *b;
	int r = get(d, 1, &b);
	*v = r == PHR_OK ? b[0] : 0;
	return r;
}

static int country(const uint8_t *b, char out[3])
{
	if (b[0] == 0 && b[1] == 0) {
		out[0] = 0;
		return PHR_OK;
	}
	if (b[0] < 'A' || b[0] > 'Z' || b[1] < 'A' || b[1] > 'Z')
		return phr_fail(PHR_E_MALFORMED, "facts: country is not two capital letters");
	out[0] = (char)b[0];
	out[1] = (char)b[1];
	out[2] = 0;
	return PHR_OK;
}

/* Items of a visit: n entries of width bytes, each once; pairs checked
 * here, single bytes by the caller (string index or chapter). */
static int items(struct dec *d, const struct phr_facts *f, size_t width, size_t *n, const uint8_t **out)
{
	unsigned k;
	int r = get8(d, &k);
	if (r)
		return r;
	if (k > PHR_FACTS_MAX_ITEMS)
		return phr_fail(PHR_E_MALFORMED, "facts: %u items in a visit, at most %d", k, PHR_FACTS_MAX_ITEMS);
	if ((r = get(d, k * width, out)))
		return r;
	*n = k;
	for (size_t i = 0; i < k; i++) {
		const uint8_t *it = *out + i * width;
		for (size_t j = 0; j < i; j++)
			if (memcmp(*out + j * width, it, width) == 0)
				return phr_fail(PHR_E_MALFORMED, "facts: an item listed twice in a visit");
		if (width == 2 && (it[0] >= f->n_strings || it[1] >= N_RESULTS))
			return phr_fail(PHR_E_MALFORMED, "facts: result refers to string %u or value %u", it[0], it[1]);
	}
	return PHR_OK;
}

int phr_facts_decode(const uint8_t *blob, size_t len, struct phr_facts *f)
{
	int r;
	if (!f)
		return phr_fail(PHR_E_ARG, "facts: no output");
	/* the scalars and counts; the arrays are written up to the counts (a
	 * report decodes a million blobs: no memset of the whole struct) */
	memset(f, 0, offsetof(struct phr_facts, string));
	f->n_visits = 0;
	if (!blob)
		return phr_fail(PHR_E_ARG, "facts: no blob");
	if (len > PHR_FACTS_MAX)
		return phr_fail(PHR_E_LIMIT, "facts: blob of %zu bytes, at most %d", len, PHR_FACTS_MAX);
	struct dec d = { blob, len, 0 };
	const uint8_t *h;
	if ((r = get(&d, 11, &h)))
		goto fail;
	if (h[0] != PHR_FACTS_VERSION) {
		r = phr_fail(PHR_E_VERSION, "facts: version %u, this program reads %d", h[0], PHR_FACTS_VERSION);
		goto fail;
	}
	f->birth_precision = h[1];
	f->birth_year = h[2] | h[3] << 8;
	f->birth_month = h[4];
	f->birth_day = h[5];
	f->sex = h[6];
	r = PHR_E_MALFORMED;
	if (f->birth_precision > 3 || f->sex > PHR_FACT_SEX_UNKNOWN ||
	    (f->birth_precision == 0 && (f->birth_year || f->birth_month || f->birth_day)) ||
	    (f->birth_precision >= 1 && (f->birth_year < 1800 || f->birth_year > 9999)) ||
	    (f->birth_precision >= 2) != (f->birth_month != 0) || f->birth_month > 12 ||
	    (f->birth_precision == 3) != (f->birth_day != 0) || f->birth_day > 31) {
		r = phr_fail(PHR_E_MALFORMED, "facts: birth date or sex out of range");
		goto fail;
	}
	if ((r = country(h + 7, f->nationality)) || (r = country(h + 9, f->host_country)))
		goto fail;
	unsigned n;
	if ((r = get8(&d, &n)))
		goto fail;
	f->n_strings = n;
	for (size_t i = 0; i < n; i++) {
		unsigned sl;
		const uint8_t *s;
		if ((r = get8(&d, &sl)) || (r = get(&d, sl, &s)))
			goto fail;
		if (sl == 0) {
			r = phr_fail(PHR_E_MALFORMED, "facts: empty string %zu", i);
			goto fail;
		}
		for (size_t k = 0; k < sl; k++)
			if (s[k] < 0x20 || s[k] == 0x7f) {
				r = phr_fail(PHR_E_MALFORMED, "facts: control character in string %zu", i);
				goto fail;
			}
		f->string[i] = (const char *)s;
		f->string_len[i] = (uint8_t)sl;
	}
	if ((r = get8(&d, &n)))
		goto fail;
	if (n > PHR_FACTS_MAX_VISITS) {
		r = phr_fail(PHR_E_MALFORMED, "facts: %u visits, at most %d", n, PHR_FACTS_MAX_VISITS);
		goto fail;
	}
	f->n_visits = n;
	for (size_t i = 0; i < n; i++) {
		struct phr_facts_visit *v = &f->visit[i];
		const uint8_t *b;
		if ((r = get(&d, 7, &b)))
			goto fail;
		int32_t day = (int32_t)((uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24);
		v->day = day;
		v->clinic = b[4] == NO_CLINIC ? -1 : b[4];
		v->flags = b[5];
		v->referrals = b[6];
		if (day < 0 || day > 3000000 || (v->clinic >= 0 && (size_t)v->clinic >= f->n_strings) ||
		    (v->flags & ~PHR_FACT_FLAGS) || (v->referrals & ~PHR_FACT_REFS)) {
			r = phr_fail(PHR_E_MALFORMED, "facts: visit %zu: day, clinic or flags out of range", i);
			goto fail;
		}
		if ((r = items(&d, f, 2, &v->n_results, &v->results)) || (r = items(&d, f, 1, &v->n_vaccines, &v->vaccines)) ||
		    (r = items(&d, f, 1, &v->n_chapters, &v->chapters)))
			goto fail;
		for (size_t k = 0; k < v->n_vaccines; k++)
			if (v->vaccines[k] >= f->n_strings) {
				r = phr_fail(PHR_E_MALFORMED, "facts: visit %zu: vaccine refers to string %u", i, v->vaccines[k]);
				goto fail;
			}
		for (size_t k = 0; k < v->n_chapters; k++)
			if (v->chapters[k] > 28) {
				r = phr_fail(PHR_E_MALFORMED, "facts: visit %zu: chapter %u", i, v->chapters[k]);
				goto fail;
			}
	}
	if (d.pos != len) {
		r = phr_fail(PHR_E_TRAILING, "facts: %zu bytes after the end", len - d.pos);
		goto fail;
	}
	return PHR_OK;
fail:
	memset(f, 0, sizeof(*f));
	return r;
}
