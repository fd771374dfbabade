/* print/: where a record's QR codes go (docs/PRINT.md, "Codes"). Every
 * printed code set has parity; one data code and its copy sit on two pages
 * (two card faces); no two pages of codes are the two sides of one leaf or
 * face each other in the closed booklet; on a print-shop sheet they are all
 * on one sheet side. The rule is checked against every choice of pages for
 * small booklets, then on booklets planned for records of many sizes and
 * summaries of many lengths; the wallet card's largest record is measured.
 *
 * Internal API (print/print_int.h): codes_place, codes_sheet_side,
 * booklet_plan, booklet_page. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "../../print/print_int.h"
#include "fixture.h"
#include "phr/cbor.h"
#include "phr/chunk.h"
#include "phr/print.h"
#include "testlib.h"

static struct fixture fx;
static struct phr_record *rec;

/* LeakSanitizer: fontconfig keeps a few hundred bytes of its parsed
 * configuration (read by Pango's start-up thread) unreachable for the life
 * of the process; that is fontconfig's, not phr's, so it alone is
 * suppressed, as print.sh does. (Freeing the caches at exit instead,
 * FcFini, asserts while Cairo still holds fonts.) */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libfontconfig.so\n";
}

/* ---- the placement rule, against every choice ---- */

static bool together(size_t a, size_t b) /* 1-based pages */
{
	return (a - 1) / 2 == (b - 1) / 2 || a / 2 == b / 2;
}

/* Spread j of an n-page saddle stitch: front n - 2j | 2j + 1, back 2j + 2 |
 * n - 2j - 1 (docs/PRINT.md, "Imposition"), written out independently of
 * codes_sheet_side. */
static size_t side_of(size_t n, size_t p, int rows)
{
	for (size_t j = 0; j < n / 4; j++) {
		size_t s = 2 * (j / (size_t)rows);
		if (p == n - 2 * j || p == 2 * j + 1)
			return s;
		if (p == 2 * j + 2 || p == n - 2 * j - 1)
			return s + 1;
	}
	return (size_t)-1;
}

static int test_sheet_sides(void)
{
	/* the eight-page booklet on one A4 sheet: 8 1 | 6 3 and 2 7 | 4 5 */
	static const size_t a8[] = { 1, 3, 6, 8 }, b8[] = { 2, 4, 5, 7 };
	for (size_t i = 0; i < 4; i++) {
		CHECK(codes_sheet_side(8, a8[i], 2) == 0);
		CHECK(codes_sheet_side(8, b8[i], 2) == 1);
	}
	/* twelve pages: sheet 2 holds spread 2 alone, 8 5 and 6 7 */
	CHECK(codes_sheet_side(12, 8, 2) == 2 && codes_sheet_side(12, 5, 2) == 2);
	CHECK(codes_sheet_side(12, 6, 2) == 3 && codes_sheet_side(12, 7, 2) == 3);
	for (int rows = 1; rows <= 3; rows++)
		for (size_t n = 4; n <= 64; n += 4)
			for (size_t p = 1; p <= n; p++)
				CHECK(codes_sheet_side(n, p, rows) == side_of(n, p, rows));
	return 0;
}

/* Is there a choice of c movable pages (1-based, after page `from`), none
 * together with another or with the k already chosen, all on one sheet
 * side (rows > 0) or anywhere (rows 0)? Every combination is tried. */
static bool exists_from(const bool *mov, size_t n, size_t c, int rows, size_t *idx, size_t k, size_t from)
{
	if (k == c)
		return true;
	for (size_t p = from + 1; p <= n; p++) {
		bool ok = mov[p - 1] && (!k || !rows || side_of(n, p, rows) == side_of(n, idx[0], rows));
		for (size_t a = 0; a < k && ok; a++)
			ok = !together(idx[a], p);
		if (ok) {
			idx[k] = p;
			if (exists_from(mov, n, c, rows, idx, k + 1, p))
				return true;
		}
	}
	return false;
}

static bool exists(const bool *mov, size_t n, size_t c, int rows)
{
	size_t idx[8];
	return c <= 8 && exists_from(mov, n, c, rows, idx, 0, 0);
}

/* Booklets of 4 to 12 pages with any set of movable pages (the cover and
 * the back cover never move), and of 16 to 48 pages whose movable pages
 * are a run after a summary of any length: the choice meets the rule
 * whenever some choice does, and says how well. */
static int test_place_against_every_choice(void)
{
	size_t tried = 0, side = 0;
	for (size_t n = 4; n <= 48; n += 4)
		for (uint64_t m = 0; m < (1ull << (n < 12 ? n : 12)); m++) {
			bool mov[48];
			size_t nm = 0;
			if (n <= 12) {
				if ((m & 1) || (m >> (n - 1) & 1))
					continue;
				for (size_t i = 0; i < n; i++)
					nm += mov[i] = m >> i & 1;
			} else {
				if (m + 2 >= n) /* the run starts after page m + 1 */
					break;
				for (size_t i = 0; i < n; i++)
					nm += mov[i] = i > m && i < n - 1;
			}
			for (size_t c = 1; c <= 4 && c <= nm; c++)
				for (int rows = 0; rows <= 2; rows++) {
					size_t out[16];
					int how = codes_place(mov, n, c, rows, out);
					for (size_t k = 0; k < c; k++) {
						CHECK(out[k] < n && mov[out[k]]);
						CHECK(!k || out[k] > out[k - 1]);
					}
					bool can_side = rows > 0 && exists(mov, n, c, rows);
					bool can_leaves = exists(mov, n, c, 0);
					if (rows > 0)
						CHECK((how == PLACE_SIDE) == can_side);
					CHECK(how >= PLACE_LEAVES || !can_leaves);
					if (how >= PLACE_LEAVES)
						for (size_t a = 0; a < c; a++)
							for (size_t b = a + 1; b < c; b++)
								CHECK(!together(out[a] + 1, out[b] + 1));
					if (how == PLACE_SIDE && rows > 0) {
						for (size_t a = 1; a < c; a++)
							CHECK(side_of(n, out[a] + 1, rows) == side_of(n, out[0] + 1, rows));
						side++;
					}
					tried++;
				}
		}
	printf("  %zu placements checked, %zu on one sheet side\n", tried, side);
	CHECK(tried > 10000 && side > 1000);
	return 0;
}

static int test_auto_parity(void)
{
	CHECK(codes_auto_parity(1) == 1);
	for (unsigned k = 2; k <= 4; k++)
		CHECK(codes_auto_parity(k) == 1);
	for (unsigned k = 5; k <= 8; k++)
		CHECK(codes_auto_parity(k) == 2);
	CHECK(codes_auto_parity(9) == 3);
	return 0;
}

/* ---- booklets, cards and sheets planned for real records ---- */

static size_t filler_cost(size_t x)
{
	return x + (x < 24 ? 1 : x < 256 ? 2 : 3);
}

/* A readable container (compression none) of exactly target bytes: rec's
 * entries and filler byte strings as "embedded certificates" (as in
 * test_chunk.c). NULL when target cannot be reached that way. */
static uint8_t *container_exact(size_t target, size_t *len)
{
	size_t fill[PHR_MAX_EMBEDDED_CERTS], nf = 0, base = 1 + 1 + PHR_RECORD_ID_LEN + 1;
	for (size_t i = 0; i < rec->n_entries; i++)
		base += rec->entries[i].raw_len;
	base += 1;
	if (target < PHR_CONTAINER_HEADER + base)
		return NULL;
	size_t extra = target - PHR_CONTAINER_HEADER - base;
	while (extra) {
		if (nf == PHR_MAX_EMBEDDED_CERTS)
			return NULL;
		size_t x = extra < PHR_MAX_CERT ? extra : PHR_MAX_CERT;
		while (filler_cost(x) > extra)
			x--;
		fill[nf++] = x;
		extra -= filler_cost(x);
	}
	struct phr_cbor_enc e;
	uint8_t *body = NULL, pattern[PHR_MAX_CERT + PHR_MAX_EMBEDDED_CERTS];
	size_t need = 0;
	for (size_t i = 0; i < sizeof(pattern); i++)
		pattern[i] = (uint8_t)(i * 7 + target + i / 251);
	for (int pass = 0; pass < 2; pass++) {
		phr_cbor_enc_init(&e, body, need);
		phr_cbor_put_array(&e, 3);
		phr_cbor_put_bytes(&e, rec->id, PHR_RECORD_ID_LEN);
		phr_cbor_put_array(&e, rec->n_entries);
		for (size_t i = 0; i < rec->n_entries; i++)
			phr_cbor_put_raw(&e, rec->entries[i].raw, rec->entries[i].raw_len);
		phr_cbor_put_array(&e, nf);
		for (size_t i = 0; i < nf; i++)
			phr_cbor_put_bytes(&e, pattern + i, fill[i]); /* no two alike */
		if (phr_cbor_enc_finish(&e, &need) || (pass == 0 && !(body = malloc(need)))) {
			free(body);
			return NULL;
		}
	}
	uint8_t *c = fx_container(body, need, len);
	free(body);
	if (*len != target) {
		free(c);
		return NULL;
	}
	return c;
}

/* A view of lines summary lines (one language). */
static struct phr_print_entry entry = { 0, true, "Entry 1", "Signature valid", "Lesvos Reception Clinic (Greece)",
					"2025-06-15", 0, 0 };
static struct phr_print_line line_pool[400];

static void make_view(struct phr_print_view *v, const char *lang, size_t lines)
{
	memset(v, 0, sizeof(*v));
	snprintf(v->lang, sizeof(v->lang), "%s", lang);
	snprintf(v->record_id, sizeof(v->record_id), "60e620d1acc74602de2087b89e6e838c");
	v->holder_name = "Amina Yusuf";
	v->holder_other = "";
	v->holder_verified = true;
	v->birth_date = "1990-03-02";
	v->issued_on = "2025-06-15";
	v->issuer = "Lesvos Reception Clinic (Greece)";
	v->all_valid = v->trust_checked = true;
	v->n_valid = v->n_entries = 1;
	v->entries = &entry;
	for (size_t i = 0; i < lines && i < sizeof(line_pool) / sizeof(line_pool[0]); i++)
		line_pool[i] = (struct phr_print_line){ PHR_PL_FIELD, 1, 0, false, "Finding",
							"A line of the summary long enough to take two lines "
							"of a column in most languages" };
	v->n_lines = lines;
	v->lines = line_pool;
}

/* Plans the record's pages on layout l (a sheet: its booklet, imposed) and
 * checks the rule on them; *side_ok counts sheets whose codes are on one
 * side. */
static int check_plan(const struct phr_layout *l, const uint8_t *c, size_t len, size_t lines, size_t *pages_out)
{
	const struct phr_layout *pl = l->kind == KIND_SHEET ? l->imposed : l;
	double scale = l->kind == KIND_SHEET ? l->scale : 1;
	struct device dev = { scale, 72.0 / pl->dpi, 1, 25.4 / 72.0 };
	struct phr_print_view va, vb;
	make_view(&va, "en", lines);
	make_view(&vb, "en", lines);
	struct text *t = text_create(pl);
	struct booklet *b = NULL;
	CHECK(t);
	CHECK_RC(booklet_plan(pl, t, NULL, &dev, c, len, &va, &vb, FX_T0, &b), PHR_OK);
	const struct code_plan *p = booklet_codes(b);
	size_t n = booklet_pages(b), seen[PHR_MAX_CHUNKS] = { 0 }, code_pages[PHR_MAX_CHUNKS], nc = 0;
	CHECK(p->fits && p->chunk.m >= 1 && p->n == p->chunk.k + p->chunk.m);
	for (size_t i = 0; i < n; i++) {
		size_t first, count;
		int blk = booklet_page(b, i, &first, &count);
		if (!count)
			continue;
		CHECK(blk == BLK_CODES || blk == BLK_CARD_FRONT || blk == BLK_CARD_BACK);
		CHECK(p->chunk.k > 1 || count == 1); /* a code and its copy: two pages */
		for (size_t k = first; k < first + count; k++)
			seen[k]++;
		code_pages[nc++] = i + 1;
	}
	for (size_t k = 0; k < p->n; k++)
		CHECK(seen[k] == 1);
	if (pl->kind == KIND_BOOKLET) {
		CHECK(n % 4 == 0);
		for (size_t a = 0; a < nc; a++)
			for (size_t d = a + 1; d < nc; d++)
				CHECK(!together(code_pages[a], code_pages[d]));
		/* a sheet side has 2 * rows pages: more pages of codes than
		 * that cannot be on one */
		if (l->kind == KIND_SHEET && nc <= 2 * (size_t)l->rows)
			for (size_t a = 1; a < nc; a++)
				CHECK(side_of(n, code_pages[a], l->rows) == side_of(n, code_pages[0], l->rows));
	} else {
		CHECK(nc == 2); /* both faces of the card */
	}
	*pages_out = n;
	booklet_free(b);
	text_destroy(t);
	return 0;
}

static int test_booklets_and_sheets(void)
{
	static const char *const layouts[] = { "a6-booklet", "a4-booklet-sheet" };
	static const size_t sizes[] = { 300, 676, 677, 900, 1352, 1600, 2400, 4000 };
	static const size_t lines[] = { 0, 20, 45, 70, 95, 120, 170 };
	size_t planned = 0;
	for (size_t li = 0; li < 2; li++) {
		struct phr_layout *l;
		CHECK_RC(phr_layout_load(layouts[li], &l), PHR_OK);
		for (size_t si = 0; si < sizeof(sizes) / sizeof(sizes[0]); si++) {
			size_t len;
			uint8_t *c = container_exact(sizes[si], &len);
			CHECK(c);
			for (size_t n = 0; n < sizeof(lines) / sizeof(lines[0]); n++) {
				size_t pages = 0;
				if (check_plan(l, c, len, lines[n], &pages)) {
					fprintf(stderr, "  %s, container of %zu bytes, %zu summary lines\n", layouts[li], len,
						lines[n]);
					free(c);
					phr_layout_destroy(l);
					return 1;
				}
				planned++;
			}
			free(c);
		}
		phr_layout_destroy(l);
	}
	printf("  %zu booklets planned\n", planned);
	return 0;
}

/* The wallet card: any record up to CARD_CARRIES bytes, on both faces; one
 * byte more does not fit, and the card says so. */
#define CARD_CARRIES 1250 /* docs/PRINT.md and docs/PERFORMANCE.md */
static int card_fits(const struct phr_layout *l, size_t target, bool *fits, unsigned *k, unsigned *m, int *module_px)
{
	size_t len, pages;
	uint8_t *c = container_exact(target, &len);
	CHECK(c);
	struct device dev = { 1, 72.0 / l->dpi, 1, 25.4 / 72.0 };
	struct phr_print_view va, vb;
	make_view(&va, "en", 0);
	make_view(&vb, "ar", 0);
	struct text *t = text_create(l);
	struct booklet *b = NULL;
	CHECK(t);
	CHECK_RC(booklet_plan(l, t, NULL, &dev, c, len, &va, &vb, FX_T0, &b), PHR_OK);
	const struct code_plan *p = booklet_codes(b);
	*fits = p->fits;
	*k = p->chunk.k;
	*m = p->chunk.m;
	*module_px = p->module_px;
	booklet_free(b);
	text_destroy(t);
	if (*fits && check_plan(l, c, len, 0, &pages)) {
		free(c);
		return 1;
	}
	free(c);
	return 0;
}

static int test_card_capacity(void)
{
	struct phr_layout *l;
	bool fits;
	unsigned k, m;
	int px;
	CHECK_RC(phr_layout_load("id1-card", &l), PHR_OK);
	/* the largest container that fits, by bisection */
	size_t lo = 300, hi = 4000;
	CHECK(!card_fits(l, lo, &fits, &k, &m, &px) && fits);
	CHECK(!card_fits(l, hi, &fits, &k, &m, &px) && !fits);
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;
		CHECK(!card_fits(l, mid, &fits, &k, &m, &px));
		*(fits ? &lo : &hi) = mid;
	}
	CHECK(!card_fits(l, lo, &fits, &k, &m, &px) && fits);
	printf("  the wallet card carries records up to %zu bytes: %u data codes + %u parity at %d dots a module\n", lo, k,
	       m, px);
	CHECK(lo == CARD_CARRIES && k == 2 && m == 1 && px == 4);
	CHECK(!card_fits(l, lo + 1, &fits, &k, &m, &px) && !fits);
	/* one data code and its copy: one on each face, at the larger module
	 * where the front has room for it */
	CHECK(!card_fits(l, 400, &fits, &k, &m, &px) && fits && k == 1 && m == 1 && px == 5);
	phr_layout_destroy(l);
	return 0;
}

/* Layout files: parity 0 is refused (one stain would lose the record);
 * only a card's front carries codes. */
static int test_layout_rules(void)
{
	size_t len;
	uint8_t *a6 = t_read("layouts/pages/a6-booklet.json", &len), *card;
	struct phr_layout *l = NULL;
	CHECK(a6);
	char *s = (char *)a6, *p = strstr(s, "\"parity\": [\"auto\"]");
	CHECK(p);
	memcpy(p, "\"parity\": [  0   ]", 18);
	CHECK_RC(phr_layout_parse(s, len, "t.json", &l), PHR_E_MALFORMED);
	CHECK(strstr(phr_last_error(), "codes.parity"));
	memcpy(p, "\"parity\": [  2   ]", 18);
	CHECK_RC(phr_layout_parse(s, len, "t.json", &l), PHR_OK);
	phr_layout_destroy(l);
	p = strstr(s, "\"max_pages\": 0");
	CHECK(p);
	char *front = malloc(len + 64);
	CHECK(front);
	snprintf(front, len + 64, "%.*s\"card_front_text_mm\": 30%s", (int)(p - s), s, p + strlen("\"max_pages\": 0"));
	CHECK_RC(phr_layout_parse(front, strlen(front), "t.json", &l), PHR_E_MALFORMED);
	free(front);
	CHECK(strstr(phr_last_error(), "codes.card_front_text_mm: only a card"));
	free(a6);
	card = t_read("layouts/pages/id1-card.json", &len);
	CHECK(card);
	s = (char *)card;
	p = strstr(s, "\"card_front_text_mm\": 30");
	CHECK(p);
	memcpy(p, "\"card_front_text_mm\": 90", 24);
	CHECK_RC(phr_layout_parse(s, len, "t.json", &l), PHR_E_MALFORMED);
	CHECK(strstr(phr_last_error(), "no room for codes"));
	free(card);
	return 0;
}

int main(void)
{
	static const struct test tests[] = {
		{ "sheet_sides", test_sheet_sides },
		{ "place_against_every_choice", test_place_against_every_choice },
		{ "auto_parity", test_auto_parity },
		{ "booklets_and_sheets", test_booklets_and_sheets },
		{ "card_capacity", test_card_capacity },
		{ "layout_rules", test_layout_rules },
	};
	static const uint8_t id[PHR_RECORD_ID_LEN] = { 0x60, 0xe6, 0x20, 0xd1, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
	/* one small follow-up entry, no certificate: the smallest containers */
	if (sodium_init() < 0 || fx_init(&fx, "child-no-vaccination-documents.json") || phr_record_create(id, &rec) ||
	    phr_record_append(rec, fx.clinic1, NULL, 0, fx.entry1, fx.entry1_len, FX_T0)) {
		fprintf(stderr, "fixture: %s\n", phr_last_error());
		return 1;
	}
	int rc = run_tests(tests, sizeof(tests) / sizeof(tests[0]));
	phr_record_destroy(rec);
	fx_finish(&fx);
	return rc;
}
