/* phr — the regional hub (hub/, docs/HUB.md): an HTTP API in front of a
 * PostgreSQL register that clinics push record versions and documents to
 * and pull newer versions and trust bundles from (phr hub), and the
 * clinic's side of it (phr sync).
 *
 * Every request but GET /v1/trust is signed by the clinic (hub_sign):
 *   X-Phr-Cert:      the clinic's key id (16 hex digits)
 *   X-Phr-Time:      Unix seconds
 *   X-Phr-Nonce:     32 hex digits, random, never reused
 *   X-Phr-Signature: hex of a COSE_Sign1 by the clinic's key, external AAD
 *                    "phr/hub", over the text
 *                    "phr-hub-1\n" METHOD "\n" PATH "\n" TIME "\n" NONCE "\n"
 *                    hex(BLAKE2b-256(body))
 *   X-Phr-Certificate (optional): hex of the clinic's certificate, for a
 *                    clinic the hub's trust bundle does not carry.
 * A health authority of the bundle signs the same way with its own key id
 * (no certificate): it may ask for aggregate reports, and nothing else.
 * The hub checks the certificate against its newest trust bundle
 * (issuer listed, signature, validity now, neither it nor its issuer
 * revoked), that the signature's key id is X-Phr-Cert's, the time within
 * HUB_WINDOW of its clock, and that the nonce was never seen for that key
 * (PostgreSQL table hub_nonces).
 */
#ifndef PHR_HUB_H
#define PHR_HUB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "phr/crypto.h"
#include "phr/register.h"

#define HUB_AAD "phr/hub"
#define HUB_SIG_PREFIX "phr-hub-1\n"
#define HUB_WINDOW 300u                  /* seconds a request's time may differ from the hub's clock */
#define HUB_NONCE_LEN 16                 /* bytes; 32 hex digits */
#define HUB_MAX_BODY (PHR_REG_MAX_DOCUMENT + 65536u) /* largest request body */
#define HUB_MAX_PATH 200                 /* longest request path signed */
#define HUB_MAX_SIG_HEX 1024             /* longest X-Phr-Signature */
#define HUB_MAX_CERT_HEX 2048            /* longest X-Phr-Certificate */
#define HUB_DEFAULT_LISTEN "127.0.0.1:8740"
#define HUB_MAX_HEADS 16                 /* most branches of one record handed out (a fork: two) */

/* The heads of a record in a register: its versions that are no other's
 * older copy and no branch a stored merged version joined (one, or the
 * branches of a fork not yet merged), at most HUB_MAX_HEADS. */
struct hub_heads {
	size_t n;
	char hex[HUB_MAX_HEADS][PHR_VERSION_ID_HEX_LEN];
	size_t entries[HUB_MAX_HEADS];
};
int hub_heads_of(struct phr_register *reg, const uint8_t id[PHR_RECORD_ID_LEN], struct hub_heads *out);

/* The text a request's signature covers (HUB_SIG_PREFIX ...), into out
 * (cap bytes). PHR_E_LIMIT when it does not fit. */
int hub_sig_text(const char *method, const char *path, uint64_t t, const char *nonce_hex, const uint8_t *body,
		 size_t body_len, char *out, size_t cap);

/* Signs a request: the hex COSE_Sign1 into *sig_hex (malloc'd). */
int hub_sign(const struct phr_seckey *k, const char *method, const char *path, uint64_t t, const char *nonce_hex,
	     const uint8_t *body, size_t body_len, char **sig_hex);

/* What the hub made of a request's authentication. */
struct hub_who {
	uint8_t kid[PHR_KID_LEN];
	char kid_hex[PHR_KID_HEX_LEN];
	char name[PHR_MAX_NAME + 1];
	char country[3];
	bool authority; /* signed by an authority of the bundle (reports), not a clinic */
};

/* Checks a request's headers against trust at the hub's clock now (all
 * but the nonce's reuse, which the caller checks in its database).
 * PHR_OK and *who, or PHR_E_HUB_AUTH with the reason (phr_last_error). */
int hub_check(const struct phr_trust *trust, uint64_t now, const char *method, const char *path,
	      const char *cert_hex, const char *time_s, const char *nonce_hex, const char *sig_hex,
	      const char *certificate_hex, const uint8_t *body, size_t body_len, struct hub_who *who);

/* A record's consent, on push and hand-out: phr_consent_of() and
 * phr_consent_shares() (phr/consent.h), the register's reading, merged
 * records included. */

/* ---- changes since a cursor (POST /v1/changes, docs/HUB.md) ---- */
#define HUB_MAX_CHANGES 1000             /* record ids in one changes request (and its answer) */
#define HUB_MAX_CHANGES_BODY (HUB_MAX_CHANGES * 40u + 256u) /* its longest body */
#define HUB_CHANGES_WAIT_MS 2000         /* longest wait for the pushes in progress (then the cursor stays) */
/* A changes request's body {"cursor": N, "records": [ID, ...]} or its
 * answer {"cursor": N, "changed": [ID, ...]} (list names the array). */
struct hub_changes {
	int64_t cursor;
	size_t n;
	uint8_t ids[HUB_MAX_CHANGES][PHR_RECORD_ID_LEN];
};
/* Parses a body (PHR_E_JSON, PHR_E_SCHEMA, PHR_E_LIMIT); *out is zeroed on failure. */
int hub_changes_parse(const uint8_t *body, size_t len, const char *list, struct hub_changes *out);
/* Writes c as such a body: *out malloc'd, NUL-terminated. */
int hub_changes_json(const struct hub_changes *c, const char *list, char **out);

/* ---- phr hub ---- */
struct hub_options {
	const char *db;        /* postgresql://... */
	const char *listen;    /* ADDR:PORT */
	const char *trust_path;
	const char *tls_cert, *tls_key; /* PEM files */
	unsigned threads;
	uint64_t (*now)(void);
	int (*load_trust)(const char *path, struct phr_trust **out); /* checked as --trust is */
};
/* Runs until SIGINT or SIGTERM. */
int hub_serve(const struct hub_options *o);

/* ---- phr sync ---- */
/* What one round of sync did (sync_options.on_round). */
struct sync_round {
	int rc;                 /* PHR_OK, or the round's error (phr_last_error() then) */
	size_t pushed, refused, pulled, docs_pulled;
	size_t left;            /* rows left in the outbox after the round */
	uint64_t trust_pulled;  /* the version of a newer trust bundle taken, 0: none */
};
struct sync_options {
	const char *db;        /* the clinic's SQLite register */
	const char *hub;       /* http(s)://host:port */
	const struct phr_seckey *key;
	const uint8_t *cert;   /* the clinic's certificate */
	size_t cert_len;
	const char *trust_path; /* the clinic's trust bundle, replaced by a newer one pulled */
	const char *ca_file;    /* https: the CA to check the hub's certificate with (NULL: the system's) */
	bool once;
	bool full;              /* pull every record held, not only those the hub says changed */
	unsigned changes_batch; /* record ids per changes request (0: HUB_MAX_CHANGES) */
	unsigned interval;      /* seconds between rounds */
	uint64_t (*now)(void);
	int (*load_trust)(const char *path, struct phr_trust **out);
	bool quiet;
	size_t *left;           /* once: set to the rows left in the outbox */
	/* Seconds a round waits for the register's sync lock held by another
	 * round (0: SYNC_LOCK_WAIT). */
	unsigned lock_wait;
	/* In a thread of another program (phr serve): should_stop, when set,
	 * is asked between rounds and every second while waiting (no signal
	 * handler is installed then); on_round, when set, is told about every
	 * round. ctx is passed to both. */
	bool (*should_stop)(void *ctx);
	void (*on_round)(void *ctx, const struct sync_round *r);
	void *ctx;
};
/* One round (once) or rounds until SIGINT/SIGTERM (or should_stop). A
 * round that fails (the hub unreachable, an error) makes the next wait
 * longer: the interval doubled at each failure up to SYNC_BACKOFF_MAX,
 * drawn between half and all of it; a good round brings it back.
 * Each round holds an exclusive flock(2) on DB.sync-lock (SYNC_LOCK_SUFFIX,
 * beside the register; released by the kernel when the process ends) for
 * its push and pull, so two rounds on one register (phr serve --hub's and
 * a phr sync run by hand) never interleave. A round that finds it held
 * says so once on stderr and waits up to lock_wait seconds, polling every
 * SYNC_LOCK_POLL_MS; past that it fails with PHR_E_SYNC_BUSY (once: the
 * return; rounds: counted as a failed round, tried again later). */
#define SYNC_LOCK_SUFFIX ".sync-lock"
#define SYNC_LOCK_WAIT 300    /* seconds, the default of lock_wait */
#define SYNC_LOCK_WAIT_MAX 86400
#define SYNC_LOCK_POLL_MS 50
int sync_run(const struct sync_options *o);

#endif
