/* A stand-in for names.c, ONLY so that the register builds and its tests
 * run before the name matching is merged: lowercase ASCII tokens are the
 * keys, a query needs all of its tokens, and a name ranks EXACT when equal
 * (ignoring case) else FUZZY when it shares a key. Replaced by names.c. */
#include "names.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "phr/error.h"

static int tokens(const char *s, struct phr_name_keys *out)
{
	memset(out, 0, sizeof(*out));
	if (strlen(s) > PHR_NAME_MAX_IN)
		return phr_fail(PHR_E_LIMIT, "name longer than %d bytes", PHR_NAME_MAX_IN);
	char cur[PHR_NAME_KEY_LEN];
	size_t n = 0;
	for (const char *p = s;; p++) {
		unsigned char c = (unsigned char)*p;
		if (c && (isalnum(c) || c >= 0x80)) {
			if (n + 1 < sizeof(cur))
				cur[n++] = (char)tolower(c);
			continue;
		}
		if (n) {
			cur[n] = '\0';
			bool dup = false;
			for (size_t i = 0; i < out->n; i++)
				dup |= !strcmp(out->key[i], cur);
			if (!dup && out->n < PHR_NAME_MAX_KEYS)
				memcpy(out->key[out->n++], cur, n + 1);
			n = 0;
		}
		if (!c)
			break;
	}
	return PHR_OK;
}

int phr_name_index_keys(const char *utf8, struct phr_name_keys *out)
{
	return tokens(utf8, out);
}

int phr_name_query_keys(const char *utf8, struct phr_name_keys *out)
{
	int rc = tokens(utf8, out);
	out->need = out->n;
	return rc;
}

enum phr_name_rank phr_name_rank(const char *query, const char *name, char *why, size_t cap)
{
	struct phr_name_keys q, n;
	if (tokens(query, &q) || tokens(name, &n))
		return PHR_NAME_NONE;
	if (!strcasecmp(query, name)) {
		snprintf(why, cap, "exact: '%s'", name);
		return PHR_NAME_EXACT;
	}
	for (size_t i = 0; i < q.n; i++)
		for (size_t j = 0; j < n.n; j++)
			if (!strcmp(q.key[i], n.key[j])) {
				snprintf(why, cap, "fuzzy: shares '%s'", q.key[i]);
				return PHR_NAME_FUZZY;
			}
	return PHR_NAME_NONE;
}

void phr_name_cleanup(void)
{
}
