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

/* Parses an entry payload {1: index, 2: signed-at, 3: content, ?4: sealed}. */
static int parse_payload(struct phr_entry *e)
{
	struct phr_cbor_dec d;
	size_t n;
	int rc;
	if ((rc = phr_cbor_dec_init(&d, e->cose.payload, e->cose.payload_len)))
		return rc;
	if ((rc = phr_cbor_get_map(&d, &n)))
		return rc;
	if (n != 3 && n != 4)
		return phr_fail(PHR_E_MALFORMED, "entry payload must be a map of 3 or 4 fields, has %zu", n);
	if ((rc = phr_cbor_expect_key(&d, 1)) || (rc = phr_cbor_get_uint(&d, &e->index)) ||
	    (rc = phr_cbor_expect_key(&d, 2)) || (rc = phr_cbor_get_uint(&d, &e->signed_at)) ||
	    (rc = phr_cbor_expect_key(&d, 3)))
		return rc;
	e->sealed = NULL;
	e->sealed_len = 0;
	e->sealed_sections = 0;
	e->seal_state = 0;
	e->seal_why[0] = '\0';
	if (n == 3) {
		/* The payload validated as one item with nothing after it, and
		 * key 3 is its last: the content is the rest of it. */
		e->content = d.p + d.off;
		e->content_len = d.len - d.off;
	} else {
		struct phr_seal_envelope env;
		if ((rc = phr_cbor_get_raw(&d, &e->content, &e->content_len)) || (rc = phr_cbor_expect_key(&d, 4)) ||
		    (rc = phr_cbor_get_raw(&d, &e->sealed, &e->sealed_len)))
			return rc;
		if ((rc = phr_seal_envelope_parse(e->sealed, e->sealed_len, &env))) {
			e->sealed = NULL;
			return rc;
		}
		e->sealed_sections = env.sections;
	}
	return phr_entry_validate_nested(e->content, e->content_len);
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
	if (n != 3)
		return phr_fail(PHR_E_MALFORMED, "container body must be [record id, entries, certificates], has %zu items", n);
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
	for (size_t i = 0; i < ne; i++) {
		struct phr_entry *e = &r->entries[i];
		if ((rc = phr_cbor_get_raw(&d, &e->raw, &e->raw_len)))
			return phr_fail_wrap(rc, "entry %zu", i);
		crypto_generichash(e->hash, PHR_HASH_LEN, e->raw, e->raw_len, NULL, 0);
		/* A bad COSE structure or payload is kept: the entry is shown as
		 * unverified rather than the whole record being thrown away. */
		e->content_err = phr_cose_parse(e->raw, e->raw_len, &e->cose);
		if (e->content_err == PHR_OK)
			e->content_err = parse_payload(e);
		if (e->content_err) {
			snprintf(e->content_why, sizeof(e->content_why), "%s", phr_last_error());
			phr_fail_wrap(e->content_err, "entry %zu", i);
			e->content = NULL;
			e->content_len = 0;
		}
	}
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
	if (buf[0] != PHR_CONTAINER_VERSION)
		return phr_fail(PHR_E_VERSION, "container version %u is not supported (this reader knows version %d)",
				buf[0], PHR_CONTAINER_VERSION);
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
		phr_cbor_put_array(&e, 3);
		phr_cbor_put_bytes(&e, r->id, PHR_RECORD_ID_LEN);
		phr_cbor_put_array(&e, r->n_entries + (extra_entry ? 1 : 0));
		for (size_t i = 0; i < r->n_entries; i++)
			phr_cbor_put_raw(&e, r->entries[i].raw, r->entries[i].raw_len);
		if (extra_entry)
			phr_cbor_put_raw(&e, extra_entry, extra_len);
		phr_cbor_put_array(&e, nc);
		for (size_t i = 0; i < nc; i++)
			phr_cbor_put_bytes(&e, certs[i], lens[i]);
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

int phr_record_append_sealed(struct phr_record *r, const struct phr_seckey *key, const uint8_t *cert,
			     size_t cert_len, const uint8_t *content, size_t content_len, const uint8_t *sealed,
			     size_t sealed_len, uint64_t signed_at)
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
	uint8_t kids[PHR_MAX_ENTRIES][PHR_KID_LEN];
	uint64_t at[PHR_MAX_ENTRIES];
	const uint8_t *certs[PHR_MAX_EMBEDDED_CERTS];
	size_t lens[PHR_MAX_EMBEDDED_CERTS], nc;
	for (size_t i = 0; i < r->n_entries; i++) {
		memcpy(kids[i], r->entries[i].cose.kid, PHR_KID_LEN);
		at[i] = r->entries[i].signed_at;
	}
	memcpy(kids[r->n_entries], phr_seckey_public(key)->kid, PHR_KID_LEN);
	at[r->n_entries] = signed_at;
	if ((rc = canonical_certs(cand, n_cand, (const uint8_t(*)[PHR_KID_LEN])kids, at, r->n_entries + 1, certs, lens,
				  &nc)))
		return rc;

	for (int pass = 0; pass < 2; pass++) {
		phr_cbor_enc_init(&e, payload, plen);
		phr_cbor_put_map(&e, sealed ? 4 : 3);
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
	buf[0] = PHR_CONTAINER_VERSION;
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
