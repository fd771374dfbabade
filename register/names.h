/* phr — names as a clerk searches them (register/names.c).
 *
 * A name is written in any script ("Sara Al-Ahmad", "سارة الأحمد",
 * "Сара Аль-Ахмад", "Σάρα Αλ Αχμαντ"). The register stores, for every
 * spelling of a holder's name, a small set of index keys; a query is turned
 * into keys the same way, and a stored name is a candidate when it shares
 * at least `need` of the query's keys. Candidates are then ranked by
 * phr_name_rank, which also says why they matched. Transliteration is ICU's
 * ("Any-Latin; Latin-ASCII"), never a hand-written table.
 *
 * Case, diacritics, hyphens, apostrophes and word order never matter.
 */
#ifndef PHR_REGISTER_NAMES_H
#define PHR_REGISTER_NAMES_H

#include <stddef.h>

#define PHR_NAME_MAX_IN 400   /* longest name or query accepted, bytes of UTF-8 */
#define PHR_NAME_MAX_KEYS 24  /* most keys for one name or query */
#define PHR_NAME_KEY_LEN 64   /* longest key, bytes, NUL included */

struct phr_name_keys {
	size_t n;                 /* distinct keys, each a NUL-terminated ASCII string */
	size_t need;              /* query only: how many keys a candidate must share */
	char key[PHR_NAME_MAX_KEYS][PHR_NAME_KEY_LEN];
};

enum phr_name_rank {
	PHR_NAME_NONE = 0,
	PHR_NAME_FUZZY = 1,         /* close after transliteration (a letter or vowel apart) */
	PHR_NAME_TRANSLITERATED = 2,/* equal after transliteration to Latin and folding */
	PHR_NAME_EXACT = 3,         /* equal in the same script after case and accent folding */
};

/* Keys to store for one full name (given and family names joined by a
 * space). PHR_OK, or with a message (phr_fail): PHR_E_ARG (not UTF-8),
 * PHR_E_LIMIT (longer than PHR_NAME_MAX_IN), PHR_E_NOMEM, or
 * PHR_E_NAME_ICU (ICU failed). */
int phr_name_index_keys(const char *utf8, struct phr_name_keys *out);
/* Keys to look up for a clerk's query; out->need is set. */
int phr_name_query_keys(const char *utf8, struct phr_name_keys *out);
/* How well a stored name matches a query, and why in one English line
 * ("transliterated: 'sara al ahmad' = 'sara al ahmad'"). */
enum phr_name_rank phr_name_rank(const char *query, const char *name, char *why, size_t cap);
/* Releases ICU's cached transliterator (optional, at exit). */
void phr_name_cleanup(void);

#endif
