/* phr — names as a clerk searches them (see names.h).
 *
 * A name goes through four steps:
 *
 *  1. Folding (ICU): NFKC case folding, then combining marks removed (Latin
 *     diacritics, Greek tonos, Arabic harakat and hamza marks; not in
 *     Cyrillic, where й and ї are letters of their own), tatweel dropped,
 *     apostrophes joined, every other non-letter a token separator. In
 *     Arabic script the keyboard variants of a letter are made one (Farsi
 *     ی and ک, ta marbuta as ه, alef maqsura as alef, alef wasla as alef),
 *     and a joined article "ال" is split from its word. The folded tokens,
 *     in the name's own script, decide EXACT.
 *
 *  2. Transliteration (ICU): each token to lowercase ASCII through the
 *     route of its script: Cyrillic both "Russian-Latin/BGN" and
 *     "Ukrainian-Latin/BGN" (yu, kh, sh, zh, as names are spelled in Latin
 *     documents; Г as g and as h), Greek "Greek-Latin/UNGEGN", Arabic
 *     script both "Any-Latin" (Arabic readings) and "Persian-Latin/BGN"
 *     (Farsi: ض ذ ظ as z, و as v), letter by letter, everything else
 *     "Any-Latin"; each followed by "Latin-ASCII; Any-Lower". Ain and hamza
 *     (ʿ ʾ) stay as the placeholder ' (an apostrophe, as ICU writes them): the
 *     Latin spelling has a vowel there. A token may so have up to three
 *     Latin spellings ("variants"): the routes above, and the word without
 *     a Latin-written joined article ("alahmad" -> "ahmad"), or with it
 *     ("الياس" is also Ilyas).
 *
 *  3. Spelling folds, the "normal" form: ph->f, kh->h, sh->s, ch->k,
 *     zh->z, th->t, dh->d, gh->g, dzh->j, c->k, q->k, y->i but for a
 *     leading consonant y (Andrey, Andrii; Yusuf), a leading "ye" as e
 *     (Yelena), doubled letters as one, a final h dropped (Sarah, Fatemeh,
 *     ta marbuta). Equal normal forms are TRANSLITERATED.
 *
 *  4. The consonant skeleton: the normal form without vowels (a e i o u,
 *     the ain placeholder) and without w and y after the first letter
 *     (Arabic writes ū and ī with و and ي, Latin with u, ou, i, ee), with a
 *     leading vowel kept as one marker '_' (Omar, عمر -> "_mr"; Ahmad,
 *     أحمد -> "_hmd"; Mohammed, Muhammad, محمد -> "mhmd"). Skeletons are
 *     the index keys.
 *
 * The transliterators are opened on first use and cached per thread
 * (_Thread_local): a UTransliterator is not safe to share between threads,
 * and each thread keeps its own until it calls phr_name_cleanup().
 */
#include "names.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/uscript.h>
#include <unicode/ustring.h>
#include <unicode/utrans.h>

#include "phr/error.h"

#define PHR_NAME_RANK_CACHE 512 /* longest query text (bytes) whose parse phr_name_rank keeps */
#define NAME_MAX_TOKENS 12   /* tokens of a name that count; the rest are ignored */
#define NAME_TOK_LEN 96      /* longest folded token or Latin spelling kept, bytes */
#define NAME_MAX_VARIANTS 3  /* Latin spellings of one token */
#define NAME_BUF (PHR_NAME_MAX_IN * 18 + 16) /* NFKC expands a code unit to 18 at most (U+FDFA) */
#define NAME_SKEL_MAX (PHR_NAME_KEY_LEN - 3) /* a skeleton in a key, after its 2-byte prefix */

enum route { ROUTE_ANY, ROUTE_CYRILLIC, ROUTE_GREEK, ROUTE_PERSIAN, ROUTE_UKRAINIAN, ROUTE_COUNT };

static const char *const route_id[ROUTE_COUNT] = {
	"Any-Latin; Latin-ASCII; Any-Lower",
	"Russian-Latin/BGN; Any-Latin; Latin-ASCII; Any-Lower",
	"Greek-Latin/UNGEGN; Any-Latin; Latin-ASCII; Any-Lower",
	"Persian-Latin/BGN; Any-Latin; Latin-ASCII; Any-Lower",
	"Ukrainian-Latin/BGN; Any-Latin; Latin-ASCII; Any-Lower",
};

static _Thread_local UTransliterator *tr_cache[ROUTE_COUNT];

struct tok {
	char fold[NAME_TOK_LEN];                    /* folded, own script (UTF-8) */
	char lat[NAME_MAX_VARIANTS][NAME_TOK_LEN];  /* Latin spellings, lat[0] primary */
	char norm[NAME_MAX_VARIANTS][NAME_TOK_LEN]; /* their normal forms */
	int nvar;
	int abjad;   /* Arabic script: short vowels are not written */
	int article; /* "al", "el", "ال": kept for joined forms, never a name of its own */
};

struct pname {
	size_t n;
	struct tok t[NAME_MAX_TOKENS];
};

static _Thread_local struct word_slot *word_cache;

void phr_name_cleanup(void)
{
	free(word_cache);
	word_cache = NULL;
	for (int i = 0; i < ROUTE_COUNT; i++) {
		if (tr_cache[i] != NULL)
			utrans_close(tr_cache[i]);
		tr_cache[i] = NULL;
	}
}

static int get_route(enum route r, UTransliterator **out)
{
	if (tr_cache[r] == NULL) {
		UErrorCode e = U_ZERO_ERROR;
		UParseError pe;
		UChar id[128];
		int32_t idlen = 0;
		u_strFromUTF8(id, (int32_t)(sizeof(id) / sizeof(id[0])), &idlen, route_id[r], -1, &e);
		if (U_SUCCESS(e))
			tr_cache[r] = utrans_openU(id, idlen, UTRANS_FORWARD, NULL, 0, &pe, &e);
		if (U_FAILURE(e) || tr_cache[r] == NULL) {
			if (tr_cache[r] != NULL)
				utrans_close(tr_cache[r]);
			tr_cache[r] = NULL;
			return phr_fail(PHR_E_NAME_ICU, "name: cannot open the ICU transliterator \"%s\": %s",
					route_id[r], u_errorName(e));
		}
	}
	*out = tr_cache[r];
	return PHR_OK;
}

/* ---- step 3 and 4: ASCII spelling folds and the skeleton ------------- */

static int is_vowel(char c)
{
	return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' || c == '\'';
}

/* Normal form of an ASCII spelling into out[0..cap). FOLD_DIGRAPHS: fold
 * them (not in spellings made letter by letter from Arabic script, where
 * "zh" is ز then ه); FOLD_Y: y as i (not in Arabic script, where ي is
 * the long vowel and the consonant alike). */
#define FOLD_DIGRAPHS 1
#define FOLD_Y 2
#define FOLD_LATIN (FOLD_DIGRAPHS | FOLD_Y)
static void normal_form(const char *s, int fold, char *out, size_t cap)
{
	int digraphs = fold & FOLD_DIGRAPHS;
	size_t n = 0;

	while (*s != '\0' && n + 1 < cap) {
		char c = *s;
		size_t adv = 1;
		if ((fold & FOLD_Y) && c == 'y') {
			/* y and i are one letter in Latin spellings (Andrey,
			 * Andrii; Iryna, Irina), but for a leading consonant y
			 * (Yusuf); BGN's leading "ye" is a plain e (Yelena) */
			if (n == 0 && s[1] == 'e') {
				s++;
				continue;
			}
			if (!(n == 0 && (s[1] == 'a' || s[1] == 'o' || s[1] == 'u' || s[1] == 'i')))
				c = 'i';
		} else if (digraphs) {
			if (c == 'd' && s[1] == 'z' && s[2] == 'h') {
				c = 'j', adv = 3;
			} else if (s[1] == 'h') {
				/* ph f, kh h, sh s, ch k, zh z, th t, dh d, gh g */
				static const char from[] = "pkscztdg", to[] = "fhskztdg";
				const char *at = c != '\0' ? strchr(from, c) : NULL;
				if (at != NULL)
					c = to[at - from], adv = 2;
			}
			if (c == 'c' || c == 'q')
				c = 'k';
		}
		s += adv;
		if (n > 0 && out[n - 1] == c)
			continue;
		out[n++] = c;
	}
	if (n > 2 && out[n - 1] == 'h')
		n--;
	out[n] = '\0';
}

/* Consonant skeleton of a normal form into out[0..cap). abjad: the form
 * is read from Arabic script, where a Farsi و (v) is the vowel u between
 * consonants and the consonant v after an alef or before a vowel letter
 * (Mousavi موسوی "mvsvy", Davood داوود "davd"). */
static void skeleton(const char *norm, int abjad, char *out, size_t cap)
{
	size_t n = 0;

	for (size_t i = 0; norm[i] != '\0' && n + 1 < cap; i++) {
		char c = norm[i];
		if (i == 0) {
			/* BGN writes Е at the start of a word "ye": Yelena is Elena */
			int ye = c == 'y' && (norm[1] == 'e' || norm[1] == 'i');
			out[n++] = is_vowel(c) || ye ? '_' : c;
			continue;
		}
		if (is_vowel(c) || c == 'w' || c == 'y')
			continue;
		if (abjad && c == 'v' && norm[i - 1] != 'a' && norm[i + 1] != 'a' && norm[i + 1] != 'y')
			continue;
		if (n > 0 && out[n - 1] == c)
			continue;
		out[n++] = c;
	}
	out[n] = '\0';
}

/* Levenshtein distance of two short strings, at most 64 bytes each looked at. */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t row[65];

	if (la > 64)
		la = 64;
	if (lb > 64)
		lb = 64;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t best = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

/* Does the Latin letter l spell what the abjad's letter a (from its
 * transliteration) writes? first: a is the word's first letter or follows
 * an ain placeholder (an initial alef or ain carries any vowel). */
static int abjad_letter_fits(char a, char l, int first, int strict)
{
	if (a == l)
		return 1;
	if (a == '\'' || (first && a == 'a'))
		return is_vowel(l);
	if (!strict && a == 'a')
		return is_vowel(l); /* the article's alef in Abdul, Abdel, Abdol */
	switch (a) {
	case 'a': return l == 'a' || l == 'e';
	case 'w': case 'v': return l == 'o' || l == 'u' || l == 'w' || l == 'v';
	case 'y': return l == 'i' || l == 'e' || l == 'y';
	case 'e': case 'i': case 'o': case 'u': return is_vowel(l);
	default: return 0;
	}
}

#define ABJAD_LEN 48

/* Can the Latin normal form l be read from the abjad normal form a, i.e. is
 * l a with the unwritten short vowels filled in? strict: one vowel at most
 * filled in between written letters, and the long-vowel letters (ا و ي)
 * spelled as vowels. Otherwise (relaxed) any run of vowels may be filled
 * in (Mahmoud for محمد) and an alef read as any vowel. ok[i][j][s]: a[i..] reads
 * as l[j..], s = the Latin letter before j was filled in. */
/* A letter abjad_letter_fits pairs only with itself, and which neither the
 * filling in of vowels (is_vowel) nor a skipped apostrophe consumes. */
static int abjad_hard(char c)
{
	return !is_vowel(c) && c != 'w' && c != 'v' && c != 'y';
}

/* The hard letters of a and l, in order, are the same: a necessary
 * condition of abjad_fits (a hard letter of either side is read only as the
 * same letter of the other), checked in one pass before the table. */
static int abjad_same_hard(const char *a, const char *l)
{
	for (;;) {
		while (*a && !abjad_hard(*a))
			a++;
		while (*l && !abjad_hard(*l))
			l++;
		if (*a != *l)
			return 0;
		if (!*a)
			return 1;
		a++, l++;
	}
}

static int abjad_fits(const char *a, const char *l, int strict)
{
	size_t la = strlen(a), ll = strlen(l);
	unsigned char ok[ABJAD_LEN + 1][ABJAD_LEN + 1][2];

	if (la == 0 || ll == 0 || la > ABJAD_LEN || ll > ABJAD_LEN || !abjad_same_hard(a, l))
		return 0;
	for (size_t i = la + 1; i-- > 0;) {
		for (size_t j = ll + 1; j-- > 0;) {
			for (int s = 0; s < 2; s++) {
				int v = i == la && j == ll;
				if (!v && i < la && j < ll &&
				    abjad_letter_fits(a[i], l[j], i == 0 || a[i - 1] == '\'', strict))
					v = ok[i + 1][j + 1][0];
				if (!v && j < ll && is_vowel(l[j]) && !(strict && s))
					v = ok[i][j + 1][1];
				if (!v && i < la && a[i] == '\'')
					v = ok[i + 1][j][s];
				ok[i][j][s] = (unsigned char)v;
			}
		}
	}
	return ok[0][0][0];
}

/* ---- steps 1 and 2: ICU ---------------------------------------------- */

static int is_apostrophe(UChar32 c)
{
	return c == 0x27 || c == 0x60 || c == 0xB4 || c == 0x2018 || c == 0x2019 || c == 0x02BB ||
	       c == 0x02BC || c == 0x02BE || c == 0x02BF || c == 0x02B9;
}

static int is_mark(UChar32 c)
{
	int8_t t = u_charType(c);
	return t == U_NON_SPACING_MARK || t == U_ENCLOSING_MARK || t == U_COMBINING_SPACING_MARK;
}

/* Farsi-only letters: پ چ ژ گ ک ی */
static int is_farsi_letter(UChar32 c)
{
	return c == 0x067E || c == 0x0686 || c == 0x0698 || c == 0x06AF || c == 0x06A9 || c == 0x06CC;
}

/* One spelling of an Arabic-script letter for folding and transliteration. */
static UChar32 arabic_letter(UChar32 c)
{
	switch (c) {
	case 0x06CC: return 0x064A; /* Farsi yeh -> yeh */
	case 0x06A9: return 0x0643; /* keheh -> kaf */
	case 0x0629: return 0x0647; /* ta marbuta -> heh */
	case 0x06C0: return 0x0647; /* heh with yeh above -> heh */
	case 0x0649: return 0x0627; /* alef maqsura -> alef */
	case 0x0671: return 0x0627; /* alef wasla -> alef */
	default: return c;
	}
}

struct utok {
	UChar s[NAME_TOK_LEN];
	int32_t len;
	UScriptCode script;
};

static void utf16_to_utf8(const UChar *s, int32_t n, char *out, size_t cap)
{
	UErrorCode e = U_ZERO_ERROR;
	int32_t len = 0;
	u_strToUTF8(out, (int32_t)cap - 1, &len, s, n, &e);
	if (U_FAILURE(e) || len < 0 || (size_t)len >= cap) {
		/* keep whole characters that fit */
		int32_t k = n;
		while (k > 0) {
			e = U_ZERO_ERROR;
			k--;
			u_strToUTF8(out, (int32_t)cap - 1, &len, s, k, &e);
			if (U_SUCCESS(e) && len >= 0 && (size_t)len < cap)
				break;
		}
		if (k == 0)
			len = 0;
	}
	out[len] = '\0';
}

/* Latin spelling of a folded token through route r, into out (ASCII a-z,
 * 0-9, ' for ain and hamza in Arabic script). */
static int latin_of(const struct utok *t, enum route r, int abjad, char *out, size_t cap)
{
	UTransliterator *tr;
	UChar buf[NAME_TOK_LEN * 8];
	int32_t len = t->len, limit = t->len;
	UErrorCode e = U_ZERO_ERROR;
	size_t n = 0;
	int rc = get_route(r, &tr);

	if (rc != PHR_OK)
		return rc;
	memcpy(buf, t->s, (size_t)t->len * sizeof(UChar));
	utrans_transUChars(tr, buf, &len, (int32_t)(sizeof(buf) / sizeof(buf[0])), 0, &limit, &e);
	if (e == U_BUFFER_OVERFLOW_ERROR || len > (int32_t)(sizeof(buf) / sizeof(buf[0]))) {
		/* a token whose spelling outgrows the buffer gets none */
		len = 0;
		e = U_ZERO_ERROR;
	}
	if (U_FAILURE(e))
		return phr_fail(PHR_E_NAME_ICU, "name: ICU transliteration failed: %s", u_errorName(e));
	for (int32_t i = 0; i < len && n + 1 < cap; i++) {
		UChar c = buf[i];
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
			out[n++] = (char)c;
		else if (c >= 'A' && c <= 'Z')
			out[n++] = (char)(c - 'A' + 'a');
		else if (abjad && is_apostrophe(c))
			out[n++] = '\'';
	}
	out[n] = '\0';
	return PHR_OK;
}

/* Spellings are asked of ICU once and kept, per thread: a Latin letter's
 * alone (Latin-ASCII reads letters without context), a Cyrillic or Greek
 * word's whole (their transliterators read context: BGN's "ye" at the
 * start of a word, UNGEGN's "mp"), in a small direct-mapped cache, since
 * names repeat (a register holds many Mohammeds and Olenas). Without the
 * caches a million names would take ICU about 12 s; with them a few. */
#define LATIN_CACHED(c) ((c) < 0x250 || ((c) >= 0x1E00 && (c) < 0x1F00))
#define LATIN_SLOT(c) ((c) < 0x250 ? (c) : (c) - 0x1E00 + 0x250)
static _Thread_local char latin_cache[0x250 + 0x100][6];
static _Thread_local unsigned char latin_known[0x250 + 0x100];

#define WORD_CACHE 4096 /* slots of about 150 bytes, on the heap */
#define WORD_CACHED_LEN 24
struct word_slot {
	UChar s[WORD_CACHED_LEN];
	int32_t len; /* 0: empty */
	enum route r;
	char lat[NAME_TOK_LEN];
};

static int spell_latin(const struct utok *u, char *out, size_t cap)
{
	size_t n = 0;
	int rc;

	for (int32_t i = 0; i < u->len;) {
		UChar32 c;
		char one[NAME_TOK_LEN];
		const char *sp = one;
		U16_NEXT(u->s, i, u->len, c);
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
			one[0] = (char)c, one[1] = '\0';
		} else if (LATIN_CACHED(c) && latin_known[LATIN_SLOT(c)]) {
			sp = latin_cache[LATIN_SLOT(c)];
		} else {
			struct utok t = {.len = 0, .script = u->script};
			U16_APPEND_UNSAFE(t.s, t.len, c);
			if ((rc = latin_of(&t, ROUTE_ANY, 0, one, sizeof(one))) != PHR_OK)
				return rc;
			if (LATIN_CACHED(c) && strlen(one) < sizeof(latin_cache[0])) {
				memcpy(latin_cache[LATIN_SLOT(c)], one, strlen(one) + 1);
				latin_known[LATIN_SLOT(c)] = 1;
			}
		}
		for (; *sp != '\0' && n + 1 < cap; sp++)
			out[n++] = *sp;
	}
	out[n] = '\0';
	return PHR_OK;
}

static int spell_word(const struct utok *u, enum route r, char *out, size_t cap)
{
	uint32_t h = 2166136261u ^ (uint32_t)r;
	struct word_slot *slot;
	int rc;

	if (u->script == USCRIPT_LATIN)
		return spell_latin(u, out, cap);
	if (u->len > WORD_CACHED_LEN)
		return latin_of(u, r, 0, out, cap);
	if (word_cache == NULL)
		word_cache = calloc(WORD_CACHE, sizeof(*word_cache));
	if (word_cache == NULL)
		return latin_of(u, r, 0, out, cap);
	for (int32_t i = 0; i < u->len; i++)
		h = (h ^ u->s[i]) * 16777619u;
	slot = &word_cache[h % WORD_CACHE];
	if (slot->len == u->len && slot->r == r && memcmp(slot->s, u->s, (size_t)u->len * sizeof(UChar)) == 0) {
		snprintf(out, cap, "%s", slot->lat);
		return PHR_OK;
	}
	if ((rc = latin_of(u, r, 0, out, cap)) != PHR_OK)
		return rc;
	memcpy(slot->s, u->s, (size_t)u->len * sizeof(UChar));
	slot->len = u->len;
	slot->r = r;
	snprintf(slot->lat, sizeof(slot->lat), "%s", out);
	return PHR_OK;
}

/* norm: the normal form when the caller made it, else NULL. */
static void add_variant(struct tok *t, const char *lat, const char *norm)
{
	if (lat[0] == '\0' || t->nvar >= NAME_MAX_VARIANTS)
		return;
	for (int i = 0; i < t->nvar; i++)
		if (strcmp(t->lat[i], lat) == 0)
			return;
	snprintf(t->lat[t->nvar], NAME_TOK_LEN, "%s", lat);
	if (norm != NULL)
		snprintf(t->norm[t->nvar], NAME_TOK_LEN, "%s", norm);
	else
		normal_form(lat, FOLD_LATIN, t->norm[t->nvar], NAME_TOK_LEN);
	t->nvar++;
}

/* Arabic script is spelled letter by letter (ICU's transliterators read
 * its letters without context), so that a digraph of the Latin spelling
 * is always one letter: خ "kh", but ز then ه "zh" stays two. Each letter's
 * spelling is asked of ICU once per thread and kept. persian: ICU's Farsi
 * reading where it gives another consonant (ث ذ ض ظ as s and z, و as v);
 * it spells alef and hamza as nothing, so those keep the Arabic reading. */
#define ABJAD_FIRST 0x0600
#define ABJAD_COUNT 0x100
struct letter {
	char raw[8];  /* ICU's spelling, ASCII (' for ain and hamza) */
	char norm[8]; /* with its digraph folded */
};
static _Thread_local struct letter letter_cache[2][ABJAD_COUNT];
static _Thread_local unsigned char letter_known[2][ABJAD_COUNT];

static int letter_of(UChar32 c, int persian, struct letter *out)
{
	struct utok one;
	struct letter l;
	int rc;

	if (c >= ABJAD_FIRST && c < ABJAD_FIRST + ABJAD_COUNT && letter_known[persian][c - ABJAD_FIRST]) {
		*out = letter_cache[persian][c - ABJAD_FIRST];
		return PHR_OK;
	}
	one.len = 0;
	one.script = USCRIPT_ARABIC;
	U16_APPEND_UNSAFE(one.s, one.len, c);
	if ((rc = latin_of(&one, ROUTE_ANY, 1, l.raw, sizeof(l.raw))) != PHR_OK)
		return rc;
	if (persian) {
		char fa[8];
		if ((rc = latin_of(&one, ROUTE_PERSIAN, 1, fa, sizeof(fa))) != PHR_OK)
			return rc;
		if (fa[0] != '\0' && fa[0] != '\'' && !is_vowel(l.raw[0]))
			memcpy(l.raw, fa, sizeof(fa));
	}
	normal_form(l.raw, FOLD_DIGRAPHS, l.norm, sizeof(l.norm));
	if (c >= ABJAD_FIRST && c < ABJAD_FIRST + ABJAD_COUNT) {
		letter_cache[persian][c - ABJAD_FIRST] = l;
		letter_known[persian][c - ABJAD_FIRST] = 1;
	}
	*out = l;
	return PHR_OK;
}

/* Spelling and normal form of an Arabic-script token from its code unit
 * `from` on. */
static int abjad_spelling(const struct utok *u, int32_t from, int persian, char *lat, char *norm, size_t cap)
{
	char cat[NAME_TOK_LEN];
	size_t nl = 0, nc = 0;

	for (int32_t i = from; i < u->len;) {
		UChar32 c;
		struct letter l;
		int rc;
		U16_NEXT(u->s, i, u->len, c);
		if ((rc = letter_of(c, persian, &l)) != PHR_OK)
			return rc;
		for (const char *s = l.raw; *s != '\0' && nl + 1 < cap; s++)
			lat[nl++] = *s;
		for (const char *s = l.norm; *s != '\0' && nc + 1 < sizeof(cat); s++)
			cat[nc++] = *s;
	}
	lat[nl] = '\0';
	cat[nc] = '\0';
	normal_form(cat, 0, norm, cap);
	return PHR_OK;
}

static int utf8_check(const char *utf8, UChar *u, int32_t cap, int32_t *ulen)
{
	UErrorCode e = U_ZERO_ERROR;
	size_t n;

	if (utf8 == NULL)
		return phr_fail(PHR_E_ARG, "name: none given");
	n = strnlen(utf8, PHR_NAME_MAX_IN + 1);
	if (n > PHR_NAME_MAX_IN)
		return phr_fail(PHR_E_LIMIT, "name: longer than %d bytes", PHR_NAME_MAX_IN);
	u_strFromUTF8(u, cap, ulen, utf8, (int32_t)n, &e);
	if (U_FAILURE(e))
		return phr_fail(PHR_E_ARG, "name: not UTF-8 (%s)", u_errorName(e));
	return PHR_OK;
}

/* Folds utf8 and splits it into tokens (step 1). */
static int split_tokens(const char *utf8, struct utok *ut, size_t *nut, int *farsi, int *ukrainian)
{
	static _Thread_local UChar a[NAME_BUF], b[NAME_BUF];
	UErrorCode e = U_ZERO_ERROR;
	const UNormalizer2 *cf = unorm2_getNFKCCasefoldInstance(&e);
	const UNormalizer2 *nfd = unorm2_getNFDInstance(&e);
	int32_t la = 0, lb;
	int rc = utf8_check(utf8, a, NAME_BUF, &la);

	if (rc != PHR_OK)
		return rc;
	if (U_FAILURE(e))
		return phr_fail(PHR_E_NAME_ICU, "name: no ICU normaliser: %s", u_errorName(e));
	lb = unorm2_normalize(cf, a, la, b, NAME_BUF, &e);
	if (U_SUCCESS(e))
		la = unorm2_normalize(nfd, b, lb, a, NAME_BUF, &e);
	if (U_FAILURE(e))
		return phr_fail(e == U_BUFFER_OVERFLOW_ERROR ? PHR_E_LIMIT : PHR_E_NAME_ICU,
				"name: ICU normalisation failed: %s", u_errorName(e));

	*nut = 0;
	*farsi = 0;
	*ukrainian = 0;
	struct utok *cur = NULL;
	for (int32_t i = 0; i < la;) {
		UChar32 c;
		U16_NEXT(a, i, la, c);
		if (is_farsi_letter(c))
			*farsi = 1;
		if (c == 0x0456 || c == 0x0457 || c == 0x0454 || c == 0x0491) /* і ї є ґ */
			*ukrainian = 1;
		if (c == 0x0640 || is_apostrophe(c)) /* tatweel; O'Brien, Al'Ahmad */
			continue;
		if (is_mark(c)) {
			/* diacritics go, but Cyrillic й, ё, ї keep theirs */
			if (cur != NULL && cur->script == USCRIPT_CYRILLIC && cur->len + 2 < NAME_TOK_LEN)
				U16_APPEND_UNSAFE(cur->s, cur->len, c);
			continue;
		}
		if (!u_isalnum(c)) {
			cur = NULL;
			continue;
		}
		if (cur == NULL) {
			if (*nut >= NAME_MAX_TOKENS)
				break;
			cur = &ut[(*nut)++];
			cur->len = 0;
			e = U_ZERO_ERROR;
			cur->script = uscript_getScript(c, &e);
			if (U_FAILURE(e))
				cur->script = USCRIPT_COMMON;
		}
		if (cur->script == USCRIPT_ARABIC)
			c = arabic_letter(c);
		if (cur->len + 2 < NAME_TOK_LEN)
			U16_APPEND_UNSAFE(cur->s, cur->len, c);
	}
	/* Compose again (Cyrillic й; Hangul), so that ICU's transliterators see
	 * the usual forms. */
	e = U_ZERO_ERROR;
	const UNormalizer2 *nfc = unorm2_getNFCInstance(&e);
	for (size_t k = 0; k < *nut && U_SUCCESS(e); k++) {
		UChar tmp[NAME_TOK_LEN];
		int32_t l = unorm2_normalize(nfc, ut[k].s, ut[k].len, tmp, NAME_TOK_LEN, &e);
		if (U_SUCCESS(e)) {
			memcpy(ut[k].s, tmp, (size_t)l * sizeof(UChar));
			ut[k].len = l;
		}
	}
	if (U_FAILURE(e))
		return phr_fail(PHR_E_NAME_ICU, "name: ICU normalisation failed: %s", u_errorName(e));
	return PHR_OK;
}

/* The whole of steps 1 and 2 for one name. */
static int parse_name(const char *utf8, struct pname *p)
{
	struct utok ut[NAME_MAX_TOKENS];
	size_t nut = 0;
	int farsi = 0, ukrainian = 0;
	int rc = split_tokens(utf8, ut, &nut, &farsi, &ukrainian);

	p->n = 0;
	if (rc != PHR_OK)
		return rc;
	for (size_t k = 0; k < nut && p->n < NAME_MAX_TOKENS; k++) {
		struct utok *u = &ut[k];
		int abjad = u->script == USCRIPT_ARABIC;
		char lat[NAME_TOK_LEN];

		/* a joined Arabic article: "الأحمد" -> "ال" + "احمد" */
		int joined = abjad && u->len >= 4 && u->s[0] == 0x0627 && u->s[1] == 0x0644;
		if (joined) {
			struct tok *art = &p->t[p->n++];
			memset(art, 0, sizeof(*art));
			snprintf(art->fold, sizeof(art->fold), "%s", "\xd8\xa7\xd9\x84");
			add_variant(art, "al", NULL);
			art->abjad = 1;
			art->article = 1;
			if (p->n >= NAME_MAX_TOKENS)
				break;
		}

		struct tok *t = &p->t[p->n];
		memset(t, 0, sizeof(*t));
		utf16_to_utf8(u->s + (joined ? 2 : 0), u->len - (joined ? 2 : 0), t->fold, sizeof(t->fold));
		t->abjad = abjad;
		if (abjad) {
			char norm[NAME_TOK_LEN];
			/* the reading the name's letters suggest first (Farsi when
			 * it has a Farsi-only letter), then the other */
			for (int v = 0; v < 2; v++) {
				if ((rc = abjad_spelling(u, joined ? 2 : 0, v ? !farsi : farsi, lat, norm, sizeof(lat))) != PHR_OK)
					return rc;
				add_variant(t, lat, norm);
			}
			/* ... or "ال" is not an article at all (الياس, Ilyas) */
			if (joined) {
				if ((rc = abjad_spelling(u, 0, farsi, lat, norm, sizeof(lat))) != PHR_OK)
					return rc;
				add_variant(t, lat, norm);
			}
			if (strcmp(t->fold, "\xd8\xa7\xd9\x84") == 0)
				t->article = 1;
		} else {
			enum route r = u->script == USCRIPT_CYRILLIC ? ROUTE_CYRILLIC
				     : u->script == USCRIPT_GREEK   ? ROUTE_GREEK
								    : ROUTE_ANY;
			/* Cyrillic is read both as Russian and as Ukrainian (Г is g
			 * or h: Ганна is Hanna), Ukrainian first when the name has
			 * a letter only Ukrainian writes */
			if (r == ROUTE_CYRILLIC && ukrainian)
				r = ROUTE_UKRAINIAN;
			if ((rc = spell_word(u, r, lat, sizeof(lat))) != PHR_OK)
				return rc;
			add_variant(t, lat, NULL);
			if (r == ROUTE_CYRILLIC || r == ROUTE_UKRAINIAN) {
				char other[NAME_TOK_LEN];
				enum route r2 = r == ROUTE_CYRILLIC ? ROUTE_UKRAINIAN : ROUTE_CYRILLIC;
				if ((rc = spell_word(u, r2, other, sizeof(other))) != PHR_OK)
					return rc;
				add_variant(t, other, NULL);
			}
			/* Latin letters with a stroke or ligatures (đ, ø, ł, ß) fold
			 * like accents: the exact form is the ASCII one */
			if (u->script == USCRIPT_LATIN)
				snprintf(t->fold, sizeof(t->fold), "%s", lat);
			if (t->nvar > 0 && (strcmp(t->lat[0], "al") == 0 || strcmp(t->lat[0], "el") == 0))
				t->article = 1;
			/* a joined article written in Latin or Cyrillic: "Alahmad" */
			else if (t->nvar > 0 && (strncmp(t->lat[0], "al", 2) == 0 || strncmp(t->lat[0], "el", 2) == 0) &&
				 strlen(t->lat[0]) >= 6)
				add_variant(t, t->lat[0] + 2, NULL);
		}
		if (t->nvar > 0)
			p->n++;
	}
	return PHR_OK;
}

/* ---- keys ----------------------------------------------------------- */

static void key_add(struct phr_name_keys *out, char kind, const char *val, uint32_t words)
{
	char k[PHR_NAME_KEY_LEN] = {0}; /* zero-padded: keys compare as whole arrays too */

	if (strlen(val) < 2)
		return; /* a single letter selects nothing */
	snprintf(k, sizeof(k), "%c:%.*s", kind, NAME_SKEL_MAX, val);
	for (size_t i = 0; i < out->n; i++)
		if (strcmp(out->key[i], k) == 0) {
			out->words[i] |= words; /* one key, several words ("Ali Ali") */
			return;
		}
	if (out->n >= PHR_NAME_MAX_KEYS)
		return;
	out->words[out->n] = words;
	memcpy(out->key[out->n++], k, sizeof(k));
}

/* Skeleton of the Latin spellings of tokens from..to (inclusive) joined,
 * articles between them included; v: which spelling of each (the first
 * where a word has fewer). */
static void joined_skeleton(const struct pname *p, size_t from, size_t to, int v, char *out, size_t cap)
{
	char cat[NAME_TOK_LEN * NAME_MAX_TOKENS + 1];
	char norm[sizeof(cat)];
	size_t n = 0;

	for (size_t i = from; i <= to; i++) {
		const char *s = p->t[i].norm[v < p->t[i].nvar && p->t[i].abjad ? v : 0];
		size_t l = strlen(s);
		if (n + l >= sizeof(cat))
			break;
		memcpy(cat + n, s, l);
		n += l;
	}
	cat[n] = '\0';
	normal_form(cat, p->t[from].abjad ? 0 : FOLD_LATIN, norm, sizeof(norm));
	skeleton(norm, p->t[from].abjad, out, cap);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}

static void keys_of(const struct pname *p, struct phr_name_keys *out)
{
	char sk[NAME_TOK_LEN];
	char sorted[NAME_MAX_TOKENS][NAME_TOK_LEN];
	size_t words = 0, first = SIZE_MAX, last = 0;
	size_t word_of[NAME_MAX_TOKENS] = {0}; /* token -> its word's number */
	uint32_t all;

	memset(out, 0, sizeof(*out));
	/* one key per word: its skeleton, when it is more than one letter */
	for (size_t i = 0; i < p->n; i++) {
		if (p->t[i].article)
			continue;
		skeleton(p->t[i].norm[0], p->t[i].abjad, sk, sizeof(sk));
		word_of[i] = words;
		if (strlen(sk) >= 2)
			key_add(out, 's', sk, UINT32_C(1) << words);
		memcpy(sorted[words++], sk, sizeof(sk));
		if (first == SIZE_MAX)
			first = i;
		last = i;
	}
	if (words == 0)
		return;
	all = words >= 32 ? UINT32_MAX : (UINT32_C(1) << words) - 1;
	/* the whole name joined in its order ("Abdul Rahman" = "عبدالرحمن"),
	 * and its words in any order */
	joined_skeleton(p, first, last, 0, sk, sizeof(sk));
	if (strlen(sk) < 2 && first == last)
		snprintf(sk, sizeof(sk), "%s", p->t[first].norm[0]); /* "Li": the word itself */
	if (strlen(sk) >= 2)
		key_add(out, 'j', sk, all);
	if (words >= 2) {
		char w[PHR_NAME_KEY_LEN];
		size_t n = 0;
		qsort(sorted, words, sizeof(sorted[0]), cmp_str);
		/* cut where the key ends, the same way for a query */
		for (size_t i = 0; i < words && n + 1 < sizeof(w); i++) {
			if (i > 0)
				w[n++] = '.';
			for (const char *c = sorted[i]; *c != '\0' && n + 1 < sizeof(w); c++)
				w[n++] = *c;
		}
		w[n] = '\0';
		key_add(out, 'w', w, all);
	}
	/* neighbours joined, under the word keys' prefix: "Abdullah" finds
	 * "عبد الله" */
	for (size_t i = first; i < last; i++) {
		size_t j = i + 1;
		if (p->t[i].article)
			continue;
		while (j <= last && p->t[j].article)
			j++;
		if (j > last)
			break;
		joined_skeleton(p, i, j, 0, sk, sizeof(sk));
		if (strlen(sk) >= 2)
			key_add(out, 's', sk, (UINT32_C(1) << word_of[i]) | (UINT32_C(1) << word_of[j]));
	}
	/* the other reading of Arabic script, joined */
	joined_skeleton(p, first, last, 1, sk, sizeof(sk));
	if (strlen(sk) >= 2)
		key_add(out, 'j', sk, all);
	/* the other spellings of each word */
	for (size_t i = 0; i < p->n; i++) {
		if (p->t[i].article)
			continue;
		for (int v = 1; v < p->t[i].nvar; v++) {
			skeleton(p->t[i].norm[v], p->t[i].abjad, sk, sizeof(sk));
			if (strlen(sk) >= 2)
				key_add(out, 's', sk, UINT32_C(1) << word_of[i]);
		}
	}
}

int phr_name_index_keys(const char *utf8, struct phr_name_keys *out)
{
	static _Thread_local struct pname p;
	int rc;

	if (out == NULL)
		return phr_fail(PHR_E_ARG, "name: no output");
	memset(out, 0, sizeof(*out));
	rc = parse_name(utf8, &p);
	if (rc != PHR_OK)
		return rc;
	keys_of(&p, out);
	return PHR_OK;
}

int phr_name_query_keys(const char *utf8, struct phr_name_keys *out)
{
	static _Thread_local struct pname p;
	size_t words = 0;
	int rc;

	if (out == NULL)
		return phr_fail(PHR_E_ARG, "name: no output");
	memset(out, 0, sizeof(*out));
	rc = parse_name(utf8, &p);
	if (rc != PHR_OK)
		return rc;
	keys_of(&p, out);
	for (size_t i = 0; i < p.n; i++)
		words += !p.t[i].article;
	/* Two words typed: a name must share two keys (both words, or a word
	 * and the joined or sorted whole); one word: one key. */
	out->need = words >= 2 ? 2 : words;
	if (out->need > out->n)
		out->need = out->n;
	/* Each word that has a key of its own must be covered; a word too
	 * short for one ("Li") is left to the whole name's keys and the rank. */
	for (size_t i = 0; i < out->n; i++)
		if (out->key[i][0] == 's' && (out->words[i] & (out->words[i] - 1)) == 0)
			out->need_words |= out->words[i];
	return PHR_OK;
}

int phr_name_covers(const struct phr_name_keys *query, uint32_t held, size_t shared)
{
	return query != NULL && query->need >= 1 && shared >= query->need &&
	       (held & query->need_words) == query->need_words;
}

/* ---- rank ----------------------------------------------------------- */

/* One word, or two neighbouring words read as one ("Abd Allah"). */
struct unit {
	size_t first, count;
	char fold[NAME_TOK_LEN * 2];
	char norm[NAME_MAX_VARIANTS][NAME_TOK_LEN * 2];
	char lat[NAME_MAX_VARIANTS][NAME_TOK_LEN * 2];
	int nvar;
	int abjad;
};

#define MAX_UNITS (NAME_MAX_TOKENS * 2)

/* a, b and c joined into out[0..cap), cut to fit. */
static void cat3(char *out, size_t cap, const char *a, const char *b, const char *c)
{
	const char *part[3] = {a, b, c};
	size_t n = 0;
	for (int i = 0; i < 3; i++)
		for (const char *s = part[i]; *s != '\0' && n + 1 < cap; s++)
			out[n++] = *s;
	out[n] = '\0';
}

static size_t units_of(const struct pname *p, struct unit *u, size_t *words)
{
	size_t n = 0, idx[NAME_MAX_TOKENS], w = 0;

	for (size_t i = 0; i < p->n; i++)
		if (!p->t[i].article)
			idx[w++] = i;
	*words = w;
	for (size_t k = 0; k < w; k++) {
		for (size_t span = 1; span <= 2 && k + span <= w; span++) {
			struct unit *x = &u[n++];
			const struct tok *a = &p->t[idx[k]];
			memset(x, 0, sizeof(*x));
			x->first = k;
			x->count = span;
			x->abjad = a->abjad;
			if (span == 1) {
				snprintf(x->fold, sizeof(x->fold), "%s", a->fold);
				x->nvar = a->nvar;
				for (int v = 0; v < a->nvar; v++) {
					snprintf(x->lat[v], sizeof(x->lat[v]), "%s", a->lat[v]);
					snprintf(x->norm[v], sizeof(x->norm[v]), "%s", a->norm[v]);
				}
			} else {
				const struct tok *b = &p->t[idx[k + 1]];
				/* an article between the two belongs to the joined form */
				const char *mid = idx[k + 1] > idx[k] + 1 ? p->t[idx[k] + 1].lat[0] : "";
				const char *midf = idx[k + 1] > idx[k] + 1 ? p->t[idx[k] + 1].fold : "";
				cat3(x->fold, sizeof(x->fold), a->fold, midf, b->fold);
				x->abjad = a->abjad && b->abjad;
				x->nvar = 1;
				const char *midn = idx[k + 1] > idx[k] + 1 ? p->t[idx[k] + 1].norm[0] : "";
				char cat[sizeof(x->norm[0])];
				cat3(x->lat[0], sizeof(x->lat[0]), a->lat[0], mid, b->lat[0]);
				cat3(cat, sizeof(cat), a->norm[0], midn, b->norm[0]);
				normal_form(cat, x->abjad ? 0 : FOLD_LATIN, x->norm[0], sizeof(x->norm[0]));
			}
		}
	}
	return n;
}

/* How well two units match, and the spellings that did. */
static enum phr_name_rank unit_rank(const struct unit *q, const struct unit *n, int *qv, int *nv)
{
	enum phr_name_rank best = PHR_NAME_NONE;
	char sq[NAME_TOK_LEN * 2], sn[NAME_TOK_LEN * 2];

	*qv = 0, *nv = 0;
	if (strcmp(q->fold, n->fold) == 0)
		return PHR_NAME_EXACT;
	for (int i = 0; i < q->nvar; i++) {
		for (int j = 0; j < n->nvar; j++) {
			enum phr_name_rank r = PHR_NAME_NONE;
			const char *a = q->norm[i], *b = n->norm[j];
			if (strcmp(a, b) == 0) {
				r = PHR_NAME_TRANSLITERATED;
			} else if (q->abjad != n->abjad) {
				const char *ab = q->abjad ? a : b, *lt = q->abjad ? b : a;
				if (abjad_fits(ab, lt, 1))
					r = PHR_NAME_TRANSLITERATED;
				else if (abjad_fits(ab, lt, 0))
					r = PHR_NAME_FUZZY;
			} else {
				size_t la = strlen(a), lb = strlen(b), d;
				size_t shortest = la < lb ? la : lb, longest = la < lb ? lb : la;
				skeleton(a, q->abjad, sq, sizeof(sq));
				skeleton(b, n->abjad, sn, sizeof(sn));
				d = edit_distance(a, b);
				if (strcmp(sq, sn) == 0 && strlen(sq) >= 2 && d <= (longest >= 6 ? 2u : 1u))
					r = PHR_NAME_FUZZY;
				else if (q->abjad && strcmp(sq, sn) == 0 && strlen(sq) >= 2)
					r = PHR_NAME_FUZZY; /* both without short vowels */
				else if (d <= 1 && shortest >= 5)
					r = PHR_NAME_FUZZY;
			}
			if (r > best) {
				best = r;
				*qv = i, *nv = j;
			}
		}
	}
	return best;
}

struct pairing {
	size_t q, n; /* unit indices */
	enum phr_name_rank rank;
	int qv, nv;
};

static int cmp_pairing(const void *a, const void *b)
{
	const struct pairing *x = a, *y = b;
	if (x->rank != y->rank)
		return x->rank > y->rank ? -1 : 1;
	if (x->q != y->q)
		return x->q < y->q ? -1 : 1;
	return x->n < y->n ? -1 : x->n > y->n;
}

static void why_append(char *why, size_t cap, size_t *len, const char *fmt, ...) PHR_PRINTF(4, 5);
static void why_append(char *why, size_t cap, size_t *len, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (why == NULL || cap == 0 || *len >= cap - 1)
		return;
	va_start(ap, fmt);
	k = vsnprintf(why + *len, cap - *len, fmt, ap);
	va_end(ap);
	if (k < 0)
		return;
	*len += (size_t)k;
	if (*len >= cap)
		*len = cap - 1;
}

enum phr_name_rank phr_name_rank(const char *query, const char *name, char *why, size_t cap)
{
	static _Thread_local struct pname pq, pn;
	static _Thread_local struct unit uq[MAX_UNITS], un[MAX_UNITS];
	static _Thread_local struct pairing pr[MAX_UNITS * MAX_UNITS];
	size_t nuq, nun, wq, wn, npr = 0, covered = 0;
	int usedq[NAME_MAX_TOKENS] = {0}, usedn[NAME_MAX_TOKENS] = {0};
	enum phr_name_rank rank = PHR_NAME_EXACT;
	size_t wlen = 0;
	int rc;

	/* A search ranks every candidate against one query: the query's
	 * parse (ICU) is kept for the next call with the same text. */
	static _Thread_local char last_q[PHR_NAME_RANK_CACHE];
	static _Thread_local size_t last_nuq, last_wq;
	static _Thread_local int last_ok;
	size_t qlen = query ? strlen(query) : sizeof(last_q); /* NULL: parse_name says why */

	if (why != NULL && cap > 0)
		why[0] = '\0';
	if (last_ok && qlen < sizeof(last_q) && memcmp(last_q, query, qlen + 1) == 0) {
		nuq = last_nuq;
		wq = last_wq;
	} else {
		last_ok = 0;
		if ((rc = parse_name(query, &pq)) != PHR_OK) {
			why_append(why, cap, &wlen, "no match: %s", phr_last_error());
			return PHR_NAME_NONE;
		}
		nuq = units_of(&pq, uq, &wq);
		if (qlen < sizeof(last_q)) {
			memcpy(last_q, query, qlen + 1);
			last_nuq = nuq;
			last_wq = wq;
			last_ok = 1;
		}
	}
	if ((rc = parse_name(name, &pn)) != PHR_OK) {
		why_append(why, cap, &wlen, "no match: %s", phr_last_error());
		return PHR_NAME_NONE;
	}
	nun = units_of(&pn, un, &wn);
	if (wq == 0 || wn == 0) {
		why_append(why, cap, &wlen, "no match: the %s has no letters", wq == 0 ? "query" : "name");
		return PHR_NAME_NONE;
	}
	for (size_t i = 0; i < nuq; i++) {
		for (size_t j = 0; j < nun; j++) {
			int qv, nv;
			enum phr_name_rank r;
			if (uq[i].count == 2 && un[j].count == 2)
				continue; /* two words against two are two matches of one word */
			r = unit_rank(&uq[i], &un[j], &qv, &nv);
			if (r != PHR_NAME_NONE)
				pr[npr++] = (struct pairing){i, j, r, qv, nv};
		}
	}
	/* Best pairings first, each word of either side used once. */
	qsort(pr, npr, sizeof(pr[0]), cmp_pairing);
	struct pairing chosen[NAME_MAX_TOKENS];
	size_t nchosen = 0;
	for (size_t k = 0; k < npr; k++) {
		const struct unit *a = &uq[pr[k].q], *b = &un[pr[k].n];
		int free_ = 1;
		for (size_t x = 0; x < a->count; x++)
			free_ &= !usedq[a->first + x];
		for (size_t x = 0; x < b->count; x++)
			free_ &= !usedn[b->first + x];
		if (!free_)
			continue;
		for (size_t x = 0; x < a->count; x++)
			usedq[a->first + x] = 1;
		for (size_t x = 0; x < b->count; x++)
			usedn[b->first + x] = 1;
		covered += a->count;
		if (pr[k].rank < rank)
			rank = pr[k].rank;
		chosen[nchosen++] = pr[k];
	}
	if (covered < wq) {
		for (size_t i = 0; i < nuq; i++) {
			if (uq[i].count == 1 && !usedq[uq[i].first]) {
				why_append(why, cap, &wlen, "no match: '%s' is not in the name", uq[i].lat[0]);
				break;
			}
		}
		return PHR_NAME_NONE;
	}
	why_append(why, cap, &wlen, "%s:",
		   rank == PHR_NAME_EXACT ? "exact" : rank == PHR_NAME_TRANSLITERATED ? "transliterated" : "fuzzy");
	/* in the order the query was typed */
	for (size_t w = 0; w < wq; w++) {
		for (size_t k = 0; k < nchosen; k++) {
			const struct unit *a = &uq[chosen[k].q], *b = &un[chosen[k].n];
			if (a->first != w)
				continue;
			if (chosen[k].rank == PHR_NAME_EXACT) {
				why_append(why, cap, &wlen, " '%s'", a->fold);
			} else {
				why_append(why, cap, &wlen, " '%s'%c'%s'", a->lat[chosen[k].qv],
					   chosen[k].rank == PHR_NAME_TRANSLITERATED ? '=' : '~', b->lat[chosen[k].nv]);
			}
		}
	}
	size_t nused = 0;
	for (size_t w = 0; w < wn; w++)
		nused += (size_t)usedn[w];
	if (nused < wn)
		why_append(why, cap, &wlen, " (%zu of %zu names)", nused, wn);
	return rank;
}
