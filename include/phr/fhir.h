/* phr — FHIR R4 International Patient Summary (IPS) out and in (fhir/).
 *
 * Export turns the JSON of a shown record (phr_render_json, phr/render.h:
 * every entry's content beside its verification status and signer) into a
 * FHIR R4 document Bundle following the IPS implementation guide: a
 * Composition with the IPS sections, Patient, an Organization per signing
 * clinic, Practitioner, Condition, Procedure, AllergyIntolerance,
 * MedicationStatement, Immunization, Observation, CarePlan and
 * ServiceRequest resources, and per signed entry a Provenance (signer,
 * signing time, the resources the entry gave) and a VerificationResult
 * (what phr's verification found). Every resource names its entry in
 * meta.source ("urn:phr:record:<record id>:entry:<n>").
 *
 * Import reads such a Bundle (phr's own, or any IPS document) back into one
 * entry in the input JSON of 'phr issue' (docs/RECORD.md) and lists, item
 * by item, whatever has no place in the record: nothing is dropped silently.
 *
 * The mappings (code system URIs, sections and their LOINC codes, enum
 * values) are data: fhir/ips-map.tsv, embedded at build time and
 * documented in docs/FHIR.md. Not thread-safe on first use (the table is
 * parsed once).
 */
#ifndef PHR_FHIR_H
#define PHR_FHIR_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "phr/error.h"

/* Limits of the importer (it reads untrusted JSON). */
#define PHR_FHIR_MAX_INPUT (4u * 1024u * 1024u) /* bytes of JSON text */
#define PHR_FHIR_MAX_RESOURCES 2000u            /* Bundle.entry items */
#define PHR_FHIR_MAX_DEPTH 32u                  /* nesting of arrays and objects */
#define PHR_FHIR_MAX_LOSSES 4096u               /* items listed in a report; then one "and more" */

struct phr_fhir_export_opts {
	uint64_t now; /* Bundle.timestamp and VerificationResult.statusDate, Unix seconds */
};

/* shown: the object of phr_render_json (after phr_record_unseal when the
 * holder key was given). *bundle: a new Bundle (json_decref it). *omitted
 * (may be NULL): a new array of {"entry", "what", "why"} for every part of
 * the record the Bundle does not carry (docs/FHIR.md, "not mapped"), and
 * for each entry whose sealed sections were not opened. Decimals are JSON
 * reals: dump with JSON_REAL_PRECISION(9) or phr_fhir_dump(). Fails with
 * PHR_E_ARG when shown is not such an object, PHR_E_NOMEM. */
PHR_NODISCARD int phr_fhir_export(const json_t *shown, const struct phr_fhir_export_opts *opts, json_t **bundle,
				  json_t **omitted);

/* JSON text of a Bundle, 1-space indented, keys in the order written,
 * decimals without float noise. malloc'd, NULL when out of memory. */
char *phr_fhir_dump(const json_t *bundle);

/* text (len bytes, need not be NUL-terminated): a FHIR Bundle. *entry: a
 * new entry object (kind "assessment") that phr_entry_encode_json accepts;
 * *losses: a new array of {"where", "what", "why"}, one per item left out.
 * Fails with PHR_E_LIMIT (over a PHR_FHIR_MAX_* limit), PHR_E_JSON (not
 * JSON), PHR_E_FHIR (not a FHIR document Bundle: no Composition first, no
 * Patient), PHR_E_NOMEM; then *entry and *losses are NULL. */
PHR_NODISCARD int phr_fhir_import(const char *text, size_t len, json_t **entry, json_t **losses);

/* The mapping table (fhir/ips-map.tsv): the value of a row, or NULL.
 * kind: "system", "section", "enum", "code"; e.g. ("system", "icd11")
 * gives "http://id.who.int/icd/release/11/mms". */
const char *phr_fhir_map(const char *kind, const char *key);
/* The reverse: the key of the first row of kind whose value is value and,
 * when prefix is not NULL, whose key starts with prefix (the part after it
 * is returned: ("enum", "identity.sex:", "female") gives "female"). */
const char *phr_fhir_map_key(const char *kind, const char *prefix, const char *value);
/* The embedded table, as committed (for docs and tests). */
const char *phr_fhir_map_text(size_t *len);

#endif
