/* phr hub: the regional hub's HTTP API (docs/HUB.md, docs/hub-openapi.yaml)
 * over libmicrohttpd, in front of a PostgreSQL register. Stateless apart
 * from PostgreSQL: records, documents, the audit, nonces and trust bundles
 * are all there, so any number of hub processes can serve one database. */
#include "hub.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <microhttpd.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "names.h"  /* phr_name_cleanup: the name index's per-thread ICU caches */
#include "report.h" /* aggregate reports (register/report.c) */
#include "phr/consent.h"
#include "phr/container.h"
#include "phr/json.h"
#include "phr/render.h"
#include "phr/verify.h"

#define HUB_MAX_CONNECTIONS 256
#define HUB_CONN_TIMEOUT 60         /* seconds a client may stay idle */
#define HUB_NONCE_PRUNE_EVERY 1000  /* requests of one connection between prunes of old nonces */
#define HUB_THREADS 8               /* the server's threads (and database sessions): requests served at once */

/* One database session: the register (store_pg.c) and a connection of
 * the hub's own for its tables (nonces, trust bundles). */
struct session {
	struct phr_register *reg;
	PGconn *pg;
	struct phr_trust *trust;
	uint64_t trust_version;
	unsigned requests;
	struct session *next;
};

struct hub {
	const struct hub_options *o;
	pthread_mutex_t lock;
	struct session *idle;
};

/* The name index keeps ICU transliterators per thread (register/names.c):
 * they are freed when a server thread ends. */
static pthread_key_t thread_key;
static pthread_once_t thread_once = PTHREAD_ONCE_INIT;

static void thread_end(void *unused)
{
	(void)unused;
	phr_name_cleanup();
}

static void thread_key_make(void)
{
	(void)pthread_key_create(&thread_key, thread_end);
}

struct request {
	uint8_t *body;
	size_t len, cap;
	bool too_big;
};

/* ---- sessions --------------------------------------------------------- */

static void session_close(struct session *s)
{
	if (!s)
		return;
	phr_register_close(s->reg);
	PQfinish(s->pg);
	phr_trust_destroy(s->trust);
	free(s);
}

static struct session *session_get(struct hub *h)
{
	pthread_mutex_lock(&h->lock);
	struct session *s = h->idle;
	if (s)
		h->idle = s->next;
	pthread_mutex_unlock(&h->lock);
	if (s) {
		if (PQstatus(s->pg) == CONNECTION_BAD)
			PQreset(s->pg);
		return s;
	}
	if (!(s = calloc(1, sizeof(*s))))
		return NULL;
	if (phr_register_open(h->o->db, 0, &s->reg)) {
		fprintf(stderr, "phr hub: %s\n", phr_last_error());
		free(s);
		return NULL;
	}
	s->pg = PQconnectdb(h->o->db);
	if (PQstatus(s->pg) != CONNECTION_OK) {
		fprintf(stderr, "phr hub: PostgreSQL: %s", PQerrorMessage(s->pg));
		session_close(s);
		return NULL;
	}
	return s;
}

static void session_put(struct hub *h, struct session *s)
{
	pthread_mutex_lock(&h->lock);
	s->next = h->idle;
	h->idle = s;
	pthread_mutex_unlock(&h->lock);
}

/* The newest trust bundle the hub was given (hub_trust), loaded once per
 * version per session (its version is read at every request: a bundle
 * given to another hub process, a revocation, is in use at once). */
static int session_trust(struct session *s)
{
	static const char q[] = "SELECT version FROM hub_trust ORDER BY version DESC LIMIT 1";
	PGresult *r = PQexecParams(s->pg, q, 0, NULL, NULL, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK && PQstatus(s->pg) == CONNECTION_BAD) {
		/* the server restarted since this session's last request: once more on a new connection */
		PQclear(r);
		PQreset(s->pg);
		r = PQexecParams(s->pg, q, 0, NULL, NULL, NULL, NULL, 0);
	}
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		PQclear(r);
		return phr_fail(PHR_E_DB, "hub: cannot read the trust bundles: %s", PQerrorMessage(s->pg));
	}
	uint64_t v = PQntuples(r) ? strtoull(PQgetvalue(r, 0, 0), NULL, 10) : 0;
	PQclear(r);
	if (s->trust && v == s->trust_version)
		return PHR_OK;
	char vs[24];
	snprintf(vs, sizeof(vs), "%llu", (unsigned long long)v);
	const char *pv[1] = { vs };
	r = PQexecParams(s->pg, "SELECT bundle FROM hub_trust WHERE version = $1::bigint", 1, NULL, pv, NULL, NULL, 1);
	int rc = PHR_OK;
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
		rc = phr_fail(PHR_E_DB, "hub: no trust bundle in the database");
	} else {
		struct phr_trust *nt;
		if (!(rc = phr_trust_load((const uint8_t *)PQgetvalue(r, 0, 0), (size_t)PQgetlength(r, 0, 0), &nt))) {
			phr_trust_destroy(s->trust);
			s->trust = nt;
			s->trust_version = v;
		}
	}
	PQclear(r);
	return rc;
}

/* Whether the nonce is new for the key (and now seen). */
static int nonce_fresh(struct session *s, const uint8_t kid[PHR_KID_LEN], const char *nonce_hex, uint64_t now,
		       bool *fresh)
{
	uint8_t nonce[HUB_NONCE_LEN];
	char at[24];
	size_t n;
	*fresh = false;
	if (sodium_hex2bin(nonce, sizeof(nonce), nonce_hex, strlen(nonce_hex), NULL, &n, NULL) || n != sizeof(nonce))
		return PHR_OK;
	if (++s->requests % HUB_NONCE_PRUNE_EVERY == 0) {
		/* a nonce older than twice the window cannot come back: its time would be refused */
		snprintf(at, sizeof(at), "%llu", (unsigned long long)(now > 2 * HUB_WINDOW ? now - 2 * HUB_WINDOW : 0));
		const char *pv[1] = { at };
		PQclear(PQexecParams(s->pg, "DELETE FROM hub_nonces WHERE at < $1::bigint", 1, NULL, pv, NULL, NULL, 0));
	}
	snprintf(at, sizeof(at), "%llu", (unsigned long long)now);
	const char *pv[3] = { (const char *)kid, (const char *)nonce, at };
	int pl[3] = { PHR_KID_LEN, HUB_NONCE_LEN, 0 }, pf[3] = { 1, 1, 0 };
	PGresult *r = PQexecParams(s->pg, "INSERT INTO hub_nonces(kid, nonce, at) VALUES ($1::bytea, $2::bytea, $3::bigint) "
				   "ON CONFLICT DO NOTHING", 3, NULL, pv, pl, pf, 0);
	int rc = PHR_OK;
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		rc = phr_fail(PHR_E_DB, "hub: cannot record a nonce: %s", PQerrorMessage(s->pg));
	else
		*fresh = !strcmp(PQcmdTuples(r), "1");
	PQclear(r);
	return rc;
}

/* ---- responses -------------------------------------------------------- */

static enum MHD_Result respond(struct MHD_Connection *mc, unsigned status, const char *type, const void *body,
			       size_t len)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", type);
	MHD_add_response_header(r, "Cache-Control", "no-store");
	enum MHD_Result ret = MHD_queue_response(mc, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result respond_json(struct MHD_Connection *mc, unsigned status, json_t *j)
{
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (!s)
		return respond(mc, 500, "application/json", "{\"error\":\"out of memory\"}", 25);
	enum MHD_Result ret = respond(mc, status, "application/json", s, strlen(s));
	free(s);
	return ret;
}

/* {"error": message, "code": code} */
static enum MHD_Result respond_error(struct MHD_Connection *mc, unsigned status, const char *code, const char *msg)
{
	return respond_json(mc, status, json_pack("{s:s, s:s}", "error", msg ? msg : "", "code", code));
}

/* A phr error as an HTTP answer: the client retries 503, never the others. */
static enum MHD_Result respond_rc(struct MHD_Connection *mc, int rc)
{
	const char *msg = phr_last_error();
	switch (rc) {
	case PHR_E_HUB_AUTH: return respond_error(mc, 401, "auth", msg);
	case PHR_E_HUB_REFUSED:
	case PHR_E_CONSENT: return respond_error(mc, 403, "consent", msg);
	case PHR_E_NOT_STORED:
	case PHR_E_NOT_FOUND: return respond_error(mc, 404, "not_found", msg);
	case PHR_E_DB:
	case PHR_E_DB_BUSY:
	case PHR_E_DB_FULL:
	case PHR_E_NOMEM: return respond_error(mc, 503, "unavailable", msg);
	default: return respond_error(mc, 422, "refused", msg);
	}
}

/* ---- the API ---------------------------------------------------------- */

static bool hex_arg(const char *s, size_t n, uint8_t *out)
{
	size_t got;
	if (strlen(s) != 2 * n)
		return false;
	for (size_t i = 0; i < 2 * n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return !sodium_hex2bin(out, n, s, 2 * n, NULL, &got, NULL) && got == n;
}

struct vfind {
	const char *hex;
	bool found;
};

static int version_known_cb(void *ctx, const struct phr_register_version *v)
{
	struct vfind *f = ctx;
	if (!strcmp(v->version_hex, f->hex))
		f->found = true;
	return 0;
}

static bool unauthentic(int status)
{
	return status == PHR_ST_BAD_SIGNATURE || status == PHR_ST_CHAIN_BROKEN || status == PHR_ST_MALFORMED ||
	       status == PHR_ST_UNKNOWN_SIGNER || status == PHR_ST_FUTURE;
}

/* POST /v1/versions: a container. */
static enum MHD_Result push_version(struct hub *h, struct session *s, struct MHD_Connection *mc,
				    const struct hub_who *who, const uint8_t *body, size_t len, uint64_t now)
{
	struct phr_record *r = NULL;
	struct phr_report *rep = calloc(1, sizeof(*rep));
	struct phr_consent c;
	uint8_t vid[PHR_VERSION_ID_LEN];
	char rhex[33], vhex[PHR_VERSION_ID_HEX_LEN], detail[300];
	enum MHD_Result ret;
	int rc;
	(void)h;
	if (!rep)
		return respond_error(mc, 503, "unavailable", "out of memory");
	if ((rc = phr_record_decode(body, len, &r)) || (rc = phr_record_version_id(r, vid))) {
		ret = respond_error(mc, 400, "malformed", phr_last_error());
		goto out;
	}
	phr_record_id_hex(r->id, rhex);
	sodium_bin2hex(vhex, sizeof(vhex), vid, sizeof(vid));
	/* a version already held (a clinic pushing again after a lost answer)
	 * is known by its id before anything is verified: it was verified and
	 * its consent checked when it was stored */
	struct vfind f = { .hex = vhex };
	if ((rc = phr_register_each_version(s->reg, r->id, version_known_cb, &f)) && rc != PHR_E_NOT_STORED) {
		ret = respond_rc(mc, rc);
		goto out;
	}
	if (f.found)
		goto known;
	(void)phr_verify_record(r, s->trust, now, rep);
	for (size_t i = 0; i < rep->n; i++)
		if (unauthentic(rep->entries[i].status)) {
			snprintf(detail, sizeof(detail), "entry %zu: %s: %s", i, phr_status_name(rep->entries[i].status),
				 rep->entries[i].detail);
			ret = respond_error(mc, 422, "unverified", detail);
			goto out;
		}
	(void)phr_consent_of(r, rep, NULL, NULL, &c);
	if (!c.any || !c.store) {
		ret = respond_error(mc, 403, "consent", c.any ? "the record's consent says store: false"
						     : "the record gives no consent to store it");
		goto out;
	}
	struct phr_register_added a;
	if ((rc = phr_register_add(s->reg, body, len, s->trust, now, PHR_REG_HOW_ADD, &a))) {
		ret = respond_rc(mc, rc);
		goto out;
	}
known:
	snprintf(detail, sizeof(detail), "push by clinic %s (%s, %s): version %.16s..., %zu entries%s", who->kid_hex,
		 who->name, who->country, vhex, r->n_entries, f.found ? ", known" : "");
	if ((rc = phr_register_audit_log(s->reg, "push", rhex, detail))) {
		ret = respond_rc(mc, rc);
		goto out;
	}
	ret = respond_json(mc, f.found ? 200 : 201,
			   json_pack("{s:s, s:s, s:i, s:b}", "record", rhex, "version", vhex, "entries",
				     (json_int_t)r->n_entries, "new", !f.found));
out:
	phr_record_destroy(r);
	free(rep);
	return ret;
}

/* POST /v1/documents/HASH: the bytes; Content-Type their media type. */
static enum MHD_Result push_document(struct session *s, struct MHD_Connection *mc, const struct hub_who *who,
				     const char *hash_hex, const uint8_t *body, size_t len)
{
	uint8_t hash[PHR_HASH_LEN];
	const char *type = MHD_lookup_connection_value(mc, MHD_HEADER_KIND, "Content-Type");
	char detail[200];
	if (!hex_arg(hash_hex, PHR_HASH_LEN, hash))
		return respond_error(mc, 400, "malformed", "a document is named by its BLAKE2b-256 hash (64 hex digits)");
	int rc = phr_register_put_document(s->reg, hash, type ? type : "", body, len);
	if (rc)
		return respond_rc(mc, rc);
	snprintf(detail, sizeof(detail), "document %.16s... pushed by clinic %s (%s, %s)", hash_hex, who->kid_hex,
		 who->name, who->country);
	if ((rc = phr_register_audit_log(s->reg, "push", NULL, detail)))
		return respond_rc(mc, rc);
	return respond_json(mc, 200, json_pack("{s:s}", "document", hash_hex));
}

/* Whether the record may be handed to who: its latest version's consent
 * shares it with who's country, or (emergency) allows emergency access.
 * *c_out: the latest version's container. */
static int may_hand_out(struct session *s, const uint8_t id[PHR_RECORD_ID_LEN], const struct hub_who *who,
			bool emergency, uint64_t now, uint8_t **c_out, size_t *len, bool *by_emergency)
{
	struct phr_record *r = NULL;
	struct phr_report *rep = NULL;
	struct phr_consent c;
	*by_emergency = false;
	int rc = phr_register_latest(s->reg, id, c_out, len);
	if (rc)
		return rc;
	if (!(rep = calloc(1, sizeof(*rep)))) {
		rc = phr_fail(PHR_E_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = phr_record_decode(*c_out, *len, &r)))
		goto out;
	(void)phr_verify_record(r, s->trust, now, rep);
	(void)phr_consent_of(r, rep, NULL, NULL, &c);
	if (phr_consent_shares(&c, who->country)) {
		rc = PHR_OK;
	} else if (emergency && c.store && c.emergency_access) {
		*by_emergency = true;
		rc = PHR_OK;
	} else {
		rc = phr_fail(PHR_E_HUB_REFUSED, "the record's consent does not share it with clinics in %s%s", who->country,
			      emergency ? ", nor allows emergency access" : "");
	}
out:
	if (rc) {
		free(*c_out);
		*c_out = NULL;
	}
	phr_record_destroy(r);
	free(rep);
	return rc;
}

static int audit_hand_out(struct session *s, const char *rhex, const struct hub_who *who, bool by_emergency,
			  const char *what)
{
	char detail[300];
	snprintf(detail, sizeof(detail), "%s to clinic %s (%s, %s)%s", what, who->kid_hex, who->name, who->country,
		 by_emergency ? ": EMERGENCY ACCESS, not in share_with" : "");
	return phr_register_audit_log(s->reg, by_emergency ? "emergency" : "hand out", rhex, detail);
}

/* GET /v1/records/ID[/emergency] */
static enum MHD_Result get_record(struct session *s, struct MHD_Connection *mc, const struct hub_who *who,
				  const char *rhex, bool emergency, uint64_t now)
{
	uint8_t id[PHR_RECORD_ID_LEN], *c = NULL;
	size_t len;
	bool by_em;
	if (!hex_arg(rhex, PHR_RECORD_ID_LEN, id))
		return respond_error(mc, 400, "malformed", "a record id is 32 hex digits");
	int rc = may_hand_out(s, id, who, emergency, now, &c, &len, &by_em);
	if (rc)
		return respond_rc(mc, rc);
	if ((rc = audit_hand_out(s, rhex, who, by_em, "record"))) {
		free(c);
		return respond_rc(mc, rc);
	}
	free(c);
	/* every head: the latest, and the other branch of a fork */
	struct hub_heads heads;
	if ((rc = hub_heads_of(s->reg, id, &heads)))
		return respond_rc(mc, rc);
	json_t *vs = json_array();
	for (size_t i = 0; vs && i < heads.n; i++) {
		if ((rc = phr_register_version_container(s->reg, id, heads.hex[i], &c, &len))) {
			json_decref(vs);
			return respond_rc(mc, rc);
		}
		size_t b64len = sodium_base64_encoded_len(len, sodium_base64_VARIANT_ORIGINAL);
		char *b64 = malloc(b64len);
		if (b64)
			sodium_bin2base64(b64, b64len, c, len, sodium_base64_VARIANT_ORIGINAL);
		free(c);
		if (!b64 || json_array_append_new(vs, json_pack("{s:s, s:i, s:s}", "version", heads.hex[i], "entries",
								 (json_int_t)heads.entries[i], "container", b64))) {
			free(b64);
			json_decref(vs);
			return respond_error(mc, 503, "unavailable", "out of memory");
		}
		free(b64);
	}
	return respond_json(mc, 200, json_pack("{s:s, s:b, s:o}", "record", rhex, "emergency", by_em, "versions", vs));
}

struct dfind {
	const uint8_t *hash;
	bool found;
};

static int doc_linked_cb(void *ctx, const struct phr_register_document *d)
{
	struct dfind *f = ctx;
	if (!memcmp(d->hash, f->hash, PHR_HASH_LEN))
		f->found = true;
	return 0;
}

/* GET /v1/records/ID/documents/HASH[/emergency] */
static enum MHD_Result get_document(struct session *s, struct MHD_Connection *mc, const struct hub_who *who,
				    const char *rhex, const char *dhex, bool emergency, uint64_t now)
{
	uint8_t id[PHR_RECORD_ID_LEN], hash[PHR_HASH_LEN], *c = NULL, *bytes = NULL;
	size_t len, blen;
	bool by_em;
	char type[PHR_REG_MEDIA_TYPE_MAX];
	if (!hex_arg(rhex, PHR_RECORD_ID_LEN, id) || !hex_arg(dhex, PHR_HASH_LEN, hash))
		return respond_error(mc, 400, "malformed", "a record id is 32 hex digits, a document hash 64");
	int rc = may_hand_out(s, id, who, emergency, now, &c, &len, &by_em);
	free(c);
	if (rc)
		return respond_rc(mc, rc);
	struct dfind f = { .hash = hash };
	if ((rc = phr_register_each_document(s->reg, id, doc_linked_cb, &f)))
		return respond_rc(mc, rc);
	if (!f.found)
		return respond_error(mc, 404, "not_found", "no entry of the record refers to this document");
	if ((rc = phr_register_get_document(s->reg, hash, type, &bytes, &blen)))
		return respond_rc(mc, rc);
	if ((rc = audit_hand_out(s, rhex, who, by_em, "document"))) {
		free(bytes);
		return respond_rc(mc, rc);
	}
	enum MHD_Result ret = respond(mc, 200, type, bytes, blen);
	free(bytes);
	return ret;
}

/* ---- changes since a cursor ------------------------------------------ */

static int pg_one_int(PGconn *pg, const char *sql, int n, const char *const *pv, int64_t *out, bool *null)
{
	PGresult *r = PQexecParams(pg, sql, n, NULL, pv, NULL, NULL, 0);
	int rc = PHR_OK;
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)
		rc = phr_fail(PHR_E_DB, "hub: changes: %s", PQerrorMessage(pg));
	else if (null)
		*null = PQgetisnull(r, 0, 0);
	if (!rc)
		*out = PQgetisnull(r, 0, 0) ? 0 : strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return rc;
}

/* A cursor L that no version committed later can land at or below:
 * versions.id's last value, read first; then every transaction in progress
 * after that read (an xid in a snapshot taken in a later statement) is
 * waited for. A transaction that took an id <= L took its xid before (it
 * calls pg_current_xact_id() at BEGIN, store_pg.c pg_begin), so it was in
 * that snapshot or had ended; once they have all ended, every version with
 * an id <= L is committed or rolled back, and a statement run now sees all
 * those committed. *advanced false: they did not all end within
 * HUB_CHANGES_WAIT_MS (a long transaction): no safe cursor, L = 0. */
static int safe_cursor(PGconn *pg, int64_t *l, bool *advanced)
{
	*advanced = false;
	int64_t last = 0;
	int rc = pg_one_int(pg, "SELECT pg_sequence_last_value(pg_get_serial_sequence('versions', 'id')::regclass)", 0,
			  NULL, &last, NULL);
	if (rc)
		return rc;
	PGresult *r = PQexec(pg, "SELECT coalesce(array_agg(x)::text, '{}') FROM pg_snapshot_xip(pg_current_snapshot()) x");
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
		rc = phr_fail(PHR_E_DB, "hub: changes: %s", PQerrorMessage(pg));
		PQclear(r);
		return rc;
	}
	char *xip = strdup(PQgetvalue(r, 0, 0));
	PQclear(r);
	if (!xip)
		return phr_fail(PHR_E_NOMEM, "out of memory");
	const char *pv[1] = { xip };
	for (unsigned waited = 0;; waited++) {
		int64_t running = 0;
		if (!strcmp(xip, "{}"))
			break;
		if ((rc = pg_one_int(pg, "SELECT count(*) FROM unnest($1::xid8[]) x WHERE pg_xact_status(x) = 'in progress'",
				   1, pv, &running, NULL)))
			break;
		if (!running)
			break;
		if (waited >= HUB_CHANGES_WAIT_MS) {
			free(xip);
			return PHR_OK; /* not advanced */
		}
		struct timespec ts = { 0, 1000000 };
		nanosleep(&ts, NULL);
	}
	free(xip);
	if (!rc) {
		*l = last;
		*advanced = true;
	}
	return rc;
}

/* POST /v1/changes: {"cursor": C, "records": [ID, ...]} -> {"cursor": L,
 * "changed": [...]}: the ids named with a version whose id is in (C, L],
 * that the clinic may fetch (the record's consent, as GET /v1/records). L
 * is safe_cursor's; when none could be had, L = C and every version past
 * C is answered. Only ids the clinic named are answered. */
static enum MHD_Result post_changes(struct session *s, struct MHD_Connection *mc, const struct hub_who *who,
				    const uint8_t *body, size_t len, uint64_t now)
{
	struct hub_changes *q = malloc(sizeof(*q)), *a = malloc(sizeof(*a));
	char *ids = NULL, *out = NULL, cs[24], ls[24], detail[300];
	enum MHD_Result ret;
	bool advanced;
	int64_t l = 0;
	int rc;
	if (!q || !a) {
		ret = respond_error(mc, 503, "unavailable", "out of memory");
		goto done;
	}
	if ((rc = hub_changes_parse(body, len, "records", q))) {
		ret = rc == PHR_E_LIMIT ? respond_error(mc, 413, "too_large", phr_last_error())
					: respond_error(mc, 400, "malformed", phr_last_error());
		goto done;
	}
	if ((rc = safe_cursor(s->pg, &l, &advanced))) {
		ret = respond_rc(mc, rc);
		goto done;
	}
	if (!advanced)
		l = q->cursor;
	a->cursor = l;
	a->n = 0;
	if (q->n) {
		/* the ids as a text array of hex: {"ab..","cd.."} */
		if (!(ids = malloc(q->n * (2 * PHR_RECORD_ID_LEN + 1) + 3))) {
			ret = respond_error(mc, 503, "unavailable", "out of memory");
			goto done;
		}
		char *p = ids;
		*p++ = '{';
		for (size_t i = 0; i < q->n; i++) {
			if (i)
				*p++ = ',';
			sodium_bin2hex(p, 2 * PHR_RECORD_ID_LEN + 1, q->ids[i], PHR_RECORD_ID_LEN);
			p += 2 * PHR_RECORD_ID_LEN;
		}
		*p++ = '}';
		*p = '\0';
		snprintf(cs, sizeof(cs), "%lld", (long long)q->cursor);
		snprintf(ls, sizeof(ls), "%lld", (long long)(advanced ? l : INT64_MAX));
		const char *pv[3] = { ids, cs, ls };
		PGresult *r = PQexecParams(s->pg, "SELECT r.record_id FROM records r WHERE r.hex = ANY($1::text[]) AND "
					   "EXISTS (SELECT 1 FROM versions v WHERE v.record = r.id AND v.id > $2::bigint "
					   "AND v.id <= $3::bigint) ORDER BY r.hex", 3, NULL, pv, NULL, NULL, 1);
		if (PQresultStatus(r) != PGRES_TUPLES_OK) {
			rc = phr_fail(PHR_E_DB, "hub: changes: %s", PQerrorMessage(s->pg));
			PQclear(r);
			ret = respond_rc(mc, rc);
			goto done;
		}
		for (int i = 0; i < PQntuples(r) && !rc; i++) {
			uint8_t id[PHR_RECORD_ID_LEN], *c = NULL;
			size_t clen;
			bool by_em;
			if (PQgetlength(r, i, 0) != PHR_RECORD_ID_LEN)
				continue;
			memcpy(id, PQgetvalue(r, i, 0), PHR_RECORD_ID_LEN);
			/* as a fetch would: not shared with this clinic, not answered */
			rc = may_hand_out(s, id, who, false, now, &c, &clen, &by_em);
			free(c);
			if (rc == PHR_E_HUB_REFUSED || rc == PHR_E_NOT_FOUND || rc == PHR_E_NOT_STORED) {
				rc = PHR_OK;
				continue;
			}
			if (!rc)
				memcpy(a->ids[a->n++], id, PHR_RECORD_ID_LEN);
		}
		PQclear(r);
		if (rc) {
			ret = respond_rc(mc, rc);
			goto done;
		}
	}
	snprintf(detail, sizeof(detail), "changes for clinic %s (%s, %s): %zu records named, %zu changed, cursor %lld to "
		 "%lld%s", who->kid_hex, who->name, who->country, q->n, a->n, (long long)q->cursor, (long long)l,
		 advanced ? "" : " (kept: a transaction still running)");
	if ((rc = phr_register_audit_log(s->reg, "changes", NULL, detail)) || (rc = hub_changes_json(a, "changed", &out))) {
		ret = respond_rc(mc, rc);
		goto done;
	}
	ret = respond(mc, 200, "application/json", out, strlen(out));
done:
	free(out);
	free(ids);
	free(q);
	free(a);
	return ret;
}

static int parse_day(const char *s, int64_t *out)
{
	int y, m, d, yy, mm, dd;
	char tail;
	if (strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 || m < 1 || m > 12 || d < 1 ||
	    d > 31 || y < 1900)
		return -1;
	*out = phr_days_from_civil(y, m, d);
	phr_civil_from_days(*out, &yy, &mm, &dd);
	return yy == y && mm == m && dd == d ? 0 : -1;
}

struct membuf {
	char *p;
	size_t len;
};

static int membuf_write(void *ctx, const uint8_t *data, size_t len)
{
	struct membuf *b = ctx;
	char *p = realloc(b->p, b->len + len + 1);
	if (!p)
		return phr_fail(PHR_E_NOMEM, "out of memory");
	memcpy(p + b->len, data, len);
	b->p = p;
	b->len += len;
	b->p[b->len] = '\0';
	return PHR_OK;
}

/* GET /v1/reports/FROM/TO/GROUP: an authority's aggregate report over every
 * clinic's records (register/report.c: the register's indicators and its
 * small-cell suppression, cells under PHR_REPORT_MIN_CELL persons hidden),
 * JSON, by month. */
static enum MHD_Result get_report(struct session *s, struct MHD_Connection *mc, const struct hub_who *who,
				  const char *from, const char *to, const char *group, uint64_t now)
{
	struct phr_report_options o = { .by = PHR_REPORT_BY_MONTH, .now = now };
	if (!who->authority)
		return respond_error(mc, 403, "refused", "reports are for the health authorities of the trust bundle");
	if (parse_day(from, &o.from_day) || parse_day(to, &o.to_day) || o.from_day > o.to_day ||
	    (o.group = phr_report_group_parse(group)) < 0)
		return respond_error(mc, 400, "malformed", "/v1/reports/FROM/TO/GROUP: dates YYYY-MM-DD, a group "
				     "(nationality, age-band, sex, clinic, host-country)");
	struct phr_report *r = NULL;
	struct membuf b = { 0 };
	char detail[512];
	snprintf(detail, sizeof(detail), "report %s..%s by month, group %s, for authority %s (%s, %s)", from, to, group,
		 who->kid_hex, who->name, who->country);
	int rc = phr_report_create(&o, &r);
	if (!rc)
		rc = phr_register_audit_log(s->reg, "report", NULL, detail);
	if (!rc)
		rc = phr_register_each_facts(s->reg, o.from_day, o.to_day, phr_report_add_cb, r);
	if (!rc)
		rc = phr_report_write(r, PHR_REPORT_JSON, membuf_write, &b);
	phr_report_destroy(r);
	enum MHD_Result ret = rc ? respond_rc(mc, rc) : respond(mc, 200, "application/json", b.p ? b.p : "", b.len);
	free(b.p);
	return ret;
}

/* GET /v1/trust: the newest bundle (public: anyone may fetch it). */
static enum MHD_Result get_trust(struct session *s, struct MHD_Connection *mc)
{
	PGresult *r = PQexecParams(s->pg, "SELECT bundle, version FROM hub_trust ORDER BY version DESC LIMIT 1", 0, NULL,
				   NULL, NULL, NULL, 0);
	enum MHD_Result ret;
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
		ret = respond_error(mc, 503, "unavailable", "no trust bundle");
	} else {
		size_t n;
		unsigned char *b = PQunescapeBytea((const unsigned char *)PQgetvalue(r, 0, 0), &n);
		struct MHD_Response *resp = b ? MHD_create_response_from_buffer(n, b, MHD_RESPMEM_MUST_COPY) : NULL;
		PQfreemem(b);
		if (!resp) {
			ret = MHD_NO;
		} else {
			MHD_add_response_header(resp, "Content-Type", "application/octet-stream");
			MHD_add_response_header(resp, "X-Phr-Trust-Version", PQgetvalue(r, 0, 1));
			ret = MHD_queue_response(mc, 200, resp);
			MHD_destroy_response(resp);
		}
	}
	PQclear(r);
	return ret;
}

static enum MHD_Result route(struct hub *h, struct session *s, struct MHD_Connection *mc, const char *url,
			     const char *method, const struct request *rq)
{
	uint64_t now = h->o->now();
	bool get = !strcmp(method, "GET"), post = !strcmp(method, "POST");
	if (get && !strcmp(url, "/v1/health"))
		return respond_json(mc, 200, json_pack("{s:s}", "status", "ok"));
	int rc = session_trust(s);
	if (rc)
		return respond_rc(mc, rc);
	if (get && !strcmp(url, "/v1/trust"))
		return get_trust(s, mc);
	if (strlen(url) > HUB_MAX_PATH)
		return respond_error(mc, 414, "malformed", "path too long");
	/* every other request is signed by a clinic */
	struct hub_who who;
	const char *hv[5];
	static const char *const hn[5] = { "X-Phr-Cert", "X-Phr-Time", "X-Phr-Nonce", "X-Phr-Signature",
					    "X-Phr-Certificate" };
	for (int i = 0; i < 5; i++)
		hv[i] = MHD_lookup_connection_value(mc, MHD_HEADER_KIND, hn[i]);
	if ((rc = hub_check(s->trust, now, method, url, hv[0], hv[1], hv[2], hv[3], hv[4], rq->body, rq->len, &who)))
		return respond_rc(mc, rc);
	bool fresh;
	if ((rc = nonce_fresh(s, who.kid, hv[2], now, &fresh)))
		return respond_rc(mc, rc);
	if (!fresh)
		return respond_error(mc, 401, "replay", "this request was seen before (its nonce is used)");
	char a[80], b[80], c[80];
	int n = 0;
	if (get && sscanf(url, "/v1/reports/%11[0-9-]/%11[0-9-]/%15[a-z-]%n", a, b, c, &n) == 3 && url[n] == '\0')
		return get_report(s, mc, &who, a, b, c, now);
	if (who.authority)
		return respond_error(mc, 403, "refused", "an authority asks for reports; records are for clinics");
	if (post && !strcmp(url, "/v1/versions"))
		return push_version(h, s, mc, &who, rq->body, rq->len, now);
	if (post && !strcmp(url, "/v1/changes"))
		return post_changes(s, mc, &who, rq->body, rq->len, now);
	if (post && sscanf(url, "/v1/documents/%79[0-9a-f]%n", a, &n) == 1 && url[n] == '\0')
		return push_document(s, mc, &who, a, rq->body, rq->len);
	if (get && sscanf(url, "/v1/records/%79[0-9a-f]%n", a, &n) == 1) {
		if (url[n] == '\0')
			return get_record(s, mc, &who, a, false, now);
		if (!strcmp(url + n, "/emergency"))
			return get_record(s, mc, &who, a, true, now);
		int m = 0;
		if (sscanf(url + n, "/documents/%79[0-9a-f]%n", b, &m) == 1) {
			const char *rest = url + n + m;
			if (*rest == '\0' || !strcmp(rest, "/emergency"))
				return get_document(s, mc, &who, a, b, *rest != '\0', now);
		}
	}
	return respond_error(mc, 404, "not_found", "no such API path (docs/hub-openapi.yaml)");
}

static enum MHD_Result access_cb(void *cls, struct MHD_Connection *mc, const char *url, const char *method,
				 const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	struct hub *h = cls;
	struct request *rq = *con_cls;
	(void)version;
	if (!rq) {
		if (!(rq = calloc(1, sizeof(*rq))))
			return MHD_NO;
		*con_cls = rq;
		return MHD_YES;
	}
	if (*upload_size) {
		if (!rq->too_big && rq->len + *upload_size > HUB_MAX_BODY)
			rq->too_big = true;
		if (!rq->too_big) {
			if (rq->len + *upload_size > rq->cap) {
				size_t cap = rq->cap ? rq->cap : 65536;
				while (cap < rq->len + *upload_size)
					cap *= 2;
				uint8_t *p = realloc(rq->body, cap);
				if (!p)
					return MHD_NO;
				rq->body = p;
				rq->cap = cap;
			}
			memcpy(rq->body + rq->len, upload, *upload_size);
			rq->len += *upload_size;
		}
		*upload_size = 0;
		return MHD_YES;
	}
	if (rq->too_big)
		return respond_error(mc, 413, "too_large", "the request body is over the hub's limit");
	if (!pthread_getspecific(thread_key))
		(void)pthread_setspecific(thread_key, h);
	struct session *s = session_get(h);
	if (!s)
		return respond_error(mc, 503, "unavailable", "the hub cannot reach its database");
	enum MHD_Result ret = route(h, s, mc, url, method, rq);
	session_put(h, s);
	return ret;
}

static void completed_cb(void *cls, struct MHD_Connection *mc, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)mc;
	(void)toe;
	struct request *rq = *con_cls;
	if (rq) {
		free(rq->body);
		free(rq);
		*con_cls = NULL;
	}
}

static void log_cb(void *cls, const char *fmt, va_list ap) PHR_PRINTF(2, 0);
static void log_cb(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	fputs("phr hub: ", stderr);
	vfprintf(stderr, fmt, ap);
}

/* ---- starting ---------------------------------------------------------- */

static int read_file(const char *path, char **out)
{
	FILE *f = fopen(path, "rb");
	*out = NULL;
	if (!f)
		return phr_fail(PHR_E_IO, "%s: %s", path, strerror(errno));
	char *b = malloc(1 << 20);
	size_t n = b ? fread(b, 1, (1 << 20) - 1, f) : 0;
	fclose(f);
	if (!b)
		return phr_fail(PHR_E_NOMEM, "out of memory");
	b[n] = '\0';
	*out = b;
	return PHR_OK;
}

/* The trust bundle given is stored in hub_trust (once per version): every
 * hub process then uses the newest any of them was given. */
static int store_trust(PGconn *pg, const struct phr_trust *t, const uint8_t *bytes, size_t len, uint64_t now)
{
	char v[24], at[24];
	snprintf(v, sizeof(v), "%llu", (unsigned long long)phr_trust_version(t));
	snprintf(at, sizeof(at), "%llu", (unsigned long long)now);
	const char *pv[3] = { v, (const char *)bytes, at };
	int pl[3] = { 0, (int)len, 0 }, pf[3] = { 0, 1, 0 };
	PGresult *r = PQexecParams(pg, "INSERT INTO hub_trust(version, bundle, stored_at) VALUES ($1::bigint, $2::bytea, "
				   "$3::bigint) ON CONFLICT (version) DO NOTHING", 3, NULL, pv, pl, pf, 0);
	int rc = PQresultStatus(r) == PGRES_COMMAND_OK ? PHR_OK
						       : phr_fail(PHR_E_DB, "hub: cannot store the trust bundle: %s",
								  PQerrorMessage(pg));
	PQclear(r);
	return rc;
}

static bool loopback(const struct sockaddr_in *a)
{
	return (ntohl(a->sin_addr.s_addr) >> 24) == 127;
}

int hub_serve(const struct hub_options *o)
{
	struct hub h = { .o = o };
	struct sockaddr_in sa = { .sin_family = AF_INET };
	char host[64];
	unsigned port;
	int rc, n = 0;
	const char *listen = o->listen ? o->listen : HUB_DEFAULT_LISTEN;
	if (sscanf(listen, "%63[0-9.]:%u%n", host, &port, &n) != 2 || listen[n] || port > 65535 ||
	    inet_pton(AF_INET, host, &sa.sin_addr) != 1)
		return phr_fail(PHR_E_ARG, "--listen is ADDR:PORT with an IPv4 address (%s)", listen);
	sa.sin_port = htons((uint16_t)port);
	bool tls = o->tls_cert && o->tls_key;
	if ((o->tls_cert != NULL) != (o->tls_key != NULL))
		return phr_fail(PHR_E_ARG, "--tls-cert and --tls-key go together");
	if (!tls && !loopback(&sa))
		return phr_fail(PHR_E_ARG, "%s is not a loopback address: give --tls-cert and --tls-key (health data "
				"never crosses a network in clear)", host);
	/* the database: migrated, and the trust bundle given stored */
	struct phr_register *reg;
	if ((rc = phr_register_open(o->db, PHR_REG_CREATE, &reg)))
		return rc;
	phr_register_close(reg);
	struct phr_trust *t;
	if ((rc = o->load_trust(o->trust_path, &t)))
		return rc;
	{
		char *bytes = NULL;
		FILE *f = fopen(o->trust_path, "rb");
		uint8_t buf[PHR_MAX_TRUST];
		size_t len = f ? fread(buf, 1, sizeof(buf), f) : 0;
		if (f)
			fclose(f);
		(void)bytes;
		PGconn *pg = PQconnectdb(o->db);
		rc = PQstatus(pg) == CONNECTION_OK ? store_trust(pg, t, buf, len, o->now())
						   : phr_fail(PHR_E_DB, "hub: PostgreSQL: %s", PQerrorMessage(pg));
		PQfinish(pg);
		phr_trust_destroy(t);
		if (rc)
			return rc;
	}
	char *key = NULL, *cert = NULL;
	if (tls && ((rc = read_file(o->tls_key, &key)) || (rc = read_file(o->tls_cert, &cert)))) {
		free(key);
		return rc;
	}
	pthread_mutex_init(&h.lock, NULL);
	pthread_once(&thread_once, thread_key_make);
	/* signals are taken by sigwait below, not by the server's threads */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* a pool of threads, each keeping its database session and ICU caches
	 * from request to request */
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG | (tls ? MHD_USE_TLS : 0);
	unsigned threads = o->threads ? o->threads : HUB_THREADS;
	struct MHD_OptionItem opts[] = {
		{ MHD_OPTION_SOCK_ADDR, 0, &sa },
		{ MHD_OPTION_CONNECTION_LIMIT, HUB_MAX_CONNECTIONS, NULL },
		{ MHD_OPTION_THREAD_POOL_SIZE, threads, NULL },
		{ MHD_OPTION_CONNECTION_TIMEOUT, HUB_CONN_TIMEOUT, NULL },
		{ MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)completed_cb, NULL },
		{ tls ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_END, 0, key },
		{ tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, 0, cert },
		{ MHD_OPTION_END, 0, NULL },
	};
	struct MHD_Daemon *d = MHD_start_daemon(flags, 0, NULL, NULL, access_cb, &h, MHD_OPTION_EXTERNAL_LOGGER, log_cb,
						NULL, MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
	if (!d) {
		free(key);
		free(cert);
		return phr_fail(PHR_E_IO, "hub: cannot listen on %s", listen);
	}
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	printf("phr hub: listening on %s://%s:%u\n", tls ? "https" : "http", host, di ? di->port : port);
	fflush(stdout);
	int sig;
	sigwait(&set, &sig);
	MHD_stop_daemon(d);
	while (h.idle) {
		struct session *s = h.idle;
		h.idle = s->next;
		session_close(s);
	}
	pthread_mutex_destroy(&h.lock);
	free(key);
	free(cert);
	return PHR_OK;
}
