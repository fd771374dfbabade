/* phr — the record container: a chain of signed entries (docs/FORMAT.md).
 *
 * Container bytes:  version (1 byte, = 1) | compression id (1 byte) |
 *                   body length (3 bytes, big-endian) | compressed body
 * Body (deterministic CBOR): [record id: bstr(16), entries: [COSE_Sign1...],
 *                             certificates: [bstr...]]
 * Entry payload: {1: index in the chain (uint), 2: signed-at (uint, Unix
 *                seconds), 3: content (entry map), ?4: sealed envelope
 *                (phr/seal.h; docs/FORMAT.md, "Sealed sections")}
 * Entry external AAD: "phr/entry" || record id || hash of previous entry
 *   (BLAKE2b-256 of the previous COSE_Sign1 encoding; 32 zero bytes for entry 0)
 *
 * phr_record_decode() checks structure and limits only: it never says an
 * entry is trustworthy. Verification against a trust bundle is the
 * verifier's job (phr/verify.h), entry by entry.
 */
#ifndef PHR_CONTAINER_H
#define PHR_CONTAINER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "phr/crypto.h"
#include "phr/error.h"

#define PHR_RECORD_ID_LEN 16
#define PHR_HASH_LEN 32
#define PHR_CONTAINER_HEADER 5
#define PHR_CONTAINER_VERSION 1
#define PHR_MAX_CONTAINER (64 * 1024) /* largest container on any medium */
#define PHR_MAX_ENTRIES 64
#define PHR_ENTRY_WHY_MAX 160 /* why an entry cannot be read, for the verification report */
#define PHR_MAX_EMBEDDED_CERTS 16
/* A merged record (docs/FORMAT.md, "Merged records"): container version 2,
 * the body's 4th item is the side branch, the entries of the second branch
 * after the fork point, joined by one merge entry on the main chain. */
#define PHR_CONTAINER_VERSION_MERGED 2
#define PHR_MAX_BRANCHES 2        /* branches a merge joins */
#define PHR_MAX_SIDE_ENTRIES 32   /* entries of the side branch */
size_t phr_max_container(void);
size_t phr_max_entries(void);

struct phr_entry {
	const uint8_t *raw;      /* the COSE_Sign1 encoding, inside the record's body */
	size_t raw_len;
	struct phr_cose cose;
	uint64_t index;          /* position the signer gave it */
	uint64_t signed_at;
	const uint8_t *content;  /* the entry map (phr/json.h decodes it) */
	size_t content_len;
	const uint8_t *sealed;   /* the sealed envelope (payload key 4), or NULL */
	size_t sealed_len;
	unsigned sealed_sections; /* sections it holds, as the envelope says */
	const uint8_t *clear;    /* the content as signed (without what is sealed); stays when content is unsealed */
	size_t clear_len;
	int seal_state;          /* 0 not opened, 1 opened (content is the whole entry), or why not (PHR_E_*) */
	char seal_why[PHR_ENTRY_WHY_MAX]; /* the message when it did not open */
	uint8_t hash[PHR_HASH_LEN]; /* BLAKE2b-256 of raw */
	int content_err;         /* PHR_OK or why the payload did not parse */
	char content_why[PHR_ENTRY_WHY_MAX]; /* its message ("plan.notes: U+001B ..."), "" if none */
	bool merge;              /* a merge entry: payload key 5 names a second parent */
	uint64_t merge_fork;     /* its fork point: entries before it are shared by both branches */
	uint8_t merge_head[PHR_HASH_LEN]; /* hash of the second branch's head (the side branch's last entry) */
};

struct phr_record {
	uint8_t id[PHR_RECORD_ID_LEN];
	int compression;          /* as decoded, or the last used to encode */
	size_t n_entries;
	struct phr_entry entries[PHR_MAX_ENTRIES];
	size_t n_certs;
	const uint8_t *certs[PHR_MAX_EMBEDDED_CERTS];
	size_t cert_lens[PHR_MAX_EMBEDDED_CERTS];
	uint8_t *store;           /* owned: the body bytes entries/certs point into */
	uint8_t *unsealed[PHR_MAX_ENTRIES]; /* owned: entries' whole content after phr_record_unseal() */
	size_t unsealed_len[PHR_MAX_ENTRIES];
	size_t store_len;
	size_t n_side;            /* entries of the side branch (0: not a merged record) */
	struct phr_entry side[PHR_MAX_SIDE_ENTRIES];
	uint8_t *side_unsealed[PHR_MAX_SIDE_ENTRIES]; /* owned: side entries' whole content after
							 phr_record_unseal_side() */
	size_t side_unsealed_len[PHR_MAX_SIDE_ENTRIES];
};

/* New empty record; id NULL draws a random id. */
PHR_NODISCARD int phr_record_create(const uint8_t *id, struct phr_record **out);
/* Parses a container. Fails only when the container as a whole cannot be
 * read (header, size limits, decompression, body structure, a certificate
 * embedded twice). An entry whose
 * payload is malformed is kept with content_err set, so it can still be
 * shown as unverified. */
PHR_NODISCARD int phr_record_decode(const uint8_t *buf, size_t len, struct phr_record **out);
/* Signs content (an entry map, checked with phr_entry_validate) as the next
 * entry, chained to the current head. cert (may be NULL) is the signer's
 * certificate. The certificate list is written again, canonical
 * (docs/FORMAT.md, Container): of the embedded certificates and cert, only
 * those an entry uses, in order of first use, each once. */
PHR_NODISCARD int phr_record_append(struct phr_record *r, const struct phr_seckey *key, const uint8_t *cert,
				    size_t cert_len, const uint8_t *content, size_t content_len, uint64_t signed_at);
/* The same, with a sealed envelope (phr_seal(), made for this record id
 * and index r->n_entries) as payload key 4; sealed NULL is
 * phr_record_append. */
PHR_NODISCARD int phr_record_append_sealed(struct phr_record *r, const struct phr_seckey *key, const uint8_t *cert,
					   size_t cert_len, const uint8_t *content, size_t content_len,
					   const uint8_t *sealed, size_t sealed_len, uint64_t signed_at);
/* Writes the container with the given compression (-1 = default). malloc'd. */
PHR_NODISCARD int phr_record_encode(const struct phr_record *r, int compression, uint8_t **out, size_t *len);
/* The uncompressed body (for measurements and vectors), as decoded or
 * last written. malloc'd. */
PHR_NODISCARD int phr_record_body(const struct phr_record *r, uint8_t **out, size_t *len);

/* A record version's identity: what its signatures fix, record id ||
 * BLAKE2b-256 of the last entry's COSE_Sign1 bytes (PHR_VERSION_ID_LEN
 * bytes). Containers that differ only in their unsigned parts (compression,
 * certificate list) have the same version id; a register keys versions by
 * it. PHR_E_ARG for a record without entries. The hex form is lowercase,
 * NUL-terminated. */
#define PHR_VERSION_ID_LEN (PHR_RECORD_ID_LEN + PHR_HASH_LEN)
#define PHR_VERSION_ID_HEX_LEN (2 * PHR_VERSION_ID_LEN + 1)
PHR_NODISCARD int phr_record_version_id(const struct phr_record *r, uint8_t out[PHR_VERSION_ID_LEN]);
PHR_NODISCARD int phr_record_version_id_hex(const struct phr_record *r, char out[PHR_VERSION_ID_HEX_LEN]);
void phr_record_destroy(struct phr_record *r);

/* The external AAD of entry i (needs entries[0..i-1]); aad must hold
 * PHR_ENTRY_AAD_LEN bytes. */
#define PHR_ENTRY_AAD_LEN (9 + PHR_RECORD_ID_LEN + PHR_HASH_LEN)
void phr_record_entry_aad(const struct phr_record *r, size_t i, uint8_t aad[PHR_ENTRY_AAD_LEN]);
/* The external AAD of side-branch entry j: its predecessor is side entry
 * j-1, or for j = 0 the main chain's entry side[0].index - 1 (zeros when the
 * fork point is 0). */
void phr_record_side_aad(const struct phr_record *r, size_t j, uint8_t aad[PHR_ENTRY_AAD_LEN]);
/* Index in r->entries of the merge entry, or -1 when there is none. */
int phr_record_merge_at(const struct phr_record *r);

/* Joins two copies of one record that diverged (docs/FORMAT.md, "Merged
 * records"): *out holds a's entries as its main chain, b's entries after
 * the fork point as the side branch (a and b swapped first when b has more
 * entries: the longer branch is the main chain), and a new merge entry signed with key
 * (cert may be NULL) at signed_at whose second parent is b's head.
 * PHR_E_UNRELATED when the ids differ or no entry is shared; PHR_E_NOT_FORK
 * when one copy holds the other (*newer is then 0 for a, 1 for b, 2 when
 * the same); PHR_E_MERGE when either is merged already or b's branch is
 * longer than PHR_MAX_SIDE_ENTRIES. */
PHR_NODISCARD int phr_record_merge(const struct phr_record *a, const struct phr_record *b,
				   const struct phr_seckey *key, const uint8_t *cert, size_t cert_len,
				   uint64_t signed_at, int *newer, struct phr_record **out);

#endif
