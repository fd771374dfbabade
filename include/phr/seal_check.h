/* phr — is a holder key the one to seal a record's next entry under?
 *
 * A clinic that extends a record with a holder key seals the new entry's
 * sensitive sections under it. A key that is well formed but not the
 * record's would seal an entry its holder cannot open; these checks refuse
 * it before anything is signed (phr extend, phr card write, the web
 * follow-up).
 */
#ifndef PHR_SEAL_CHECK_H
#define PHR_SEAL_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "phr/error.h"
#include "phr/seal.h"

struct phr_record;

/* Checks key against the sealed entries of r under the current key
 * generation (since the last re-keying): the newest sealed entry must open
 * with key (a trial open, the plaintext wiped; phr_record_seal_key_state).
 * PHR_OK when it does, or when r has no sealed entry (any key starts the
 * first generation). Else, with a message naming the entry:
 * PHR_E_REKEYED when key opens only entries before a re-keying entry
 * (*at: that entry); PHR_E_SEAL_KEY when no sealed entry opens with key
 * (*at: the newest sealed entry). at may be NULL. */
PHR_NODISCARD int phr_record_seal_key_check(const struct phr_record *r, const uint8_t key[PHR_HOLDER_KEY_LEN],
					    size_t *at);

#endif
