/* fhir/: private helpers shared by map.c, export.c and import.c. */
#ifndef PHR_FHIR_INT_H
#define PHR_FHIR_INT_H

#include <stddef.h>

/* The display column of a row, or NULL. */
const char *fhir_map_display(const char *kind, const char *key);
/* Keys, quality and notes of the rows of kind (at most cap); returns how many there are. */
size_t fhir_map_rows(const char *kind, const char **keys, const char **quality, const char **notes, size_t cap);
/* 1 when the embedded table parsed. */
int fhir_map_ok(void);

#endif
