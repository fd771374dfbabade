/* phr — translated labels from layouts/po (compiled in at build time).
 *
 * Ids follow layouts/README.md: field.<path>, enum.<path>.<value>,
 * code.<system>.<code>, country.<CC>, lang.<ll>, ui.<name>.
 * Strings are UTF-8 and static. Thread safe (read-only tables).
 */
#ifndef PHR_LABELS_H
#define PHR_LABELS_H

#include <stdbool.h>
#include <stddef.h>

/* The label in lang, or NULL if that language lacks it. */
const char *phr_label(const char *lang, const char *id);
/* The label in lang, else in English, else fallback. */
const char *phr_label_or(const char *lang, const char *id, const char *fallback);
/* Languages compiled in ("en", "fr", ...). */
size_t phr_label_lang_count(void);
const char *phr_label_lang_at(size_t i);
bool phr_label_has_lang(const char *lang);
/* Number of labels in a language (0 if unknown). */
size_t phr_label_count(const char *lang);
/* The i-th label id of a language (sorted), for completeness checks. */
const char *phr_label_id_at(const char *lang, size_t i);
/* Right-to-left script (ar, fa, he, ur, ps, ...). */
bool phr_lang_is_rtl(const char *lang);

#endif
