/* Name keys and ranks (register/names.c) on arbitrary bytes.
 *
 * Input: a query, a NUL byte, a stored name (without a NUL, the input is
 * both). Each part is cut at PHR_NAME_MAX_IN + 8 bytes, so that both sides
 * of the limit are reached.
 *
 * Invariants:
 *  - keys: PHR_OK exactly when the text is UTF-8 of at most PHR_NAME_MAX_IN
 *    bytes; else PHR_E_ARG (not UTF-8) or PHR_E_LIMIT, with a message and
 *    no keys. ICU never fails on such a text;
 *  - every key is printable ASCII, NUL-terminated and zero-padded within
 *    PHR_NAME_KEY_LEN, "k:" and two characters at least, distinct; at most
 *    PHR_NAME_MAX_KEYS;
 *  - a query's need is 1 or 2, never above its key count, and 0 only when
 *    it has no key; a name's query keys always find its own index keys;
 *  - a name with keys ranks itself exact; rank is repeatable, and its
 *    explanation is a NUL-terminated line within the buffer that starts
 *    with the rank's word ("no match" for none), also in a short buffer.
 */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "names.h"

#define PART_MAX (PHR_NAME_MAX_IN + 8)

static void check_keys(const char *s, size_t len, const struct phr_name_keys *k, int rc, int query)
{
	if (len > PHR_NAME_MAX_IN) {
		FUZZ_CHECK(rc == PHR_E_LIMIT, "over the limit but not PHR_E_LIMIT");
	} else if (!fuzz_utf8_ok((const uint8_t *)s, len)) {
		FUZZ_CHECK(rc == PHR_E_ARG, "not UTF-8 but not PHR_E_ARG");
	} else {
		FUZZ_CHECK(rc == PHR_OK, "UTF-8 within the limit refused");
	}
	if (rc != PHR_OK) {
		FUZZ_CHECK(k->n == 0 && k->need == 0, "keys left after a failure");
		FUZZ_CHECK(phr_last_error()[0] != '\0', "failure without a message");
		return;
	}
	FUZZ_CHECK(k->n <= PHR_NAME_MAX_KEYS, "too many keys");
	for (size_t i = 0; i < k->n; i++) {
		const char *key = k->key[i];
		size_t l = strnlen(key, PHR_NAME_KEY_LEN);
		FUZZ_CHECK(l < PHR_NAME_KEY_LEN, "key not NUL-terminated");
		FUZZ_CHECK(l >= 4 && key[0] >= 'a' && key[0] <= 'z' && key[1] == ':', "key shape");
		for (size_t c = 0; c < l; c++)
			FUZZ_CHECK(key[c] > ' ' && key[c] < 127, "key not printable ASCII");
		for (size_t c = l; c < PHR_NAME_KEY_LEN; c++)
			FUZZ_CHECK(key[c] == '\0', "key not zero-padded");
		for (size_t o = 0; o < i; o++)
			FUZZ_CHECK(strcmp(k->key[o], key) != 0, "a key twice");
	}
	for (size_t i = k->n; i < PHR_NAME_MAX_KEYS; i++)
		FUZZ_CHECK(k->key[i][0] == '\0', "key past n");
	if (query) {
		FUZZ_CHECK(k->need <= k->n && k->need <= 2, "need above the keys");
		FUZZ_CHECK((k->need == 0) == (k->n == 0), "need 0 with keys, or keys without need");
	} else {
		FUZZ_CHECK(k->need == 0, "index keys with a need");
	}
}

static size_t shared(const struct phr_name_keys *q, const struct phr_name_keys *x)
{
	size_t n = 0;
	for (size_t i = 0; i < q->n; i++)
		for (size_t j = 0; j < x->n; j++)
			n += strcmp(q->key[i], x->key[j]) == 0;
	return n;
}

static void check_why(enum phr_name_rank r, const char *why, size_t cap)
{
	static const char *const word[] = {"no match", "fuzzy", "transliterated", "exact"};
	FUZZ_CHECK(r >= PHR_NAME_NONE && r <= PHR_NAME_EXACT, "rank out of range");
	FUZZ_CHECK(strnlen(why, cap) < cap, "explanation not NUL-terminated");
	FUZZ_CHECK(strchr(why, '\n') == NULL, "explanation on more than one line");
	size_t wl = strlen(word[r]);
	if (cap > wl)
		FUZZ_CHECK(strncmp(why, word[r], wl) == 0, "explanation does not start with the rank");
}

static void one_name(const char *s, size_t len, struct phr_name_keys *x, struct phr_name_keys *q)
{
	int rc = phr_name_index_keys(s, x);
	check_keys(s, len, x, rc, 0);
	rc = phr_name_query_keys(s, q);
	check_keys(s, len, q, rc, 1);
	if (rc == PHR_OK && q->n > 0) {
		char why[200];
		FUZZ_CHECK(shared(q, x) >= q->need, "a name does not find itself");
		enum phr_name_rank r = phr_name_rank(s, s, why, sizeof(why));
		check_why(r, why, sizeof(why));
		FUZZ_CHECK(r == PHR_NAME_EXACT, "a name is not exact to itself");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char a[PART_MAX + 1], b[PART_MAX + 1];
	const uint8_t *nul = memchr(data, 0, size);
	size_t la = nul != NULL ? (size_t)(nul - data) : size;
	const uint8_t *pb = nul != NULL ? nul + 1 : data;
	size_t lb = nul != NULL ? size - la - 1 : size;
	struct phr_name_keys xa, qa, xb, qb;
	char why1[256], why2[256], tiny[7];

	if (la > PART_MAX)
		la = PART_MAX;
	/* the name part stops at a second NUL: it is a C string */
	const uint8_t *nul2 = memchr(pb, 0, lb);
	if (nul2 != NULL)
		lb = (size_t)(nul2 - pb);
	if (lb > PART_MAX)
		lb = PART_MAX;
	memcpy(a, data, la);
	a[la] = '\0';
	memcpy(b, pb, lb);
	b[lb] = '\0';

	one_name(a, la, &xa, &qa);
	one_name(b, lb, &xb, &qb);

	enum phr_name_rank r1 = phr_name_rank(a, b, why1, sizeof(why1));
	enum phr_name_rank r2 = phr_name_rank(a, b, why2, sizeof(why2));
	check_why(r1, why1, sizeof(why1));
	FUZZ_CHECK(r1 == r2 && strcmp(why1, why2) == 0, "rank not repeatable");
	memset(tiny, 'x', sizeof(tiny));
	FUZZ_CHECK(phr_name_rank(a, b, tiny, 5) == r1, "rank depends on the buffer");
	FUZZ_CHECK(tiny[4] == '\0' && tiny[5] == 'x', "explanation written past its buffer");
	FUZZ_CHECK(phr_name_rank(a, b, NULL, 0) == r1, "rank depends on the buffer");
	/* a side that is not a valid name never matches */
	if (phr_name_index_keys(a, &xa) != PHR_OK || phr_name_index_keys(b, &xb) != PHR_OK)
		FUZZ_CHECK(r1 == PHR_NAME_NONE, "an invalid name matched");
	(void)qb;
	return 0;
}
