/* phr/chunk.h: QR capacity against ISO/IEC 18004 Table 7, the measured
 * notes and libqrencode; the chunk plan; cutting and restoring containers
 * of many sizes in both forms with parity; every subset of every code with
 * k + m <= 8; sets kept apart; damaged, foreign and contradicting codes;
 * every header field out of range; the limits.
 *
 * Expected bytes are worked out here from the wire format in the header
 * comment of chunk.h (zlib crc32, BLAKE2b, libfec's encoder for parity), not
 * read back from the library. */
#include <fec.h>
#include <qrencode.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "fixture.h"
#include "phr/base45.h"
#include "phr/cbor.h"
#include "phr/chunk.h"
#include "phr/compress.h"
#include "phr/crypto.h"
#include "testlib.h"

static struct fixture fx;
static struct phr_record *rec_a1, *rec_a20, *rec_b1;
static const uint8_t id_a[PHR_RECORD_ID_LEN] = { 0xa1, 0xa2, 0xa3, 0xa4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
static const uint8_t id_b[PHR_RECORD_ID_LEN] = { 0xb1, 0xb2, 0xb3, 0xb4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };

static const char qr_alnum[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

/* ---- helpers ------------------------------------------------------------- */

static uint32_t rng = 0x2545f491u;
static uint32_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

static size_t ceil_div(size_t a, size_t b)
{
	return (a + b - 1) / b;
}

/* A record of n entries (the small follow-up example, signed by clinic 1),
 * no certificate embedded: the smallest containers the fixture can make. */
static struct phr_record *small_record(const uint8_t *id, size_t n)
{
	struct phr_record *r;
	if (phr_record_create(id, &r))
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (phr_record_append(r, fx.clinic1, NULL, 0, fx.entry1, fx.entry1_len, FX_T0 + i * FX_DAY)) {
			phr_record_destroy(r);
			return NULL;
		}
	return r;
}

static size_t filler_cost(size_t x)
{
	return x + (x < 24 ? 1 : x < 256 ? 2 : 3);
}

/* A readable container (compression none) of exactly target bytes: r's
 * entries and, as "embedded certificates" (which decoding does not parse),
 * filler byte strings, no two alike (a reader refuses a certificate
 * embedded twice). NULL when target cannot be reached that way. */
static uint8_t *container_exact(const struct phr_record *r, size_t target, size_t *len)
{
	size_t fill[PHR_MAX_EMBEDDED_CERTS], nf = 0, base = 1 + 1 + PHR_RECORD_ID_LEN + 1;
	if (r->n_entries >= 24)
		return NULL;
	for (size_t i = 0; i < r->n_entries; i++)
		base += r->entries[i].raw_len;
	base += 1; /* certificates array head, fewer than 24 */
	if (target < PHR_CONTAINER_HEADER + base)
		return NULL;
	size_t extra = target - PHR_CONTAINER_HEADER - base;
	while (extra) {
		if (nf == PHR_MAX_EMBEDDED_CERTS)
			return NULL;
		size_t x = extra < PHR_MAX_CERT ? extra : PHR_MAX_CERT;
		while (filler_cost(x) > extra)
			x--;
		fill[nf++] = x;
		extra -= filler_cost(x);
	}
	struct phr_cbor_enc e;
	uint8_t *body = NULL, pattern[PHR_MAX_CERT];
	size_t need = 0;
	for (size_t i = 0; i < sizeof(pattern); i++)
		pattern[i] = (uint8_t)(i * 7 + target);
	for (int pass = 0; pass < 2; pass++) {
		phr_cbor_enc_init(&e, body, need);
		phr_cbor_put_array(&e, 3);
		phr_cbor_put_bytes(&e, r->id, PHR_RECORD_ID_LEN);
		phr_cbor_put_array(&e, r->n_entries);
		for (size_t i = 0; i < r->n_entries; i++)
			phr_cbor_put_raw(&e, r->entries[i].raw, r->entries[i].raw_len);
		phr_cbor_put_array(&e, nf);
		for (size_t i = 0; i < nf; i++) {
			pattern[0] = (uint8_t)(i + target);
			phr_cbor_put_bytes(&e, pattern, fill[i]);
		}
		if (phr_cbor_enc_finish(&e, &need) || (pass == 0 && !(body = malloc(need)))) {
			free(body);
			return NULL;
		}
	}
	uint8_t *c = fx_container(body, need, len);
	free(body);
	if (*len != target) {
		free(c);
		return NULL;
	}
	return c;
}

static size_t min_container(const struct phr_record *r)
{
	size_t n = PHR_CONTAINER_HEADER + 1 + 1 + PHR_RECORD_ID_LEN + 1 + 1;
	for (size_t i = 0; i < r->n_entries; i++)
		n += r->entries[i].raw_len;
	return n;
}

/* A plan with a chosen k, filled from the wire format alone. */
static void plan_k(size_t len, int mode, unsigned k, unsigned m, struct phr_chunk_plan *p)
{
	memset(p, 0, sizeof(*p));
	p->mode = mode;
	p->ecc = PHR_ECC_M;
	p->max_version = 40;
	p->k = k;
	p->m = m;
	p->data_len = ceil_div(len, k);
	size_t chunk = 15 + p->data_len + 4;
	p->payload_len = 4 + (mode == PHR_CHUNK_BASE45 ? chunk / 2 * 3 + chunk % 2 * 2 : chunk);
	p->version = phr_qr_version_for(p->payload_len, p->ecc, mode);
}

/* The chunk bytes of a payload (either form), into out. */
static size_t chunk_bytes(const uint8_t *payload, size_t len, uint8_t *out, size_t cap)
{
	size_t n = 0;
	if (!memcmp(payload, "PH1:", 4)) {
		if (phr_base45_decode((const char *)payload + 4, len - 4, out, cap, &n))
			return 0;
		return n;
	}
	if (len - 4 > cap)
		return 0;
	memcpy(out, payload + 4, len - 4);
	return len - 4;
}

/* A payload in the given form for chunk bytes. malloc'd. */
static uint8_t *payload_of(int mode, const uint8_t *chunk, size_t n, size_t *len)
{
	size_t cap = 4 + phr_base45_encoded_len(n);
	uint8_t *p = malloc(cap);
	if (mode == PHR_CHUNK_BASE45) {
		memcpy(p, "PH1:", 4);
		if (phr_base45_encode(chunk, n, (char *)p + 4, cap - 4, len)) {
			free(p);
			return NULL;
		}
		*len += 4;
	} else {
		memcpy(p, "PH1\0", 4);
		memcpy(p + 4, chunk, n);
		*len = n + 4;
	}
	return p;
}

/* Writes the CRC of chunk[0..n-4) into its last 4 bytes. */
static void reseal(uint8_t *chunk, size_t n)
{
	uLong c = crc32(crc32(0L, Z_NULL, 0), chunk, (uInt)(n - 4));
	chunk[n - 4] = (uint8_t)(c >> 24);
	chunk[n - 3] = (uint8_t)(c >> 16);
	chunk[n - 2] = (uint8_t)(c >> 8);
	chunk[n - 1] = (uint8_t)c;
}

/* Numbers listed in "code N of T ..." or "codes A, B-C of T ...". Returns
 * how many, or -1 when the message is not in that form. */
static int listed(const char *msg, bool got[256], unsigned *total)
{
	const char *p = strstr(msg, "code");
	int count = 0;
	memset(got, 0, 256 * sizeof(bool));
	if (!p)
		return -1;
	p += 4;
	if (*p == 's')
		p++;
	if (*p++ != ' ')
		return -1;
	for (;;) {
		char *end;
		unsigned long a = strtoul(p, &end, 10), b = a;
		if (end == p || a == 0 || a > 255)
			return -1;
		p = end;
		if (*p == '-') {
			b = strtoul(p + 1, &end, 10);
			if (end == p + 1 || b < a || b > 255)
				return -1;
			p = end;
		}
		for (unsigned long i = a; i <= b; i++) {
			if (got[i])
				return -1;
			got[i] = true;
			count++;
		}
		if (!strncmp(p, ", ", 2)) {
			p += 2;
			continue;
		}
		if (strncmp(p, " of ", 4))
			return -1;
		*total = (unsigned)strtoul(p + 4, NULL, 10);
		return count;
	}
}

static void tag_of(const uint8_t *c, size_t n, uint8_t tag[4])
{
	uint8_t h[32];
	crypto_generichash(h, sizeof(h), c, n, NULL, 0);
	memcpy(tag, h, 4);
}

/* Checks every payload of a set against the wire format, independently:
 * prefix, QR character set, header, data slices, CRC, tag, RS parity as
 * libfec computes it. */
static int check_set_bytes(const uint8_t *c, size_t len, const struct phr_chunk_plan *p,
			   const struct phr_chunk_set *s, const uint8_t *id)
{
	uint8_t tag[4], chunk[PHR_MAX_QR_PAYLOAD];
	size_t l = p->data_len;
	CHECK(s->n == p->k + p->m);
	tag_of(c, len, tag);
	uint8_t *par = NULL;
	if (p->m) {
		void *rs = init_rs_char(8, 0x11d, 1, 1, (int)p->m, 255 - (int)p->k - (int)p->m);
		uint8_t col[255], pc[255];
		CHECK(rs);
		par = calloc(p->m, l);
		for (size_t b = 0; b < l; b++) {
			for (size_t i = 0; i < p->k; i++)
				col[i] = i * l + b < len ? c[i * l + b] : 0;
			encode_rs_char(rs, col, pc);
			for (size_t j = 0; j < p->m; j++)
				par[j * l + b] = pc[j];
		}
		free_rs_char(rs);
	}
	for (size_t i = 0; i < s->n; i++) {
		CHECK(s->len[i] == p->payload_len);
		if (p->mode == PHR_CHUNK_BASE45) {
			CHECK(!memcmp(s->payload[i], "PH1:", 4));
			for (size_t j = 0; j < s->len[i]; j++)
				CHECK(s->payload[i][j] && strchr(qr_alnum, s->payload[i][j]));
		} else {
			CHECK(!memcmp(s->payload[i], "PH1\0", 4));
		}
		size_t n = chunk_bytes(s->payload[i], s->len[i], chunk, sizeof(chunk));
		CHECK(n == 15 + l + 4);
		CHECK(chunk[0] == 1 && !memcmp(chunk + 1, id, 4) && !memcmp(chunk + 5, tag, 4));
		CHECK(chunk[9] == i && chunk[10] == p->k && chunk[11] == p->m);
		CHECK(((size_t)chunk[12] << 16 | (size_t)chunk[13] << 8 | chunk[14]) == len);
		for (size_t b = 0; b < l; b++) {
			uint8_t want = i < p->k ? (i * l + b < len ? c[i * l + b] : 0) : par[(i - p->k) * l + b];
			CHECK(chunk[15 + b] == want);
		}
		uLong crc = crc32(crc32(0L, Z_NULL, 0), chunk, (uInt)(15 + l));
		CHECK(((uLong)chunk[15 + l] << 24 | (uLong)chunk[16 + l] << 16 | (uLong)chunk[17 + l] << 8 |
		       chunk[18 + l]) == crc);
	}
	free(par);
	return 0;
}

/* Feeds the payloads whose bit is set in mask (in an order depending on
 * salt) into a new assembler. */
static struct phr_assembler *feed(const struct phr_chunk_set *s, uint64_t mask, unsigned salt)
{
	struct phr_assembler *a;
	if (phr_assembler_new(&a))
		return NULL;
	for (size_t j = 0; j < s->n; j++) {
		size_t i = salt & 1 ? s->n - 1 - j : (j + salt) % s->n;
		size_t set;
		bool dup;
		if (i < 64 && mask >> i & 1 && phr_assembler_add(a, s->payload[i], s->len[i], &set, &dup)) {
			phr_assembler_free(a);
			return NULL;
		}
	}
	return a;
}

/* ---- QR capacity ---------------------------------------------------------- */

static const QRecLevel levels[4] = { QR_ECLEVEL_L, QR_ECLEVEL_M, QR_ECLEVEL_Q, QR_ECLEVEL_H };

/* The version libqrencode picks for n characters in one segment; 0 when
 * nothing fits. */
static int qrencode_version(QRencodeMode mode, size_t n, int ecc)
{
	unsigned char *buf = malloc(n + 1);
	for (size_t i = 0; i < n; i++)
		buf[i] = mode == QR_MODE_NUM ? (unsigned char)('0' + i % 10)
			 : mode == QR_MODE_AN ? (unsigned char)qr_alnum[i % 45]
					      : (unsigned char)(i * 131);
	QRinput *in = QRinput_new2(0, levels[ecc]);
	int v = 0;
	if (in && QRinput_append(in, mode, (int)n, buf) == 0) {
		QRcode *q = QRcode_encodeInput(in);
		if (q)
			v = q->version;
		QRcode_free(q);
	}
	QRinput_free(in);
	free(buf);
	return v;
}

/* The published capacities are what the segment costs give: the largest
 * count that fits each version, at every level, alphanumeric and byte. */
static int test_qr_table_is_table7(void)
{
	static const int seg_mode[2] = { PHR_QR_ALNUM, PHR_QR_BYTE };
	for (int ecc = 0; ecc < 4; ecc++)
		for (int mode = 0; mode < 2; mode++)
			for (int v = 1; v <= 40; v++) {
				size_t cap = phr_qr_capacity(v, ecc, mode);
				struct phr_qr_segment at = { seg_mode[mode], cap }, over = { seg_mode[mode], cap + 1 };
				CHECK(cap > 0);
				CHECK(phr_qr_version_segments(&at, 1, ecc) == v);
				CHECK(phr_qr_version_segments(&over, 1, ecc) == (v == 40 ? 0 : v + 1));
				CHECK(phr_qr_version_for(cap, ecc, mode) == v);
				CHECK(phr_qr_version_for(cap + 1, ecc, mode) == (v == 40 ? 0 : v + 1));
			}
	/* a few published figures, from the standard's Table 7 */
	CHECK(phr_qr_capacity(1, PHR_ECC_L, PHR_CHUNK_BASE45) == 25 && phr_qr_capacity(1, PHR_ECC_H, PHR_CHUNK_BYTES) == 7);
	CHECK(phr_qr_capacity(40, PHR_ECC_L, PHR_CHUNK_BASE45) == PHR_MAX_QR_PAYLOAD);
	CHECK(phr_qr_capacity(40, PHR_ECC_L, PHR_CHUNK_BYTES) == 2953);
	CHECK(phr_qr_capacity(40, PHR_ECC_H, PHR_CHUNK_BASE45) == 1852);
	CHECK(phr_qr_capacity(20, PHR_ECC_M, PHR_CHUNK_BASE45) == 970);
	CHECK(phr_qr_data_bits(40, PHR_ECC_L) == 2956 * 8 && phr_qr_data_bits(1, PHR_ECC_M) == 16 * 8);
	/* invalid arguments */
	CHECK(phr_qr_capacity(0, 0, 0) == 0 && phr_qr_capacity(41, 0, 0) == 0 && phr_qr_capacity(1, 4, 0) == 0 &&
	      phr_qr_capacity(1, -1, 0) == 0 && phr_qr_capacity(1, 0, 2) == 0);
	CHECK(phr_qr_version_for(1, 4, 0) == 0 && phr_qr_version_for(1, 0, 7) == 0 && phr_qr_version_for(0, 0, 0) == 1);
	struct phr_qr_segment bad = { 3, 1 };
	CHECK(phr_qr_version_segments(&bad, 1, 0) == 0 && phr_qr_version_segments(NULL, 1, 0) == 0);
	CHECK(phr_qr_data_bits(0, 0) == 0 && phr_qr_data_bits(1, 4) == 0);
	return 0;
}

/* libqrencode (what print/ draws with) picks the same version at every
 * boundary of every level, for alphanumeric, byte and numeric segments,
 * and for a byte segment followed by a numeric one. */
static int test_qr_matches_libqrencode(void)
{
	static const QRencodeMode qmode[2] = { QR_MODE_AN, QR_MODE_8 };
	for (int ecc = 0; ecc < 4; ecc++) {
		for (int mode = 0; mode < 2; mode++)
			for (int v = 1; v <= 40; v++) {
				size_t cap = phr_qr_capacity(v, ecc, mode);
				CHECK(qrencode_version(qmode[mode], cap, ecc) == v);
				CHECK(qrencode_version(qmode[mode], cap + 1, ecc) == (v == 40 ? 0 : v + 1));
			}
		/* numeric, through the segment computation, at a spread of lengths */
		for (size_t n = 1; n < 7100; n = n * 5 / 4 + 1) {
			struct phr_qr_segment s = { PHR_QR_NUMERIC, n };
			CHECK(phr_qr_version_segments(&s, 1, ecc) == qrencode_version(QR_MODE_NUM, n, ecc));
		}
	}
	/* "shc:/" in byte mode, then digits (bench_size's SMART Health Card
	 * baseline) */
	for (size_t n = 10; n < 5000; n = n * 3 / 2) {
		struct phr_qr_segment s[2] = { { PHR_QR_BYTE, 5 }, { PHR_QR_NUMERIC, n } };
		unsigned char *digits = malloc(n);
		for (size_t i = 0; i < n; i++)
			digits[i] = (unsigned char)('0' + i % 10);
		QRinput *in = QRinput_new2(0, QR_ECLEVEL_M);
		CHECK(in && QRinput_append(in, QR_MODE_8, 5, (const unsigned char *)"shc:/") == 0 &&
		      QRinput_append(in, QR_MODE_NUM, (int)n, digits) == 0);
		QRcode *q = QRcode_encodeInput(in);
		int v = q ? q->version : 0;
		QRcode_free(q);
		QRinput_free(in);
		free(digits);
		CHECK(phr_qr_version_segments(s, 2, PHR_ECC_M) == v);
	}
	return 0;
}

/* ../shared/notes/qr.md, "Which QR version a payload needs", measured with
 * libqrencode 4.1.1: binary size -> characters as each encoding sends them
 * (Base45: 3 per 2 bytes; SHC numeric: 2 digits per base64url character). */
static int test_qr_matches_notes(void)
{
	static const struct {
		size_t bytes;
		int mode; /* 0 byte, 1 Base45 alphanumeric, 2 SHC numeric */
		int v[4]; /* L M Q H, 0 = does not fit V40 */
	} row[] = {
		{ 300, 0, { 11, 13, 16, 18 } },   { 300, 1, { 11, 13, 16, 18 } },  { 300, 2, { 12, 14, 17, 19 } },
		{ 600, 0, { 17, 19, 23, 27 } },   { 600, 1, { 17, 19, 24, 27 } },  { 600, 2, { 18, 20, 25, 29 } },
		{ 1000, 0, { 22, 26, 31, 36 } },  { 1000, 1, { 23, 26, 32, 36 } }, { 1000, 2, { 24, 27, 32, 38 } },
		{ 1500, 0, { 28, 32, 39, 0 } },   { 1500, 1, { 29, 33, 39, 0 } },  { 2000, 0, { 33, 38, 0, 0 } },
		{ 2900, 0, { 40, 0, 0, 0 } },
	};
	for (size_t i = 0; i < sizeof(row) / sizeof(row[0]); i++)
		for (int ecc = 0; ecc < 4; ecc++) {
			int v;
			if (row[i].mode == 0) {
				v = phr_qr_version_for(row[i].bytes, ecc, PHR_CHUNK_BYTES);
			} else if (row[i].mode == 1) {
				v = phr_qr_version_for(phr_base45_encoded_len(row[i].bytes), ecc, PHR_CHUNK_BASE45);
			} else {
				struct phr_qr_segment s = { PHR_QR_NUMERIC, 2 * ((4 * row[i].bytes + 2) / 3) };
				v = phr_qr_version_segments(&s, 1, ecc);
			}
			if (v != row[i].v[ecc]) {
				fprintf(stderr, "  %zu bytes, mode %d, level %d: V%d, qr.md says V%d\n", row[i].bytes,
					row[i].mode, ecc, v, row[i].v[ecc]);
				return 1;
			}
		}
	return 0;
}

/* ---- plan ------------------------------------------------------------------ */

static int test_plan_smallest_k(void)
{
	struct phr_chunk_plan p;
	for (size_t len = 1; len <= PHR_MAX_CONTAINER; len = len < 300 ? len + 1 : len * 9 / 8)
		for (int mode = 0; mode < 2; mode++)
			for (int ecc = 0; ecc < 4; ecc++)
				for (int maxv = 2; maxv <= 40; maxv += 6) {
					unsigned parity = (unsigned)(len % 4);
					int rc = phr_chunk_plan(len, mode, ecc, maxv, parity, &p);
					size_t cap = phr_qr_capacity(maxv, ecc, mode);
					struct phr_chunk_plan want;
					/* the smallest k whose payload fits, from the format alone */
					unsigned k = 1;
					for (; k + parity <= 255; k++) {
						plan_k(len, mode, k, parity, &want);
						if (want.payload_len <= cap)
							break;
					}
					if (k + parity > 255) {
						CHECK_RC(rc, PHR_E_LIMIT);
						CHECK(strstr(phr_last_error(), "data codes"));
						continue;
					}
					CHECK_RC(rc, PHR_OK);
					CHECK(p.k == k && p.m == parity && p.data_len == want.data_len);
					CHECK(p.payload_len == want.payload_len && p.payload_len <= cap);
					CHECK(p.version == phr_qr_version_for(p.payload_len, ecc, mode) && p.version <= maxv);
					CHECK(p.mode == mode && p.ecc == ecc && p.max_version == maxv);
					/* every data chunk holds container bytes */
					CHECK((p.k - 1) * p.data_len < len);
				}
	return 0;
}

static int test_plan_rejects(void)
{
	struct phr_chunk_plan p;
	CHECK_RC(phr_chunk_plan(100, 2, PHR_ECC_M, 20, 0, &p), PHR_E_ARG);
	CHECK(strstr(phr_last_error(), "mode"));
	CHECK_RC(phr_chunk_plan(100, PHR_CHUNK_BASE45, 4, 20, 0, &p), PHR_E_ARG);
	CHECK(strstr(phr_last_error(), "level"));
	CHECK_RC(phr_chunk_plan(100, PHR_CHUNK_BASE45, -1, 20, 0, &p), PHR_E_ARG);
	CHECK_RC(phr_chunk_plan(100, PHR_CHUNK_BASE45, PHR_ECC_M, 0, 0, &p), PHR_E_ARG);
	CHECK(strstr(phr_last_error(), "version"));
	CHECK_RC(phr_chunk_plan(100, PHR_CHUNK_BASE45, PHR_ECC_M, 41, 0, &p), PHR_E_ARG);
	CHECK_RC(phr_chunk_plan(0, PHR_CHUNK_BASE45, PHR_ECC_M, 20, 0, &p), PHR_E_ARG);
	CHECK(strstr(phr_last_error(), "empty"));
	CHECK_RC(phr_chunk_plan(PHR_MAX_CONTAINER + 1, PHR_CHUNK_BASE45, PHR_ECC_M, 20, 0, &p), PHR_E_LIMIT);
	CHECK(strstr(phr_last_error(), "PHR_MAX_CONTAINER"));
	CHECK_RC(phr_chunk_plan(100, PHR_CHUNK_BASE45, PHR_ECC_M, 20, 255, &p), PHR_E_LIMIT);
	CHECK_RC(phr_chunk_plan(100, PHR_CHUNK_BASE45, PHR_ECC_M, 20, 254, &p), PHR_OK);
	CHECK(p.k == 1 && p.m == 254);
	/* V1-H holds 10 characters: not even one data byte fits */
	CHECK_RC(phr_chunk_plan(1, PHR_CHUNK_BASE45, PHR_ECC_H, 1, 0, &p), PHR_E_LIMIT);
	CHECK(p.k == 0);
	/* the largest container in V40-L bytes */
	CHECK_RC(phr_chunk_plan(PHR_MAX_CONTAINER, PHR_CHUNK_BYTES, PHR_ECC_L, 40, 0, &p), PHR_OK);
	CHECK(p.k == ceil_div(PHR_MAX_CONTAINER, 2953 - 23) && p.version == 40);
	return 0;
}

/* ---- split and restore ------------------------------------------------------ */

static int round_trip(const uint8_t *c, size_t len, const struct phr_chunk_plan *p, const uint8_t *id, unsigned salt)
{
	struct phr_chunk_set s;
	CHECK_RC(phr_chunk_split(c, len, p, &s), PHR_OK);
	if (check_set_bytes(c, len, p, &s, id)) {
		phr_chunk_set_free(&s);
		return 1;
	}
	/* drop up to m codes, data first so that parity has to work */
	uint8_t keep[255];
	for (size_t i = 0; i < s.n; i++)
		keep[i] = 1;
	unsigned drop = p->m ? next_rand() % (p->m + 1) : 0;
	for (unsigned d = 0; d < drop; d++) {
		size_t i = d < p->k ? next_rand() % p->k : p->k + next_rand() % p->m;
		while (!keep[i])
			i = (i + 1) % s.n;
		keep[i] = 0;
	}
	struct phr_assembler *a;
	CHECK_RC(phr_assembler_new(&a), PHR_OK);
	for (size_t j = 0; j < s.n; j++) {
		size_t i = (j * 7 + salt) % s.n;
		size_t set = 99;
		bool dup = true;
		if (s.n % 7 == 0)
			i = s.n - 1 - j;
		if (!keep[i])
			continue;
		CHECK_RC(phr_assembler_add(a, s.payload[i], s.len[i], &set, &dup), PHR_OK);
		CHECK(set == 0 && !dup);
	}
	/* a repeat changes nothing */
	for (size_t i = 0; i < s.n; i++)
		if (keep[i]) {
			size_t set = 99;
			bool dup = false;
			CHECK_RC(phr_assembler_add(a, s.payload[i], s.len[i], &set, &dup), PHR_OK);
			CHECK(set == 0 && dup);
			break;
		}
	struct phr_set_info info;
	phr_assembler_info(a, 0, &info);
	CHECK(phr_assembler_count(a) == 1 && info.complete && info.have == s.n - drop && info.need == 0);
	CHECK(info.n_missing == drop && info.k == p->k && info.m == p->m && info.container_len == len);
	CHECK(info.mode == p->mode && !memcmp(info.record_prefix, id, 4));
	uint8_t *out = NULL;
	size_t olen = 0;
	CHECK_RC(phr_assembler_container(a, 0, &out, &olen), PHR_OK);
	CHECK(olen == len && !memcmp(out, c, len));
	free(out);
	phr_assembler_free(a);
	phr_chunk_set_free(&s);
	return 0;
}

/* Containers of every size over a range, and of sizes spread up to ~20 KB,
 * both forms, parity 0..3, a maximum version that makes k vary. */
static int test_round_trip_many_sizes(void)
{
	static const int maxv[] = { 2, 5, 10, 15, 25, 40 };
	const struct phr_record *recs[2] = { rec_a1, rec_a20 };
	size_t tried = 0;
	for (int r = 0; r < 2; r++) {
		size_t lo = min_container(recs[r]);
		for (size_t len = lo; len < lo + 7500; len += len < lo + 300 ? 1 : 61) {
			size_t clen;
			uint8_t *c = container_exact(recs[r], len, &clen);
			CHECK(c);
			for (int mode = 0; mode < 2; mode++) {
				unsigned m = (unsigned)((len + (size_t)mode) % 4);
				struct phr_chunk_plan p;
				int rc = PHR_E_LIMIT;
				for (size_t v = len % 6; v < 6 && rc == PHR_E_LIMIT; v++)
					rc = phr_chunk_plan(clen, mode, (int)(len % 4), maxv[v], m, &p);
				CHECK_RC(rc, PHR_OK);
				if (round_trip(c, clen, &p, id_a, (unsigned)len)) {
					fprintf(stderr, "  container of %zu bytes, mode %d, k %u, m %u\n", clen, mode, p.k, p.m);
					free(c);
					return 1;
				}
				tried++;
			}
			free(c);
		}
	}
	/* compressed, as a clinic writes it */
	uint8_t *c;
	size_t clen;
	CHECK_RC(phr_record_encode(rec_a20, -1, &c, &clen), PHR_OK);
	for (unsigned m = 0; m < 6; m++) {
		struct phr_chunk_plan p;
		CHECK_RC(phr_chunk_plan(clen, PHR_CHUNK_BASE45, PHR_ECC_M, 6, m, &p), PHR_OK);
		CHECK(p.k > 1);
		CHECK(!round_trip(c, clen, &p, id_a, m));
	}
	free(c);
	CHECK(tried > 1000);
	return 0;
}

/* For every k + m <= 8: every subset of the k + m codes. Those of k or more
 * restore the container byte for byte; smaller ones are incomplete, with a
 * message that names exactly the missing codes and how many more are
 * needed. */
static int test_exhaustive_subsets(void)
{
	/* 841 = 1 + lcm(1..8): every k >= 2 leaves a one-byte last chunk */
	static const size_t sizes[] = { 841, 1000 };
	size_t subsets = 0;
	for (size_t si = 0; si < 2; si++) {
		size_t len;
		uint8_t *c = container_exact(rec_b1, sizes[si], &len);
		CHECK(c);
		for (unsigned k = 1; k <= 8; k++)
			for (unsigned m = 0; k + m <= 8; m++)
				for (int mode = 0; mode < 2; mode++) {
					struct phr_chunk_plan p;
					struct phr_chunk_set s;
					unsigned n = k + m;
					plan_k(len, mode, k, m, &p);
					CHECK_RC(phr_chunk_split(c, len, &p, &s), PHR_OK);
					CHECK(!check_set_bytes(c, len, &p, &s, id_b));
					for (uint64_t mask = 1; mask < (1u << n); mask++) {
						unsigned have = (unsigned)__builtin_popcountll(mask);
						struct phr_assembler *a = feed(&s, mask, (unsigned)mask);
						struct phr_set_info info;
						uint8_t *out = NULL;
						size_t olen = 0;
						CHECK(a && phr_assembler_count(a) == 1);
						phr_assembler_info(a, 0, &info);
						CHECK(info.have == have && info.complete == (have >= k) && info.n_missing == n - have);
						CHECK(info.need == (have >= k ? 0 : k - have));
						for (size_t i = 0, j = 0; i < n; i++)
							if (!(mask >> i & 1))
								CHECK(info.missing[j++] == i);
						int rc = phr_assembler_container(a, 0, &out, &olen);
						if (have >= k) {
							CHECK_RC(rc, PHR_OK);
							CHECK(olen == len && !memcmp(out, c, len));
						} else {
							bool got[256];
							unsigned total = 0;
							CHECK_RC(rc, PHR_E_INCOMPLETE);
							CHECK(!out && olen == 0);
							const char *msg = phr_last_error();
							CHECK(listed(msg, got, &total) == (int)(n - have) && total == n);
							for (unsigned i = 0; i < n; i++)
								CHECK(got[i + 1] == !(mask >> i & 1));
							char want[64];
							if (k - have == n - have)
								snprintf(want, sizeof(want), "needed to restore the record");
							else
								snprintf(want, sizeof(want), "any %u more restore%s the record", k - have,
									 k - have == 1 ? "s" : "");
							if (!strstr(msg, want)) {
								fprintf(stderr, "  \"%s\" does not say \"%s\"\n", msg, want);
								return 1;
							}
						}
						free(out);
						phr_assembler_free(a);
						subsets++;
					}
					phr_chunk_set_free(&s);
				}
		free(c);
	}
	/* sum over n = 1..8 of n (2^n - 1) choices, per size and form */
	CHECK(subsets == 2 * 2 * 3550);
	return 0;
}

/* The extremes of the code: one data chunk and 254 parity chunks (any one
 * code restores the record), and 200 data chunks with 55 parity. */
static int test_extreme_parity(void)
{
	size_t len;
	uint8_t *c = container_exact(rec_b1, 600, &len);
	struct phr_chunk_plan p;
	struct phr_chunk_set s;
	CHECK(c);
	plan_k(len, PHR_CHUNK_BYTES, 1, 254, &p);
	CHECK_RC(phr_chunk_split(c, len, &p, &s), PHR_OK);
	CHECK(!check_set_bytes(c, len, &p, &s, id_b));
	for (size_t i = 0; i < s.n; i += 50) {
		struct phr_assembler *a = feed(&s, 0, 0);
		uint8_t *out;
		size_t olen;
		CHECK(a);
		CHECK_RC(phr_assembler_add(a, s.payload[254 - i], s.len[254 - i], NULL, NULL), PHR_OK);
		CHECK_RC(phr_assembler_container(a, 0, &out, &olen), PHR_OK);
		CHECK(olen == len && !memcmp(out, c, len));
		free(out);
		phr_assembler_free(a);
	}
	phr_chunk_set_free(&s);

	plan_k(len, PHR_CHUNK_BASE45, 200, 55, &p);
	CHECK_RC(phr_chunk_split(c, len, &p, &s), PHR_OK);
	CHECK(!check_set_bytes(c, len, &p, &s, id_b));
	/* the last 200 codes: 55 data codes missing */
	uint64_t none = 0;
	struct phr_assembler *a = feed(&s, none, 0);
	CHECK(a);
	for (size_t i = 55; i < 255; i++)
		CHECK_RC(phr_assembler_add(a, s.payload[i], s.len[i], NULL, NULL), PHR_OK);
	uint8_t *out;
	size_t olen;
	CHECK_RC(phr_assembler_container(a, 0, &out, &olen), PHR_OK);
	CHECK(olen == len && !memcmp(out, c, len));
	free(out);
	phr_assembler_free(a);
	/* every other code: 128 held, 127 missing; the message stays whole
	 * numbers and says how many it did not list */
	a = feed(&s, none, 0);
	CHECK(a);
	for (size_t i = 0; i < 255; i += 2)
		CHECK_RC(phr_assembler_add(a, s.payload[i], s.len[i], NULL, NULL), PHR_OK);
	CHECK_RC(phr_assembler_container(a, 0, &out, &olen), PHR_E_INCOMPLETE);
	const char *msg = phr_last_error();
	CHECK(strlen(msg) < PHR_ERRMSG_MAX - 1 && strstr(msg, "codes 2, 4, 6, ") && strstr(msg, " more of 255 are missing") &&
	      strstr(msg, "any 72 more restore the record"));
	phr_assembler_free(a);
	/* all but code 1: "codes 2-255" */
	a = feed(&s, none, 0);
	CHECK_RC(phr_assembler_add(a, s.payload[0], s.len[0], NULL, NULL), PHR_OK);
	CHECK_RC(phr_assembler_container(a, 0, &out, &olen), PHR_E_INCOMPLETE);
	CHECK(strstr(phr_last_error(), "codes 2-255 of 255 are missing; any 199 more restore the record"));
	phr_assembler_free(a);
	phr_chunk_set_free(&s);
	free(c);
	return 0;
}

/* ---- sets -------------------------------------------------------------------- */

static int split_plan(const uint8_t *c, size_t len, int mode, unsigned k, unsigned m, struct phr_chunk_set *s)
{
	struct phr_chunk_plan p;
	plan_k(len, mode, k, m, &p);
	return phr_chunk_split(c, len, &p, s);
}

/* Two records' codes shuffled together: two sets, each restored. */
static int test_two_records_mixed(void)
{
	size_t la, lb;
	uint8_t *ca = container_exact(rec_a1, 900, &la), *cb = container_exact(rec_b1, 1300, &lb);
	struct phr_chunk_set sa, sb;
	CHECK(ca && cb);
	CHECK_RC(split_plan(ca, la, PHR_CHUNK_BASE45, 4, 2, &sa), PHR_OK);
	CHECK_RC(split_plan(cb, lb, PHR_CHUNK_BYTES, 5, 1, &sb), PHR_OK);
	struct phr_assembler *a;
	CHECK_RC(phr_assembler_new(&a), PHR_OK);
	/* b's code 3 first, so b is set 0 */
	size_t set;
	bool dup;
	CHECK_RC(phr_assembler_add(a, sb.payload[3], sb.len[3], &set, &dup), PHR_OK);
	CHECK(set == 0);
	for (size_t i = 0; i < 6; i++) {
		if (i != 1) {
			CHECK_RC(phr_assembler_add(a, sa.payload[i], sa.len[i], &set, &dup), PHR_OK);
			CHECK(set == 1 && !dup);
		}
		if (i != 3 && i != 5) {
			CHECK_RC(phr_assembler_add(a, sb.payload[i], sb.len[i], &set, &dup), PHR_OK);
			CHECK(set == 0 && !dup);
		}
	}
	CHECK(phr_assembler_count(a) == 2);
	struct phr_set_info ia, ib;
	phr_assembler_info(a, 1, &ia);
	phr_assembler_info(a, 0, &ib);
	CHECK(!memcmp(ia.record_prefix, id_a, 4) && !memcmp(ib.record_prefix, id_b, 4));
	CHECK(ia.mode == PHR_CHUNK_BASE45 && ib.mode == PHR_CHUNK_BYTES);
	CHECK(ia.have == 5 && ib.have == 5 && ia.complete && ib.complete);
	uint8_t *out;
	size_t olen;
	CHECK_RC(phr_assembler_container(a, 1, &out, &olen), PHR_OK);
	CHECK(olen == la && !memcmp(out, ca, la));
	free(out);
	CHECK_RC(phr_assembler_container(a, 0, &out, &olen), PHR_OK);
	CHECK(olen == lb && !memcmp(out, cb, lb));
	free(out);
	/* no such set */
	CHECK_RC(phr_assembler_container(a, 2, &out, &olen), PHR_E_ARG);
	CHECK(!out && olen == 0);
	phr_assembler_info(a, 2, &ia);
	CHECK(ia.k == 0 && ia.have == 0 && !ia.complete);
	phr_assembler_free(a);
	phr_chunk_set_free(&sa);
	phr_chunk_set_free(&sb);
	free(ca);
	free(cb);
	return 0;
}

/* Two versions of one record (same record id, one entry more): the codes
 * of one never complete the other. */
static int test_two_versions_kept_apart(void)
{
	struct phr_record *r2 = small_record(id_a, 2);
	uint8_t *c1, *c2;
	size_t l1, l2;
	CHECK(r2);
	CHECK_RC(phr_record_encode(rec_a1, PHR_COMP_NONE, &c1, &l1), PHR_OK);
	CHECK_RC(phr_record_encode(r2, PHR_COMP_NONE, &c2, &l2), PHR_OK);
	struct phr_chunk_set s1, s2;
	CHECK_RC(split_plan(c1, l1, PHR_CHUNK_BASE45, 2, 1, &s1), PHR_OK);
	CHECK_RC(split_plan(c2, l2, PHR_CHUNK_BASE45, 2, 1, &s2), PHR_OK);
	struct phr_assembler *a;
	CHECK_RC(phr_assembler_new(&a), PHR_OK);
	CHECK_RC(phr_assembler_add(a, s1.payload[0], s1.len[0], NULL, NULL), PHR_OK);
	CHECK_RC(phr_assembler_add(a, s2.payload[1], s2.len[1], NULL, NULL), PHR_OK);
	CHECK_RC(phr_assembler_add(a, s2.payload[2], s2.len[2], NULL, NULL), PHR_OK);
	CHECK(phr_assembler_count(a) == 2);
	struct phr_set_info i0, i1;
	phr_assembler_info(a, 0, &i0);
	phr_assembler_info(a, 1, &i1);
	CHECK(!memcmp(i0.record_prefix, i1.record_prefix, 4) && memcmp(i0.tag, i1.tag, 4));
	uint8_t *out;
	size_t olen;
	CHECK_RC(phr_assembler_container(a, 0, &out, &olen), PHR_E_INCOMPLETE);
	CHECK(strstr(phr_last_error(), "codes 2, 3 of 3 are missing; any 1 more restores the record"));
	CHECK_RC(phr_assembler_container(a, 1, &out, &olen), PHR_OK);
	CHECK(olen == l2 && !memcmp(out, c2, l2));
	free(out);
	CHECK_RC(phr_assembler_add(a, s1.payload[2], s1.len[2], NULL, NULL), PHR_OK);
	CHECK_RC(phr_assembler_container(a, 0, &out, &olen), PHR_OK);
	CHECK(olen == l1 && !memcmp(out, c1, l1));
	free(out);
	phr_assembler_free(a);
	phr_chunk_set_free(&s1);
	phr_chunk_set_free(&s2);
	phr_record_destroy(r2);
	free(c1);
	free(c2);
	return 0;
}

/* The same chunk read in text form and in byte form is one chunk. */
static int test_duplicates_across_forms(void)
{
	size_t len, n, tl;
	uint8_t *c = container_exact(rec_a1, 700, &len), chunk[PHR_MAX_QR_PAYLOAD];
	struct phr_chunk_set s;
	CHECK(c);
	CHECK_RC(split_plan(c, len, PHR_CHUNK_BYTES, 3, 0, &s), PHR_OK);
	n = chunk_bytes(s.payload[1], s.len[1], chunk, sizeof(chunk));
	uint8_t *text = payload_of(PHR_CHUNK_BASE45, chunk, n, &tl);
	struct phr_assembler *a;
	size_t set;
	bool dup;
	CHECK_RC(phr_assembler_new(&a), PHR_OK);
	CHECK_RC(phr_assembler_add(a, text, tl, &set, &dup), PHR_OK);
	CHECK(set == 0 && !dup);
	CHECK_RC(phr_assembler_add(a, s.payload[1], s.len[1], &set, &dup), PHR_OK);
	CHECK(set == 0 && dup);
	struct phr_set_info info;
	phr_assembler_info(a, 0, &info);
	CHECK(info.have == 1 && info.mode == PHR_CHUNK_BASE45 && phr_assembler_count(a) == 1);
	phr_assembler_free(a);
	phr_chunk_set_free(&s);
	free(text);
	free(c);
	return 0;
}

/* ---- damaged, foreign, contradicting --------------------------------------- */

/* Every single bit flipped in a chunk (byte form), and a changed character
 * that still decodes (text form): PHR_E_CHECKSUM naming the code, the
 * assembler ignores it and the good codes still restore the record. */
static int test_bit_flips_are_checksum_errors(void)
{
	size_t len;
	uint8_t *c = container_exact(rec_a1, 400, &len), chunk[PHR_MAX_QR_PAYLOAD];
	struct phr_chunk_set s;
	CHECK(c);
	CHECK_RC(split_plan(c, len, PHR_CHUNK_BYTES, 3, 1, &s), PHR_OK);
	struct phr_assembler *a;
	CHECK_RC(phr_assembler_new(&a), PHR_OK);
	size_t n = chunk_bytes(s.payload[2], s.len[2], chunk, sizeof(chunk));
	for (size_t bit = 0; bit < 8 * n; bit++) {
		size_t pl;
		chunk[bit / 8] ^= (uint8_t)(1u << bit % 8);
		uint8_t *bad = payload_of(PHR_CHUNK_BYTES, chunk, n, &pl);
		chunk[bit / 8] ^= (uint8_t)(1u << bit % 8);
		CHECK_RC(phr_assembler_add(a, bad, pl, NULL, NULL), PHR_E_CHECKSUM);
		/* the header names code 3 of 4 unless the flip is in a field the name is read from */
		if (bit / 8 != 0 && bit / 8 != 9 && bit / 8 != 10 && bit / 8 != 11)
			CHECK(strstr(phr_last_error(), "code 3 of 4"));
		free(bad);
	}
	CHECK(phr_assembler_count(a) == 0);
	/* text form: one character changed to another of the alphabet */
	phr_chunk_set_free(&s);
	CHECK_RC(split_plan(c, len, PHR_CHUNK_BASE45, 3, 1, &s), PHR_OK);
	for (size_t at = 4; at < s.len[0]; at += 5) {
		uint8_t *bad = malloc(s.len[0]);
		memcpy(bad, s.payload[0], s.len[0]);
		bad[at] = bad[at] == '0' ? '1' : '0';
		int rc = phr_assembler_add(a, bad, s.len[0], NULL, NULL);
		/* either the CRC fails, or the group went out of Base45's range */
		CHECK(rc == PHR_E_CHECKSUM || (rc == PHR_E_MALFORMED && strstr(phr_last_error(), "base45")));
		free(bad);
	}
	CHECK(phr_assembler_count(a) == 0);
	for (size_t i = 1; i < 4; i++)
		CHECK_RC(phr_assembler_add(a, s.payload[i], s.len[i], NULL, NULL), PHR_OK);
	uint8_t *out;
	size_t olen;
	CHECK_RC(phr_assembler_container(a, 0, &out, &olen), PHR_OK);
	CHECK(olen == len && !memcmp(out, c, len));
	free(out);
	phr_assembler_free(a);
	phr_chunk_set_free(&s);
	free(c);
	return 0;
}

static int test_not_ours(void)
{
	static const struct {
		const char *p;
		size_t n;
		const char *shown;
	} v[] = {
		{ "HC1:6BFOXN%TS3DH0YOJ58S", 23, "HC1:6BFO" },
		{ "shc:/5676290952432060346029243740", 33, "shc:/567" },
		{ "", 0, "\"\"" },
		{ "PH1", 3, "PH1" },
		{ "ph1:BB8", 7, "ph1:BB8" },
		{ "PH2:BB8", 7, "PH2:BB8" },
		{ "PH1\x01zzzz", 8, "PH1\\x01zz" },
		{ "https://example.org/", 20, "https://" },
	};
	uint8_t buf[PHR_MAX_QR_PAYLOAD];
	struct phr_chunk c;
	struct phr_assembler *a;
	CHECK_RC(phr_assembler_new(&a), PHR_OK);
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		CHECK_RC(phr_chunk_parse((const uint8_t *)v[i].p, v[i].n, buf, sizeof(buf), &c), PHR_E_NOT_OURS);
		CHECK(strstr(phr_last_error(), v[i].shown) && c.data == NULL);
		CHECK_RC(phr_assembler_add(a, (const uint8_t *)v[i].p, v[i].n, NULL, NULL), PHR_E_NOT_OURS);
	}
	CHECK(phr_assembler_count(a) == 0);
	phr_assembler_free(a);
	return 0;
}

/* Parses chunk bytes (resealed) in byte form; returns the code. */
static int parse_sealed(uint8_t *chunk, size_t n, struct phr_chunk *c)
{
	uint8_t buf[PHR_MAX_QR_PAYLOAD];
	size_t pl;
	reseal(chunk, n);
	uint8_t *p = payload_of(PHR_CHUNK_BYTES, chunk, n, &pl);
	int rc = phr_chunk_parse(p, pl, buf, sizeof(buf), c);
	free(p);
	return rc;
}

/* Each header field out of range, with a valid checksum: refused, and the
 * message names the field. */
static int test_header_fields_out_of_range(void)
{
	size_t len;
	uint8_t *cont = container_exact(rec_a1, 403, &len), orig[PHR_MAX_QR_PAYLOAD], ch[PHR_MAX_QR_PAYLOAD + 8];
	struct phr_chunk_set s;
	struct phr_chunk c;
	CHECK(cont);
	CHECK_RC(split_plan(cont, len, PHR_CHUNK_BYTES, 4, 2, &s), PHR_OK);
	/* data chunk 3 (of 0..3) holds bytes 303..402 and one byte of padding */
	size_t n = chunk_bytes(s.payload[3], s.len[3], orig, sizeof(orig));
	CHECK(n == 15 + 101 + 4);
	memcpy(ch, orig, n);
	CHECK_RC(parse_sealed(ch, n, &c), PHR_OK);
	CHECK(c.index == 3 && c.k == 4 && c.m == 2 && c.container_len == 403 && c.data_len == 101);
	CHECK(c.mode == PHR_CHUNK_BYTES && !memcmp(c.record_prefix, id_a, 4));

	static const struct {
		size_t at;
		uint8_t v;
		int rc;
		const char *field;
	} f[] = {
		{ 0, 3, PHR_E_VERSION, "field version" },
		{ 0, 2, PHR_E_MALFORMED, "TRST" }, /* kind 2, a trust bundle, without its marker */
		{ 0, 0, PHR_E_VERSION, "field version" },
		{ 10, 0, PHR_E_MALFORMED, "field k" },
		{ 11, 252, PHR_E_MALFORMED, "field m" },
		{ 9, 6, PHR_E_MALFORMED, "field index" },
		{ 9, 255, PHR_E_MALFORMED, "field index" },
		{ 10, 5, PHR_E_MALFORMED, "header field length" }, /* 403 in 5 codes is 81 bytes each, not 101 */
	};
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		memcpy(ch, orig, n);
		ch[f[i].at] = f[i].v;
		CHECK_RC(parse_sealed(ch, n, &c), f[i].rc);
		if (!strstr(phr_last_error(), f[i].field)) {
			fprintf(stderr, "  byte %zu = %u: \"%s\" does not name \"%s\"\n", f[i].at, f[i].v, phr_last_error(),
				f[i].field);
			return 1;
		}
		CHECK(c.data == NULL && c.k == 0);
	}
	/* length 0, and beyond PHR_MAX_CONTAINER */
	memcpy(ch, orig, n);
	ch[12] = ch[13] = ch[14] = 0;
	CHECK_RC(parse_sealed(ch, n, &c), PHR_E_MALFORMED);
	CHECK(strstr(phr_last_error(), "field length") && strstr(phr_last_error(), "is 0"));
	ch[12] = 0x01;
	ch[14] = 0x01;
	CHECK_RC(parse_sealed(ch, n, &c), PHR_E_LIMIT);
	CHECK(strstr(phr_last_error(), "field length") && strstr(phr_last_error(), "PHR_MAX_CONTAINER"));
	/* padding after the end of the container */
	memcpy(ch, orig, n);
	ch[15 + 100] = 0x01;
	CHECK_RC(parse_sealed(ch, n, &c), PHR_E_MALFORMED);
	CHECK(strstr(phr_last_error(), "padding") && strstr(phr_last_error(), "code 4 of 6"));
	/* parity codes carry no padding: the same byte there is data */
	n = chunk_bytes(s.payload[5], s.len[5], ch, sizeof(ch));
	ch[15 + 100] ^= 1;
	CHECK_RC(parse_sealed(ch, n, &c), PHR_OK);
	/* one data byte more or less than the header makes */
	memcpy(ch, orig, n);
	CHECK_RC(parse_sealed(ch, n + 1, &c), PHR_E_MALFORMED);
	CHECK(strstr(phr_last_error(), "102 data bytes"));
	CHECK_RC(parse_sealed(ch, n - 1, &c), PHR_E_MALFORMED);
	CHECK(strstr(phr_last_error(), "100 data bytes"));
	/* too short to hold a header, a byte and a checksum */
	CHECK_RC(parse_sealed(ch, 19, &c), PHR_E_MALFORMED);
	CHECK(strstr(phr_last_error(), "shorter"));
	/* a payload longer than any QR code holds */
	uint8_t *big = calloc(1, PHR_MAX_QR_PAYLOAD + 1);
	uint8_t buf[PHR_MAX_QR_PAYLOAD];
	memcpy(big, "PH1:", 4);
	memset(big + 4, 'A', PHR_MAX_QR_PAYLOAD - 3);
	CHECK_RC(phr_chunk_parse(big, PHR_MAX_QR_PAYLOAD + 1, buf, sizeof(buf), &c), PHR_E_LIMIT);
	CHECK(strstr(phr_last_error(), "PHR_MAX_QR_PAYLOAD"));
	free(big);
	/* text that is not Base45 */
	CHECK_RC(phr_chunk_parse((const uint8_t *)"PH1:BB8b", 8, buf, sizeof(buf), &c), PHR_E_MALFORMED);
	CHECK(strstr(phr_last_error(), "base45") && strstr(phr_last_error(), "offset 3"));
	/* the caller's buffer too small */
	CHECK_RC(phr_chunk_parse(s.payload[0], s.len[0], buf, 10, &c), PHR_E_BUFFER);
	phr_chunk_set_free(&s);
	free(cont);
	return 0;
}

/* A code with a valid checksum whose data differs from the one held for
 * the same place: refused, named; held alone, it makes the restored
 * container fail its tag. */
static int test_contradicting_code(void)
{
	size_t len, n, pl;
	uint8_t *c = container_exact(rec_a1, 500, &len), ch[PHR_MAX_QR_PAYLOAD];
	struct phr_chunk_set s;
	CHECK(c);
	CHECK_RC(split_plan(c, len, PHR_CHUNK_BYTES, 2, 1, &s), PHR_OK);
	n = chunk_bytes(s.payload[1], s.len[1], ch, sizeof(ch));
	ch[20] ^= 0x40;
	reseal(ch, n);
	uint8_t *forged = payload_of(PHR_CHUNK_BYTES, ch, n, &pl);
	struct phr_assembler *a;
	CHECK_RC(phr_assembler_new(&a), PHR_OK);
	CHECK_RC(phr_assembler_add(a, s.payload[1], s.len[1], NULL, NULL), PHR_OK);
	CHECK_RC(phr_assembler_add(a, forged, pl, NULL, NULL), PHR_E_MALFORMED);
	CHECK(strstr(phr_last_error(), "code 2 of 3 contradicts"));
	phr_assembler_free(a);

	/* alone: accepted (nothing to compare with), caught by the tag, with
	 * data codes only and with parity */
	for (int with_parity = 0; with_parity < 2; with_parity++) {
		uint8_t *out = (uint8_t *)&out;
		size_t olen = 7;
		CHECK_RC(phr_assembler_new(&a), PHR_OK);
		CHECK_RC(phr_assembler_add(a, forged, pl, NULL, NULL), PHR_OK);
		CHECK_RC(phr_assembler_add(a, s.payload[with_parity ? 2 : 0], s.len[0], NULL, NULL), PHR_OK);
		CHECK_RC(phr_assembler_container(a, 0, &out, &olen), PHR_E_CHECKSUM);
		CHECK(strstr(phr_last_error(), "tag") && !out && olen == 0);
		phr_assembler_free(a);
	}
	/* all three held: the forged one is inconsistent with the others */
	CHECK_RC(phr_assembler_new(&a), PHR_OK);
	CHECK_RC(phr_assembler_add(a, forged, pl, NULL, NULL), PHR_OK);
	CHECK_RC(phr_assembler_add(a, s.payload[0], s.len[0], NULL, NULL), PHR_OK);
	CHECK_RC(phr_assembler_add(a, s.payload[2], s.len[2], NULL, NULL), PHR_OK);
	uint8_t *out;
	size_t olen;
	CHECK_RC(phr_assembler_container(a, 0, &out, &olen), PHR_E_CHECKSUM);
	phr_assembler_free(a);
	free(forged);
	phr_chunk_set_free(&s);
	free(c);
	return 0;
}

/* ---- split's own checks and the limits ----------------------------------- */

static int test_split_rejects(void)
{
	size_t len;
	uint8_t *c = container_exact(rec_a1, 500, &len);
	struct phr_chunk_plan p;
	struct phr_chunk_set s;
	CHECK(c);
	plan_k(len, PHR_CHUNK_BASE45, 3, 1, &p);
	struct phr_chunk_plan bad = p;
	bad.data_len++;
	CHECK_RC(phr_chunk_split(c, len, &bad, &s), PHR_E_ARG);
	CHECK(s.n == 0);
	bad = p;
	bad.payload_len--;
	CHECK_RC(phr_chunk_split(c, len, &bad, &s), PHR_E_ARG);
	bad = p;
	bad.max_version = p.version - 1;
	CHECK_RC(phr_chunk_split(c, len, &bad, &s), PHR_E_ARG);
	bad = p;
	bad.k = 0;
	CHECK_RC(phr_chunk_split(c, len, &bad, &s), PHR_E_ARG);
	bad = p;
	bad.m = 253;
	CHECK_RC(phr_chunk_split(c, len, &bad, &s), PHR_E_ARG);
	CHECK_RC(phr_chunk_split(c, len - 2, &p, &s), PHR_E_ARG); /* 498 in 3 is 166 each, not 167 */
	CHECK_RC(phr_chunk_split(NULL, len, &p, &s), PHR_E_ARG);
	/* not a readable container: the chunk layer does not cut what it
	 * could not have read back */
	c[0] = 3; /* 1 is a record, 2 a merged record (docs/FORMAT.md) */
	CHECK_RC(phr_chunk_split(c, len, &p, &s), PHR_E_VERSION);
	CHECK(strstr(phr_last_error(), "not a readable container") && s.n == 0);
	phr_chunk_set_free(&s);
	phr_chunk_set_free(NULL);
	free(c);
	return 0;
}

/* An assembler keeps PHR_MAX_SETS sets apart; a code of one more is
 * refused, and codes of the sets it has are still taken. */
static int test_set_limit(void)
{
	struct phr_assembler *a;
	struct phr_chunk_set s;
	size_t len;
	CHECK_RC(phr_assembler_new(&a), PHR_OK);
	for (size_t i = 0; i <= PHR_MAX_SETS; i++) {
		uint8_t *c = container_exact(rec_a1, min_container(rec_a1) + i, &len);
		CHECK(c);
		CHECK_RC(split_plan(c, len, PHR_CHUNK_BYTES, 2, 0, &s), PHR_OK);
		int rc = phr_assembler_add(a, s.payload[0], s.len[0], NULL, NULL);
		if (i < PHR_MAX_SETS) {
			CHECK_RC(rc, PHR_OK);
		} else {
			CHECK_RC(rc, PHR_E_LIMIT);
			CHECK(strstr(phr_last_error(), "PHR_MAX_SETS"));
		}
		phr_chunk_set_free(&s);
		free(c);
	}
	CHECK(phr_assembler_count(a) == PHR_MAX_SETS);
	uint8_t *c = container_exact(rec_a1, min_container(rec_a1), &len);
	CHECK_RC(split_plan(c, len, PHR_CHUNK_BYTES, 2, 0, &s), PHR_OK);
	size_t set;
	CHECK_RC(phr_assembler_add(a, s.payload[1], s.len[1], &set, NULL), PHR_OK);
	CHECK(set == 0);
	uint8_t *out;
	size_t olen;
	CHECK_RC(phr_assembler_container(a, 0, &out, &olen), PHR_OK);
	CHECK(olen == len && !memcmp(out, c, len));
	free(out);
	phr_chunk_set_free(&s);
	free(c);
	phr_assembler_free(a);
	phr_assembler_free(NULL);
	CHECK(phr_assembler_count(NULL) == 0);
	return 0;
}

/* A trust bundle's codes (kind 2, docs/FORMAT.md "Trust bundle chunks"):
 * header byte 0 = 2 and "TRST", tag = BLAKE2b-256 of the bundle; any k of
 * k + m restore it, next to a record's codes, in a set of its own; neither
 * kind is cut as the other. */
static int test_trust_bundle_chunks(void)
{
	uint8_t seed[PHR_SEED_LEN];
	struct phr_seckey *auth = NULL;
	uint8_t *bundle = NULL, *rec = NULL, *out = NULL, buf[PHR_MAX_QR_PAYLOAD], digest[32];
	size_t blen, rlen, olen;
	struct phr_chunk_plan p, rp;
	struct phr_chunk_set s = { 0 }, rs = { 0 };
	struct phr_assembler *a = NULL;
	struct phr_chunk c;
	memset(seed, 7, sizeof(seed));
	CHECK_RC(phr_key_from_seed(PHR_KEY_AUTHORITY, "Test Authority", "GR", seed, &auth), PHR_OK);
	CHECK_RC(phr_trust_build(auth, phr_seckey_public(auth), 1, NULL, NULL, 0, NULL, 0, 42, 1750000000,
				 1750000000 + 86400, &bundle, &blen),
		 PHR_OK);
	plan_k(blen, PHR_CHUNK_BASE45, 3, 2, &p);
	CHECK_RC(phr_chunk_split_trust(bundle, blen, &p, &s), PHR_OK);
	CHECK(s.n == 5);
	crypto_generichash(digest, sizeof(digest), bundle, blen, NULL, 0);
	CHECK_RC(phr_chunk_parse(s.payload[0], s.len[0], buf, sizeof(buf), &c), PHR_OK);
	CHECK(buf[0] == 2 && !memcmp(buf + 1, "TRST", 4) && !memcmp(buf + 5, digest, 4));
	CHECK(c.kind == PHR_CHUNK_TRUST && c.k == 3 && c.m == 2 && c.container_len == blen);
	/* neither kind is cut as the other */
	rec = container_exact(rec_a1, 300, &rlen);
	CHECK(rec);
	plan_k(rlen, PHR_CHUNK_BASE45, 2, 0, &rp);
	CHECK(phr_chunk_split_trust(rec, rlen, &rp, &rs) != PHR_OK && rs.n == 0);
	CHECK(phr_chunk_split(bundle, blen, &p, &rs) != PHR_OK && rs.n == 0);
	CHECK_RC(phr_chunk_split(rec, rlen, &rp, &rs), PHR_OK);
	/* codes 1 and 4 of the bundle lost; a record's codes mixed in */
	CHECK_RC(phr_assembler_new(&a), PHR_OK);
	size_t set;
	bool dup;
	CHECK_RC(phr_assembler_add(a, rs.payload[0], rs.len[0], &set, &dup), PHR_OK);
	for (size_t i = 0; i < s.n; i++)
		if (i != 0 && i != 3)
			CHECK_RC(phr_assembler_add(a, s.payload[i], s.len[i], &set, &dup), PHR_OK);
	CHECK_RC(phr_assembler_add(a, rs.payload[1], rs.len[1], &set, &dup), PHR_OK);
	CHECK(phr_assembler_count(a) == 2);
	struct phr_set_info info;
	phr_assembler_info(a, 0, &info);
	CHECK(info.kind == PHR_CHUNK_RECORD && info.complete);
	phr_assembler_info(a, 1, &info);
	CHECK(info.kind == PHR_CHUNK_TRUST && info.complete && info.have == 3);
	CHECK_RC(phr_assembler_container(a, 1, &out, &olen), PHR_OK);
	CHECK(olen == blen && !memcmp(out, bundle, blen));
	free(out);
	CHECK_RC(phr_assembler_container(a, 0, &out, &olen), PHR_OK);
	CHECK(olen == rlen && !memcmp(out, rec, rlen));
	free(out);
	phr_assembler_free(a);
	phr_chunk_set_free(&s);
	phr_chunk_set_free(&rs);
	phr_seckey_destroy(auth);
	free(bundle);
	free(rec);
	return 0;
}

int main(void)
{
	static const struct test tests[] = {
		{ "qr_table_is_table7", test_qr_table_is_table7 },
		{ "qr_matches_libqrencode", test_qr_matches_libqrencode },
		{ "qr_matches_notes", test_qr_matches_notes },
		{ "plan_smallest_k", test_plan_smallest_k },
		{ "plan_rejects", test_plan_rejects },
		{ "round_trip_many_sizes", test_round_trip_many_sizes },
		{ "exhaustive_subsets", test_exhaustive_subsets },
		{ "extreme_parity", test_extreme_parity },
		{ "two_records_mixed", test_two_records_mixed },
		{ "two_versions_kept_apart", test_two_versions_kept_apart },
		{ "duplicates_across_forms", test_duplicates_across_forms },
		{ "bit_flips_are_checksum_errors", test_bit_flips_are_checksum_errors },
		{ "not_ours", test_not_ours },
		{ "header_fields_out_of_range", test_header_fields_out_of_range },
		{ "contradicting_code", test_contradicting_code },
		{ "split_rejects", test_split_rejects },
		{ "set_limit", test_set_limit },
		{ "trust_bundle_chunks", test_trust_bundle_chunks },
	};
	if (sodium_init() < 0 || fx_init(&fx, "child-no-vaccination-documents.json")) {
		fprintf(stderr, "fixture: %s\n", phr_last_error());
		return 1;
	}
	rec_a1 = small_record(id_a, 1);
	rec_a20 = small_record(id_a, 20);
	rec_b1 = small_record(id_b, 1);
	if (!rec_a1 || !rec_a20 || !rec_b1) {
		fprintf(stderr, "records: %s\n", phr_last_error());
		return 1;
	}
	printf("smallest containers: %zu bytes (1 entry), %zu (20 entries)\n", min_container(rec_a1),
	       min_container(rec_a20));
	int rc = run_tests(tests, sizeof(tests) / sizeof(tests[0]));
	phr_record_destroy(rec_a1);
	phr_record_destroy(rec_a20);
	phr_record_destroy(rec_b1);
	fx_finish(&fx);
	return rc;
}
