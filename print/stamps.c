/* Stamps: recorded drawings painted on many pages (print_int.h). */
#include <stdlib.h>
#include <string.h>

#include "print_int.h"

struct stamp {
	char *key;
	cairo_surface_t *rec;
	unsigned long used;
};

struct stamps {
	struct stamp s[STAMPS_MAX];
	size_t n;
	unsigned long clock;
};

struct stamps *stamps_create(void)
{
	return calloc(1, sizeof(struct stamps));
}

void stamps_destroy(struct stamps *st)
{
	if (!st)
		return;
	for (size_t i = 0; i < st->n; i++) {
		free(st->s[i].key);
		cairo_surface_destroy(st->s[i].rec);
	}
	free(st);
}

void stamps_paint(struct stamps *st, cairo_t *cr, const char *key, const cairo_rectangle_t *extents,
		  void (*draw)(const void *ctx, cairo_t *cr), const void *ctx)
{
	struct stamp *hit = NULL;
	for (size_t i = 0; i < st->n && !hit; i++)
		if (!strcmp(st->s[i].key, key))
			hit = &st->s[i];
	if (!hit) {
		char *k = strdup(key);
		cairo_surface_t *rec = cairo_recording_surface_create(CAIRO_CONTENT_COLOR_ALPHA, extents);
		cairo_t *rc = cairo_create(rec);
		draw(ctx, rc);
		cairo_destroy(rc);
		if (!k || cairo_surface_status(rec)) { /* cannot keep it: draw directly */
			free(k);
			cairo_surface_destroy(rec);
			cairo_save(cr);
			draw(ctx, cr);
			cairo_restore(cr);
			return;
		}
		if (st->n == STAMPS_MAX) { /* drop the least recently used */
			size_t old = 0;
			for (size_t i = 1; i < st->n; i++)
				if (st->s[i].used < st->s[old].used)
					old = i;
			free(st->s[old].key);
			cairo_surface_destroy(st->s[old].rec);
			st->s[old] = st->s[--st->n];
		}
		hit = &st->s[st->n++];
		hit->key = k;
		hit->rec = rec;
	}
	hit->used = ++st->clock;
	cairo_save(cr);
	cairo_set_source_surface(cr, hit->rec, 0, 0);
	cairo_paint(cr);
	cairo_restore(cr);
}
