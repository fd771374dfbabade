/* Damages a merged record the ways merge.sh checks that phr verify refuses:
 *   mergetool flip IN OUT main|side N   flips the last signature byte of an entry
 *   mergetool ref IN OUT                flips a byte of the merge entry's
 *                                       second-parent hash (payload key 5)
 *   mergetool drop IN OUT               drops the side branch's last entry
 *   mergetool add IN OUT DONOR          appends DONOR's last entry to the side branch
 *   mergetool v1 IN OUT                 writes container version 1 on a merged record
 * Each writes OUT with the container's compression, its other bytes as they were. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "phr/container.h"

static int slurp(const char *path, uint8_t **buf, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	*buf = malloc(PHR_MAX_CONTAINER);
	*len = *buf ? fread(*buf, 1, PHR_MAX_CONTAINER, f) : 0;
	fclose(f);
	return *buf ? 0 : -1;
}

static int spill(const char *path, const uint8_t *buf, size_t len)
{
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(buf, 1, len, f) != len) {
		if (f)
			fclose(f);
		return -1;
	}
	return fclose(f);
}

int main(int argc, char **argv)
{
	uint8_t *in = NULL, *out = NULL, *din = NULL;
	size_t len, olen, dlen;
	struct phr_record *r = NULL, *donor = NULL;
	if (argc < 4 || slurp(argv[2], &in, &len) || phr_record_decode(in, len, &r)) {
		fprintf(stderr, "usage: mergetool flip|ref|drop|add|v1 IN OUT [...] (IN a readable record)\n");
		return 2;
	}
	const char *op = argv[1];
	if (!strcmp(op, "flip") && argc == 6) {
		size_t n = strtoul(argv[5], NULL, 10);
		int side = !strcmp(argv[4], "side");
		if (side ? n >= r->n_side : n >= r->n_entries)
			return 2;
		struct phr_entry *e = side ? &r->side[n] : &r->entries[n];
		((uint8_t *)e->raw)[e->raw_len - 1] ^= 0x01;
	} else if (!strcmp(op, "ref")) {
		int at = phr_record_merge_at(r);
		if (at < 0)
			return 2;
		struct phr_entry *e = &r->entries[at];
		uint8_t *p = (uint8_t *)e->raw;
		int done = 0;
		for (size_t i = 0; i + PHR_HASH_LEN <= e->raw_len && !done; i++)
			if (!memcmp(p + i, e->merge_head, PHR_HASH_LEN)) {
				p[i + 7] ^= 0x40;
				done = 1;
			}
		if (!done)
			return 2;
	} else if (!strcmp(op, "drop")) {
		if (r->n_side < 2)
			return 2;
		r->n_side--;
	} else if (!strcmp(op, "add") && argc == 5) {
		if (slurp(argv[4], &din, &dlen) || phr_record_decode(din, dlen, &donor) || r->n_side >= PHR_MAX_SIDE_ENTRIES)
			return 2;
		r->side[r->n_side++] = donor->entries[donor->n_entries - 1];
	} else if (strcmp(op, "v1") != 0) {
		fprintf(stderr, "mergetool: unknown operation %s\n", op);
		return 2;
	}
	if (phr_record_encode(r, r->compression, &out, &olen))
		return 1;
	if (!strcmp(op, "v1"))
		out[0] = PHR_CONTAINER_VERSION;
	int rc = spill(argv[3], out, olen) ? 1 : 0;
	free(out);
	free(in);
	free(din);
	phr_record_destroy(r);
	phr_record_destroy(donor);
	return rc;
}
