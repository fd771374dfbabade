/* The record container: header, compressed body, chained entries. */
#include "phr/container.h"
#include "phr/seal.h"
#include "phr/cbor.h"
#include "phr/compress.h"
#include "phr/json.h"
#include "schema_int.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jansson.h>

#define ENTRY_AAD_PREFIX "phr/entry"

size_t phr_max_container(void) { return PHR_MAX_CONTAINER; }
size_t phr_max_entries(void) { return PHR_MAX_ENTRIES; }

/* An empty record; its id is the caller's to fill. */
static int record_new(struct phr_record **out)
{
	*out = NULL;
	if (sodium_init() < 0)
		return phr_fail(PHR_E_CRYPTO, "libsodium failed to initialise");
	struct phr_record *r = calloc(1, sizeof(*r));
	if (!r)
		return phr_fail(PHR_E_NOMEM, "out of memory");
	r->compression = phr_compression_default();
	*out = r;
	return PHR_OK;
}

int phr_record_create(const uint8_t *id, struct phr_record **out)
{
	int rc = record_new(out);
	if (rc)
		return rc;
	if (id)
		memcpy((*out)->id, id, PHR_RECORD_ID_LEN);
	else
		randombytes_buf((*out)->id, PHR_RECORD_ID_LEN);
	return PHR_OK;
}

void phr_record_destroy(struct phr_record *r)
{
	if (!r)
		return;
	free(r->store);
	for (size_t i = 0; i < PHR_MAX_ENTRIES; i++)
		if (r->unsealed[i]) {
			/* the whole content, sealed sections included: not left in freed memory */
			sodium_memzero(r->unsealed[i], r->unsealed_len[i]);
			free(r->unsealed[i]);
		}
	for (size_t j = 0; j < PHR_MAX_SIDE_ENTRIES; j++)
		if (r->side_unsealed[j]) {
			sodium_memzero(r->side_unsealed[j], r->side_unsealed_len[j]);
			free(r->side_unsealed[j]);
		}
	free(r);
}

void phr_record_entry_aad(const struct phr_record *r, size_t i, uint8_t aad[PHR_ENTRY_AAD_LEN])
{
	memcpy(aad, ENTRY_AAD_PREFIX, 9);
	memcpy(aad + 9, r->id, PHR_RECORD_ID_LEN);
	if (i == 0)
		memset(aad + 9 + PHR_RECORD_ID_LEN, 0, PHR_HASH_LEN);
	else
		memcpy(aad + 9 + PHR_RECORD_ID_LEN, r->entries[i - 1].hash, PHR_HASH_LEN);
}

void phr_record_side_aad(const struct phr_record *r, size_t j, uint8_t aad[PHR_ENTRY_AAD_LEN])
{
	memcpy(aad, ENTRY_AAD_PREFIX, 9);
	memcpy(aad + 9, r->id, PHR_RECORD_ID_LEN);
	uint64_t fork = r->n_side ? r->side[0].index : 0;
	if (j > 0)
		memcpy(aad + 9 + PHR_RECORD_ID_LEN, r->side[j - 1].hash, PHR_HASH_LEN);
	else if (fork == 0 || fork > r->n_entries)
		memset(aad + 9 + PHR_RECORD_ID_LEN, 0, PHR_HASH_LEN);
	else
		memcpy(aad + 9 + PHR_RECORD_ID_LEN, r->entries[fork - 1].hash, PHR_HASH_LEN);
}

int phr_record_merge_at(const struct phr_record *r)
{
	for (size_t i = 0; i < r->n_entries; i++)
		if (!r->entries[i].content_err && r->entries[i].merge)
			return (int)i;
	return -1;
}

/* Parses an entry payload {1: index, 2: signed-at, 3: content, ?4: sealed,
 * ?5: [fork point, second parent's hash]} (5: a merge entry). */
static int parse_payload(struct phr_entry *e)
{
	struct phr_cbor_dec d;
	size_t n;
	int rc;
	if ((rc = phr_cbor_dec_init(&d, e->cose.payload, e->cose.payload_len)))
		return rc;
	if ((rc = phr_cbor_get_map(&d, &n)))
		return rc;
	if (n < 3 || n > 5)
		return phr_fail(PHR_E_MALFORMED, "entry payload must be a map of 3 to 5 fields, has %zu", n);
	if ((rc = phr_cbor_expect_key(&d, 1)) || (rc = phr_cbor_get_uint(&d, &e->index)) ||
	    (rc = phr_cbor_expect_key(&d, 2)) || (rc = phr_cbor_get_uint(&d, &e->signed_at)) ||
	    (rc = phr_cbor_expect_key(&d, 3)))
		return rc;
	e->sealed = NULL;
	e->sealed_len = 0;
	e->sealed_sections = 0;
	e->seal_state = 0;
	e->seal_why[0] = '\0';
	e->merge = false;
	e->merge_fork = 0;
	memset(e->merge_head, 0, sizeof(e->merge_head));
	if (n == 3) {
		/* The payload validated as one item with nothing after it, and
		 * key 3 is its last: the content is the rest of it. */
		e->content = d.p + d.off;
		e->content_len = d.len - d.off;
	} else {
		uint64_t key;
		if ((rc = phr_cbor_get_raw(&d, &e->content, &e->content_len)) || (rc = phr_cbor_get_uint(&d, &key)))
			return rc;
		if (key == 4) {
			struct phr_seal_envelope env;
			if ((rc = phr_cbor_get_raw(&d, &e->sealed, &e->sealed_len)))
				return rc;
			if ((rc = phr_seal_envelope_parse(e->sealed, e->sealed_len, &env))) {
				e->sealed = NULL;
				return rc;
			}
			e->sealed_sections = env.sections;
			if (n == 5 && (rc = phr_cbor_get_uint(&d, &key)))
				return rc;
		}
		if (n == 5 || (n == 4 && !e->sealed)) {
			size_t na;
			const uint8_t *h;
			size_t hl;
			if (key != 5)
				return phr_fail(PHR_E_MALFORMED, "entry payload key %llu is unknown (or out of order)",
						(unsigned long long)key);
			if ((rc = phr_cbor_get_array(&d, &na)))
				return rc;
			if (na != 2)
				return phr_fail(PHR_E_MALFORMED, "merge reference must be [fork point, head hash], has %zu items",
						na);
			if ((rc = phr_cbor_get_uint(&d, &e->merge_fork)) || (rc = phr_cbor_get_bytes(&d, &h, &hl)))
				return rc;
			if (hl != PHR_HASH_LEN)
				return phr_fail(PHR_E_MALFORMED, "merge reference's head hash has %zu bytes, expected %d", hl,
						PHR_HASH_LEN);
			memcpy(e->merge_head, h, PHR_HASH_LEN);
			if (e->merge_fork == 0 || e->merge_fork >= e->index)
				return phr_fail(PHR_E_MALFORMED,
						"merge entry %llu names fork point %llu: it must lie after entry 0 and before the merge entry",
						(unsigned long long)e->index, (unsigned long long)e->merge_fork);
			e->merge = true;
		}
	}
	return phr_entry_validate_nested(e->content, e->content_len);
}

/* Reads one COSE_Sign1 entry at d; a bad structure or payload is kept
 * (content_err): the entry is shown as unverified rather than the whole
 * record being thrown away. */
static int parse_entry(struct phr_cbor_dec *d, struct phr_entry *e, const char *what, size_t i)
{
	int rc;
	if ((rc = phr_cbor_get_raw(d, &e->raw, &e->raw_len)))
		return phr_fail_wrap(rc, "%s %zu", what, i);
	crypto_generichash(e->hash, PHR_HASH_LEN, e->raw, e->raw_len, NULL, 0);
	e->content_err = phr_cose_parse(e->raw, e->raw_len, &e->cose);
	if (e->content_err == PHR_OK)
		e->content_err = parse_payload(e);
	if (e->content_err) {
		snprintf(e->content_why, sizeof(e->content_why), "%s", phr_last_error());
		phr_fail_wrap(e->content_err, "%s %zu", what, i);
		e->content = NULL;
		e->content_len = 0;
		e->merge = false;
	}
	e->clear = e->content;
	e->clear_len = e->content_len;
	return PHR_OK;
}

/* Fills entries/certs from a body that r->store holds. */
static int parse_body(struct phr_record *r)
{
	struct phr_cbor_dec d;
	size_t n, ne, nc;
	const uint8_t *p;
	int rc;
	if ((rc = phr_cbor_dec_init(&d, r->store, r->store_len)))
		return phr_fail_wrap(rc, "container body");
	if ((rc = phr_cbor_get_array(&d, &n)))
		return phr_fail_wrap(rc, "container body");
	size_t items = n;
	if (n != 3 && n != 4)
		return phr_fail(PHR_E_MALFORMED,
				"container body must be [record id, entries, certificates, ?side branch], has %zu items", n);
	if ((rc = phr_cbor_get_bytes(&d, &p, &n)))
		return phr_fail_wrap(rc, "record id");
	if (n != PHR_RECORD_ID_LEN)
		return phr_fail(PHR_E_MALFORMED, "record id has %zu bytes, expected %d", n, PHR_RECORD_ID_LEN);
	memcpy(r->id, p, PHR_RECORD_ID_LEN);
	if ((rc = phr_cbor_get_array(&d, &ne)))
		return phr_fail_wrap(rc, "entries");
	if (ne == 0)
		return phr_fail(PHR_E_MALFORMED, "container holds no entry");
	if (ne > PHR_MAX_ENTRIES)
		return phr_fail(PHR_E_LIMIT, "container holds %zu entries, more than PHR_MAX_ENTRIES (%d)", ne,
				PHR_MAX_ENTRIES);
	for (size_t i = 0; i < ne; i++)
		if ((rc = parse_entry(&d, &r->entries[i], "entry", i)))
			return rc;
	r->n_entries = ne;
	if ((rc = phr_cbor_get_array(&d, &nc)))
		return phr_fail_wrap(rc, "certificates");
	if (nc > PHR_MAX_EMBEDDED_CERTS)
		return phr_fail(PHR_E_LIMIT, "container embeds %zu certificates, more than PHR_MAX_EMBEDDED_CERTS (%d)", nc,
				PHR_MAX_EMBEDDED_CERTS);
	for (size_t i = 0; i < nc; i++) {
		if ((rc = phr_cbor_get_bytes(&d, &r->certs[i], &r->cert_lens[i])))
			return phr_fail_wrap(rc, "certificate %zu", i);
		if (r->cert_lens[i] > PHR_MAX_CERT)
			return phr_fail(PHR_E_LIMIT, "certificate %zu has %zu bytes, more than PHR_MAX_CERT (%d)", i,
					r->cert_lens[i], PHR_MAX_CERT);
		/* No writer embeds a certificate twice: a copy would only be one
		 * more byte form of the same signed record. */
		for (size_t j = 0; j < i; j++)
			if (r->cert_lens[j] == r->cert_lens[i] && !memcmp(r->certs[j], r->certs[i], r->cert_lens[i]))
				return phr_fail(PHR_E_MALFORMED,
						"certificates %zu and %zu are the same %zu bytes: a container embeds each "
						"certificate once",
						j, i, r->cert_lens[i]);
	}
	r->n_certs = nc;
	r->n_side = 0;
	if (items == 4) {
		size_t ns;
		if ((rc = phr_cbor_get_array(&d, &ns)))
			return phr_fail_wrap(rc, "side branch");
		if (ns == 0)
			return phr_fail(PHR_E_MALFORMED, "side branch holds no entry (leave it out instead)");
		if (ns > PHR_MAX_SIDE_ENTRIES)
			return phr_fail(PHR_E_LIMIT, "side branch holds %zu entries, more than PHR_MAX_SIDE_ENTRIES (%d)", ns,
					PHR_MAX_SIDE_ENTRIES);
		for (size_t i = 0; i < ns; i++)
			if ((rc = parse_entry(&d, &r->side[i], "side entry", i)))
				return rc;
		r->n_side = ns;
	}
	return PHR_OK;
}

int phr_record_decode(const uint8_t *buf, size_t len, struct phr_record **out)
{
	struct phr_record *r = NULL;
	uint8_t *body = NULL;
	int rc;
	*out = NULL;
	if (len > PHR_MAX_CONTAINER)
		return phr_fail(PHR_E_LIMIT, "container of %zu bytes is larger than PHR_MAX_CONTAINER (%d)", len,
				PHR_MAX_CONTAINER);
	if (len < PHR_CONTAINER_HEADER)
		return phr_fail(PHR_E_TRUNCATED, "container of %zu bytes is shorter than its %d-byte header", len,
				PHR_CONTAINER_HEADER);
	if (buf[0] != PHR_CONTAINER_VERSION && buf[0] != PHR_CONTAINER_VERSION_MERGED)
		return phr_fail(PHR_E_VERSION, "container version %u is not supported (this reader knows versions %d and %d)",
				buf[0], PHR_CONTAINER_VERSION, PHR_CONTAINER_VERSION_MERGED);
	int method = buf[1];
	size_t declared = ((size_t)buf[2] << 16) | ((size_t)buf[3] << 8) | buf[4];
	if (method > PHR_COMP_MAX)
		return phr_fail(PHR_E_VERSION, "container compression id %d is unknown", method);
	if (declared > PHR_MAX_BODY)
		return phr_fail(PHR_E_LIMIT, "container declares a body of %zu bytes, more than PHR_MAX_BODY (%d)",
				declared, PHR_MAX_BODY);
	if ((rc = phr_decompress(method, buf + PHR_CONTAINER_HEADER, len - PHR_CONTAINER_HEADER, declared, &body)))
		return phr_fail_wrap(rc, "container");
	if ((rc = record_new(&r))) { /* parse_body sets the id */
		free(body);
		return rc;
	}
	r->store = body;
	r->store_len = declared;
	r->compression = method;
	if ((rc = parse_body(r))) {
		phr_record_destroy(r);
		return rc;
	}
	/* version 2 exactly when there is a side branch: a version-1 reader
	 * refuses a merged record by its first byte, never mis-reads it */
	if ((buf[0] == PHR_CONTAINER_VERSION_MERGED) != (r->n_side > 0)) {
		rc = phr_fail(PHR_E_MALFORMED, "container version %u %s", buf[0],
			      r->n_side ? "cannot carry a side branch" : "is for a merged record, and this one has no side branch");
		phr_record_destroy(r);
		return rc;
	}
	*out = r;
	return PHR_OK;
}

/* The body of r, with extra_entry (may be NULL) after its entries and the
 * nc certificates certs/lens as its certificate list. */
static int write_body(const struct phr_record *r, const uint8_t *extra_entry, size_t extra_len,
		      const uint8_t *const *certs, const size_t *lens, size_t nc, uint8_t **out, size_t *len)
{
	struct phr_cbor_enc e;
	uint8_t *buf = NULL;
	size_t need = 0;
	int rc;
	for (int pass = 0; pass < 2; pass++) {
		phr_cbor_enc_init(&e, buf, need);
		phr_cbor_put_array(&e, r->n_side ? 4 : 3);
		phr_cbor_put_bytes(&e, r->id, PHR_RECORD_ID_LEN);
		phr_cbor_put_array(&e, r->n_entries + (extra_entry ? 1 : 0));
		for (size_t i = 0; i < r->n_entries; i++)
			phr_cbor_put_raw(&e, r->entries[i].raw, r->entries[i].raw_len);
		if (extra_entry)
			phr_cbor_put_raw(&e, extra_entry, extra_len);
		phr_cbor_put_array(&e, nc);
		for (size_t i = 0; i < nc; i++)
			phr_cbor_put_bytes(&e, certs[i], lens[i]);
		if (r->n_side) {
			phr_cbor_put_array(&e, r->n_side);
			for (size_t i = 0; i < r->n_side; i++)
				phr_cbor_put_raw(&e, r->side[i].raw, r->side[i].raw_len);
		}
		if ((rc = phr_cbor_enc_finish(&e, &need))) {
			free(buf);
			return rc;
		}
		if (pass == 0) {
			if (need > PHR_MAX_BODY)
				return phr_fail(PHR_E_LIMIT, "record body of %zu bytes exceeds PHR_MAX_BODY (%d)", need,
						PHR_MAX_BODY);
			if (!(buf = malloc(need)))
				return phr_fail(PHR_E_NOMEM, "out of memory");
		}
	}
	*out = buf;
	*len = need;
	return PHR_OK;
}

int phr_record_body(const struct phr_record *r, uint8_t **out, size_t *len)
{
	return write_body(r, NULL, 0, r->certs, r->cert_lens, r->n_certs, out, len);
}

int phr_record_version_id(const struct phr_record *r, uint8_t out[PHR_VERSION_ID_LEN])
{
	if (!r || r->n_entries == 0)
		return phr_fail(PHR_E_ARG, "a record without entries has no version id");
	memcpy(out, r->id, PHR_RECORD_ID_LEN);
	memcpy(out + PHR_RECORD_ID_LEN, r->entries[r->n_entries - 1].hash, PHR_HASH_LEN);
	return PHR_OK;
}

int phr_record_version_id_hex(const struct phr_record *r, char out[PHR_VERSION_ID_HEX_LEN])
{
	uint8_t v[PHR_VERSION_ID_LEN];
	int rc = phr_record_version_id(r, v);
	if (rc)
		return rc;
	sodium_bin2hex(out, PHR_VERSION_ID_HEX_LEN, v, sizeof(v));
	return PHR_OK;
}

/* ---- the certificate list a writer embeds (FORMAT.md, Container) ---- */

struct cand {
	const uint8_t *p;
	size_t len;
	struct phr_cert c;
	bool taken;
};

/* Deterministic CBOR order of two byte strings: shorter first, then bytewise. */
static int cert_order(const struct cand *a, const struct cand *b)
{
	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	return memcmp(a->p, b->p, a->len);
}

/* From the candidates (the certificates the record embeds and the signer's),
 * keeps those an entry uses, in order of first use, each once: entry i
 * (signer kid k, signed at t) uses every certificate with subject kid k
 * valid at t, or, when none is, every certificate with subject kid k.
 * Certificates first used by the same entry go in deterministic CBOR order
 * of their bytes. Certificates that do not parse are used by no entry. */
static int canonical_certs(struct cand *cand, size_t n, const uint8_t (*kid)[PHR_KID_LEN], const uint64_t *at,
			   size_t n_entries, const uint8_t **certs, size_t *lens, size_t *nc)
{
	*nc = 0;
	for (size_t e = 0; e < n_entries; e++) {
		size_t use[PHR_MAX_EMBEDDED_CERTS + 1], nu = 0;
		for (int any_time = 0; any_time < 2 && nu == 0; any_time++)
			for (size_t i = 0; i < n; i++)
				if (cand[i].p && !memcmp(cand[i].c.subject.kid, kid[e], PHR_KID_LEN) &&
				    (any_time || (cand[i].c.not_before <= at[e] && at[e] <= cand[i].c.not_after)))
					use[nu++] = i;
		for (size_t a = 1; a < nu; a++) /* insertion sort: at most 17 */
			for (size_t b = a; b > 0 && cert_order(&cand[use[b]], &cand[use[b - 1]]) < 0; b--) {
				size_t t = use[b];
				use[b] = use[b - 1];
				use[b - 1] = t;
			}
		for (size_t u = 0; u < nu; u++) {
			struct cand *c = &cand[use[u]];
			if (c->taken)
				continue;
			if (*nc >= PHR_MAX_EMBEDDED_CERTS)
				return phr_fail(PHR_E_LIMIT,
						"the entries use more than PHR_MAX_EMBEDDED_CERTS (%d) certificates",
						PHR_MAX_EMBEDDED_CERTS);
			c->taken = true;
			certs[*nc] = c->p;
			lens[*nc] = c->len;
			(*nc)++;
		}
	}
	return PHR_OK;
}

int phr_record_append(struct phr_record *r, const struct phr_seckey *key, const uint8_t *cert,
		      size_t cert_len, const uint8_t *content, size_t content_len, uint64_t signed_at)
{
	return phr_record_append_sealed(r, key, cert, cert_len, content, content_len, NULL, 0, signed_at);
}

/* Appends one entry; merge_head non-NULL makes it a merge entry with
 * payload key 5 = [merge_fork, merge_head]. */
static int append_entry(struct phr_record *r, const struct phr_seckey *key, const uint8_t *cert, size_t cert_len,
			const uint8_t *content, size_t content_len, const uint8_t *sealed, size_t sealed_len,
			uint64_t merge_fork, const uint8_t *merge_head, uint64_t signed_at);

int phr_record_append_sealed(struct phr_record *r, const struct phr_seckey *key, const uint8_t *cert,
			     size_t cert_len, const uint8_t *content, size_t content_len, const uint8_t *sealed,
			     size_t sealed_len, uint64_t signed_at)
{
	return append_entry(r, key, cert, cert_len, content, content_len, sealed, sealed_len, 0, NULL, signed_at);
}

static int append_entry(struct phr_record *r, const struct phr_seckey *key, const uint8_t *cert, size_t cert_len,
			const uint8_t *content, size_t content_len, const uint8_t *sealed, size_t sealed_len,
			uint64_t merge_fork, const uint8_t *merge_head, uint64_t signed_at)
{
	uint8_t aad[PHR_ENTRY_AAD_LEN];
	uint8_t *payload = NULL, *cose = NULL, *body = NULL;
	size_t plen = 0, cose_len = 0, body_len = 0;
	struct phr_cbor_enc e;
	int rc;

	if (r->n_entries >= PHR_MAX_ENTRIES)
		return phr_fail(PHR_E_LIMIT, "record already holds PHR_MAX_ENTRIES (%d) entries", PHR_MAX_ENTRIES);
	for (size_t i = 0; i < r->n_entries; i++)
		if (r->entries[i].content_err)
			return phr_fail(PHR_E_MALFORMED, "entry %zu of the record is damaged: refusing to extend it", i);
	for (size_t i = 0; i < r->n_side; i++)
		if (r->side[i].content_err)
			return phr_fail(PHR_E_MALFORMED, "side entry %zu of the record is damaged: refusing to extend it", i);
	if ((rc = phr_entry_validate(content, content_len)))
		return rc;
	if (sealed) {
		struct phr_seal_envelope env;
		if ((rc = phr_seal_envelope_parse(sealed, sealed_len, &env)))
			return rc;
	}
	if (cert) {
		struct phr_cert c;
		if ((rc = phr_cert_parse(cert, cert_len, &c)))
			return phr_fail_wrap(rc, "certificate");
		if (memcmp(c.subject.pk, phr_seckey_public(key)->pk, PHR_PK_LEN) != 0)
			return phr_fail(PHR_E_ARG, "the certificate is for another key than the signing key");
	}
	/* Candidates for the new certificate list: the embedded ones, then the
	 * signer's; byte-identical copies once; those that do not parse are
	 * used by no entry, and dropped. */
	struct cand cand[PHR_MAX_EMBEDDED_CERTS + 1];
	size_t n_cand = 0;
	for (size_t i = 0; i <= r->n_certs; i++) {
		const uint8_t *p = i < r->n_certs ? r->certs[i] : cert;
		size_t len = i < r->n_certs ? r->cert_lens[i] : cert_len;
		bool dup = !p;
		for (size_t j = 0; j < n_cand && !dup; j++)
			dup = cand[j].len == len && !memcmp(cand[j].p, p, len);
		if (dup)
			continue;
		memset(&cand[n_cand], 0, sizeof(cand[n_cand]));
		cand[n_cand].len = len;
		if (phr_cert_parse(p, len, &cand[n_cand].c) == PHR_OK)
			cand[n_cand].p = p;
		n_cand++;
	}
	uint8_t kids[PHR_MAX_ENTRIES + PHR_MAX_SIDE_ENTRIES][PHR_KID_LEN];
	uint64_t at[PHR_MAX_ENTRIES + PHR_MAX_SIDE_ENTRIES];
	const uint8_t *certs[PHR_MAX_EMBEDDED_CERTS];
	size_t lens[PHR_MAX_EMBEDDED_CERTS], nc;
	for (size_t i = 0; i < r->n_entries; i++) {
		memcpy(kids[i], r->entries[i].cose.kid, PHR_KID_LEN);
		at[i] = r->entries[i].signed_at;
	}
	memcpy(kids[r->n_entries], phr_seckey_public(key)->kid, PHR_KID_LEN);
	at[r->n_entries] = signed_at;
	/* the side branch's entries use certificates too: after the main chain's */
	for (size_t i = 0; i < r->n_side; i++) {
		memcpy(kids[r->n_entries + 1 + i], r->side[i].cose.kid, PHR_KID_LEN);
		at[r->n_entries + 1 + i] = r->side[i].signed_at;
	}
	if ((rc = canonical_certs(cand, n_cand, (const uint8_t(*)[PHR_KID_LEN])kids, at, r->n_entries + 1 + r->n_side,
				  certs, lens, &nc)))
		return rc;

	for (int pass = 0; pass < 2; pass++) {
		phr_cbor_enc_init(&e, payload, plen);
		phr_cbor_put_map(&e, 3 + (sealed ? 1 : 0) + (merge_head ? 1 : 0));
		phr_cbor_put_uint(&e, 1);
		phr_cbor_put_uint(&e, r->n_entries);
		phr_cbor_put_uint(&e, 2);
		phr_cbor_put_uint(&e, signed_at);
		phr_cbor_put_uint(&e, 3);
		phr_cbor_put_raw(&e, content, content_len);
		if (sealed) {
			phr_cbor_put_uint(&e, 4);
			phr_cbor_put_raw(&e, sealed, sealed_len);
		}
		if (merge_head) {
			phr_cbor_put_uint(&e, 5);
			phr_cbor_put_array(&e, 2);
			phr_cbor_put_uint(&e, merge_fork);
			phr_cbor_put_bytes(&e, merge_head, PHR_HASH_LEN);
		}
		if ((rc = phr_cbor_enc_finish(&e, &plen)))
			goto out;
		if (pass == 0 && !(payload = malloc(plen))) {
			rc = phr_fail(PHR_E_NOMEM, "out of memory");
			goto out;
		}
	}
	phr_record_entry_aad(r, r->n_entries, aad);
	if ((rc = phr_cose_sign1(key, payload, plen, aad, sizeof(aad), &cose, &cose_len)))
		goto out;
	if ((rc = write_body(r, cose, cose_len, certs, lens, nc, &body, &body_len)))
		goto out;
	/* Re-parse the new body so every pointer refers to the new store. */
	uint8_t *old_store = r->store;
	size_t old_len = r->store_len, old_n = r->n_entries, old_c = r->n_certs;
	r->store = body;
	r->store_len = body_len;
	if ((rc = parse_body(r))) {
		r->store = old_store;
		r->store_len = old_len;
		r->n_entries = old_n;
		r->n_certs = old_c;
		free(body);
		if (old_store && parse_body(r) != PHR_OK)
			rc = phr_fail(PHR_E_MALFORMED, "internal error: record could not be restored");
		goto out;
	}
	free(old_store);
out:
	free(payload);
	free(cose);
	return rc;
}

int phr_record_encode(const struct phr_record *r, int compression, uint8_t **out, size_t *len)
{
	uint8_t *body = NULL, *comp = NULL, *buf = NULL;
	size_t body_len, comp_len;
	int rc;
	*out = NULL;
	*len = 0;
	if (compression < 0)
		compression = phr_compression_default();
	if (compression > PHR_COMP_MAX)
		return phr_fail(PHR_E_ARG, "unknown compression %d", compression);
	if ((rc = phr_record_body(r, &body, &body_len)))
		return rc;
	if ((rc = phr_compress(compression, body, body_len, &comp, &comp_len)))
		goto out;
	if (comp_len > PHR_MAX_CONTAINER - PHR_CONTAINER_HEADER) {
		rc = phr_fail(PHR_E_LIMIT, "container would be %zu bytes, more than PHR_MAX_CONTAINER (%d)",
			      comp_len + PHR_CONTAINER_HEADER, PHR_MAX_CONTAINER);
		goto out;
	}
	if (!(buf = malloc(comp_len + PHR_CONTAINER_HEADER))) {
		rc = phr_fail(PHR_E_NOMEM, "out of memory");
		goto out;
	}
	buf[0] = r->n_side ? PHR_CONTAINER_VERSION_MERGED : PHR_CONTAINER_VERSION;
	buf[1] = (uint8_t)compression;
	buf[2] = (uint8_t)(body_len >> 16);
	buf[3] = (uint8_t)(body_len >> 8);
	buf[4] = (uint8_t)body_len;
	memcpy(buf + PHR_CONTAINER_HEADER, comp, comp_len);
	*out = buf;
	*len = comp_len + PHR_CONTAINER_HEADER;
out:
	free(body);
	free(comp);
	return rc;
}

/* ---- joining two branches (docs/FORMAT.md, "Merged records") ---- */

int phr_record_merge(const struct phr_record *a, const struct phr_record *b, const struct phr_seckey *key,
		     const uint8_t *cert, size_t cert_len, uint64_t signed_at, int *newer, struct phr_record **out)
{
	struct phr_record *t = NULL, *r = NULL;
	uint8_t *body = NULL, *content = NULL;
	size_t body_len, content_len;
	int rc;
	*out = NULL;
	*newer = -1;
	if (memcmp(a->id, b->id, PHR_RECORD_ID_LEN) != 0)
		return phr_fail(PHR_E_UNRELATED, "the two copies are different records (their record ids differ)");
	if (a->n_side || b->n_side)
		return phr_fail(PHR_E_MERGE,
				"%s copy is a merged record already: a record joins at most PHR_MAX_BRANCHES (%d) branches, once",
				a->n_side ? "the first" : "the second", PHR_MAX_BRANCHES);
	size_t k = 0;
	while (k < a->n_entries && k < b->n_entries && !memcmp(a->entries[k].hash, b->entries[k].hash, PHR_HASH_LEN))
		k++;
	if (k == 0)
		return phr_fail(PHR_E_UNRELATED, "the two copies share no entry: they are not branches of one record");
	if (k == a->n_entries || k == b->n_entries) {
		*newer = a->n_entries == b->n_entries ? 2 : k == a->n_entries ? 1 : 0;
		return phr_fail(PHR_E_NOT_FORK, "%s", *newer == 2 ? "not a fork: the two copies are the same version"
								  : "not a fork: one copy holds every entry of the other");
	}
	/* The longer branch stays the main chain (a on a tie): the merged
	 * record then has more entries than either copy, and whatever takes the
	 * version with most entries as the newest takes the merged one. */
	if (b->n_entries > a->n_entries) {
		const struct phr_record *x = a;
		a = b;
		b = x;
	}
	size_t ns = b->n_entries - k;
	if (ns > PHR_MAX_SIDE_ENTRIES)
		return phr_fail(PHR_E_MERGE,
				"the second copy has %zu entries after the fork point, more than PHR_MAX_SIDE_ENTRIES (%d)", ns,
				PHR_MAX_SIDE_ENTRIES);
	if ((rc = record_new(&t)))
		return rc;
	/* a's chain, b's entries after the fork, both certificate lists */
	memcpy(t->id, a->id, PHR_RECORD_ID_LEN);
	t->n_entries = a->n_entries;
	memcpy(t->entries, a->entries, a->n_entries * sizeof(a->entries[0]));
	t->n_side = ns;
	memcpy(t->side, b->entries + k, ns * sizeof(b->entries[0]));
	for (size_t i = 0; i < a->n_certs + b->n_certs; i++) {
		const uint8_t *p = i < a->n_certs ? a->certs[i] : b->certs[i - a->n_certs];
		size_t len = i < a->n_certs ? a->cert_lens[i] : b->cert_lens[i - a->n_certs];
		bool dup = false;
		for (size_t j = 0; j < t->n_certs && !dup; j++)
			dup = t->cert_lens[j] == len && !memcmp(t->certs[j], p, len);
		if (dup)
			continue;
		if (t->n_certs >= PHR_MAX_EMBEDDED_CERTS) {
			rc = phr_fail(PHR_E_LIMIT, "the two copies embed more than PHR_MAX_EMBEDDED_CERTS (%d) certificates",
				      PHR_MAX_EMBEDDED_CERTS);
			goto out;
		}
		t->certs[t->n_certs] = p;
		t->cert_lens[t->n_certs++] = len;
	}
	if ((rc = phr_record_body(t, &body, &body_len)) || (rc = record_new(&r)))
		goto out;
	r->store = body;
	r->store_len = body_len;
	body = NULL;
	if ((rc = parse_body(r)))
		goto out;
	/* the merge entry's content: a follow-up that says what was joined */
	{
		char date[16], notes[200];
		time_t tt = (time_t)signed_at;
		struct tm tm;
		if (!gmtime_r(&tt, &tm) || !strftime(date, sizeof(date), "%Y-%m-%d", &tm)) {
			rc = phr_fail(PHR_E_ARG, "signing time %llu cannot be written as a date", (unsigned long long)signed_at);
			goto out;
		}
		snprintf(notes, sizeof(notes),
			 "Merge of two copies that diverged after entry %zu: entries %zu to %zu of the other copy are kept as a side branch.",
			 k - 1, k, k + ns - 1);
		json_t *j = json_pack("{s:s, s:s, s:s}", "kind", "follow_up", "date", date, "notes", notes);
		if (!j) {
			rc = phr_fail(PHR_E_NOMEM, "out of memory");
			goto out;
		}
		rc = phr_entry_encode_json(j, &content, &content_len);
		json_decref(j);
		if (rc)
			goto out;
	}
	if ((rc = append_entry(r, key, cert, cert_len, content, content_len, NULL, 0, k, r->side[ns - 1].hash,
			       signed_at)))
		goto out;
	*out = r;
	r = NULL;
out:
	free(body);
	free(content);
	if (t)
		t->store = NULL;
	phr_record_destroy(t);
	phr_record_destroy(r);
	return rc;
}
