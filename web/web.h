/* phr serve — the clinic's web app (web/): what a page module needs.
 *
 * The server (web/server.c) runs GNU libmicrohttpd, one thread per
 * connection. For each request it reads the URL, the cookies and, for a
 * POST, the form fields and uploaded files (application/x-www-form-urlencoded
 * or multipart/form-data, within WEB_MAX_* limits), finds the session,
 * checks the route's role and, for every POST, the CSRF token; only then is
 * the route's handler called. A handler fills struct web_response; the
 * server adds the security headers (CSP without inline script, nosniff,
 * no-store, frame-ancestors 'none') and sends it.
 *
 * Adding pages from another file: write a route table (an array of
 * struct web_route ended by an all-zero entry), declare it in the module's
 * header and add one line naming it to web_route_tables[] in web/routes.c.
 *
 *     static int page_hello(struct web_request *rq, struct web_response *rs)
 *     {
 *             FILE *f = web_page_begin(rq, rs, web_label(rq, "ui.web.hello", "Hello"));
 *             if (!f)
 *                     return PHR_E_NOMEM;
 *             fputs("<p>", f);
 *             web_html(f, web_param(rq, "name"));    (escaped: never fputs a value)
 *             fputs("</p><form method=post action=/hello>", f);
 *             web_csrf_field(f, rq);                 (every form that POSTs)
 *             fputs("</form>", f);
 *             return web_page_end(rq, rs);
 *     }
 *     const struct web_route web_hello_routes[] = {
 *             { "GET", "/hello", PHR_ROLE_CLERK, 0, page_hello },
 *             { 0 } };
 *
 * Handlers run on many threads at once: they keep no state of their own
 * outside the request. Errors: a handler returns PHR_OK with the response
 * filled, or a PHR_E_* (its message set by phr_fail) and the server answers
 * 500 with that message escaped, or web_error() for a page that says what
 * was wrong with the status it chooses.
 */
#ifndef PHR_WEB_H
#define PHR_WEB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "phr/error.h"
#include "phr/register.h"
#include "form.h"

/* Limits (docs/WEB.md, "Security"). */
#define WEB_MAX_BODY (48u << 20)      /* a POST's whole body, bytes (a few 12 MP photos) */
#define WEB_MAX_PUBLIC_BODY (64u << 10) /* a POST's body without a session (the sign-in form) */
#define WEB_MAX_UPLOAD (20u << 20)    /* one uploaded file, bytes */
#define WEB_MAX_UPLOADS 16            /* files in one POST */
#define WEB_MAX_FIELDS PHR_WEB_FORM_MAX_FIELDS /* form fields in one POST: what the entry form parser takes (web/form.h) */
#define WEB_MAX_FIELD (64u << 10)     /* one field's value, bytes */
#define WEB_MAX_PIXELS (40u * 1000u * 1000u) /* an uploaded picture's width x height */
#define WEB_MAX_CONNECTIONS 64        /* connections at once (MHD), each with its thread */
#define WEB_MAX_PER_IP 32             /* connections at once from one address */
#define WEB_CONN_TIMEOUT 30           /* seconds a connection may stay idle (a slow client is cut) */
#define WEB_IDLE_SESSION 900          /* seconds of inactivity that end a session (--idle) */
#define WEB_MAX_SESSIONS 256          /* sessions at once; the oldest idle one goes first */
#define WEB_TOKEN_HEX 64              /* session and CSRF tokens: 32 random bytes as hex */
#define WEB_HELD_KEYS 4               /* follow-up reviews with a holder key pending at once, per session */
#define WEB_HELD_KEY_SECONDS 600      /* a holder key kept from review to signing: wiped after this */
#define WEB_MAX_TRUST_IMPORTS 64      /* trust bundles imported while the server runs */
#define WEB_TRUST_WARN_DAYS 30        /* a bundle older than this is flagged (--trust-warn) */

struct web_server;

/* An uploaded file (multipart/form-data). data is owned by the request. */
struct web_upload {
	const char *field;        /* the form field's name */
	const char *filename;     /* as the browser sent it: never a path to open, show it escaped */
	const char *content_type; /* as the browser sent it: not trusted */
	uint8_t *data;
	size_t len;
};

/* The signed-in staff member, NULL-free strings. */
struct web_user {
	char name[PHR_REG_USER_NAME_MAX + 1];
	int role;                         /* enum phr_role */
	char csrf[WEB_TOKEN_HEX + 1];     /* this session's CSRF token */
};

struct web_request {
	struct web_server *srv;
	const char *method;   /* "GET", "POST" */
	const char *path;     /* the URL's path, without the query; percent-decoded by MHD */
	const char *lang;     /* the UI language: the session's, or ?lang=, or the server's --lang */
	bool rtl;             /* lang is written right to left (ar, fa): the page has dir="rtl" */
	const struct web_user *user; /* NULL on public routes without a session */
	const struct web_upload *uploads;
	size_t n_uploads;
	bool body_too_large;  /* the POST went over WEB_MAX_BODY, WEB_MAX_UPLOAD, ... (its fields are dropped) */
	void *priv;           /* the server's */
};

struct web_response {
	int status;               /* HTTP status; 200 when left 0 */
	const char *content_type; /* static string; "text/html; charset=utf-8" when NULL */
	char *body;               /* malloc'd, owned by the response (freed by the server) */
	size_t len;
	char location[512];       /* a redirect (status 303): the path to go to, "" if none */
	char disposition[256];    /* Content-Disposition, "" if none */
	char set_cookie[2][256];  /* Set-Cookie headers, "" if none */
	FILE *page;               /* web_page_begin's stream, until web_page_end */
};

typedef int (*web_handler)(struct web_request *rq, struct web_response *rs);

#define WEB_PREFIX 1u   /* path matches every path that starts with it ("/record/") */
#define WEB_NO_CSRF 2u  /* a POST without the session's CSRF token (only the login form: it has its own) */

struct web_route {
	const char *method;  /* "GET" or "POST" (a GET handler also answers HEAD) */
	const char *path;
	int role;            /* the least role allowed (PHR_ROLE_CLERK...); PHR_ROLE_NONE: public */
	unsigned flags;      /* WEB_PREFIX, WEB_NO_CSRF */
	web_handler fn;
};

/* Every route table (web/routes.c), NULL-terminated; each table ends with
 * an all-zero entry. */
extern const struct web_route *const web_route_tables[];
extern const struct web_route web_core_routes[];   /* web/pages.c: sign in and out, assets */
extern const struct web_route web_record_routes[]; /* web/records.c: scan, record, search, print */
extern const struct web_route web_admin_routes[];  /* web/admin.c: staff, trust, reports */

/* ---- request ------------------------------------------------------------ */

/* A query-string or form field (the first one of that name), NULL when
 * absent. Valid for the request. */
const char *web_param(const struct web_request *rq, const char *name);
/* Each value of a repeated field, in order: i from 0 until NULL. */
const char *web_param_at(const struct web_request *rq, const char *name, size_t i);
/* Every form and query field in order, for modules that read many
 * (forms): returns the count; name and value of field i. */
size_t web_param_count(const struct web_request *rq);
void web_param_nth(const struct web_request *rq, size_t i, const char **name, const char **value);
/* A label of layouts/po in the request's language, else English, else fallback. */
const char *web_label(const struct web_request *rq, const char *id, const char *fallback);
/* The same with each "%d" in it replaced by the next of n long arguments
 * (labels are data: never a printf format). Writes out (cap bytes), returns it. */
const char *web_label_nums(const struct web_request *rq, const char *id, const char *fallback, char *out, size_t cap,
			   int n, ...);

/* The clinic's register for this request, opened on first use (one handle
 * per thread, from a pool) with its audit "who" set to the staff member
 * ("NAME (clinician, web)"). Do not close it; the server does. NULL with
 * the error set when it cannot be opened. */
struct phr_register *web_register(struct web_request *rq);
/* The trust bundle loaded at start (never NULL in a running server). */
const struct phr_trust *web_trust(const struct web_request *rq);
/* The server's clock: Unix seconds (PHR_NOW in the test build). */
uint64_t web_now(const struct web_request *rq);
/* The clinic's name and country from its certificate. */
const char *web_clinic_name(const struct web_request *rq);

/* Signs content (an entry's CBOR, phr_entry_encode_json) with the clinic's
 * key: onto the register's latest version of record_hex, or as a new record
 * when record_hex is NULL; files the result in the register ("issued" or
 * "extended", audit naming the staff member) and returns its id in
 * out_hex. Only for a clinician or admin session (PHR_E_ARG otherwise):
 * the handler's route must ask for PHR_ROLE_CLINICIAN. The record to
 * extend must verify against the trust bundle. The key never leaves the
 * server's guarded memory. */
PHR_NODISCARD int web_sign(struct web_request *rq, const char *record_hex, const uint8_t *content, size_t len,
			   char out_hex[33]);
/* web_sign() with the root sections of mask (phr/seal.h,
 * phr_seal_default_sections()) sealed under holder_key
 * (PHR_HOLDER_KEY_LEN bytes) as phr issue and phr extend seal them; with
 * holder_key NULL or mask 0 it is web_sign(). A follow-up's key is checked
 * first (phr_record_seal_key_check): PHR_E_SEAL_KEY, PHR_E_REKEYED or
 * PHR_E_SEALED, nothing signed, when it does not open the record's sealed
 * entries. */
PHR_NODISCARD int web_sign_sealed(struct web_request *rq, const char *record_hex, const uint8_t *content,
				  size_t len, const uint8_t *holder_key, uint32_t mask, char out_hex[33]);
/* The check web_sign_sealed() makes of a follow-up's holder key
 * (PHR_HOLDER_KEY_LEN bytes), made alone before anything is signed (the
 * review step): the register's latest version of record_hex, which must
 * verify, and phr_record_seal_key_check. PHR_OK when the key opens the
 * record's newest sealed entry (or the record has none); PHR_E_SEAL_KEY,
 * PHR_E_REKEYED or PHR_E_SEALED when it does not; else the error of the
 * register or of verification. */
PHR_NODISCARD int web_holder_key_check(struct web_request *rq, const char *record_hex, const uint8_t *holder_key);

/* ---- response ----------------------------------------------------------- */

/* Starts an HTML page: <!doctype html>, <html lang dir>, the head (title,
 * /assets/app.css, /assets/app.js), the header with the clinic, the menu
 * (only the pages the user's role may open), the language chooser and the
 * sign-out button. Returns the stream the body is written to (NULL: out of
 * memory), owned by rs until web_page_end. */
FILE *web_page_begin(struct web_request *rq, struct web_response *rs, const char *title);
/* Closes the page (footer, </html>) and puts it in rs->body. */
int web_page_end(struct web_request *rq, struct web_response *rs);
/* A whole page saying what went wrong (text escaped), with status. */
int web_error(struct web_request *rq, struct web_response *rs, int status, const char *text);
/* A 303 redirect to path (a local path, "/..."). */
int web_redirect(struct web_response *rs, const char *path);
/* A download: bytes copied, with content type and file name (ASCII, made safe). */
int web_bytes(struct web_response *rs, const char *content_type, const char *filename, const void *data, size_t len);

/* HTML-escapes s (& < > " ') to f; NULL writes nothing. Also for attributes (quoted). */
void web_html(FILE *f, const char *s);
void web_htmln(FILE *f, const char *s, size_t n);
/* printf, then HTML-escaped: web_htmlf(f, "%zu of %zu", a, b). */
void web_htmlf(FILE *f, const char *fmt, ...) PHR_PRINTF(2, 3);
/* <input type=hidden name=csrf value=...>: every form that POSTs has it. */
void web_csrf_field(FILE *f, const struct web_request *rq);
/* Percent-encodes s for a URL's query or path. */
void web_url(FILE *f, const char *s);

/* ---- server (cli/cmd_serve.c) ------------------------------------------- */

/* The background sync's state, shown on the Trust page. */
struct web_sync_status {
	char hub[256];       /* its URL */
	uint64_t last_ok;    /* when a round last went through (0: never) */
	uint64_t last_try;   /* when a round last ended (0: none yet) */
	size_t outbox;       /* rows waiting to be sent */
	char error[200];     /* the last round's error, "" when it went through */
};
struct web_config {
	const char *register_path;
	const char *listen;        /* "127.0.0.1:8470", "[::1]:8470", "0.0.0.0:8443" */
	const char *lang;          /* default UI language */
	const char *tls_cert, *tls_key; /* PEM files; both or neither */
	unsigned idle_seconds;     /* session idle timeout, 0: WEB_IDLE_SESSION */
	unsigned trust_warn_days;  /* the Trust page warns past this age, 0: WEB_TRUST_WARN_DAYS */
	struct phr_trust *trust;   /* owned by the server from web_server_start */
	struct phr_seckey *key;    /* owned by the server */
	uint8_t *cert;             /* owned by the server (malloc'd) */
	size_t cert_len;
	uint64_t (*now)(void);     /* the clock */
	const char *trust_path;    /* for the Trust page: the bundle's file */
	/* Loads and checks a bundle file as phr does everywhere (pinned
	 * authority, expiry, version); NULL: no import. */
	int (*trust_load)(const char *path, struct phr_trust **out);
	/* Background sync with a hub (phr serve --hub): fills *out for the
	 * Trust page's status line; NULL: no sync. Called from any thread. */
	void (*sync_status)(struct web_sync_status *out);
};
/* Starts listening. Refuses an address other than loopback without TLS,
 * and PHR_E_HTTP when it cannot listen (PHR_E_ARG for a malformed
 * address). From the call on, the server owns cfg->trust, cfg->key and
 * cfg->cert, and frees them when it cannot start. *out: web_server_stop. */
PHR_NODISCARD int web_server_start(struct web_config *cfg, struct web_server **out);
/* The port actually listened on (for --listen 127.0.0.1:0). */
unsigned web_server_port(const struct web_server *srv);
void web_server_stop(struct web_server *srv);

#endif
