/* phr — showing a verified (or not) record to people and machines.
 *
 * Text: a summary in one language (labels from layouts/, falling back to
 * English, then to the raw code), entry by entry, each marked with its
 * verification status; entries that are not valid are marked UNVERIFIED and
 * a warning heads the summary.
 * JSON: {"record_id", "verified", "trust_checked", "entries": [{"index",
 * "status", "detail", "signer": {"kid", "clinic", "country"}, "signed_at",
 * "certificate", "content", "warnings"}]} where content is the entry in the
 * input JSON format (docs/RECORD.md), or null when the entry cannot be read,
 * and warnings lists phr_warning_name()s (phr/verify.h), often none.
 * Print: the same lines as the text summary, as a neutral view that print/
 * lays out (phr/print.h).
 */
#ifndef PHR_RENDER_H
#define PHR_RENDER_H

#include <jansson.h>
#include <stdio.h>

#include "phr/container.h"
#include "phr/verify.h"

PHR_NODISCARD int phr_render_text(const struct phr_record *r, const struct phr_report *rep, const char *lang,
				  FILE *out);
PHR_NODISCARD int phr_render_json(const struct phr_record *r, const struct phr_report *rep, json_t **out);
/* The printable view of r in lang (phr/print.h): the lines of the text
 * summary (the same walk and values as phr_render_text), each flagged when
 * its entry is not valid, per entry its status and signer, and the
 * holder's identity for covers and cards. lang should be a compiled-in
 * language (labels fall back to English otherwise). *out is malloc'd and
 * owns its strings: free it with phr_render_print_view_free. */
struct phr_print_view;
PHR_NODISCARD int phr_render_print_view(const struct phr_record *r, const struct phr_report *rep, const char *lang,
					struct phr_print_view **out);
void phr_render_print_view_free(struct phr_print_view *v);
/* A UCUM unit as people write it in lang, as the text summary and the
 * printable view show it: the label unit.<code> of layouts/po in lang
 * (else English) when there is one ("mm[Hg]" → "mmHg", "/min" → "/хв" in
 * Ukrainian), else the code's UCUM print form, the same in every language
 * ("Cel" → "°C", "10*9/L" → "10⁹/L", "umol/L" → "µmol/L",
 * "{copies}/mL" → "copies/mL"). A string that is not a unit the schema
 * takes (1-20 printable ASCII characters) is given back sanitized. out
 * holds at most cap bytes with the NUL, cut between characters; returns
 * out. */
const char *phr_unit_text(const char *lang, const char *ucum, char *out, size_t cap);
/* The label id of a status ("ui.status.valid", ...). */
const char *phr_status_label_id(int status);
/* Formats Unix seconds as "YYYY-MM-DDTHH:MM:SSZ" into out[21]. */
void phr_format_time(uint64_t t, char out[21]);
/* Record id as 32 lowercase hex digits into out[33]. */
void phr_record_id_hex(const uint8_t id[PHR_RECORD_ID_LEN], char out[33]);

#endif
