/* Lookup over the generated label tables. */
#include "phr/labels.h"
#include "labels_table.h"

#include <stdlib.h>
#include <string.h>

static const struct phr_label_lang *find_lang(const char *lang)
{
	if (!lang)
		return NULL;
	for (unsigned long i = 0; i < phr_label_lang_n; i++)
		if (strcmp(phr_label_langs[i].lang, lang) == 0)
			return &phr_label_langs[i];
	return NULL;
}

static int cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct phr_label *)elem)->id);
}

const char *phr_label(const char *lang, const char *id)
{
	const struct phr_label_lang *l = find_lang(lang);
	if (!l || !id)
		return NULL;
	const struct phr_label *hit = bsearch(id, l->labels, l->n, sizeof(l->labels[0]), cmp);
	return hit ? hit->text : NULL;
}

const char *phr_label_or(const char *lang, const char *id, const char *fallback)
{
	const char *s = phr_label(lang, id);
	if (!s)
		s = phr_label("en", id);
	return s ? s : fallback;
}

size_t phr_label_lang_count(void) { return phr_label_lang_n; }

const char *phr_label_lang_at(size_t i)
{
	return i < phr_label_lang_n ? phr_label_langs[i].lang : NULL;
}

bool phr_label_has_lang(const char *lang) { return find_lang(lang) != NULL; }

size_t phr_label_count(const char *lang)
{
	const struct phr_label_lang *l = find_lang(lang);
	return l ? l->n : 0;
}

const char *phr_label_id_at(const char *lang, size_t i)
{
	const struct phr_label_lang *l = find_lang(lang);
	return (l && i < l->n) ? l->labels[i].id : NULL;
}

bool phr_lang_is_rtl(const char *lang)
{
	static const char *const rtl[] = { "ar", "fa", "he", "ur", "ps", "ku", "dv", "yi", NULL };
	for (size_t i = 0; lang && rtl[i]; i++)
		if (strcmp(rtl[i], lang) == 0)
			return true;
	return false;
}
