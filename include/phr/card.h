/* phr — the smartcard medium (docs/CARD.md): APDU encoding, response
 * parsing, a transport-independent client of the phr card profile, and its
 * PC/SC transport (PCSC-lite).
 *
 * The client talks to the card through one function pointer (transmit), so
 * the same code runs over PC/SC (phr_pcsc_transmit), a virtual card behind
 * pcscd or an in-memory test card.
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
#define PHR_CARD_PUK_REF 0x82     /* P2 of CHANGE REFERENCE DATA (P1=01) setting the PUK, and of VERIFY asking its tries */
/* Short EF identifiers (tag 88 at CREATE FILE): READ and UPDATE BINARY
 * name the EF in P1 (80 | SFI) and need no SELECT. */
#define PHR_CARD_SFI_STATUS 1
#define PHR_CARD_SFI_SLOT_A 2
#define PHR_CARD_SFI_SLOT_B 3

/* Failures of the reader and of the card's presence are in enum phr_err
 * (error.h, -80..-99): PHR_E_CARD_NO_READER, _ABSENT, _REMOVED, _NO_APP,
 * _EXISTS. phr_card_strerror() is phr_strerror(), kept for callers of the
 * card API. Never NULL. */
const char *phr_card_strerror(int err);

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
/* The client asks for at most this many response bytes (data + SW) in one
 * APDU: 65535 is what many transports frame (vpcd's 2-byte length, among
 * them), so an extended READ BINARY carries up to 65533 data bytes. */
#define PHR_APDU_EXT_MAX_RESP 65535
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
 * (cap bytes), its length in *rn. Returns 0; or a card error code
 * (-80..-99, e.g. PHR_E_CARD_REMOVED) after phr_fail() said what happened,
 * which the client passes on; or any other nonzero value, which the client
 * reports as PHR_E_CARD_TRANSPORT. */
typedef int (*phr_card_transmit_fn)(void *ctx, const uint8_t *apdu, size_t n, uint8_t *resp, size_t cap, size_t *rn);

enum phr_card_mode { PHR_CARD_AUTO, PHR_CARD_SHORT, PHR_CARD_EXTENDED };

struct phr_card;

/* ctx is the caller's and must outlive the card. ~130 KiB of buffers. */
PHR_NODISCARD int phr_card_create(phr_card_transmit_fn transmit, void *ctx, enum phr_card_mode mode,
				  struct phr_card **out);
void phr_card_destroy(struct phr_card *c);

/* SELECTs the application by AID and, in PHR_CARD_AUTO, finds out whether
 * the card takes extended-length APDUs (SELECT of the status EF with an
 * extended Le; 6700 or any other refusal means short).
 * PHR_E_CARD_NO_APP when the card has no phr application (6A82). */
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

/* Removes the record: both status copies name no slot, at the next
 * generation (the status EF's generation plus one; 0 when the status EF
 * holds no valid copy), so the generation never goes backwards on a card.
 * PHR_E_LIMIT at generation 2^32-1. Needs the PIN. */
PHR_NODISCARD int phr_card_format(struct phr_card *c);

/* What phr_card_personalise() found and did. */
struct phr_card_perso {
	bool created_app;   /* CREATE FILE of the application DF */
	int created_efs;    /* EFs created (0..3): fewer when an earlier run was cut short */
	bool set_pin, set_puk; /* CHANGE REFERENCE DATA P1=01 done; false: set by an earlier run */
	bool wrote_status;  /* the formatted status EF written */
	bool sent_puk;      /* the PUK was sent: after a failure, the card may hold it */
};
/* Personalises a blank card (docs/CARD.md, "Personalisation"): CREATE FILE
 * of the application DF and of EF.STATUS, EF.SLOT_A and EF.SLOT_B with
 * their sizes, short identifiers and access conditions; the PIN and the PUK
 * set with CHANGE REFERENCE DATA P1=01 (the card takes it once, on an unset
 * reference); VERIFY; the formatted status EF; the PUK last, so that a
 * card with a PUK is complete. A personalisation cut short is resumed:
 * what the card already holds is checked and kept (a PIN set earlier must
 * be the one given).
 * Call it instead of phr_card_open(); the card is open afterwards.
 * PHR_E_CARD_EXISTS when the card already holds a complete, formatted
 * application (phr_card_format() empties it). pin: PHR_CARD_PIN_MIN..MAX
 * digits; puk: PHR_CARD_PUK_LEN digits. */
PHR_NODISCARD int phr_card_personalise(struct phr_card *c, const char *pin, const char *puk,
				       struct phr_card_perso *out);
/* The state of the status EF as the last read, write or format left it;
 * false when none of them ran to the status EF yet. */
bool phr_card_last_state(const struct phr_card *c, struct phr_card_status *out);
/* Reads the status EF (needs the PIN). */
PHR_NODISCARD int phr_card_state(struct phr_card *c, struct phr_card_status *out);
/* Reads the active slot's container into buf (cap >= its length; a buffer
 * of PHR_MAX_CONTAINER always fits). PHR_E_CARD_EMPTY when no record. */
PHR_NODISCARD int phr_card_read(struct phr_card *c, uint8_t *buf, size_t cap, size_t *len);
/* Atomic write: the inactive slot, read back and compared, then the older
 * status copy names it with the next generation (one more than before,
 * after every successful write). A cut at any point leaves
 * the old record or the new one. Needs the PIN. The bytes are stored as
 * given (1..PHR_MAX_CONTAINER): decoding and verifying them is the caller's
 * job, before writing and after reading. */
PHR_NODISCARD int phr_card_write(struct phr_card *c, const uint8_t *container, size_t len);

/* The holder key of sealed sections (docs/CARD.md, "The holder key"): 24
 * bytes after the slot's CRC, "PHK1" | key (16) | CRC-32 of the slot's
 * bytes up to there. It is written with the record (phr_card_write_key,
 * key NULL: zeros) and read with it, behind the PIN like the record. */
#define PHR_CARD_KEY_LEN 16
#define PHR_CARD_KEY_MAGIC "PHK1"
#define PHR_CARD_KEY_BLOCK (4 + PHR_CARD_KEY_LEN + 4)
/* As phr_card_write, with the holder key (NULL: none; a key block left in
 * the slot by an earlier write is overwritten with zeros). PHR_E_LIMIT when
 * a key is given and the container leaves no room for it (more than
 * PHR_MAX_CONTAINER - PHR_CARD_KEY_BLOCK bytes). */
PHR_NODISCARD int phr_card_write_key(struct phr_card *c, const uint8_t *container, size_t len,
				     const uint8_t key[PHR_CARD_KEY_LEN]);
/* As phr_card_read, and the holder key stored with the record: *has_key
 * false when there is none (key and has_key may both be NULL: then the
 * key block is not read). */
PHR_NODISCARD int phr_card_read_key(struct phr_card *c, uint8_t *buf, size_t cap, size_t *len,
				    uint8_t key[PHR_CARD_KEY_LEN], bool *has_key);

/* ---- PC/SC transport (card/pcsc.c, PCSC-lite) ------------------------------ */

#define PHR_PCSC_MAX_READERS 16
#define PHR_PCSC_READER_MAX 128      /* bytes of a reader name, NUL included */
#define PHR_PCSC_READERS_BYTES 4096  /* the reader list pcscd may return */
#define PHR_PCSC_ATR_MAX 33

struct phr_pcsc_reader {
	char name[PHR_PCSC_READER_MAX];
	bool card;    /* a card is present */
	bool in_use;  /* another application holds the card exclusively */
	bool mute;    /* a card is present but does not answer */
	uint8_t atr[PHR_PCSC_ATR_MAX];
	size_t atr_len;
};

/* Lists up to cap readers and whether each holds a card, as pcscd knows
 * them; no APDU is sent. PHR_E_CARD_NO_READER when pcscd is not running or
 * knows no reader. */
PHR_NODISCARD int phr_pcsc_list(struct phr_pcsc_reader *out, size_t cap, size_t *n);

struct phr_pcsc;
/* Connects (T=1, else T=0) to the card in reader, the exact name of a reader
 * or a part of exactly one name; NULL takes the one reader that holds a card.
 * A transaction then keeps every other application away from the card until
 * phr_pcsc_close(). PHR_E_CARD_NO_READER (no pcscd, no such reader),
 * PHR_E_CARD_ABSENT (no card, or none in any reader), PHR_E_CARD (several
 * cards and no reader named, card in exclusive use, card mute). */
PHR_NODISCARD int phr_pcsc_open(const char *reader, struct phr_pcsc **out);
/* phr_card_transmit_fn over an open struct phr_pcsc. A card gone mid-APDU
 * (SCARD_W_REMOVED_CARD, SCARD_E_NO_SMARTCARD, SCARD_E_NOT_TRANSACTED, a
 * reset by another application, or a "successful" answer of fewer than 2
 * bytes) is PHR_E_CARD_REMOVED. */
int phr_pcsc_transmit(void *pcsc, const uint8_t *apdu, size_t n, uint8_t *resp, size_t cap, size_t *rn);
/* The name of the reader in use. */
const char *phr_pcsc_reader(const struct phr_pcsc *p);
/* Ends the transaction and disconnects with a card reset, so that the
 * verified PIN does not outlive the session. NULL is a no-op. */
void phr_pcsc_close(struct phr_pcsc *p);

#endif
