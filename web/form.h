/* phr serve — entry forms generated from the record's table.
 *
 * The "New assessment" and "Follow-up" pages of the clinic workstation are
 * HTML forms written by walking the schema table (phr/schema.h): a field
 * added to the table appears in the form, with its label from layouts/po,
 * without editing this code. The parser turns the posted fields back into
 * the JSON entry `phr issue` / `phr extend` take, and checks it through the
 * schema (phr_entry_encode_json) before anything is signed.
 *
 * Form field names: "e." then the entry's JSON path with array positions
 * as numbers: "e.date", "e.identity.birth_date", "e.vaccinations.0.lot",
 * "e.identity.languages.1", "e.plan.referrals.0.reason". Fields whose name
 * does not start with "e." (a CSRF token, a button) are not the parser's
 * and are skipped. Array positions may have gaps (a row removed on the
 * page); the items keep their order and an item left wholly empty is
 * dropped, as is a section left empty.
 *
 * Values as typed: a date "YYYY", "YYYY-MM" or "YYYY-MM-DD" (the entry's
 * own date full); a decimal with "." or ","; a code "system:code", the bare
 * code when only one of the field's systems takes it, or its label in the
 * form's language exactly as the code list shows it; a country, language
 * or unit as its code or its label; a yes/no as "true"/"false"; a choice
 * as its JSON name.
 *
 * What a form cannot express: the entry's "kind" (the form kind decides
 * it) and any field holding bytes (a document's hash, hence "documents":
 * the follow-up page attaches an uploaded file through record/document.c).
 *
 * Thread safety: reentrant; labels are static tables. */
#ifndef PHR_WEB_FORM_H
#define PHR_WEB_FORM_H

#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

#include "phr/error.h"

#define PHR_WEB_FORM_MAX_FIELDS 2048 /* most posted fields one form takes */
#define PHR_WEB_FORM_MAX_VALUE 4096  /* longest posted value, bytes */
#define PHR_WEB_FORM_MAX_NAME 128    /* longest field name, bytes */
#define PHR_WEB_FORM_MAX_INDEX 999   /* highest row position in a name */
size_t phr_web_form_max_fields(void);
size_t phr_web_form_max_value(void);

/* One posted field. value need not be NUL-terminated: value_len counts
 * its bytes. name is NUL-terminated. */
struct phr_web_field {
	const char *name;
	const char *value;
	size_t value_len;
};

/* The form kinds: "assessment" (every section of the table), and the
 * follow-ups "followup-vaccination", "followup-lab", "followup-referral",
 * "followup-note". NULL past the last. */
const char *phr_web_form_kind(size_t i);
/* 1 if kind is one of them. */
int phr_web_form_kind_known(const char *kind);
/* The JSON "kind" an entry of this form has ("assessment", "follow_up"),
 * NULL for an unknown kind. */
const char *phr_web_form_entry_kind(const char *kind);

/* Writes the form's fields for kind to out, in HTML (UTF-8), labelled in
 * lang (falling back to English): one <fieldset> per section, repeated
 * groups with add/remove-row buttons and a <template> for a new row,
 * <datalist>s of code, country, language and unit labels, and, when
 * errors holds any, a list of them at the top and each beside its field.
 * The caller writes the <form> element around it (method, action, CSRF
 * token, novalidate) and serves web/assets/form.js for the buttons and
 * the draft.
 * prefill: NULL, an entry (JSON as phr issue takes it), or an object of
 *   form names to strings (the values as posted, to show a refused form
 *   again unchanged: the rows keep their positions, gaps included, and a
 *   row an error names is shown even when it holds no value).
 * errors: NULL or an object of form names to messages
 *   (phr_web_form_parse's).
 * PHR_OK, PHR_E_ARG (unknown kind), PHR_E_NOMEM, PHR_E_IO (write failed). */
PHR_NODISCARD int phr_web_form_html(FILE *out, const char *kind, const char *lang, const json_t *prefill,
				    const json_t *errors);

/* Turns posted fields into an entry of kind's JSON kind, dated by
 * "e.date". On PHR_OK *entry is a new JSON object that
 * phr_entry_encode_json() accepts and *errors is NULL. On PHR_E_FORM
 * *entry is NULL and *errors a new object of form names to messages in
 * lang, each naming its field by its label ("Date given: expected a date
 * YYYY, YYYY-MM or YYYY-MM-DD"); the key "" holds messages about the form
 * as a whole; phr_last_error() holds the first. Other failures leave both
 * NULL: PHR_E_ARG (unknown kind), PHR_E_LIMIT (more than
 * PHR_WEB_FORM_MAX_FIELDS fields), PHR_E_NOMEM.
 * json_decref() what is returned. */
PHR_NODISCARD int phr_web_form_parse(const struct phr_web_field *fields, size_t n, const char *kind,
				     const char *lang, json_t **entry, json_t **errors);

/* The entry as a person checks it before signing: each field present
 * under its label in lang, coded values by their label (and the code),
 * in HTML (escaped). PHR_OK, PHR_E_ARG (entry not an object), PHR_E_IO. */
PHR_NODISCARD int phr_web_form_summary_html(FILE *out, const json_t *entry, const char *lang);

/* The posted fields as an object of form names to strings (only "e."
 * names, at most PHR_WEB_FORM_MAX_FIELDS), to give phr_web_form_html() as
 * prefill when a form is shown again. NULL on allocation failure. */
json_t *phr_web_form_values(const struct phr_web_field *fields, size_t n);

#endif
