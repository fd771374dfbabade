/* phr-gen: writes seeded, realistic entry JSON documents.
 *
 *   phr-gen --seed S --count N --out-dir DIR [--follow-up] [--codes FILE]
 *
 * writes DIR/rec-00000.json ... DIR/rec-<N-1>.json: assessments, or with
 * --follow-up the first follow-up of the same people. The same seed gives the
 * same files. Every document is checked with phr_entry_parse_text before it
 * is written. Codes come from layouts/codes.tsv (found through --codes,
 * $PHR_SOURCE_ROOT, or the source tree this program was built from). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "gen.h"

#ifndef PHR_GEN_SOURCE_ROOT
#define PHR_GEN_SOURCE_ROOT "."
#endif

static int usage(void)
{
	fprintf(stderr, "usage: phr-gen --seed S --count N --out-dir DIR [--follow-up] [--codes FILE]\n");
	return 2;
}

static int parse_u64(const char *s, uint64_t *v)
{
	char *end;
	errno = 0;
	unsigned long long x = strtoull(s, &end, 0);
	if (errno || end == s || *end || s[0] == '-')
		return -1;
	*v = x;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "seed", required_argument, 0, 's' },     { "count", required_argument, 0, 'n' },
		{ "out-dir", required_argument, 0, 'o' },  { "follow-up", no_argument, 0, 'f' },
		{ "codes", required_argument, 0, 'c' },    { "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	uint64_t seed = 0, count = 0;
	const char *dir = NULL, *codes = NULL;
	int follow = 0, have_seed = 0, have_count = 0, ch;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 's':
			if (parse_u64(optarg, &seed))
				return usage();
			have_seed = 1;
			break;
		case 'n':
			if (parse_u64(optarg, &count) || count > 100000)
				return usage();
			have_count = 1;
			break;
		case 'o': dir = optarg; break;
		case 'f': follow = 1; break;
		case 'c': codes = optarg; break;
		default: return usage();
		}
	}
	if (!have_seed || !have_count || !dir || optind != argc)
		return usage();

	char path[4096];
	if (codes) {
		if (gen_codes_load(codes) < 0) {
			fprintf(stderr, "phr-gen: cannot read %s\n", codes);
			return 1;
		}
	} else {
		const char *root = getenv("PHR_SOURCE_ROOT");
		snprintf(path, sizeof(path), "%s/layouts/codes.tsv", root ? root : PHR_GEN_SOURCE_ROOT);
		if (gen_codes_load(path) < 0)
			fprintf(stderr, "phr-gen: %s not found; using the built-in codes\n", path);
	}
	if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
		fprintf(stderr, "phr-gen: cannot create %s: %s\n", dir, strerror(errno));
		return 1;
	}
	for (uint64_t i = 0; i < count; i++) {
		struct gen_case *c = gen_case_create(seed, i);
		json_t *e = follow ? gen_case_follow_up(c, 0) : gen_case_assessment(c);
		char what[64];
		snprintf(what, sizeof(what), "seed %llu record %llu", (unsigned long long)seed, (unsigned long long)i);
		char *text = gen_entry_text(e, what);
		snprintf(path, sizeof(path), "%s/rec-%05llu.json", dir, (unsigned long long)i);
		FILE *f = fopen(path, "w");
		if (!f || fputs(text, f) < 0 || fputc('\n', f) == EOF || fclose(f) != 0) {
			fprintf(stderr, "phr-gen: cannot write %s: %s\n", path, strerror(errno));
			return 1;
		}
		free(text);
		json_decref(e);
		gen_case_destroy(c);
	}
	return 0;
}
