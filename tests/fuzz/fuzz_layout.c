/* Page layout files (layouts/pages/NAME.json, --layout FILE.json):
 * phr_layout_parse().
 *
 * Invariants:
 *  - on failure no layout is returned, the error is a malformed or limit
 *    code with a message (or not found / cannot be read, for a sheet that
 *    imposes a booklet by a name or path that does not load;
 *    or out of memory);
 *  - input over PHR_LAYOUT_MAX_FILE is never accepted;
 *  - a layout that parses has a name, a kind and a font family, and parses
 *    the same way a second time.
 */
#include "fuzz.h"

#include "phr/print.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct phr_layout *l = (struct phr_layout *)&l; /* not NULL: must be reset on failure */
	int rc = phr_layout_parse((const char *)data, size, "fuzz", &l);
	if (rc != PHR_OK) {
		FUZZ_CHECK_ERR(rc);
		FUZZ_CHECK(PHR_ERR_IS_MALFORMED(rc) || rc == PHR_E_LIMIT || rc == PHR_E_NOMEM || rc == PHR_E_NOT_FOUND || rc == PHR_E_IO,
			   "parse: error outside malformed/limit");
		FUZZ_CHECK(l == NULL, "a layout returned with a failure");
		FUZZ_CHECK(phr_last_error()[0] != '\0', "failure without a message");
		return 0;
	}
	FUZZ_CHECK(size <= PHR_LAYOUT_MAX_FILE, "layout larger than PHR_LAYOUT_MAX_FILE accepted");
	FUZZ_CHECK(l != NULL, "success without a layout");
	FUZZ_CHECK(phr_layout_name(l) && phr_layout_name(l)[0], "layout without a name");
	FUZZ_CHECK(phr_layout_kind(l) && phr_layout_font_family(l), "layout without a kind or fonts");
	struct phr_layout *again = NULL;
	FUZZ_CHECK(phr_layout_parse((const char *)data, size, "fuzz", &again) == PHR_OK, "second parse differs");
	FUZZ_CHECK(strcmp(phr_layout_name(again), phr_layout_name(l)) == 0, "second parse gives another name");
	phr_layout_destroy(again);
	phr_layout_destroy(l);
	return 0;
}
