/* phr sync: the clinic's side of the hub (docs/HUB.md). Store and forward:
 * every new version and document of the clinic's register goes into the
 * outbox (SQLite triggers, store_sqlite.c migration 4) in the same
 * transaction that stores it, and leaves it only once the hub has
 * answered that it holds it, so nothing is lost when the network, the hub
 * or this process stops, and pushing again is harmless (the hub keeps one
 * row per version and per document). Then newer versions of the records
 * the clinic holds, their documents, and a newer trust bundle are pulled.
 *
 * The outbox and the list of record ids are read with SQLite directly (the
 * register's API has no call for them); all else goes through the register. */
#include "hub.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "phr/container.h"
#include "phr/render.h"

#define SYNC_BATCH 200          /* outbox rows sent per round */
#define SYNC_BACKOFF_MIN 2      /* seconds before the first retry */
#define SYNC_BACKOFF_MAX 600    /* longest wait between retries */
#define SYNC_TIMEOUT 30         /* seconds one request may take */
#define SYNC_MAX_RESPONSE (HUB_MAX_BODY + 65536u)

struct buf {
	uint8_t *p;
	size_t len;
	bool over;
};

static size_t write_cb(char *data, size_t size, size_t n, void *ctx)
{
	struct buf *b = ctx;
	size_t add = size * n;
	if (b->len + add > SYNC_MAX_RESPONSE) {
		b->over = true;
		return 0;
	}
	uint8_t *p = realloc(b->p, b->len + add + 1);
	if (!p)
		return 0;
	memcpy(p + b->len, data, add);
	b->p = p;
	b->len += add;
	b->p[b->len] = 0;
	return add;
}

struct ctx {
	const struct sync_options *o;
	CURL *curl;
	struct phr_register *reg;
	sqlite3 *db;
	struct phr_trust *trust;
	char cert_hex[2 * 1024 + 1];
	size_t pushed, pulled, docs_pulled, left, refused;
	uint64_t trust_pulled;
	bool pull_incomplete;   /* a version or document of this round's pull not filed: the cursor stays */
	char *lock_path; /* DB.sync-lock */
	int lock_fd;
};

/* One signed request; *status 0 when the hub was not reached. */
static int request(struct ctx *x, const char *method, const char *path, const char *type, const uint8_t *body,
		   size_t len, long *status, struct buf *resp, char *trust_version, size_t tv_cap)
{
	char url[600], h[5][HUB_MAX_SIG_HEX + 64], nonce_hex[2 * HUB_NONCE_LEN + 1], *sig = NULL;
	uint8_t nonce[HUB_NONCE_LEN];
	uint64_t t = x->o->now();
	struct curl_slist *hl = NULL;
	*status = 0;
	memset(resp, 0, sizeof(*resp));
	randombytes_buf(nonce, sizeof(nonce));
	sodium_bin2hex(nonce_hex, sizeof(nonce_hex), nonce, sizeof(nonce));
	int rc = hub_sign(x->o->key, method, path, t, nonce_hex, body, len, &sig);
	if (rc)
		return rc;
	char kid[PHR_KID_HEX_LEN];
	phr_kid_to_hex(phr_seckey_public(x->o->key)->kid, kid);
	snprintf(h[0], sizeof(h[0]), "X-Phr-Cert: %s", kid);
	snprintf(h[1], sizeof(h[1]), "X-Phr-Time: %llu", (unsigned long long)t);
	snprintf(h[2], sizeof(h[2]), "X-Phr-Nonce: %s", nonce_hex);
	snprintf(h[3], sizeof(h[3]), "X-Phr-Signature: %s", sig);
	snprintf(h[4], sizeof(h[4]), "Content-Type: %s", type ? type : "application/octet-stream");
	free(sig);
	for (int i = 0; i < 5; i++)
		hl = curl_slist_append(hl, h[i]);
	char *certh = malloc(strlen(x->cert_hex) + 32);
	if (certh) {
		sprintf(certh, "X-Phr-Certificate: %s", x->cert_hex);
		hl = curl_slist_append(hl, certh);
		free(certh);
	}
	hl = curl_slist_append(hl, "Expect:");
	snprintf(url, sizeof(url), "%s%s", x->o->hub, path);
	CURL *c = x->curl;
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, resp);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)SYNC_TIMEOUT);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 5L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	if (x->o->ca_file)
		curl_easy_setopt(c, CURLOPT_CAINFO, x->o->ca_file);
	if (!strcmp(method, "POST")) {
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, len ? (const char *)body : "");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	}
	struct curl_header *th = NULL;
	CURLcode cc = curl_easy_perform(c);
	curl_slist_free_all(hl);
	if (cc != CURLE_OK) {
		free(resp->p);
		memset(resp, 0, sizeof(*resp));
		return phr_fail(PHR_E_HUB_UNREACHABLE, "hub %s: %s", x->o->hub, curl_easy_strerror(cc));
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	if (trust_version && tv_cap) {
		trust_version[0] = '\0';
		if (curl_easy_header(c, "X-Phr-Trust-Version", 0, CURLH_HEADER, -1, &th) == CURLHE_OK && th)
			snprintf(trust_version, tv_cap, "%s", th->value);
	}
	return PHR_OK;
}

static const char *hub_error(const struct buf *b)
{
	static char msg[300];
	json_t *j = b->p ? json_loadb((const char *)b->p, b->len, 0, NULL) : NULL;
	snprintf(msg, sizeof(msg), "%s", json_string_value(json_object_get(j, "error")) ? json_string_value(json_object_get(j, "error")) : "");
	json_decref(j);
	return msg;
}

/* ---- push: the outbox ----------------------------------------------- */

static int64_t wall(void)
{
	return (int64_t)time(NULL);
}

/* When to try a row again after tries failures: exponential, with jitter
 * (half to all of the delay), so that clinics that lost the hub together
 * do not come back together. */
static int64_t backoff(unsigned tries)
{
	int64_t d = SYNC_BACKOFF_MIN;
	for (unsigned i = 0; i < tries && d < SYNC_BACKOFF_MAX; i++)
		d *= 2;
	if (d > SYNC_BACKOFF_MAX)
		d = SYNC_BACKOFF_MAX;
	return d / 2 + (int64_t)randombytes_uniform((uint32_t)(d / 2 + 1));
}

static int sq_run(sqlite3 *db, const char *sql, int64_t a, int64_t b)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return phr_fail(PHR_E_DB, "sync: outbox: %s", sqlite3_errmsg(db));
	sqlite3_bind_int64(st, 1, a);
	sqlite3_bind_int64(st, 2, b);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? PHR_OK : phr_fail(PHR_E_DB, "sync: outbox: %s", sqlite3_errmsg(db));
}

/* The row is done if no newer version came in meanwhile (gen unchanged). */
static int outbox_done(struct ctx *x, int64_t id, int64_t gen)
{
	return sq_run(x->db, "DELETE FROM outbox WHERE id = ?1 AND gen = ?2", id, gen);
}

static int outbox_retry(struct ctx *x, int64_t id, unsigned tries)
{
	return sq_run(x->db, "UPDATE outbox SET tries = tries + 1, next_at = ?2 WHERE id = ?1", id,
		      wall() + backoff(tries));
}

static int push_one(struct ctx *x, const char *kind, const uint8_t *ref, size_t ref_len, long *status, struct buf *resp)
{
	uint8_t *bytes = NULL;
	size_t len = 0;
	char path[200], type[PHR_REG_MEDIA_TYPE_MAX] = "application/octet-stream";
	int rc;
	*status = 0;
	memset(resp, 0, sizeof(*resp));
	if (!strcmp(kind, "record") && ref_len == PHR_RECORD_ID_LEN) {
		/* every head: the latest, and the other branch of a fork */
		struct hub_heads heads;
		if ((rc = hub_heads_of(x->reg, ref, &heads)))
			return rc;
		for (size_t i = 0; i < heads.n; i++) {
			if ((rc = phr_register_version_container(x->reg, ref, heads.hex[i], &bytes, &len)))
				return rc;
			free(resp->p);
			rc = request(x, "POST", "/v1/versions", NULL, bytes, len, status, resp, NULL, 0);
			free(bytes);
			if (rc || (*status != 200 && *status != 201))
				return rc;
		}
		return PHR_OK;
	} else if (!strcmp(kind, "document") && ref_len == PHR_HASH_LEN) {
		rc = phr_register_get_document(x->reg, ref, type, &bytes, &len);
		char hex[2 * PHR_HASH_LEN + 1];
		sodium_bin2hex(hex, sizeof(hex), ref, PHR_HASH_LEN);
		snprintf(path, sizeof(path), "/v1/documents/%s", hex);
	} else {
		return PHR_E_NOT_FOUND; /* not ours: dropped */
	}
	if (rc)
		return rc; /* forgotten meanwhile: nothing to send */
	rc = request(x, "POST", path, type, bytes, len, status, resp, NULL, 0);
	free(bytes);
	return rc;
}

static int push(struct ctx *x)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(x->db, x->o->once ? "SELECT id, kind, ref, tries, gen FROM outbox ORDER BY id LIMIT ?1"
						      : "SELECT id, kind, ref, tries, gen FROM outbox WHERE next_at <= ?2 "
							"ORDER BY id LIMIT ?1",
				    -1, &st, NULL);
	if (rc != SQLITE_OK)
		return phr_fail(PHR_E_DB, "sync: outbox: %s", sqlite3_errmsg(x->db));
	sqlite3_bind_int64(st, 1, SYNC_BATCH);
	sqlite3_bind_int64(st, 2, wall());
	struct row {
		int64_t id, gen;
		char kind[16];
		uint8_t ref[PHR_HASH_LEN];
		size_t ref_len;
		unsigned tries;
	} *rows = calloc(SYNC_BATCH, sizeof(*rows));
	size_t n = 0;
	if (!rows) {
		sqlite3_finalize(st);
		return phr_fail(PHR_E_NOMEM, "out of memory");
	}
	while (n < SYNC_BATCH && sqlite3_step(st) == SQLITE_ROW) {
		struct row *r = &rows[n++];
		r->id = sqlite3_column_int64(st, 0);
		snprintf(r->kind, sizeof(r->kind), "%s", (const char *)sqlite3_column_text(st, 1));
		r->ref_len = (size_t)sqlite3_column_bytes(st, 2);
		if (r->ref_len > sizeof(r->ref))
			r->ref_len = 0;
		if (r->ref_len)
			memcpy(r->ref, sqlite3_column_blob(st, 2), r->ref_len);
		r->tries = (unsigned)sqlite3_column_int(st, 3);
		r->gen = sqlite3_column_int64(st, 4);
	}
	sqlite3_finalize(st);
	int out = PHR_OK;
	/* documents first: a version that refers to one then finds it there */
	for (int pass = 0; pass < 2 && !out; pass++)
		for (size_t i = 0; i < n && !out; i++) {
			struct row *r = &rows[i];
			if ((pass == 0) != !strcmp(r->kind, "document"))
				continue;
			long status;
			struct buf resp;
			rc = push_one(x, r->kind, r->ref, r->ref_len, &status, &resp);
			if (rc == PHR_E_HUB_UNREACHABLE) {
				outbox_retry(x, r->id, r->tries);
				out = rc; /* the hub is gone: the rest waits */
			} else if (rc) {
				outbox_done(x, r->id, r->gen); /* nothing left to send */
			} else if (status == 200 || status == 201) {
				outbox_done(x, r->id, r->gen);
				x->pushed++;
			} else if (status == 403 || status == 422 || status == 400 || status == 413) {
				/* the hub will never take it (consent, unverified): dropped, said */
				if (!x->o->quiet)
					fprintf(stderr, "phr sync: the hub refused a %s (%ld): %s\n", r->kind, status,
						hub_error(&resp));
				outbox_done(x, r->id, r->gen);
				x->refused++;
			} else if (status == 401) {
				outbox_retry(x, r->id, r->tries);
				out = phr_fail(PHR_E_HUB_AUTH, "the hub refused this clinic: %s", hub_error(&resp));
			} else {
				outbox_retry(x, r->id, r->tries);
				if (!x->o->quiet)
					fprintf(stderr, "phr sync: the hub answered %ld: %s (retried later)\n", status,
						hub_error(&resp));
			}
			free(resp.p);
		}
	free(rows);
	return out;
}

/* ---- pull ------------------------------------------------------------- */

struct have {
	const char *hex;
	bool found;
};

static int have_cb(void *ctx, const struct phr_register_version *v)
{
	struct have *h = ctx;
	if (!strcmp(v->version_hex, h->hex))
		h->found = true;
	return 0;
}

struct missing {
	uint8_t hash[16][PHR_HASH_LEN];
	size_t n;
};

static int missing_cb(void *ctx, const struct phr_register_document *d)
{
	struct missing *m = ctx;
	if (!d->present && m->n < 16)
		memcpy(m->hash[m->n++], d->hash, PHR_HASH_LEN);
	return 0;
}

/* Whether the outbox holds a row for kind and ref. */
static bool outbox_has(struct ctx *x, const char *kind, const uint8_t *ref, size_t ref_len)
{
	sqlite3_stmt *st;
	bool has = false;
	if (sqlite3_prepare_v2(x->db, "SELECT 1 FROM outbox WHERE kind = ?1 AND ref = ?2", -1, &st, NULL) != SQLITE_OK)
		return true; /* unknown: keep whatever is there */
	sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, ref, (int)ref_len, SQLITE_STATIC);
	has = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return has;
}

/* Takes out the row that storing a pulled version or document queued,
 * only if it is still that one (gen, for records: 1 after one store). */
static void outbox_forget(struct ctx *x, const char *kind, const uint8_t *ref, size_t ref_len, int64_t gen)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(x->db, "DELETE FROM outbox WHERE kind = ?1 AND ref = ?2 AND gen = ?3", -1, &st, NULL) !=
	    SQLITE_OK)
		return;
	sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, ref, (int)ref_len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, gen);
	sqlite3_step(st);
	sqlite3_finalize(st);
}

static int pull_record(struct ctx *x, const uint8_t id[PHR_RECORD_ID_LEN])
{
	char rhex[33], path[200];
	long status;
	struct buf resp;
	phr_record_id_hex(id, rhex);
	snprintf(path, sizeof(path), "/v1/records/%s", rhex);
	int rc = request(x, "GET", path, NULL, NULL, 0, &status, &resp, NULL, 0);
	if (rc)
		return rc;
	if (status == 401) {
		rc = phr_fail(PHR_E_HUB_AUTH, "the hub refused this clinic: %s", hub_error(&resp));
		free(resp.p);
		return rc;
	}
	if (status >= 500) {
		rc = phr_fail(PHR_E_HUB, "the hub answered %ld: %s (record %s pulled at the next round)", status,
			      hub_error(&resp), rhex);
		free(resp.p);
		return rc;
	}
	if (status != 200) { /* not there, or not shared with this clinic */
		free(resp.p);
		return PHR_OK;
	}
	json_t *j = json_loadb((const char *)resp.p, resp.len, 0, NULL);
	free(resp.p);
	if (!j)
		x->pull_incomplete = true;
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(j, "versions"), i, v) {
		const char *vhex = json_string_value(json_object_get(v, "version"));
		const char *b64 = json_string_value(json_object_get(v, "container"));
		if (!vhex || !b64)
			continue;
		struct have h = { .hex = vhex };
		if (phr_register_each_version(x->reg, id, have_cb, &h) || h.found)
			continue;
		size_t cap = strlen(b64), len = 0;
		uint8_t *c = malloc(cap + 1);
		if (!c || sodium_base642bin(c, cap, b64, strlen(b64), NULL, &len, NULL, sodium_base64_VARIANT_ORIGINAL)) {
			free(c);
			continue;
		}
		struct phr_register_added a;
		bool queued = outbox_has(x, "record", id, PHR_RECORD_ID_LEN);
		rc = phr_register_add(x->reg, c, len, x->trust, x->o->now(), PHR_REG_HOW_ADD, &a);
		free(c);
		if (rc == PHR_OK) {
			x->pulled++;
			/* It came from the hub: no need to send it back, unless
			 * the record was queued before (a version of this clinic
			 * not sent yet) or a version was stored here meanwhile
			 * (gen past the 1 that storing this one left): that row
			 * stays and is pushed at the next round (pushing again is
			 * harmless). A process killed between the store and this
			 * DELETE leaves the row too: the next round's push, which
			 * comes before its pull, drains it. */
			if (!queued)
				outbox_forget(x, "record", id, PHR_RECORD_ID_LEN, 1);
		} else {
			x->pull_incomplete = true;
			if (!x->o->quiet)
				fprintf(stderr, "phr sync: record %s from the hub not filed: %s\n", rhex,
					phr_last_error());
		}
		rc = PHR_OK;
	}
	json_decref(j);
	/* documents its entries refer to that are not here yet */
	struct missing m = { .n = 0 };
	if (phr_register_each_document(x->reg, id, missing_cb, &m))
		return PHR_OK;
	for (size_t k = 0; k < m.n; k++) {
		char dhex[2 * PHR_HASH_LEN + 1];
		sodium_bin2hex(dhex, sizeof(dhex), m.hash[k], PHR_HASH_LEN);
		snprintf(path, sizeof(path), "/v1/records/%s/documents/%s", rhex, dhex);
		bool queued = outbox_has(x, "document", m.hash[k], PHR_HASH_LEN);
		if ((rc = request(x, "GET", path, NULL, NULL, 0, &status, &resp, NULL, 0)))
			return rc;
		if (status == 200) {
			char *type = NULL;
			curl_easy_getinfo(x->curl, CURLINFO_CONTENT_TYPE, &type);
			if (!phr_register_put_document(x->reg, m.hash[k], type ? type : "application/octet-stream", resp.p,
						       resp.len)) {
				x->docs_pulled++;
				if (!queued)
					outbox_forget(x, "document", m.hash[k], PHR_HASH_LEN, 0);
			} else {
				x->pull_incomplete = true;
			}
		} else if (status >= 500) {
			x->pull_incomplete = true;
		}
		free(resp.p);
	}
	return PHR_OK;
}

static int pull_records(struct ctx *x)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(x->db, "SELECT record_id FROM records ORDER BY id", -1, &st, NULL) != SQLITE_OK)
		return phr_fail(PHR_E_DB, "sync: %s", sqlite3_errmsg(x->db));
	uint8_t(*ids)[PHR_RECORD_ID_LEN] = NULL;
	size_t n = 0, cap = 0;
	int rc = PHR_OK;
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (sqlite3_column_bytes(st, 0) != PHR_RECORD_ID_LEN)
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 256;
			void *p = realloc(ids, cap * PHR_RECORD_ID_LEN);
			if (!p) {
				rc = phr_fail(PHR_E_NOMEM, "out of memory");
				break;
			}
			ids = p;
		}
		memcpy(ids[n++], sqlite3_column_blob(st, 0), PHR_RECORD_ID_LEN);
	}
	sqlite3_finalize(st);
	for (size_t i = 0; i < n && !rc; i++)
		rc = pull_record(x, ids[i]);
	free(ids);
	return rc;
}

/* ---- pull by changes since a cursor (docs/HUB.md) --------------------- */

/* This hub's cursor in the register (hub_cursor, migration 7). */
static int cursor_get(struct ctx *x, bool *have, int64_t *cursor, int64_t *arrivals)
{
	sqlite3_stmt *st;
	*have = false;
	*cursor = *arrivals = 0;
	if (sqlite3_prepare_v2(x->db, "SELECT cursor, arrivals FROM hub_cursor WHERE hub = ?1", -1, &st, NULL) !=
	    SQLITE_OK)
		return phr_fail(PHR_E_DB, "sync: cursor: %s", sqlite3_errmsg(x->db));
	sqlite3_bind_text(st, 1, x->o->hub, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		*have = true;
		*cursor = sqlite3_column_int64(st, 0);
		*arrivals = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	return PHR_OK;
}

static int cursor_put(struct ctx *x, int64_t cursor, int64_t arrivals)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(x->db, "INSERT INTO hub_cursor(hub, cursor, arrivals, at) VALUES (?1, ?2, ?3, ?4) "
			       "ON CONFLICT (hub) DO UPDATE SET cursor = excluded.cursor, arrivals = excluded.arrivals, "
			       "at = excluded.at", -1, &st, NULL) != SQLITE_OK)
		return phr_fail(PHR_E_DB, "sync: cursor: %s", sqlite3_errmsg(x->db));
	sqlite3_bind_text(st, 1, x->o->hub, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, cursor);
	sqlite3_bind_int64(st, 3, arrivals);
	sqlite3_bind_int64(st, 4, (int64_t)x->o->now());
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? PHR_OK : phr_fail(PHR_E_DB, "sync: cursor: %s", sqlite3_errmsg(x->db));
}

/* POST /v1/changes: which of q's records changed since q->cursor; *a the
 * answer (its cursor, the ids changed). */
static int ask_changes(struct ctx *x, const struct hub_changes *q, struct hub_changes *a)
{
	char *body = NULL;
	long status;
	struct buf resp;
	int rc = hub_changes_json(q, "records", &body);
	if (rc)
		return rc;
	rc = request(x, "POST", "/v1/changes", "application/json", (const uint8_t *)body, strlen(body), &status, &resp,
		     NULL, 0);
	free(body);
	if (rc)
		return rc;
	if (status == 401)
		rc = phr_fail(PHR_E_HUB_AUTH, "the hub refused this clinic: %s", hub_error(&resp));
	else if (status != 200)
		rc = phr_fail(PHR_E_HUB, "the hub answered %ld to changes: %s (pulled at the next round)", status,
			      hub_error(&resp));
	else if ((rc = hub_changes_parse(resp.p, resp.len, "changed", a)))
		rc = phr_fail(PHR_E_HUB, "the hub's answer to changes: %s", phr_last_error());
	free(resp.p);
	return rc;
}

/* The records held, in the order they were filed, split: those filed
 * after arrival number upto (or with none) into *fresh, the others into
 * *old. *max: the highest arrival number now. */
static int records_held(struct ctx *x, int64_t upto, uint8_t (**old)[PHR_RECORD_ID_LEN], size_t *n_old,
			uint8_t (**fresh)[PHR_RECORD_ID_LEN], size_t *n_fresh, int64_t *max)
{
	sqlite3_stmt *st;
	size_t cap = 0, fcap = 0;
	int rc = PHR_OK;
	*old = *fresh = NULL;
	*n_old = *n_fresh = 0;
	*max = 0;
	if (sqlite3_exec(x->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		return phr_fail(PHR_E_DB, "sync: %s", sqlite3_errmsg(x->db));
	if (sqlite3_prepare_v2(x->db, "SELECT coalesce(max(n), 0) FROM record_arrivals", -1, &st, NULL) != SQLITE_OK) {
		rc = phr_fail(PHR_E_DB, "sync: %s", sqlite3_errmsg(x->db));
		goto out;
	}
	if (sqlite3_step(st) == SQLITE_ROW)
		*max = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (sqlite3_prepare_v2(x->db, "SELECT r.record_id, coalesce(a.n, ?1 + 1) > ?1 FROM records r "
			       "LEFT JOIN record_arrivals a ON a.record = r.id ORDER BY r.id", -1, &st, NULL) != SQLITE_OK) {
		rc = phr_fail(PHR_E_DB, "sync: %s", sqlite3_errmsg(x->db));
		goto out;
	}
	sqlite3_bind_int64(st, 1, upto);
	while (!rc && sqlite3_step(st) == SQLITE_ROW) {
		if (sqlite3_column_bytes(st, 0) != PHR_RECORD_ID_LEN)
			continue;
		bool is_fresh = sqlite3_column_int(st, 1) != 0;
		uint8_t(**list)[PHR_RECORD_ID_LEN] = is_fresh ? fresh : old;
		size_t *n = is_fresh ? n_fresh : n_old, *c = is_fresh ? &fcap : &cap;
		if (*n == *c) {
			*c = *c ? 2 * *c : 256;
			void *p = realloc(*list, *c * PHR_RECORD_ID_LEN);
			if (!p) {
				rc = phr_fail(PHR_E_NOMEM, "out of memory");
				break;
			}
			*list = p;
		}
		memcpy((*list)[(*n)++], sqlite3_column_blob(st, 0), PHR_RECORD_ID_LEN);
	}
	sqlite3_finalize(st);
out:
	sqlite3_exec(x->db, rc ? "ROLLBACK" : "COMMIT", NULL, NULL, NULL);
	if (rc) {
		free(*old);
		free(*fresh);
		*old = *fresh = NULL;
		*n_old = *n_fresh = 0;
	}
	return rc;
}

/* The pull of a round. Whole (every record held asked for, as before
 * the cursor) at the first round with this hub and with --full; else the
 * hub is asked, in batches, which of the records held changed since the
 * cursor, and only those are fetched, with the records filed here since
 * the last round. The new cursor is stored only once the round's fetches
 * are all filed: a round stopped before that asks again from the old one. */
static int pull_changes(struct ctx *x)
{
	struct hub_changes *q = calloc(1, sizeof(*q)), *a = calloc(1, sizeof(*a));
	uint8_t(*old)[PHR_RECORD_ID_LEN] = NULL, (*fresh)[PHR_RECORD_ID_LEN] = NULL;
	size_t n_old = 0, n_fresh = 0, asked = 0, changed = 0, requests = 0;
	int64_t cursor, upto, max, l = INT64_MAX;
	bool have, whole;
	int rc;
	if (!q || !a) {
		rc = phr_fail(PHR_E_NOMEM, "out of memory");
		goto out;
	}
	x->pull_incomplete = false;
	if ((rc = cursor_get(x, &have, &cursor, &upto)))
		goto out;
	whole = x->o->full || !have;
	if ((rc = records_held(x, whole ? INT64_MAX : upto, &old, &n_old, &fresh, &n_fresh, &max)))
		goto out;
	size_t batch = x->o->changes_batch && x->o->changes_batch < HUB_MAX_CHANGES ? x->o->changes_batch : HUB_MAX_CHANGES;
	if (whole) {
		/* the cursor first (no records named), then everything */
		q->cursor = have ? cursor : 0;
		q->n = 0;
		if ((rc = ask_changes(x, q, a)))
			goto out;
		requests++;
		l = a->cursor;
		if ((rc = pull_records(x)))
			goto out;
	} else {
		/* at least one request, so that the cursor moves */
		for (size_t i = 0; (i < n_old || !requests) && !rc; i += batch) {
			q->cursor = cursor;
			q->n = n_old - i < batch ? n_old - i : batch;
			if (q->n)
				memcpy(q->ids, old[i], q->n * PHR_RECORD_ID_LEN);
			if ((rc = ask_changes(x, q, a)))
				break;
			requests++;
			asked += q->n;
			if (a->cursor < cursor) {
				/* the hub went back (its database restored from a backup):
				 * a whole pull, and its cursor from now on */
				if (!x->o->quiet)
					fprintf(stderr, "phr sync: the hub's cursor went back (%lld, was %lld): a whole pull\n",
						(long long)a->cursor, (long long)cursor);
				whole = true;
				q->n = 0;
				if ((rc = ask_changes(x, q, a)))
					break;
				requests++;
				l = a->cursor;
				rc = pull_records(x);
				break;
			}
			if (a->cursor < l)
				l = a->cursor;
			changed += a->n;
			for (size_t k = 0; k < a->n && !rc; k++) {
				/* only a record named in this batch (one held here) */
				bool named = false;
				for (size_t m = 0; m < q->n && !named; m++)
					named = !memcmp(q->ids[m], a->ids[k], PHR_RECORD_ID_LEN);
				if (named)
					rc = pull_record(x, a->ids[k]);
			}
		}
		/* records filed here since the last round: whole */
		for (size_t k = 0; k < n_fresh && !rc && !whole; k++)
			rc = pull_record(x, fresh[k]);
	}
	if (!rc && !x->pull_incomplete)
		rc = cursor_put(x, l, max);
	if (!x->o->quiet) {
		if (whole)
			printf("phr sync: whole pull of %zu records; changes: %zu requests, cursor %lld%s\n", n_old + n_fresh,
			       requests, (long long)l, rc || x->pull_incomplete ? " (not stored)" : "");
		else
			printf("phr sync: changes: %zu records named in %zu requests, %zu changed, %zu filed here since; "
			       "cursor %lld to %lld%s\n", asked, requests, changed, n_fresh, (long long)cursor,
			       (long long)(l == INT64_MAX ? cursor : l), rc || x->pull_incomplete ? " (not stored)" : "");
	}
out:
	free(old);
	free(fresh);
	free(q);
	free(a);
	return rc;
}

/* A newer trust bundle: taken only if it loads as --trust does (signed by
 * an anchor of this installation, not expired, not older than one used
 * here) and is newer than the clinic's; then it replaces the clinic's file. */
static int pull_trust(struct ctx *x)
{
	if (!x->o->trust_path)
		return PHR_OK;
	long status;
	struct buf resp;
	char tv[32];
	int rc = request(x, "GET", "/v1/trust", NULL, NULL, 0, &status, &resp, tv, sizeof(tv));
	if (rc)
		return rc;
	if (status != 200 || !resp.len || (x->trust && strtoull(tv, NULL, 10) <= phr_trust_version(x->trust))) {
		free(resp.p);
		return PHR_OK;
	}
	char tmp[4200];
	snprintf(tmp, sizeof(tmp), "%s.pulled", x->o->trust_path);
	FILE *f = fopen(tmp, "wb");
	bool ok = f && fwrite(resp.p, 1, resp.len, f) == resp.len;
	if (f && fclose(f))
		ok = false;
	free(resp.p);
	struct phr_trust *t = NULL;
	if (!ok || x->o->load_trust(tmp, &t) || (x->trust && phr_trust_version(t) <= phr_trust_version(x->trust))) {
		if (!x->o->quiet && ok)
			fprintf(stderr, "phr sync: the hub's trust bundle was not taken: %s\n", phr_last_error());
		phr_trust_destroy(t);
		unlink(tmp);
		return PHR_OK;
	}
	if (rename(tmp, x->o->trust_path)) {
		rc = phr_fail(PHR_E_IO, "%s: %s", x->o->trust_path, strerror(errno));
		phr_trust_destroy(t);
		unlink(tmp);
		return rc;
	}
	phr_trust_destroy(x->trust);
	x->trust = t;
	x->trust_pulled = phr_trust_version(t);
	return PHR_OK;
}

static int count_left(struct ctx *x)
{
	sqlite3_stmt *st;
	x->left = 0;
	if (sqlite3_prepare_v2(x->db, "SELECT count(*) FROM outbox", -1, &st, NULL) != SQLITE_OK)
		return phr_fail(PHR_E_DB, "sync: %s", sqlite3_errmsg(x->db));
	if (sqlite3_step(st) == SQLITE_ROW)
		x->left = (size_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return PHR_OK;
}

static int round_once(struct ctx *x)
{
	x->pushed = x->pulled = x->docs_pulled = x->refused = 0;
	x->trust_pulled = 0;
	int rc = push(x);
	/* pushing drains the outbox in batches: go on while it moves */
	while (!rc && x->pushed && !count_left(x) && x->left && x->o->once) {
		size_t before = x->left;
		if ((rc = push(x)) || (rc = count_left(x)) || x->left >= before)
			break;
	}
	if (!rc)
		rc = pull_trust(x);
	if (!rc)
		rc = pull_changes(x);
	int lrc = count_left(x);
	if (!x->o->quiet)
		printf("phr sync: pushed %zu, refused %zu, pulled %zu versions and %zu documents%s; outbox: %zu left\n",
		       x->pushed, x->refused, x->pulled, x->docs_pulled, x->trust_pulled ? ", a newer trust bundle" : "",
		       x->left);
	fflush(stdout);
	return rc ? rc : lrc;
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static bool stopping(const struct sync_options *o)
{
	return o->should_stop ? o->should_stop(o->ctx) : stop != 0;
}

/* Seconds to wait after failures rounds failed in a row (0: the interval). */
static unsigned round_wait(unsigned interval, unsigned failures)
{
	if (!failures)
		return interval;
	uint64_t d = interval;
	for (unsigned i = 0; i < failures && d < SYNC_BACKOFF_MAX; i++)
		d *= 2;
	if (d > SYNC_BACKOFF_MAX)
		d = SYNC_BACKOFF_MAX;
	return (unsigned)(d / 2 + randombytes_uniform((uint32_t)(d / 2 + 1)));
}

/* ---- one round at a time ---------------------------------------------
 * A round reads the outbox, pushes, deletes what the hub took and pulls;
 * two rounds on one register (phr serve --hub's background sync and a
 * phr sync run by hand) would push the same rows twice and count each
 * other's work. flock(2) on a file beside the register keeps them apart:
 * the kernel drops the lock when its holder ends, however it ends, so a
 * lock left behind by a dead process cannot exist. */

static int lock_open(struct ctx *x)
{
	size_t n = strlen(x->o->db);
	if (!(x->lock_path = malloc(n + sizeof(SYNC_LOCK_SUFFIX))))
		return phr_fail(PHR_E_NOMEM, "out of memory");
	memcpy(x->lock_path, x->o->db, n);
	memcpy(x->lock_path + n, SYNC_LOCK_SUFFIX, sizeof(SYNC_LOCK_SUFFIX));
	x->lock_fd = open(x->lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (x->lock_fd < 0)
		return phr_fail(PHR_E_IO, "sync: cannot open the lock file %s: %s", x->lock_path, strerror(errno));
	return PHR_OK;
}

static double mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Takes the lock, waiting up to lock_wait seconds for another round.
 * *stopped: asked to stop while waiting (rounds only; the lock not held). */
static int lock_take(struct ctx *x, bool *stopped)
{
	*stopped = false;
	if (flock(x->lock_fd, LOCK_EX | LOCK_NB) == 0)
		return PHR_OK;
	if (errno != EWOULDBLOCK && errno != EINTR)
		return phr_fail(PHR_E_IO, "sync: cannot lock %s: %s", x->lock_path, strerror(errno));
	unsigned limit = x->o->lock_wait ? x->o->lock_wait : SYNC_LOCK_WAIT;
	fprintf(stderr, "phr sync: another sync round (phr serve --hub or phr sync) holds %s: waiting for it to end, "
			"up to %u s\n", x->lock_path, limit);
	double t0 = mono();
	for (;;) {
		struct timespec ts = { 0, SYNC_LOCK_POLL_MS * 1000000L };
		nanosleep(&ts, NULL);
		if (flock(x->lock_fd, LOCK_EX | LOCK_NB) == 0)
			return PHR_OK;
		if (errno != EWOULDBLOCK && errno != EINTR)
			return phr_fail(PHR_E_IO, "sync: cannot lock %s: %s", x->lock_path, strerror(errno));
		if (!x->o->once && stopping(x->o)) {
			*stopped = true;
			return PHR_OK;
		}
		if (mono() - t0 >= (double)limit)
			return phr_fail(PHR_E_SYNC_BUSY,
					"another sync round held %s for %u s, the longest this one waits: it did not run; "
					"try again later",
					x->lock_path, limit);
	}
}

/* One round under the lock. *stopped: no round ran (asked to stop). */
static int locked_round(struct ctx *x, bool *stopped)
{
	x->pushed = x->pulled = x->docs_pulled = x->refused = 0;
	x->trust_pulled = 0;
	int rc = lock_take(x, stopped);
	if (rc || *stopped) {
		count_left(x); /* for the status: read only, needs no lock */
		return rc;
	}
	rc = round_once(x);
	flock(x->lock_fd, LOCK_UN);
	return rc;
}

int sync_run(const struct sync_options *o)
{
	struct ctx x = { .o = o, .lock_fd = -1 };
	bool stopped;
	int rc;
	if (o->cert_len * 2 + 1 > sizeof(x.cert_hex))
		return phr_fail(PHR_E_LIMIT, "the clinic's certificate is too long");
	sodium_bin2hex(x.cert_hex, sizeof(x.cert_hex), o->cert, o->cert_len);
	if (strncmp(o->hub, "http://", 7) && strncmp(o->hub, "https://", 8))
		return phr_fail(PHR_E_ARG, "--hub is an http:// or https:// URL");
	if (o->lock_wait > SYNC_LOCK_WAIT_MAX)
		return phr_fail(PHR_E_ARG, "--lock-wait is at most %d s", SYNC_LOCK_WAIT_MAX);
	if ((rc = phr_register_open(o->db, 0, &x.reg)))
		return rc;
	if (sqlite3_open_v2(o->db, &x.db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		rc = phr_fail(PHR_E_DB, "%s: %s", o->db, sqlite3_errmsg(x.db));
		goto out;
	}
	sqlite3_busy_timeout(x.db, PHR_REG_BUSY_MS);
	if (o->trust_path && (rc = o->load_trust(o->trust_path, &x.trust)))
		goto out;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) || !(x.curl = curl_easy_init())) {
		rc = phr_fail(PHR_E_NOMEM, "cannot start the HTTP client");
		goto out;
	}
	if ((rc = lock_open(&x)))
		goto out;
	if (o->once) {
		rc = locked_round(&x, &stopped);
		if (o->left)
			*o->left = x.left;
		goto out;
	}
	if (!o->should_stop) {
		signal(SIGINT, on_signal);
		signal(SIGTERM, on_signal);
	}
	unsigned failures = 0;
	while (!stopping(o)) {
		rc = locked_round(&x, &stopped);
		if (stopped)
			break;
		if (rc == PHR_E_SYNC_BUSY && !o->on_round)
			fprintf(stderr, "phr sync: %s\n", phr_last_error()); /* it printed no round line */
		if (o->on_round) {
			struct sync_round r = { .rc = rc, .pushed = x.pushed, .refused = x.refused, .pulled = x.pulled,
						.docs_pulled = x.docs_pulled, .left = x.left,
						.trust_pulled = x.trust_pulled };
			o->on_round(o->ctx, &r);
		}
		if (rc == PHR_E_HUB_AUTH)
			break; /* revoked or unknown: retrying will not help */
		failures = rc ? failures + 1 : 0;
		unsigned wait = round_wait(o->interval ? o->interval : 30, failures);
		for (unsigned s = 0; s < wait && !stopping(o); s++)
			sleep(1);
		rc = PHR_OK;
	}
out:
	if (x.curl)
		curl_easy_cleanup(x.curl);
	phr_trust_destroy(x.trust);
	sqlite3_close(x.db);
	phr_register_close(x.reg);
	if (x.lock_fd >= 0)
		close(x.lock_fd); /* releases the lock if held */
	free(x.lock_path);
	return rc;
}
