/* make_vectors: writes the golden vectors and the generated parts of
 * docs/FORMAT.md.
 *
 *   make_vectors [--root SRC] --update DIR   write DIR/<name>.hex for every vector and
 *                                             DIR/versions.txt; delete stale DIR/NAME.hex
 *   make_vectors [--root SRC] --doc FILE     rewrite the generated blocks of FILE
 *   make_vectors [--root SRC] --print NAME   print one generated block
 *   make_vectors [--root SRC] --list         list the vectors
 *
 * SRC is the source tree (default $PHR_SOURCE_ROOT, else "."). From the
 * source root, after a build in BUILD:
 *   BUILD/tests/vectors/make_vectors --update tests/vectors/expected --doc docs/FORMAT.md
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vectors.h"

static const char usage[] =
	"Usage: make_vectors [--root SRC] [--update DIR] [--doc FORMAT.md] [--print BLOCK] [--list]\n";

static int write_file(const char *path, const char *text, size_t len)
{
	char tmp[1100];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	FILE *f = fopen(tmp, "wb");
	if (!f || fwrite(text, 1, len, f) != len || fclose(f) != 0) {
		fprintf(stderr, "make_vectors: cannot write %s\n", tmp);
		return -1;
	}
	if (rename(tmp, path) != 0) {
		fprintf(stderr, "make_vectors: cannot rename %s\n", tmp);
		return -1;
	}
	return 0;
}

static int update(const struct vec_set *s, const char *dir)
{
	char path[1024];
	int changed = 0;
	for (size_t i = 0; i < s->n; i++) {
		char *hex = vec_hex_file(s->item[i].data, s->item[i].len);
		size_t oldlen;
		snprintf(path, sizeof(path), "%s/%s.hex", dir, s->item[i].name);
		char *old = vec_read_file(path, &oldlen);
		if (!hex)
			return -1;
		if (!old || strcmp(old, hex)) {
			if (write_file(path, hex, strlen(hex))) {
				free(hex);
				free(old);
				return -1;
			}
			printf("%s %s.hex\n", old ? "changed" : "new    ", s->item[i].name);
			changed++;
		}
		free(hex);
		free(old);
	}
	/* stale vectors */
	DIR *d = opendir(dir);
	if (!d) {
		fprintf(stderr, "make_vectors: cannot open %s\n", dir);
		return -1;
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		if (l < 5 || strcmp(de->d_name + l - 4, ".hex"))
			continue;
		char name[256];
		snprintf(name, sizeof(name), "%.*s", (int)(l - 4), de->d_name);
		if (!vec_find(s, name)) {
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			if (unlink(path) == 0)
				printf("removed %s\n", de->d_name);
			changed++;
		}
	}
	closedir(d);
	char *v = vec_versions_text(s);
	snprintf(path, sizeof(path), "%s/versions.txt", dir);
	if (!v || write_file(path, v, strlen(v))) {
		free(v);
		return -1;
	}
	free(v);
	printf("%zu vectors in %s (%d changed)%s\n", s->n, dir, changed,
	       s->have_dict ? "" : "; dictionary v1 is empty: no deflate-dict/zstd-dict vectors");
	return 0;
}

static int update_doc(const struct vec_set *s, const char *file)
{
	size_t len;
	char *doc = vec_read_file(file, &len);
	if (!doc) {
		fprintf(stderr, "make_vectors: cannot read %s\n", file);
		return -1;
	}
	for (size_t i = 0; i < vec_doc_nblocks; i++) {
		size_t start, end;
		const char *name = vec_doc_blocks[i].name;
		if (!vec_doc_find(doc, name, &start, &end)) {
			fprintf(stderr, "make_vectors: %s has no block %s (skipped)\n", file, name);
			continue;
		}
		char *block = vec_doc_render(s, name);
		if (!block) {
			fprintf(stderr, "make_vectors: cannot render block %s\n", name);
			free(doc);
			return -1;
		}
		size_t bl = strlen(block), nl = start + bl + (len - end);
		char *nd = malloc(nl + 1);
		if (!nd) {
			free(block);
			free(doc);
			return -1;
		}
		memcpy(nd, doc, start);
		memcpy(nd + start, block, bl);
		memcpy(nd + start + bl, doc + end, len - end);
		nd[nl] = '\0';
		free(block);
		free(doc);
		doc = nd;
		len = nl;
	}
	int rc = write_file(file, doc, len);
	free(doc);
	if (rc == 0)
		printf("updated the generated blocks of %s\n", file);
	return rc;
}

int main(int argc, char **argv)
{
	const char *root = getenv("PHR_SOURCE_ROOT");
	const char *dir = NULL, *doc = NULL, *print = NULL;
	int list = 0;
	if (vec_rng_install() != 0) {
		fprintf(stderr, "make_vectors: cannot install the randombytes implementation\n");
		return 1;
	}
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--root") && i + 1 < argc)
			root = argv[++i];
		else if (!strcmp(argv[i], "--update") && i + 1 < argc)
			dir = argv[++i];
		else if (!strcmp(argv[i], "--doc") && i + 1 < argc)
			doc = argv[++i];
		else if (!strcmp(argv[i], "--print") && i + 1 < argc)
			print = argv[++i];
		else if (!strcmp(argv[i], "--list"))
			list = 1;
		else {
			fputs(usage, stderr);
			return 2;
		}
	}
	if (!dir && !doc && !print && !list) {
		fputs(usage, stderr);
		return 2;
	}
	if (!root)
		root = ".";
	struct vec_set *s = calloc(1, sizeof(*s));
	if (!s || vec_generate(root, s)) {
		free(s);
		return 1;
	}
	int rc = 0;
	if (list)
		for (size_t i = 0; i < s->n; i++)
			printf("%-60s %6zu bytes%s\n", s->item[i].name, s->item[i].len,
			       s->item[i].kind == 1 ? "  (zlib)" : s->item[i].kind == 2 ? "  (libzstd)" : "");
	if (dir && update(s, dir))
		rc = 1;
	if (doc && update_doc(s, doc))
		rc = 1;
	if (print) {
		char *b = vec_doc_render(s, print);
		if (!b) {
			fprintf(stderr, "make_vectors: no block %s (or it cannot be rendered)\n", print);
			rc = 1;
		} else {
			fputs(b, stdout);
			free(b);
		}
	}
	vec_free(s);
	free(s);
	return rc;
}
