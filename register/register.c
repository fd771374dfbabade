/* The clinic's register: versions, sightings, consent, the search index
 * (walked from the schema table), documents, forgetting and the audit.
 * Storage is behind register/store.h. */
#include "phr/register.h"

#include <ctype.h>
#include <pthread.h>
#include <pwd.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "facts.h"
#include "names.h"
#include "phr/consent.h"
#include "phr/document.h"
#include "phr/json.h"
#include "phr/render.h"
#include "phr/schema.h"
#include "phr/seal.h"
#include "phr/verify.h"
#include "store.h"

#define PATH_MAX_LEN 128 /* longest field path, "plan.referrals.urgency" */
#define VALUE_MAX_LEN 72 /* longest indexed value (a document hash: 64 hex digits) */

struct phr_register {
	struct phr_store *store;
	uint64_t clock;
	bool batch; /* phr_register_begin called, not yet committed or rolled back */
	char who[PHR_REG_WHO_MAX];
};

static int64_t now_of(const struct phr_register *reg)
{
	return reg->clock ? (int64_t)reg->clock : (int64_t)time(NULL);
}

static void hex_of(const uint8_t *b, size_t n, char *out)
{
	static const char d[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = d[b[i] >> 4];
		out[2 * i + 1] = d[b[i] & 15];
	}
	out[2 * n] = '\0';
}

void phr_register_who(char out[PHR_REG_WHO_MAX])
{
	char user[64];
	struct passwd pw, *res = NULL;
	char buf[1024];
	uid_t uid = geteuid();
	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &res) == 0 && res && res->pw_name)
		phr_text_sanitize(user, sizeof(user), res->pw_name, strlen(res->pw_name));
	else
		snprintf(user, sizeof(user), "uid %lu", (unsigned long)uid);
	const char *op = getenv("PHR_OPERATOR");
	if (op && *op) {
		char clean[80]; /* sanitized: at most 79 bytes, cut at a character */
		size_t n = strlen(op);
		/* cut at a character boundary within the limit */
		if (n > PHR_REG_OPERATOR_MAX) {
			n = PHR_REG_OPERATOR_MAX;
			while (n > 0 && ((unsigned char)op[n] & 0xC0) == 0x80)
				n--;
		}
		phr_text_sanitize(clean, sizeof(clean), op, n);
		snprintf(out, PHR_REG_WHO_MAX, "%s (operator %s)", user, clean);
	} else {
		snprintf(out, PHR_REG_WHO_MAX, "%s", user);
	}
}

int phr_register_open(const char *path, unsigned flags, struct phr_register **out)
{
	*out = NULL;
	if (flags & ~(PHR_REG_CREATE | PHR_REG_READONLY) ||
	    (flags & (PHR_REG_CREATE | PHR_REG_READONLY)) == (PHR_REG_CREATE | PHR_REG_READONLY))
		return phr_fail(PHR_E_ARG, "register: flags are PHR_REG_CREATE or PHR_REG_READONLY");
	struct phr_register *reg = calloc(1, sizeof(*reg));
	if (!reg)
		return phr_fail(PHR_E_NOMEM, "out of memory");
	int rc;
	if (phr_store_pg_uri(path)) /* the regional hub's database (docs/HUB.md) */
		rc = phr_store_pg_open(path, flags, &reg->store);
	else
		rc = phr_store_sqlite_open(path, flags, &reg->store);
	if (rc) {
		free(reg);
		return rc;
	}
	phr_register_who(reg->who);
	*out = reg;
	return PHR_OK;
}

void phr_register_close(struct phr_register *reg)
{
	if (!reg)
		return;
	if (reg->batch)
		reg->store->ops->rollback(reg->store);
	reg->store->ops->close(reg->store);
	free(reg);
}

int phr_register_schema_version(const struct phr_register *reg)
{
	return reg->store->ops->schema_version(reg->store);
}

int phr_register_schema_latest(void)
{
	return phr_store_sqlite_schema_latest();
}

void phr_register_set_clock(struct phr_register *reg, uint64_t now)
{
	reg->clock = now;
}

int phr_register_audit_log(struct phr_register *reg, const char *action, const char *record_hex, const char *detail)
{
	if (!action || !*action)
		return phr_fail(PHR_E_ARG, "register: an audit row needs an action");
	return reg->store->ops->audit_insert(reg->store, now_of(reg), reg->who, action, record_hex, detail);
}

int phr_register_each_audit(struct phr_register *reg, int (*cb)(void *ctx, const struct phr_register_audit_row *r),
			    void *ctx)
{
	return reg->store->ops->audit_each(reg->store, cb, ctx);
}

/* "YYYY", "YYYY-MM" or "YYYY-MM-DD" -> its first day; PHR_E_ARG otherwise. */
static int date_first_day(const char *s, int64_t *day)
{
	int y = 0, m = 1, d = 1;
	size_t n = strlen(s);
	for (size_t i = 0; i < n; i++)
		if (!(isdigit((unsigned char)s[i]) || ((i == 4 || i == 7) && s[i] == '-')))
			return PHR_E_ARG;
	if (n != 4 && n != 7 && n != 10)
		return PHR_E_ARG;
	y = atoi(s);
	if (n >= 7)
		m = atoi(s + 5);
	if (n == 10)
		d = atoi(s + 8);
	if (y < 1900 || y > 9999 || m < 1 || m > 12 || d < 1 || d > 31)
		return PHR_E_ARG;
	*day = phr_days_from_civil(y, m, d);
	int yy, mm, dd;
	phr_civil_from_days(*day, &yy, &mm, &dd);
	if (yy != y || mm != m || dd != d)
		return PHR_E_ARG; /* 2025-02-30 */
	return PHR_OK;
}

/* ---- the index: leaves of the schema table ------------------------------ */

struct indexer {
	struct phr_register *reg;
	int64_t entry_row;
	int err;
};

static int index_leaf(struct indexer *ix, const char *path, const struct phr_field *f, const json_t *v)
{
	char value[VALUE_MAX_LEN];
	struct phr_store_field sf = { .path = path, .type = (int)f->type, .value = value, .num = 0 };
	switch (f->type) {
	case PHR_T_TEXT:
	case PHR_T_OBJECT:
	case PHR_T_ARRAY:
		return PHR_OK; /* free text is never indexed; containers are walked */
	case PHR_T_INT:
	case PHR_T_DECIMAL:
	case PHR_T_UNIT:
	case PHR_T_BOOL:
		/* Measurements (a dose number, a vital's value and unit) and
		 * flags are not what a clerk searches by (the list:
		 * identity, migration, dates, codes, clinics); they were a
		 * third of the index rows (schema version 3 deletes them). */
		return PHR_OK;
	case PHR_T_DATE:
	case PHR_T_ENUM:
	case PHR_T_CODE:
	case PHR_T_COUNTRY:
	case PHR_T_LANG:
	case PHR_T_BYTES: /* a document's hash, lowercase hex */
		if (!json_is_string(v) || json_string_length(v) >= sizeof(value))
			return PHR_OK;
		snprintf(value, sizeof(value), "%s", json_string_value(v));
		if (f->type == PHR_T_DATE && date_first_day(value, &sf.num))
			sf.num = 0;
		break;
	}
	return ix->reg->store->ops->field_insert(ix->reg->store, ix->entry_row, &sf);
}

/* Walks the value v described by f; path holds the path so far (len bytes). */
static int index_walk(struct indexer *ix, const struct phr_field *f, const json_t *v, char *path, size_t len)
{
	int rc;
	if (f->type == PHR_T_OBJECT) {
		if (!json_is_object(v))
			return PHR_OK;
		for (const struct phr_field *c = f->children; c && c->name; c++) {
			const json_t *cv = json_object_get(v, c->name);
			if (!cv)
				continue;
			int n = snprintf(path + len, PATH_MAX_LEN - len, "%s%s", len ? "." : "", c->name);
			if (n < 0 || (size_t)n >= PATH_MAX_LEN - len)
				return phr_fail(PHR_E_LIMIT, "register: field path longer than %d bytes", PATH_MAX_LEN);
			rc = index_walk(ix, c, cv, path, len + (size_t)n);
			path[len] = '\0';
			if (rc)
				return rc;
		}
		return PHR_OK;
	}
	if (f->type == PHR_T_ARRAY) {
		size_t i;
		const json_t *item;
		if (!json_is_array(v) || !f->children)
			return PHR_OK;
		json_array_foreach(v, i, item)
			if ((rc = index_walk(ix, &f->children[0], item, path, len)))
				return rc;
		return PHR_OK;
	}
	return index_leaf(ix, path, f, v);
}

static int index_names(struct phr_register *reg, int64_t entry_row, const json_t *content)
{
	const json_t *names = json_object_get(json_object_get(content, "identity"), "names");
	size_t i;
	const json_t *n;
	json_array_foreach(names, i, n) {
		const char *given = json_string_value(json_object_get(n, "given"));
		const char *family = json_string_value(json_object_get(n, "family"));
		char full[PHR_REG_NAME_MAX];
		snprintf(full, sizeof(full), "%s%s%s", given ? given : "", given && family ? " " : "", family ? family : "");
		if (!*full)
			continue;
		struct phr_name_keys k;
		int rc = phr_name_index_keys(full, &k);
		if (rc)
			return phr_fail_wrap(rc, "identity.names[%zu]", i);
		const char *keys[PHR_NAME_MAX_KEYS];
		for (size_t j = 0; j < k.n; j++)
			keys[j] = k.key[j];
		if ((rc = reg->store->ops->name_insert(reg->store, entry_row, full, keys, k.n)))
			return rc;
	}
	return PHR_OK;
}

/* ---- adding ----------------------------------------------------------------- */

static bool verified(int status)
{
	return status == PHR_ST_VALID || status == PHR_ST_SIGNATURE_ONLY;
}

struct stored {
	struct phr_store_version v;
	uint8_t *hashes;
};
struct stored_list {
	struct stored *s;
	size_t n, cap;
};

static int collect_version(void *ctx, const struct phr_store_version *v)
{
	struct stored_list *l = ctx;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 8;
		struct stored *s = realloc(l->s, cap * sizeof(*s));
		if (!s)
			return phr_fail(PHR_E_NOMEM, "out of memory");
		l->s = s;
		l->cap = cap;
	}
	struct stored *d = &l->s[l->n];
	d->v = *v;
	d->hashes = malloc(v->n_entries * PHR_HASH_LEN + 1);
	if (!d->hashes)
		return phr_fail(PHR_E_NOMEM, "out of memory");
	memcpy(d->hashes, v->hashes, v->n_entries * PHR_HASH_LEN);
	d->v.hashes = d->hashes;
	l->n++;
	return 0;
}

static void stored_free(struct stored_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->s[i].hashes);
	free(l->s);
}

/* A merged record (docs/FORMAT.md, "Merged records") is the newer version
 * of its branch B too: v is that branch, or an older copy of it, when its
 * entries are r's main chain up to the fork point, then r's side branch. */
static bool merged_branch(const struct phr_record *r, const struct phr_store_version *v)
{
	if (!r->n_side || r->side[0].content_err)
		return false;
	size_t fork = (size_t)r->side[0].index;
	if (fork > r->n_entries || v->n_entries > fork + r->n_side || v->n_entries <= fork)
		return false;
	for (size_t i = 0; i < v->n_entries; i++) {
		const uint8_t *h = i < fork ? r->entries[i].hash : r->side[i - fork].hash;
		if (memcmp(h, v->hashes + i * PHR_HASH_LEN, PHR_HASH_LEN) != 0)
			return false;
	}
	return true;
}

/* Whether the stored version v is a merged record whose branch B holds
 * the n entries hashes (the new copy is then an older copy of v). Only a
 * version that decodes as a merged record can; any failure says no. */
static bool stored_merge_holds(struct phr_store *s, const struct phr_store_version *v, const uint8_t *hashes,
			       size_t n)
{
	uint8_t *c = NULL;
	size_t len = 0;
	struct phr_record *m = NULL;
	bool yes = false;
	if (s->ops->version_container(s, v->row, &c, &len) == PHR_OK && len > 0 && c[0] == PHR_CONTAINER_VERSION_MERGED &&
	    phr_record_decode(c, len, &m) == PHR_OK) {
		struct phr_store_version me = { .n_entries = n, .hashes = hashes };
		yes = merged_branch(m, &me);
	}
	phr_record_destroy(m);
	free(c);
	return yes;
}

static size_t common_prefix(const uint8_t *a, size_t na, const uint8_t *b, size_t nb)
{
	size_t k = 0;
	while (k < na && k < nb && !memcmp(a + k * PHR_HASH_LEN, b + k * PHR_HASH_LEN, PHR_HASH_LEN))
		k++;
	return k;
}

/* Whether a stored merged version that the n hashes are an older copy of
 * (of its main chain) holds v as its branch B: the fork between them is
 * one that version resolved. */
static bool merge_after_joined(struct phr_store *s, const struct stored_list *l, const uint8_t *hashes, size_t n,
			       const struct phr_store_version *v)
{
	for (size_t k = 0; k < l->n; k++) {
		const struct phr_store_version *u = &l->s[k].v;
		if (u != v && u->n_entries > n && common_prefix(hashes, n, u->hashes, u->n_entries) == n &&
		    stored_merge_holds(s, u, v->hashes, v->n_entries))
			return true;
	}
	return false;
}

/* Whether the merged record m, stored as version mv, holds the stored
 * version v: v is mv, a copy of mv's main chain up to some entry, or a copy
 * of its branch B (as merged_branch says). */
static bool merge_holds(const struct phr_record *m, const struct phr_store_version *mv, const struct phr_store_version *v)
{
	return v == mv || common_prefix(v->hashes, v->n_entries, mv->hashes, mv->n_entries) == v->n_entries ||
	       merged_branch(m, v);
}


static int64_t content_day(const json_t *content)
{
	int64_t d = 0;
	const char *s = json_string_value(json_object_get(content, "date"));
	if (!s || date_first_day(s, &d))
		return 0;
	return d;
}

struct add_state {
	struct phr_record *r;
	struct phr_report *rep;
	json_t *contents[PHR_MAX_ENTRIES];
	json_t *side_contents[PHR_MAX_SIDE_ENTRIES]; /* a merged record's branch B */
	uint8_t hashes[PHR_MAX_ENTRIES * PHR_HASH_LEN];
	uint8_t vid[PHR_VERSION_ID_LEN];
	char *report_json;
	uint8_t facts[PHR_FACTS_MAX];
	size_t facts_len;
	int64_t first_day, last_day;
	struct stored_list stored;
};

static void add_state_free(struct add_state *a)
{
	for (size_t i = 0; i < PHR_MAX_ENTRIES; i++)
		json_decref(a->contents[i]);
	for (size_t j = 0; j < PHR_MAX_SIDE_ENTRIES; j++)
		json_decref(a->side_contents[j]);
	phr_record_destroy(a->r);
	free(a->rep);
	free(a->report_json);
	stored_free(&a->stored);
}

static int report_json(const struct phr_record *r, const struct phr_report *rep, const struct phr_trust *trust,
		       char **out)
{
	json_t *j;
	int rc = phr_render_json(r, rep, &j);
	if (rc)
		return rc;
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(j, "entries"), i, e)
		json_object_del(e, "content"); /* as phr verify --format json: the report, not the record */
	if (json_object_set_new(j, "trust_version", json_integer(trust ? (json_int_t)phr_trust_version(trust) : 0))) {
		json_decref(j);
		return phr_fail(PHR_E_NOMEM, "out of memory");
	}
	*out = phr_json_dump(j);
	json_decref(j);
	return *out ? PHR_OK : phr_fail(PHR_E_NOMEM, "out of memory");
}

/* Every document a verified entry refers to is linked to its record, so it
 * is listed with it ("not on this machine" until its bytes are kept) and
 * erased with it. */
static int link_documents(struct phr_register *reg, int64_t record_row, const struct phr_entry *e)
{
	struct phr_document_ref refs[PHR_MAX_DOCUMENTS];
	size_t n = 0;
	int rc = phr_document_refs(e->content, e->content_len, refs, PHR_MAX_DOCUMENTS, &n);
	for (size_t i = 0; !rc && i < n; i++)
		rc = reg->store->ops->doc_link(reg->store, record_row, refs[i].hash);
	return rc;
}

/* Indexes one verified entry: a main-chain entry, or a side entry of a
 * merged record (idx the index it was signed with). An entry the register
 * holds already (by its hash, from an earlier version or the branch copy
 * it came from) is indexed again only when its sealed sections opened now. */
static int index_entry(struct phr_register *reg, int64_t record_row, const struct phr_entry *e,
		       const struct phr_entry_report *er, const json_t *content, size_t idx)
{
	int64_t row;
	int rc = reg->store->ops->entry_insert(reg->store, record_row, e->hash, idx, content_day(content),
					       er->have_signer ? er->clinic : "", er->have_signer ? er->country : "",
					       &row);
	if (rc)
		return rc;
	/* indexed with an earlier version (or this one) already: again
	 * when its sealed sections opened now, since they may not have
	 * then (filed without the key); else as it was */
	if (!row && e->sealed && e->seal_state == 1) {
		if ((rc = reg->store->ops->entry_reindex(reg->store, record_row, e->hash, &row)))
			return rc;
		if (row) {
			char rpath[PATH_MAX_LEN] = "";
			struct indexer rx = { .reg = reg, .entry_row = row };
			if ((rc = index_walk(&rx, phr_schema_root(), content, rpath, 0)))
				return rc;
		}
		return PHR_OK;
	}
	if (!row)
		return PHR_OK; /* indexed with an earlier version */
	char path[PATH_MAX_LEN] = "";
	struct indexer ix = { .reg = reg, .entry_row = row };
	if ((rc = index_walk(&ix, phr_schema_root(), content, path, 0)) || (rc = index_names(reg, row, content)) ||
	    (rc = link_documents(reg, record_row, e)))
		return rc;
	return PHR_OK;
}

/* The main chain's verified entries, then a merged record's verified
 * branch B entries (docs/REGISTER.md: both are searchable). */
static int index_entries(struct phr_register *reg, struct add_state *a, int64_t record_row)
{
	int rc;
	for (size_t i = 0; i < a->r->n_entries; i++) {
		if (!verified(a->rep->entries[i].status) || !a->contents[i])
			continue;
		if ((rc = index_entry(reg, record_row, &a->r->entries[i], &a->rep->entries[i], a->contents[i], i)))
			return phr_fail_wrap(rc, "entry %zu", i);
	}
	for (size_t j = 0; j < a->r->n_side && j < a->rep->n_side; j++) {
		const struct phr_entry *e = &a->r->side[j];
		if (!verified(a->rep->side[j].status) || !a->side_contents[j])
			continue;
		if ((rc = index_entry(reg, record_row, e, &a->rep->side[j], a->side_contents[j], (size_t)e->index)))
			return phr_fail_wrap(rc, "branch B entry %zu", (size_t)e->index);
	}
	return PHR_OK;
}

_Static_assert(PHR_FACTS_MAX_VISITS >= PHR_MAX_ENTRIES + PHR_MAX_SIDE_ENTRIES,
	       "a merged record's facts hold a visit per entry of both branches");

static const char *clinic_of(const struct phr_entry_report *er)
{
	return er->have_signer ? er->clinic : "";
}

/* The entries a record version's facts are made of, in out[] (their
 * clinics in clinics[]); returns how many. The main chain's verified
 * prefix; for a merged record also branch B's verified prefix (side
 * statuses fail from the first bad side entry on, and when a shared entry
 * fails). The entries after the fork point are interleaved by visit day,
 * each branch keeping its chain order (the main chain first on the same
 * day), so that "up to the last visit" in a report means what it says. */
static size_t facts_entries(const struct add_state *a, const json_t **out, const char **clinics)
{
	const struct phr_record *r = a->r;
	const struct phr_report *rep = a->rep;
	size_t k = 0, ks = 0, n = 0;
	while (k < r->n_entries && verified(rep->entries[k].status) && a->contents[k])
		k++;
	size_t fork = r->n_side && !r->side[0].content_err ? (size_t)r->side[0].index : k;
	if (fork > k)
		fork = k; /* a shared entry failed: branch B's entries failed with it */
	else
		while (ks < r->n_side && ks < rep->n_side && verified(rep->side[ks].status) && a->side_contents[ks])
			ks++;
	for (size_t i = 0; i < fork; i++) {
		out[n] = a->contents[i];
		clinics[n++] = clinic_of(&rep->entries[i]);
	}
	size_t i = fork, j = 0;
	while (i < k || j < ks) {
		if (j == ks || (i < k && content_day(a->contents[i]) <= content_day(a->side_contents[j]))) {
			out[n] = a->contents[i];
			clinics[n++] = clinic_of(&rep->entries[i++]);
		} else {
			out[n] = a->side_contents[j];
			clinics[n++] = clinic_of(&rep->side[j++]);
		}
	}
	return n;
}

int phr_register_add(struct phr_register *reg, const uint8_t *container, size_t len, const struct phr_trust *trust,
		     uint64_t now, const char *how, struct phr_register_added *out)
{
	return phr_register_add_key(reg, container, len, trust, now, how, NULL, out);
}

int phr_register_add_key(struct phr_register *reg, const uint8_t *container, size_t len,
			 const struct phr_trust *trust, uint64_t now, const char *how, const uint8_t *holder_key,
			 struct phr_register_added *out)
{
	struct add_state *a = calloc(1, sizeof(*a));
	int rc;
	memset(out, 0, sizeof(*out));
	if (!a)
		return phr_fail(PHR_E_NOMEM, "out of memory");
	if (!how || !*how) {
		rc = phr_fail(PHR_E_ARG, "register: say how the record was met");
		goto out;
	}
	if ((rc = phr_record_decode(container, len, &a->r)))
		goto out;
	struct phr_record *r = a->r;
	hex_of(r->id, PHR_RECORD_ID_LEN, out->record_hex);
	out->n_entries = r->n_entries;
	if ((rc = phr_record_version_id(r, a->vid)))
		goto out;
	hex_of(a->vid, PHR_VERSION_ID_LEN, out->version_hex);
	if (!(a->rep = calloc(1, sizeof(*a->rep)))) {
		rc = phr_fail(PHR_E_NOMEM, "out of memory");
		goto out;
	}
	(void)phr_verify_record(r, trust, now, a->rep);
	out->verify_err = phr_report_error(a->rep);
	for (size_t i = 0; i < a->rep->n; i++)
		out->failed |= !verified(a->rep->entries[i].status);
	/* Sealed sections: opened (after verification) only with the key; an
	 * entry that does not open keeps its clear content. */
	if (holder_key) {
		size_t closed;
		if ((rc = phr_record_unseal(r, holder_key, &closed)))
			goto out;
		/* a merged record: branch B's sealed entries too, as cli_unseal_key */
		if (r->n_side && (rc = phr_record_unseal_side(r, holder_key, &closed)))
			goto out;
	}
	for (size_t i = 0; i < r->n_entries + r->n_side; i++) {
		const struct phr_entry *e = i < r->n_entries ? &r->entries[i] : &r->side[i - r->n_entries];
		if (e->sealed) {
			if (e->seal_state == 1)
				out->sealed_opened++;
			else
				out->sealed_closed++;
		}
	}
	for (size_t i = 0; i < r->n_entries; i++) {
		const struct phr_entry *e = &r->entries[i];
		memcpy(a->hashes + i * PHR_HASH_LEN, e->hash, PHR_HASH_LEN);
		if (e->content && !e->content_err && phr_entry_decode_json(e->content, e->content_len, &a->contents[i]))
			a->contents[i] = NULL;
	}
	for (size_t j = 0; j < r->n_side; j++) {
		const struct phr_entry *e = &r->side[j];
		if (e->content && !e->content_err &&
		    phr_entry_decode_json(e->content, e->content_len, &a->side_contents[j]))
			a->side_contents[j] = NULL;
	}
	/* consent (phr/consent.h): none given at all, the register keeps what
	 * the clinic met */
	struct phr_consent consent;
	(void)phr_consent_of(r, a->rep, a->contents, a->side_contents, &consent);
	if (consent.any && !consent.store) {
		out->consent_entry = consent.entry;
		rc = phr_fail(PHR_E_CONSENT, "record %s: the consent of entry %zu says store: false: verified, not stored",
			      out->record_hex, out->consent_entry);
		goto out;
	}
	if ((rc = report_json(r, a->rep, trust, &a->report_json)))
		goto out;
	/* Facts of the verified prefix (statuses fail from the first bad entry
	 * on), with a merged record's branch B among them (facts_entries). */
	const json_t *fc[PHR_FACTS_MAX_VISITS];
	const char *clinics[PHR_FACTS_MAX_VISITS];
	size_t k = facts_entries(a, fc, clinics);
	a->first_day = 1; /* an empty interval: no report counts it */
	a->last_day = 0;
	a->facts_len = 0;
	if (k && (rc = phr_facts_from_entries(fc, clinics, k, a->facts, sizeof(a->facts), &a->facts_len,
					      &a->first_day, &a->last_day)))
		goto out;

	struct phr_store *s = reg->store;
	int64_t at = now_of(reg), record_row = 0, version_row = 0;
	if ((rc = s->ops->begin(s)))
		goto out;
	if ((rc = s->ops->record_find(s, r->id, &record_row)))
		goto rollback;
	if (!record_row) {
		if ((rc = s->ops->record_insert(s, r->id, at, &record_row)))
			goto rollback;
		out->new_record = true;
	} else if ((rc = s->ops->versions_each(s, record_row, collect_version, &a->stored))) {
		goto rollback;
	}
	size_t n = r->n_entries;
	/* a stored merged version that joined this copy's branch, and the
	 * versions this copy forks from: a fork that merged version resolved
	 * (its partner is an older copy of the merged main chain) is not one */
	const struct phr_store_version *joined = NULL;
	for (size_t i = 0; i < a->stored.n; i++) {
		const struct phr_store_version *v = &a->stored.s[i].v;
		if (!memcmp(v->version_id, a->vid, PHR_VERSION_ID_LEN)) {
			version_row = v->row;
			continue;
		}
		size_t c = common_prefix(a->hashes, n, v->hashes, v->n_entries);
		if (c == n && n < v->n_entries) {
			if (!out->older || v->n_entries > out->newer_entries) {
				out->older = true;
				out->newer_entries = v->n_entries;
				hex_of(v->version_id, PHR_VERSION_ID_LEN, out->newer_hex);
			}
		} else if (c < n && c < v->n_entries && !r->n_side && stored_merge_holds(s, v, a->hashes, n)) {
			/* a branch the stored merged version joined: an older copy of it */
			joined = v;
			if (!out->older || v->n_entries > out->newer_entries) {
				out->older = true;
				out->newer_entries = v->n_entries;
				hex_of(v->version_id, PHR_VERSION_ID_LEN, out->newer_hex);
			}
		}
	}
	for (size_t i = 0; i < a->stored.n && !out->fork; i++) {
		const struct phr_store_version *v = &a->stored.s[i].v;
		size_t c = common_prefix(a->hashes, n, v->hashes, v->n_entries);
		if (!(c < n && c < v->n_entries) || merged_branch(r, v) || v == joined ||
		    (joined && !r->n_side && stored_merge_holds(s, v, a->hashes, n)))
			continue;
		if (joined && common_prefix(v->hashes, v->n_entries, joined->hashes, joined->n_entries) == v->n_entries)
			continue; /* resolved by the merged version */
		if (merge_after_joined(s, &a->stored, a->hashes, n, v))
			continue; /* this copy is older than a merged version that joined v */
		out->fork = true;
		out->fork_common = c;
		hex_of(v->version_id, PHR_VERSION_ID_LEN, out->fork_hex);
	}
	if (!version_row) {
		struct phr_store_version nv = { .n_entries = n, .hashes = a->hashes, .stored_at = at };
		memcpy(nv.version_id, a->vid, PHR_VERSION_ID_LEN);
		if ((rc = s->ops->version_insert(s, record_row, &nv, container, len, a->facts, a->facts_len, a->first_day,
						 a->last_day, &version_row)) ||
		    (rc = index_entries(reg, a, record_row)))
			goto rollback;
		out->new_version = true;
	} else if (out->sealed_opened && (rc = index_entries(reg, a, record_row))) {
		goto rollback; /* the same version again, with the key: its sealed sections indexed now */
	}
	if ((rc = s->ops->sighting_insert(s, version_row, at, how, reg->who, a->report_json,
					  trust ? phr_trust_version(trust) : 0)))
		goto rollback;
	char detail[400];
	snprintf(detail, sizeof(detail), "%s: version %s, %zu entr%s, %s%s%s%s%s; %s", how, out->version_hex, n,
		 n == 1 ? "y" : "ies", out->new_version ? "new version" : "seen again", out->older ? "; older copy, newer: " : "",
		 out->older ? out->newer_hex : "", out->fork ? "; fork with " : "", out->fork ? out->fork_hex : "",
		 out->failed ? phr_strerror(out->verify_err)
		 : out->verify_err == PHR_OK ? "all valid"
					     : "signatures and chain valid, signers not checked (no trust bundle)");
	if ((rc = s->ops->audit_insert(s, at, reg->who, "add", out->record_hex, detail)) || (rc = s->ops->commit(s)))
		goto rollback;
	rc = PHR_OK;
	goto out;
rollback:
	s->ops->rollback(s);
out:
	add_state_free(a);
	free(a);
	return rc;
}

int phr_register_begin(struct phr_register *reg)
{
	if (reg->batch)
		return phr_fail(PHR_E_ARG, "register: a batch is open already");
	int rc = reg->store->ops->begin(reg->store);
	if (!rc)
		reg->batch = true;
	return rc;
}

int phr_register_commit(struct phr_register *reg)
{
	if (!reg->batch)
		return phr_fail(PHR_E_ARG, "register: no batch is open");
	reg->batch = false;
	int rc = reg->store->ops->commit(reg->store);
	if (rc)
		reg->store->ops->rollback(reg->store);
	return rc;
}

void phr_register_rollback(struct phr_register *reg)
{
	if (!reg->batch)
		return;
	reg->batch = false;
	reg->store->ops->rollback(reg->store);
}

/* ---- looking up ----------------------------------------------------------- */

static int lower_hex(const char *in, char *out, size_t cap)
{
	size_t n = in ? strlen(in) : 0;
	if (n == 0 || n > 2 * PHR_RECORD_ID_LEN || n >= cap)
		return phr_fail(PHR_E_ARG, "a record id is 1 to %d hex digits", 2 * PHR_RECORD_ID_LEN);
	for (size_t i = 0; i < n; i++) {
		if (!isxdigit((unsigned char)in[i]))
			return phr_fail(PHR_E_ARG, "a record id is hex digits (0-9, a-f), not '%c'",
					isprint((unsigned char)in[i]) ? in[i] : '?');
		out[i] = (char)tolower((unsigned char)in[i]);
	}
	out[n] = '\0';
	return PHR_OK;
}

int phr_register_resolve(struct phr_register *reg, const char *hex_prefix, uint8_t id[PHR_RECORD_ID_LEN])
{
	char p[2 * PHR_RECORD_ID_LEN + 1];
	int rc = lower_hex(hex_prefix, p, sizeof(p));
	if (rc)
		return rc;
	return reg->store->ops->record_resolve(reg->store, p, id);
}

static int record_row_of(struct phr_register *reg, const uint8_t id[PHR_RECORD_ID_LEN], int64_t *row)
{
	int rc = reg->store->ops->record_find(reg->store, id, row);
	if (rc)
		return rc;
	if (!*row) {
		char hex[33];
		hex_of(id, PHR_RECORD_ID_LEN, hex);
		return phr_fail(PHR_E_NOT_STORED, "the register holds no record %s (never stored, or forgotten)", hex);
	}
	return PHR_OK;
}

int phr_register_latest(struct phr_register *reg, const uint8_t id[PHR_RECORD_ID_LEN], uint8_t **container, size_t *len)
{
	int64_t row;
	*container = NULL;
	*len = 0;
	int rc = record_row_of(reg, id, &row);
	return rc ? rc : reg->store->ops->latest(reg->store, row, container, len);
}

int phr_register_each_version(struct phr_register *reg, const uint8_t id[PHR_RECORD_ID_LEN],
			      int (*cb)(void *ctx, const struct phr_register_version *v), void *ctx)
{
	int64_t row;
	struct stored_list l = { 0 };
	int rc = record_row_of(reg, id, &row);
	if (rc || (rc = reg->store->ops->versions_each(reg->store, row, collect_version, &l))) {
		stored_free(&l);
		return rc;
	}
	/* the stored merged versions, decoded; only read when some versions fork */
	struct phr_record **merged = NULL;
	bool forks = false;
	for (size_t i = 0; i < l.n && !forks; i++)
		for (size_t j = i + 1; j < l.n && !forks; j++) {
			size_t c = common_prefix(l.s[i].v.hashes, l.s[i].v.n_entries, l.s[j].v.hashes, l.s[j].v.n_entries);
			forks = c < l.s[i].v.n_entries && c < l.s[j].v.n_entries;
		}
	if (forks && !(merged = calloc(l.n, sizeof(*merged))))
		rc = phr_fail(PHR_E_NOMEM, "out of memory");
	for (size_t i = 0; merged && i < l.n && !rc; i++) {
		uint8_t *c = NULL;
		size_t len = 0;
		if ((rc = reg->store->ops->version_container(reg->store, l.s[i].v.row, &c, &len)) == PHR_OK && len > 0 &&
		    c[0] == PHR_CONTAINER_VERSION_MERGED && phr_record_decode(c, len, &merged[i]) != PHR_OK)
			merged[i] = NULL; /* not readable as a merged record: joins nothing */
		free(c);
	}
	for (size_t i = 0; i < l.n && !rc; i++) {
		const struct phr_store_version *v = &l.s[i].v;
		struct phr_register_version pv = { .n_entries = v->n_entries, .latest = v->latest, .stored_at = v->stored_at,
						   .merged = merged && merged[i] };
		hex_of(v->version_id, PHR_VERSION_ID_LEN, pv.version_hex);
		for (size_t j = 0; j < l.n; j++) {
			const struct phr_store_version *o = &l.s[j].v;
			if (i == j)
				continue;
			size_t c = common_prefix(v->hashes, v->n_entries, o->hashes, o->n_entries);
			if (c == v->n_entries && c < o->n_entries) {
				pv.older = true;
			} else if (c < v->n_entries && c < o->n_entries) {
				/* a fork a stored merged version joined (it holds both) is resolved */
				size_t m = 0;
				while (merged && m < l.n &&
				       !(merged[m] && merge_holds(merged[m], &l.s[m].v, v) && merge_holds(merged[m], &l.s[m].v, o)))
					m++;
				if (!merged || m == l.n) {
					pv.fork = true;
				} else if (m != i && !pv.merged_into) {
					pv.merged_into = true;
					hex_of(l.s[m].v.version_id, PHR_VERSION_ID_LEN, pv.merged_into_hex);
				}
			}
		}
		rc = cb(ctx, &pv);
	}
	for (size_t i = 0; merged && i < l.n; i++)
		phr_record_destroy(merged[i]);
	free(merged);
	stored_free(&l);
	return rc;
}

int phr_register_version_container(struct phr_register *reg, const uint8_t id[PHR_RECORD_ID_LEN],
				   const char *version_hex, uint8_t **container, size_t *len)
{
	int64_t row, vrow = 0;
	struct stored_list l = { 0 };
	*container = NULL;
	*len = 0;
	int rc = record_row_of(reg, id, &row);
	if (rc || (rc = reg->store->ops->versions_each(reg->store, row, collect_version, &l))) {
		stored_free(&l);
		return rc;
	}
	for (size_t i = 0; i < l.n; i++) {
		char hex[PHR_VERSION_ID_HEX_LEN];
		hex_of(l.s[i].v.version_id, PHR_VERSION_ID_LEN, hex);
		if (version_hex && !strcmp(hex, version_hex))
			vrow = l.s[i].v.row;
	}
	stored_free(&l);
	if (!vrow)
		return phr_fail(PHR_E_NOT_STORED, "the register holds no version %.16s... of this record",
				version_hex ? version_hex : "");
	return reg->store->ops->version_container(reg->store, vrow, container, len);
}

int phr_register_each_sighting(struct phr_register *reg, const uint8_t id[PHR_RECORD_ID_LEN],
			       int (*cb)(void *ctx, const struct phr_register_sighting *s), void *ctx)
{
	int64_t row;
	int rc = record_row_of(reg, id, &row);
	return rc ? rc : reg->store->ops->sightings_each(reg->store, row, cb, ctx);
}

int phr_register_each_facts(struct phr_register *reg, int64_t from_day, int64_t to_day,
			    int (*cb)(void *ctx, const uint8_t *facts, size_t len), void *ctx)
{
	return reg->store->ops->facts_each(reg->store, from_day, to_day, cb, ctx);
}

/* ---- find ------------------------------------------------------------------ */

struct hits {
	const char *query_name;
	struct phr_register_hit *h;
	size_t n, cap;
};

static int collect_hit(void *ctx, const struct phr_store_hit *sh)
{
	struct hits *l = ctx;
	struct phr_register_hit h = { 0 };
	hex_of(sh->record_id, PHR_RECORD_ID_LEN, h.record_hex);
	snprintf(h.born, sizeof(h.born), "%s", sh->born);
	snprintf(h.sex, sizeof(h.sex), "%s", sh->sex);
	snprintf(h.nationality, sizeof(h.nationality), "%s", sh->nationality);
	h.n_versions = sh->n_versions;
	h.last_seen = sh->last_seen;
	/* Names are joined by U+001F, which text fields never hold. */
	const char *p = sh->names;
	while (p && *p) {
		const char *end = strchr(p, '\x1f');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char name[PHR_REG_NAME_MAX], why[PHR_REG_WHY_MAX] = "";
		snprintf(name, sizeof(name), "%.*s", (int)len, p);
		int rank = l->query_name ? (int)phr_name_rank(l->query_name, name, why, sizeof(why)) : 0;
		if (!h.name[0] || rank > h.rank) {
			h.rank = rank;
			snprintf(h.name, sizeof(h.name), "%s", name);
			snprintf(h.why, sizeof(h.why), "%s", why);
		}
		p = end ? end + 1 : NULL;
	}
	if (l->query_name && h.rank == PHR_NAME_NONE)
		return 0; /* shares keys, yet does not match when compared whole */
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 32;
		struct phr_register_hit *nh = realloc(l->h, cap * sizeof(*nh));
		if (!nh)
			return phr_fail(PHR_E_NOMEM, "out of memory");
		l->h = nh;
		l->cap = cap;
	}
	l->h[l->n++] = h;
	return 0;
}

/* The store's rank callback: the best rank of a candidate's names. */
static int rank_names(void *ctx, const char *names)
{
	const struct hits *l = ctx;
	int best = PHR_NAME_NONE;
	char name[PHR_REG_NAME_MAX];
	for (const char *p = names; p && *p && best < PHR_NAME_EXACT;) {
		const char *end = strchr(p, '\x1f');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		snprintf(name, sizeof(name), "%.*s", (int)len, p);
		int rank = (int)phr_name_rank(l->query_name, name, NULL, 0);
		best = rank > best ? rank : best;
		p = end ? end + 1 : NULL;
	}
	return best;
}

static int hit_order(const void *pa, const void *pb)
{
	const struct phr_register_hit *a = pa, *b = pb;
	if (a->rank != b->rank)
		return a->rank > b->rank ? -1 : 1;
	if (a->last_seen != b->last_seen)
		return a->last_seen > b->last_seen ? -1 : 1;
	return strcmp(a->record_hex, b->record_hex);
}

static int check_query(const struct phr_register_query *q, struct phr_store_query *sq, char *nat, char *prefix,
		       size_t prefix_cap, char *asked, size_t asked_cap)
{
	int rc;
	int64_t d;
	memset(sq, 0, sizeof(*sq));
	asked[0] = '\0';
#define ASKED(w) (void)snprintf(asked + strlen(asked), asked_cap - strlen(asked), "%s%s", *asked ? "," : "", w)
	if (q->born) {
		if (date_first_day(q->born, &d))
			return phr_fail(PHR_E_ARG, "--born: '%s' is not YYYY, YYYY-MM or YYYY-MM-DD", q->born);
		sq->born = q->born;
		ASKED("born");
	}
	if (q->sex) {
		static const char *const sexes[] = { "female", "male", "other", "unknown" };
		bool ok = false;
		for (size_t i = 0; i < 4; i++)
			ok |= !strcmp(q->sex, sexes[i]);
		if (!ok)
			return phr_fail(PHR_E_ARG, "--sex is female, male, other or unknown");
		sq->sex = q->sex;
		ASKED("sex");
	}
	if (q->nationality) {
		if (strlen(q->nationality) != 2 || !isalpha((unsigned char)q->nationality[0]) ||
		    !isalpha((unsigned char)q->nationality[1]))
			return phr_fail(PHR_E_ARG, "--nationality is a two-letter country code (ISO 3166-1)");
		nat[0] = (char)toupper((unsigned char)q->nationality[0]);
		nat[1] = (char)toupper((unsigned char)q->nationality[1]);
		nat[2] = '\0';
		sq->nationality = nat;
		ASKED("nationality");
	}
	if (q->arrived) {
		if (q->arrived_from > q->arrived_to)
			return phr_fail(PHR_E_ARG, "--arrived: the range ends before it starts");
		sq->arrived = true;
		sq->arrived_from = q->arrived_from;
		sq->arrived_to = q->arrived_to;
		ASKED("arrived");
	}
	if (q->visited) {
		if (q->visited_from > q->visited_to)
			return phr_fail(PHR_E_ARG, "--visited: the range ends before it starts");
		sq->visited = true;
		sq->visited_from = q->visited_from;
		sq->visited_to = q->visited_to;
		ASKED("visited");
	}
	if (q->code) {
		const char *colon = strchr(q->code, ':');
		int sys = colon ? phr_code_system_id(q->code, (size_t)(colon - q->code)) : 0;
		if (!sys)
			return phr_fail(PHR_E_CODE_SYSTEM, "--code is SYSTEM:CODE with SYSTEM icd11, icd10, atc, loinc or snomed");
		if ((rc = phr_code_check(sys, colon + 1, strlen(colon + 1))))
			return phr_fail_wrap(rc, "--code");
		sq->code = q->code;
		ASKED("code");
	}
	if (q->clinic) {
		if (!*q->clinic)
			return phr_fail(PHR_E_ARG, "--clinic is part of a clinic's name");
		sq->clinic = q->clinic;
		ASKED("clinic");
	}
	if (q->record) {
		if ((rc = lower_hex(q->record, prefix, prefix_cap)))
			return rc;
		sq->record_prefix = prefix;
		ASKED("record");
	}
	if (q->field_path || q->field_value) {
		if (!q->field_path || !q->field_value || !*q->field_path)
			return phr_fail(PHR_E_ARG, "a field search needs a path and a value");
		sq->field_path = q->field_path;
		sq->field_value = q->field_value;
		ASKED("field");
	}
	if (q->name)
		ASKED("name");
#undef ASKED
	if (!*asked)
		return phr_fail(PHR_E_ARG, "say what to search for (a name, a date of birth, a code...)");
	return PHR_OK;
}

int phr_register_find(struct phr_register *reg, const struct phr_register_query *q,
		      int (*cb)(void *ctx, const struct phr_register_hit *h), void *ctx)
{
	struct phr_store_query sq;
	char nat[3], prefix[2 * PHR_RECORD_ID_LEN + 1], asked[128];
	struct phr_name_keys keys;
	const char *kp[PHR_NAME_MAX_KEYS];
	int rc = check_query(q, &sq, nat, prefix, sizeof(prefix), asked, sizeof(asked));
	if (rc)
		return rc;
	if (q->name) {
		if ((rc = phr_name_query_keys(q->name, &keys)))
			return phr_fail_wrap(rc, "--name");
		if (!keys.n)
			return phr_fail(PHR_E_ARG, "--name: no letters to search for");
		for (size_t i = 0; i < keys.n; i++)
			kp[i] = keys.key[i];
		sq.keys = kp;
		sq.n_keys = keys.n;
		sq.need = keys.need ? keys.need : 1;
		sq.key_words = keys.words;
		sq.need_words = keys.need_words;
	}
	struct hits l = { .query_name = q->name };
	/* Every name candidate is ranked (rank_names) before the store keeps
	 * the best PHR_REG_MAX_HITS; collect_hit ranks those again to say why. */
	if (q->name) {
		sq.rank = rank_names;
		sq.rank_ctx = &l;
	}
	rc = reg->store->ops->find(reg->store, &sq, PHR_REG_MAX_HITS, collect_hit, &l);
	if (!rc) {
		if (l.n)
			qsort(l.h, l.n, sizeof(*l.h), hit_order);
		if (l.n > PHR_REG_MAX_HITS)
			l.n = PHR_REG_MAX_HITS;
		char detail[200];
		snprintf(detail, sizeof(detail), "by %s: %zu record%s", asked, l.n, l.n == 1 ? "" : "s");
		rc = phr_register_audit_log(reg, "find", NULL, detail);
	}
	for (size_t i = 0; !rc && i < l.n; i++)
		rc = cb(ctx, &l.h[i]);
	free(l.h);
	return rc;
}

/* ---- documents -------------------------------------------------------------- */

int phr_register_put_document(struct phr_register *reg, const uint8_t hash[PHR_HASH_LEN], const char *media_type,
			      const uint8_t *bytes, size_t len)
{
	uint8_t h[PHR_HASH_LEN];
	size_t mlen = media_type ? strlen(media_type) : 0;
	if (!mlen || mlen >= PHR_REG_MEDIA_TYPE_MAX)
		return phr_fail(PHR_E_ARG, "a document's media type is 1 to %d characters", PHR_REG_MEDIA_TYPE_MAX - 1);
	for (size_t i = 0; i < mlen; i++)
		if (media_type[i] <= ' ' || media_type[i] > '~')
			return phr_fail(PHR_E_ARG, "a document's media type is printable ASCII without spaces");
	if (len > PHR_REG_MAX_DOCUMENT)
		return phr_fail(PHR_E_LIMIT, "a document is at most %u bytes; this one has %zu", PHR_REG_MAX_DOCUMENT, len);
	if (!bytes && len)
		return phr_fail(PHR_E_ARG, "no document bytes");
	crypto_generichash(h, sizeof(h), bytes, len, NULL, 0);
	if (sodium_memcmp(h, hash, PHR_HASH_LEN))
		return phr_fail(PHR_E_DOC_MISMATCH, "the document's bytes do not hash (BLAKE2b-256) to the hash given");
	int rc = reg->store->ops->doc_put(reg->store, hash, media_type, bytes, len, now_of(reg));
	if (!rc) {
		char hex[2 * PHR_HASH_LEN + 1], detail[200];
		hex_of(hash, PHR_HASH_LEN, hex);
		snprintf(detail, sizeof(detail), "document %s (%s, %zu bytes)", hex, media_type, len);
		rc = phr_register_audit_log(reg, "document", NULL, detail);
	}
	return rc;
}

int phr_register_get_document(struct phr_register *reg, const uint8_t hash[PHR_HASH_LEN],
			      char media_type[PHR_REG_MEDIA_TYPE_MAX], uint8_t **bytes, size_t *len)
{
	uint8_t h[PHR_HASH_LEN];
	int rc = reg->store->ops->doc_get(reg->store, hash, media_type, bytes, len);
	if (rc)
		return rc;
	crypto_generichash(h, sizeof(h), *bytes, *len, NULL, 0);
	if (sodium_memcmp(h, hash, PHR_HASH_LEN)) {
		free(*bytes);
		*bytes = NULL;
		*len = 0;
		return phr_fail(PHR_E_DOC_MISMATCH, "the document kept no longer matches its hash (the file is damaged)");
	}
	return PHR_OK;
}

int phr_register_link_document(struct phr_register *reg, const uint8_t id[PHR_RECORD_ID_LEN],
			       const uint8_t hash[PHR_HASH_LEN])
{
	int64_t row;
	int rc = record_row_of(reg, id, &row);
	return rc ? rc : reg->store->ops->doc_link(reg->store, row, hash);
}

int phr_register_each_document(struct phr_register *reg, const uint8_t id[PHR_RECORD_ID_LEN],
			       int (*cb)(void *ctx, const struct phr_register_document *d), void *ctx)
{
	int64_t row;
	int rc = record_row_of(reg, id, &row);
	return rc ? rc : reg->store->ops->docs_each(reg->store, row, cb, ctx);
}

/* ---- forget, check ------------------------------------------------------------ */

int phr_register_forget(struct phr_register *reg, const uint8_t id[PHR_RECORD_ID_LEN])
{
	struct phr_store *s = reg->store;
	char hex[33];
	int64_t row;
	int rc;
	hex_of(id, PHR_RECORD_ID_LEN, hex);
	if (reg->batch) /* the purge (VACUUM) cannot run inside a transaction */
		return phr_fail(PHR_E_ARG, "register: forget cannot run inside a batch; commit it first");
	if ((rc = s->ops->begin(s)))
		return rc;
	if ((rc = record_row_of(reg, id, &row)) || (rc = s->ops->forget(s, row, hex)) ||
	    (rc = s->ops->audit_insert(s, now_of(reg), reg->who, "forget", NULL,
				       "a record erased with its versions, sightings, index rows and documents")) ||
	    (rc = s->ops->commit(s))) {
		s->ops->rollback(s);
		return rc;
	}
	return s->ops->purge(s);
}

struct checker {
	void (*cb)(void *ctx, const char *problem);
	void *ctx;
	size_t problems;
};

static void problem(struct checker *c, const char *line)
{
	c->problems++;
	if (c->cb)
		c->cb(c->ctx, line);
}

static int check_container(void *ctx, const uint8_t vid[PHR_VERSION_ID_LEN], const uint8_t *b, size_t len)
{
	struct checker *c = ctx;
	struct phr_record *r;
	char hex[PHR_VERSION_ID_HEX_LEN], line[400];
	uint8_t got[PHR_VERSION_ID_LEN];
	hex_of(vid, PHR_VERSION_ID_LEN, hex);
	if (phr_record_decode(b, len, &r)) {
		snprintf(line, sizeof(line), "version %s: its container no longer decodes: %s", hex, phr_last_error());
		problem(c, line);
		return 0;
	}
	if (phr_record_version_id(r, got) || memcmp(got, vid, PHR_VERSION_ID_LEN)) {
		snprintf(line, sizeof(line), "version %s: its container holds another version", hex);
		problem(c, line);
	}
	phr_record_destroy(r);
	return 0;
}

static int check_document(void *ctx, const uint8_t hash[PHR_HASH_LEN], const uint8_t *b, size_t len)
{
	struct checker *c = ctx;
	uint8_t h[PHR_HASH_LEN];
	crypto_generichash(h, sizeof(h), b, len, NULL, 0);
	if (sodium_memcmp(h, hash, PHR_HASH_LEN)) {
		char hex[2 * PHR_HASH_LEN + 1], line[200];
		hex_of(hash, PHR_HASH_LEN, hex);
		snprintf(line, sizeof(line), "document %s: its bytes no longer match its hash", hex);
		problem(c, line);
	}
	return 0;
}

int phr_register_check(struct phr_register *reg, void (*cb)(void *ctx, const char *problem), void *ctx)
{
	struct checker c = { .cb = cb, .ctx = ctx };
	struct phr_store *s = reg->store;
	int rc;
	if ((rc = s->ops->check_storage(s, cb, ctx, &c.problems)))
		return rc;
	if (c.problems)
		return phr_fail(PHR_E_DB_CORRUPT, "register: the file is damaged (%zu problem%s)", c.problems,
				c.problems == 1 ? "" : "s");
	if ((rc = s->ops->containers_each(s, check_container, &c)) || (rc = s->ops->documents_all(s, check_document, &c)))
		return rc;
	char detail[80] = "ok";
	if (c.problems)
		snprintf(detail, sizeof(detail), "%zu problem%s", c.problems, c.problems == 1 ? "" : "s");
	if ((rc = phr_register_audit_log(reg, "check", NULL, detail)) && rc != PHR_E_DB_BUSY)
		return rc;
	if (c.problems)
		return phr_fail(PHR_E_DB_CORRUPT, "register: %zu stored item%s no longer match%s what was stored",
				c.problems, c.problems == 1 ? "" : "s", c.problems == 1 ? "es" : "");
	return PHR_OK;
}

/* ---- staff accounts ------------------------------------------------------ */

const char *phr_role_name(int role)
{
	switch (role) {
	case PHR_ROLE_CLERK: return "clerk";
	case PHR_ROLE_CLINICIAN: return "clinician";
	case PHR_ROLE_ADMIN: return "admin";
	default: return "none";
	}
}

int phr_role_parse(const char *name)
{
	if (!name)
		return PHR_ROLE_NONE;
	if (!strcmp(name, "clerk"))
		return PHR_ROLE_CLERK;
	if (!strcmp(name, "clinician"))
		return PHR_ROLE_CLINICIAN;
	if (!strcmp(name, "admin"))
		return PHR_ROLE_ADMIN;
	return PHR_ROLE_NONE;
}

void phr_register_set_who(struct phr_register *reg, const char *who)
{
	if (!who) {
		phr_register_who(reg->who);
		return;
	}
	phr_text_sanitize(reg->who, sizeof(reg->who), who, strlen(who));
}

static int user_name_ok(const char *name)
{
	size_t n = name ? strlen(name) : 0;
	if (n == 0 || n > PHR_REG_USER_NAME_MAX)
		return phr_fail(PHR_E_ARG, "a staff name is 1 to %d bytes", PHR_REG_USER_NAME_MAX);
	if (name[0] == ' ' || name[n - 1] == ' ')
		return phr_fail(PHR_E_ARG, "a staff name neither starts nor ends with a space");
	return phr_text_check(name, n, "staff name") ? PHR_E_ARG : PHR_OK;
}

/* Characters (not bytes) of UTF-8 text. */
static size_t utf8_chars(const char *s, size_t n)
{
	size_t c = 0;
	for (size_t i = 0; i < n; i++)
		c += ((unsigned char)s[i] & 0xC0) != 0x80;
	return c;
}

static int hash_password(const char *password, size_t len, char out[crypto_pwhash_STRBYTES])
{
	if (!password || len > PHR_REG_PASSWORD_MAX || utf8_chars(password, len) < PHR_REG_PASSWORD_MIN)
		return phr_fail(PHR_E_ARG, "a staff password has %d to %d characters", PHR_REG_PASSWORD_MIN,
				PHR_REG_PASSWORD_MAX);
	if (crypto_pwhash_str(out, password, len, crypto_pwhash_OPSLIMIT_INTERACTIVE,
			      crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
		return phr_fail(PHR_E_NOMEM, "out of memory hashing a password (Argon2id needs 64 MiB)");
	return PHR_OK;
}

int phr_register_user_add(struct phr_register *reg, const char *name, int role, const char *password,
			  size_t password_len)
{
	char hash[crypto_pwhash_STRBYTES], detail[PHR_REG_USER_NAME_MAX + 40];
	int rc;
	if ((rc = user_name_ok(name)))
		return rc;
	if (role < PHR_ROLE_CLERK || role > PHR_ROLE_ADMIN)
		return phr_fail(PHR_E_ARG, "a role is clerk, clinician or admin");
	if ((rc = hash_password(password, password_len, hash)))
		return rc;
	struct phr_store *s = reg->store;
	snprintf(detail, sizeof(detail), "added %s as %s", name, phr_role_name(role));
	if ((rc = s->ops->begin(s)))
		goto out;
	if ((rc = s->ops->user_insert(s, name, role, hash, now_of(reg))) ||
	    (rc = s->ops->audit_insert(s, now_of(reg), reg->who, "user", NULL, detail)) || (rc = s->ops->commit(s)))
		s->ops->rollback(s);
out:
	sodium_memzero(hash, sizeof(hash));
	return rc;
}

int phr_register_user_set(struct phr_register *reg, const char *name, int role, const char *password,
			  size_t password_len, int disabled)
{
	char hash[crypto_pwhash_STRBYTES], detail[PHR_REG_USER_NAME_MAX + 80];
	int rc;
	if ((rc = user_name_ok(name)))
		return rc;
	if (role < PHR_ROLE_NONE || role > PHR_ROLE_ADMIN || disabled < -1 || disabled > 1)
		return phr_fail(PHR_E_ARG, "a role is clerk, clinician or admin");
	if (password && (rc = hash_password(password, password_len, hash)))
		return rc;
	snprintf(detail, sizeof(detail), "changed %s:%s%s%s%s%s", name, role ? " role " : "",
		 role ? phr_role_name(role) : "", password ? " password" : "",
		 disabled == 1 ? " disabled" : "", disabled == 0 ? " enabled" : "");
	struct phr_store *s = reg->store;
	if ((rc = s->ops->begin(s)))
		goto out;
	if ((rc = s->ops->user_update(s, name, role, password ? hash : NULL, disabled)) ||
	    (rc = s->ops->audit_insert(s, now_of(reg), reg->who, "user", NULL, detail)) || (rc = s->ops->commit(s)))
		s->ops->rollback(s);
out:
	sodium_memzero(hash, sizeof(hash));
	return rc;
}

/* An unknown name is checked against a hash of a password no one has, so
 * that it takes as long as a known one. */
static char dummy_hash[crypto_pwhash_STRBYTES];
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;

static void make_dummy_hash(void)
{
	if (crypto_pwhash_str(dummy_hash, "-", 1, crypto_pwhash_OPSLIMIT_INTERACTIVE,
			      crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
		dummy_hash[0] = '\0';
}

int phr_register_user_check(struct phr_register *reg, const char *name, const char *password, size_t password_len,
			    int *role)
{
	const char *dummy = dummy_hash;
	char hash[crypto_pwhash_STRBYTES];
	bool disabled = true;
	int r = PHR_ROLE_NONE, rc;
	*role = PHR_ROLE_NONE;
	pthread_once(&dummy_once, make_dummy_hash);
	if (!dummy[0])
		return phr_fail(PHR_E_NOMEM, "out of memory hashing a password");
	if (!name || !password || password_len > PHR_REG_PASSWORD_MAX || strlen(name) > PHR_REG_USER_NAME_MAX)
		return phr_fail(PHR_E_AUTH, "wrong name or password");
	rc = reg->store->ops->user_get(reg->store, name, &r, &disabled, hash, sizeof(hash));
	if (rc && rc != PHR_E_NOT_FOUND)
		return rc;
	bool known = rc == PHR_OK;
	bool match = crypto_pwhash_str_verify(known ? hash : dummy, password, password_len) == 0;
	sodium_memzero(hash, sizeof(hash));
	if (!known || !match || disabled)
		return phr_fail(PHR_E_AUTH, "wrong name or password");
	*role = r;
	return PHR_OK;
}

int phr_register_user_each(struct phr_register *reg, int (*cb)(void *ctx, const struct phr_register_user *u),
			   void *ctx)
{
	return reg->store->ops->users_each(reg->store, cb, ctx);
}
