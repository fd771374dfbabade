/* A record's heads as the hub hands them out (hub.h); its consent is
 * phr_consent_of() (phr/consent.h). */
#include "hub.h"

#include <string.h>

#include "phr/container.h"

static int head_cb(void *ctx, const struct phr_register_version *v)
{
	struct hub_heads *h = ctx;
	/* an older copy is in a newer version, and so is a branch that a
	 * stored merged version joined: neither is a head */
	if (!v->older && !v->merged_into && h->n < HUB_MAX_HEADS) {
		memcpy(h->hex[h->n], v->version_hex, PHR_VERSION_ID_HEX_LEN);
		h->entries[h->n++] = v->n_entries;
	}
	return 0;
}

int hub_heads_of(struct phr_register *reg, const uint8_t id[PHR_RECORD_ID_LEN], struct hub_heads *out)
{
	memset(out, 0, sizeof(*out));
	return phr_register_each_version(reg, id, head_cb, out);
}
