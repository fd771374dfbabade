/* FHIR IPS import: phr_fhir_import() on untrusted JSON (fhir/import.c).
 *
 * Invariants:
 *  - a failure is PHR_E_LIMIT, PHR_E_JSON, PHR_E_FHIR or PHR_E_NOMEM, with a
 *    message, and leaves no entry and no losses;
 *  - what imports is an "assessment" that phr_entry_encode_json accepts (so
 *    phr issue would), with a list of losses each saying where, what, why;
 *  - importing the same bytes again gives the same entry and losses;
 *  - that entry exported again (phr_fhir_export, as entry 0 of a record)
 *    imports again, to an entry that encodes.
 */
#include "fuzz.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "phr/fhir.h"
#include "phr/json.h"

static void check_import(json_t *entry, json_t *losses)
{
	uint8_t *cbor = NULL;
	size_t len = 0;
	FUZZ_CHECK(json_is_object(entry) && json_is_array(losses), "import: no entry or no losses");
	FUZZ_CHECK(!strcmp(json_string_value(json_object_get(entry, "kind")), "assessment"), "import: not an assessment");
	FUZZ_CHECK(phr_entry_encode_json(entry, &cbor, &len) == PHR_OK, "import: the entry does not encode");
	free(cbor);
	FUZZ_CHECK(json_array_size(losses) <= PHR_FHIR_MAX_LOSSES + 1, "import: more losses than the limit");
	size_t i;
	json_t *l;
	json_array_foreach(losses, i, l)
		FUZZ_CHECK(json_is_string(json_object_get(l, "where")) && json_is_string(json_object_get(l, "what")) &&
				   json_is_string(json_object_get(l, "why")),
			   "import: a loss without where, what and why");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *entry = (json_t *)&entry, *losses = (json_t *)&losses, *e2 = NULL, *l2 = NULL;
	int rc = phr_fhir_import((const char *)data, size, &entry, &losses);
	if (rc != PHR_OK) {
		FUZZ_CHECK(entry == NULL && losses == NULL, "output not cleared after a failure");
		FUZZ_CHECK(rc == PHR_E_LIMIT || rc == PHR_E_JSON || rc == PHR_E_FHIR || rc == PHR_E_NOMEM,
			   "import: an error outside limit, JSON, FHIR, memory");
		FUZZ_CHECK(phr_last_error()[0] != '\0', "failure without a message");
		return 0;
	}
	check_import(entry, losses);
	FUZZ_CHECK(phr_fhir_import((const char *)data, size, &e2, &l2) == PHR_OK, "import: a second import fails");
	FUZZ_CHECK(json_equal(entry, e2) && json_equal(losses, l2), "import: not deterministic");
	json_decref(e2);
	json_decref(l2);

	/* export it as entry 0 of a record, and import that */
	json_t *shown = json_pack("{s:s, s:s, s:b, s:b, s:[{s:i, s:s, s:s, s:{s:s, s:s, s:s}, s:s, s:O}]}", "record_id",
				  "00112233445566778899aabbccddeeff", "version_id", "00", "verified", 1, "trust_checked", 1,
				  "entries", "index", 0, "status", "valid", "detail", "ok", "signer", "kid", "0011223344556677",
				  "clinic", "Fuzz Clinic", "country", "GR", "signed_at", "2025-06-15T00:00:00Z", "content", entry);
	FUZZ_CHECK(shown != NULL, "out of memory");
	json_t *bundle = NULL, *omitted = NULL;
	struct phr_fhir_export_opts o = { .now = FUZZ_T0 };
	FUZZ_CHECK(phr_fhir_export(shown, &o, &bundle, &omitted) == PHR_OK, "export of an imported entry fails");
	char *text = phr_fhir_dump(bundle);
	FUZZ_CHECK(text != NULL, "dump");
	rc = phr_fhir_import(text, strlen(text), &e2, &l2);
	FUZZ_CHECK(rc == PHR_OK, "an exported Bundle does not import");
	check_import(e2, l2);
	free(text);
	json_decref(e2);
	json_decref(l2);
	json_decref(bundle);
	json_decref(omitted);
	json_decref(shown);
	json_decref(entry);
	json_decref(losses);
	return 0;
}
