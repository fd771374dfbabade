/* Sealed sections of a merged record's side branch (docs/FORMAT.md,
 * "Merged records", "Sealed entries"): each side entry is sealed under
 * the record id and the index it was signed with, like a main entry, so
 * the public seal API opens it. */
#include "phr/container.h"
#include "phr/seal.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>

static void side_failed(struct phr_entry *e, uint64_t index, int rc)
{
	e->seal_state = rc;
	snprintf(e->seal_why, sizeof(e->seal_why), "branch B entry %llu: %s", (unsigned long long)index,
		 phr_last_error());
}

int phr_record_unseal_side(struct phr_record *r, const uint8_t key[PHR_HOLDER_KEY_LEN], size_t *failed)
{
	const uint8_t **ptr = calloc(PHR_MAX_ENTRIES, sizeof(*ptr));
	size_t *lens = calloc(PHR_MAX_ENTRIES, sizeof(*lens));
	int rc = PHR_OK;
	*failed = 0;
	if (!ptr || !lens) {
		rc = phr_fail(PHR_E_NOMEM, "out of memory");
		goto out;
	}
	for (size_t j = 0; j < r->n_side && j < PHR_MAX_SIDE_ENTRIES; j++) {
		struct phr_entry *e = &r->side[j];
		uint8_t *plain = NULL, *full = NULL;
		size_t plain_len = 0, full_len = 0;
		if (!e->sealed || !e->content || e->content_err || e->seal_state == 1)
			continue;
		rc = phr_seal_open_entry(key, r->id, e->index, e->clear, e->clear_len, e->sealed, e->sealed_len, &plain,
					 &plain_len);
		if (rc == PHR_OK) {
			size_t at = e->index < PHR_MAX_ENTRIES ? (size_t)e->index : PHR_MAX_ENTRIES;
			int k = phr_seal_rekey_parse(plain, plain_len, at, ptr, lens);
			if (k == 1) {
				/* a re-keying entry on branch B: its content is the clear
				 * one; what it re-seals is not opened through it */
				e->seal_state = 1;
				snprintf(e->seal_why, sizeof(e->seal_why), "%s", PHR_SEAL_NOTE_REKEYING_TEXT);
			} else if ((rc = phr_seal_merge(e->content, e->content_len, plain, plain_len, &full, &full_len)) ==
				   PHR_OK) {
				if (r->side_unsealed[j])
					sodium_memzero(r->side_unsealed[j], r->side_unsealed_len[j]);
				free(r->side_unsealed[j]);
				r->side_unsealed[j] = full;
				r->side_unsealed_len[j] = full_len;
				e->content = full;
				e->content_len = full_len;
				e->seal_state = 1;
				e->seal_why[0] = '\0';
			}
		}
		if (plain) {
			sodium_memzero(plain, plain_len);
			free(plain);
		}
		if (rc == PHR_E_NOMEM)
			goto out;
		if (rc) {
			side_failed(e, e->index, rc);
			(*failed)++;
		}
		rc = PHR_OK;
	}
out:
	free(ptr);
	free(lens);
	return rc;
}
