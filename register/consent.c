/* The consent that governs a record (phr/consent.h, docs/PRIVACY.md). */
#include "phr/consent.h"

#include <string.h>

#include "phr/container.h"
#include "phr/error.h"
#include "phr/json.h"
#include "phr/verify.h"

/* One step of a walk: an entry of the main chain or of the side branch. */
struct step {
	const struct phr_record *r;
	const struct phr_report *rep;
	json_t *const *contents;
	json_t *const *side_contents;
};

static bool verified(int status)
{
	return status == PHR_ST_VALID || status == PHR_ST_SIGNATURE_ONLY;
}

/* Reads entry i (side: side entry i) into *out when its consent decides:
 * 1 decided, 0 not. */
static int entry_decides(const struct step *s, bool side, size_t i, struct phr_consent *out)
{
	const struct phr_entry *e = side ? &s->r->side[i] : &s->r->entries[i];
	json_t *const *given = side ? s->side_contents : s->contents;
	int status = side ? (i < s->rep->n_side ? s->rep->side[i].status : PHR_ST_MALFORMED)
			  : (i < s->rep->n ? s->rep->entries[i].status : PHR_ST_MALFORMED);
	json_t *own = NULL;
	const json_t *content;
	if (given) {
		content = given[i];
	} else {
		if (!e->content || e->content_err || phr_entry_decode_json(e->content, e->content_len, &own))
			return 0;
		content = own;
	}
	const json_t *c = json_object_get(content, "consent");
	const json_t *store = json_object_get(c, "store");
	int decided = json_is_boolean(store) && (json_is_false(store) || verified(status));
	if (decided) {
		memset(out, 0, sizeof(*out));
		out->any = true;
		out->store = json_is_true(store);
		out->entry = side ? (size_t)e->index : i;
		out->side = side;
		if (out->store) {
			size_t k;
			const json_t *v;
			json_array_foreach(json_object_get(c, "share_with"), k, v) {
				const char *cc = json_string_value(v);
				if (cc && strlen(cc) == 2 && out->n_share < PHR_CONSENT_MAX_SHARE)
					memcpy(out->share_with[out->n_share++], cc, 3);
			}
			out->emergency_access = json_is_true(json_object_get(c, "emergency_access"));
		}
	}
	json_decref(own);
	return decided;
}

/* Walks the side branch from its head (when side), then main entries
 * hi-1 down to lo: 1 when an entry decided (*out), 0 when none did. */
static int walk(const struct step *s, bool side, size_t lo, size_t hi, struct phr_consent *out)
{
	if (side)
		for (size_t j = s->r->n_side; j-- > 0;)
			if (entry_decides(s, true, j, out))
				return 1;
	for (size_t i = hi; i-- > lo;)
		if (entry_decides(s, false, i, out))
			return 1;
	return 0;
}

/* The stricter of two branches' consents: a refusal over no consent over
 * a consent to store, and of two consents to store, only what both allow. */
static void stricter(const struct phr_consent *a, const struct phr_consent *b, struct phr_consent *out)
{
	if (a->any && !a->store) {
		*out = *a;
	} else if (b->any && !b->store) {
		*out = *b;
	} else if (!a->any || !b->any) {
		memset(out, 0, sizeof(*out));
	} else {
		*out = *a;
		out->n_share = 0;
		for (size_t i = 0; i < a->n_share; i++)
			for (size_t j = 0; j < b->n_share; j++)
				if (!strcmp(a->share_with[i], b->share_with[j])) {
					memcpy(out->share_with[out->n_share++], a->share_with[i], 3);
					break;
				}
		out->emergency_access = a->emergency_access && b->emergency_access;
	}
}

int phr_consent_of(const struct phr_record *r, const struct phr_report *rep, json_t *const *contents,
		   json_t *const *side_contents, struct phr_consent *out)
{
	const struct step s = { r, rep, contents, side_contents };
	memset(out, 0, sizeof(*out));
	if (!r->n_side) {
		(void)walk(&s, false, 0, r->n_entries, out);
		return PHR_OK;
	}
	/* a merged record: the merge entry at m joins branch A (main entries
	 * before m) and branch B (the side), which share the entries before
	 * the fork point f; without a merge entry (a broken record) B's first
	 * entry says where it forked */
	int at = phr_record_merge_at(r);
	size_t m = at < 0 ? r->n_entries : (size_t)at;
	uint64_t fork = at < 0 ? r->side[0].index : r->entries[m].merge_fork;
	size_t f = fork < m ? (size_t)fork : m;
	/* given knowing both branches: the merge entry or after it */
	if (walk(&s, false, m, r->n_entries, out))
		return PHR_OK;
	struct phr_consent a, b;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	(void)walk(&s, false, 0, m, &a);
	(void)walk(&s, true, 0, f, &b);
	stricter(&a, &b, out);
	return PHR_OK;
}

bool phr_consent_shares(const struct phr_consent *c, const char *country)
{
	if (!c->any || !c->store)
		return false;
	for (size_t i = 0; i < c->n_share; i++)
		if (!strcmp(c->share_with[i], country))
			return true;
	return false;
}
