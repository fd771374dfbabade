/* phr — private helpers shared by keys.c, cose.c, cert.c and trust.c. */
#ifndef PHR_CRYPTO_INT_H
#define PHR_CRYPTO_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "phr/cbor.h"
#include "phr/crypto.h"

struct phr_seckey {
	struct phr_pubkey pub;
	uint8_t seed[PHR_SEED_LEN];
	uint8_t sk[64]; /* libsodium's seed || pk */
};

/* sodium_init(); PHR_E_CRYPTO if libsodium cannot start. */
int phr_crypto_init(void);

/* Checks a caller-supplied public key (kind, name, country, pk) before it is
 * encoded. want_kind 0 accepts either kind. what names it in messages. */
int phr_crypto_check_pubkey(const struct phr_pubkey *p, int want_kind, const char *what);

/* Writes / reads map fields 1..4 (kind, name, country, pk) of a key; the map
 * head is the caller's. The reader validates every field and fills kid. */
void phr_crypto_put_pubkey_fields(struct phr_cbor_enc *e, const struct phr_pubkey *p);
/* check_point: refuse a key that is not a valid point of the prime-order
 * subgroup (crypto_core_ed25519_is_valid_point, about the cost of one
 * signature check). Certificates skip it: docs/FORMAT.md, "Public keys". */
int phr_crypto_get_pubkey_fields(struct phr_cbor_dec *d, struct phr_pubkey *p, const char *what, bool check_point);

/* Encodes with write(e, ctx) into a malloc'd buffer of the exact size
 * (counting pass, then writing pass). PHR_E_LIMIT if larger than limit. */
typedef void (*phr_crypto_writer)(struct phr_cbor_enc *e, const void *ctx);
int phr_crypto_encode_alloc(phr_crypto_writer write, const void *ctx, size_t limit,
	const char *what, uint8_t **out, size_t *len);

static inline bool phr_size_add(size_t a, size_t b, size_t *r)
{
	if (a > SIZE_MAX - b)
		return false;
	*r = a + b;
	return true;
}

#endif
