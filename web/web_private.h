/* phr serve: what server.c gives the core pages (web/pages.c) beyond web.h. */
#ifndef PHR_WEB_PRIVATE_H
#define PHR_WEB_PRIVATE_H

#include "web.h"

/* A new session for a staff member who signed in; token: its cookie value. */
int web_session_create(struct web_server *srv, const char *name, int role, const char *lang,
		       char token[WEB_TOKEN_HEX + 1]);
void web_session_end(struct web_server *srv, const char *token);
/* Ends every session of the staff member name (account disabled or role changed). */
void web_sessions_end_user(struct web_server *srv, const char *name);
/* Checks an uploaded trust bundle as phr does (pinned authority, expiry,
 * version not older than one used here: web_config.trust_load), puts it
 * in place of the --trust file and uses it from the next request. */
int web_trust_import(struct web_request *rq, const uint8_t *data, size_t len);
/* Seconds the login form must wait for this name or address (0: none). */
unsigned web_throttle_wait(struct web_request *rq, const char *name);
/* Counts a failed login (ok false) or clears the name's count (ok true). */
void web_throttle_result(struct web_request *rq, const char *name, bool ok);
/* phr_register_user_check, at most a few at once (Argon2id takes 64 MiB each). */
int web_password_check(struct web_request *rq, const char *name, const char *password, int *role);
/* The client's address as text. */
const char *web_client_addr(const struct web_request *rq);
/* The session cookie's value of this request, NULL if none. */
const char *web_session_token(const struct web_request *rq);
/* A cookie's value as sent, NULL if none. */
const char *web_cookie(const struct web_request *rq, const char *name);
/* The server speaks TLS (cookies get Secure). */
bool web_is_tls(const struct web_request *rq);
/* Days after which the Trust page warns about the bundle's age. */
unsigned web_trust_warn_days(const struct web_request *rq);
/* The background sync's state (false: phr serve runs without --hub). */
bool web_sync_status(const struct web_request *rq, struct web_sync_status *out);
/* The path of the trust bundle given to phr serve. */
const char *web_trust_path(const struct web_request *rq);
/* A follow-up's holder key between review and signing, kept in this
 * request's session (never in the page) for the record record_hex; token:
 * what the review page's hidden field carries instead. A new review of the
 * same record in the session replaces (wipes) the older one; the key is
 * wiped after WEB_HELD_KEY_SECONDS, when taken, or when the session ends. */
int web_held_key_put(struct web_request *rq, const char *record_hex, const uint8_t *holder_key,
		     char token[WEB_TOKEN_HEX + 1]);
/* The key held under token in this request's session for record_hex into
 * holder_key (PHR_HOLDER_KEY_LEN bytes), wiped from the session: once only.
 * PHR_E_NOT_FOUND for a token used already, expired, of another session or
 * of another record. */
int web_held_key_take(struct web_request *rq, const char *record_hex, const char *token, uint8_t *holder_key);
/* Wipes the key held under token in this request's session, if any. */
void web_held_key_drop(struct web_request *rq, const char *token);

#endif
