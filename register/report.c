/* Aggregated health-status reports (report.h). What is counted, and how, is
 * docs/REPORTS.md; keep the two in step. */
#include "report.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "facts.h"
#include "phr/json.h"
#include "phr/labels.h"

#define SEP '\x1f' /* a counter's key: row key, SEP, indicator id */

static const char *const age_names[PHR_REPORT_AGE_BANDS] = { "0-4", "5-14", "15-17", "18-49", "50-64", "65+" };
static const int age_lo[PHR_REPORT_AGE_BANDS] = { 0, 5, 15, 18, 50, 65 };
static const char *const result_names[] = { "negative", "positive", "indeterminate", "pending", "not_done",
	"normal", "abnormal" };
static const char *const sex_names[] = { "", "female", "male", "other", "unknown" };
static const char *const urgency_names[] = { "routine", "urgent", "emergency", "unspecified" };

struct col;

struct slot {
	uint64_t h;       /* hash of key */
	char *key;
	uint32_t *counts; /* n_cols */
};

struct cstr {
	char *s;
	struct cstr *next;
};

struct phr_report {
	struct phr_report_options o;
	char lang[8];
	size_t n_buckets, n_cols; /* n_cols = n_buckets + 1 (the whole period) */
	int64_t first_bucket;     /* week: Monday of the first week; month: y * 12 + m - 1 */
	size_t persons;
	size_t cap, used;         /* hash table */
	struct slot *slots;
	size_t cells;
	struct phr_facts f;       /* decoding space (large: kept off the stack) */
	struct col *cols;         /* scratch of phr_report_add: PHR_FACTS_MAX_VISITS + 1 columns */
	size_t *colno;
	uint32_t **pending;       /* and the counters it will increment */
	/* the built document */
	bool built;
	struct phr_report_doc doc;
	struct phr_report_table *tables;
	struct cstr *strings;     /* every string the document points to */
	void **blocks;            /* and every array */
	size_t n_blocks, cap_blocks;
};

int phr_report_by_parse(const char *s)
{
	return !s ? -1 : strcmp(s, "week") == 0 ? PHR_REPORT_BY_WEEK : strcmp(s, "month") == 0 ? PHR_REPORT_BY_MONTH : -1;
}

int phr_report_group_parse(const char *s)
{
	static const char *const g[] = { "nationality", "age-band", "sex", "clinic", "host-country" };
	for (int i = 0; s && i < 5; i++)
		if (strcmp(s, g[i]) == 0)
			return i;
	return -1;
}

int phr_report_format_parse(const char *s)
{
	static const char *const f[] = { "text", "csv", "json", "pdf" };
	for (int i = 0; s && i < 4; i++)
		if (strcmp(s, f[i]) == 0)
			return i;
	return -1;
}

int phr_report_age_band(int prec, int y, int m, int d, int64_t day)
{
	if (prec < 1)
		return -1;
	/* a missing part is taken as the middle of what is known */
	if (prec < 2)
		m = 7, d = 1;
	else if (prec < 3)
		d = 15;
	int vy, vm, vd;
	phr_civil_from_days(day, &vy, &vm, &vd);
	int age = vy - y - ((vm < m || (vm == m && vd < d)) ? 1 : 0);
	if (age < 0)
		age = 0;
	int b = 0;
	while (b + 1 < PHR_REPORT_AGE_BANDS && age >= age_lo[b + 1])
		b++;
	return b;
}

const char *phr_report_age_band_name(int band)
{
	return band >= 0 && band < PHR_REPORT_AGE_BANDS ? age_names[band] : "";
}

/* ---- periods ---- */

static int64_t month_of(int64_t day)
{
	int y, m, d;
	phr_civil_from_days(day, &y, &m, &d);
	return (int64_t)y * 12 + (m - 1);
}

static int64_t monday_of(int64_t day)
{
	int64_t w = day % 7; /* 1900-01-01 was a Monday */
	if (w < 0)
		w += 7;
	return day - w;
}

static size_t bucket_of(const struct phr_report *r, int64_t day)
{
	if (r->o.by == PHR_REPORT_BY_WEEK)
		return (size_t)((monday_of(day) - r->first_bucket) / 7);
	return (size_t)(month_of(day) - r->first_bucket);
}

static void bucket_label(const struct phr_report *r, size_t b, char *out, size_t cap)
{
	if (r->o.by == PHR_REPORT_BY_WEEK) {
		/* ISO 8601 week: the year of its Thursday */
		int64_t thu = r->first_bucket + (int64_t)b * 7 + 3;
		int y, m, d;
		phr_civil_from_days(thu, &y, &m, &d);
		int64_t w = (thu - phr_days_from_civil(y, 1, 1)) / 7 + 1;
		snprintf(out, cap, "%04d-W%02d", y, (int)w);
	} else {
		int64_t mm = r->first_bucket + (int64_t)b;
		snprintf(out, cap, "%04d-%02d", (int)(mm / 12), (int)(mm % 12) + 1);
	}
}

int phr_report_create(const struct phr_report_options *o, struct phr_report **out)
{
	if (out)
		*out = NULL;
	if (!o || !out)
		return phr_fail(PHR_E_ARG, "report: missing argument");
	if (o->from_day > o->to_day || o->from_day < 0)
		return phr_fail(PHR_E_ARG, "report: the period ends before it begins");
	if (o->by != PHR_REPORT_BY_WEEK && o->by != PHR_REPORT_BY_MONTH)
		return phr_fail(PHR_E_ARG, "report: --by is week or month");
	if (o->group < PHR_REPORT_GROUP_NATIONALITY || o->group > PHR_REPORT_GROUP_HOST_COUNTRY)
		return phr_fail(PHR_E_ARG, "report: unknown grouping");
	if (o->min_cell > PHR_REPORT_MAX_MIN_CELL)
		return phr_fail(PHR_E_ARG, "report: --min-cell at most %d", PHR_REPORT_MAX_MIN_CELL);
	struct phr_report *r = calloc(1, sizeof(*r));
	if (!r)
		return phr_fail(PHR_E_NOMEM, "report: out of memory");
	r->o = *o;
	if (!r->o.min_cell)
		r->o.min_cell = PHR_REPORT_MIN_CELL;
	snprintf(r->lang, sizeof(r->lang), "%s", o->lang && o->lang[0] ? o->lang : "en");
	r->o.lang = r->lang;
	r->first_bucket = o->by == PHR_REPORT_BY_WEEK ? monday_of(o->from_day) : month_of(o->from_day);
	r->n_buckets = bucket_of(r, o->to_day) + 1;
	if (r->n_buckets > PHR_REPORT_MAX_BUCKETS) {
		size_t n = r->n_buckets;
		free(r);
		return phr_fail(PHR_E_LIMIT, "report: %zu weeks or months, at most %d", n, PHR_REPORT_MAX_BUCKETS);
	}
	r->n_cols = r->n_buckets + 1;
	*out = r;
	return PHR_OK;
}

static void free_strings(struct phr_report *r)
{
	for (struct cstr *s = r->strings, *n; s; s = n) {
		n = s->next;
		free(s->s);
		free(s);
	}
	r->strings = NULL;
	for (size_t i = 0; i < r->n_blocks; i++)
		free(r->blocks[i]);
	free(r->blocks);
	r->blocks = NULL;
	r->n_blocks = r->cap_blocks = 0;
}

void phr_report_destroy(struct phr_report *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->cap; i++) {
		free(r->slots[i].key);
		free(r->slots[i].counts);
	}
	free(r->slots);
	free(r->cols);
	free(r->colno);
	free(r->pending);
	free_strings(r);
	free(r);
}

size_t phr_report_persons(const struct phr_report *r)
{
	return r ? r->persons : 0;
}

/* ---- counters: one per (indicator, row), a count per column ---- */

#define HASH0 1469598103934665603u

/* FNV-1a, continued from h (HASH0 to start) */
static uint64_t hash_more(uint64_t h, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211u;
	return h;
}

static uint64_t hash(const char *s, size_t n)
{
	return hash_more(HASH0, s, n);
}

static int grow(struct phr_report *r)
{
	size_t cap = r->cap ? r->cap * 2 : 256;
	struct slot *s = calloc(cap, sizeof(*s));
	if (!s)
		return phr_fail(PHR_E_NOMEM, "report: out of memory");
	for (size_t i = 0; i < r->cap; i++) {
		if (!r->slots[i].key)
			continue;
		size_t j = r->slots[i].h & (cap - 1);
		while (s[j].key)
			j = (j + 1) & (cap - 1);
		s[j] = r->slots[i];
	}
	free(r->slots);
	r->slots = s;
	r->cap = cap;
	return PHR_OK;
}

/* The counters of key (n bytes, hash h), created at zero. */
static int counter(struct phr_report *r, const char *key, size_t n, uint64_t h, uint32_t **out)
{
	int e;
	if ((r->used + 1) * 4 > r->cap * 3 && (e = grow(r)))
		return e;
	size_t j = h & (r->cap - 1);
	while (r->slots[j].key) {
		if (r->slots[j].h == h && memcmp(r->slots[j].key, key, n) == 0 && r->slots[j].key[n] == 0) {
			*out = r->slots[j].counts;
			return PHR_OK;
		}
		j = (j + 1) & (r->cap - 1);
	}
	if (r->cells + r->n_cols > PHR_REPORT_MAX_CELLS)
		return phr_fail(PHR_E_LIMIT, "report: more than %d counters", PHR_REPORT_MAX_CELLS);
	char *k = malloc(n + 1);
	uint32_t *c = calloc(r->n_cols, sizeof(*c));
	if (!k || !c) {
		free(k);
		free(c);
		return phr_fail(PHR_E_NOMEM, "report: out of memory");
	}
	memcpy(k, key, n);
	k[n] = 0;
	r->slots[j].key = k;
	r->slots[j].h = h;
	r->slots[j].counts = c;
	r->used++;
	r->cells += r->n_cols;
	*out = c;
	return PHR_OK;
}

/* What one person did in one column (a week, a month, or the whole period). */
struct col {
	int first, last;          /* visit indices, -1 when none */
	unsigned flags, refs;
	uint8_t pair[256];        /* per string: bit k set when result k was seen */
};

/* A row key and SEP, with the hash of these bytes: the start of the keys
 * of one row, hashed once per column. */
struct rowkey {
	char key[600];
	size_t len;
	uint64_t h;
};

static void rowkey_set(struct rowkey *rk, const char *row, size_t n)
{
	memcpy(rk->key, row, n);
	rk->key[n] = SEP;
	rk->len = n + 1;
	rk->h = hash(rk->key, rk->len);
}

/* One increment of the person's counter for indicator id (with an optional
 * code after a dot) in a row, in column c. Adding the same (id, row, c)
 * twice for one person is the caller's mistake: every id is emitted once. */
static int bump(struct phr_report *r, struct rowkey *rk, const char *id, const char *code, size_t code_len,
		size_t col, uint32_t **pending, size_t *n_pending)
{
	size_t n = rk->len, il = strlen(id);
	memcpy(rk->key + n, id, il);
	n += il;
	if (code) {
		rk->key[n++] = '.';
		memcpy(rk->key + n, code, code_len);
		n += code_len;
	}
	uint32_t *c = NULL;
	int e = counter(r, rk->key, n, hash_more(rk->h, rk->key + rk->len, n - rk->len), &c);
	if (e)
		return e;
	pending[*n_pending] = c + col;
	(*n_pending)++;
	return PHR_OK;
}

static int person_column(struct phr_report *r, const struct phr_facts *f, const struct col *c, size_t colno,
			 uint32_t **pending, size_t *np)
{
	int e = PHR_OK;
	const struct phr_facts_visit *v0 = &f->visit[c->first];
	int band = phr_report_age_band(f->birth_precision, f->birth_year, f->birth_month, f->birth_day, v0->day);
	const char *band_row = band >= 0 ? age_names[band] : "";
	struct rowkey row, brow;
	switch (r->o.group) {
	case PHR_REPORT_GROUP_NATIONALITY:
		rowkey_set(&row, f->nationality, strlen(f->nationality));
		break;
	case PHR_REPORT_GROUP_HOST_COUNTRY:
		rowkey_set(&row, f->host_country, strlen(f->host_country));
		break;
	case PHR_REPORT_GROUP_SEX:
		rowkey_set(&row, sex_names[f->sex], strlen(sex_names[f->sex]));
		break;
	case PHR_REPORT_GROUP_AGE_BAND:
		rowkey_set(&row, band_row, strlen(band_row));
		break;
	default: /* clinic */
		if (v0->clinic >= 0)
			rowkey_set(&row, f->string[v0->clinic], f->string_len[v0->clinic]);
		else
			rowkey_set(&row, "", 0);
		break;
	}
	rowkey_set(&brow, band_row, strlen(band_row));
#define BUMP(id, code, cl, rw) \
	do { \
		if ((e = bump(r, rw, id, code, cl, colno, pending, np))) \
			return e; \
	} while (0)
	BUMP("assessed", NULL, 0, &row);
	if (c->flags & PHR_FACT_TB_SCREENED)
		BUMP("tb.screened", NULL, 0, &row);
	if (c->flags & PHR_FACT_TB_POSITIVE)
		BUMP("tb.positive", NULL, 0, &row);
	if (c->flags & PHR_FACT_TB_REFERRED)
		BUMP("tb.referred", NULL, 0, &row);
	if (c->flags & PHR_FACT_PREGNANT)
		BUMP("pregnant", NULL, 0, &row);
	for (int u = 0; u < 4; u++)
		if (c->refs & (1u << u))
			BUMP("referral", urgency_names[u], strlen(urgency_names[u]), &row);
	for (size_t s = 0; s < f->n_strings; s++)
		for (size_t k = 0; k < 7; k++)
			if (c->pair[s] & (1u << k)) {
				char code[300];
				size_t sl = f->string_len[s], rl = strlen(result_names[k]);
				memcpy(code, f->string[s], sl);
				code[sl] = '.';
				memcpy(code + sl + 1, result_names[k], rl);
				BUMP("result", code, sl + 1 + rl, &row);
			}
	/* what the record lists up to the last visit of the column */
	uint8_t vac[256] = { 0 }, ch[29] = { 0 };
	for (int i = 0; i <= c->last; i++) {
		const struct phr_facts_visit *v = &f->visit[i];
		for (size_t k = 0; k < v->n_vaccines; k++)
			vac[v->vaccines[k]] = 1;
		for (size_t k = 0; k < v->n_chapters; k++)
			ch[v->chapters[k]] = 1;
	}
	for (int k = 0; k < 29; k++)
		if (ch[k]) {
			char code[3] = { (char)('0' + k / 10), (char)('0' + k % 10), 0 };
			BUMP("chronic", code, 2, &row);
		}
	BUMP("vacc_persons", NULL, 0, &brow);
	for (size_t s = 0; s < f->n_strings; s++)
		if (vac[s])
			BUMP("vacc", f->string[s], f->string_len[s], &brow);
#undef BUMP
	return e;
}

int phr_report_add(struct phr_report *r, const uint8_t *facts, size_t len)
{
	if (!r)
		return phr_fail(PHR_E_ARG, "report: no report");
	if (r->built)
		return phr_fail(PHR_E_ARG, "report: tables already built");
	struct phr_facts *f = &r->f;
	int e = phr_facts_decode(facts, len, f);
	if (e)
		return e;
	/* columns touched: at most one per visit, plus the whole period; the
	 * bumps of one column: 10 fixed, 7 results and a vaccine per string,
	 * 29 chapters */
	enum { PER_COL = 40 + 8 * PHR_FACTS_MAX_STRINGS };
	if (!r->cols) {
		r->cols = malloc((PHR_FACTS_MAX_VISITS + 1) * sizeof(*r->cols));
		r->colno = malloc((PHR_FACTS_MAX_VISITS + 1) * sizeof(*r->colno));
		r->pending = malloc((PHR_FACTS_MAX_VISITS + 1) * PER_COL * sizeof(*r->pending));
		if (!r->cols || !r->colno || !r->pending) {
			free(r->cols);
			free(r->colno);
			free(r->pending);
			r->cols = NULL, r->colno = NULL, r->pending = NULL;
			return phr_fail(PHR_E_NOMEM, "report: out of memory");
		}
	}
	struct col *cols = r->cols;
	size_t *colno = r->colno;
	uint32_t **pending = r->pending;
	size_t n_cols = 0;
	for (size_t i = 0; i < f->n_visits; i++) {
		const struct phr_facts_visit *v = &f->visit[i];
		if (v->day < r->o.from_day || v->day > r->o.to_day)
			continue;
		size_t b = bucket_of(r, v->day);
		size_t targets[2] = { b, r->n_buckets };
		for (int t = 0; t < 2; t++) {
			size_t k = 0;
			while (k < n_cols && colno[k] != targets[t])
				k++;
			if (k == n_cols) {
				colno[n_cols++] = targets[t];
				memset(&cols[k], 0, sizeof(cols[k]));
				cols[k].first = (int)i;
			}
			struct col *c = &cols[k];
			c->last = (int)i;
			c->flags |= v->flags;
			c->refs |= v->referrals;
			for (size_t j = 0; j < v->n_results; j++)
				c->pair[v->results[2 * j]] |= (uint8_t)(1u << v->results[2 * j + 1]);
		}
	}
	if (n_cols == 0)
		return PHR_OK;
	/* Every counter is found (and created) before any is incremented, so
	 * that a failure leaves the counts as they were. */
	size_t np = 0;
	for (size_t k = 0; k < n_cols; k++) {
		if ((e = person_column(r, f, &cols[k], colno[k], pending, &np)))
			return e;
	}
	for (size_t i = 0; i < np; i++)
		(*pending[i])++;
	r->persons++;
	return PHR_OK;
}

int phr_report_add_cb(void *ctx, const uint8_t *facts, size_t len)
{
	return phr_report_add(ctx, facts, len);
}

/* ---- the tables ---- */

static char *keep(struct phr_report *r, const char *s)
{
	struct cstr *c = malloc(sizeof(*c));
	char *d = strdup(s ? s : "");
	if (!c || !d) {
		free(c);
		free(d);
		return NULL;
	}
	c->s = d;
	c->next = r->strings;
	r->strings = c;
	return d;
}

static void *keep_block(struct phr_report *r, size_t n, size_t size)
{
	if (r->n_blocks == r->cap_blocks) {
		size_t cap = r->cap_blocks ? r->cap_blocks * 2 : 64;
		void **b = realloc(r->blocks, cap * sizeof(*b));
		if (!b)
			return NULL;
		r->blocks = b;
		r->cap_blocks = cap;
	}
	void *p = calloc(n ? n : 1, size);
	if (p)
		r->blocks[r->n_blocks++] = p;
	return p;
}

static const char *L(const struct phr_report *r, const char *id, const char *fallback)
{
	return phr_label_or(r->lang, id, fallback);
}

/* A label's %s and %d filled in order with args (labels are data, never
 * given to printf). */
static void fill(char *out, size_t cap, const char *fmt, const char *const *args, size_t n)
{
	size_t o = 0, a = 0;
	for (const char *p = fmt; *p && o + 1 < cap; p++) {
		if (p[0] == '%' && (p[1] == 's' || p[1] == 'd') && a < n) {
			for (const char *s = args[a++]; *s && o + 1 < cap; s++)
				out[o++] = *s;
			p++;
		} else if (p[0] == '%' && p[1] == '%') {
			out[o++] = '%';
			p++;
		} else {
			out[o++] = *p;
		}
	}
	out[o] = 0;
}

static const char *fill1(struct phr_report *r, const char *id, const char *fallback, const char *a)
{
	char b[1024];
	fill(b, sizeof(b), L(r, id, fallback), &a, 1);
	return keep(r, b);
}

static const char *fill2(struct phr_report *r, const char *id, const char *fallback, const char *a, const char *b2)
{
	char b[1024];
	const char *args[2] = { a, b2 };
	fill(b, sizeof(b), L(r, id, fallback), args, 2);
	return keep(r, b);
}

/* "loinc:5196-1" -> its label, or the code itself */
static const char *code_label(const struct phr_report *r, const char *code)
{
	char id[300];
	const char *colon = strchr(code, ':');
	if (!colon)
		return code;
	snprintf(id, sizeof(id), "code.%.*s.%s", (int)(colon - code), code, colon + 1);
	return L(r, id, code);
}

/* Order of the tables (docs/REPORTS.md) */
static int rank(const char *id)
{
	static const char *const fixed[] = { "assessed", "tb.screened", "tb.positive", "tb.referred", "pregnant",
		"referral.routine", "referral.urgent", "referral.emergency", "referral.unspecified" };
	for (int i = 0; i < 9; i++)
		if (strcmp(id, fixed[i]) == 0)
			return i;
	if (strncmp(id, "chronic.", 8) == 0)
		return 10;
	if (strncmp(id, "result.", 7) == 0)
		return 11;
	if (strcmp(id, "vacc_persons") == 0)
		return 12;
	return 13; /* vacc.* */
}

static int result_index(const char *id)
{
	const char *dot = strrchr(id, '.');
	for (int k = 0; dot && k < 7; k++)
		if (strcmp(dot + 1, result_names[k]) == 0)
			return k;
	return 7;
}

static int cmp_ids(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;
	int rx = rank(x), ry = rank(y);
	if (rx != ry)
		return rx < ry ? -1 : 1;
	if (rx == 11) {
		/* by code, then by the order of the result enum */
		size_t lx = (size_t)(strrchr(x, '.') - x), ly = (size_t)(strrchr(y, '.') - y);
		int c = strncmp(x, y, lx < ly ? lx : ly);
		if (c || lx != ly)
			return c ? c : (lx < ly ? -1 : 1);
		return result_index(x) - result_index(y);
	}
	return strcmp(x, y);
}

static int row_order(int group, const char *k)
{
	if (!k[0])
		return 1000; /* not recorded: last */
	if (group == PHR_REPORT_GROUP_AGE_BAND) {
		for (int i = 0; i < PHR_REPORT_AGE_BANDS; i++)
			if (strcmp(k, age_names[i]) == 0)
				return i;
	}
	if (group == PHR_REPORT_GROUP_SEX) {
		for (int i = 1; i < 5; i++)
			if (strcmp(k, sex_names[i]) == 0)
				return i;
	}
	return 0;
}

static int sort_group;

static int cmp_rows(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;
	int ox = row_order(sort_group, x), oy = row_order(sort_group, y);
	if (ox != oy)
		return ox < oy ? -1 : 1;
	return strcmp(x, y);
}

/* Row keys of indicator id, sorted; arrays and strings kept by the report. */
static int rows_of(struct phr_report *r, const char *id, int group, const char ***out, size_t *n)
{
	size_t cnt = 0;
	for (size_t i = 0; i < r->cap; i++) {
		const char *k = r->slots[i].key, *sep = k ? strchr(k, SEP) : NULL;
		if (sep && strcmp(sep + 1, id) == 0)
			cnt++;
	}
	const char **rows = keep_block(r, cnt, sizeof(*rows));
	if (!rows)
		return phr_fail(PHR_E_NOMEM, "report: out of memory");
	cnt = 0;
	for (size_t i = 0; i < r->cap; i++) {
		const char *k = r->slots[i].key, *sep = k ? strchr(k, SEP) : NULL;
		if (!sep || strcmp(sep + 1, id) != 0)
			continue;
		char row[600];
		snprintf(row, sizeof(row), "%.*s", (int)(sep - k), k);
		if (!(rows[cnt++] = keep(r, row)))
			return phr_fail(PHR_E_NOMEM, "report: out of memory");
	}
	sort_group = group;
	qsort(rows, cnt, sizeof(*rows), cmp_rows);
	*out = rows;
	*n = cnt;
	return PHR_OK;
}

static const uint32_t *find(const struct phr_report *r, const char *id, const char *row)
{
	char key[700];
	int n = snprintf(key, sizeof(key), "%s%c%s", row, SEP, id);
	if (n < 0 || (size_t)n >= sizeof(key) || !r->cap)
		return NULL;
	uint64_t h = hash(key, (size_t)n);
	size_t j = h & (r->cap - 1);
	while (r->slots[j].key) {
		if (r->slots[j].h == h && strcmp(r->slots[j].key, key) == 0)
			return r->slots[j].counts;
		j = (j + 1) & (r->cap - 1);
	}
	return NULL;
}

/* Cells of a line (a row or a column with its total): when exactly one is
 * hidden, the smallest other one is hidden too, so that the hidden one
 * cannot be worked out by subtraction. Returns 1 if it hid a cell. */
static int complete_line(const int64_t *v, bool *hid, const size_t *idx, size_t n)
{
	if (n < 2)
		return 0;
	size_t hidden = 0, best = (size_t)-1;
	for (size_t i = 0; i < n; i++) {
		if (hid[idx[i]])
			hidden++;
		else if (best == (size_t)-1 || v[idx[i]] < v[idx[best]])
			best = i;
	}
	if (hidden != 1 || best == (size_t)-1)
		return 0;
	hid[idx[best]] = true;
	return 1;
}

/* Suppresses cells of a (rows x cols) matrix whose last row is the total
 * of the others and whose last column covers the others. */
static int suppress(int64_t *v, size_t rows, size_t cols, unsigned min_cell)
{
	size_t n = rows * cols;
	bool *hid = calloc(n, sizeof(*hid));
	size_t *idx = calloc(rows > cols ? rows : cols, sizeof(*idx));
	if (!hid || !idx) {
		free(hid);
		free(idx);
		return phr_fail(PHR_E_NOMEM, "report: out of memory");
	}
	/* min_cell 1 means no suppression: a count is never below one unless
	 * it is zero, and a zero hides nobody. */
	for (size_t i = 0; i < n; i++)
		hid[i] = min_cell > 1 && v[i] < (int64_t)min_cell;
	for (int changed = 1; changed;) {
		changed = 0;
		for (size_t c = 0; c < cols; c++) {
			for (size_t k = 0; k < rows; k++)
				idx[k] = k * cols + c;
			changed |= complete_line(v, hid, idx, rows);
		}
		for (size_t k = 0; k < rows; k++) {
			for (size_t c = 0; c < cols; c++)
				idx[c] = k * cols + c;
			changed |= complete_line(v, hid, idx, cols);
		}
	}
	for (size_t i = 0; i < n; i++)
		if (hid[i])
			v[i] = PHR_REPORT_SUPPRESSED;
	free(hid);
	free(idx);
	return PHR_OK;
}

static const char *row_label(struct phr_report *r, int group, const char *key)
{
	char id[300];
	if (!key[0])
		return L(r, "ui.report.unknown", "Not recorded");
	switch (group) {
	case PHR_REPORT_GROUP_NATIONALITY:
	case PHR_REPORT_GROUP_HOST_COUNTRY:
		snprintf(id, sizeof(id), "country.%s", key);
		return L(r, id, key);
	case PHR_REPORT_GROUP_SEX:
		snprintf(id, sizeof(id), "enum.identity.sex.%s", key);
		return L(r, id, key);
	default:
		return key;
	}
}

static const char *group_title(struct phr_report *r, int group)
{
	switch (group) {
	case PHR_REPORT_GROUP_NATIONALITY: return L(r, "field.identity.nationality", "Nationality");
	case PHR_REPORT_GROUP_HOST_COUNTRY: return L(r, "field.migration.host_country", "Host country");
	case PHR_REPORT_GROUP_SEX: return L(r, "field.identity.sex", "Sex");
	case PHR_REPORT_GROUP_CLINIC: return L(r, "ui.report.clinic", "Clinic");
	default: return L(r, "ui.report.age_band", "Age band");
	}
}

static const char *table_title(struct phr_report *r, const char *id)
{
	if (strcmp(id, "assessed") == 0)
		return L(r, "ui.report.assessed", "Persons assessed");
	if (strcmp(id, "tb.screened") == 0)
		return L(r, "ui.report.tb_screened", "TB screening done");
	if (strcmp(id, "tb.positive") == 0)
		return L(r, "ui.report.tb_positive", "TB screening positive");
	if (strcmp(id, "tb.referred") == 0)
		return L(r, "ui.report.tb_referred", "Referred for TB");
	if (strcmp(id, "pregnant") == 0)
		return L(r, "ui.report.pregnant", "Pregnant");
	if (strcmp(id, "vacc_persons") == 0)
		return L(r, "ui.report.vacc_persons", "Persons assessed, by age band");
	if (strcmp(id, "referral.unspecified") == 0)
		return fill1(r, "ui.report.referrals", "Referrals: %s", L(r, "ui.report.urgency_unspecified", "urgency not given"));
	if (strncmp(id, "referral.", 9) == 0) {
		char e[100];
		snprintf(e, sizeof(e), "enum.plan.referrals.urgency.%s", id + 9);
		return fill1(r, "ui.report.referrals", "Referrals: %s", L(r, e, id + 9));
	}
	if (strcmp(id, "chronic.00") == 0)
		return L(r, "ui.report.chronic_other", "Chronic conditions, not ICD-coded");
	if (strncmp(id, "chronic.", 8) == 0) {
		char ch[4];
		snprintf(ch, sizeof(ch), "%d", atoi(id + 8));
		return fill1(r, "ui.report.chronic", "Chronic conditions, ICD-11 chapter %s", ch);
	}
	if (strncmp(id, "result.", 7) == 0) {
		char code[300], e[100];
		const char *dot = strrchr(id, '.');
		snprintf(code, sizeof(code), "%.*s", (int)(dot - id - 7), id + 7);
		snprintf(e, sizeof(e), "enum.results.result.%s", dot + 1);
		return fill2(r, "ui.report.result", "%s: %s", code_label(r, code), L(r, e, dot + 1));
	}
	if (strncmp(id, "vacc.", 5) == 0)
		return fill1(r, "ui.report.vaccinated", "Vaccinated: %s", code_label(r, id + 5));
	return id;
}

static void day_text(int64_t day, char *out, size_t cap)
{
	int y, m, d;
	phr_civil_from_days(day, &y, &m, &d);
	snprintf(out, cap, "%04d-%02d-%02d", y, m, d);
}

static int build(struct phr_report *r)
{
	int e = PHR_E_NOMEM;
	struct phr_report_doc *doc = &r->doc;
	/* the indicators that have counters, and the fixed ones */
	static const char *const fixed[] = { "assessed", "tb.screened", "tb.positive", "tb.referred", "pregnant",
		"referral.routine", "referral.urgent", "referral.emergency", "referral.unspecified", "vacc_persons" };
	size_t cap_ids = r->used + 10, n_ids = 0;
	const char **ids = keep_block(r, cap_ids, sizeof(*ids));
	if (!ids)
		goto nomem;
	for (size_t i = 0; i < 10; i++)
		ids[n_ids++] = fixed[i];
	for (size_t i = 0; i < r->cap; i++) {
		const char *k = r->slots[i].key;
		if (!k)
			continue;
		const char *idk = strchr(k, SEP) + 1;
		size_t j = 0;
		while (j < n_ids && strcmp(ids[j], idk) != 0)
			j++;
		if (j < n_ids)
			continue;
		char id[600];
		snprintf(id, sizeof(id), "%s", idk);
		const char *d = keep(r, id);
		if (!d)
			goto nomem;
		ids[n_ids++] = d;
	}
	qsort(ids, n_ids, sizeof(*ids), cmp_ids);

	const char **grows, **brows;
	size_t n_grows, n_brows;
	if ((e = rows_of(r, "assessed", r->o.group, &grows, &n_grows)) ||
	    (e = rows_of(r, "vacc_persons", PHR_REPORT_GROUP_AGE_BAND, &brows, &n_brows)))
		return e;
	e = PHR_E_NOMEM;

	const char **grow_labels = keep_block(r, n_grows, sizeof(char *));
	const char **brow_labels = keep_block(r, n_brows, sizeof(char *));
	const char **col_labels = keep_block(r, r->n_cols, sizeof(char *));
	r->tables = keep_block(r, n_ids, sizeof(*r->tables));
	if (!grow_labels || !brow_labels || !col_labels || !r->tables)
		goto nomem;
	for (size_t i = 0; i < n_grows; i++)
		grow_labels[i] = row_label(r, r->o.group, grows[i]);
	for (size_t i = 0; i < n_brows; i++)
		brow_labels[i] = row_label(r, PHR_REPORT_GROUP_AGE_BAND, brows[i]);
	for (size_t c = 0; c < r->n_buckets; c++) {
		char b[16];
		bucket_label(r, c, b, sizeof(b));
		if (!(col_labels[c] = keep(r, b)))
			goto nomem;
	}
	col_labels[r->n_buckets] = L(r, "ui.report.all", "Whole period");

	for (size_t t = 0; t < n_ids; t++) {
		struct phr_report_table *tb = &r->tables[t];
		bool band = strcmp(ids[t], "vacc_persons") == 0 || strncmp(ids[t], "vacc.", 5) == 0;
		const char **rows = band ? brows : grows;
		size_t nr = band ? n_brows : n_grows;
		int64_t *cells = keep_block(r, (nr + 1) * r->n_cols, sizeof(*cells));
		if (!cells)
			goto nomem;
		for (size_t k = 0; k < nr; k++) {
			const uint32_t *cnt = find(r, ids[t], rows[k]);
			for (size_t c = 0; c < r->n_cols; c++) {
				int64_t x = cnt ? cnt[c] : 0;
				cells[k * r->n_cols + c] = x;
				cells[nr * r->n_cols + c] += x;
			}
		}
		if ((e = suppress(cells, nr + 1, r->n_cols, r->o.min_cell)))
			return e;
		tb->id = ids[t];
		tb->title = table_title(r, ids[t]);
		tb->row_title = band ? L(r, "ui.report.age_band", "Age band") : group_title(r, r->o.group);
		tb->n_rows = nr;
		tb->row_labels = band ? brow_labels : grow_labels;
		tb->cells = cells;
		tb->denominator = strncmp(ids[t], "vacc.", 5) == 0 ? "vacc_persons" : NULL;
		tb->chart = rank(ids[t]) <= 4;
		if (!tb->title)
			goto nomem;
	}

	snprintf(doc->lang, sizeof(doc->lang), "%s", r->lang);
	doc->rtl = phr_lang_is_rtl(r->lang);
	doc->title = L(r, "ui.report.title", "Health-status report");
	char from[16], to[16], n[16], line[1200];
	day_text(r->o.from_day, from, sizeof(from));
	day_text(r->o.to_day, to, sizeof(to));
	const char *period = fill2(r, "ui.report.period", "Period: %s to %s", from, to);
	const char *by = r->o.by == PHR_REPORT_BY_WEEK ? L(r, "ui.report.by_week", "per week")
						       : L(r, "ui.report.by_month", "per month");
	const char *grouped = fill1(r, "ui.report.grouped_by", "grouped by %s", group_title(r, r->o.group));
	if (!period || !grouped)
		goto nomem;
	snprintf(line, sizeof(line), "%s · %s · %s", period, by, grouped);
	doc->subtitle = keep(r, line);
	snprintf(n, sizeof(n), "%u", r->o.min_cell);
	if (r->o.min_cell > 1) {
		doc->note = fill2(r, "ui.report.note",
				  "Cells of fewer than %s persons are shown as <%s; so are other cells from which a hidden one could be worked out.",
				  n, n);
		snprintf(line, sizeof(line), "<%u", r->o.min_cell);
	} else {
		/* --min-cell 1: nothing is hidden, so there is no "<1" either */
		doc->note = L(r, "ui.report.note_none", "No cells are hidden: every count is shown as it is.");
		line[0] = 0;
	}
	doc->suppressed_text = keep(r, line);
	doc->total_label = L(r, "ui.report.total", "Total");
	doc->chart_bars_title = L(r, "ui.report.chart_bars", "Whole period, all groups");
	doc->chart_lines_title = r->o.by == PHR_REPORT_BY_WEEK ? L(r, "ui.report.chart_weeks", "Week by week")
								 : L(r, "ui.report.chart_months", "Month by month");
	char now[16] = "";
	if (r->o.now)
		day_text((int64_t)(r->o.now / 86400) + phr_days_from_civil(1970, 1, 1), now, sizeof(now));
	doc->footer = now[0] ? fill1(r, "ui.report.generated", "Generated on %s", now) : "";
	doc->n_cols = r->n_cols;
	doc->col_labels = col_labels;
	doc->n_tables = n_ids;
	doc->tables = r->tables;
	if (!doc->subtitle || !doc->note || !doc->suppressed_text || !doc->footer)
		goto nomem;
	r->built = true;
	return PHR_OK;
nomem:
	return phr_fail(PHR_E_NOMEM, "report: out of memory");
}

int phr_report_doc(struct phr_report *r, const struct phr_report_doc **out)
{
	if (out)
		*out = NULL;
	if (!r || !out)
		return phr_fail(PHR_E_ARG, "report: missing argument");
	if (!r->built) {
		int e = build(r);
		if (e) {
			free_strings(r);
			memset(&r->doc, 0, sizeof(r->doc));
			return e;
		}
	}
	*out = &r->doc;
	return PHR_OK;
}

/* ---- text, CSV, JSON ---- */

struct buf {
	char *p;
	size_t len, cap;
	int err;
};

static void add(struct buf *b, const char *s, size_t n)
{
	if (b->err)
		return;
	if (n > b->cap - b->len) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap - b->len < n)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (!p) {
			b->err = phr_fail(PHR_E_NOMEM, "report: out of memory");
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

static void adds(struct buf *b, const char *s)
{
	add(b, s, strlen(s));
}

static void addf(struct buf *b, const char *fmt, ...) PHR_PRINTF(2, 3);
static void addf(struct buf *b, const char *fmt, ...)
{
	char t[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(t, sizeof(t), fmt, ap);
	va_end(ap);
	if (n > 0)
		add(b, t, (size_t)n < sizeof(t) ? (size_t)n : sizeof(t) - 1);
}

static const struct phr_report_table *table_by_id(const struct phr_report_doc *d, const char *id)
{
	for (size_t i = 0; id && i < d->n_tables; i++)
		if (strcmp(d->tables[i].id, id) == 0)
			return &d->tables[i];
	return NULL;
}

/* A cell as every format shows it: "12", "12 (34%)" for a coverage, or "<5". */
static void cell_text(const struct phr_report_doc *d, const struct phr_report_table *t, size_t k, size_t c,
		      char *out, size_t cap, char *pct, size_t pcap)
{
	int64_t v = t->cells[k * d->n_cols + c];
	pct[0] = 0;
	if (v == PHR_REPORT_SUPPRESSED) {
		snprintf(out, cap, "%s", d->suppressed_text);
		return;
	}
	snprintf(out, cap, "%lld", (long long)v);
	const struct phr_report_table *den = table_by_id(d, t->denominator);
	if (den && den->n_rows == t->n_rows) {
		int64_t n = den->cells[k * d->n_cols + c];
		if (n > 0)
			snprintf(pct, pcap, "%.1f", 100.0 * (double)v / (double)n);
	}
}

static size_t width(const char *s)
{
	size_t w = 0;
	for (; *s; s++)
		w += ((unsigned char)*s & 0xc0) != 0x80;
	return w;
}

static void pad(struct buf *b, size_t n)
{
	while (n--)
		add(b, " ", 1);
}

static void write_text(const struct phr_report_doc *d, struct buf *b)
{
	addf(b, "%s\n%s\n%s\n", d->title, d->subtitle, d->note);
	if (d->footer[0])
		addf(b, "%s\n", d->footer);
	for (size_t t = 0; t < d->n_tables; t++) {
		const struct phr_report_table *tb = &d->tables[t];
		addf(b, "\n%s\n", tb->title);
		size_t w0 = width(tb->row_title);
		for (size_t k = 0; k < tb->n_rows; k++)
			if (width(tb->row_labels[k]) > w0)
				w0 = width(tb->row_labels[k]);
		if (width(d->total_label) > w0)
			w0 = width(d->total_label);
		/* each column as wide as its widest cell */
		size_t *wc = calloc(d->n_cols, sizeof(*wc));
		if (!wc) {
			b->err = phr_fail(PHR_E_NOMEM, "report: out of memory");
			return;
		}
		for (size_t c = 0; c < d->n_cols; c++) {
			wc[c] = width(d->col_labels[c]);
			for (size_t k = 0; k <= tb->n_rows; k++) {
				char v[40], p[16], s[64];
				cell_text(d, tb, k, c, v, sizeof(v), p, sizeof(p));
				snprintf(s, sizeof(s), p[0] ? "%s (%s%%)" : "%s", v, p);
				if (width(s) > wc[c])
					wc[c] = width(s);
			}
		}
		adds(b, tb->row_title);
		pad(b, w0 - width(tb->row_title));
		for (size_t c = 0; c < d->n_cols; c++) {
			pad(b, 2 + wc[c] - width(d->col_labels[c]));
			adds(b, d->col_labels[c]);
		}
		adds(b, "\n");
		for (size_t k = 0; k <= tb->n_rows; k++) {
			const char *lab = k < tb->n_rows ? tb->row_labels[k] : d->total_label;
			adds(b, lab);
			pad(b, w0 - width(lab));
			for (size_t c = 0; c < d->n_cols; c++) {
				char v[40], p[16], s[64];
				cell_text(d, tb, k, c, v, sizeof(v), p, sizeof(p));
				snprintf(s, sizeof(s), p[0] ? "%s (%s%%)" : "%s", v, p);
				pad(b, 2 + wc[c] - width(s));
				adds(b, s);
			}
			adds(b, "\n");
		}
		free(wc);
	}
}

static void csv_field(struct buf *b, const char *s)
{
	add(b, "\"", 1);
	for (; *s; s++)
		add(b, *s == '"' ? "\"\"" : s, *s == '"' ? 2 : 1);
	add(b, "\"", 1);
}

static void write_csv(const struct phr_report_doc *d, struct buf *b)
{
	adds(b, "indicator,title,row,period,persons,percent\r\n");
	for (size_t t = 0; t < d->n_tables; t++) {
		const struct phr_report_table *tb = &d->tables[t];
		for (size_t k = 0; k <= tb->n_rows; k++)
			for (size_t c = 0; c < d->n_cols; c++) {
				char v[40], p[16];
				cell_text(d, tb, k, c, v, sizeof(v), p, sizeof(p));
				csv_field(b, tb->id);
				adds(b, ",");
				csv_field(b, tb->title);
				adds(b, ",");
				csv_field(b, k < tb->n_rows ? tb->row_labels[k] : d->total_label);
				adds(b, ",");
				csv_field(b, d->col_labels[c]);
				adds(b, ",");
				csv_field(b, v);
				adds(b, ",");
				adds(b, p);
				adds(b, "\r\n");
			}
	}
}

static int write_json(const struct phr_report *r, const struct phr_report_doc *d, struct buf *b)
{
	json_t *root = json_object(), *tables = json_array(), *cols = json_array();
	char from[16], to[16];
	day_text(r->o.from_day, from, sizeof(from));
	day_text(r->o.to_day, to, sizeof(to));
	static const char *const groups[] = { "nationality", "age-band", "sex", "clinic", "host-country" };
	json_object_set_new(root, "title", json_string(d->title));
	json_object_set_new(root, "lang", json_string(d->lang));
	json_object_set_new(root, "from", json_string(from));
	json_object_set_new(root, "to", json_string(to));
	json_object_set_new(root, "by", json_string(r->o.by == PHR_REPORT_BY_WEEK ? "week" : "month"));
	json_object_set_new(root, "group", json_string(groups[r->o.group]));
	json_object_set_new(root, "min_cell", json_integer(r->o.min_cell));
	json_object_set_new(root, "suppressed", json_string(d->suppressed_text));
	json_object_set_new(root, "note", json_string(d->note));
	for (size_t c = 0; c < d->n_cols; c++)
		json_array_append_new(cols, json_string(d->col_labels[c]));
	json_object_set_new(root, "columns", cols);
	for (size_t t = 0; t < d->n_tables; t++) {
		const struct phr_report_table *tb = &d->tables[t];
		json_t *jt = json_object(), *rows = json_array();
		json_object_set_new(jt, "id", json_string(tb->id));
		json_object_set_new(jt, "title", json_string(tb->title));
		json_object_set_new(jt, "row_title", json_string(tb->row_title));
		if (tb->denominator)
			json_object_set_new(jt, "denominator", json_string(tb->denominator));
		for (size_t k = 0; k <= tb->n_rows; k++) {
			json_t *row = json_object(), *cells = json_array(), *pcts = json_array();
			json_object_set_new(row, "label", json_string(k < tb->n_rows ? tb->row_labels[k] : d->total_label));
			if (k == tb->n_rows)
				json_object_set_new(row, "total", json_true());
			for (size_t c = 0; c < d->n_cols; c++) {
				int64_t v = tb->cells[k * d->n_cols + c];
				char s[40], p[16];
				cell_text(d, tb, k, c, s, sizeof(s), p, sizeof(p));
				json_array_append_new(cells, v == PHR_REPORT_SUPPRESSED ? json_string(d->suppressed_text)
											: json_integer(v));
				if (tb->denominator)
					json_array_append_new(pcts, p[0] ? json_real(atof(p)) : json_null());
			}
			json_object_set_new(row, "persons", cells);
			if (tb->denominator)
				json_object_set_new(row, "percent", pcts);
			else
				json_decref(pcts);
			json_array_append_new(rows, row);
		}
		json_object_set_new(jt, "rows", rows);
		json_array_append_new(tables, jt);
	}
	json_object_set_new(root, "tables", tables);
	char *s = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(4));
	json_decref(root);
	if (!s)
		return phr_fail(PHR_E_NOMEM, "report: out of memory");
	adds(b, s);
	adds(b, "\n");
	free(s);
	return PHR_OK;
}

int phr_report_write(struct phr_report *r, int format, int (*write)(void *ctx, const uint8_t *data, size_t len),
		     void *ctx)
{
	const struct phr_report_doc *d;
	if (!write)
		return phr_fail(PHR_E_ARG, "report: no output");
	int e = phr_report_doc(r, &d);
	if (e)
		return e;
	if (format == PHR_REPORT_PDF)
		return phr_report_pdf(d, write, ctx);
	struct buf b = { 0 };
	switch (format) {
	case PHR_REPORT_TEXT:
		write_text(d, &b);
		break;
	case PHR_REPORT_CSV:
		write_csv(d, &b);
		break;
	case PHR_REPORT_JSON:
		b.err = write_json(r, d, &b);
		break;
	default:
		return phr_fail(PHR_E_ARG, "report: unknown format");
	}
	e = b.err ? b.err : write(ctx, (const uint8_t *)b.p, b.len);
	free(b.p);
	return e;
}
