/* phr — keys, COSE_Sign1, clinic certificates and the trust bundle.
 *
 * Signatures are Ed25519 (libsodium). A key is named by its kid: the first
 * 8 bytes of BLAKE2b-256 of the 32-byte public key. The wire formats below
 * are normative (docs/FORMAT.md); every map is deterministic CBOR with small
 * unsigned keys in ascending order.
 *
 *   .pub file    {1: kind, 2: name, 3: country, 4: pk bstr(32), 5: sig bstr(64)}
 *                sig = the key's own signature (COSE Sig_structure, external
 *                aad "phr/pub", kid = its own) over the map of keys 1..4:
 *                the holder of the key stated its kind.
 *   .key file    {1..4 as .pub, 5: salt bstr(16), 6: opslimit, 7: memlimit,
 *                 8: nonce bstr(24), 9: ciphertext bstr(48)}
 *                Argon2id(passphrase) -> XChaCha20-Poly1305 over the 32-byte
 *                seed, AAD = deterministic CBOR of the map of keys 1..7.
 *   COSE_Sign1   untagged [bstr .cbor {1: -8, 4: bstr kid(8)}, {}, bstr payload,
 *                bstr sig(64)]; Sig_structure = ["Signature1", protected,
 *                external_aad, payload].
 *   certificate  COSE_Sign1 (aad "phr/cert", kid = issuing authority) over
 *                {1: 2, 2: name, 3: country, 4: pk, 5: not_before, 6: not_after}
 *   trust bundle COSE_Sign1 (aad "phr/trust", kid = a listed authority) over
 *                {1: version, 2: issued, 3: [authority {1: 1, 2, 3, 4}...],
 *                 4: [bstr certificate...], 5: [bstr kid(8)...] (revoked,
 *                 strictly ascending), 6: expires}
 *   anchors      [authority {1: 1, 2, 3, 4}...] (an installation's pinned
 *                authorities, docs/TRUST.md)
 *   trust state  [[bstr pk(32), version, bstr digest(32)]...] (ascending pk)
 *
 * Names are UTF-8, 1..PHR_MAX_NAME bytes, without control characters (C0,
 * DEL, C1); countries are ISO 3166-1 alpha-2, two uppercase ASCII letters.
 *
 * Every int function returns PHR_OK or a negative enum phr_err and, on
 * failure, sets a message (phr_last_error()) naming what was wrong and where.
 * Decode/parse/verify functions wipe their output on failure.
 *
 * Thread safety: all functions may be called concurrently on distinct
 * objects; loaded trust bundles and secret keys are read-only and may be
 * shared between threads.
 */
#ifndef PHR_CRYPTO_H
#define PHR_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "phr/error.h"

#define PHR_KID_LEN 8
#define PHR_KID_HEX_LEN (2 * PHR_KID_LEN + 1) /* with the NUL */
#define PHR_PK_LEN 32
#define PHR_SEED_LEN 32
#define PHR_SIG_LEN 64
#define PHR_MAX_NAME 100             /* clinic/authority name, bytes */
#define PHR_MAX_KEYFILE 1024         /* .key and .pub files, bytes */
#define PHR_MAX_CERT 512             /* encoded certificate, bytes */
#define PHR_MAX_TRUST (256 * 1024)   /* encoded trust bundle, bytes */
#define PHR_MAX_TRUST_ITEMS 4096     /* authorities, certificates, revoked kids: each */
#define PHR_TRUST_MAX_DAYS 366       /* a trust bundle's expires - issued, days, at most */
#define PHR_TRUST_DIGEST_LEN 32      /* BLAKE2b-256 of a trust bundle's bytes */
#define PHR_MAX_ANCHORS 64           /* trust anchors of an installation; entries of its trust state */
#define PHR_MAX_ANCHORS_FILE 16384   /* trust anchors file, bytes */
#define PHR_MAX_TRUST_STATE_FILE 8192 /* trust state file, bytes */
/* Bounds on the Argon2id cost read from a key file, checked before hashing. */
#define PHR_KEY_MAX_OPSLIMIT 20
#define PHR_KEY_MIN_MEMLIMIT (8u * 1024u)
#define PHR_KEY_MAX_MEMLIMIT (1024u * 1024u * 1024u)

/* External AAD (domain separation) of certificates and trust bundles. */
#define PHR_AAD_CERT "phr/cert"
#define PHR_AAD_TRUST "phr/trust"
/* External AAD of a .pub file's self-signature. */
#define PHR_AAD_PUB "phr/pub"

enum phr_key_kind {
	PHR_KEY_AUTHORITY = 1,
	PHR_KEY_CLINIC = 2,
};

struct phr_pubkey {
	int kind;                      /* enum phr_key_kind */
	char name[PHR_MAX_NAME + 1];   /* UTF-8, NUL-terminated */
	char country[3];               /* "SY", NUL-terminated */
	uint8_t pk[PHR_PK_LEN];
	uint8_t kid[PHR_KID_LEN];      /* phr_kid_of(pk); filled by every decoder */
};

/* ---- keys ---------------------------------------------------------------- */

/* A secret key with its public half. Opaque; lives in sodium_malloc memory
 * (guarded, locked, read-only after creation) and is wiped on destroy. */
struct phr_seckey;

/* Writes kid = first 8 bytes of BLAKE2b-256(pk). */
void phr_kid_of(const uint8_t pk[PHR_PK_LEN], uint8_t kid[PHR_KID_LEN]);
/* Writes the kid as 16 lowercase hex digits and a NUL. */
void phr_kid_to_hex(const uint8_t kid[PHR_KID_LEN], char out[PHR_KID_HEX_LEN]);

/* Creates a fresh random key of the given kind (enum phr_key_kind) with a
 * name and country (checked as above). *out is owned by the caller: free it
 * with phr_seckey_destroy(). Returns PHR_OK, PHR_E_ARG, PHR_E_NOMEM or
 * PHR_E_CRYPTO. */
PHR_NODISCARD int phr_key_generate(int kind, const char *name, const char *country,
	struct phr_seckey **out);

/* Same, but the key pair is derived from a 32-byte seed: for test vectors.
 * WARNING: a seed that is not uniformly random gives a guessable key. */
PHR_NODISCARD int phr_key_from_seed(int kind, const char *name, const char *country,
	const uint8_t seed[PHR_SEED_LEN], struct phr_seckey **out);

/* Wipes and frees k. NULL is a no-op. */
void phr_seckey_destroy(struct phr_seckey *k);

/* The public half of k (kid filled in); valid as long as k. */
const struct phr_pubkey *phr_seckey_public(const struct phr_seckey *k);

/* Seals k under a passphrase (any bytes, at least one) into .key file bytes,
 * with Argon2id at libsodium's INTERACTIVE limits. *out is malloc'd, owned
 * by the caller (free()); it holds no secret in clear. Returns PHR_OK,
 * PHR_E_ARG (empty passphrase), PHR_E_NOMEM or PHR_E_CRYPTO. */
PHR_NODISCARD int phr_key_seal(const struct phr_seckey *k, const char *pass, size_t passlen,
	uint8_t **out, size_t *outlen);

/* Same with explicit Argon2id limits, which must lie within the bounds that
 * phr_key_open() accepts (1..PHR_KEY_MAX_OPSLIMIT, PHR_KEY_MIN_MEMLIMIT..
 * PHR_KEY_MAX_MEMLIMIT). For tests and unusually slow or large machines. */
PHR_NODISCARD int phr_key_seal_params(const struct phr_seckey *k, const char *pass,
	size_t passlen, uint64_t opslimit, uint64_t memlimit, uint8_t **out, size_t *outlen);

/* Opens .key file bytes (at most PHR_MAX_KEYFILE). The Argon2id limits in the
 * file are checked against the PHR_KEY_* bounds before any hashing. On
 * success *out is a new key owned by the caller. Returns PHR_OK, a malformed
 * error (PHR_E_MALFORMED, PHR_E_TRUNCATED, ...), PHR_E_LIMIT (file too large
 * or Argon2id limits out of bounds), PHR_E_PASSPHRASE (wrong passphrase, or
 * any field of the file changed), PHR_E_NOMEM or PHR_E_CRYPTO. */
PHR_NODISCARD int phr_key_open(const uint8_t *file, size_t len, const char *pass,
	size_t passlen, struct phr_seckey **out);

/* Encodes k's public half as .pub file bytes, signed by k itself (field 5):
 * only the holder of a key can write a .pub file that states its kind,
 * name and country. *out is malloc'd, owned by the caller. Returns PHR_OK,
 * PHR_E_ARG, PHR_E_NOMEM or PHR_E_CRYPTO. */
PHR_NODISCARD int phr_pubkey_encode(const struct phr_seckey *k, uint8_t **out, size_t *len);

/* Decodes .pub file bytes (at most PHR_MAX_KEYFILE) into *out, computing the
 * kid, and checks the self-signature: a file whose kind, name, country or
 * key was changed, or that lacks field 5, is refused. Rejects a pk that is
 * not a valid Ed25519 point. Returns PHR_OK, a malformed error
 * (PHR_E_MALFORMED when the self-signature does not verify), PHR_E_LIMIT
 * or PHR_E_NOMEM. */
PHR_NODISCARD int phr_pubkey_decode(const uint8_t *buf, size_t len, struct phr_pubkey *out);

/* ---- COSE_Sign1 ---------------------------------------------------------- */

/* Signs payload as an untagged COSE_Sign1 with EdDSA, kid = the key's kid,
 * and external AAD aad (may be NULL when aadlen is 0). *out is malloc'd,
 * owned by the caller. Returns PHR_OK, PHR_E_ARG, PHR_E_LIMIT (sizes
 * overflow), PHR_E_NOMEM or PHR_E_CRYPTO. */
PHR_NODISCARD int phr_cose_sign1(const struct phr_seckey *k, const uint8_t *payload,
	size_t plen, const uint8_t *aad, size_t aadlen, uint8_t **out, size_t *outlen);

/* A parsed COSE_Sign1. prot, payload and sig point into the parsed buffer
 * and live as long as it does. */
struct phr_cose {
	const uint8_t *prot;   /* encoded protected header */
	size_t prot_len;
	uint8_t kid[PHR_KID_LEN];
	const uint8_t *payload;
	size_t payload_len;
	const uint8_t *sig;    /* PHR_SIG_LEN bytes */
};

/* Checks the structure only (no signature): an array of 4; protected header
 * exactly {1: -8, 4: bstr(8)}; unprotected header empty; signature 64 bytes;
 * deterministic CBOR, nothing after it. Returns PHR_OK, a malformed error or
 * PHR_E_VERSION (alg other than EdDSA). */
PHR_NODISCARD int phr_cose_parse(const uint8_t *buf, size_t len, struct phr_cose *out);

/* Verifies c's signature under pk with external AAD aad. The kid in c must be
 * pk's kid. Returns PHR_OK, PHR_E_BAD_SIGNATURE, PHR_E_NOMEM or PHR_E_LIMIT. */
PHR_NODISCARD int phr_cose_verify(const struct phr_cose *c, const uint8_t pk[PHR_PK_LEN],
	const uint8_t *aad, size_t aadlen);

/* ---- certificates -------------------------------------------------------- */

/* A clinic's key, signed by an authority. Pointers (cose, raw) point into
 * the parsed buffer. */
struct phr_cert {
	uint8_t issuer_kid[PHR_KID_LEN];
	struct phr_pubkey subject;      /* kind PHR_KEY_CLINIC, kid filled */
	uint64_t not_before, not_after; /* unix seconds, inclusive */
	struct phr_cose cose;
	const uint8_t *raw;             /* the whole encoded certificate */
	size_t raw_len;
};

/* Issues a certificate for clinic (kind PHR_KEY_CLINIC) signed by auth (kind
 * PHR_KEY_AUTHORITY), valid not_before..not_after (unix seconds, inclusive,
 * not_before <= not_after). A clinic key equal to auth's own is refused: an
 * authority never certifies itself as a clinic. clinic's kind should come
 * from phr_pubkey_decode(), which checks that its holder stated it. *out is malloc'd, owned by the caller, at most
 * PHR_MAX_CERT bytes. Returns PHR_OK, PHR_E_ARG, PHR_E_NOMEM or PHR_E_CRYPTO. */
PHR_NODISCARD int phr_cert_issue(const struct phr_seckey *auth, const struct phr_pubkey *clinic,
	uint64_t not_before, uint64_t not_after, uint8_t **out, size_t *len);

/* Parses a certificate (at most PHR_MAX_CERT bytes) without checking its
 * signature. Returns PHR_OK, a malformed error, PHR_E_VERSION or PHR_E_LIMIT. */
PHR_NODISCARD int phr_cert_parse(const uint8_t *buf, size_t len, struct phr_cert *out);

/* Verifies c's signature under the authority key auth_pk (whose kid must be
 * c->issuer_kid). Does not look at the validity period. Returns PHR_OK,
 * PHR_E_BAD_SIGNATURE, PHR_E_NOMEM or PHR_E_LIMIT. */
PHR_NODISCARD int phr_cert_verify(const struct phr_cert *c, const uint8_t auth_pk[PHR_PK_LEN]);

/* PHR_OK if not_before <= t <= not_after, else PHR_E_CERT_VALIDITY. */
PHR_NODISCARD int phr_cert_check_time(const struct phr_cert *c, uint64_t t);

/* ---- trust bundle -------------------------------------------------------- */

/* A loaded, self-consistent trust bundle. Opaque; owns a copy of its bytes. */
struct phr_trust;

/* Builds a trust bundle signed by signer, which must be one of authorities.
 * It is valid until expires (Unix seconds, inclusive): issued < expires <=
 * issued + PHR_TRUST_MAX_DAYS days, else PHR_E_ARG.
 * certs[i] (cert_lens[i] bytes) must each verify under a listed authority.
 * Revoked kids may come in any order; they are sorted and duplicates
 * dropped. Each count is at most PHR_MAX_TRUST_ITEMS; authorities' and
 * certificates' subject kids must be unique. The result is loaded back as a
 * check before it is returned. *out is malloc'd (at most PHR_MAX_TRUST
 * bytes), owned by the caller. Returns PHR_OK, PHR_E_ARG, PHR_E_LIMIT,
 * PHR_E_NOMEM, PHR_E_CRYPTO or the error phr_trust_load() gives the result. */
PHR_NODISCARD int phr_trust_build(const struct phr_seckey *signer,
	const struct phr_pubkey *authorities, size_t nauth,
	const uint8_t *const *certs, const size_t *cert_lens, size_t ncerts,
	const uint8_t (*revoked)[PHR_KID_LEN], size_t nrevoked,
	uint64_t version, uint64_t issued, uint64_t expires, uint8_t **out, size_t *len);

/* Loads and checks a trust bundle (at most PHR_MAX_TRUST bytes), in this
 * order: structure, with unique authority kids, revoked kids strictly
 * ascending and issued < expires <= issued + PHR_TRUST_MAX_DAYS days; the
 * signer is a listed, non-revoked authority; the signature; every
 * certificate parses and verifies under a listed authority (revoked or not:
 * entries under a revoked authority's certificates verify as REVOKED);
 * unique certificate subject kids.
 *
 * WARNING: this proves only that the bundle is consistent and signed by a
 * key it lists itself. Before using it the caller must check, in this order
 * (docs/TRUST.md): phr_trust_check_signer() against its pinned anchors,
 * phr_trust_check_time() against its clock, phr_trust_check_version()
 * against its trust state.
 *
 * On success *out is owned by the caller (phr_trust_destroy()). Returns
 * PHR_OK, a malformed error, PHR_E_LIMIT, PHR_E_VERSION, PHR_E_UNTRUSTED
 * ("trust bundle signed by unknown key <kid>", or "trust bundle: cert <i>: ..."
 * for a certificate that does not parse, whose issuer is not listed or whose
 * signature fails), PHR_E_REVOKED (signer revoked), PHR_E_BAD_SIGNATURE
 * (bundle signature) or PHR_E_NOMEM. */
PHR_NODISCARD int phr_trust_load(const uint8_t *buf, size_t len, struct phr_trust **out);

/* Frees t. NULL is a no-op. */
void phr_trust_destroy(struct phr_trust *t);

/* Lookups by kid; NULL if absent. Results live as long as t. Revocation is
 * not applied here: callers check phr_trust_revoked() for the signer and its
 * issuer. */
const struct phr_pubkey *phr_trust_authority(const struct phr_trust *t, const uint8_t kid[PHR_KID_LEN]);
const struct phr_cert *phr_trust_cert(const struct phr_trust *t, const uint8_t subject_kid[PHR_KID_LEN]);
bool phr_trust_revoked(const struct phr_trust *t, const uint8_t kid[PHR_KID_LEN]);

uint64_t phr_trust_version(const struct phr_trust *t);
uint64_t phr_trust_issued(const struct phr_trust *t);
uint64_t phr_trust_expires(const struct phr_trust *t);
/* BLAKE2b-256 of the bundle's bytes, PHR_TRUST_DIGEST_LEN bytes. */
const uint8_t *phr_trust_digest(const struct phr_trust *t);
/* kid of the authority that signed the bundle. */
const uint8_t *phr_trust_signer_kid(const struct phr_trust *t);
/* The listed authority that signed the bundle (never NULL for a loaded t). */
const struct phr_pubkey *phr_trust_signer(const struct phr_trust *t);

/* PHR_OK if the bundle's signer is one of anchors[0..n), compared by the
 * whole 32-byte public key (never by kid); else PHR_E_UNTRUSTED naming the
 * signer ("trust bundle signed by \"NAME\" (CC), key id KID, which is not a
 * trust anchor here"). n == 0 always fails. */
PHR_NODISCARD int phr_trust_check_signer(const struct phr_trust *t, const struct phr_pubkey *anchors, size_t n);

/* PHR_OK if now <= expires; else PHR_E_UNTRUSTED ("trust bundle version N
 * from \"AUTH\" (key id KID) expired on DATE: get a newer one ..."). */
PHR_NODISCARD int phr_trust_check_time(const struct phr_trust *t, uint64_t now);

/* ---- trust anchors and trust state of an installation (docs/TRUST.md) --- */

/* Decodes an anchors file (at most PHR_MAX_ANCHORS_FILE bytes): a CBOR
 * array of at most PHR_MAX_ANCHORS authority keys (kind 1, valid points,
 * unique kids; an empty array is allowed). Returns PHR_OK, a malformed
 * error or PHR_E_LIMIT; on failure *n = 0 and out is wiped. */
PHR_NODISCARD int phr_anchors_decode(const uint8_t *buf, size_t len, struct phr_pubkey out[PHR_MAX_ANCHORS],
	size_t *n);
/* Encodes n anchors (checked as the decoder does; PHR_E_ARG otherwise).
 * *out is malloc'd, owned by the caller. */
PHR_NODISCARD int phr_anchors_encode(const struct phr_pubkey *a, size_t n, uint8_t **out, size_t *len);

/* What an installation remembers of the bundles it accepted: per signing
 * authority (by whole public key), the highest version and its digest. */
struct phr_trust_seen {
	uint8_t pk[PHR_PK_LEN];
	uint64_t version;
	uint8_t digest[PHR_TRUST_DIGEST_LEN];
};

/* Decodes a trust state file (at most PHR_MAX_TRUST_STATE_FILE bytes): a
 * CBOR array of at most PHR_MAX_ANCHORS [pk, version, digest], strictly
 * ascending by pk. PHR_OK, a malformed error or PHR_E_LIMIT; on failure
 * *n = 0 and out is wiped. */
PHR_NODISCARD int phr_trust_state_decode(const uint8_t *buf, size_t len,
	struct phr_trust_seen out[PHR_MAX_ANCHORS], size_t *n);
PHR_NODISCARD int phr_trust_state_encode(const struct phr_trust_seen *s, size_t n, uint8_t **out, size_t *len);

/* Checks t against the state s[0..*n) (capacity PHR_MAX_ANCHORS) and
 * records it: PHR_E_UNTRUSTED if its signer already had a higher version
 * ("... is older than version M already used here"), or the same version
 * with other bytes; PHR_E_LIMIT if the state is full and the signer new.
 * On PHR_OK, *changed says whether s was updated (a first or higher
 * version) and must be written back. */
PHR_NODISCARD int phr_trust_check_version(const struct phr_trust *t, struct phr_trust_seen s[PHR_MAX_ANCHORS],
	size_t *n, bool *changed);

/* Listing, in bundle order (revoked: ascending). Index must be < count. */
size_t phr_trust_count_authorities(const struct phr_trust *t);
const struct phr_pubkey *phr_trust_authority_at(const struct phr_trust *t, size_t i);
size_t phr_trust_count_certs(const struct phr_trust *t);
const struct phr_cert *phr_trust_cert_at(const struct phr_trust *t, size_t i);
size_t phr_trust_count_revoked(const struct phr_trust *t);
const uint8_t *phr_trust_revoked_at(const struct phr_trust *t, size_t i);

#endif
