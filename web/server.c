/* phr serve: the HTTP side (GNU libmicrohttpd, one thread per connection),
 * sessions, CSRF, login throttling, the route tables (web/web.h). */
#include "web.h"
#include "phr/seal.h"
#include "phr/seal_check.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "phr/container.h"
#include "phr/crypto.h"
#include "phr/labels.h"
#include "phr/verify.h"
#include "names.h"
#include "web_private.h"
#include "web_url.h"

#define COOKIE_SESSION "phr_session"
#define COOKIE_LOGIN "phr_login" /* the login form's double-submit CSRF token */
#define THROTTLE_SLOTS 256       /* names and addresses whose failed logins are counted */
#define THROTTLE_FREE_NAME 5     /* failed logins of one name before a wait */
#define THROTTLE_FREE_ADDR 20    /* failed logins from one address before a wait (a shared workstation) */
#define THROTTLE_FIRST_WAIT 5    /* the first wait, seconds; each further failure doubles it */
#define THROTTLE_MAX_WAIT 300    /* longest wait, seconds */
#define PWHASH_AT_ONCE 2         /* Argon2id checks at once (64 MiB each) */

/* A follow-up's holder key between its review and its signing, kept here
 * rather than in the review page (docs/WEB.md, "Holder key"). */
struct held_key {
	char token[WEB_TOKEN_HEX + 1]; /* what the review page carries; "" when the slot is free */
	char record[33];               /* the record the follow-up extends */
	uint8_t key[PHR_HOLDER_KEY_LEN];
	uint64_t mono; /* monotonic seconds of the review */
};

struct session {
	bool used;
	char token[WEB_TOKEN_HEX + 1];
	struct web_user user;
	char lang[8];
	uint64_t last;  /* the server clock's time of its last request */
	uint64_t mono;  /* monotonic seconds of its last request (the idle timeout) */
	struct held_key held[WEB_HELD_KEYS];
};

struct throttle {
	char key[PHR_REG_USER_NAME_MAX + 48]; /* "n:NAME" or "a:ADDRESS" */
	unsigned failures;
	uint64_t until; /* monotonic seconds before which no attempt is checked */
};

struct web_server {
	struct MHD_Daemon *d;
	struct web_config cfg;
	char *tls_key_pem, *tls_cert_pem;
	unsigned port;
	pthread_mutex_t lock; /* sessions, throttle */
	struct session sessions[WEB_MAX_SESSIONS];
	struct throttle throttle[THROTTLE_SLOTS];
	pthread_mutex_t pw_lock;
	pthread_cond_t pw_cond;
	int pw_busy;
	pthread_mutex_t sign_lock; /* one signature at a time: the register's versions stay in order */
	pthread_mutex_t trust_lock; /* cfg.trust and the retired bundles */
	struct phr_trust *retired[WEB_MAX_TRUST_IMPORTS]; /* replaced bundles: a request may still hold one */
	size_t n_retired;
	char clinic[PHR_MAX_NAME + 32];
};

static uint64_t mono_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec;
}

static void random_hex(char out[WEB_TOKEN_HEX + 1])
{
	uint8_t b[WEB_TOKEN_HEX / 2];
	randombytes_buf(b, sizeof(b));
	sodium_bin2hex(out, WEB_TOKEN_HEX + 1, b, sizeof(b));
	sodium_memzero(b, sizeof(b));
}

/* A connection's thread ends with the connection (one thread per
 * connection): what the register's name search keeps per thread (ICU
 * transliterators, register/names.c) goes with it, through a thread-specific
 * key whose destructor runs in the ending thread. */
static pthread_key_t thread_key;
static pthread_once_t thread_key_once = PTHREAD_ONCE_INIT;

static void thread_end(void *v)
{
	(void)v;
	phr_name_cleanup();
}

static void thread_key_make(void)
{
	(void)pthread_key_create(&thread_key, thread_end);
}

static void thread_mark(void)
{
	pthread_once(&thread_key_once, thread_key_make);
	if (!pthread_getspecific(thread_key))
		(void)pthread_setspecific(thread_key, &thread_key);
}

/* ---- per-request state -------------------------------------------------- */

struct field {
	char *name, *value;
	size_t len;
};

struct req {
	struct web_request rq;
	struct web_user user;
	struct MHD_PostProcessor *pp;
	struct field *fields;
	size_t n_fields, cap_fields;
	struct web_upload uploads[WEB_MAX_UPLOADS];
	char *upload_names[WEB_MAX_UPLOADS][3];
	size_t n_uploads;
	size_t body, max_body;
	bool too_large, bad_body;
	char lang[8];
	char addr[INET6_ADDRSTRLEN + 8];
	const char *token; /* the session cookie, as sent */
	struct MHD_Connection *conn;
	struct phr_register *reg;
	bool post_done_field; /* the last field is still being received */
	int last_kind;        /* 1 field, 2 upload */
};

static struct req *REQ(const struct web_request *rq)
{
	return (struct req *)rq->priv;
}

static int add_field(struct req *q, const char *name, const char *value, size_t len)
{
	if (q->n_fields == WEB_MAX_FIELDS || len > WEB_MAX_FIELD) {
		q->too_large = true;
		return -1;
	}
	if (q->n_fields == q->cap_fields) {
		size_t cap = q->cap_fields ? 2 * q->cap_fields : 16;
		struct field *f = realloc(q->fields, cap * sizeof(*f));
		if (!f)
			return -1;
		q->fields = f;
		q->cap_fields = cap;
	}
	struct field *f = &q->fields[q->n_fields];
	f->name = strdup(name);
	f->value = malloc(len + 1);
	if (!f->name || !f->value) {
		free(f->name);
		free(f->value);
		return -1;
	}
	memcpy(f->value, value, len);
	f->value[len] = '\0';
	f->len = len;
	q->n_fields++;
	return 0;
}

static int append_field(struct req *q, const char *data, size_t size)
{
	struct field *f = &q->fields[q->n_fields - 1];
	if (f->len + size > WEB_MAX_FIELD) {
		q->too_large = true;
		return -1;
	}
	char *v = realloc(f->value, f->len + size + 1);
	if (!v)
		return -1;
	memcpy(v + f->len, data, size);
	f->len += size;
	v[f->len] = '\0';
	f->value = v;
	return 0;
}

static enum MHD_Result post_iter(void *cls, enum MHD_ValueKind kind, const char *key, const char *filename,
				 const char *content_type, const char *transfer_encoding, const char *data,
				 uint64_t off, size_t size)
{
	struct req *q = cls;
	(void)kind;
	(void)transfer_encoding;

	if (q->too_large)
		return MHD_YES; /* keep reading, keep nothing */
	if (filename) {
		struct web_upload *u;
		if (off == 0 || q->last_kind != 2 || q->n_uploads == 0) {
			if (q->n_uploads == WEB_MAX_UPLOADS) {
				q->too_large = true;
				return MHD_YES;
			}
			size_t i = q->n_uploads++;
			u = &q->uploads[i];
			memset(u, 0, sizeof(*u));
			q->upload_names[i][0] = strdup(key ? key : "");
			q->upload_names[i][1] = strdup(filename);
			q->upload_names[i][2] = strdup(content_type ? content_type : "");
			u->field = q->upload_names[i][0];
			u->filename = q->upload_names[i][1];
			u->content_type = q->upload_names[i][2];
			q->last_kind = 2;
		}
		u = &q->uploads[q->n_uploads - 1];
		if (u->len + size > WEB_MAX_UPLOAD) {
			q->too_large = true;
			return MHD_YES;
		}
		if (size) {
			uint8_t *d = realloc(u->data, u->len + size);
			if (!d)
				return MHD_NO;
			memcpy(d + u->len, data, size);
			u->data = d;
			u->len += size;
		}
		return MHD_YES;
	}
	if (off == 0 || q->last_kind != 1 || q->n_fields == 0) {
		q->last_kind = 1;
		if (add_field(q, key ? key : "", data ? data : "", size) && !q->too_large)
			return MHD_NO;
		return MHD_YES;
	}
	if (append_field(q, data, size) && !q->too_large)
		return MHD_NO;
	return MHD_YES;
}

static enum MHD_Result query_iter(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct req *q = cls;
	(void)kind;
	add_field(q, key ? key : "", value ? value : "", value ? strlen(value) : 0);
	return MHD_YES;
}

static void req_free(struct req *q)
{
	if (!q)
		return;
	if (q->pp)
		MHD_destroy_post_processor(q->pp);
	for (size_t i = 0; i < q->n_fields; i++) {
		free(q->fields[i].name);
		if (q->fields[i].value)
			sodium_memzero(q->fields[i].value, q->fields[i].len); /* passwords pass here */
		free(q->fields[i].value);
	}
	free(q->fields);
	for (size_t i = 0; i < q->n_uploads; i++) {
		free(q->uploads[i].data);
		for (int k = 0; k < 3; k++)
			free(q->upload_names[i][k]);
	}
	phr_register_close(q->reg);
	sodium_memzero(&q->user, sizeof(q->user));
	free(q);
}

const char *web_param(const struct web_request *rq, const char *name)
{
	return web_param_at(rq, name, 0);
}

const char *web_param_at(const struct web_request *rq, const char *name, size_t i)
{
	const struct req *q = REQ(rq);
	for (size_t k = 0; k < q->n_fields; k++)
		if (!strcmp(q->fields[k].name, name) && i-- == 0)
			return q->fields[k].value;
	return NULL;
}

size_t web_param_count(const struct web_request *rq)
{
	return REQ(rq)->n_fields;
}

void web_param_nth(const struct web_request *rq, size_t i, const char **name, const char **value)
{
	const struct req *q = REQ(rq);
	*name = i < q->n_fields ? q->fields[i].name : NULL;
	*value = i < q->n_fields ? q->fields[i].value : NULL;
}

const char *web_label(const struct web_request *rq, const char *id, const char *fallback)
{
	return phr_label_or(rq->lang, id, fallback);
}

struct phr_register *web_register(struct web_request *rq)
{
	struct req *q = REQ(rq);
	if (q->reg)
		return q->reg;
	if (phr_register_open(rq->srv->cfg.register_path, 0, &q->reg)) {
		q->reg = NULL;
		return NULL;
	}
	char who[PHR_REG_WHO_MAX];
	if (rq->user)
		snprintf(who, sizeof(who), "%s (%s, web)", rq->user->name, phr_role_name(rq->user->role));
	else
		snprintf(who, sizeof(who), "(not signed in, web %s)", q->addr);
	phr_register_set_who(q->reg, who);
	uint64_t now = web_now(rq);
	if (rq->srv->cfg.now)
		phr_register_set_clock(q->reg, now);
	return q->reg;
}

const struct phr_trust *web_trust(const struct web_request *rq)
{
	pthread_mutex_lock(&rq->srv->trust_lock);
	const struct phr_trust *t = rq->srv->cfg.trust;
	pthread_mutex_unlock(&rq->srv->trust_lock);
	return t;
}

int web_trust_import(struct web_request *rq, const uint8_t *data, size_t len)
{
	struct web_server *srv = rq->srv;
	const char *path = srv->cfg.trust_path;
	char tmp[4096];
	int rc;
	if (!srv->cfg.trust_load || !path)
		return phr_fail(PHR_E_ARG, "this server cannot import trust bundles");
	if (len > PHR_MAX_TRUST)
		return phr_fail(PHR_E_LIMIT, "a trust bundle is at most %u bytes", (unsigned)PHR_MAX_TRUST);
	if (snprintf(tmp, sizeof(tmp), "%s.upload-XXXXXX", path) >= (int)sizeof(tmp))
		return phr_fail(PHR_E_ARG, "trust bundle path too long");
	int fd = mkstemp(tmp);
	if (fd < 0)
		return phr_fail(PHR_E_IO, "%s: %s", tmp, strerror(errno));
	bool ok = write(fd, data, len) == (ssize_t)len && fsync(fd) == 0;
	ok = close(fd) == 0 && ok;
	if (!ok) {
		unlink(tmp);
		return phr_fail(PHR_E_IO, "%s: cannot write", tmp);
	}
	pthread_mutex_lock(&srv->trust_lock);
	struct phr_trust *t = NULL;
	if (srv->n_retired == WEB_MAX_TRUST_IMPORTS) {
		rc = phr_fail(PHR_E_LIMIT, "%d bundles imported since the server started: restart it to import more",
			      WEB_MAX_TRUST_IMPORTS);
	} else if ((rc = srv->cfg.trust_load(tmp, &t)) == PHR_OK) {
		if (rename(tmp, path) != 0) {
			rc = phr_fail(PHR_E_IO, "%s: %s", path, strerror(errno));
			phr_trust_destroy(t);
		} else {
			srv->retired[srv->n_retired++] = srv->cfg.trust;
			srv->cfg.trust = t;
		}
	}
	pthread_mutex_unlock(&srv->trust_lock);
	if (rc)
		unlink(tmp);
	return rc;
}

uint64_t web_now(const struct web_request *rq)
{
	return rq->srv->cfg.now ? rq->srv->cfg.now() : (uint64_t)time(NULL);
}

const char *web_clinic_name(const struct web_request *rq)
{
	return rq->srv->clinic;
}

/* ---- signing ------------------------------------------------------------ */

/* The register's latest version of record_hex, decoded into *out, which
 * must verify against the trust bundle at now (a record that does not is
 * not extended). */
static int load_to_extend(struct web_request *rq, struct phr_register *reg, const char *record_hex, uint64_t now,
			  struct phr_record **out)
{
	uint8_t id[PHR_RECORD_ID_LEN], *buf = NULL;
	size_t blen = 0;
	struct phr_report *rep = NULL;
	int rc;
	*out = NULL;
	if ((rc = phr_register_resolve(reg, record_hex, id)) || (rc = phr_register_latest(reg, id, &buf, &blen)) ||
	    (rc = phr_record_decode(buf, blen, out)))
		goto out;
	if (!(rep = calloc(1, sizeof(*rep)))) {
		rc = phr_fail(PHR_E_NOMEM, "out of memory");
		goto out;
	}
	(void)phr_verify_record(*out, web_trust(rq), now, rep);
	if ((rc = phr_report_error(rep)))
		rc = phr_fail(rc, "the record does not verify (%s): it is not extended", phr_strerror(rc));
out:
	if (rc) {
		phr_record_destroy(*out);
		*out = NULL;
	}
	free(rep);
	free(buf);
	return rc;
}

/* A follow-up's holder key must open the record's sealed entries (its
 * current key generation), or the entry sealed now would not open: the one
 * check of the review step (web_holder_key_check) and of signing. */
static int key_opens_record(const struct phr_record *r, const uint8_t *holder_key)
{
	return phr_record_seal_key_check(r, holder_key, NULL);
}

int web_holder_key_check(struct web_request *rq, const char *record_hex, const uint8_t *holder_key)
{
	struct phr_register *reg;
	struct phr_record *r = NULL;
	int rc;
	if (!(reg = web_register(rq)))
		return phr_fail_wrap(PHR_E_DB, "register");
	if ((rc = load_to_extend(rq, reg, record_hex, web_now(rq), &r)))
		return rc;
	rc = key_opens_record(r, holder_key);
	phr_record_destroy(r);
	return rc;
}

/* The one signing path of web_sign() and web_sign_sealed(): with
 * holder_key NULL or mask 0 nothing is sealed; else the content is split
 * and the sections of mask sealed for this record id and entry index, as
 * phr issue / extend do. */
static int sign_entry(struct web_request *rq, const char *record_hex, const uint8_t *content, size_t len,
		      const uint8_t *holder_key, uint32_t mask, char out_hex[33])
{
	struct web_server *srv = rq->srv;
	struct phr_register *reg;
	struct phr_record *r = NULL;
	uint8_t *enc = NULL, *clear = NULL, *plain = NULL, *env = NULL;
	size_t elen = 0, clear_len = 0, plain_len = 0, env_len = 0;
	unsigned n_sealed = 0;
	int rc;
	out_hex[0] = '\0';
	if (!rq->user || rq->user->role < PHR_ROLE_CLINICIAN)
		return phr_fail(PHR_E_ARG, "signing needs a clinician's session");
	if (!(reg = web_register(rq)))
		return phr_fail_wrap(PHR_E_DB, "register");
	pthread_mutex_lock(&srv->sign_lock);
	uint64_t now = web_now(rq);
	if (record_hex) {
		if ((rc = load_to_extend(rq, reg, record_hex, now, &r)))
			goto out;
	} else if ((rc = phr_record_create(NULL, &r))) {
		goto out;
	}
	/* checked again here: the record may have changed since the review */
	if (record_hex && holder_key && mask && (rc = key_opens_record(r, holder_key)))
		goto out;
	if (holder_key && mask &&
	    (rc = phr_seal_split(content, len, mask, &clear, &clear_len, &plain, &plain_len, &n_sealed)))
		goto out;
	if (plain && (rc = phr_seal_v3(holder_key, r->id, r->n_entries, clear, clear_len, plain, plain_len, n_sealed,
				       PHR_SEAL_PACK_BEST, NULL, &env, &env_len)))
		goto out;
	if ((rc = phr_record_append_sealed(r, srv->cfg.key, srv->cfg.cert, srv->cfg.cert_len, plain ? clear : content,
					   plain ? clear_len : len, env, env_len, now)) ||
	    (rc = phr_record_encode(r, record_hex ? r->compression : -1, &enc, &elen)))
		goto out;
	struct phr_register_added added;
	rc = phr_register_add(reg, enc, elen, srv->cfg.trust, now, record_hex ? PHR_REG_HOW_EXTENDED : PHR_REG_HOW_ISSUED,
			      &added);
	if (rc == PHR_OK)
		snprintf(out_hex, 33, "%s", added.record_hex);
out:
	pthread_mutex_unlock(&srv->sign_lock);
	if (plain)
		sodium_memzero(plain, plain_len);
	free(plain);
	free(clear);
	free(env);
	free(enc);
	phr_record_destroy(r);
	return rc;
}

int web_sign(struct web_request *rq, const char *record_hex, const uint8_t *content, size_t len, char out_hex[33])
{
	return sign_entry(rq, record_hex, content, len, NULL, 0, out_hex);
}

int web_sign_sealed(struct web_request *rq, const char *record_hex, const uint8_t *content, size_t len,
		    const uint8_t *holder_key, uint32_t mask, char out_hex[33])
{
	return sign_entry(rq, record_hex, content, len, holder_key, mask, out_hex);
}

/* ---- sessions ----------------------------------------------------------- */

static unsigned idle_limit(const struct web_server *srv)
{
	return srv->cfg.idle_seconds ? srv->cfg.idle_seconds : WEB_IDLE_SESSION;
}

/* Wipes every held key older than WEB_HELD_KEY_SECONDS (srv->lock held). */
static void held_sweep(struct web_server *srv, uint64_t now)
{
	for (size_t i = 0; i < WEB_MAX_SESSIONS; i++)
		for (size_t j = 0; j < WEB_HELD_KEYS; j++) {
			struct held_key *h = &srv->sessions[i].held[j];
			if (h->token[0] && now - h->mono > WEB_HELD_KEY_SECONDS)
				sodium_memzero(h, sizeof(*h));
		}
}

/* Copies the session of token into *u (and its language); false when none or idle too long. */
static bool session_find(struct web_server *srv, const char *token, struct web_user *u, char lang[8])
{
	bool found = false;
	if (!token || strlen(token) != WEB_TOKEN_HEX)
		return false;
	uint64_t now = mono_s();
	pthread_mutex_lock(&srv->lock);
	held_sweep(srv, now);
	for (size_t i = 0; i < WEB_MAX_SESSIONS; i++) {
		struct session *s = &srv->sessions[i];
		if (!s->used || sodium_memcmp(s->token, token, WEB_TOKEN_HEX))
			continue;
		if (now - s->mono > idle_limit(srv)) {
			sodium_memzero(s, sizeof(*s));
			break;
		}
		s->mono = now;
		*u = s->user;
		memcpy(lang, s->lang, 8);
		found = true;
		break;
	}
	pthread_mutex_unlock(&srv->lock);
	return found;
}

int web_session_create(struct web_server *srv, const char *name, int role, const char *lang,
		       char token[WEB_TOKEN_HEX + 1])
{
	uint64_t now = mono_s();
	pthread_mutex_lock(&srv->lock);
	struct session *pick = NULL;
	for (size_t i = 0; i < WEB_MAX_SESSIONS; i++) {
		struct session *s = &srv->sessions[i];
		if (s->used && now - s->mono > idle_limit(srv))
			sodium_memzero(s, sizeof(*s));
		if (!s->used) {
			if (!pick)
				pick = s;
		}
	}
	if (!pick) { /* full: the one idle longest goes */
		pick = &srv->sessions[0];
		for (size_t i = 1; i < WEB_MAX_SESSIONS; i++)
			if (srv->sessions[i].mono < pick->mono)
				pick = &srv->sessions[i];
	}
	sodium_memzero(pick, sizeof(*pick)); /* with the held keys of the session it replaces */
	pick->used = true;
	random_hex(pick->token);
	random_hex(pick->user.csrf);
	snprintf(pick->user.name, sizeof(pick->user.name), "%s", name);
	pick->user.role = role;
	snprintf(pick->lang, sizeof(pick->lang), "%s", lang ? lang : "");
	pick->mono = now;
	memcpy(token, pick->token, WEB_TOKEN_HEX + 1);
	pthread_mutex_unlock(&srv->lock);
	return PHR_OK;
}

void web_sessions_end_user(struct web_server *srv, const char *name)
{
	pthread_mutex_lock(&srv->lock);
	for (size_t i = 0; i < WEB_MAX_SESSIONS; i++)
		if (srv->sessions[i].used && !strcmp(srv->sessions[i].user.name, name))
			sodium_memzero(&srv->sessions[i], sizeof(srv->sessions[i]));
	pthread_mutex_unlock(&srv->lock);
}

void web_session_end(struct web_server *srv, const char *token)
{
	if (!token || strlen(token) != WEB_TOKEN_HEX)
		return;
	pthread_mutex_lock(&srv->lock);
	for (size_t i = 0; i < WEB_MAX_SESSIONS; i++)
		if (srv->sessions[i].used && !sodium_memcmp(srv->sessions[i].token, token, WEB_TOKEN_HEX))
			sodium_memzero(&srv->sessions[i], sizeof(srv->sessions[i]));
	pthread_mutex_unlock(&srv->lock);
}

static void session_set_lang(struct web_server *srv, const char *token, const char *lang)
{
	if (!token || strlen(token) != WEB_TOKEN_HEX)
		return;
	pthread_mutex_lock(&srv->lock);
	for (size_t i = 0; i < WEB_MAX_SESSIONS; i++)
		if (srv->sessions[i].used && !sodium_memcmp(srv->sessions[i].token, token, WEB_TOKEN_HEX))
			snprintf(srv->sessions[i].lang, sizeof(srv->sessions[i].lang), "%s", lang);
	pthread_mutex_unlock(&srv->lock);
}

/* The session of this request (srv->lock held), NULL if none. */
static struct session *request_session(struct web_request *rq)
{
	const char *token = REQ(rq)->token;
	if (!token || strlen(token) != WEB_TOKEN_HEX)
		return NULL;
	for (size_t i = 0; i < WEB_MAX_SESSIONS; i++)
		if (rq->srv->sessions[i].used && !sodium_memcmp(rq->srv->sessions[i].token, token, WEB_TOKEN_HEX))
			return &rq->srv->sessions[i];
	return NULL;
}

int web_held_key_put(struct web_request *rq, const char *record_hex, const uint8_t *holder_key,
		     char token[WEB_TOKEN_HEX + 1])
{
	struct web_server *srv = rq->srv;
	uint64_t now = mono_s();
	int rc = PHR_OK;
	token[0] = '\0';
	pthread_mutex_lock(&srv->lock);
	held_sweep(srv, now);
	struct session *s = request_session(rq);
	if (!s) {
		rc = phr_fail(PHR_E_ARG, "the holder key is kept only in a signed-in session");
		goto out;
	}
	/* one pending review per record: a new review replaces the older one;
	 * else a free slot, else the oldest review's */
	struct held_key *pick = NULL;
	for (size_t j = 0; j < WEB_HELD_KEYS && !pick; j++)
		if (s->held[j].token[0] && !strcmp(s->held[j].record, record_hex))
			pick = &s->held[j];
	for (size_t j = 0; j < WEB_HELD_KEYS && !pick; j++)
		if (!s->held[j].token[0])
			pick = &s->held[j];
	if (!pick) {
		pick = &s->held[0];
		for (size_t j = 1; j < WEB_HELD_KEYS; j++)
			if (s->held[j].mono < pick->mono)
				pick = &s->held[j];
	}
	sodium_memzero(pick, sizeof(*pick));
	random_hex(pick->token);
	snprintf(pick->record, sizeof(pick->record), "%s", record_hex);
	memcpy(pick->key, holder_key, PHR_HOLDER_KEY_LEN);
	pick->mono = now;
	memcpy(token, pick->token, WEB_TOKEN_HEX + 1);
out:
	pthread_mutex_unlock(&srv->lock);
	return rc;
}

int web_held_key_take(struct web_request *rq, const char *record_hex, const char *token, uint8_t *holder_key)
{
	struct web_server *srv = rq->srv;
	bool found = false;
	if (token && strlen(token) == WEB_TOKEN_HEX) {
		pthread_mutex_lock(&srv->lock);
		held_sweep(srv, mono_s());
		struct session *s = request_session(rq);
		for (size_t j = 0; s && j < WEB_HELD_KEYS; j++) {
			struct held_key *h = &s->held[j];
			if (!h->token[0] || sodium_memcmp(h->token, token, WEB_TOKEN_HEX))
				continue;
			/* single use: gone whether or not the record is the one it was for */
			if (!strcmp(h->record, record_hex)) {
				memcpy(holder_key, h->key, PHR_HOLDER_KEY_LEN);
				found = true;
			}
			sodium_memzero(h, sizeof(*h));
			break;
		}
		pthread_mutex_unlock(&srv->lock);
	}
	if (!found)
		return phr_fail(PHR_E_NOT_FOUND, "no holder key is kept for this review in this session "
						 "(already signed, expired, or from another session)");
	return PHR_OK;
}

void web_held_key_drop(struct web_request *rq, const char *token)
{
	if (!token || strlen(token) != WEB_TOKEN_HEX)
		return;
	struct web_server *srv = rq->srv;
	pthread_mutex_lock(&srv->lock);
	struct session *s = request_session(rq);
	for (size_t j = 0; s && j < WEB_HELD_KEYS; j++)
		if (s->held[j].token[0] && !sodium_memcmp(s->held[j].token, token, WEB_TOKEN_HEX))
			sodium_memzero(&s->held[j], sizeof(s->held[j]));
	pthread_mutex_unlock(&srv->lock);
}

/* ---- login throttling --------------------------------------------------- */

static struct throttle *throttle_slot(struct web_server *srv, const char *key, bool create)
{
	struct throttle *oldest = NULL;
	for (size_t i = 0; i < THROTTLE_SLOTS; i++) {
		struct throttle *t = &srv->throttle[i];
		if (t->key[0] && !strcmp(t->key, key))
			return t;
		if (!oldest || t->until < oldest->until || !t->key[0])
			if (!oldest || oldest->key[0])
				oldest = t;
	}
	if (!create)
		return NULL;
	memset(oldest, 0, sizeof(*oldest));
	snprintf(oldest->key, sizeof(oldest->key), "%s", key);
	return oldest;
}

unsigned web_throttle_wait(struct web_request *rq, const char *name)
{
	struct web_server *srv = rq->srv;
	char k1[sizeof(((struct throttle *)0)->key)], k2[sizeof(k1)];
	snprintf(k1, sizeof(k1), "n:%s", name);
	snprintf(k2, sizeof(k2), "a:%s", REQ(rq)->addr);
	uint64_t now = mono_s(), wait = 0;
	pthread_mutex_lock(&srv->lock);
	const char *keys[2] = { k1, k2 };
	for (int i = 0; i < 2; i++) {
		struct throttle *t = throttle_slot(srv, keys[i], false);
		if (t && t->until > now && t->until - now > wait)
			wait = t->until - now;
	}
	pthread_mutex_unlock(&srv->lock);
	return (unsigned)wait;
}

void web_throttle_result(struct web_request *rq, const char *name, bool ok)
{
	struct web_server *srv = rq->srv;
	char k1[sizeof(((struct throttle *)0)->key)], k2[sizeof(k1)];
	snprintf(k1, sizeof(k1), "n:%s", name);
	snprintf(k2, sizeof(k2), "a:%s", REQ(rq)->addr);
	uint64_t now = mono_s();
	pthread_mutex_lock(&srv->lock);
	const char *keys[2] = { k1, k2 };
	for (int i = 0; i < 2; i++) {
		struct throttle *t = throttle_slot(srv, keys[i], !ok);
		if (!t)
			continue;
		if (ok) {
			if (i == 0)
				memset(t, 0, sizeof(*t));
			continue;
		}
		t->failures++;
		unsigned free_tries = i == 0 ? THROTTLE_FREE_NAME : THROTTLE_FREE_ADDR;
		if (t->failures >= free_tries) {
			unsigned shift = t->failures - free_tries;
			uint64_t w = shift >= 6 ? THROTTLE_MAX_WAIT : (uint64_t)THROTTLE_FIRST_WAIT << shift;
			t->until = now + (w > THROTTLE_MAX_WAIT ? THROTTLE_MAX_WAIT : w);
		}
	}
	pthread_mutex_unlock(&srv->lock);
}

int web_password_check(struct web_request *rq, const char *name, const char *password, int *role)
{
	struct web_server *srv = rq->srv;
	struct phr_register *reg = web_register(rq);
	if (!reg)
		return phr_fail_wrap(PHR_E_DB, "register");
	pthread_mutex_lock(&srv->pw_lock);
	while (srv->pw_busy >= PWHASH_AT_ONCE)
		pthread_cond_wait(&srv->pw_cond, &srv->pw_lock);
	srv->pw_busy++;
	pthread_mutex_unlock(&srv->pw_lock);
	int rc = phr_register_user_check(reg, name, password, strlen(password), role);
	pthread_mutex_lock(&srv->pw_lock);
	srv->pw_busy--;
	pthread_cond_signal(&srv->pw_cond);
	pthread_mutex_unlock(&srv->pw_lock);
	return rc;
}

const char *web_client_addr(const struct web_request *rq)
{
	return REQ(rq)->addr;
}

const char *web_session_token(const struct web_request *rq)
{
	return REQ(rq)->token;
}

const char *web_cookie(const struct web_request *rq, const char *name)
{
	return MHD_lookup_connection_value(REQ(rq)->conn, MHD_COOKIE_KIND, name);
}

bool web_is_tls(const struct web_request *rq)
{
	return rq->srv->cfg.tls_cert != NULL;
}

unsigned web_trust_warn_days(const struct web_request *rq)
{
	return rq->srv->cfg.trust_warn_days ? rq->srv->cfg.trust_warn_days : WEB_TRUST_WARN_DAYS;
}

bool web_sync_status(const struct web_request *rq, struct web_sync_status *out)
{
	memset(out, 0, sizeof(*out));
	if (!rq->srv->cfg.sync_status)
		return false;
	rq->srv->cfg.sync_status(out);
	return true;
}

const char *web_trust_path(const struct web_request *rq)
{
	return rq->srv->cfg.trust_path;
}

/* ---- dispatch ----------------------------------------------------------- */

static const struct web_route *route_find(const char *method, const char *path, bool *other_method)
{
	*other_method = false;
	if (!strcmp(method, "HEAD"))
		method = "GET";
	for (size_t t = 0; web_route_tables[t]; t++)
		for (const struct web_route *r = web_route_tables[t]; r->path; r++) {
			bool match = (r->flags & WEB_PREFIX) ? !strncmp(path, r->path, strlen(r->path))
							     : !strcmp(path, r->path);
			if (!match)
				continue;
			if (!strcmp(r->method, method))
				return r;
			*other_method = true;
		}
	return NULL;
}

static const char *csp =
	"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
	"object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

static enum MHD_Result send_response(struct MHD_Connection *c, struct web_response *rs)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(rs->len, rs->body ? rs->body : (void *)"",
								 rs->body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	if (!r) {
		free(rs->body);
		return MHD_NO;
	}
	rs->body = NULL;
	MHD_add_response_header(r, "Content-Type", rs->content_type ? rs->content_type : "text/html; charset=utf-8");
	MHD_add_response_header(r, "Content-Security-Policy", csp);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "Cache-Control", "no-store");
	if (rs->location[0])
		MHD_add_response_header(r, "Location", rs->location);
	if (rs->disposition[0])
		MHD_add_response_header(r, "Content-Disposition", rs->disposition);
	for (int i = 0; i < 2; i++)
		if (rs->set_cookie[i][0])
			MHD_add_response_header(r, "Set-Cookie", rs->set_cookie[i]);
	enum MHD_Result ret = MHD_queue_response(c, (unsigned)(rs->status ? rs->status : 200), r);
	MHD_destroy_response(r);
	return ret;
}

static void set_lang(struct req *q, struct web_server *srv, const char *want)
{
	const char *l = want && *want && phr_label_has_lang(want) ? want : srv->cfg.lang;
	snprintf(q->lang, sizeof(q->lang), "%s", l);
	q->rq.lang = q->lang;
	q->rq.rtl = phr_lang_is_rtl(q->lang);
}

static enum MHD_Result dispatch(struct web_server *srv, struct MHD_Connection *c, struct req *q)
{
	struct web_request *rq = &q->rq;
	struct web_response rs;
	memset(&rs, 0, sizeof(rs));
	int rc = PHR_OK;
	bool other;
	const char *token = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, COOKIE_SESSION);
	q->token = token;
	rq->uploads = q->uploads;
	rq->n_uploads = q->n_uploads;
	rq->body_too_large = q->too_large;
	char slang[8] = "";
	if (session_find(srv, token, &q->user, slang))
		rq->user = &q->user;
	const char *want = web_param(rq, "lang");
	if (want && phr_label_has_lang(want) && rq->user)
		session_set_lang(srv, token, want);
	set_lang(q, srv, want && phr_label_has_lang(want) ? want : slang);

	const struct web_route *r = route_find(rq->method, rq->path, &other);
	if (!r) {
		if (other)
			rc = web_error(rq, &rs, 405, web_label(rq, "ui.web.err_method", "This address does not take that method."));
		else
			rc = web_error(rq, &rs, 404, web_label(rq, "ui.web.err_not_found", "There is no such page."));
	} else if (r->role != PHR_ROLE_NONE && !rq->user) {
		if (!strcmp(rq->method, "GET") || !strcmp(rq->method, "HEAD")) {
			rc = web_redirect(&rs, "/login");
		} else {
			rc = web_error(rq, &rs, 401,
				       web_label(rq, "ui.web.err_session", "You are not signed in, or your session has ended: sign in again."));
		}
	} else if (r->role != PHR_ROLE_NONE && rq->user->role < r->role) {
		rc = web_error(rq, &rs, 403,
			       web_label(rq, "ui.web.err_role", "Your role does not allow this. Ask a clinician or an administrator."));
	} else if (!strcmp(rq->method, "POST") && !(r->flags & WEB_NO_CSRF) &&
		   (!rq->user || !web_param(rq, "csrf") || strlen(web_param(rq, "csrf")) != WEB_TOKEN_HEX ||
		    sodium_memcmp(web_param(rq, "csrf"), rq->user->csrf, WEB_TOKEN_HEX))) {
		rc = web_error(rq, &rs, 403,
			       web_label(rq, "ui.web.err_csrf", "This form has expired or did not come from this application: open the page again."));
	} else if (q->too_large) {
		char msg[400];
		web_label_nums(rq, "ui.web.err_too_large", "The upload is too large: at most %d MB per file, %d files and %d MB in all.", msg,
			       sizeof(msg), 3, (long)(WEB_MAX_UPLOAD >> 20), (long)WEB_MAX_UPLOADS, (long)(WEB_MAX_BODY >> 20));
		rc = web_error(rq, &rs, 413, msg);
	} else if (q->bad_body) {
		rc = web_error(rq, &rs, 400, web_label(rq, "ui.web.err_body", "The form could not be read."));
	} else {
		phr_clear_error();
		rc = r->fn(rq, &rs);
	}
	if (rs.page) { /* a handler that failed half-way through its page */
		fclose(rs.page);
		rs.page = NULL;
		free(rs.body);
		rs.body = NULL;
	}
	if (rc) {
		free(rs.body);
		memset(&rs, 0, sizeof(rs));
		char msg[PHR_ERRMSG_MAX + 64];
		snprintf(msg, sizeof(msg), "%s", *phr_last_error() ? phr_last_error() : phr_strerror(rc));
		if (web_error(rq, &rs, 500, msg))
			return MHD_NO;
	}
	return send_response(c, &rs);
}

static enum MHD_Result access_cb(void *cls, struct MHD_Connection *c, const char *url, const char *method,
				 const char *version, const char *upload_data, size_t *upload_size, void **con_cls)
{
	struct web_server *srv = cls;
	(void)version;
	struct req *q = *con_cls;
	if (!q) {
		if (strcmp(method, "GET") && strcmp(method, "HEAD") && strcmp(method, "POST")) {
			struct web_response rs = { .status = 405, .content_type = "text/plain; charset=utf-8" };
			rs.body = strdup("method not allowed\n");
			rs.len = rs.body ? strlen(rs.body) : 0;
			return send_response(c, &rs);
		}
		if (!(q = calloc(1, sizeof(*q))))
			return MHD_NO;
		q->rq.srv = srv;
		q->rq.priv = q;
		q->conn = c;
		q->rq.method = method;
		q->rq.path = url;
		set_lang(q, srv, NULL);
		const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		if (ci && ci->client_addr) {
			const struct sockaddr *sa = ci->client_addr;
			if (sa->sa_family == AF_INET)
				inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, q->addr,
					  sizeof(q->addr));
			else if (sa->sa_family == AF_INET6)
				inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, q->addr,
					  sizeof(q->addr));
		}
		MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, query_iter, q);
		if (!strcmp(method, "POST")) {
			/* Without a session only a small body is read (the sign-in
			 * form): no one uploads megabytes before signing in. */
			struct web_user who;
			char wlang[8];
			q->max_body = session_find(srv, MHD_lookup_connection_value(c, MHD_COOKIE_KIND, COOKIE_SESSION), &who,
						   wlang)
					      ? WEB_MAX_BODY
					      : WEB_MAX_PUBLIC_BODY;
			sodium_memzero(&who, sizeof(who));
			const char *len = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
			if (len && strtoull(len, NULL, 10) > q->max_body)
				q->too_large = true;
			q->pp = MHD_create_post_processor(c, 64 * 1024, post_iter, q);
			if (!q->pp)
				q->bad_body = true; /* no body or a content type it does not read */
		}
		*con_cls = q;
		return MHD_YES;
	}
	if (*upload_size) {
		q->body += *upload_size;
		if (q->body > q->max_body)
			q->too_large = true;
		if (q->pp && !q->too_large && MHD_post_process(q->pp, upload_data, *upload_size) != MHD_YES)
			q->bad_body = true;
		*upload_size = 0;
		return MHD_YES;
	}
	thread_mark();
	return dispatch(srv, c, q);
}

static void completed_cb(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)c;
	(void)toe;
	req_free(*con_cls);
	*con_cls = NULL;
}

/* URL unescaping (web/url.c), in libmicrohttpd's callback shape. */
static size_t unescape_cb(void *cls, struct MHD_Connection *c, char *s)
{
	(void)cls;
	(void)c;
	return web_unescape(s);
}

__attribute__((format(printf, 2, 0))) static void log_cb(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	fputs("phr serve: ", stderr);
	vfprintf(stderr, fmt, ap);
}

/* ---- start and stop ----------------------------------------------------- */

static int read_pem(const char *path, char **out)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return phr_fail(PHR_E_IO, "%s: %s", path, strerror(errno));
	char *buf = malloc(1 << 20);
	size_t n = buf ? fread(buf, 1, (1 << 20) - 1, f) : 0;
	fclose(f);
	if (!buf)
		return phr_fail(PHR_E_NOMEM, "out of memory");
	buf[n] = '\0';
	*out = buf;
	return PHR_OK;
}

/* What the server owns from web_server_start on, freed when it cannot start. */
static int refuse(struct web_config *cfg, int rc)
{
	phr_trust_destroy(cfg->trust);
	phr_seckey_destroy(cfg->key);
	free(cfg->cert);
	cfg->trust = NULL;
	cfg->key = NULL;
	cfg->cert = NULL;
	return rc;
}

int web_server_start(struct web_config *cfg, struct web_server **out)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	bool loopback = false;
	int rc;
	*out = NULL;
	if ((rc = web_parse_listen(cfg->listen ? cfg->listen : "127.0.0.1:8470", &ss, &sl, &loopback)))
		return refuse(cfg, rc);
	bool tls = cfg->tls_cert || cfg->tls_key;
	if (tls && !(cfg->tls_cert && cfg->tls_key))
		return refuse(cfg, phr_fail(PHR_E_ARG, "--tls-cert and --tls-key go together"));
	if (!loopback && !tls)
		return refuse(cfg, phr_fail(PHR_E_HTTP, "--listen %s is not a loopback address: other machines would "
					"reach it, so it needs TLS (--tls-cert CERT.pem --tls-key KEY.pem)",
					cfg->listen));
	if (tls && MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
		return refuse(cfg, phr_fail(PHR_E_HTTP, "this libmicrohttpd was built without TLS"));
	struct web_server *srv = calloc(1, sizeof(*srv));
	if (!srv)
		return refuse(cfg, phr_fail(PHR_E_NOMEM, "out of memory"));
	srv->cfg = *cfg;
	pthread_mutex_init(&srv->lock, NULL);
	pthread_mutex_init(&srv->pw_lock, NULL);
	pthread_cond_init(&srv->pw_cond, NULL);
	pthread_mutex_init(&srv->sign_lock, NULL);
	pthread_mutex_init(&srv->trust_lock, NULL);
	struct phr_cert c;
	if (phr_cert_parse(cfg->cert, cfg->cert_len, &c) == PHR_OK)
		snprintf(srv->clinic, sizeof(srv->clinic), "%s (%s)", c.subject.name, c.subject.country);
	if (tls && ((rc = read_pem(cfg->tls_key, &srv->tls_key_pem)) || (rc = read_pem(cfg->tls_cert, &srv->tls_cert_pem)))) {
		web_server_stop(srv);
		return rc;
	}
	unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG |
			 (ss.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0) | (tls ? MHD_USE_TLS : 0);
	struct MHD_OptionItem opts[] = {
		{ MHD_OPTION_SOCK_ADDR, 0, &ss },
		{ MHD_OPTION_CONNECTION_LIMIT, WEB_MAX_CONNECTIONS, NULL },
		{ MHD_OPTION_PER_IP_CONNECTION_LIMIT, WEB_MAX_PER_IP, NULL },
		{ MHD_OPTION_CONNECTION_TIMEOUT, WEB_CONN_TIMEOUT, NULL },
		{ MHD_OPTION_CONNECTION_MEMORY_LIMIT, 256 * 1024, NULL },
		{ MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)completed_cb, NULL },
		{ MHD_OPTION_UNESCAPE_CALLBACK, (intptr_t)unescape_cb, NULL },
		{ tls ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_END, 0, srv->tls_key_pem },
		{ tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, 0, srv->tls_cert_pem },
		{ MHD_OPTION_END, 0, NULL },
	};
	(void)sl;
	srv->d = MHD_start_daemon(flags, 0, NULL, NULL, access_cb, srv, MHD_OPTION_EXTERNAL_LOGGER, log_cb, NULL,
				  MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
	if (!srv->d) {
		rc = phr_fail(PHR_E_HTTP, "cannot listen on %s (address in use, or not this machine's)",
			      cfg->listen ? cfg->listen : "127.0.0.1:8470");
		web_server_stop(srv);
		return rc;
	}
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(srv->d, MHD_DAEMON_INFO_BIND_PORT);
	srv->port = di ? di->port : 0;
	*out = srv;
	return PHR_OK;
}

unsigned web_server_port(const struct web_server *srv)
{
	return srv->port;
}

void web_server_stop(struct web_server *srv)
{
	if (!srv)
		return;
	if (srv->d)
		MHD_stop_daemon(srv->d);
	phr_trust_destroy(srv->cfg.trust);
	for (size_t i = 0; i < srv->n_retired; i++)
		phr_trust_destroy(srv->retired[i]);
	pthread_mutex_destroy(&srv->trust_lock);
	phr_seckey_destroy(srv->cfg.key);
	free(srv->cfg.cert);
	if (srv->tls_key_pem) {
		sodium_memzero(srv->tls_key_pem, strlen(srv->tls_key_pem));
		free(srv->tls_key_pem);
	}
	free(srv->tls_cert_pem);
	pthread_mutex_destroy(&srv->lock);
	pthread_mutex_destroy(&srv->pw_lock);
	pthread_cond_destroy(&srv->pw_cond);
	pthread_mutex_destroy(&srv->sign_lock);
	sodium_memzero(srv->sessions, sizeof(srv->sessions));
	free(srv);
}
