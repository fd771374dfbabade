/* The bodies of POST /v1/changes (docs/HUB.md "Changes since a cursor"):
 * the clinic's request {"cursor": N, "records": [ID, ...]} and the hub's
 * answer {"cursor": N, "changed": [ID, ...]}, IDs 32 lowercase hex digits,
 * at most HUB_MAX_CHANGES of them. Both come from outside the program that
 * reads them (fuzz target tests/fuzz/fuzz_hubchanges.c). */
#include "hub.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

int hub_changes_parse(const uint8_t *body, size_t len, const char *list, struct hub_changes *out)
{
	memset(out, 0, sizeof(*out));
	if (len > HUB_MAX_CHANGES_BODY)
		return phr_fail(PHR_E_LIMIT, "changes: the body is over %u bytes", (unsigned)HUB_MAX_CHANGES_BODY);
	json_error_t e;
	json_t *j = json_loadb((const char *)body, len, JSON_REJECT_DUPLICATES, &e);
	if (!j || !json_is_object(j)) {
		json_decref(j);
		return phr_fail(PHR_E_JSON, "changes: not a JSON object");
	}
	int rc = PHR_OK;
	json_t *c = json_object_get(j, "cursor"), *a = json_object_get(j, list);
	if (!json_is_integer(c) || json_integer_value(c) < 0) {
		rc = phr_fail(PHR_E_SCHEMA, "changes: \"cursor\" is an integer, 0 or more");
		goto out;
	}
	out->cursor = (int64_t)json_integer_value(c);
	if (!json_is_array(a)) {
		rc = phr_fail(PHR_E_SCHEMA, "changes: \"%s\" is an array of record ids", list);
		goto out;
	}
	if (json_array_size(a) > HUB_MAX_CHANGES) {
		rc = phr_fail(PHR_E_LIMIT, "changes: more than %d record ids", HUB_MAX_CHANGES);
		goto out;
	}
	size_t i;
	json_t *v;
	json_array_foreach(a, i, v) {
		const char *s = json_string_value(v);
		size_t got = 0;
		bool hex = s && strlen(s) == 2 * PHR_RECORD_ID_LEN;
		for (size_t k = 0; hex && k < 2 * PHR_RECORD_ID_LEN; k++)
			hex = (s[k] >= '0' && s[k] <= '9') || (s[k] >= 'a' && s[k] <= 'f');
		if (!hex || sodium_hex2bin(out->ids[out->n], PHR_RECORD_ID_LEN, s, 2 * PHR_RECORD_ID_LEN, NULL, &got,
					   NULL) || got != PHR_RECORD_ID_LEN) {
			rc = phr_fail(PHR_E_SCHEMA, "changes: a record id is 32 lowercase hex digits");
			goto out;
		}
		out->n++;
	}
out:
	json_decref(j);
	if (rc)
		memset(out, 0, sizeof(*out));
	return rc;
}

int hub_changes_json(const struct hub_changes *c, const char *list, char **out)
{
	*out = NULL;
	if (c->n > HUB_MAX_CHANGES || c->cursor < 0)
		return phr_fail(PHR_E_LIMIT, "changes: more than %d record ids", HUB_MAX_CHANGES);
	json_t *a = json_array();
	for (size_t i = 0; a && i < c->n; i++) {
		char hex[2 * PHR_RECORD_ID_LEN + 1];
		sodium_bin2hex(hex, sizeof(hex), c->ids[i], PHR_RECORD_ID_LEN);
		if (json_array_append_new(a, json_string(hex))) {
			json_decref(a);
			a = NULL;
		}
	}
	json_t *j = a ? json_pack("{s:I, s:o}", "cursor", (json_int_t)c->cursor, list, a) : NULL;
	*out = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	return *out ? PHR_OK : phr_fail(PHR_E_NOMEM, "out of memory");
}
