/* QR transport: cutting a container into chunks with Reed–Solomon parity,
 * reading chunks back and restoring containers (docs/FORMAT.md, "QR chunks").
 *
 * Reed–Solomon arithmetic is libfec's (init_rs_char and friends): one
 * shortened RS(k+m, k) codeword per byte position, chunk index = codeword
 * position. The reader never decompresses: it restores bytes and checks
 * them against the container tag; decoding the container is the caller's
 * next step. */
#include "phr/chunk.h"

#include <fec.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "phr/base45.h"
#include "phr/container.h"
#include "phr/crypto.h"

#define BYTE_PREFIX "PH1\0"
#define RS_SYMSIZE 8
#define RS_GFPOLY 0x11d
#define RS_FCR 1
#define RS_PRIM 1
#define RS_N 255

static const char ecc_name[4] = { 'L', 'M', 'Q', 'H' };

static size_t ceil_div(size_t a, size_t b)
{
	return a / b + (a % b != 0);
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint32_t crc_of(const uint8_t *p, size_t n)
{
	/* chunks are at most PHR_MAX_QR_PAYLOAD bytes: n fits a uInt */
	return (uint32_t)crc32(crc32(0L, Z_NULL, 0), p, (uInt)n);
}

static void tag_of(const uint8_t *container, size_t len, uint8_t tag[PHR_CHUNK_TAG_LEN])
{
	uint8_t h[crypto_generichash_BYTES];
	crypto_generichash(h, sizeof(h), container, len, NULL, 0);
	memcpy(tag, h, PHR_CHUNK_TAG_LEN);
}

/* Characters (BASE45) or bytes (BYTES) of the QR payload of a chunk with
 * data_len data bytes. */
static size_t payload_len_for(int mode, size_t data_len)
{
	size_t chunk = PHR_CHUNK_HEADER + data_len + PHR_CHUNK_CRC;
	return PHR_CHUNK_PREFIX_LEN + (mode == PHR_CHUNK_BASE45 ? phr_base45_encoded_len(chunk) : chunk);
}

static int check_qr_args(const char *who, int mode, int ecc, int max_version)
{
	if (mode != PHR_CHUNK_BASE45 && mode != PHR_CHUNK_BYTES)
		return phr_fail(PHR_E_ARG, "%s: mode %d is neither Base45 (0) nor bytes (1)", who, mode);
	if (ecc < PHR_ECC_L || ecc > PHR_ECC_H)
		return phr_fail(PHR_E_ARG, "%s: error correction level %d is not L, M, Q or H (0..3)", who, ecc);
	if (max_version < 1 || max_version > 40)
		return phr_fail(PHR_E_ARG, "%s: QR version %d is outside 1..40", who, max_version);
	return PHR_OK;
}

int phr_chunk_plan(size_t container_len, int mode, int ecc, int max_version, unsigned parity,
		   struct phr_chunk_plan *out)
{
	int rc;
	memset(out, 0, sizeof(*out));
	if ((rc = check_qr_args("chunk plan", mode, ecc, max_version)))
		return rc;
	if (container_len == 0)
		return phr_fail(PHR_E_ARG, "chunk plan: the container is empty");
	if (container_len > PHR_MAX_CONTAINER)
		return phr_fail(PHR_E_LIMIT, "chunk plan: container of %zu bytes, more than PHR_MAX_CONTAINER (%d)",
				container_len, PHR_MAX_CONTAINER);
	if (parity >= PHR_MAX_CHUNKS)
		return phr_fail(PHR_E_LIMIT, "chunk plan: %u parity codes leave no room for data: at most %d codes in all",
				parity, PHR_MAX_CHUNKS);
	size_t cap = phr_qr_capacity(max_version, ecc, mode);
	/* The payload shrinks as k grows, so the first k that fits is the
	 * smallest; every one of its data chunks then holds container bytes
	 * (had chunk k-1 been all padding, k-1 chunks would have fitted). */
	for (unsigned k = 1; k + parity <= PHR_MAX_CHUNKS; k++) {
		size_t l = ceil_div(container_len, k);
		size_t plen = payload_len_for(mode, l);
		if (plen <= cap) {
			out->mode = mode;
			out->ecc = ecc;
			out->max_version = max_version;
			out->k = k;
			out->m = parity;
			out->data_len = l;
			out->payload_len = plen;
			out->version = phr_qr_version_for(plen, ecc, mode);
			return PHR_OK;
		}
	}
	return phr_fail(PHR_E_LIMIT,
			"chunk plan: a container of %zu bytes needs more than %u data codes of at most version %d-%c "
			"(%s), with %u parity codes",
			container_len, PHR_MAX_CHUNKS - parity, max_version, ecc_name[ecc],
			mode == PHR_CHUNK_BASE45 ? "Base45" : "bytes", parity);
}

/* ---- splitting ---------------------------------------------------------- */

void phr_chunk_set_free(struct phr_chunk_set *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n && i < PHR_MAX_CHUNKS; i++) {
		free(s->payload[i]);
		s->payload[i] = NULL;
		s->len[i] = 0;
	}
	s->n = 0;
}

static int check_plan(size_t len, const struct phr_chunk_plan *p)
{
	int rc;
	if ((rc = check_qr_args("chunk split: plan", p->mode, p->ecc, p->max_version)))
		return rc;
	if (len == 0)
		return phr_fail(PHR_E_ARG, "chunk split: the container is empty");
	if (len > PHR_MAX_CONTAINER)
		return phr_fail(PHR_E_LIMIT, "chunk split: container of %zu bytes, more than PHR_MAX_CONTAINER (%d)", len,
				PHR_MAX_CONTAINER);
	if (p->k < 1 || p->k > PHR_MAX_CHUNKS || p->m > PHR_MAX_CHUNKS - p->k)
		return phr_fail(PHR_E_ARG, "chunk split: plan with k = %u, m = %u: need k >= 1 and k + m <= %d", p->k, p->m,
				PHR_MAX_CHUNKS);
	if (p->data_len != ceil_div(len, p->k))
		return phr_fail(PHR_E_ARG,
				"chunk split: plan data length %zu is not this container's %zu bytes cut in %u (%zu)",
				p->data_len, len, p->k, ceil_div(len, p->k));
	size_t plen = payload_len_for(p->mode, p->data_len);
	int v = phr_qr_version_for(plen, p->ecc, p->mode);
	if (p->payload_len != plen || p->version != v || v == 0 || v > p->max_version)
		return phr_fail(PHR_E_ARG,
				"chunk split: plan payload %zu / version %d disagree with its data length (%zu, version %d, "
				"at most %d)",
				p->payload_len, p->version, plen, v, p->max_version);
	return PHR_OK;
}

/* The record id of a container, through the one decoder of the format:
 * cutting happens once per print, and refusing to cut bytes that are not
 * a readable container catches a wrong file before it is printed. */
static int record_prefix_of(const uint8_t *container, size_t len, uint8_t prefix[PHR_CHUNK_PREFIX_BYTES])
{
	struct phr_record *r = NULL;
	int rc = phr_record_decode(container, len, &r);
	if (rc)
		return phr_fail_wrap(rc, "chunk split: not a readable container");
	memcpy(prefix, r->id, PHR_CHUNK_PREFIX_BYTES);
	phr_record_destroy(r);
	return PHR_OK;
}

/* Byte b of data chunk i: container bytes, zero past the end. */
static uint8_t data_byte(const uint8_t *container, size_t len, size_t l, size_t i, size_t b)
{
	size_t at = i * l + b;
	return at < len ? container[at] : 0;
}

static int make_payload(const struct phr_chunk_plan *p, const uint8_t header[PHR_CHUNK_HEADER], const uint8_t *data,
			uint8_t *chunk, uint8_t **out, size_t *out_len)
{
	size_t clen = PHR_CHUNK_HEADER + p->data_len + PHR_CHUNK_CRC;
	memcpy(chunk, header, PHR_CHUNK_HEADER);
	memcpy(chunk + PHR_CHUNK_HEADER, data, p->data_len);
	put_be32(chunk + PHR_CHUNK_HEADER + p->data_len, crc_of(chunk, PHR_CHUNK_HEADER + p->data_len));
	uint8_t *q = malloc(p->payload_len);
	if (!q)
		return phr_fail(PHR_E_NOMEM, "chunk split: out of memory");
	if (p->mode == PHR_CHUNK_BASE45) {
		size_t n;
		memcpy(q, PHR_CHUNK_TEXT_PREFIX, PHR_CHUNK_PREFIX_LEN);
		int rc = phr_base45_encode(chunk, clen, (char *)q + PHR_CHUNK_PREFIX_LEN,
					   p->payload_len - PHR_CHUNK_PREFIX_LEN, &n);
		if (rc) {
			free(q);
			return rc;
		}
	} else {
		memcpy(q, BYTE_PREFIX, PHR_CHUNK_PREFIX_LEN);
		memcpy(q + PHR_CHUNK_PREFIX_LEN, chunk, clen);
	}
	*out = q;
	*out_len = p->payload_len;
	return PHR_OK;
}

static int split_kind(const uint8_t *container, size_t len, const struct phr_chunk_plan *plan, int kind,
		      struct phr_chunk_set *out);

int phr_chunk_split(const uint8_t *container, size_t len, const struct phr_chunk_plan *plan,
		    struct phr_chunk_set *out)
{
	return split_kind(container, len, plan, PHR_CHUNK_RECORD, out);
}

int phr_chunk_split_trust(const uint8_t *bundle, size_t len, const struct phr_chunk_plan *plan,
			  struct phr_chunk_set *out)
{
	return split_kind(bundle, len, plan, PHR_CHUNK_TRUST, out);
}

static int split_kind(const uint8_t *container, size_t len, const struct phr_chunk_plan *plan, int kind,
		      struct phr_chunk_set *out)
{
	uint8_t header[PHR_CHUNK_HEADER], col[RS_N];
	uint8_t *parity = NULL, *data = NULL, *chunk = NULL;
	void *rs = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!container)
		return phr_fail(PHR_E_ARG, "chunk split: no container");
	if ((rc = check_plan(len, plan)))
		return rc;
	const size_t l = plan->data_len;
	const unsigned k = plan->k, m = plan->m;

	if (kind == PHR_CHUNK_TRUST) {
		struct phr_trust *t = NULL;
		if ((rc = phr_trust_load(container, len, &t)))
			return phr_fail_wrap(rc, "chunk split: not a readable trust bundle");
		phr_trust_destroy(t);
		header[0] = PHR_CHUNK_VERSION_TRUST;
		memcpy(header + 1, PHR_CHUNK_TRUST_PREFIX, PHR_CHUNK_PREFIX_BYTES);
	} else {
		header[0] = PHR_CHUNK_VERSION;
		if ((rc = record_prefix_of(container, len, header + 1)))
			return rc;
	}
	tag_of(container, len, header + 5);
	header[10] = (uint8_t)k;
	header[11] = (uint8_t)m;
	header[12] = (uint8_t)(len >> 16);
	header[13] = (uint8_t)(len >> 8);
	header[14] = (uint8_t)len;

	/* l is bounded by the plan's QR capacity check (< PHR_MAX_QR_PAYLOAD),
	 * m by PHR_MAX_CHUNKS: these are at most ~1 MB together */
	data = malloc(l);
	chunk = malloc(PHR_CHUNK_HEADER + l + PHR_CHUNK_CRC);
	parity = m ? calloc(m, l) : NULL;
	if (!data || !chunk || (m && !parity)) {
		rc = phr_fail(PHR_E_NOMEM, "chunk split: out of memory");
		goto out;
	}
	if (m) {
		rs = init_rs_char(RS_SYMSIZE, RS_GFPOLY, RS_FCR, RS_PRIM, (int)m, RS_N - (int)k - (int)m);
		if (!rs) {
			rc = phr_fail(PHR_E_NOMEM, "chunk split: Reed-Solomon code (%u, %u) cannot be set up", k + m, k);
			goto out;
		}
		for (size_t b = 0; b < l; b++) {
			uint8_t par[RS_N];
			for (size_t i = 0; i < k; i++)
				col[i] = data_byte(container, len, l, i, b);
			encode_rs_char(rs, col, par);
			for (size_t j = 0; j < m; j++)
				parity[j * l + b] = par[j];
		}
	}
	for (unsigned i = 0; i < k + m; i++) {
		const uint8_t *d;
		if (i < k) {
			for (size_t b = 0; b < l; b++)
				data[b] = data_byte(container, len, l, i, b);
			d = data;
		} else {
			d = parity + (size_t)(i - k) * l;
		}
		header[9] = (uint8_t)i;
		if ((rc = make_payload(plan, header, d, chunk, &out->payload[i], &out->len[i])))
			goto out;
		out->n = i + 1;
	}
	rc = PHR_OK;
out:
	if (rs)
		free_rs_char(rs);
	free(parity);
	free(data);
	free(chunk);
	if (rc)
		phr_chunk_set_free(out);
	return rc;
}

/* ---- parsing ------------------------------------------------------------ */

/* The first bytes of a payload that is not ours, printable, for the message. */
static void describe_start(const uint8_t *p, size_t n, char *out, size_t cap)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	for (size_t i = 0; i < n && i < 8 && o + 5 < cap; i++) {
		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '"' && p[i] != '\\') {
			out[o++] = (char)p[i];
		} else {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[p[i] >> 4];
			out[o++] = hex[p[i] & 15];
		}
	}
	out[o] = '\0';
}

/* Messages name a code as "code i of n" with i = index + 1, the way
 * printed labels number them. */
static int parse_fields(const uint8_t *chunk, size_t n, struct phr_chunk *c)
{
	unsigned version = chunk[0];
	c->index = chunk[9];
	c->k = chunk[10];
	c->m = chunk[11];
	c->container_len = (size_t)chunk[12] << 16 | (size_t)chunk[13] << 8 | chunk[14];
	c->data_len = n - PHR_CHUNK_HEADER - PHR_CHUNK_CRC;
	if (version != PHR_CHUNK_VERSION && version != PHR_CHUNK_VERSION_TRUST)
		return phr_fail(PHR_E_VERSION,
				"phr code: header field version is %u, this reader knows versions %d (record) and %d "
				"(trust bundle)",
				version, PHR_CHUNK_VERSION, PHR_CHUNK_VERSION_TRUST);
	c->kind = version == PHR_CHUNK_VERSION_TRUST ? PHR_CHUNK_TRUST : PHR_CHUNK_RECORD;
	if (c->kind == PHR_CHUNK_TRUST && memcmp(chunk + 1, PHR_CHUNK_TRUST_PREFIX, PHR_CHUNK_PREFIX_BYTES))
		return phr_fail(PHR_E_MALFORMED, "phr code: a trust bundle's code without \"%s\" in its header",
				PHR_CHUNK_TRUST_PREFIX);
	if (c->k == 0)
		return phr_fail(PHR_E_MALFORMED, "phr code: header field k (data codes) is 0, must be 1..%d",
				PHR_MAX_CHUNKS);
	if (c->m > PHR_MAX_CHUNKS - c->k)
		return phr_fail(PHR_E_MALFORMED, "phr code: header field m (parity codes) is %u: with k = %u that makes %u codes, more than %d",
				c->m, c->k, c->k + c->m, PHR_MAX_CHUNKS);
	if (c->index >= c->k + c->m)
		return phr_fail(PHR_E_MALFORMED, "phr code: header field index is %u, must be below k + m = %u", c->index,
				c->k + c->m);
	if (c->container_len == 0)
		return phr_fail(PHR_E_MALFORMED, "phr code: header field length (container bytes) is 0");
	if (c->container_len > PHR_MAX_CONTAINER)
		return phr_fail(PHR_E_LIMIT,
				"phr code: header field length (container bytes) is %zu, more than PHR_MAX_CONTAINER (%d)",
				c->container_len, PHR_MAX_CONTAINER);
	size_t l = ceil_div(c->container_len, c->k);
	if (c->data_len != l)
		return phr_fail(PHR_E_MALFORMED,
				"phr code %u of %u: holds %zu data bytes, but header field length %zu in k = %u codes "
				"makes %zu",
				c->index + 1, c->k + c->m, c->data_len, c->container_len, c->k, l);
	if (c->index < c->k) {
		size_t start = (size_t)c->index * l;
		size_t real = c->container_len > start ? c->container_len - start : 0;
		for (size_t b = real < l ? real : l; b < l; b++)
			if (chunk[PHR_CHUNK_HEADER + b] != 0)
				return phr_fail(PHR_E_MALFORMED,
						"phr code %u of %u: padding byte %zu after the end of the container is not zero",
						c->index + 1, c->k + c->m, b);
	}
	memcpy(c->record_prefix, chunk + 1, PHR_CHUNK_PREFIX_BYTES);
	memcpy(c->tag, chunk + 5, PHR_CHUNK_TAG_LEN);
	c->data = chunk + PHR_CHUNK_HEADER;
	return PHR_OK;
}

int phr_chunk_parse(const uint8_t *payload, size_t len, uint8_t *buf, size_t cap, struct phr_chunk *c)
{
	size_t n = 0;
	int rc;
	memset(c, 0, sizeof(*c));
	if (!payload && len)
		return phr_fail(PHR_E_ARG, "phr code: no payload");
	if (len >= PHR_CHUNK_PREFIX_LEN && !memcmp(payload, PHR_CHUNK_TEXT_PREFIX, PHR_CHUNK_PREFIX_LEN)) {
		c->mode = PHR_CHUNK_BASE45;
	} else if (len >= PHR_CHUNK_PREFIX_LEN && !memcmp(payload, BYTE_PREFIX, PHR_CHUNK_PREFIX_LEN)) {
		c->mode = PHR_CHUNK_BYTES;
	} else {
		char start[40];
		describe_start(payload, len, start, sizeof(start));
		return phr_fail(PHR_E_NOT_OURS, "not a phr code: it starts with \"%s\", not \"PH1:\"", start);
	}
	if (len > PHR_MAX_QR_PAYLOAD)
		return phr_fail(PHR_E_LIMIT, "phr code: payload of %zu characters, more than PHR_MAX_QR_PAYLOAD (%d)", len,
				PHR_MAX_QR_PAYLOAD);
	if (c->mode == PHR_CHUNK_BASE45) {
		rc = phr_base45_decode((const char *)payload + PHR_CHUNK_PREFIX_LEN, len - PHR_CHUNK_PREFIX_LEN, buf, cap,
				       &n);
		if (rc) {
			memset(c, 0, sizeof(*c));
			return phr_fail_wrap(rc, "phr code text after \"%s\"", PHR_CHUNK_TEXT_PREFIX);
		}
	} else {
		n = len - PHR_CHUNK_PREFIX_LEN;
		if (n > cap) {
			memset(c, 0, sizeof(*c));
			return phr_fail(PHR_E_BUFFER, "phr code: %zu bytes, buffer holds %zu", n, cap);
		}
		if (n)
			memcpy(buf, payload + PHR_CHUNK_PREFIX_LEN, n);
	}
	if (n < PHR_CHUNK_HEADER + 1 + PHR_CHUNK_CRC) {
		rc = phr_fail(PHR_E_MALFORMED,
			      "phr code: %zu bytes, shorter than a %d-byte header, one data byte and a %d-byte checksum", n,
			      PHR_CHUNK_HEADER, PHR_CHUNK_CRC);
		goto fail;
	}
	if (crc_of(buf, n - PHR_CHUNK_CRC) != get_be32(buf + n - PHR_CHUNK_CRC)) {
		unsigned idx = buf[9], total = (unsigned)buf[10] + buf[11];
		/* the header may be the damaged part: name the code only if it
		 * reads as a possible one */
		if ((buf[0] == PHR_CHUNK_VERSION || buf[0] == PHR_CHUNK_VERSION_TRUST) && buf[10] && idx < total && total <= PHR_MAX_CHUNKS)
			rc = phr_fail(PHR_E_CHECKSUM,
				      "phr code %u of %u (as its header reads): checksum mismatch, the code was misread or "
				      "is damaged; scan it again",
				      idx + 1, total);
		else
			rc = phr_fail(PHR_E_CHECKSUM,
				      "phr code: checksum mismatch, the code was misread or is damaged; scan it again");
		goto fail;
	}
	if ((rc = parse_fields(buf, n, c)))
		goto fail;
	return PHR_OK;
fail:
	memset(c, 0, sizeof(*c));
	if (n)
		memset(buf, 0, n);
	return rc;
}

/* ---- reassembly --------------------------------------------------------- */

struct set {
	uint8_t prefix[PHR_CHUNK_PREFIX_BYTES];
	uint8_t tag[PHR_CHUNK_TAG_LEN];
	unsigned k, m, have;
	size_t container_len, data_len;
	int mode;                      /* of the first chunk read */
	int kind;                      /* enum phr_chunk_kind */
	uint8_t *data[PHR_MAX_CHUNKS]; /* data_len bytes each, NULL = not held */
};

struct phr_assembler {
	size_t n;
	struct set *sets[PHR_MAX_SETS];
};

int phr_assembler_new(struct phr_assembler **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? PHR_OK : phr_fail(PHR_E_NOMEM, "assembler: out of memory");
}

void phr_assembler_free(struct phr_assembler *a)
{
	if (!a)
		return;
	for (size_t s = 0; s < a->n; s++) {
		for (size_t i = 0; i < PHR_MAX_CHUNKS; i++)
			free(a->sets[s]->data[i]);
		free(a->sets[s]);
	}
	free(a);
}

size_t phr_assembler_count(const struct phr_assembler *a)
{
	return a ? a->n : 0;
}

static bool same_set(const struct set *s, const struct phr_chunk *c)
{
	return s->kind == c->kind && !memcmp(s->prefix, c->record_prefix, PHR_CHUNK_PREFIX_BYTES) &&
	       !memcmp(s->tag, c->tag, PHR_CHUNK_TAG_LEN) && s->k == c->k && s->m == c->m &&
	       s->container_len == c->container_len && s->data_len == c->data_len;
}

int phr_assembler_add(struct phr_assembler *a, const uint8_t *payload, size_t len, size_t *set, bool *duplicate)
{
	uint8_t buf[PHR_MAX_QR_PAYLOAD];
	struct phr_chunk c;
	int rc;

	if (duplicate)
		*duplicate = false;
	if (!a)
		return phr_fail(PHR_E_ARG, "assembler: none given");
	if ((rc = phr_chunk_parse(payload, len, buf, sizeof(buf), &c)))
		return rc;
	size_t s = 0;
	while (s < a->n && !same_set(a->sets[s], &c))
		s++;
	struct set *st = s < a->n ? a->sets[s] : NULL;
	if (st && st->data[c.index]) {
		if (memcmp(st->data[c.index], c.data, c.data_len))
			return phr_fail(PHR_E_MALFORMED,
					"phr code %u of %u contradicts the code %u already read for the same record and "
					"version: one of them is not what was printed",
					c.index + 1, c.k + c.m, c.index + 1);
		if (duplicate)
			*duplicate = true;
		if (set)
			*set = s;
		return PHR_OK;
	}
	if (!st && a->n == PHR_MAX_SETS)
		return phr_fail(PHR_E_LIMIT,
				"phr code %u of %u belongs to yet another record or version: one assembler keeps at most "
				"PHR_MAX_SETS (%d) apart",
				c.index + 1, c.k + c.m, PHR_MAX_SETS);
	/* data_len < PHR_MAX_QR_PAYLOAD (parse bounds it), at most
	 * PHR_MAX_CHUNKS of them per set, PHR_MAX_SETS sets */
	uint8_t *copy = malloc(c.data_len);
	if (!copy)
		return phr_fail(PHR_E_NOMEM, "assembler: out of memory");
	memcpy(copy, c.data, c.data_len);
	if (!st) {
		st = calloc(1, sizeof(*st));
		if (!st) {
			free(copy);
			return phr_fail(PHR_E_NOMEM, "assembler: out of memory");
		}
		memcpy(st->prefix, c.record_prefix, PHR_CHUNK_PREFIX_BYTES);
		memcpy(st->tag, c.tag, PHR_CHUNK_TAG_LEN);
		st->k = c.k;
		st->m = c.m;
		st->container_len = c.container_len;
		st->data_len = c.data_len;
		st->mode = c.mode;
		st->kind = c.kind;
		a->sets[a->n++] = st;
	}
	st->data[c.index] = copy;
	st->have++;
	if (set)
		*set = s;
	return PHR_OK;
}

void phr_assembler_info(const struct phr_assembler *a, size_t set, struct phr_set_info *out)
{
	memset(out, 0, sizeof(*out));
	if (!a || set >= a->n)
		return;
	const struct set *s = a->sets[set];
	memcpy(out->record_prefix, s->prefix, PHR_CHUNK_PREFIX_BYTES);
	memcpy(out->tag, s->tag, PHR_CHUNK_TAG_LEN);
	out->k = s->k;
	out->m = s->m;
	out->have = s->have;
	out->complete = s->have >= s->k;
	for (unsigned i = 0; i < s->k + s->m; i++)
		if (!s->data[i])
			out->missing[out->n_missing++] = (uint8_t)i;
	out->need = s->have >= s->k ? 0 : s->k - s->have;
	out->container_len = s->container_len;
	out->mode = s->mode;
	out->kind = s->kind;
}

/* "codes 2, 5-7 of 9 are missing; any 1 more restores the record", the
 * list cut at a whole number when it would not fit a message. */
static int incomplete(const struct phr_set_info *in)
{
	char list[384];
	size_t o = 0, shown = 0;
	list[0] = '\0';
	for (size_t i = 0; i < in->n_missing;) {
		/* a run of three or more is written as a range */
		size_t j = i;
		while (j + 1 < in->n_missing && in->missing[j + 1] == in->missing[j] + 1)
			j++;
		if (j - i < 2)
			j = i;
		char item[32];
		if (j > i)
			snprintf(item, sizeof(item), "%s%u-%u", o ? ", " : "", in->missing[i] + 1u, in->missing[j] + 1u);
		else
			snprintf(item, sizeof(item), "%s%u", o ? ", " : "", in->missing[i] + 1u);
		size_t il = strlen(item);
		if (o + il + 24 > sizeof(list))
			break;
		memcpy(list + o, item, il + 1);
		o += il;
		shown += j - i + 1;
		i = j + 1;
	}
	if (shown < in->n_missing)
		snprintf(list + o, sizeof(list) - o, " and %zu more", in->n_missing - shown);
	unsigned total = in->k + in->m;
	const char *are = in->n_missing == 1 ? "is" : "are";
	const char *codes = in->n_missing == 1 ? "code" : "codes";
	const char *what = in->kind == PHR_CHUNK_TRUST ? "trust bundle" : "record";
	if (in->need == in->n_missing)
		return phr_fail(PHR_E_INCOMPLETE, "%s %s of %u %s missing; %s needed to restore the %s", codes, list,
				total, are, in->n_missing == 1 ? "it is" : "all are", what);
	return phr_fail(PHR_E_INCOMPLETE, "%s %s of %u %s missing; any %u more %s the %s", codes, list, total, are,
			in->need, in->need == 1 ? "restores" : "restore", what);
}

int phr_assembler_container(const struct phr_assembler *a, size_t set, uint8_t **out, size_t *len)
{
	struct phr_set_info info;
	uint8_t *c = NULL;
	void *rs = NULL;
	int rc;

	*out = NULL;
	*len = 0;
	if (!a || set >= a->n)
		return phr_fail(PHR_E_ARG, "assembler: no set %zu (there are %zu)", set, phr_assembler_count(a));
	const struct set *s = a->sets[set];
	phr_assembler_info(a, set, &info);
	if (!info.complete)
		return incomplete(&info);
	const size_t l = s->data_len, n = s->container_len;
	/* n <= PHR_MAX_CONTAINER, checked when each chunk was parsed */
	if (!(c = malloc(n)))
		return phr_fail(PHR_E_NOMEM, "assembler: out of memory");
	bool all_data = true;
	for (unsigned i = 0; i < s->k; i++)
		all_data = all_data && s->data[i];
	if (all_data) {
		for (unsigned i = 0; i < s->k; i++) {
			size_t start = (size_t)i * l;
			if (start < n)
				memcpy(c + start, s->data[i], n - start < l ? n - start : l);
		}
	} else {
		/* Erasure decoding: every missing index is an erasure (at most m,
		 * since at least k are held); held parity beyond k only adds
		 * checks. */
		int eras[RS_N];
		uint8_t col[RS_N];
		rs = init_rs_char(RS_SYMSIZE, RS_GFPOLY, RS_FCR, RS_PRIM, (int)s->m, RS_N - (int)s->k - (int)s->m);
		if (!rs) {
			rc = phr_fail(PHR_E_NOMEM, "assembler: Reed-Solomon code (%u, %u) cannot be set up", s->k + s->m,
				      s->k);
			goto fail;
		}
		for (size_t b = 0; b < l; b++) {
			for (unsigned i = 0; i < s->k + s->m; i++)
				col[i] = s->data[i] ? s->data[i][b] : 0;
			for (size_t e = 0; e < info.n_missing; e++)
				eras[e] = info.missing[e];
			if (decode_rs_char(rs, col, eras, (int)info.n_missing) < 0) {
				rc = phr_fail(PHR_E_CHECKSUM,
					      "the %u codes held do not agree with each other (Reed-Solomon decoding fails at "
					      "byte %zu): one of them is not what was printed",
					      s->have, b);
				goto fail;
			}
			for (unsigned i = 0; i < s->k; i++) {
				size_t at = (size_t)i * l + b;
				if (at < n)
					c[at] = col[i];
				else if (col[i] != 0) {
					rc = phr_fail(PHR_E_CHECKSUM,
						      "the %u codes held do not agree with each other (restored padding of code "
						      "%u is not zero): one of them is not what was printed",
						      s->have, i + 1);
					goto fail;
				}
			}
		}
		free_rs_char(rs);
		rs = NULL;
	}
	uint8_t tag[PHR_CHUNK_TAG_LEN];
	tag_of(c, n, tag);
	if (memcmp(tag, s->tag, PHR_CHUNK_TAG_LEN)) {
		rc = phr_fail(PHR_E_CHECKSUM,
			      "the restored container does not match the tag %02x%02x%02x%02x its codes carry: the codes "
			      "held do not belong together",
			      s->tag[0], s->tag[1], s->tag[2], s->tag[3]);
		goto fail;
	}
	/* Neither the CRC nor the tag covers the record id prefix against the
	 * container: a reader reads the restored container and refuses codes
	 * that claim another record than the one they restore. */
	if (s->kind == PHR_CHUNK_TRUST) {
		struct phr_trust *t = NULL;
		if ((rc = phr_trust_load(c, n, &t))) {
			phr_fail_wrap(rc, "the trust bundle restored from codes cannot be read");
			goto fail;
		}
		phr_trust_destroy(t);
		*out = c;
		*len = n;
		return PHR_OK;
	}
	struct phr_record *r = NULL;
	if ((rc = phr_record_decode(c, n, &r))) {
		phr_fail_wrap(rc, "the container restored from codes of record %02x%02x%02x%02x cannot be read",
			      s->prefix[0], s->prefix[1], s->prefix[2], s->prefix[3]);
		goto fail;
	}
	if (memcmp(r->id, s->prefix, PHR_CHUNK_PREFIX_BYTES)) {
		rc = phr_fail(PHR_E_MALFORMED,
			      "the codes say record %02x%02x%02x%02x, but the container they restore has record id "
			      "%02x%02x%02x%02x: the codes were altered",
			      s->prefix[0], s->prefix[1], s->prefix[2], s->prefix[3], r->id[0], r->id[1], r->id[2], r->id[3]);
		phr_record_destroy(r);
		goto fail;
	}
	phr_record_destroy(r);
	*out = c;
	*len = n;
	return PHR_OK;
fail:
	if (rs)
		free_rs_char(rs);
	free(c);
	return rc;
}
