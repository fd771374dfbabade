/* Shared by the fuzz targets, the replay driver and the seed maker.
 *
 * A target is one LLVMFuzzerTestOneInput() in fuzz_<name>.c. It must be
 * deterministic (same bytes, same path), free everything it allocates, and
 * check invariants with FUZZ_CHECK: a violated invariant is a bug just like a
 * crash, so it aborts and libFuzzer saves the input.
 */
#ifndef PHR_FUZZ_H
#define PHR_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "phr/crypto.h"
#include "phr/error.h"

/* The libFuzzer entry point; the replay driver (driver.c) calls it too.
 * Returns 0 (-1 asks libFuzzer not to keep the input in its corpus). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Prints "fuzz invariant violated at file:line: cond (msg)" with the last
 * phr error message, then aborts. */
#if defined(__GNUC__) || defined(__clang__)
__attribute__((noreturn))
#endif
void fuzz_fail(const char *file, int line, const char *cond, const char *msg);

#define FUZZ_CHECK(cond, msg)                                             \
	do {                                                              \
		if (!(cond))                                              \
			fuzz_fail(__FILE__, __LINE__, #cond, (msg));      \
	} while (0)

/* A failure code must come from enum phr_err: negative and in a known group. */
#define FUZZ_CHECK_ERR(rc) \
	FUZZ_CHECK((rc) < 0 && (rc) >= -99 && phr_strerror(rc)[0] != '\0', "error code out of range")

/* ---- fixed keys (the same in every target and in make_seeds) ---------- */

#define FUZZ_T0 1750000000u /* 2025-06-15T15:06:40Z: signing time of the seeds */
#define FUZZ_DAY 86400u
#define FUZZ_PASS "fuzz"

enum {
	FUZZ_AUTH_A,    /* signs the trust bundle; issues certs 0, 1, 3 */
	FUZZ_AUTH_B,    /* listed, but revoked; issues cert 2 */
	FUZZ_CLINIC_1,  /* cert 0: in the bundle */
	FUZZ_CLINIC_2,  /* cert 1: in the bundle, revoked */
	FUZZ_CLINIC_3,  /* cert 2: in the bundle, issuer revoked */
	FUZZ_CLINIC_4,  /* cert 3: only embedded in containers, issued by A */
	FUZZ_NKEYS,
};
#define FUZZ_NCERTS 4

struct fuzz_keys {
	struct phr_seckey *key[FUZZ_NKEYS];
	uint8_t *cert[FUZZ_NCERTS]; /* cert[i] is for key FUZZ_CLINIC_1 + i */
	size_t cert_len[FUZZ_NCERTS];
	uint8_t *trust;             /* bundle: A and B; certs 0..2; revoked clinic 2 and B */
	size_t trust_len;
};

/* Derives every key from a fixed seed, issues the certificates and builds
 * the trust bundle. Returns PHR_OK or the first error. */
int fuzz_keys_init(struct fuzz_keys *k);
void fuzz_keys_finish(struct fuzz_keys *k);

/* For targets: the loaded bundle above and authority A's public key, built
 * at the first call and kept for the life of the process. Abort on failure. */
const struct phr_trust *fuzz_trust(void);
const struct phr_pubkey *fuzz_authority(void);
/* Authority A's secret key (to re-issue a certificate and compare bytes). */
const struct phr_seckey *fuzz_authority_key(void);

/* Checks what every decoder promises of a public key: kind (0: either),
 * name 1..PHR_MAX_NAME bytes of UTF-8 without control characters, country
 * two uppercase letters, kid = phr_kid_of(pk). */
void fuzz_check_pubkey(const struct phr_pubkey *p, int kind);
/* 1 if s[0..n) is well-formed UTF-8 (RFC 3629), written apart from record/. */
int fuzz_utf8_ok(const uint8_t *s, size_t n);

/* ---- sealed sections (fuzz_seal, make_seeds) ---------------------------- */

/* The holder key and record id the seal target opens with (entry 1), and
 * the clear content it merges into: {kind: follow_up, date: 2025-06-15,
 * results: [{test: loinc:1648-5, result: negative}]}. */
extern const uint8_t fuzz_seal_key[16];
extern const uint8_t fuzz_seal_rid[16];
extern const uint8_t fuzz_seal_clear[];
extern const size_t fuzz_seal_clear_len;
/* The same without results: beside it, an envelope v3 seals results
 * without their positions, and opening puts them back. */
extern const uint8_t fuzz_seal_clear_nores[];
extern const size_t fuzz_seal_clear_nores_len;

/* ---- allocation accounting (only with AddressSanitizer) --------------- */

/* Between begin and end, records the largest single allocation and the peak
 * of bytes allocated and not yet freed. fuzz_alloc_end() returns 0 when this
 * build cannot count (no ASan): the caller then skips its checks. */
void fuzz_alloc_begin(void);
int fuzz_alloc_end(size_t *largest, size_t *peak);

#endif
