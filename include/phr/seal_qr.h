/* phr — the holder key as a QR code on the key slip (docs/FORMAT.md,
 * "The holder key as a QR code").
 *
 * Payload: "PHRK:" followed by the typed form (phr/seal.h), 38 characters
 * all in the QR alphanumeric set: "PHRK:AAAQ-EAYE-AUDA-OCAJ-BIFQ-YDIO-B4Y".
 * Printed in alphanumeric mode at error correction level Q (version 3). A
 * reader also takes the typed form alone (a code someone made of the typed
 * key with any QR generator). */
#ifndef PHR_SEAL_QR_H
#define PHR_SEAL_QR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "phr/error.h"
#include "phr/seal.h"

#define PHR_HOLDER_KEY_QR_PREFIX "PHRK:"
#define PHR_HOLDER_KEY_QR_PREFIX_LEN 5
/* The payload as printed: prefix, typed form (33) and a NUL. */
#define PHR_HOLDER_KEY_QR_LEN (PHR_HOLDER_KEY_QR_PREFIX_LEN + PHR_HOLDER_KEY_TEXT_LEN)
/* Longest payload a reader looks at (the prefix and a typed key with
 * spaces); a longer code is not a key code. */
#define PHR_MAX_HOLDER_KEY_QR (PHR_HOLDER_KEY_QR_PREFIX_LEN + PHR_MAX_HOLDER_KEY_TEXT)

/* The payload for key (NUL-terminated). Secret: wipe it after use. */
void phr_holder_key_qr_payload(const uint8_t key[PHR_HOLDER_KEY_LEN], char out[PHR_HOLDER_KEY_QR_LEN]);
/* True if a QR payload is meant as a holder key: it starts with the prefix
 * (any case), or is made only of the typed form's characters (A-Z, a-z,
 * 2-7, 0, 1, 8, '-', ' ') and has 27 of them that are not '-' or ' '. Such
 * a payload must never be shown (it is a secret), valid or not. */
bool phr_holder_key_qr_is_key(const uint8_t *p, size_t len);
/* Reads a key from a QR payload: PHR_E_NOT_OURS when it is not meant as a
 * key (phr_holder_key_qr_is_key), PHR_E_LIMIT over PHR_MAX_HOLDER_KEY_QR,
 * PHR_E_SEAL_KEY when it is but its check character fails. */
PHR_NODISCARD int phr_holder_key_qr_parse(const uint8_t *p, size_t len, uint8_t key[PHR_HOLDER_KEY_LEN]);

#endif
