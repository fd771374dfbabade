/* A record's consent as the hub applies it (hub.h). */
#include "hub.h"

#include <jansson.h>
#include <string.h>

#include "phr/container.h"
#include "phr/json.h"
#include "phr/schema.h"
#include "phr/verify.h"

static bool verified(int status)
{
	return status == PHR_ST_VALID || status == PHR_ST_SIGNATURE_ONLY;
}

int hub_consent_of(const struct phr_record *r, const struct phr_report *rep, struct hub_consent *out)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = r->n_entries; i-- > 0;) {
		const struct phr_entry *e = &r->entries[i];
		json_t *content = NULL;
		if (!e->content || e->content_err || phr_entry_decode_json(e->content, e->content_len, &content))
			continue;
		const json_t *c = json_object_get(content, "consent");
		const json_t *store = json_object_get(c, "store");
		if (!json_is_boolean(store) || (json_is_true(store) && !verified(rep->entries[i].status))) {
			json_decref(content);
			continue;
		}
		out->any = true;
		out->store = json_is_true(store);
		if (out->store) {
			size_t k;
			const json_t *v;
			json_array_foreach(json_object_get(c, "share_with"), k, v) {
				const char *s = json_string_value(v);
				if (s && strlen(s) == 2 && out->n_share < sizeof(out->share_with) / sizeof(out->share_with[0]))
					memcpy(out->share_with[out->n_share++], s, 3);
			}
			out->emergency_access = json_is_true(json_object_get(c, "emergency_access"));
		}
		json_decref(content);
		return PHR_OK;
	}
	return PHR_OK;
}

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

bool hub_consent_shares(const struct hub_consent *c, const char *country)
{
	if (!c->store)
		return false;
	for (size_t i = 0; i < c->n_share; i++)
		if (!strcmp(c->share_with[i], country))
			return true;
	return false;
}
