/* Fixed keys, invariant failures and allocation accounting for the fuzz
 * targets (see fuzz.h). */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fuzz_fail(const char *file, int line, const char *cond, const char *msg)
{
	fprintf(stderr, "fuzz invariant violated at %s:%d: %s (%s)\n  last phr error: %s\n", file, line, cond, msg,
		phr_last_error());
	fflush(stderr);
	abort();
}

/* ---- fixed keys ---------------------------------------------------------- */

static const struct {
	int kind;
	const char *name, *country;
} key_info[FUZZ_NKEYS] = {
	[FUZZ_AUTH_A] = { PHR_KEY_AUTHORITY, "Fuzz Authority A", "GR" },
	[FUZZ_AUTH_B] = { PHR_KEY_AUTHORITY, "Fuzz Authority B", "IT" },
	[FUZZ_CLINIC_1] = { PHR_KEY_CLINIC, "Fuzz Clinic One", "GR" },
	[FUZZ_CLINIC_2] = { PHR_KEY_CLINIC, "Fuzz Clinic Two", "DE" },
	[FUZZ_CLINIC_3] = { PHR_KEY_CLINIC, "Fuzz Clinic Three", "IT" },
	[FUZZ_CLINIC_4] = { PHR_KEY_CLINIC, "Clinique Médicale Quatre", "FR" },
};

/* Issuer of cert[i]. */
static const int cert_issuer[FUZZ_NCERTS] = { FUZZ_AUTH_A, FUZZ_AUTH_A, FUZZ_AUTH_B, FUZZ_AUTH_A };

int fuzz_keys_init(struct fuzz_keys *k)
{
	uint8_t seed[PHR_SEED_LEN];
	int rc;

	memset(k, 0, sizeof(*k));
	for (int i = 0; i < FUZZ_NKEYS; i++) {
		memset(seed, 0xf0 + i, sizeof(seed));
		if ((rc = phr_key_from_seed(key_info[i].kind, key_info[i].name, key_info[i].country, seed,
					    &k->key[i])))
			goto fail;
	}
	for (int i = 0; i < FUZZ_NCERTS; i++)
		if ((rc = phr_cert_issue(k->key[cert_issuer[i]], phr_seckey_public(k->key[FUZZ_CLINIC_1 + i]),
					 FUZZ_T0 - 30 * FUZZ_DAY, FUZZ_T0 + 365 * FUZZ_DAY, &k->cert[i],
					 &k->cert_len[i])))
			goto fail;

	struct phr_pubkey auth[2] = { *phr_seckey_public(k->key[FUZZ_AUTH_A]),
				      *phr_seckey_public(k->key[FUZZ_AUTH_B]) };
	const uint8_t *certs[3] = { k->cert[0], k->cert[1], k->cert[2] };
	const size_t lens[3] = { k->cert_len[0], k->cert_len[1], k->cert_len[2] };
	uint8_t revoked[2][PHR_KID_LEN];
	memcpy(revoked[0], phr_seckey_public(k->key[FUZZ_CLINIC_2])->kid, PHR_KID_LEN);
	memcpy(revoked[1], auth[1].kid, PHR_KID_LEN);
	if ((rc = phr_trust_build(k->key[FUZZ_AUTH_A], auth, 2, certs, lens, 3, (const uint8_t(*)[PHR_KID_LEN])revoked,
				  2, 1, FUZZ_T0, FUZZ_T0 + 86400, &k->trust, &k->trust_len)))
		goto fail;
	return PHR_OK;
fail:
	fuzz_keys_finish(k);
	return rc;
}

void fuzz_keys_finish(struct fuzz_keys *k)
{
	for (int i = 0; i < FUZZ_NKEYS; i++)
		phr_seckey_destroy(k->key[i]);
	for (int i = 0; i < FUZZ_NCERTS; i++)
		free(k->cert[i]);
	free(k->trust);
	memset(k, 0, sizeof(*k));
}

static struct phr_trust *g_trust;
static struct phr_pubkey g_auth;
static struct phr_seckey *g_auth_key; /* never freed: lives as long as the process */

static void fixed_init(void)
{
	struct fuzz_keys k;
	if (g_trust)
		return;
	FUZZ_CHECK(fuzz_keys_init(&k) == PHR_OK, "cannot build the fixed keys");
	g_auth = *phr_seckey_public(k.key[FUZZ_AUTH_A]);
	g_auth_key = k.key[FUZZ_AUTH_A];
	k.key[FUZZ_AUTH_A] = NULL;
	FUZZ_CHECK(phr_trust_load(k.trust, k.trust_len, &g_trust) == PHR_OK, "cannot load the fixed trust bundle");
	fuzz_keys_finish(&k);
}

const struct phr_trust *fuzz_trust(void)
{
	fixed_init();
	return g_trust;
}

const struct phr_pubkey *fuzz_authority(void)
{
	fixed_init();
	return &g_auth;
}

const struct phr_seckey *fuzz_authority_key(void)
{
	fixed_init();
	return g_auth_key;
}

/* ---- allocation accounting ----------------------------------------------- */

#if defined(__SANITIZE_ADDRESS__)
#define FUZZ_HAVE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FUZZ_HAVE_ASAN 1
#endif
#endif

#ifdef FUZZ_HAVE_ASAN
/* From <sanitizer/allocator_interface.h>, which gcc does not ship. */
int __sanitizer_install_malloc_and_free_hooks(void (*malloc_hook)(const volatile void *, size_t),
					      void (*free_hook)(const volatile void *));
size_t __sanitizer_get_allocated_size(const volatile void *p);

static int counting, hooked;
static long long cur_bytes, peak_bytes;
static size_t largest_alloc;

static void on_malloc(const volatile void *p, size_t n)
{
	(void)p;
	if (!counting)
		return;
	if (n > largest_alloc)
		largest_alloc = n;
	cur_bytes += (long long)n;
	if (cur_bytes > peak_bytes)
		peak_bytes = cur_bytes;
}

static void on_free(const volatile void *p)
{
	/* Called before the chunk is released, so its size is still known. */
	if (counting && p)
		cur_bytes -= (long long)__sanitizer_get_allocated_size(p);
}

void fuzz_alloc_begin(void)
{
	if (!hooked) {
		__sanitizer_install_malloc_and_free_hooks(on_malloc, on_free);
		hooked = 1;
	}
	cur_bytes = peak_bytes = 0;
	largest_alloc = 0;
	counting = 1;
}

int fuzz_alloc_end(size_t *largest, size_t *peak)
{
	counting = 0;
	*largest = largest_alloc;
	*peak = (size_t)peak_bytes;
	return 1;
}
#else
void fuzz_alloc_begin(void)
{
}

int fuzz_alloc_end(size_t *largest, size_t *peak)
{
	*largest = *peak = 0;
	return 0;
}
#endif

/* ---- shared checks -------------------------------------------------------- */

int fuzz_utf8_ok(const uint8_t *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		uint8_t c = s[i];
		size_t k;
		uint32_t cp, min;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			k = 1;
			min = 0x80;
			cp = c & 0x1fu;
		} else if (c >= 0xe0 && c <= 0xef) {
			k = 2;
			min = 0x800;
			cp = c & 0x0fu;
		} else if (c >= 0xf0 && c <= 0xf4) {
			k = 3;
			min = 0x10000;
			cp = c & 0x07u;
		} else {
			return 0;
		}
		if (k >= n - i)
			return 0;
		for (size_t j = 1; j <= k; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + j] & 0x3fu);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += k + 1;
	}
	return 1;
}

void fuzz_check_pubkey(const struct phr_pubkey *p, int kind)
{
	uint8_t kid[PHR_KID_LEN];
	size_t n = strnlen(p->name, sizeof(p->name));

	FUZZ_CHECK(kind ? p->kind == kind : (p->kind == PHR_KEY_AUTHORITY || p->kind == PHR_KEY_CLINIC), "key kind");
	FUZZ_CHECK(n >= 1 && n <= PHR_MAX_NAME, "name length");
	FUZZ_CHECK(fuzz_utf8_ok((const uint8_t *)p->name, n), "name is not UTF-8");
	for (size_t i = 0; i < n; i++) {
		uint8_t c = (uint8_t)p->name[i];
		FUZZ_CHECK(c >= 0x20 && c != 0x7f, "C0 control character or DEL in a name");
		FUZZ_CHECK(!(c == 0xc2 && i + 1 < n && (uint8_t)p->name[i + 1] >= 0x80 &&
			     (uint8_t)p->name[i + 1] <= 0x9f),
			   "C1 control character in a name");
	}
	FUZZ_CHECK(p->country[0] >= 'A' && p->country[0] <= 'Z' && p->country[1] >= 'A' && p->country[1] <= 'Z' &&
			   p->country[2] == '\0',
		   "country is not two uppercase letters");
	phr_kid_of(p->pk, kid);
	FUZZ_CHECK(memcmp(kid, p->kid, PHR_KID_LEN) == 0, "kid is not phr_kid_of(pk)");
}

const uint8_t fuzz_seal_key[16] = { 0x5e, 0xa1, 0x5e, 0xa1, 0x5e, 0xa1, 0x5e, 0xa1,
				   0x5e, 0xa1, 0x5e, 0xa1, 0x5e, 0xa1, 0x5e, 0xa1 };
const uint8_t fuzz_seal_rid[16] = { 0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5,
				   0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5 };
const uint8_t fuzz_seal_clear[] = { 0xa3, 0x01, 0x01, 0x02, 0x19, 0xb2, 0xff, 0x0b, 0x81, 0xa2, 0x01, 0x82, 0x04,
				    0x66, '1', '6', '4', '8', '-', '5', 0x03, 0x00 };
const size_t fuzz_seal_clear_len = sizeof(fuzz_seal_clear);
const uint8_t fuzz_seal_clear_nores[] = { 0xa2, 0x01, 0x01, 0x02, 0x19, 0xb2, 0xff };
const size_t fuzz_seal_clear_nores_len = sizeof(fuzz_seal_clear_nores);
