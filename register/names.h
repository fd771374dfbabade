/* phr — names as a clerk searches them (register/names.c).
 *
 * A name is written in any script ("Sara Al-Ahmad", "سارة الأحمد",
 * "Сара Аль-Ахмад", "Σάρα Αλ Αχμαντ"). The register stores, for every
 * spelling of a holder's name, a small set of index keys; a query is turned
 * into keys the same way, and a stored name is a candidate when it shares
 * at least `need` of the query's keys. Candidates are then ranked by
 * phr_name_rank, which also says why they matched. Transliteration is ICU's
 * ("Any-Latin; Latin-ASCII" and, per script, Russian-Latin/BGN,
 * Greek-Latin/UNGEGN, Persian-Latin/BGN), never a hand-written table.
 *
 * Case, diacritics, hyphens, apostrophes and word order never matter; nor
 * does an Arabic article ("al", "el", "ال", joined or not), which is never
 * a word of its own.
 *
 * The keys of a name (ASCII, "k:value"; names.c says how they are made):
 *   s:SKELETON  one per word: its consonant skeleton after transliteration
 *               (Mohammed, Muhammad, محمد -> "s:mhmd"; Omar, عمر -> "s:_mr",
 *               '_' for a leading vowel); also one per two neighbouring
 *               words joined ("Abdullah" finds "عبد الله"), and one per
 *               other reading of a word (Farsi or Arabic, with or without a
 *               joined article);
 *   j:SKELETON  the whole name joined in its order ("Abdul Rahman" finds
 *               "عبدالرحمن");
 *   w:SKEL.SKEL the words' skeletons sorted (any order), for two words or more.
 * A key is never a single letter. Keys are few (5 on average for two or
 * three words, PHR_NAME_MAX_KEYS at most) and as selective as a name: a
 * register looks them up in an index of (key, record) and counts, per
 * record, how many of the query's keys it holds:
 *   SELECT record FROM name_key WHERE key IN (...) GROUP BY record
 *   HAVING count(DISTINCT key) >= need
 *
 * Thread safety: every function may be called from any thread. ICU's
 * transliterators are not safe to share, so each thread opens and caches
 * its own (and a small cache of spellings) on first use, and keeps them
 * until it calls phr_name_cleanup().
 */
#ifndef PHR_REGISTER_NAMES_H
#define PHR_REGISTER_NAMES_H

#include <stddef.h>
#include <stdint.h>

#define PHR_NAME_MAX_IN 400   /* longest name or query accepted, bytes of UTF-8 */
#define PHR_NAME_MAX_KEYS 24  /* most keys for one name or query */
#define PHR_NAME_KEY_LEN 64   /* longest key, bytes, NUL included */

struct phr_name_keys {
	size_t n;                 /* distinct keys, each a NUL-terminated ASCII string */
	size_t need;              /* query only: how many keys a candidate must share */
	char key[PHR_NAME_MAX_KEYS][PHR_NAME_KEY_LEN]; /* zero-padded; key[n..] all zero */
	/* The words (not articles; bit i: the i-th word, at most 12) each key
	 * stands for: a word's skeleton or another spelling of it, its bit;
	 * two neighbours joined, both; the whole name (j:, w:), all. */
	uint32_t words[PHR_NAME_MAX_KEYS];
	/* query only: the words a candidate must cover (phr_name_covers) */
	uint32_t need_words;
};

enum phr_name_rank {
	PHR_NAME_NONE = 0,
	PHR_NAME_FUZZY = 1,         /* close after transliteration (a letter or vowel apart) */
	PHR_NAME_TRANSLITERATED = 2,/* equal after transliteration to Latin and folding */
	PHR_NAME_EXACT = 3,         /* equal in the same script after case and accent folding */
};

/* Keys to store for one full name (given and family names joined by a
 * space; the first 12 words, articles included, count). PHR_OK, or with a message (phr_fail)
 * and no keys: PHR_E_ARG (NULL, or not UTF-8), PHR_E_LIMIT (longer than
 * PHR_NAME_MAX_IN), or PHR_E_NAME_ICU (ICU failed). A text without a
 * letter (or only an article) gives PHR_OK and no key. out->need is 0. */
int phr_name_index_keys(const char *utf8, struct phr_name_keys *out);
/* Keys to look up for a clerk's query, as for phr_name_index_keys, and
 * out->need: 2 when the query has two words or more, else 1; never more
 * than out->n; 0 only when there is no key (nothing to look for: find
 * nothing). A stored name always holds `need` of its own query keys. */
int phr_name_query_keys(const char *utf8, struct phr_name_keys *out);
/* Whether a stored name is a candidate for a query: it shares query->need
 * of the query's keys (`shared` of them) and covers every word of
 * query->need_words (`held`: the OR of query->words[i] over the query keys
 * i it holds), i.e. each word typed is found by one of its keys (its
 * consonant skeleton or another spelling's, joined with a neighbour, or
 * the whole name's). A word that matches only fuzzily under another
 * skeleton ("Zara" for "Sara") is not looked for, whatever the number of
 * words typed. */
int phr_name_covers(const struct phr_name_keys *query, uint32_t held, size_t shared);
/* How well a stored name matches a query, and why in one English line
 * written to why[0..cap) (cut to fit; why may be NULL with cap 0).
 * Every word of the query must match a different word of the name (or two
 * neighbouring words one); the name may hold more ("(2 of 3 names)").
 * The rank is the weakest word's:
 *   EXACT           same letters in the same script after case, accent and
 *                   Arabic/Farsi letter-variant folding ("exact: 'sara' 'ahmad'");
 *   TRANSLITERATED  equal after transliteration and spelling folds (kh/h,
 *                   doubled letters, final h), or, against Arabic script, the
 *                   Latin spelling is the Arabic one with its unwritten short
 *                   vowels filled in ("transliterated: 'sara'='sarh' 'ahmad'='ahmd'");
 *   FUZZY           the same consonant skeleton and at most two letters apart,
 *                   one letter apart, or more vowels filled in ("fuzzy: 'muller'~'mueller'");
 *   NONE            a query word matches nothing ("no match: 'omar' is not in the name"),
 *                   or an argument is not a name. */
enum phr_name_rank phr_name_rank(const char *query, const char *name, char *why, size_t cap);
/* Releases this thread's cached transliterators and spellings (optional,
 * at exit or thread end; a later call opens them again). */
void phr_name_cleanup(void);

#endif
