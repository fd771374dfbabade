/* The bodies of the hub's POST /v1/changes (hub/changes.c): the clinic's
 * request, read by the hub, and the hub's answer, read by the clinic.
 *
 * Input: one byte choosing the list's name ("records" or "changed"), then
 * the body.
 *
 * Invariants:
 *  - the answer is PHR_OK, or PHR_E_JSON / PHR_E_SCHEMA / PHR_E_LIMIT with a
 *    message and the result all zeros;
 *  - accepted: at most HUB_MAX_CHANGES ids, a cursor of 0 or more, and
 *    writing it back (hub_changes_json) and parsing that again gives the
 *    same cursor and ids in the same order.
 */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "hub.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct hub_changes c, again, zero;
	if (size < 1)
		return 0;
	const char *list = data[0] & 1 ? "changed" : "records";
	int rc = hub_changes_parse(data + 1, size - 1, list, &c);
	if (rc) {
		FUZZ_CHECK(rc == PHR_E_JSON || rc == PHR_E_SCHEMA || rc == PHR_E_LIMIT, "an unexpected error");
		FUZZ_CHECK(phr_last_error()[0] != '\0', "failure without a message");
		FUZZ_CHECK(memcmp(&c, &zero, sizeof(c)) == 0, "result not wiped after a failure");
		return 0;
	}
	FUZZ_CHECK(c.n <= HUB_MAX_CHANGES && c.cursor >= 0, "accepted out of bounds");
	char *out = NULL;
	FUZZ_CHECK(hub_changes_json(&c, list, &out) == PHR_OK, "written back");
	FUZZ_CHECK(hub_changes_parse((const uint8_t *)out, strlen(out), list, &again) == PHR_OK, "parsed again");
	FUZZ_CHECK(again.cursor == c.cursor && again.n == c.n &&
			   !memcmp(again.ids, c.ids, c.n * PHR_RECORD_ID_LEN),
		   "not the same after a round trip");
	free(out);
	return 0;
}
