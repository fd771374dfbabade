/* register/names.h: cross-script and fuzzy name search.
 *
 * A table of real-world spellings of one person's name in two scripts or
 * two spellings (Arabic, Farsi, Cyrillic: Russian, Ukrainian, Serbian;
 * Greek; Latin with diacritics), each with the least rank it must get, and
 * pairs of different people that must not match. Each pair is checked
 * through both doors the register uses: the keys (a stored name is a
 * candidate when it shares `need` of the query's keys, as the register's
 * SQL asks) and phr_name_rank; both ways round unless the pair is marked
 * one-way (a query that names fewer words than the record). Then a small
 * register of every name in the table: each query finds its own person
 * among the candidates, ranked, and none of the people it must not match.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"
#include "testlib.h"

enum { ONE_WAY = 1 };

struct pair {
	const char *a, *b;
	enum phr_name_rank least; /* PHR_NAME_NONE: different people, must not match */
	int flags;
};

#define EXACT PHR_NAME_EXACT
#define TRANSLIT PHR_NAME_TRANSLITERATED
#define FUZZY PHR_NAME_FUZZY
#define NONE PHR_NAME_NONE

static const struct pair pairs[] = {
	/* Arabic */
	{"Sara Al Ahmad", "سارة الأحمد", TRANSLIT, 0},
	{"Mohammed Ali", "محمد علي", TRANSLIT, 0},
	{"Khadija Yusuf", "خديجة يوسف", TRANSLIT, 0},
	{"Youssef Ibrahim", "يوسف إبراهيم", TRANSLIT, 0},
	{"Mustafa Osman", "مصطفى عثمان", TRANSLIT, 0},
	{"Aisha Omar", "عائشة عمر", TRANSLIT, 0},
	{"Omar Khalil", "عمر خليل", TRANSLIT, 0},
	{"Layla Haddad", "ليلى حداد", TRANSLIT, 0},
	{"Marwan Al-Masri", "مروان المصري", TRANSLIT, 0},
	{"Hussein Ali", "حسين علي", TRANSLIT, 0},
	{"Fatima Al-Zahra", "فاطمة الزهراء", TRANSLIT, 0},
	{"Nour Al-Huda", "نور الهدى", TRANSLIT, 0},
	{"Abdullah Hassan", "عبد الله حسن", FUZZY, 0},
	{"Abdul Rahman Khalil", "عبدالرحمن خليل", FUZZY, 0},
	{"Abdul Rahman", "عبدالرحمن", FUZZY, 0},
	{"Ilyas Haddad", "الياس حداد", TRANSLIT, 0},
	{"Alahmad Sara", "سارة الأحمد", TRANSLIT, 0},
	/* Farsi */
	{"Ali Rezaei", "علی رضایی", TRANSLIT, 0},
	{"Fatemeh Hosseini", "فاطمه حسینی", TRANSLIT, 0},
	{"Maryam Mousavi", "مریم موسوی", TRANSLIT, 0},
	{"Zahra Karimi", "زهرا کریمی", TRANSLIT, 0},
	{"Mehdi Ahmadi", "مهدی احمدی", TRANSLIT, 0},
	{"Davood Rahimi", "داوود رحیمی", TRANSLIT, 0},
	{"Shirin Ebadi", "شیرین عبادی", TRANSLIT, 0},
	{"Parisa Tehrani", "پریسا تهرانی", TRANSLIT, 0},
	{"Mohammad Reza Jafari", "محمدرضا جعفری", TRANSLIT, 0},
	{"Mohammad Reza", "محمدرضا", TRANSLIT, 0},
	/* the same name typed on an Arabic and a Farsi keyboard */
	{"علی", "علي", EXACT, 0},
	{"فاطمة", "فاطمه", EXACT, 0},
	/* Cyrillic: Ukrainian, Russian, Serbian */
	{"Olena Kovalenko", "Олена Коваленко", TRANSLIT, 0},
	{"Oleksandr Shevchenko", "Олександр Шевченко", TRANSLIT, 0},
	{"Andrey Sokolov", "Андрей Соколов", TRANSLIT, 0},
	{"Hanna Tkachenko", "Ганна Ткаченко", TRANSLIT, 0},   /* Г as h, the Ukrainian reading */
	{"Serhii Bondarenko", "Сергій Бондаренко", TRANSLIT, 0}, /* passport spelling: ій as ii */
	{"Andrii Melnyk", "Андрій Мельник", TRANSLIT, 0},
	{"Yulia Shcherbakova", "Юлия Щербакова", TRANSLIT, 0},
	{"Dmitry Ivanov", "Дмитрий Иванов", TRANSLIT, 0},
	{"Natalia Kuznetsova", "Наталья Кузнецова", TRANSLIT, 0},
	{"Đorđe Petrović", "Ђорђе Петровић", TRANSLIT, 0},
	{"Jovana Nikolić", "Јована Николић", TRANSLIT, 0},
	{"Sara Al-Ahmad", "Сара Аль-Ахмад", TRANSLIT, 0},
	{"Elena Smirnova", "Елена Смирнова", TRANSLIT, 0},
	{"Yevgeny Bondarenko", "Евгений Бондаренко", TRANSLIT, 0},
	/* Greek */
	{"Georgios Papadopoulos", "Γεώργιος Παπαδόπουλος", TRANSLIT, 0},
	{"Eleni Georgiou", "Ελένη Γεωργίου", TRANSLIT, 0},
	{"Christos Nikolaou", "Χρήστος Νικολάου", TRANSLIT, 0},
	{"Dimitrios Konstantinidis", "Δημήτριος Κωνσταντινίδης", TRANSLIT, 0},
	{"Aikaterini Vlachou", "ΑΙΚΑΤΕΡΙΝΗ ΒΛΑΧΟΥ", TRANSLIT, 0},
	/* Latin with diacritics, case, hyphens, apostrophes, word order */
	{"Ayşe Özdemir", "Ayse Ozdemir", EXACT, 0},
	{"Nguyễn Văn Đức", "Nguyen Van Duc", EXACT, 0},
	{"Łukasz Wiśniewski", "Lukasz Wisniewski", EXACT, 0},
	{"Çelik Şahin", "Celik Sahin", EXACT, 0},
	{"José García", "Jose Garcia", EXACT, 0},
	{"Søren Kierkegaard", "Soren Kierkegaard", EXACT, 0},
	{"AHMAD, Sara", "sara ahmad", EXACT, 0},
	{"Jean-Pierre Dubois", "Jean Pierre DUBOIS", EXACT, 0},
	{"Siobhán O'Brien", "OBrien Siobhan", EXACT, 0},
	{"Müller", "Mueller", FUZZY, 0},
	{"Muhammad", "Mohammed", FUZZY, 0},
	{"Sarah Ahmed", "Sara Ahmad", FUZZY, 0},
	/* a query that names fewer words than the record */
	{"Sara Ahmad", "Sara Mohammed Al-Ahmad", EXACT, ONE_WAY},
	{"Sara Ahmad", "سارة محمد الأحمد", TRANSLIT, ONE_WAY},
	{"Ali", "علي حسن", TRANSLIT, ONE_WAY},

	/* different people */
	{"Sara Ahmad", "Omar Khalil", NONE, 0},
	{"Sara Ahmad", "سارة خليل", NONE, 0},
	{"Mohammed Ali", "Mahmoud Ali", NONE, 0},
	{"Mohammed", "محمود", NONE, 0},
	{"Hussein", "Hassan", NONE, 0},
	{"Hassan", "حسين", NONE, 0},
	{"Omar", "عمرو", NONE, 0},
	{"Ahmad Karimi", "Ahmad Rahimi", NONE, 0},
	{"Zahra Karimi", "زهرا رحیمی", NONE, 0},
	{"Fatima Hassan", "Fatima Hussein", NONE, 0},
	{"Ivan Petrov", "Иван Попов", NONE, 0},
	{"Olga Ivanova", "Олена Іваненко", NONE, 0},
	{"Yusuf", "Yunus", NONE, 0},
	{"Maria Papadopoulou", "Μαρία Παπαδάκη", NONE, 0},
	{"Georgios Papadopoulos", "Γιάννης Παπαδόπουλος", NONE, 0},
};

#define NPAIRS (sizeof(pairs) / sizeof(pairs[0]))

static const char *rank_name(enum phr_name_rank r)
{
	return r == EXACT ? "exact" : r == TRANSLIT ? "transliterated" : r == FUZZY ? "fuzzy" : "none";
}

/* Whether the stored name's keys make it a candidate for the query: it
 * holds need of the query's keys, and among them a key of every word the
 * query needs covered (the register's name search, register/store_sqlite.c,
 * asks the same of its name_keys rows). */
static int candidate(const struct phr_name_keys *q, const struct phr_name_keys *x)
{
	size_t n = 0;
	uint32_t held = 0;
	for (size_t i = 0; i < q->n; i++)
		for (size_t j = 0; j < x->n; j++)
			if (strcmp(q->key[i], x->key[j]) == 0) {
				n++;
				held |= q->words[i];
			}
	return phr_name_covers(q, held, n);
}

static int found(const char *query, const char *name)
{
	struct phr_name_keys q, x;
	if (phr_name_query_keys(query, &q) != PHR_OK || phr_name_index_keys(name, &x) != PHR_OK)
		return -1;
	return candidate(&q, &x);
}

static int check_pair(const char *query, const char *name, enum phr_name_rank least)
{
	char why[256];
	enum phr_name_rank r = phr_name_rank(query, name, why, sizeof(why));
	int ok = 1;

	if (least == NONE) {
		if (r != NONE)
			ok = 0;
	} else {
		if (r < least)
			ok = 0;
		if (found(query, name) != 1) {
			fprintf(stderr, "  '%s' -> '%s': not a candidate through the keys\n", query, name);
			ok = 0;
		}
		/* the explanation starts with the rank's word */
		if (strncmp(why, rank_name(r), strlen(rank_name(r))) != 0) {
			fprintf(stderr, "  '%s' -> '%s': explanation '%s' does not start with '%s'\n", query, name, why,
				rank_name(r));
			ok = 0;
		}
	}
	printf("  %-4s %-26s -> %-26s %-14s (want %s%s) %s\n", ok ? "ok" : "FAIL", query, name, rank_name(r),
	       least == NONE ? "" : "at least ", rank_name(least), why);
	return ok ? 0 : 1;
}

static int test_pair_table(void)
{
	size_t fails = 0, negatives = 0, scripts_ok = 0;

	for (size_t i = 0; i < NPAIRS; i++) {
		fails += check_pair(pairs[i].a, pairs[i].b, pairs[i].least);
		if (!(pairs[i].flags & ONE_WAY))
			fails += check_pair(pairs[i].b, pairs[i].a, pairs[i].least);
		negatives += pairs[i].least == NONE;
	}
	scripts_ok = NPAIRS - negatives;
	printf("  %zu pairs of one person, %zu pairs of different people, %zu failures\n", scripts_ok, negatives,
	       fails);
	CHECK(scripts_ok >= 30 && negatives >= 8);
	CHECK(fails == 0);
	return 0;
}

/* The brief's own example, and its order: exact > transliterated > fuzzy. */
static int test_ranks_in_order(void)
{
	char why[256];
	CHECK(phr_name_rank("Sara Ahmad", "sara AHMAD", why, sizeof(why)) == EXACT);
	CHECK(phr_name_rank("Sara Ahmad", "Сара Ахмад", why, sizeof(why)) == TRANSLIT);
	CHECK(strstr(why, "'sara'='sara'") != NULL);
	CHECK(phr_name_rank("Sara Ahmad", "سارة أحمد", why, sizeof(why)) == TRANSLIT);
	CHECK(phr_name_rank("Sara Ahmad", "Sarah Ahmed", why, sizeof(why)) == FUZZY);
	CHECK(strstr(why, "'ahmad'~'ahmed'") != NULL);
	CHECK(phr_name_rank("Sara Ahmad", "Omar Khalil", why, sizeof(why)) == NONE);
	CHECK(strncmp(why, "no match", 8) == 0);
	/* a subset says how much of the name it covers */
	CHECK(phr_name_rank("Sara", "Sara Ahmad", why, sizeof(why)) == EXACT);
	CHECK(strstr(why, "(1 of 2 names)") != NULL);
	/* a query word missing from the name: no match, even if the rest is there */
	CHECK(phr_name_rank("Sara Mona Ahmad", "Sara Ahmad", why, sizeof(why)) == NONE);
	/* a short buffer is cut, never overrun */
	char tiny[8];
	memset(tiny, 'x', sizeof(tiny));
	CHECK(phr_name_rank("Sara Ahmad", "Сара Ахмад", tiny, 5) == TRANSLIT);
	CHECK(tiny[4] == '\0' && tiny[5] == 'x');
	CHECK(phr_name_rank("Sara Ahmad", "Сара Ахмад", NULL, 0) == TRANSLIT);
	return 0;
}

/* Case, diacritics, hyphens, apostrophes and word order never matter: the
 * variants all rank exact against the plain form, and are found by it. */
static int test_what_never_matters(void)
{
	static const char *const same[][2] = {
		{"sara al-ahmad", "SARA AL AHMAD"},
		{"sara al-ahmad", "Al-Ahmad, Sara"},
		{"sara al-ahmad", "sara   al ahmad "},
		{"سارة الأحمد", "سَارَة الأَحْمَد"},  /* harakat */
		{"سارة الأحمد", "سارة ال أحمد"},      /* article joined or not */
		{"سارة الأحمد", "سارة الاحمد"},       /* hamza on alef or not */
		{"سارة الأحمد", "ســارة الأحمـد"},    /* tatweel */
		{"ayse ozdemir", "AYŞE ÖZDEMİR"},      /* Turkish dotted capital I */
		{"dorde petrovic", "ĐORĐE PETROVIĆ"},
		{"Γεώργιος", "ΓΕΩΡΓΙΟΣ"},
		{"Олена", "ОЛЕНА"},
		{"mary o'neil", "Mary ONeil"},
		{"mary o'neil", "Mary O’Neil"}, /* typographic apostrophe */
	};
	for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
		char why[256];
		enum phr_name_rank r = phr_name_rank(same[i][0], same[i][1], why, sizeof(why));
		if (r != EXACT || found(same[i][0], same[i][1]) != 1 || found(same[i][1], same[i][0]) != 1) {
			fprintf(stderr, "  '%s' vs '%s': %s [%s]\n", same[i][0], same[i][1], rank_name(r), why);
			return 1;
		}
	}
	/* but Cyrillic й is not и: another letter, not an accent */
	CHECK(phr_name_rank("Андрей", "Андреи", NULL, 0) != EXACT);
	return 0;
}

/* Keys are what the register's index can afford: short ASCII, distinct,
 * never a single letter, and need never above what a query holds. */
static int test_keys_are_selective(void)
{
	/* short names, whose words have a consonant or none */
	static const char *const short_names[][2] = {
		{"Li", "Ли"}, {"Eva Li", "Ева Ли"}, {"A B", "Wu Yi"}, {"Ai", "Ia Oa"}, {"Lee", "Noa"},
	};
	size_t total = 0, names = 0;
	size_t nall = NPAIRS + sizeof(short_names) / sizeof(short_names[0]);

	for (size_t i = 0; i < nall; i++) {
		const char *both[2] = {i < NPAIRS ? pairs[i].a : short_names[i - NPAIRS][0],
				       i < NPAIRS ? pairs[i].b : short_names[i - NPAIRS][1]};
		for (int s = 0; s < 2; s++) {
			struct phr_name_keys x, q;
			CHECK_RC(phr_name_index_keys(both[s], &x), PHR_OK);
			CHECK_RC(phr_name_query_keys(both[s], &q), PHR_OK);
			CHECK(x.n <= PHR_NAME_MAX_KEYS);
			CHECK(x.n >= 1 || i >= NPAIRS);
			CHECK(q.need <= q.n && q.need <= 2 && (q.need == 0) == (q.n == 0));
			for (size_t k = 0; k < x.n; k++) {
				size_t len = strnlen(x.key[k], PHR_NAME_KEY_LEN);
				CHECK(len < PHR_NAME_KEY_LEN);
				/* a kind letter, a colon and at least two characters */
				CHECK(len >= 4 && x.key[k][1] == ':');
				for (size_t c = 0; c < len; c++)
					CHECK(x.key[k][c] > ' ' && x.key[k][c] < 127);
				for (size_t o = 0; o < k; o++)
					CHECK(strcmp(x.key[o], x.key[k]) != 0);
			}
			total += x.n;
			names++;
		}
	}
	printf("  %.1f index keys per name on average\n", (double)total / (double)names);
	/* the article alone: nothing to search for */
	struct phr_name_keys q;
	CHECK_RC(phr_name_query_keys("Al", &q), PHR_OK);
	CHECK(q.n == 0 && q.need == 0);
	CHECK_RC(phr_name_query_keys("ال", &q), PHR_OK);
	CHECK(q.n == 0 && q.need == 0);
	CHECK_RC(phr_name_query_keys(" - ' ", &q), PHR_OK);
	CHECK(q.n == 0 && q.need == 0);
	/* one word: one key will do; two or more: two */
	CHECK_RC(phr_name_query_keys("Sara", &q), PHR_OK);
	CHECK(q.need == 1);
	CHECK_RC(phr_name_query_keys("Sara Al Ahmad", &q), PHR_OK);
	CHECK(q.need == 2);
	return 0;
}

static int test_bad_input(void)
{
	struct phr_name_keys k;
	char big[PHR_NAME_MAX_IN + 2];
	char why[128];

	CHECK_RC(phr_name_index_keys("Sara \xff", &k), PHR_E_ARG);
	CHECK(k.n == 0);
	CHECK_RC(phr_name_query_keys("\xc3", &k), PHR_E_ARG);
	CHECK_RC(phr_name_query_keys("\xed\xa0\x80", &k), PHR_E_ARG); /* a UTF-16 surrogate */
	CHECK_RC(phr_name_index_keys(NULL, &k), PHR_E_ARG);
	CHECK_RC(phr_name_index_keys("Sara", NULL), PHR_E_ARG);
	memset(big, 'a', sizeof(big));
	big[PHR_NAME_MAX_IN + 1] = '\0';
	CHECK_RC(phr_name_index_keys(big, &k), PHR_E_LIMIT);
	big[PHR_NAME_MAX_IN] = '\0';
	CHECK_RC(phr_name_index_keys(big, &k), PHR_OK);
	CHECK(phr_name_rank("Sara \xff", "Sara", why, sizeof(why)) == NONE);
	CHECK(strncmp(why, "no match", 8) == 0);
	CHECK(phr_name_rank(NULL, "Sara", why, sizeof(why)) == NONE);
	/* NFKC expands U+FDFA to 18 letters: 133 of them fit the byte limit */
	{
		char lig[PHR_NAME_MAX_IN + 1];
		size_t n = 0;
		while (n + 3 <= PHR_NAME_MAX_IN) {
			memcpy(lig + n, "\xef\xb7\xba", 3);
			n += 3;
		}
		lig[n] = '\0';
		int rc = phr_name_index_keys(lig, &k);
		CHECK(rc == PHR_OK);
	}
	return 0;
}

/* A register in miniature: every name of the table stored, each query
 * looked up by keys, candidates ranked. The query's own person is found
 * with at least the pair's rank; a person it must not match is never
 * ranked. */
static int test_small_register(void)
{
	const char *names[NPAIRS * 2];
	struct phr_name_keys *idx = calloc(NPAIRS * 2, sizeof(*idx));
	size_t n = 0, candidates = 0, queries = 0;

	CHECK(idx != NULL);
	for (size_t i = 0; i < NPAIRS; i++) {
		names[n] = pairs[i].a, n++;
		names[n] = pairs[i].b, n++;
	}
	for (size_t i = 0; i < n; i++)
		CHECK_RC(phr_name_index_keys(names[i], &idx[i]), PHR_OK);
	for (size_t i = 0; i < NPAIRS; i++) {
		struct phr_name_keys q;
		int seen_b = 0;
		CHECK_RC(phr_name_query_keys(pairs[i].a, &q), PHR_OK);
		queries++;
		for (size_t j = 0; j < n; j++) {
			if (!candidate(&q, &idx[j]))
				continue;
			candidates++;
			enum phr_name_rank r = phr_name_rank(pairs[i].a, names[j], NULL, 0);
			if (j == 2 * i + 1) {
				seen_b = 1;
				if (pairs[i].least == NONE && r != NONE) {
					fprintf(stderr, "  '%s' ranks '%s' (%s)\n", pairs[i].a, names[j], rank_name(r));
					free(idx);
					return 1;
				}
				if (pairs[i].least != NONE && r < pairs[i].least) {
					fprintf(stderr, "  '%s' ranks its own '%s' only %s\n", pairs[i].a, names[j], rank_name(r));
					free(idx);
					return 1;
				}
			}
		}
		if (pairs[i].least != NONE && !seen_b) {
			fprintf(stderr, "  '%s' does not find '%s'\n", pairs[i].a, pairs[i].b);
			free(idx);
			return 1;
		}
	}
	printf("  %zu queries over %zu names: %.1f candidates per query\n", queries, n,
	       (double)candidates / (double)queries);
	free(idx);
	return 0;
}

/* Keys do not depend on what was computed before (the caches are caches),
 * and phr_name_cleanup() can be called at any time. */
static int test_cleanup_and_repeat(void)
{
	struct phr_name_keys a, b;
	CHECK_RC(phr_name_index_keys("مریم موسوی", &a), PHR_OK);
	phr_name_cleanup();
	phr_name_cleanup();
	CHECK_RC(phr_name_index_keys("مریم موسوی", &b), PHR_OK);
	CHECK(a.n == b.n && memcmp(a.key, b.key, sizeof(a.key)) == 0);
	return 0;
}

/* Each thread has its own transliterators and caches: threads computing
 * keys at once get what one thread alone gets, and each may clean up. */
struct worker {
	const struct phr_name_keys *want; /* the index keys of names a and b, in table order */
	int bad;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	for (int round = 0; round < 5; round++) {
		for (size_t i = 0; i < NPAIRS; i++) {
			struct phr_name_keys k;
			for (int s = 0; s < 2; s++) {
				if (phr_name_index_keys(s ? pairs[i].b : pairs[i].a, &k) != PHR_OK ||
				    memcmp(&k, &w->want[2 * i + (size_t)s], sizeof(k)) != 0)
					w->bad++;
			}
		}
		phr_name_cleanup();
	}
	return NULL;
}

static int test_threads(void)
{
	struct phr_name_keys *want = calloc(NPAIRS * 2, sizeof(*want));
	struct worker w[4];
	pthread_t th[4];

	CHECK(want != NULL);
	for (size_t i = 0; i < NPAIRS; i++) {
		CHECK_RC(phr_name_index_keys(pairs[i].a, &want[2 * i]), PHR_OK);
		CHECK_RC(phr_name_index_keys(pairs[i].b, &want[2 * i + 1]), PHR_OK);
	}
	for (int t = 0; t < 4; t++) {
		w[t].want = want, w[t].bad = 0;
		CHECK(pthread_create(&th[t], NULL, work, &w[t]) == 0);
	}
	int bad = 0;
	for (int t = 0; t < 4; t++) {
		CHECK(pthread_join(th[t], NULL) == 0);
		bad += w[t].bad;
	}
	free(want);
	CHECK(bad == 0);
	return 0;
}

int main(void)
{
	static const struct test tests[] = {
		{"pair table, both directions", test_pair_table},
		{"ranks in order", test_ranks_in_order},
		{"what never matters", test_what_never_matters},
		{"keys are selective", test_keys_are_selective},
		{"bad input", test_bad_input},
		{"small register", test_small_register},
		{"cleanup and repeat", test_cleanup_and_repeat},
		{"threads", test_threads},
	};
	int rc = run_tests(tests, sizeof(tests) / sizeof(tests[0]));
	phr_name_cleanup();
	return rc;
}
