/* The mapping table fhir/ips-map.tsv, embedded at build time. */
#include <stdlib.h>
#include <string.h>

#include "fhir_int.h"
#include "phr/fhir.h"

extern const unsigned char phr_fhir_map_tsv[];
extern const unsigned long phr_fhir_map_tsv_len;

#define MAP_MAX_ROWS 512
#define MAP_COLS 6

struct map_row {
	const char *col[MAP_COLS];
};

static struct map_row rows[MAP_MAX_ROWS];
static size_t nrows;
static char *buf;
static int loaded; /* 0: not yet; 1: loaded; -1: failed */

static void load(void)
{
	if (loaded)
		return;
	loaded = -1;
	buf = malloc(phr_fhir_map_tsv_len + 1);
	if (!buf)
		return;
	memcpy(buf, phr_fhir_map_tsv, phr_fhir_map_tsv_len);
	buf[phr_fhir_map_tsv_len] = '\0';
	char *line = buf;
	int header = 1;
	while (line && *line) {
		char *next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (*line == '#' || !*line) {
			line = next;
			continue;
		}
		if (header) { /* the column names */
			header = 0;
			line = next;
			continue;
		}
		if (nrows == MAP_MAX_ROWS)
			return;
		struct map_row *r = &rows[nrows];
		char *p = line;
		for (int c = 0; c < MAP_COLS; c++) {
			r->col[c] = p;
			char *tab = p ? strchr(p, '\t') : NULL;
			if (tab) {
				*tab = '\0';
				p = tab + 1;
			} else {
				p = NULL;
			}
			if (!r->col[c])
				r->col[c] = "";
		}
		nrows++;
		line = next;
	}
	loaded = 1;
}

const char *phr_fhir_map(const char *kind, const char *key)
{
	load();
	for (size_t i = 0; i < nrows; i++)
		if (!strcmp(rows[i].col[0], kind) && !strcmp(rows[i].col[1], key))
			return rows[i].col[2];
	return NULL;
}

const char *fhir_map_display(const char *kind, const char *key)
{
	load();
	for (size_t i = 0; i < nrows; i++)
		if (!strcmp(rows[i].col[0], kind) && !strcmp(rows[i].col[1], key))
			return rows[i].col[3];
	return NULL;
}

const char *phr_fhir_map_key(const char *kind, const char *prefix, const char *value)
{
	size_t pl = prefix ? strlen(prefix) : 0;
	load();
	if (!value)
		return NULL;
	for (size_t i = 0; i < nrows; i++)
		if (!strcmp(rows[i].col[0], kind) && !strcmp(rows[i].col[2], value) &&
		    (!prefix || !strncmp(rows[i].col[1], prefix, pl)))
			return rows[i].col[1] + pl;
	return NULL;
}

size_t fhir_map_rows(const char *kind, const char **keys, const char **quality, const char **notes, size_t cap)
{
	size_t n = 0;
	load();
	for (size_t i = 0; i < nrows; i++) {
		if (strcmp(rows[i].col[0], kind))
			continue;
		if (n < cap) {
			keys[n] = rows[i].col[1];
			quality[n] = rows[i].col[4];
			notes[n] = rows[i].col[5];
		}
		n++;
	}
	return n;
}

int fhir_map_ok(void)
{
	load();
	return loaded == 1;
}

const char *phr_fhir_map_text(size_t *len)
{
	*len = phr_fhir_map_tsv_len;
	return (const char *)phr_fhir_map_tsv;
}
