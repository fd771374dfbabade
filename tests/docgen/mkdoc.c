/* mkdoc: writes a sample document for tests/integration/attach.sh.
 *   mkdoc pdf|png|jpeg OUT   a small real file (docgen.h)
 *   mkdoc bigpdf OUT BYTES   a PDF of exactly BYTES bytes: a real one with a
 *                            comment line of padding after its header
 *                            (its xref offsets are then off, which PDF
 *                            readers repair; phr checks the structure only) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "docgen.h"

int main(int argc, char **argv)
{
	uint8_t *p = NULL;
	size_t n = 0;
	if (argc < 3)
		goto usage;
	if (!strcmp(argv[1], "pdf"))
		p = docgen_pdf(1, &n);
	else if (!strcmp(argv[1], "png"))
		p = docgen_png(320, 200, 0, &n);
	else if (!strcmp(argv[1], "jpeg"))
		p = docgen_jpeg(320, 200, 0, 0, &n);
	else if (!strcmp(argv[1], "bigpdf") && argc == 4)
		p = docgen_pdf(1, &n);
	else
		goto usage;
	if (!p) {
		fprintf(stderr, "mkdoc: cannot make the %s\n", argv[1]);
		return 1;
	}
	FILE *f = fopen(argv[2], "wb");
	if (!f) {
		perror(argv[2]);
		return 1;
	}
	int bad = 0;
	if (!strcmp(argv[1], "bigpdf")) {
		/* "%PDF-1.x\n" then "%" + padding + "\n": a comment, which readers skip */
		size_t want = strtoull(argv[3], NULL, 10);
		const uint8_t *nl = memchr(p, '\n', n);
		size_t head = nl ? (size_t)(nl - p) + 1 : 0;
		if (!head || want < n + 2) {
			fprintf(stderr, "mkdoc: %zu bytes is too small\n", want);
			return 1;
		}
		bad |= fwrite(p, 1, head, f) != head || fputc('%', f) == EOF;
		for (size_t i = 0; i < want - n - 2; i++)
			bad |= fputc('x', f) == EOF;
		bad |= fputc('\n', f) == EOF || fwrite(p + head, 1, n - head, f) != n - head;
	} else {
		bad |= fwrite(p, 1, n, f) != n;
	}
	bad |= fclose(f) != 0;
	free(p);
	return bad;
usage:
	fputs("usage: mkdoc pdf|png|jpeg OUT | mkdoc bigpdf OUT BYTES\n", stderr);
	return 2;
}
