/* An in-memory ISO 7816-4 card, the card side of the phr profile
 * (docs/CARD.md): one application DF created by CREATE FILE, transparent
 * EFs with short identifiers and access conditions, a PIN (reference 81)
 * and a PUK (reference 82) with retry counters, set once with CHANGE
 * REFERENCE DATA P1=01. The card enforces its access rules itself.
 *
 * Test hooks: a cut (the card "pulled out") after a given number of APDUs,
 * tearing the UPDATE BINARY in flight; a state that serialises to bytes
 * (card_model_save/load) so that tests/card/vicc.c keeps it in a file.
 * Used as the transmit backend of the unit tests and of the benchmark's
 * in-memory baseline, and by the vpcd emulator. */
#ifndef PHR_TESTS_CARD_MODEL_H
#define PHR_TESTS_CARD_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "phr/card.h"

#define CARD_MODEL_MAX_EFS 4                      /* EFs in the application */
#define CARD_MODEL_MAX_EF_SIZE PHR_CARD_SLOT_SIZE /* bytes in one EF */
#define CARD_MODEL_MAX_AID 16                     /* ISO 7816-4 DF name */
/* Serialised state (card_model_save): header, EFs with their data, CRC. */
#define CARD_MODEL_STATE_HEADER 45
#define CARD_MODEL_STATE_EF_HEADER 8
#define CARD_MODEL_STATE_MAX                                                                                   \
	(CARD_MODEL_STATE_HEADER + CARD_MODEL_MAX_EFS * (CARD_MODEL_STATE_EF_HEADER + CARD_MODEL_MAX_EF_SIZE) + 4)

/* Security condition bytes (ISO 7816-4 compact format) the card takes. */
#define CARD_SC_ALWAYS 0x00
#define CARD_SC_PIN 0x10 /* user authentication: VERIFY of reference 81 */
#define CARD_SC_NEVER 0xFF

struct card_ef {
	uint16_t fid;
	uint8_t sfi;                  /* 1..30, 0 = none */
	uint8_t read_sc, update_sc;   /* CARD_SC_* */
	size_t size;
	uint8_t data[CARD_MODEL_MAX_EF_SIZE];
};

struct card_model {
	bool ext;                /* takes extended-length APDUs (not part of the saved state) */
	/* non-volatile: what card_model_save keeps */
	bool app;                /* the application DF exists */
	uint8_t aid[CARD_MODEL_MAX_AID];
	size_t aid_len;
	size_t n_efs;
	struct card_ef ef[CARD_MODEL_MAX_EFS];
	bool pin_set, puk_set;
	uint8_t pin[PHR_CARD_PIN_MAX], puk[PHR_CARD_PUK_LEN];
	int pin_tries, puk_tries;
	/* volatile: cleared by a power cycle */
	bool in_app, pin_ok;     /* current DF is the application; PIN verified since it was selected */
	int cur;                 /* current EF (index into ef), -1 none */
	/* test hooks */
	long cut_after;          /* < 0: never; else APDUs answered before the cut */
	bool dead;               /* cut: every transmit fails until power cycle */
	bool tear;               /* the next UPDATE BINARY writes only its first half */
	unsigned long apdus;     /* commands processed */
	unsigned long changes;   /* bumped whenever the non-volatile state changes */
};

/* A blank card: no application; CREATE FILE makes one. ~260 KiB: allocate it. */
void card_model_init_blank(struct card_model *m, bool ext);
/* A personalised card as phr_card_personalise() leaves it: application,
 * EFs, PIN and PUK (ASCII digits), status EF formatted (no record). */
int card_model_init(struct card_model *m, bool ext, const char *pin, const char *puk);
/* Power off and on: security state cleared, cut cleared. */
void card_model_power_cycle(struct card_model *m);
/* Processes one command APDU, writes the response (data + SW), returns its
 * length. resp must hold PHR_APDU_RESP_MAX bytes. */
size_t card_model_process(struct card_model *m, const uint8_t *apdu, size_t n, uint8_t *resp);
/* phr_card_transmit_fn over a struct card_model; a cut is PHR_E_CARD_REMOVED. */
int card_model_transmit(void *ctx, const uint8_t *apdu, size_t n, uint8_t *resp, size_t cap, size_t *rn);
/* The EF with this FID, or NULL. */
struct card_ef *card_model_ef(struct card_model *m, uint16_t fid);

/* The non-volatile state as bytes (at most CARD_MODEL_STATE_MAX):
 *   "PHRVICC1", flags (1 application, 2 PIN set, 4 PUK set), PIN tries,
 *   PUK tries, PIN (8), PUK (8), AID length, AID (16, zero padded), number
 *   of EFs; per EF: FID (2, BE), SFI, read SC, update SC, size (3, BE), data;
 *   CRC-32 of everything before (4, BE). */
int card_model_save(const struct card_model *m, uint8_t *out, size_t cap, size_t *n);
/* Restores a state saved by card_model_save; the volatile state is that of
 * a card just powered on, ext is kept. Every field is checked against the
 * limits above; PHR_E_MALFORMED / PHR_E_LIMIT / PHR_E_CHECKSUM with a
 * message, and m unchanged, when the bytes are not such a state. */
int card_model_load(struct card_model *m, const uint8_t *p, size_t n);

#endif
