/* Health-status reports (register/facts.c, register/report.c,
 * print/report_pdf.c) on a generated population.
 *
 * Every indicator is computed a second time here, directly over the JSON
 * contents of the entries, by code written apart from facts.c and report.c
 * (other date arithmetic, other chapter tables, columns found by their
 * labels through strftime), and the report's visible cells must equal it.
 * Then every format is read back (text, CSV, JSON, and the PDF's tables
 * through pdftotext): no cell under the threshold anywhere, and in every
 * row and every column with its total (JSON), hidden cells are none or at
 * least two, so no hidden value follows from the totals.
 *
 * PHR_REPORT_PDF_DIR=DIR writes the PDFs (en, ar) there, to look at. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "facts.h"
#include "gen.h"
#include "phr/json.h"
#include "phr/labels.h"
#include "report.h"
#include "testlib.h"

/* LeakSanitizer: fontconfig's few hundred bytes of parsed configuration,
 * unreachable for the life of the process (as in test_print.c). */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libfontconfig.so\n";
}

#define PERSONS 4000
#define SEED 20261203u

static const char *const clinics[] = { "Lesvos Reception Clinic", "Samos RIC", "Athens Health Centre",
	"Kos Mobile Unit", "" };

struct person {
	json_t *entry[PHR_FACTS_MAX_VISITS];
	const char *clinic[PHR_FACTS_MAX_VISITS];
	size_t n;
	uint8_t facts[PHR_FACTS_MAX];
	size_t facts_len;
};

static struct person *people;

/* The population: entries as phr_entry_decode_json gives them back. */
static int make_people(void)
{
	if (people)
		return 0;
	char path[1024];
	const char *root = getenv("PHR_SOURCE_ROOT");
	snprintf(path, sizeof(path), "%s/layouts/codes.tsv", root ? root : ".");
	CHECK(gen_codes_load(path) > 0);
	people = calloc(PERSONS, sizeof(*people));
	CHECK(people);
	for (size_t i = 0; i < PERSONS; i++) {
		struct person *p = &people[i];
		struct gen_case *c = gen_case_create(SEED, i);
		CHECK(c);
		unsigned nf = gen_case_follow_ups(c);
		for (unsigned k = 0; k <= nf; k++) {
			json_t *e = k == 0 ? gen_case_assessment(c) : gen_case_follow_up(c, k - 1);
			uint8_t *cbor;
			size_t len;
			CHECK_RC(phr_entry_encode_json(e, &cbor, &len), PHR_OK);
			json_decref(e);
			CHECK_RC(phr_entry_decode_json(cbor, len, &p->entry[p->n]), PHR_OK);
			free(cbor);
			/* a few clinics, one of them small, some entries without one */
			unsigned pick = (unsigned)((i * 7 + k * 3) % 41);
			p->clinic[p->n] = clinics[pick < 18 ? 0 : pick < 30 ? 1 : pick < 38 ? 2 : pick < 40 ? 3 : 4];
			p->n++;
		}
		gen_case_destroy(c);
		int64_t lo, hi;
		CHECK_RC(phr_facts_from_entries((const json_t *const *)p->entry, p->clinic, p->n, p->facts,
						sizeof(p->facts), &p->facts_len, &lo, &hi),
			 PHR_OK);
	}
	return 0;
}

/* ---- the independent computation ---- */

static int tm_of(const char *s, struct tm *tm)
{
	memset(tm, 0, sizeof(*tm));
	if (!s || strlen(s) != 10 || sscanf(s, "%d-%d-%d", &tm->tm_year, &tm->tm_mon, &tm->tm_mday) != 3)
		return -1;
	tm->tm_year -= 1900;
	tm->tm_mon -= 1;
	tm->tm_hour = 12;
	return timegm(tm) == (time_t)-1 ? -1 : 0;
}

static const char *jstr(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static int is_tb_test(const char *t)
{
	static const char *const tb = " 1648-5 71773-6 64084-7 24648-8 36643-5 11545-1 38379-4 543-9 ";
	char k[40];
	if (!t || strncmp(t, "loinc:", 6) != 0 || strlen(t) > 30)
		return 0;
	snprintf(k, sizeof(k), " %s ", t + 6);
	return strstr(tb, k) != NULL;
}

static int is_tb_reason(const char *c)
{
	if (!c)
		return 0;
	if (!strncmp(c, "icd11:", 6))
		return c[6] == '1' && c[7] == 'B' && c[8] == '1' && c[9] != 0;
	if (!strncmp(c, "icd10:", 6)) {
		int n = atoi(c + 7);
		return c[6] == 'A' && n >= 15 && n <= 19;
	}
	return 0;
}

/* ICD-11 chapters by the first character of the code; ICD-10 by block */
static int chapter(const char *c)
{
	if (!c)
		return 0;
	if (!strncmp(c, "icd11:", 6)) {
		static const struct { char ch; int n; } t[] = { { '1', 1 }, { '2', 2 }, { '3', 3 }, { '4', 4 }, { '5', 5 },
			{ '6', 6 }, { '7', 7 }, { '8', 8 }, { '9', 9 }, { 'A', 10 }, { 'B', 11 }, { 'C', 12 }, { 'D', 13 },
			{ 'E', 14 }, { 'F', 15 }, { 'G', 16 }, { 'H', 17 }, { 'J', 18 }, { 'K', 19 }, { 'L', 20 },
			{ 'M', 21 }, { 'N', 22 }, { 'P', 23 }, { 'Q', 24 }, { 'R', 25 }, { 'S', 26 }, { 'V', 27 },
			{ 'X', 28 } };
		for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
			if (t[i].ch == c[6])
				return t[i].n;
		return 0;
	}
	if (!strncmp(c, "icd10:", 6)) {
		static const struct { const char *from, *to; int n; } t[] = {
			{ "A00", "B99", 1 }, { "C00", "D48", 2 }, { "D50", "D89", 3 }, { "E00", "E90", 5 },
			{ "F00", "F99", 6 }, { "G00", "G99", 8 }, { "H00", "H59", 9 }, { "H60", "H95", 10 },
			{ "I00", "I99", 11 }, { "J00", "J99", 12 }, { "K00", "K93", 13 }, { "L00", "L99", 14 },
			{ "M00", "M99", 15 }, { "N00", "N99", 16 }, { "O00", "O99", 18 }, { "P00", "P96", 19 },
			{ "Q00", "Q99", 20 }, { "R00", "R99", 21 }, { "S00", "T98", 22 }, { "V01", "Y98", 23 },
			{ "Z00", "Z99", 24 }, { "U00", "U99", 25 } };
		char k[4] = { c[6], c[7], c[8], 0 };
		for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
			if (strcmp(k, t[i].from) >= 0 && strcmp(k, t[i].to) <= 0)
				return t[i].n;
	}
	return 0;
}

static const char *band_of(const char *birth, const struct tm *visit)
{
	if (!birth || strlen(birth) < 4)
		return "";
	int y = atoi(birth), m = strlen(birth) >= 7 ? atoi(birth + 5) : 7,
	    d = strlen(birth) >= 10 ? atoi(birth + 8) : strlen(birth) >= 7 ? 15 : 1;
	int age = visit->tm_year + 1900 - y;
	if (visit->tm_mon + 1 < m || (visit->tm_mon + 1 == m && visit->tm_mday < d))
		age--;
	return age < 5 ? "0-4" : age < 15 ? "5-14" : age < 18 ? "15-17" : age < 50 ? "18-49" : age < 65 ? "50-64" : "65+";
}

/* expected[id][row][column label] = persons, as a JSON object tree */
static void count(json_t *exp, const char *id, const char *row, const char *col)
{
	json_t *t = json_object_get(exp, id);
	if (!t)
		json_object_set_new(exp, id, t = json_object());
	json_t *r = json_object_get(t, row);
	if (!r)
		json_object_set_new(t, row, r = json_object());
	json_int_t n = json_integer_value(json_object_get(r, col));
	json_object_set_new(r, col, json_integer(n + 1));
}

static json_t *expected(const char *from, const char *to, int week, const char *group, const char *all)
{
	json_t *exp = json_object();
	struct tm tf, tt;
	tm_of(from, &tf);
	tm_of(to, &tt);
	time_t a = timegm(&tf), b = timegm(&tt);
	for (size_t i = 0; i < PERSONS; i++) {
		const struct person *p = &people[i];
		const char *birth = NULL, *sex = "", *nat = "", *host = "";
		for (size_t k = 0; k < p->n; k++) {
			const json_t *id = json_object_get(p->entry[k], "identity");
			if (jstr(id, "birth_date"))
				birth = jstr(id, "birth_date");
			if (jstr(id, "sex"))
				sex = jstr(id, "sex");
			if (jstr(id, "nationality"))
				nat = jstr(id, "nationality");
			if (jstr(json_object_get(p->entry[k], "migration"), "host_country"))
				host = jstr(json_object_get(p->entry[k], "migration"), "host_country");
		}
		/* the columns this person has visits in, in order of first visit */
		char cols[PHR_FACTS_MAX_VISITS + 1][64];
		int first[PHR_FACTS_MAX_VISITS + 1], last[PHR_FACTS_MAX_VISITS + 1];
		size_t nc = 0;
		for (size_t k = 0; k < p->n; k++) {
			struct tm tm;
			if (tm_of(jstr(p->entry[k], "date"), &tm))
				continue;
			time_t t = timegm(&tm);
			if (t < a || t > b)
				continue;
			char lab[2][64];
			strftime(lab[0], sizeof(lab[0]), week ? "%G-W%V" : "%Y-%m", &tm);
			snprintf(lab[1], sizeof(lab[1]), "%s", all);
			for (int w = 0; w < 2; w++) {
				size_t c = 0;
				while (c < nc && strcmp(cols[c], lab[w]))
					c++;
				if (c == nc) {
					memcpy(cols[nc], lab[w], sizeof(cols[nc]));
					first[nc++] = (int)k;
				}
				last[c] = (int)k;
			}
		}
		for (size_t c = 0; c < nc; c++) {
			struct tm v0;
			tm_of(jstr(p->entry[first[c]], "date"), &v0);
			const char *band = band_of(birth, &v0);
			const char *row = !strcmp(group, "nationality") ? nat : !strcmp(group, "sex") ? sex
					  : !strcmp(group, "host-country") ? host : !strcmp(group, "age-band") ? band
					  : p->clinic[first[c]];
			json_t *seen = json_object(); /* indicators of this person in this column */
			for (size_t k = 0; k < p->n; k++) {
				struct tm tm;
				char lab[16];
				if (tm_of(jstr(p->entry[k], "date"), &tm))
					continue;
				time_t t = timegm(&tm);
				strftime(lab, sizeof(lab), week ? "%G-W%V" : "%Y-%m", &tm);
				int in = t >= a && t <= b && (!strcmp(cols[c], all) || !strcmp(lab, cols[c]));
				const json_t *e = p->entry[k];
				size_t j;
				json_t *x;
				if (in) {
					json_object_set_new(seen, "assessed", json_true());
					json_array_foreach(json_object_get(e, "results"), j, x) {
						const char *test = jstr(x, "test"), *res = jstr(x, "result");
						if (is_tb_test(test)) {
							if (strcmp(res, "not_done"))
								json_object_set_new(seen, "tb.screened", json_true());
							if (!strcmp(res, "positive") || !strcmp(res, "abnormal"))
								json_object_set_new(seen, "tb.positive", json_true());
						} else {
							char id[200];
							snprintf(id, sizeof(id), "result.%s.%s", test, res);
							json_object_set_new(seen, id, json_true());
						}
					}
					const char *preg = jstr(json_object_get(e, "pregnancy"), "status");
					if (preg && !strcmp(preg, "pregnant"))
						json_object_set_new(seen, "pregnant", json_true());
					json_array_foreach(json_object_get(json_object_get(e, "plan"), "referrals"), j, x) {
						if (is_tb_reason(jstr(x, "reason")))
							json_object_set_new(seen, "tb.referred", json_true());
						char id[100];
						snprintf(id, sizeof(id), "referral.%s", jstr(x, "urgency") ? jstr(x, "urgency") : "unspecified");
						json_object_set_new(seen, id, json_true());
					}
				}
				if ((int)k <= last[c]) {
					json_array_foreach(json_object_get(e, "vaccinations"), j, x) {
						const char *v = jstr(x, "vaccine");
						if (v && !strncmp(v, "atc:J07", 7)) {
							char id[100];
							snprintf(id, sizeof(id), "vacc.%s", v);
							json_object_set_new(seen, id, json_true());
						}
					}
					json_array_foreach(json_object_get(e, "history"), j, x) {
						const char *cat = jstr(x, "category"), *st = jstr(x, "status");
						if (cat && !strcmp(cat, "chronic") && !(st && !strcmp(st, "resolved"))) {
							char id[100];
							snprintf(id, sizeof(id), "chronic.%02d", chapter(jstr(x, "code")));
							json_object_set_new(seen, id, json_true());
						}
					}
				}
			}
			const char *id;
			json_t *v;
			json_object_foreach(seen, id, v) {
				int byband = !strncmp(id, "vacc.", 5);
				count(exp, id, byband ? band : row, cols[c]);
			}
			count(exp, "vacc_persons", band, cols[c]);
			json_decref(seen);
		}
	}
	return exp;
}

/* Row key of an expected row as the report labels it (English). */
static const char *label_of(const char *group, const char *key, char *buf, size_t cap)
{
	if (!key[0])
		return phr_label_or("en", "ui.report.unknown", "Not recorded");
	if (!strcmp(group, "nationality") || !strcmp(group, "host-country")) {
		snprintf(buf, cap, "country.%s", key);
		return phr_label_or("en", buf, key);
	}
	if (!strcmp(group, "sex")) {
		snprintf(buf, cap, "enum.identity.sex.%s", key);
		return phr_label_or("en", buf, key);
	}
	return key;
}

static struct {
	char *p;
	size_t len;
} sink;

static int to_sink(void *ctx, const uint8_t *d, size_t n)
{
	(void)ctx;
	char *p = realloc(sink.p, sink.len + n + 1);
	if (!p)
		return PHR_E_NOMEM;
	memcpy(p + sink.len, d, n);
	sink.p = p;
	sink.len += n;
	sink.p[sink.len] = 0;
	return PHR_OK;
}

static int64_t day_of(const char *s)
{
	return phr_days_from_civil(atoi(s), atoi(s + 5), atoi(s + 8));
}

static struct phr_report *run(const char *from, const char *to, int by, int group, unsigned min_cell, const char *lang)
{
	struct phr_report_options o = { .from_day = day_of(from), .to_day = day_of(to), .by = by, .group = group,
					.min_cell = min_cell, .lang = lang, .now = 1796256000 };
	struct phr_report *r;
	if (phr_report_create(&o, &r))
		return NULL;
	for (size_t i = 0; i < PERSONS; i++)
		if (phr_report_add(r, people[i].facts, people[i].facts_len)) {
			phr_report_destroy(r);
			return NULL;
		}
	return r;
}

/* The report's visible cells equal the independent counts; every cell whose
 * count is under the threshold is hidden; most cells are shown. */
static int compare(const char *from, const char *to, int week, const char *group, unsigned min_cell)
{
	struct phr_report *r = run(from, to, week ? PHR_REPORT_BY_WEEK : PHR_REPORT_BY_MONTH,
				   phr_report_group_parse(group), min_cell, "en");
	CHECK(r);
	const struct phr_report_doc *d;
	CHECK_RC(phr_report_doc(r, &d), PHR_OK);
	json_t *exp = expected(from, to, week, group, d->col_labels[d->n_cols - 1]);
	size_t shown = 0, hidden = 0, tables = 0;
	int bad = 0;
	/* every expected indicator has its table, and every table is expected
	 * (the fixed ones may be all zero) */
	const char *id;
	json_t *et;
	json_object_foreach(exp, id, et) {
		size_t t = 0;
		while (t < d->n_tables && strcmp(d->tables[t].id, id))
			t++;
		if (t == d->n_tables) {
			fprintf(stderr, "  no table %s\n", id);
			bad = 1;
		}
	}
	for (size_t t = 0; t < d->n_tables; t++) {
		const struct phr_report_table *tb = &d->tables[t];
		json_t *rows = json_object_get(exp, tb->id);
		tables++;
		int byband = !strncmp(tb->id, "vacc", 4);
		/* rows: the expected keys, by label */
		size_t n_exp_rows = 0;
		const char *rk;
		json_t *rv;
		json_t *assessed = json_object_get(exp, byband ? "vacc_persons" : "assessed");
		json_object_foreach(assessed, rk, rv)
			n_exp_rows++;
		if (tb->n_rows != n_exp_rows) {
			fprintf(stderr, "  %s: %zu rows, expected %zu\n", tb->id, tb->n_rows, n_exp_rows);
			bad = 1;
			continue;
		}
		for (size_t k = 0; k <= tb->n_rows; k++) {
			const char *key = NULL;
			if (k < tb->n_rows) {
				json_object_foreach(assessed, rk, rv) {
					char buf[100];
					if (!strcmp(label_of(byband ? "age-band" : group, rk, buf, sizeof(buf)), tb->row_labels[k]))
						key = rk;
				}
				if (!key) {
					fprintf(stderr, "  %s: unexpected row %s\n", tb->id, tb->row_labels[k]);
					bad = 1;
					continue;
				}
			}
			for (size_t c = 0; c < d->n_cols; c++) {
				int64_t want = 0;
				if (key) {
					want = json_integer_value(json_object_get(json_object_get(rows, key), d->col_labels[c]));
				} else {
					json_object_foreach(rows, rk, rv)
						want += json_integer_value(json_object_get(rv, d->col_labels[c]));
				}
				int64_t got = tb->cells[k * d->n_cols + c];
				if (got == PHR_REPORT_SUPPRESSED) {
					hidden++;
					continue;
				}
				shown++;
				if (got != want || (min_cell > 1 && want < (int64_t)min_cell)) {
					if (bad++ < 10)
						fprintf(stderr, "  %s row %s col %s: report %lld, expected %lld\n", tb->id,
							key ? key : "total", d->col_labels[c], (long long)got, (long long)want);
				}
			}
		}
	}
	fprintf(stderr, "  %s..%s by %s, %s: %zu tables, %zu cells shown and equal, %zu hidden\n", from, to,
		week ? "week" : "month", group, tables, shown, hidden);
	json_decref(exp);
	phr_report_destroy(r);
	CHECK(!bad);
	CHECK(shown > 300);
	CHECK(min_cell > 1 || hidden == 0); /* --min-cell 1 hides nothing */
	return 0;
}

static int indicators_by_month_and_nationality(void)
{
	CHECK(!make_people());
	return compare("2024-03-10", "2024-12-20", 0, "nationality", 5);
}

static int indicators_by_week_and_clinic(void)
{
	CHECK(!make_people());
	return compare("2024-05-01", "2024-08-31", 1, "clinic", 5);
}

static int indicators_by_month_and_age_band(void)
{
	CHECK(!make_people());
	if (compare("2024-01-01", "2025-06-30", 0, "age-band", 3))
		return 1;
	if (compare("2024-01-01", "2025-06-30", 0, "sex", 10))
		return 1;
	return compare("2024-06-01", "2025-01-31", 0, "host-country", 5);
}

/* ---- suppression, read back from each format ---- */

/* A line of cells (strings as shown): hidden ones are none or >= 2. */
static int line_ok(const char *const *cells, size_t n, const char *hidden_text)
{
	size_t h = 0;
	for (size_t i = 0; i < n; i++)
		h += !strcmp(cells[i], hidden_text);
	return h == 0 || h >= 2 || n < 2;
}

static int cell_ok(const char *s, unsigned min_cell, const char *hidden_text)
{
	if (!strcmp(s, hidden_text))
		return 1;
	char *end;
	long v = strtol(s, &end, 10);
	return end != s && (*end == 0 || *end == ' ') && v >= (long)min_cell;
}

/* JSON: every table's rows and columns. */
static int check_json(const char *text, unsigned min_cell, size_t *lines)
{
	json_error_t je;
	json_t *root = json_loads(text, 0, &je);
	CHECK(root);
	char hid[16];
	snprintf(hid, sizeof(hid), "<%u", min_cell);
	CHECK(!strcmp(json_string_value(json_object_get(root, "suppressed")), hid));
	size_t nc = json_array_size(json_object_get(root, "columns"));
	size_t ti;
	json_t *t;
	json_array_foreach(json_object_get(root, "tables"), ti, t) {
		json_t *rows = json_object_get(t, "rows");
		size_t nr = json_array_size(rows);
		CHECK(nr >= 1 && json_is_true(json_object_get(json_array_get(rows, nr - 1), "total")));
		const char **cells = calloc(nr * nc, sizeof(*cells));
		char (*num)[24] = calloc(nr * nc, sizeof(*num));
		CHECK(cells && num);
		for (size_t k = 0; k < nr; k++) {
			json_t *pc = json_object_get(json_array_get(rows, k), "persons");
			CHECK(json_array_size(pc) == nc);
			for (size_t c = 0; c < nc; c++) {
				json_t *v = json_array_get(pc, c);
				if (json_is_string(v)) {
					CHECK(!strcmp(json_string_value(v), hid));
					cells[k * nc + c] = hid;
				} else {
					CHECK(json_is_integer(v) && json_integer_value(v) >= (json_int_t)min_cell);
					snprintf(num[k * nc + c], sizeof(num[0]), "%lld", (long long)json_integer_value(v));
					cells[k * nc + c] = num[k * nc + c];
				}
			}
		}
		const char **line = calloc(nr > nc ? nr : nc, sizeof(*line));
		CHECK(line);
		for (size_t c = 0; c < nc; c++) {
			for (size_t k = 0; k < nr; k++)
				line[k] = cells[k * nc + c];
			if (!line_ok(line, nr, hid)) {
				fprintf(stderr, "  %s: column %zu has one hidden cell\n", json_string_value(json_object_get(t, "id")), c);
				return 1;
			}
			(*lines)++;
		}
		for (size_t k = 0; k < nr; k++) {
			if (!line_ok(cells + k * nc, nc, hid)) {
				fprintf(stderr, "  %s: row %zu has one hidden cell\n", json_string_value(json_object_get(t, "id")), k);
				return 1;
			}
			(*lines)++;
		}
		free(line);
		free(cells);
		free(num);
	}
	json_decref(root);
	return 0;
}

/* CSV: each value cell; and it says the same as the JSON cell by cell. */
static int check_csv(const char *text, unsigned min_cell, size_t *n_cells)
{
	char hid[16];
	snprintf(hid, sizeof(hid), "<%u", min_cell);
	const char *p = strchr(text, '\n');
	CHECK(p);
	for (p++; *p; p = strchr(p, '\n') + 1) {
		/* five quoted fields then the percentage */
		char field[5][400];
		for (int f = 0; f < 5; f++) {
			CHECK(*p == '"');
			size_t n = 0;
			for (p++; !(p[0] == '"' && p[1] != '"'); p++) {
				if (p[0] == '"')
					p++;
				if (n + 1 < sizeof(field[f]))
					field[f][n++] = *p;
			}
			field[f][n] = 0;
			p++;
			CHECK(*p == ',');
			p++;
		}
		if (!cell_ok(field[4], min_cell, hid)) {
			fprintf(stderr, "  CSV: %s %s %s: \"%s\"\n", field[0], field[2], field[3], field[4]);
			return 1;
		}
		(*n_cells)++;
		if (!strchr(p, '\n'))
			break;
	}
	return 0;
}

/* Text: the cells are the last n_cols fields of each table line, two or
 * more spaces apart. */
static int check_text(const char *text, const struct phr_report_doc *d, unsigned min_cell, size_t *n_cells)
{
	char hid[16];
	snprintf(hid, sizeof(hid), "<%u", min_cell);
	char *copy = strdup(text), *save = NULL;
	CHECK(copy);
	size_t t = 0, row = 0;
	int in_table = 0;
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (t < d->n_tables && !strcmp(line, d->tables[t].title)) {
			in_table = 1;
			row = 0;
			continue;
		}
		if (!in_table)
			continue;
		if (row++ == 0)
			continue; /* the column heads */
		/* split on runs of 2+ spaces */
		char *f[PHR_REPORT_MAX_BUCKETS + 4];
		size_t nf = 0;
		char *s = line;
		while (*s && nf < sizeof(f) / sizeof(f[0])) {
			char *e = strstr(s, "  ");
			f[nf++] = s;
			if (!e)
				break;
			*e = 0;
			s = e + 2;
			while (*s == ' ')
				s++;
		}
		CHECK(nf == d->n_cols + 1);
		for (size_t c = 1; c < nf; c++) {
			if (!cell_ok(f[c], min_cell, hid)) {
				fprintf(stderr, "  text: %s: \"%s\"\n", d->tables[t].title, f[c]);
				free(copy);
				return 1;
			}
			(*n_cells)++;
		}
		if (row == d->tables[t].n_rows + 2) {
			in_table = 0;
			t++;
		}
	}
	free(copy);
	CHECK(t == d->n_tables);
	return 0;
}

static int suppression_in_every_format(void)
{
	CHECK(!make_people());
	static const struct { const char *from, *to; int by, group; unsigned min; } cases[] = {
		{ "2024-03-10", "2024-12-20", PHR_REPORT_BY_MONTH, PHR_REPORT_GROUP_NATIONALITY, 5 },
		{ "2024-05-01", "2024-08-31", PHR_REPORT_BY_WEEK, PHR_REPORT_GROUP_CLINIC, 5 },
		{ "2024-01-01", "2025-12-31", PHR_REPORT_BY_MONTH, PHR_REPORT_GROUP_AGE_BAND, 11 },
		{ "2024-02-01", "2024-02-29", PHR_REPORT_BY_WEEK, PHR_REPORT_GROUP_SEX, 3 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct phr_report *r = run(cases[i].from, cases[i].to, cases[i].by, cases[i].group, cases[i].min, "en");
		CHECK(r);
		const struct phr_report_doc *d;
		CHECK_RC(phr_report_doc(r, &d), PHR_OK);
		size_t lines = 0, csv = 0, txt = 0;
		sink.len = 0;
		CHECK_RC(phr_report_write(r, PHR_REPORT_JSON, to_sink, NULL), PHR_OK);
		CHECK(!check_json(sink.p, cases[i].min, &lines));
		sink.len = 0;
		CHECK_RC(phr_report_write(r, PHR_REPORT_CSV, to_sink, NULL), PHR_OK);
		CHECK(!check_csv(sink.p, cases[i].min, &csv));
		sink.len = 0;
		CHECK_RC(phr_report_write(r, PHR_REPORT_TEXT, to_sink, NULL), PHR_OK);
		CHECK(!check_text(sink.p, d, cases[i].min, &txt));
		size_t cells = 0;
		for (size_t t = 0; t < d->n_tables; t++)
			cells += (d->tables[t].n_rows + 1) * d->n_cols;
		CHECK(csv == cells && txt == cells);
		fprintf(stderr, "  case %zu: %zu lines checked, %zu cells in CSV and in text\n", i, lines, cells);
		phr_report_destroy(r);
	}
	return 0;
}

/* A hand-made population where one group is small: its cell is hidden and
 * so is another in the same column, so the total does not give it away. */
static int complementary_suppression(void)
{
	static const char *const nat[] = { "SY", "AF", "IQ", "ER" };
	static const unsigned n[] = { 20, 9, 7, 2 };
	struct phr_report_options o = { .from_day = phr_days_from_civil(2025, 1, 1),
					.to_day = phr_days_from_civil(2025, 1, 31), .by = PHR_REPORT_BY_MONTH,
					.group = PHR_REPORT_GROUP_NATIONALITY, .min_cell = 5, .lang = "en" };
	struct phr_report *r;
	CHECK_RC(phr_report_create(&o, &r), PHR_OK);
	for (int g = 0; g < 4; g++)
		for (unsigned k = 0; k < n[g]; k++) {
			char text[200];
			snprintf(text, sizeof(text),
				 "{\"kind\":\"assessment\",\"date\":\"2025-01-%02u\",\"identity\":{\"nationality\":\"%s\"}}",
				 k % 28 + 1, nat[g]);
			json_t *e = json_loads(text, 0, NULL);
			const char *clinic = "X";
			uint8_t f[PHR_FACTS_MAX];
			size_t len;
			int64_t lo, hi;
			CHECK(e);
			CHECK_RC(phr_facts_from_entries((const json_t *const *)&e, &clinic, 1, f, sizeof(f), &len, &lo, &hi), PHR_OK);
			json_decref(e);
			CHECK_RC(phr_report_add(r, f, len), PHR_OK);
		}
	const struct phr_report_doc *d;
	CHECK_RC(phr_report_doc(r, &d), PHR_OK);
	const struct phr_report_table *t = &d->tables[0];
	CHECK(!strcmp(t->id, "assessed") && t->n_rows == 4 && d->n_cols == 2);
	/* rows sorted by code: AF 9, ER 2, IQ 7, SY 20; total 38 */
	CHECK(t->cells[0] == 9 && t->cells[1] == 9);
	CHECK(t->cells[2] == PHR_REPORT_SUPPRESSED && t->cells[3] == PHR_REPORT_SUPPRESSED);
	CHECK(t->cells[4] == PHR_REPORT_SUPPRESSED && t->cells[5] == PHR_REPORT_SUPPRESSED); /* IQ 7: next smallest */
	CHECK(t->cells[6] == 20 && t->cells[8] == 38);
	phr_report_destroy(r);
	return 0;
}

/* --min-cell 1: no suppression at all. The same small population by week,
 * so that there are zero cells: every cell is shown as its count, zeros as
 * 0, and no format writes "<1". */
static int min_cell_one_hides_nothing(void)
{
	static const char *const nat[] = { "SY", "AF", "IQ", "ER" };
	static const unsigned n[] = { 20, 9, 7, 2 };
	struct phr_report_options o = { .from_day = phr_days_from_civil(2025, 1, 1),
					.to_day = phr_days_from_civil(2025, 1, 31), .by = PHR_REPORT_BY_WEEK,
					.group = PHR_REPORT_GROUP_NATIONALITY, .min_cell = 1, .lang = "en" };
	struct phr_report *r;
	CHECK_RC(phr_report_create(&o, &r), PHR_OK);
	/* weeks of 2025-01: Mon Dec 30, Jan 6, 13, 20, 27; person k of group g
	 * is seen on day k % 28 + 1 */
	int64_t want[4][6] = { { 0 } };
	for (int g = 0; g < 4; g++)
		for (unsigned k = 0; k < n[g]; k++) {
			char text[200];
			unsigned day = k % 28 + 1;
			snprintf(text, sizeof(text),
				 "{\"kind\":\"assessment\",\"date\":\"2025-01-%02u\",\"identity\":{\"nationality\":\"%s\"}}",
				 day, nat[g]);
			json_t *e = json_loads(text, 0, NULL);
			const char *clinic = "X";
			uint8_t f[PHR_FACTS_MAX];
			size_t len;
			int64_t lo, hi;
			CHECK(e);
			CHECK_RC(phr_facts_from_entries((const json_t *const *)&e, &clinic, 1, f, sizeof(f), &len, &lo, &hi), PHR_OK);
			json_decref(e);
			CHECK_RC(phr_report_add(r, f, len), PHR_OK);
			want[g][(day + 1) / 7]++;
			want[g][5]++;
		}
	const struct phr_report_doc *d;
	CHECK_RC(phr_report_doc(r, &d), PHR_OK);
	CHECK(!strcmp(d->suppressed_text, ""));
	CHECK(!strstr(d->note, "<"));
	const struct phr_report_table *t = &d->tables[0];
	CHECK(!strcmp(t->id, "assessed") && t->n_rows == 4 && d->n_cols == 6);
	/* rows sorted by code: AF, ER, IQ, SY */
	static const int row_of[4] = { 3, 0, 2, 1 }; /* SY AF IQ ER -> row */
	size_t zeros = 0, cells = 0;
	for (int g = 0; g < 4; g++)
		for (size_t c = 0; c < 6; c++) {
			int64_t v = t->cells[(size_t)row_of[g] * 6 + c];
			if (v != want[g][c])
				fprintf(stderr, "  %s col %zu: report %lld, expected %lld\n", nat[g], c, (long long)v,
					(long long)want[g][c]);
			CHECK(v == want[g][c]);
			zeros += v == 0;
		}
	CHECK(zeros >= 3); /* ER's two persons leave three weeks empty; so does AF's last */
	for (size_t ti = 0; ti < d->n_tables; ti++)
		for (size_t i = 0; i < (d->tables[ti].n_rows + 1) * d->n_cols; i++) {
			CHECK(d->tables[ti].cells[i] != PHR_REPORT_SUPPRESSED);
			CHECK(d->tables[ti].cells[i] >= 0);
			zeros += d->tables[ti].cells[i] == 0;
			cells++;
		}
	static const int fmts[] = { PHR_REPORT_TEXT, PHR_REPORT_CSV, PHR_REPORT_JSON };
	for (size_t i = 0; i < 3; i++) {
		sink.len = 0;
		CHECK_RC(phr_report_write(r, fmts[i], to_sink, NULL), PHR_OK);
		CHECK(sink.len > 0 && !strstr(sink.p, "<1"));
	}
	json_t *root = json_loads(sink.p, 0, NULL);
	CHECK(root);
	CHECK(!strcmp(json_string_value(json_object_get(root, "suppressed")), ""));
	CHECK(json_integer_value(json_object_get(root, "min_cell")) == 1);
	json_t *rows = json_object_get(json_array_get(json_object_get(root, "tables"), 0), "rows");
	json_t *er = json_object_get(json_array_get(rows, 1), "persons");
	CHECK(json_is_integer(json_array_get(er, 0)) && json_integer_value(json_array_get(er, 0)) == want[3][0]);
	CHECK(json_is_integer(json_array_get(er, 5)) && json_integer_value(json_array_get(er, 5)) == 2);
	json_decref(root);
	fprintf(stderr, "  %zu cells, %zu of them zero, all shown\n", cells, zeros);
	phr_report_destroy(r);
	/* and the generated population, all formats of it: every cell shown */
	CHECK(!make_people());
	return compare("2024-03-10", "2024-12-20", 1, "clinic", 1);
}

/* ---- the blob ---- */

static int facts_say_what_the_record_says(void)
{
	CHECK(!make_people());
	size_t sum = 0, max = 0;
	for (size_t i = 0; i < PERSONS; i++) {
		sum += people[i].facts_len;
		max = people[i].facts_len > max ? people[i].facts_len : max;
	}
	fprintf(stderr, "  facts: %zu bytes a record on average, %zu at most\n", sum / PERSONS, max);
	CHECK(max < PHR_FACTS_MAX / 4);
	for (size_t i = 0; i < PERSONS; i += 37) {
		const struct person *p = &people[i];
		struct phr_facts f;
		CHECK_RC(phr_facts_decode(p->facts, p->facts_len, &f), PHR_OK);
		CHECK(f.n_visits == p->n);
		const char *nat = jstr(json_object_get(p->entry[0], "identity"), "nationality");
		CHECK(!strcmp(f.nationality, nat ? nat : ""));
		const char *b = jstr(json_object_get(p->entry[0], "identity"), "birth_date");
		if (b) {
			CHECK(f.birth_year == atoi(b));
			CHECK(f.birth_precision == (strlen(b) == 4 ? 1 : strlen(b) == 7 ? 2 : 3));
		}
		for (size_t k = 0; k < p->n; k++) {
			struct tm tm;
			CHECK(!tm_of(jstr(p->entry[k], "date"), &tm));
			CHECK(f.visit[k].day == phr_days_from_civil(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday));
			const char *cl = f.visit[k].clinic >= 0 ? f.string[f.visit[k].clinic] : "";
			CHECK(!strncmp(cl, p->clinic[k], strlen(p->clinic[k])));
			size_t nv = 0, j;
			json_t *x;
			json_array_foreach(json_object_get(p->entry[k], "vaccinations"), j, x)
				nv++;
			CHECK(f.visit[k].n_vaccines <= nv);
		}
	}
	return 0;
}

static int facts_decoder_refuses_damage(void)
{
	CHECK(!make_people());
	/* PHR_FACTS_SEED_DIR=DIR: a few blobs as seeds for tests/fuzz/corpus/facts */
	const char *seeds = getenv("PHR_FACTS_SEED_DIR");
	for (size_t i = 0; seeds && i < PERSONS; i += 211) {
		char path[1024];
		snprintf(path, sizeof(path), "%s/seed-%zu", seeds, i);
		FILE *fp = fopen(path, "wb");
		CHECK(fp && fwrite(people[i].facts, 1, people[i].facts_len, fp) == people[i].facts_len && fclose(fp) == 0);
	}
	const struct person *p = &people[5];
	struct phr_facts f;
	for (size_t n = 0; n < p->facts_len; n++)
		CHECK(phr_facts_decode(p->facts, n, &f) != PHR_OK);
	uint8_t b[PHR_FACTS_MAX + 1];
	memcpy(b, p->facts, p->facts_len);
	b[p->facts_len] = 0;
	CHECK_RC(phr_facts_decode(b, p->facts_len + 1, &f), PHR_E_TRAILING);
	b[0] = 2;
	CHECK_RC(phr_facts_decode(b, p->facts_len, &f), PHR_E_VERSION);
	CHECK(f.n_visits == 0);
	/* every one-bit change decodes or is refused, never read out of bounds
	 * (the sanitizer build checks that) */
	for (size_t i = 0; i < p->facts_len; i++)
		for (int bit = 0; bit < 8; bit++) {
			memcpy(b, p->facts, p->facts_len);
			b[i] ^= (uint8_t)(1u << bit);
			if (phr_facts_decode(b, p->facts_len, &f) == PHR_OK)
				CHECK(f.n_visits <= PHR_FACTS_MAX_VISITS);
		}
	/* a report refuses a damaged blob and counts nothing of it */
	struct phr_report_options o = { .from_day = 45000, .to_day = 45300, .by = PHR_REPORT_BY_MONTH };
	struct phr_report *r;
	CHECK_RC(phr_report_create(&o, &r), PHR_OK);
	CHECK(phr_report_add(r, p->facts, p->facts_len - 1) != PHR_OK);
	CHECK(phr_report_persons(r) == 0);
	phr_report_destroy(r);
	return 0;
}

static int options_are_checked(void)
{
	struct phr_report *r;
	struct phr_report_options o = { .from_day = 45000, .to_day = 44999 };
	CHECK_RC(phr_report_create(&o, &r), PHR_E_ARG);
	o.to_day = 45000 + 7 * PHR_REPORT_MAX_BUCKETS + 7;
	CHECK_RC(phr_report_create(&o, &r), PHR_E_LIMIT);
	o.to_day = 45100;
	o.min_cell = PHR_REPORT_MAX_MIN_CELL + 1;
	CHECK_RC(phr_report_create(&o, &r), PHR_E_ARG);
	CHECK(phr_report_group_parse("age-band") == PHR_REPORT_GROUP_AGE_BAND);
	CHECK(phr_report_group_parse("age") == -1);
	CHECK(phr_report_format_parse("pdf") == PHR_REPORT_PDF);
	CHECK(phr_report_by_parse("day") == -1);
	return 0;
}

/* PDF: the text of the table pages (pdftotext -layout, poppler-utils): on
 * every line that starts with a row label of the report, each field after
 * it is "<N" or a count of at least N. Returns the number of cells read. */
static int check_pdf(const char *pdf, size_t len, const struct phr_report_doc *d, unsigned min_cell, size_t *cells)
{
	char path[] = "/tmp/phr-report-XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	FILE *fp = fdopen(fd, "wb");
	CHECK(fp && fwrite(pdf, 1, len, fp) == len && fclose(fp) == 0);
	char cmd[256], line[4096], hid[16];
	snprintf(cmd, sizeof(cmd), "pdftotext -layout -f 2 %s -", path);
	snprintf(hid, sizeof(hid), "<%u", min_cell);
	FILE *p = popen(cmd, "r");
	CHECK(p);
	int bad = 0;
	while (fgets(line, sizeof(line), p)) {
		line[strcspn(line, "\n")] = 0;
		const char *s = line;
		while (*s == ' ')
			s++;
		/* the row labels of the first table, and Total */
		const struct phr_report_table *t = &d->tables[0];
		size_t ll = 0;
		for (size_t k = 0; k <= t->n_rows; k++) {
			const char *lab = k < t->n_rows ? t->row_labels[k] : d->total_label;
			size_t n = strlen(lab);
			if (!strncmp(s, lab, n) && s[n] == ' ' && s[n + 1] == ' ' && n > ll)
				ll = n;
		}
		if (!ll)
			continue;
		for (char *f = strtok(line + (s - line) + ll, " "); f; f = strtok(NULL, " ")) {
			if (f[0] == '(')
				continue; /* a coverage percentage */
			if (!cell_ok(f, min_cell, hid)) {
				if (bad++ < 5)
					fprintf(stderr, "  PDF: \"%s\" in \"%s\"\n", f, s);
			}
			(*cells)++;
		}
	}
	CHECK(pclose(p) == 0);
	unlink(path);
	CHECK(!bad);
	return 0;
}

/* PDFs in English and Arabic (PHR_REPORT_PDF_DIR to keep them). */
static int pdf_in_two_languages(void)
{
	CHECK(!make_people());
	static const char *const langs[] = { "en", "ar", "fr", "fa" };
	for (size_t i = 0; i < 4; i++) {
		/* the last: weeks, by clinic, and a threshold that hides a headline bar */
		struct phr_report *r = i < 3 ? run("2024-01-01", "2024-12-31", PHR_REPORT_BY_MONTH, PHR_REPORT_GROUP_AGE_BAND,
						   5, langs[i])
					     : run("2024-02-01", "2024-05-31", PHR_REPORT_BY_WEEK, PHR_REPORT_GROUP_CLINIC,
						   20, langs[i]);
		CHECK(r);
		sink.len = 0;
		CHECK_RC(phr_report_write(r, PHR_REPORT_PDF, to_sink, NULL), PHR_OK);
		CHECK(sink.len > 5000 && !memcmp(sink.p, "%PDF-", 5));
		if (!strcmp(langs[i], "en")) {
			const struct phr_report_doc *d;
			size_t cells = 0, want = 0;
			CHECK_RC(phr_report_doc(r, &d), PHR_OK);
			CHECK(!check_pdf(sink.p, sink.len, d, 5, &cells));
			for (size_t t = 0; t < d->n_tables; t++)
				want += (d->tables[t].n_rows + 1) * d->n_cols;
			fprintf(stderr, "  PDF: %zu cells read back, of %zu\n", cells, want);
			CHECK(cells == want);
		}
		const char *dir = getenv("PHR_REPORT_PDF_DIR");
		if (dir) {
			char path[1024];
			snprintf(path, sizeof(path), "%s/report-%s.pdf", dir, langs[i]);
			FILE *fp = fopen(path, "wb");
			CHECK(fp && fwrite(sink.p, 1, sink.len, fp) == sink.len && fclose(fp) == 0);
			snprintf(path, sizeof(path), "%s/report-%s.txt", dir, langs[i]);
			sink.len = 0;
			CHECK_RC(phr_report_write(r, PHR_REPORT_TEXT, to_sink, NULL), PHR_OK);
			fp = fopen(path, "wb");
			CHECK(fp && fwrite(sink.p, 1, sink.len, fp) == sink.len && fclose(fp) == 0);
		}
		phr_report_destroy(r);
	}
	return 0;
}

/* --min-cell 1 in the PDF: every cell of the tables read back as a count
 * (zeros included), and no "<1" on any page, the charts' legend included. */
static int pdf_min_cell_one(void)
{
	CHECK(!make_people());
	/* rows by age band: check_pdf knows every table's rows then */
	struct phr_report *r = run("2024-02-01", "2024-05-31", PHR_REPORT_BY_WEEK, PHR_REPORT_GROUP_AGE_BAND, 1, "en");
	CHECK(r);
	const struct phr_report_doc *d;
	CHECK_RC(phr_report_doc(r, &d), PHR_OK);
	size_t zeros = 0;
	for (size_t t = 0; t < d->n_tables; t++)
		for (size_t i = 0; i < (d->tables[t].n_rows + 1) * d->n_cols; i++) {
			CHECK(d->tables[t].cells[i] != PHR_REPORT_SUPPRESSED);
			zeros += d->tables[t].cells[i] == 0;
		}
	CHECK(zeros > 0);
	sink.len = 0;
	CHECK_RC(phr_report_write(r, PHR_REPORT_PDF, to_sink, NULL), PHR_OK);
	CHECK(sink.len > 5000 && !memcmp(sink.p, "%PDF-", 5));
	size_t cells = 0, want = 0;
	CHECK(!check_pdf(sink.p, sink.len, d, 0, &cells)); /* "<0" never appears: any count >= 0 */
	for (size_t t = 0; t < d->n_tables; t++)
		want += (d->tables[t].n_rows + 1) * d->n_cols;
	CHECK(cells == want);
	char path[] = "/tmp/phr-report-XXXXXX", cmd[256], line[4096];
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	FILE *fp = fdopen(fd, "wb");
	CHECK(fp && fwrite(sink.p, 1, sink.len, fp) == sink.len && fclose(fp) == 0);
	snprintf(cmd, sizeof(cmd), "pdftotext -layout %s -", path);
	FILE *p = popen(cmd, "r");
	CHECK(p);
	size_t lines = 0, lt = 0;
	while (fgets(line, sizeof(line), p)) {
		lines++;
		lt += strstr(line, "<1") != NULL;
	}
	CHECK(pclose(p) == 0);
	unlink(path);
	fprintf(stderr, "  PDF, --min-cell 1: %zu cells read back, of %zu (%zu zero); %zu lines, %zu with \"<1\"\n",
		cells, want, zeros, lines, lt);
	CHECK(lines > 100 && lt == 0);
	phr_report_destroy(r);
	return 0;
}

int main(void)
{
	static const struct test tests[] = {
		{ "options_are_checked", options_are_checked },
		{ "complementary_suppression", complementary_suppression },
		{ "min_cell_one_hides_nothing", min_cell_one_hides_nothing },
		{ "facts_say_what_the_record_says", facts_say_what_the_record_says },
		{ "facts_decoder_refuses_damage", facts_decoder_refuses_damage },
		{ "indicators_by_month_and_nationality", indicators_by_month_and_nationality },
		{ "indicators_by_week_and_clinic", indicators_by_week_and_clinic },
		{ "indicators_by_month_and_age_band_sex_host", indicators_by_month_and_age_band },
		{ "suppression_in_every_format", suppression_in_every_format },
		{ "pdf_in_two_languages", pdf_in_two_languages },
		{ "pdf_min_cell_one", pdf_min_cell_one },
	};
	int rc = run_tests(tests, sizeof(tests) / sizeof(tests[0]));
	if (people) {
		for (size_t i = 0; i < PERSONS; i++)
			for (size_t k = 0; k < people[i].n; k++)
				json_decref(people[i].entry[k]);
		free(people);
	}
	free(sink.p);
	return rc;
}
