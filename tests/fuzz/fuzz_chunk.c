/* QR chunks: the input is cut into QR payloads, each a 2-byte big-endian
 * length and that many bytes (the last one takes what is left), all added
 * to one assembler; then every set's container is asked for.
 *
 * Invariants:
 *  - phr_assembler_add fails exactly as phr_chunk_parse does on the same
 *    payload, or with MALFORMED (a contradicting code) or LIMIT (one set
 *    too many); NOT_OURS exactly when the payload starts with neither
 *    "PH1:" nor "PH1" 00; every failure has a message;
 *  - a parsed chunk is what the format allows (version 1, 1 <= k,
 *    k + m <= 255, index < k + m, length 1..PHR_MAX_CONTAINER, data length
 *    ceil(length / k), zero padding in data chunks), and the same chunk in
 *    the other form parses to the same fields;
 *  - *duplicate is true exactly when the set already held that index;
 *    sets and their counts agree with what was accepted; the missing list
 *    is ascending and is exactly the indexes not held;
 *  - a set with fewer than k codes is INCOMPLETE; otherwise the container
 *    comes back (its length is the header's, its BLAKE2b-256 starts with
 *    the tag, it reads as a record whose id starts with the set's prefix,
 *    and when every data code is held it is their bytes) or the error is
 *    CHECKSUM, or the container's own error, or MALFORMED for another
 *    record id; with every data code held and their bytes matching the tag,
 *    it comes back exactly when those bytes read as a record of the set's
 *    prefix; asking twice gives the same answer;
 *  - a container that comes back and reads as a record of the set's id
 *    prefix, cut again with the set's k and m, restores itself.
 */
#include "fuzz.h"

#include <sodium.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "phr/base45.h"
#include "phr/chunk.h"
#include "phr/container.h"

#define MAX_PAYLOADS 512

struct held {
	size_t set;
	unsigned index;
	const uint8_t *payload; /* into the input, as accepted */
	size_t len;
};

static bool ours(const uint8_t *p, size_t n)
{
	return n >= 4 && (!memcmp(p, "PH1:", 4) || !memcmp(p, "PH1\0", 4));
}

static void check_chunk(const uint8_t *payload, const struct phr_chunk *c)
{
	FUZZ_CHECK(c->k >= 1 && c->k + c->m <= PHR_MAX_CHUNKS && c->index < c->k + c->m, "k, m, index");
	FUZZ_CHECK(c->container_len >= 1 && c->container_len <= PHR_MAX_CONTAINER, "container length");
	FUZZ_CHECK(c->data_len == (c->container_len + c->k - 1) / c->k, "data length");
	FUZZ_CHECK(c->mode == (payload[3] == ':' ? PHR_CHUNK_BASE45 : PHR_CHUNK_BYTES), "mode");
	if (c->index < c->k)
		for (size_t b = 0; b < c->data_len; b++)
			if ((size_t)c->index * c->data_len + b >= c->container_len)
				FUZZ_CHECK(c->data[b] == 0, "padding not zero");

	/* the same chunk in the other form */
	uint8_t chunk[PHR_MAX_QR_PAYLOAD], other[PHR_MAX_QR_PAYLOAD * 2], buf[PHR_MAX_QR_PAYLOAD];
	size_t n = PHR_CHUNK_HEADER + c->data_len + PHR_CHUNK_CRC, on;
	FUZZ_CHECK(n <= sizeof(chunk), "chunk size");
	memcpy(chunk, c->data - PHR_CHUNK_HEADER, n);
	if (c->mode == PHR_CHUNK_BYTES) {
		memcpy(other, "PH1:", 4);
		FUZZ_CHECK(phr_base45_encode(chunk, n, (char *)other + 4, sizeof(other) - 4, &on) == PHR_OK, "base45");
		on += 4;
	} else {
		memcpy(other, "PH1\0", 4);
		memcpy(other + 4, chunk, n);
		on = n + 4;
	}
	struct phr_chunk d;
	int rc = phr_chunk_parse(other, on, buf, sizeof(buf), &d);
	if (rc == PHR_E_LIMIT) { /* the text form of a long byte-form chunk */
		FUZZ_CHECK(on > PHR_MAX_QR_PAYLOAD, "limit below PHR_MAX_QR_PAYLOAD");
		return;
	}
	FUZZ_CHECK(rc == PHR_OK, "the other form does not parse");
	FUZZ_CHECK(d.index == c->index && d.k == c->k && d.m == c->m && d.container_len == c->container_len &&
			   d.data_len == c->data_len && !memcmp(d.tag, c->tag, PHR_CHUNK_TAG_LEN) &&
			   !memcmp(d.record_prefix, c->record_prefix, PHR_CHUNK_PREFIX_BYTES) &&
			   !memcmp(d.data, c->data, c->data_len),
		   "the other form parses differently");
}

/* The bytes read as a record whose id starts with prefix. */
static bool record_of_prefix(const uint8_t *c, size_t len, const uint8_t prefix[PHR_CHUNK_PREFIX_BYTES])
{
	struct phr_record *r = NULL;
	if (phr_record_decode(c, len, &r) != PHR_OK)
		return false;
	bool same = !memcmp(r->id, prefix, PHR_CHUNK_PREFIX_BYTES);
	phr_record_destroy(r);
	return same;
}

/* Cut again with the set's parameters; the codes restore the container. */
static void check_recut(const struct phr_set_info *info, const uint8_t *out, size_t len)
{
	struct phr_record *r = NULL;
	if (phr_record_decode(out, len, &r) != PHR_OK)
		return;
	bool same_id = !memcmp(r->id, info->record_prefix, PHR_CHUNK_PREFIX_BYTES);
	phr_record_destroy(r);
	if (!same_id)
		return;
	struct phr_chunk_plan p = { .mode = info->mode, .ecc = PHR_ECC_L, .max_version = 40, .k = info->k, .m = info->m };
	p.data_len = (len + p.k - 1) / p.k;
	size_t chunk = PHR_CHUNK_HEADER + p.data_len + PHR_CHUNK_CRC;
	p.payload_len = PHR_CHUNK_PREFIX_LEN + (p.mode == PHR_CHUNK_BASE45 ? phr_base45_encoded_len(chunk) : chunk);
	p.version = phr_qr_version_for(p.payload_len, p.ecc, p.mode);
	if (p.version == 0)
		return; /* too big for one QR code: the plan would never be made */
	struct phr_chunk_set s;
	FUZZ_CHECK(phr_chunk_split(out, len, &p, &s) == PHR_OK, "a restored container does not cut again");
	struct phr_assembler *a;
	FUZZ_CHECK(phr_assembler_new(&a) == PHR_OK, "assembler");
	for (size_t i = 0; i < s.n; i++)
		FUZZ_CHECK(phr_assembler_add(a, s.payload[i], s.len[i], NULL, NULL) == PHR_OK, "a fresh code refused");
	uint8_t *again = NULL;
	size_t alen = 0;
	FUZZ_CHECK(phr_assembler_count(a) == 1 && phr_assembler_container(a, 0, &again, &alen) == PHR_OK &&
			   alen == len && !memcmp(again, out, len),
		   "cut again, the codes do not restore the container");
	free(again);
	phr_assembler_free(a);
	phr_chunk_set_free(&s);
}

static void check_set(const struct phr_assembler *a, size_t set, const struct held *h, size_t nh)
{
	struct phr_set_info info;
	bool have[PHR_MAX_CHUNKS] = { false };
	unsigned count = 0;
	phr_assembler_info(a, set, &info);
	for (size_t i = 0; i < nh; i++)
		if (h[i].set == set && !have[h[i].index]) {
			have[h[i].index] = true;
			count++;
		}
	FUZZ_CHECK(info.k >= 1 && info.k + info.m <= PHR_MAX_CHUNKS, "set k, m");
	FUZZ_CHECK(info.have == count && count >= 1, "set count");
	FUZZ_CHECK(info.complete == (count >= info.k) && info.need == (count >= info.k ? 0 : info.k - count), "need");
	FUZZ_CHECK(info.n_missing == info.k + info.m - count, "missing count");
	for (size_t i = 0, j = 0; i < info.k + info.m; i++)
		if (!have[i])
			FUZZ_CHECK(info.missing[j++] == i, "missing list");

	uint8_t *out = (uint8_t *)&out;
	size_t len = 1;
	int rc = phr_assembler_container(a, set, &out, &len);
	if (!info.complete) {
		FUZZ_CHECK(rc == PHR_E_INCOMPLETE && !out && len == 0, "incomplete set");
		FUZZ_CHECK(strstr(phr_last_error(), "missing") != NULL, "incomplete message");
		return;
	}
	FUZZ_CHECK(rc == PHR_OK || rc == PHR_E_CHECKSUM || PHR_ERR_IS_MALFORMED(rc) || rc == PHR_E_LIMIT,
		   "container error code");
	FUZZ_CHECK(rc == PHR_OK || *phr_last_error(), "container error without a message");
	FUZZ_CHECK(rc == PHR_OK || (!out && len == 0), "output after a failure");
	uint8_t *again = NULL;
	size_t alen = 0;
	int rc2 = phr_assembler_container(a, set, &again, &alen);
	FUZZ_CHECK(rc2 == rc && alen == len && (!len || !memcmp(again, out, len)), "not deterministic");
	free(again);

	/* every data code held: the container is their bytes, or nothing */
	bool all_data = true;
	for (unsigned i = 0; i < info.k; i++)
		all_data = all_data && have[i];
	if (rc == PHR_OK) {
		uint8_t digest[32];
		FUZZ_CHECK(len == info.container_len, "container length");
		crypto_generichash(digest, sizeof(digest), out, len, NULL, 0);
		FUZZ_CHECK(!memcmp(digest, info.tag, PHR_CHUNK_TAG_LEN), "container does not match its tag");
		FUZZ_CHECK(record_of_prefix(out, len, info.record_prefix), "a container of another record comes back");
		check_recut(&info, out, len);
	}
	if (all_data) {
		/* join the held data codes here: with their bytes matching the
		 * tag the container must come back, as exactly those bytes */
		uint8_t *joined = malloc(info.container_len), buf[PHR_MAX_QR_PAYLOAD], t[32];
		size_t l = (info.container_len + info.k - 1) / info.k;
		FUZZ_CHECK(joined != NULL, "out of memory");
		for (unsigned i = 0; i < info.k; i++) {
			size_t j = 0;
			struct phr_chunk c;
			while (!(h[j].set == set && h[j].index == i))
				j++;
			FUZZ_CHECK(phr_chunk_parse(h[j].payload, h[j].len, buf, sizeof(buf), &c) == PHR_OK, "parse again");
			size_t start = (size_t)i * l;
			if (start < info.container_len)
				memcpy(joined + start, c.data, info.container_len - start < l ? info.container_len - start : l);
		}
		crypto_generichash(t, sizeof(t), joined, info.container_len, NULL, 0);
		if (!memcmp(t, info.tag, PHR_CHUNK_TAG_LEN) && record_of_prefix(joined, info.container_len, info.record_prefix))
			FUZZ_CHECK(rc == PHR_OK && !memcmp(out, joined, len), "data codes that match the tag are refused");
		else if (!memcmp(t, info.tag, PHR_CHUNK_TAG_LEN))
			FUZZ_CHECK(rc != PHR_OK && rc != PHR_E_CHECKSUM,
				   "data codes of an unreadable container, or another record's, give a container");
		else
			FUZZ_CHECK(rc == PHR_E_CHECKSUM, "data codes that miss the tag give a container");
		free(joined);
	}
	if (rc == PHR_OK)
		free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct phr_assembler *a;
	static struct held h[MAX_PAYLOADS];
	size_t nh = 0, off = 0, n = 0;

	FUZZ_CHECK(phr_assembler_new(&a) == PHR_OK, "assembler");
	while (off < size && n < MAX_PAYLOADS) {
		size_t len = off + 2 <= size ? (size_t)data[off] << 8 | data[off + 1] : 0;
		off += 2;
		if (off > size)
			off = size;
		if (len > size - off)
			len = size - off;
		const uint8_t *p = data + off;
		off += len;
		n++;

		uint8_t buf[PHR_MAX_QR_PAYLOAD];
		struct phr_chunk c;
		int prc = phr_chunk_parse(p, len, buf, sizeof(buf), &c);
		size_t set = SIZE_MAX;
		bool dup = true;
		size_t before = phr_assembler_count(a);
		int rc = phr_assembler_add(a, p, len, &set, &dup);
		if (prc != PHR_OK) {
			FUZZ_CHECK_ERR(prc);
			FUZZ_CHECK(rc == prc, "add and parse disagree");
			FUZZ_CHECK((prc == PHR_E_NOT_OURS) == !ours(p, len), "NOT_OURS is not exactly a missing prefix");
			FUZZ_CHECK(prc == PHR_E_NOT_OURS || prc == PHR_E_CHECKSUM || prc == PHR_E_MALFORMED ||
					   prc == PHR_E_VERSION || prc == PHR_E_LIMIT,
				   "parse error code");
			FUZZ_CHECK(phr_last_error()[0] != '\0', "failure without a message");
			FUZZ_CHECK(c.data == NULL && c.k == 0, "parse output after a failure");
			FUZZ_CHECK(!dup && phr_assembler_count(a) == before, "a refused code changed the assembler");
			continue;
		}
		check_chunk(p, &c);
		if (rc != PHR_OK) {
			FUZZ_CHECK(rc == PHR_E_MALFORMED || rc == PHR_E_LIMIT, "add error code");
			FUZZ_CHECK(rc != PHR_E_LIMIT || before == PHR_MAX_SETS, "LIMIT below PHR_MAX_SETS sets");
			FUZZ_CHECK(phr_last_error()[0] != '\0', "failure without a message");
			FUZZ_CHECK(!dup && phr_assembler_count(a) == before, "a refused code changed the assembler");
			continue;
		}
		FUZZ_CHECK(set < phr_assembler_count(a) && phr_assembler_count(a) <= PHR_MAX_SETS, "set index");
		FUZZ_CHECK(set < before || (set == before && phr_assembler_count(a) == before + 1), "new set index");
		bool seen = false;
		for (size_t i = 0; i < nh; i++)
			seen = seen || (h[i].set == set && h[i].index == c.index);
		FUZZ_CHECK(dup == seen, "duplicate flag");
		h[nh++] = (struct held){ set, c.index, p, len };
	}
	for (size_t s = 0; s < phr_assembler_count(a); s++)
		check_set(a, s, h, nh);
	/* no such set */
	uint8_t *out = NULL;
	size_t len = 0;
	FUZZ_CHECK(phr_assembler_container(a, phr_assembler_count(a), &out, &len) == PHR_E_ARG && !out,
		   "a set that does not exist");
	phr_assembler_free(a);
	return 0;
}
