/* phr — sealed sections (docs/FORMAT.md, "Sealed sections").
 *
 * An entry may carry, beside its content, a sealed envelope: the CBOR of
 * some of its sections (pregnancy, mental health, sensitive screening
 * results, notes, ...) encrypted with XChaCha20-Poly1305 under a key
 * derived from the record's 128-bit holder key. The envelope is payload
 * key 4 of the entry, so the signature covers it and every entry verifies
 * without the holder key.
 *
 * Envelope v3 (written; phr_seal_v3() below): one CBOR byte string
 *   head (1) || salt (4) || ciphertext || tag (16)
 * (no key id: which key opens it is found by trying, see
 * phr_record_seal_key_state)
 * Envelope v2 (read; written by phr_seal() for its tests and vectors): one
 * CBOR byte string holding
 *   sections (1 byte) || key id (4) || salt (8) || ciphertext || tag (16)
 * Envelope v1 (read; deterministic CBOR): [key id: bstr(4), sections: uint,
 *                                 salt: bstr(12), ciphertext: bstr]
 *   key id     BLAKE2b-32, keyed with the holder key, of "phr-seal-kid"
 *   entry key  BLAKE2b-256, keyed with the holder key, of
 *              "phr-seal" || record id || entry index (uint64 big-endian)
 *   nonce      salt (v2: 8 random bytes, v1: 12) || zero bytes to 24
 *   AD         "phr-seal" || record id || entry index (u64 BE) || key id ||
 *              sections (u32 BE)
 * Plaintext: a CBOR map of the sealed root sections (same keys and value
 * encodings as the entry content) and, when results are sealed, key 0: the
 * positions the sealed results had in the full results array.
 */
#ifndef PHR_SEAL_H
#define PHR_SEAL_H

#include <stddef.h>
#include <stdint.h>

#include "phr/error.h"

#define PHR_HOLDER_KEY_LEN 16      /* the holder key, bytes (128 bits) */
#define PHR_SEAL_KID_LEN 4         /* key id in an envelope */
#define PHR_SEAL_SALT_LEN 8        /* random part of the nonce (envelope v2, written) */
#define PHR_SEAL_V1_SALT_LEN 12    /* the same in a v1 envelope (read; written only for vectors) */
#define PHR_SEAL_V2_HEAD (1 + PHR_SEAL_KID_LEN + PHR_SEAL_SALT_LEN) /* sections, key id, salt */
#define PHR_SEAL_TAG_LEN 16        /* Poly1305 tag */
#define PHR_SEAL_KEY_LEN 32        /* per-entry XChaCha20-Poly1305 key */
#define PHR_SEAL_AD_LEN (8 + 16 + 8 + PHR_SEAL_KID_LEN + 4)
#define PHR_MAX_SEALED 16384       /* largest sealed plaintext (= PHR_MAX_ENTRY_CBOR) */
#define PHR_MAX_ENVELOPE (PHR_MAX_SEALED + 64) /* largest envelope */
#define PHR_MAX_SEALED_SECTIONS 20 /* root sections one envelope can hold */
/* The typed form: 26 Base32 characters and a check character, in groups
 * of 4 joined by '-': "ABCD-EFGH-...-XYZ" (33 characters and a NUL). */
#define PHR_HOLDER_KEY_TEXT_LEN 34
#define PHR_MAX_HOLDER_KEY_TEXT 256 /* longest typed key accepted (spaces, dashes) */

/* Which sections are sealed: a bit per root key (PHR_SEAL_BIT(key)), and
 * PHR_SEAL_SCREENING for the results whose test is a sensitive screening
 * (HIV, hepatitis B and C, syphilis: phr_seal_sensitive_loinc()). */
#define PHR_SEAL_BIT(key) (1u << (key))
#define PHR_SEAL_SCREENING (1u << 31)
/* The default: screening, pregnancy, mental_health, notes. */
uint32_t phr_seal_default_sections(void);
/* Parses "screening,pregnancy,..." (a root section name, or "screening").
 * kind, date, identity and consent cannot be sealed. */
PHR_NODISCARD int phr_seal_parse_sections(const char *list, uint32_t *mask);
/* True if a LOINC code is one of the sensitive screenings. */
int phr_seal_sensitive_loinc(const char *code, size_t len);

/* Holder keys */
PHR_NODISCARD int phr_holder_key_generate(uint8_t key[PHR_HOLDER_KEY_LEN]);
void phr_holder_key_id(const uint8_t key[PHR_HOLDER_KEY_LEN], uint8_t kid[PHR_SEAL_KID_LEN]);
void phr_holder_key_format(const uint8_t key[PHR_HOLDER_KEY_LEN], char out[PHR_HOLDER_KEY_TEXT_LEN]);
/* Reads the typed form: case, spaces, dashes and new lines ignored; 0, 1
 * and 8 read as O, I and B. PHR_E_SEAL_KEY when the check fails. */
PHR_NODISCARD int phr_holder_key_parse(const char *s, size_t n, uint8_t key[PHR_HOLDER_KEY_LEN]);

/* Per-entry key and associated data (exposed for the vectors). */
void phr_seal_entry_key(const uint8_t key[PHR_HOLDER_KEY_LEN], const uint8_t record_id[16], uint64_t index,
			uint8_t out[PHR_SEAL_KEY_LEN]);
void phr_seal_ad(const uint8_t record_id[16], uint64_t index, const uint8_t kid[PHR_SEAL_KID_LEN],
		 uint32_t sections, uint8_t ad[PHR_SEAL_AD_LEN]);

/* Splits an entry map into what stays clear and the plaintext to seal.
 * *plain is NULL (and *n 0) when nothing of mask is in the entry. Both
 * malloc'd. */
PHR_NODISCARD int phr_seal_split(const uint8_t *content, size_t len, uint32_t mask, uint8_t **clear,
				 size_t *clear_len, uint8_t **plain, size_t *plain_len, unsigned *n);
/* Puts an opened plaintext back into the clear content: the entry as it
 * was before phr_seal_split. The result is validated. malloc'd. */
PHR_NODISCARD int phr_seal_merge(const uint8_t *clear, size_t clear_len, const uint8_t *plain, size_t plain_len,
				 uint8_t **full, size_t *full_len);

struct phr_seal_envelope {
	uint8_t kid[PHR_SEAL_KID_LEN]; /* kid_len bytes read (v3: none), the rest zero */
	size_t kid_len;
	unsigned pack; /* v3: how the plaintext is packed (PHR_SEAL_PACK_*); v1, v2: 0 */
	uint32_t sections;
	uint8_t salt[PHR_SEAL_V1_SALT_LEN]; /* salt_len bytes used */
	size_t salt_len;
	int version; /* 1: the CBOR array; 2: the compact byte string; 3: v2 with flags, short key id and salt */
	const uint8_t *ct; /* ciphertext || tag, inside the parsed buffer */
	size_t ct_len;
};
/* Structure and limits only. */
PHR_NODISCARD int phr_seal_envelope_parse(const uint8_t *p, size_t len, struct phr_seal_envelope *env);
/* Seals plain (n sections) for entry index of record_id; salt NULL draws
 * a random one. *env is malloc'd. */
PHR_NODISCARD int phr_seal(const uint8_t key[PHR_HOLDER_KEY_LEN], const uint8_t record_id[16], uint64_t index,
			   const uint8_t *plain, size_t plain_len, unsigned n, const uint8_t *salt, uint8_t **env,
			   size_t *env_len);
/* The same in a chosen envelope version (PHR_SEAL_V1 or PHR_SEAL_V2); salt
 * is PHR_SEAL_V1_SALT_LEN or PHR_SEAL_SALT_LEN bytes. phr_seal() writes v2;
 * v1 and v2 are written only to keep their vectors and tests: phr's
 * writers use phr_seal_v3(). */
#define PHR_SEAL_V1 1
#define PHR_SEAL_V2 2
PHR_NODISCARD int phr_seal_v(int version, const uint8_t key[PHR_HOLDER_KEY_LEN], const uint8_t record_id[16],
			     uint64_t index, const uint8_t *plain, size_t plain_len, unsigned n, const uint8_t *salt,
			     uint8_t **env, size_t *env_len);
/* The same, packing the plaintext first (docs/FORMAT.md, "Packed
 * plaintexts"): PHR_SEAL_PACKED_DEFLATE_DICT1 || uint16be(plain_len) ||
 * raw DEFLATE with dictionary v1, when that is shorter; else as phr_seal.
 * phr_seal_open gives back the plaintext either way. What phr issue,
 * extend and rekey used until envelope v3. */
#define PHR_SEAL_PACKED_DEFLATE_DICT1 0x01
#define PHR_SEAL_PACKED_HEAD 3
PHR_NODISCARD int phr_seal_packed(const uint8_t key[PHR_HOLDER_KEY_LEN], const uint8_t record_id[16],
				  uint64_t index, const uint8_t *plain, size_t plain_len, unsigned n,
				  const uint8_t *salt, uint8_t **env, size_t *env_len);
PHR_NODISCARD int phr_seal_packed_v(int version, const uint8_t key[PHR_HOLDER_KEY_LEN], const uint8_t record_id[16],
				    uint64_t index, const uint8_t *plain, size_t plain_len, unsigned n,
				    const uint8_t *salt, uint8_t **env, size_t *env_len);
/* Envelope v3 (written by phr issue, extend, rekey and the web form; see
 * docs/FORMAT.md, "Sealed sections"): one CBOR byte string holding
 *   head (1) || salt (4) || ciphertext || tag (16)
 * head = 0x80 | pack << 5 | sections (1..20). The nonce is salt ||
 * BLAKE2b-160("phr-seal3" || the entry's clear content), so the envelope
 * opens only beside the clear content it was sealed with. AD as v2 with the
 * head byte for sections. pack: */
#define PHR_SEAL_V3 3
#define PHR_SEAL_V3_SALT_LEN 4
#define PHR_SEAL_V3_HEAD (1 + PHR_SEAL_V3_SALT_LEN)
#define PHR_SEAL_V3_FLAG 0x80
#define PHR_SEAL_PACK_NONE 0    /* the CBOR map as it is */
#define PHR_SEAL_PACK_DEFLATE 1 /* raw DEFLATE, preset dictionary: the last 32 KiB of dictionary v1 || clear content */
#define PHR_SEAL_PACK_ZSTD 2    /* zstd: the one compressed block of a magicless frame (frame header 00 38 and
				 * block header left out), dictionary v1 || clear content, window 2^17 */
#define PHR_SEAL_PACK_BEST (-1) /* the shortest of the three (ties: the lower number) */
#define PHR_SEAL_ZSTD_WINDOWLOG 17
/* Seals plain (n sections) for entry index of record_id, whose clear
 * content (what phr_seal_split left, as signed) is clear: an envelope v3,
 * packed as pack says (a PHR_SEAL_PACK_* or PHR_SEAL_PACK_BEST); salt
 * (PHR_SEAL_V3_SALT_LEN bytes) NULL draws a random one. *env malloc'd. */
PHR_NODISCARD int phr_seal_v3(const uint8_t key[PHR_HOLDER_KEY_LEN], const uint8_t record_id[16], uint64_t index,
			      const uint8_t *clear, size_t clear_len, const uint8_t *plain, size_t plain_len, unsigned n,
			      int pack, const uint8_t *salt, uint8_t **env, size_t *env_len);
/* As phr_seal_open, for an entry whose clear content is clear (needed by
 * v3, which binds to it; v1 and v2 ignore it). phr_seal_open(...) is this
 * with an empty clear content. */
PHR_NODISCARD int phr_seal_open_entry(const uint8_t key[PHR_HOLDER_KEY_LEN], const uint8_t record_id[16],
				      uint64_t index, const uint8_t *clear, size_t clear_len, const uint8_t *env,
				      size_t env_len, uint8_t **plain, size_t *plain_len);
/* True when the envelope's key id (its kid_len bytes) is kid's; always
 * true for v3, which names no key (only opening it tells). */
int phr_seal_kid_match(const struct phr_seal_envelope *env, const uint8_t kid[PHR_SEAL_KID_LEN]);
/* The envelope's key id in hex ("4b1c0a2f" in v1 and v2; "" in v3). */
#define PHR_SEAL_KID_TEXT_LEN (2 * PHR_SEAL_KID_LEN + 1)
void phr_seal_kid_format(const struct phr_seal_envelope *env, char out[PHR_SEAL_KID_TEXT_LEN]);
/* Opens an envelope. PHR_E_SEAL_KEY when the key id is not key's (v1,
 * v2) or a v3 envelope does not open (its signature verified, it was
 * sealed under another key: docs/FORMAT.md, "Envelope v3");
 * PHR_E_SEALED when a v1 or v2 ciphertext does not open (altered, or
 * moved from another entry or record); PHR_E_MALFORMED / PHR_E_LIMIT when what it
 * holds is neither a CBOR map nor a packed plaintext that inflates. *plain
 * is malloc'd: the plaintext, unpacked. */
PHR_NODISCARD int phr_seal_open(const uint8_t key[PHR_HOLDER_KEY_LEN], const uint8_t record_id[16], uint64_t index,
				const uint8_t *env, size_t env_len, uint8_t **plain, size_t *plain_len);

struct phr_record;

/* Re-keying (docs/FORMAT.md, "Re-keying"): an entry sealed under a new
 * holder key whose plaintext is {PHR_SEAL_CARRIED: {index: plaintext}},
 * the opened sealed parts of the entries before it, sealed again. */
#define PHR_SEAL_CARRIED 31
/* Builds that plaintext for the next entry of r: every sealed entry opened
 * with key (directly, or through an earlier re-keying entry), ascending.
 * Fails (naming the entry) when one does not open. An earlier re-keying
 * entry is re-sealed as {31: {}}. *carried counts the other entries.
 * malloc'd. */
PHR_NODISCARD int phr_seal_rekey_plaintext(const struct phr_record *r, const uint8_t key[PHR_HOLDER_KEY_LEN],
					   uint8_t **plain, size_t *plain_len, size_t *carried);
/* Parses the plaintext of entry at: 1 for a re-keying plaintext, with
 * ptr[i] / lens[i] (arrays of PHR_MAX_ENTRIES) the plaintext it re-seals
 * for entry i (inside plain; NULL where none; every i below at); 0 for an
 * ordinary plaintext (ptr all NULL); or an error (PHR_E_MALFORMED,
 * PHR_E_LIMIT, the CBOR decoder's). Structure only: what it carries is
 * checked when merged. */
PHR_NODISCARD int phr_seal_rekey_parse(const uint8_t *plain, size_t len, size_t at, const uint8_t **ptr,
				       size_t *lens);
/* Where a holder key stands in r, by opening its sealed entries:
 * PHR_SEAL_KEY_NONE (no sealed entry), _NEWEST (the newest sealed entry
 * opens with it), _REPLACED (earlier entries do, and *rekeyed_at is the
 * first sealed entry after the last of them), or _OTHER (none does).
 * *newest_at: the newest sealed entry's index. */
enum { PHR_SEAL_KEY_NONE, PHR_SEAL_KEY_NEWEST, PHR_SEAL_KEY_REPLACED, PHR_SEAL_KEY_OTHER };
/* The notes phr_record_unseal leaves in seal_why of an entry that opened
 * through re-keying (English; a view shows them in the reader's language
 * with the labels ui.sealed.resealed and ui.sealed.rekeying, reading them
 * back with phr_seal_note). N is the entry index, as in --entry N. */
#define PHR_SEAL_NOTE_RESEALED_FMT "re-sealed at entry %zu"
#define PHR_SEAL_NOTE_REKEYING_TEXT "re-keying: the holder key was replaced here"
enum { PHR_SEAL_NOTE_NONE, PHR_SEAL_NOTE_RESEALED, PHR_SEAL_NOTE_REKEYING, PHR_SEAL_NOTE_REKEYING_RESEALED };
/* Which of those notes why is (one of the enum), and N in *at; NONE for
 * anything else (a failure's message, an empty string). */
int phr_seal_note(const char *why, size_t *at);
int phr_record_seal_key_state(const struct phr_record *r, const uint8_t key[PHR_HOLDER_KEY_LEN], size_t *newest_at,
			      size_t *rekeyed_at);
/* Opens every sealed entry of r with the holder key: an entry that opens
 * gets its whole content (e->content points to it, owned by r) and
 * seal_state 1; one that does not keeps its clear content, seal_state the
 * error and seal_why the message ("entry N: ..."). *failed counts those.
 * A re-keying entry that opens opens the entries it re-sealed (seal_why
 * "re-sealed at entry N"); it keeps its clear content (seal_state 1,
 * seal_why "re-keying: ...").
 * PHR_OK unless memory runs out. Call after phr_verify_record: the
 * signature covers the payload, never the opened content. */
PHR_NODISCARD int phr_record_unseal(struct phr_record *r, const uint8_t key[PHR_HOLDER_KEY_LEN], size_t *failed);
/* The same for a merged record's side branch (branch B; docs/FORMAT.md,
 * "Merged records"): each sealed side entry opened for the record id and
 * the index it was signed with; e->content then points into
 * r->side_unsealed[j]. One that does not open keeps its clear content,
 * seal_state the error and seal_why "branch B entry N: ...". A re-keying
 * entry on branch B opens (seal_why the re-keying note) but what it
 * re-seals is not opened through it. *failed counts those not opened.
 * PHR_OK unless memory runs out. record/side_seal.c. */
PHR_NODISCARD int phr_record_unseal_side(struct phr_record *r, const uint8_t key[PHR_HOLDER_KEY_LEN], size_t *failed);

#endif
