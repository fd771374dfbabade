/* phr — the record's JSON form (docs/RECORD.md), through jansson.
 *
 * An entry's content is a JSON object described by the schema table
 * (phr/schema.h). These functions convert between it and the deterministic
 * CBOR that is signed. Both directions validate every field; a failure names
 * the field path ("vaccinations[1].date: ...").
 */
#ifndef PHR_JSON_H
#define PHR_JSON_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "phr/error.h"

/* JSON value -> CBOR. *out is malloc'd (free()), at most PHR_MAX_ENTRY_CBOR. */
PHR_NODISCARD int phr_entry_encode_json(const json_t *entry, uint8_t **out, size_t *len);
/* JSON text -> CBOR. Syntax errors name line and column. */
PHR_NODISCARD int phr_entry_parse_text(const char *text, size_t len, uint8_t **out, size_t *outlen);
/* CBOR -> new JSON value (json_decref it). Rejects anything the encoder
 * would not produce. On failure *out is NULL. */
PHR_NODISCARD int phr_entry_decode_json(const uint8_t *cbor, size_t len, json_t **out);
/* Same checks as decode, no output. */
PHR_NODISCARD int phr_entry_validate(const uint8_t *cbor, size_t len);
/* The JSON Schema (draft 2020-12) of an entry, generated from the table. */
PHR_NODISCARD int phr_schema_json_schema(json_t **out);
/* Serialises JSON the way phr prints it (2-space indent, keys in schema
 * order, decimals without float noise). malloc'd string. */
char *phr_json_dump(const json_t *v);

/* Date helpers: days since 1900-01-01 <-> civil date. */
int64_t phr_days_from_civil(int y, int m, int d);
void phr_civil_from_days(int64_t days, int *y, int *m, int *d);

#endif
