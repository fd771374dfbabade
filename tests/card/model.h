/* An in-memory card implementing the phr card profile (docs/CARD.md): the
 * card side of every command, with real access rules, PIN and PUK retry
 * counters, and a cut (the card "pulled out") after a given number of
 * APDUs, tearing the UPDATE BINARY in flight. Used as the transmit backend
 * of the unit tests; a vpcd emulator can wrap card_model_process(). */
#ifndef PHR_TESTS_CARD_MODEL_H
#define PHR_TESTS_CARD_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "phr/card.h"

struct card_model {
	bool ext;               /* takes extended-length APDUs */
	uint8_t pin[PHR_CARD_PIN_MAX], puk[PHR_CARD_PUK_LEN];
	int pin_tries, puk_tries;
	bool app, pin_ok;       /* security state: reset by power cycle and SELECT of the AID */
	int cur;                /* current EF: -1 none, 0 status, 1 slot A, 2 slot B */
	uint8_t status[PHR_CARD_STATUS_SIZE];
	uint8_t slot[2][PHR_CARD_SLOT_SIZE];
	long cut_after;         /* < 0: never; else APDUs answered before the cut */
	bool dead;              /* cut: every transmit fails until power cycle */
	unsigned long apdus;    /* commands processed */
};

/* A personalised card: application and files created, status EF formatted
 * (no record), PIN and PUK as ASCII digits. The model is ~130 KiB: allocate it. */
int card_model_init(struct card_model *m, bool ext, const char *pin, const char *puk);
/* Power off and on: security state cleared, cut cleared. */
void card_model_power_cycle(struct card_model *m);
/* Processes one command APDU, writes the response (data + SW), returns its
 * length. resp must hold PHR_APDU_RESP_MAX bytes. */
size_t card_model_process(struct card_model *m, const uint8_t *apdu, size_t n, uint8_t *resp);
/* phr_card_transmit_fn over a struct card_model. */
int card_model_transmit(void *ctx, const uint8_t *apdu, size_t n, uint8_t *resp, size_t cap, size_t *rn);

#endif
