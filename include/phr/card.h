/* phr — the smartcard medium (docs/CARD.md): APDU encoding, response
 * parsing and a transport-independent client of the phr card profile.
 *
 * The client talks to the card through one function pointer (transmit), so
 * the same code runs over PC/SC, a virtual card or an in-memory test card.
 * Nothing here is thread-safe: one struct phr_card per thread.
 */
#ifndef PHR_CARD_H
#define PHR_CARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "phr/container.h"
#include "phr/error.h"

/* ---- the profile (docs/CARD.md) ----------------------------------------- */

/* Proprietary AID (category F: unregistered, no RID): F0 'p' 'h' 'r' 01. */
#define PHR_CARD_AID "\xF0\x70\x68\x72\x01"
#define PHR_CARD_AID_LEN 5
#define PHR_CARD_FID_STATUS 0xC000
#define PHR_CARD_FID_SLOT_A 0xC001
#define PHR_CARD_FID_SLOT_B 0xC002
#define PHR_CARD_PIN_REF 0x81     /* P2 of VERIFY, CHANGE REFERENCE DATA, RESET RETRY COUNTER */
#define PHR_CARD_PIN_MIN 6
#define PHR_CARD_PIN_MAX 8        /* digits; sent padded with FF to PHR_CARD_PIN_MAX bytes */
#define PHR_CARD_PUK_LEN 8
#define PHR_CARD_PIN_TRIES 3
#define PHR_CARD_PUK_TRIES 10

/* Slot EF: length (4 bytes, big-endian) | container | CRC-32 of both (4 bytes). */
#define PHR_CARD_SLOT_HEADER 4
#define PHR_CARD_SLOT_TRAILER 4
#define PHR_CARD_SLOT_SIZE (PHR_CARD_SLOT_HEADER + PHR_MAX_CONTAINER + PHR_CARD_SLOT_TRAILER)
size_t phr_card_slot_size(void);

/* Status EF: two copies of: version (1) | active slot (0 none, 1 A, 2 B) |
 * generation (4, BE) | container length (4, BE) | CRC-32 of the 10 bytes before (4). */
#define PHR_CARD_STATUS_VERSION 1
#define PHR_CARD_STATUS_COPY 14
#define PHR_CARD_STATUS_SIZE (2 * PHR_CARD_STATUS_COPY)

/* Largest APDUs: short 5 + 255 (+1), extended 7 + 65535 + 2. */
#define PHR_APDU_SHORT_MAX_LC 255
#define PHR_APDU_SHORT_MAX_LE 256
#define PHR_APDU_EXT_MAX_LC 65535
#define PHR_APDU_EXT_MAX_LE 65536
#define PHR_APDU_MAX (7 + PHR_APDU_EXT_MAX_LC + 2)
#define PHR_APDU_RESP_MAX (PHR_APDU_EXT_MAX_LE + 2)
#define PHR_APDU_MAX_B0_OFFSET 32767 /* above: B1/D7 with offset DO 54 */
#define PHR_CARD_MAX_OFFSET 0xFFFFFF /* 3-byte offset DO */

/* ---- APDUs (card/apdu.c) ------------------------------------------------- */

struct phr_apdu {
	uint8_t cla, ins, p1, p2;
	const uint8_t *data; /* lc bytes, NULL when lc == 0 */
	size_t lc;
	size_t le; /* expected response bytes; 0 = no Le field */
};

/* Encodes a command APDU, short or extended (ISO 7816-3 cases 1–4).
 * Returns PHR_OK, PHR_E_ARG (lc/le beyond the encoding) or PHR_E_BUFFER. */
PHR_NODISCARD int phr_apdu_build(const struct phr_apdu *a, bool ext, uint8_t *out, size_t cap, size_t *n);

/* READ BINARY of count bytes at offset of the current EF: B0 while
 * offset <= PHR_APDU_MAX_B0_OFFSET, else B1 with offset DO 54 (its
 * response wraps the bytes in DO 53; phr_card_unwrap_53 takes them out).
 * count must be <= phr_card_max_read(offset, ext). */
PHR_NODISCARD int phr_apdu_read_binary(size_t offset, size_t count, bool ext, uint8_t *out, size_t cap, size_t *n);
/* UPDATE BINARY of len bytes at offset: D6, or D7 with DOs 54 and 53.
 * len must be <= phr_card_max_write(offset, ext). */
PHR_NODISCARD int phr_apdu_update_binary(size_t offset, const uint8_t *data, size_t len, bool ext, uint8_t *out,
					 size_t cap, size_t *n);
size_t phr_card_max_read(size_t offset, bool ext);
size_t phr_card_max_write(size_t offset, bool ext);

/* ---- responses ------------------------------------------------------------ */

struct phr_card_resp {
	const uint8_t *data; /* inside the response buffer */
	size_t len;
	uint16_t sw;
};

/* Splits a response APDU into data and SW1SW2; PHR_E_CARD_TRANSPORT when
 * it holds fewer than 2 bytes. */
PHR_NODISCARD int phr_card_parse_resp(const uint8_t *resp, size_t n, struct phr_card_resp *out);
/* PHR_OK for 9000, else the phr_err of the status word, with a message
 * "what: card answered XXXX (meaning)". 63Cx gives PHR_E_CARD_PIN. */
PHR_NODISCARD int phr_card_sw_check(uint16_t sw, const char *what);
/* x for 63Cx, else -1. */
int phr_card_sw_tries(uint16_t sw);
/* Short English meaning of a status word ("file not found"). Never NULL. */
const char *phr_card_sw_name(uint16_t sw);

/* The bytes of a B1 response (DO 53); expect = bytes asked for. */
PHR_NODISCARD int phr_card_unwrap_53(const uint8_t *p, size_t n, size_t expect, const uint8_t **data);

struct phr_card_fcp {
	bool has_size, has_fid, has_desc;
	size_t size;      /* tag 80: bytes in the EF */
	uint16_t fid;     /* tag 83 */
	uint8_t desc;     /* first byte of tag 82 (01 = transparent EF, 38 = DF) */
};
/* Parses an FCP template (tag 62, ISO 7816-4 §7.4). */
PHR_NODISCARD int phr_card_parse_fcp(const uint8_t *p, size_t n, struct phr_card_fcp *out);

struct phr_card_status {
	int active;          /* 0 none, 1 slot A, 2 slot B */
	uint32_t generation;
	size_t length;       /* container length in the active slot */
	int copy;            /* copy (0 or 1) the state comes from */
};
/* Encodes one copy of the status EF (PHR_CARD_STATUS_COPY bytes). */
PHR_NODISCARD int phr_card_status_encode(const struct phr_card_status *s, uint8_t out[PHR_CARD_STATUS_COPY]);
/* Parses the status EF (PHR_CARD_STATUS_SIZE bytes): the valid copy with the
 * higher generation wins; a copy torn by a cut write fails its CRC and is
 * ignored. PHR_E_CARD_RESPONSE when no copy is valid. */
PHR_NODISCARD int phr_card_status_parse(const uint8_t *p, size_t n, struct phr_card_status *out);

/* Slot content for a container: PHR_CARD_SLOT_HEADER + len + PHR_CARD_SLOT_TRAILER bytes. */
PHR_NODISCARD int phr_card_slot_encode(const uint8_t *c, size_t len, uint8_t *out, size_t cap, size_t *n);
/* Checks slot content (at least header + trailer bytes) and points at the
 * container inside it. expect = length from the status EF (0 = any).
 * PHR_E_CARD_TORN on a CRC mismatch, PHR_E_CARD_RESPONSE on a bad length. */
PHR_NODISCARD int phr_card_slot_parse(const uint8_t *p, size_t n, size_t expect, const uint8_t **c, size_t *len);

/* CRC-32 (IEEE 802.3, as zlib's crc32). */
uint32_t phr_card_crc32(const uint8_t *p, size_t n);

/* ---- client of the profile (card/profile.c) ------------------------------ */

/* Sends apdu (n bytes) and stores the response (data + SW1 SW2) in resp
 * (cap bytes), its length in *rn. Returns 0, or nonzero when the card or
 * reader is gone. */
typedef int (*phr_card_transmit_fn)(void *ctx, const uint8_t *apdu, size_t n, uint8_t *resp, size_t cap, size_t *rn);

enum phr_card_mode { PHR_CARD_AUTO, PHR_CARD_SHORT, PHR_CARD_EXTENDED };

struct phr_card;

/* ctx is the caller's and must outlive the card. ~130 KiB of buffers. */
PHR_NODISCARD int phr_card_create(phr_card_transmit_fn transmit, void *ctx, enum phr_card_mode mode,
				  struct phr_card **out);
void phr_card_destroy(struct phr_card *c);

/* SELECTs the application by AID and, in PHR_CARD_AUTO, finds out whether
 * the card takes extended-length APDUs (SELECT of the status EF with an
 * extended Le; 6700 or any other refusal means short). */
PHR_NODISCARD int phr_card_open(struct phr_card *c);
bool phr_card_extended(const struct phr_card *c);
/* APDUs sent so far. */
unsigned long phr_card_apdus(const struct phr_card *c);

/* VERIFY. pin: PHR_CARD_PIN_MIN..MAX ASCII digits. On PHR_E_CARD_PIN,
 * *tries_left (may be NULL) holds the tries left. */
PHR_NODISCARD int phr_card_verify_pin(struct phr_card *c, const char *pin, int *tries_left);
/* VERIFY without data: tries left (PHR_CARD_PIN_TRIES when verified). */
PHR_NODISCARD int phr_card_pin_tries(struct phr_card *c, int *tries_left);
/* CHANGE REFERENCE DATA: old and new PIN. */
PHR_NODISCARD int phr_card_change_pin(struct phr_card *c, const char *old_pin, const char *new_pin);
/* RESET RETRY COUNTER with the PUK: unblocks and sets a new PIN. */
PHR_NODISCARD int phr_card_unblock_pin(struct phr_card *c, const char *puk, const char *new_pin, int *tries_left);

/* Writes an empty status (no record, generation 0). Needs the PIN. */
PHR_NODISCARD int phr_card_format(struct phr_card *c);
/* Reads the active slot's container into buf (cap >= its length; a buffer
 * of PHR_MAX_CONTAINER always fits). PHR_E_CARD_EMPTY when no record. */
PHR_NODISCARD int phr_card_read(struct phr_card *c, uint8_t *buf, size_t cap, size_t *len);
/* Atomic write: the inactive slot, read back and compared, then the older
 * status copy names it with the next generation. A cut at any point leaves
 * the old record or the new one. Needs the PIN. The bytes are stored as
 * given (1..PHR_MAX_CONTAINER): decoding and verifying them is the caller's
 * job, before writing and after reading. */
PHR_NODISCARD int phr_card_write(struct phr_card *c, const uint8_t *container, size_t len);

#endif
