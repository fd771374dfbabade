/* phr — the record model: one table describes every field of an entry.
 *
 * The table is the single source of truth: JSON <-> CBOR conversion, the
 * JSON Schema (phr_schema_json_schema), the text summary and the labels all
 * walk it. A field has a JSON name, a small integer CBOR key (maps are
 * encoded with keys in ascending order), a type, and type parameters.
 *
 * Wire encodings of the types (normative, see docs/FORMAT.md):
 *   TEXT     UTF-8 text string, 1..max bytes, none of the code points
 *            phr_text_forbidden() names (no controls, no bidi overrides)
 *   INT      integer in [min, max]
 *   BOOL     true/false
 *   DATE     full date "YYYY-MM-DD": uint = days since 1900-01-01;
 *            partial "YYYY-MM": array [YYYY, MM]; "YYYY": array [YYYY]
 *   ENUM     JSON string from the field's list; CBOR uint = index in list
 *   CODE     JSON "system:code" (e.g. "atc:J07BD52"); CBOR array
 *            [system id (uint), code (text)]; system must be one the field allows
 *   COUNTRY  ISO 3166-1 alpha-2, uppercase ("SY"); CBOR text
 *   LANG     ISO 639-1 alpha-2, lowercase ("ar"); CBOR text
 *   UNIT     UCUM unit ("kg", "mm[Hg]", "/min"); CBOR text
 *   DECIMAL  JSON number with at most 9 significant digits, 0..6 decimals;
 *            CBOR int if integral, else tag 4 [exponent (-1..-6), mantissa]
 *   BYTES    JSON string of lowercase hex digits, two per byte; CBOR byte
 *            string; exactly max bytes (a hash)
 *   OBJECT   JSON object / CBOR map of the child fields
 *   ARRAY    JSON array / CBOR array of the child type (max items)
 */
#ifndef PHR_SCHEMA_H
#define PHR_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "phr/error.h"

#define PHR_MAX_TEXT 1000      /* longest free-text field, bytes */
#define PHR_MAX_ARRAY 64       /* most items in any array field */
#define PHR_MAX_ENTRY_CBOR 16384 /* largest encoded entry content */
size_t phr_max_text(void);
size_t phr_max_array(void);
size_t phr_max_entry_cbor(void);

enum phr_type {
	PHR_T_TEXT,
	PHR_T_INT,
	PHR_T_BOOL,
	PHR_T_DATE,
	PHR_T_ENUM,
	PHR_T_CODE,
	PHR_T_COUNTRY,
	PHR_T_LANG,
	PHR_T_UNIT,
	PHR_T_DECIMAL,
	PHR_T_OBJECT,
	PHR_T_ARRAY,
	PHR_T_BYTES,
};

/* Code systems. The id is what goes on the wire. */
enum phr_code_system {
	PHR_CS_ICD11 = 1,  /* "icd11"  WHO ICD-11 MMS */
	PHR_CS_ICD10 = 2,  /* "icd10"  WHO ICD-10 */
	PHR_CS_ATC = 3,    /* "atc"    WHO ATC (medicines, vaccines J07) */
	PHR_CS_LOINC = 4,  /* "loinc"  LOINC (tests, vital signs) */
	PHR_CS_SNOMED = 5, /* "snomed" SNOMED CT (IPS free set) */
	PHR_CS_MAX = 5,
};
#define PHR_CS_BIT(cs) (1u << (cs))

struct phr_field {
	const char *name;      /* JSON name, also the label id "field.<path>" */
	uint32_t key;          /* CBOR map key */
	enum phr_type type;
	int required;
	/* parameters */
	int64_t min, max;      /* INT range; TEXT min/max bytes; ARRAY max items;
	                          BYTES: max = the length, bytes;
	                          DATE: min 1 = full date required */
	uint32_t systems;      /* CODE: allowed PHR_CS_BIT mask */
	const char *const *enums; /* ENUM: NULL-terminated list of JSON names */
	const struct phr_field *children; /* OBJECT: fields, ended by name NULL;
	                                      ARRAY: one element describing the item */
	const char *doc;       /* one-line English description (docs, schema) */
};

/* The root: the fields of one entry's content (an assessment or follow-up). */
const struct phr_field *phr_schema_root(void);
/* Name <-> id of code systems ("icd11" <-> PHR_CS_ICD11). */
const char *phr_code_system_name(int id);
int phr_code_system_id(const char *name, size_t len); /* 0 if unknown */
/* Checks the syntax of a code in a system; PHR_OK or PHR_E_CODE_SYSTEM. */
PHR_NODISCARD int phr_code_check(int system, const char *code, size_t len);

/* ---- Text a reader sees (docs/FORMAT.md, "Entry content") ----
 * A text field holds no code point that changes how a terminal or a page
 * shows what follows it: C0 controls U+0000..U+001F (tab and new line
 * included), DEL, C1 controls U+0080..U+009F, the line and paragraph
 * separators U+2028 and U+2029, and the bidi embeddings, overrides and
 * isolates U+202A..U+202E and U+2066..U+2069. The marks U+200E, U+200F
 * and U+061C (which reorder nothing) are allowed. */
bool phr_text_forbidden(uint32_t cp);
/* PHR_OK if s[0..n) is UTF-8 without a forbidden code point; else
 * PHR_E_SCHEMA, the message naming it: "WHAT: U+001B (escape, a control
 * character) at byte N is not allowed in text ...". */
PHR_NODISCARD int phr_text_check(const char *s, size_t n, const char *what);
/* s[0..n) as it may be shown: every forbidden code point and every byte
 * that is not UTF-8 becomes U+FFFD. Writes at most cap - 1 bytes to out,
 * cut at a character, and a NUL (when cap > 0); returns the length of the
 * whole result, so a return >= cap means it was cut (like snprintf). At
 * most 3 * n bytes. */
size_t phr_text_sanitize(char *out, size_t cap, const char *s, size_t n);

#endif
