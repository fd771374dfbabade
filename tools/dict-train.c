/* phr-dict-train: trains the compression dictionary and measures every
 * compression method on records it did not see (docs/COMPRESSION.md).
 *
 *   phr-dict-train [--out record/dict/phr-dict-v1.bin] [--doc docs/COMPRESSION.md]
 *                  [--train-seed 1] [--train-count 400] [--test-seed 2]
 *                  [--test-count 200] [--examples DIR] [--sizes 2048,4096,8192,16384,32768]
 *
 * Both corpora are full record bodies, exactly the bytes a container
 * compresses: generated entries (tests/gen) signed as a chain by clinics
 * whose certificates are embedded. The two corpora use different seeds for
 * the entries AND for every key, so the dictionary cannot memorise a test
 * record's certificate, kids or signatures. The examples (examples/NAME.json) are added
 * to the test side as one-entry records.
 *
 * Without --out nothing is written; the report goes to stdout, and with
 * --doc it replaces the text between the BEGIN/END markers of that file. */
#define ZDICT_STATIC_LINKING_ONLY
#define ZSTD_STATIC_LINKING_ONLY
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdint.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include <zdict.h>
#include <zlib.h>
#include <zstd.h>

#include "compress_int.h"
#include "gen.h"
#include "phr/container.h"
#include "phr/crypto.h"
#include "phr/json.h"

#define MAX_SIZES 8
#define BEGIN_MARK "<!-- BEGIN phr-dict-train -->"
#define END_MARK "<!-- END phr-dict-train -->"

_Noreturn static void die(const char *what)
{
	fprintf(stderr, "phr-dict-train: %s: %s\n", what, phr_last_error());
	exit(1);
}

/* ---- keys ---------------------------------------------------------------- */

struct clinic {
	char cc[3];
	int k;
	struct phr_seckey *key;
	uint8_t *cert;
	size_t cert_len;
};

static const struct {
	const char *cc, *name[2];
} clinic_names[] = {
	{ "GR", { "Lesvos Reception Clinic", "Athens Migrant Health Centre" } },
	{ "IT", { "Lampedusa Hotspot Health Unit", "Catania Migrant Health Service" } },
	{ "ES", { "Melilla CETI Health Post", "Madrid Refugee Health Unit" } },
	{ "DE", { "Berlin Health Centre", "Munich Arrival Centre Clinic" } },
	{ "AT", { "Traiskirchen Reception Clinic", "Vienna Refugee Health Service" } },
	{ "MT", { "Hal Far Health Post", "Valletta Migrant Health Unit" } },
	{ "CY", { "Pournara Reception Clinic", "Nicosia Migrant Health Centre" } },
	{ "BG", { "Harmanli Reception Health Post", "Sofia Refugee Clinic" } },
	{ "RO", { "Siret Border Health Point", "Bucharest Refugee Health Centre" } },
	{ "PL", { "Przemysl Reception Clinic", "Warsaw Refugee Health Centre" } },
	{ "BE", { "Brussels Arrival Centre Clinic", "Antwerp Refugee Health Service" } },
	{ "FR", { "PASS Paris Migrant Health Centre", "Calais Health Post" } },
	{ "FI", { "Helsinki Reception Health Unit", "Oulu Migrant Health Service" } },
	{ "HR", { "Zagreb Porin Reception Clinic", "Kutina Reception Health Unit" } },
};

struct keyring {
	uint64_t seed;
	struct phr_seckey *authority[32];
	char auth_cc[32][3];
	size_t n_auth;
	struct clinic clinics[64];
	size_t n_clinics;
};

static void derive_seed(uint64_t corpus, const char *role, const char *cc, int k, uint8_t out[PHR_SEED_LEN])
{
	char label[128];
	snprintf(label, sizeof(label), "phr-dict-train/%llu/%s/%s/%d", (unsigned long long)corpus, role, cc, k);
	crypto_generichash(out, PHR_SEED_LEN, (const uint8_t *)label, strlen(label), NULL, 0);
}

static struct phr_seckey *authority(struct keyring *kr, const char *cc)
{
	for (size_t i = 0; i < kr->n_auth; i++)
		if (!strcmp(kr->auth_cc[i], cc))
			return kr->authority[i];
	uint8_t s[PHR_SEED_LEN];
	char name[64];
	derive_seed(kr->seed, "authority", cc, 0, s);
	snprintf(name, sizeof(name), "%s Health Authority", cc);
	if (kr->n_auth == 32 || phr_key_from_seed(PHR_KEY_AUTHORITY, name, cc, s, &kr->authority[kr->n_auth]))
		die("authority key");
	memcpy(kr->auth_cc[kr->n_auth], cc, 3);
	return kr->authority[kr->n_auth++];
}

static struct clinic *clinic(struct keyring *kr, const char *cc, int k)
{
	for (size_t i = 0; i < kr->n_clinics; i++)
		if (!strcmp(kr->clinics[i].cc, cc) && kr->clinics[i].k == k)
			return &kr->clinics[i];
	const char *name = NULL;
	for (size_t i = 0; i < sizeof(clinic_names) / sizeof(clinic_names[0]); i++)
		if (!strcmp(clinic_names[i].cc, cc))
			name = clinic_names[i].name[k];
	char generic[64];
	if (!name) {
		snprintf(generic, sizeof(generic), "%s Migrant Health Centre %d", cc, k + 1);
		name = generic;
	}
	if (kr->n_clinics == 64)
		die("too many clinics");
	struct clinic *c = &kr->clinics[kr->n_clinics++];
	uint8_t s[PHR_SEED_LEN];
	memcpy(c->cc, cc, 3);
	c->k = k;
	derive_seed(kr->seed, "clinic", cc, k, s);
	if (phr_key_from_seed(PHR_KEY_CLINIC, name, cc, s, &c->key))
		die("clinic key");
	/* 2024-01-01 .. 2027-12-31 */
	if (phr_cert_issue(authority(kr, cc), phr_seckey_public(c->key), 1704067200u, 1830297599u, &c->cert,
			   &c->cert_len))
		die("certificate");
	return c;
}

static void keyring_finish(struct keyring *kr)
{
	for (size_t i = 0; i < kr->n_auth; i++)
		phr_seckey_destroy(kr->authority[i]);
	for (size_t i = 0; i < kr->n_clinics; i++) {
		phr_seckey_destroy(kr->clinics[i].key);
		free(kr->clinics[i].cert);
	}
}

/* ---- corpora ------------------------------------------------------------- */

struct corpus {
	size_t n, cap;
	uint8_t **body;
	size_t *len;
	size_t *entries;
};

static void corpus_add(struct corpus *c, uint8_t *body, size_t len, size_t entries)
{
	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 256;
		c->body = realloc(c->body, c->cap * sizeof(*c->body));
		c->len = realloc(c->len, c->cap * sizeof(*c->len));
		c->entries = realloc(c->entries, c->cap * sizeof(*c->entries));
		if (!c->body || !c->len || !c->entries)
			abort();
	}
	c->body[c->n] = body;
	c->len[c->n] = len;
	c->entries[c->n++] = entries;
}

static void append(struct phr_record *r, struct clinic *cl, const json_t *entry, uint64_t t, const char *what)
{
	char *text = gen_entry_text(entry, what);
	uint8_t *cbor;
	size_t len;
	if (phr_entry_parse_text(text, strlen(text), &cbor, &len))
		die(what);
	if (phr_record_append(r, cl->key, cl->cert, cl->cert_len, cbor, len, t))
		die(what);
	free(cbor);
	free(text);
}

static const char *host_of(const json_t *entry)
{
	const char *cc = json_string_value(json_object_get(json_object_get(entry, "migration"), "host_country"));
	return cc ? cc : "GR";
}

static void record_id(uint64_t seed, uint64_t i, uint8_t id[PHR_RECORD_ID_LEN])
{
	char label[64];
	snprintf(label, sizeof(label), "phr-dict-train/id/%llu/%llu", (unsigned long long)seed, (unsigned long long)i);
	crypto_generichash(id, PHR_RECORD_ID_LEN, (const uint8_t *)label, strlen(label), NULL, 0);
}

static void generate(uint64_t seed, size_t count, struct corpus *out)
{
	struct keyring kr = { .seed = seed };
	for (size_t i = 0; i < count; i++) {
		struct gen_case *gc = gen_case_create(seed, i);
		struct phr_record *r;
		uint8_t id[PHR_RECORD_ID_LEN];
		char what[80];
		record_id(seed, i, id);
		if (phr_record_create(id, &r))
			die("record");
		json_t *a = gen_case_assessment(gc);
		const char *cc = host_of(a);
		snprintf(what, sizeof(what), "seed %llu record %zu entry 0", (unsigned long long)seed, i);
		append(r, clinic(&kr, cc, 0), a, gen_case_time(gc, 0), what);
		unsigned nf = gen_case_follow_ups(gc);
		for (unsigned k = 0; k < nf; k++) {
			json_t *f = gen_case_follow_up(gc, k);
			snprintf(what, sizeof(what), "seed %llu record %zu entry %u", (unsigned long long)seed, i, k + 1);
			append(r, clinic(&kr, cc, k == 0 ? 1 : 0), f, gen_case_time(gc, k + 1), what);
			json_decref(f);
		}
		json_decref(a);
		uint8_t *body;
		size_t len;
		if (phr_record_body(r, &body, &len))
			die("record body");
		corpus_add(out, body, len, 1 + nf);
		phr_record_destroy(r);
		gen_case_destroy(gc);
	}
	keyring_finish(&kr);
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* examples/NAME.json as one-entry records; returns how many. */
static size_t add_examples(const char *dir, uint64_t seed, struct corpus *out)
{
	DIR *d = opendir(dir);
	char *names[64];
	size_t n = 0;
	if (!d)
		return 0;
	struct dirent *de;
	while ((de = readdir(d)) && n < 64) {
		size_t l = strlen(de->d_name);
		if (l > 5 && !strcmp(de->d_name + l - 5, ".json"))
			names[n++] = strdup(de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_name);
	struct keyring kr = { .seed = seed };
	for (size_t i = 0; i < n; i++) {
		char path[8192];
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, names[i]) >= sizeof(path))
			continue;
		json_error_t jerr;
		json_t *e = json_load_file(path, 0, &jerr);
		if (!e) {
			fprintf(stderr, "phr-dict-train: %s: %s\n", path, jerr.text);
			exit(1);
		}
		struct phr_record *r;
		uint8_t id[PHR_RECORD_ID_LEN];
		record_id(seed + 1000, i, id);
		if (phr_record_create(id, &r))
			die("record");
		append(r, clinic(&kr, host_of(e), 0), e, 1750000000u, path);
		uint8_t *body;
		size_t len;
		if (phr_record_body(r, &body, &len))
			die("record body");
		corpus_add(out, body, len, 1);
		phr_record_destroy(r);
		json_decref(e);
		free(names[i]);
	}
	keyring_finish(&kr);
	return n;
}

/* ---- measurement --------------------------------------------------------- */

struct stats {
	double mean;
	size_t median, p95, max, total;
};

static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	return x < y ? -1 : x > y;
}

static struct stats stats_of(size_t *v, size_t n)
{
	struct stats s = { 0 };
	qsort(v, n, sizeof(*v), cmp_size);
	for (size_t i = 0; i < n; i++)
		s.total += v[i];
	s.mean = n ? (double)s.total / (double)n : 0;
	s.median = n ? (n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2] + 1) / 2) : 0;
	s.p95 = n ? v[(size_t)((double)(n - 1) * 0.95 + 0.5)] : 0;
	s.max = n ? v[n - 1] : 0;
	return s;
}

/* Container bytes (header + compressed body) of each record with a method
 * and dictionary, round-tripped through the decompressor as a check. */
static struct stats measure(const struct corpus *c, size_t from, size_t to, int method, const uint8_t *dict,
			    size_t dictlen, double *usec)
{
	size_t *v = malloc((to - from) * sizeof(*v));
	struct timespec t0, t1;
	double dt = 0;
	if (!v)
		abort();
	for (size_t i = from; i < to; i++) {
		uint8_t *z, *back;
		size_t zl;
		if (phr_compress_with(method, dict, dictlen, c->body[i], c->len[i], &z, &zl))
			die("compress");
		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (phr_decompress_with(method, dict, dictlen, z, zl, c->len[i], &back))
			die("decompress");
		clock_gettime(CLOCK_MONOTONIC, &t1);
		dt += (double)(t1.tv_sec - t0.tv_sec) * 1e6 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e3;
		if (memcmp(back, c->body[i], c->len[i]))
			die("round trip");
		free(back);
		free(z);
		v[i - from] = zl + PHR_CONTAINER_HEADER;
	}
	struct stats s = stats_of(v, to - from);
	if (usec)
		*usec = dt / (double)(to - from);
	free(v);
	return s;
}

/* zstd level 19 magicless without a dictionary: for reference only. */
static struct stats measure_zstd_nodict(const struct corpus *c, size_t from, size_t to)
{
	size_t *v = malloc((to - from) * sizeof(*v));
	ZSTD_CCtx *cc = ZSTD_createCCtx();
	if (!v || !cc)
		abort();
	for (size_t i = from; i < to; i++) {
		size_t cap = ZSTD_compressBound(c->len[i]);
		uint8_t *z = malloc(cap);
		ZSTD_CCtx_reset(cc, ZSTD_reset_session_and_parameters);
		ZSTD_CCtx_setParameter(cc, ZSTD_c_format, ZSTD_f_zstd1_magicless);
		ZSTD_CCtx_setParameter(cc, ZSTD_c_compressionLevel, 19);
		ZSTD_CCtx_setParameter(cc, ZSTD_c_contentSizeFlag, 0);
		ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, 0);
		ZSTD_CCtx_setParameter(cc, ZSTD_c_dictIDFlag, 0);
		size_t n = ZSTD_compress2(cc, z, cap, c->body[i], c->len[i]);
		if (!z || ZSTD_isError(n))
			abort();
		v[i - from] = n + PHR_CONTAINER_HEADER;
		free(z);
	}
	ZSTD_freeCCtx(cc);
	struct stats s = stats_of(v, to - from);
	free(v);
	return s;
}

/* ---- training ------------------------------------------------------------ */

struct dict {
	uint8_t *buf;
	size_t len;
	char how[64];
	double zstd_mean, deflate_mean, ex_mean;
};

static int train(const struct corpus *c, size_t cap, int cover, struct dict *d)
{
	size_t total = 0;
	for (size_t i = 0; i < c->n; i++)
		total += c->len[i];
	uint8_t *samples = malloc(total);
	size_t *sizes = malloc(c->n * sizeof(*sizes));
	size_t off = 0, n;
	if (!samples || !sizes || !(d->buf = malloc(cap)))
		abort();
	for (size_t i = 0; i < c->n; i++) {
		memcpy(samples + off, c->body[i], c->len[i]);
		off += c->len[i];
		sizes[i] = c->len[i];
	}
	if (cover) {
		/* k and d searched, single thread: deterministic */
		ZDICT_cover_params_t p;
		memset(&p, 0, sizeof(p));
		p.steps = 40;
		p.nbThreads = 1;
		p.splitPoint = 1.0;
		p.zParams.compressionLevel = 19;
		n = ZDICT_optimizeTrainFromBuffer_cover(d->buf, cap, samples, sizes, (unsigned)c->n, &p);
		snprintf(d->how, sizeof(d->how), "cover k=%u d=%u", p.k, p.d);
	} else {
		n = ZDICT_trainFromBuffer(d->buf, cap, samples, sizes, (unsigned)c->n);
		snprintf(d->how, sizeof(d->how), "ZDICT_trainFromBuffer");
	}
	free(samples);
	free(sizes);
	if (ZDICT_isError(n)) {
		fprintf(stderr, "phr-dict-train: training a %zu-byte dictionary failed: %s\n", cap, ZDICT_getErrorName(n));
		free(d->buf);
		d->buf = NULL;
		return -1;
	}
	d->len = n;
	return 0;
}

/* ---- report -------------------------------------------------------------- */

static char *report;
static size_t report_len, report_cap;

static void PHR_PRINTF(1, 2) out(const char *fmt, ...)
{
	va_list ap;
	char buf[2048];
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(buf))
		n = sizeof(buf) - 1;
	if (report_len + (size_t)n + 1 > report_cap) {
		report_cap = (report_cap + (size_t)n + 1) * 2;
		if (!(report = realloc(report, report_cap)))
			abort();
	}
	memcpy(report + report_len, buf, (size_t)n + 1);
	report_len += (size_t)n;
	fputs(buf, stdout);
}

static void machine(void)
{
	struct utsname u;
	char model[256] = "unknown";
	FILE *f = fopen("/proc/cpuinfo", "r");
	if (f) {
		char line[512];
		while (fgets(line, sizeof(line), f)) {
			if (!strncmp(line, "model name", 10)) {
				char *p = strchr(line, ':');
				if (p) {
					p += 1 + (p[1] == ' ');
					p[strcspn(p, "\n")] = '\0';
					snprintf(model, sizeof(model), "%s", p);
				}
				break;
			}
		}
		fclose(f);
	}
	uname(&u);
	out("Machine: `uname -m` %s, `nproc` %ld, CPU %s; zstd %s, zlib %s.\n", u.machine,
	    sysconf(_SC_NPROCESSORS_ONLN), model, ZSTD_versionString(), zlibVersion());
}

static void row(const char *method, const char *dict, struct stats s, double none_mean, double usec)
{
	out("| %s | %s | %.1f | %zu | %zu | %zu | %.1f%% | %.1f |\n", method, dict, s.mean, s.median, s.p95, s.max,
	    100.0 * s.mean / none_mean, usec);
}

static void table_head(void)
{
	out("| method | dictionary | mean | median | p95 | max | of none | decompress µs |\n");
	out("|---|---|---:|---:|---:|---:|---:|---:|\n");
}

static void write_doc(const char *path)
{
	FILE *f = fopen(path, "r");
	char *old = NULL;
	size_t len = 0;
	if (f) {
		fseek(f, 0, SEEK_END);
		long n = ftell(f);
		fseek(f, 0, SEEK_SET);
		if (n > 0 && (old = malloc((size_t)n + 1)) && fread(old, 1, (size_t)n, f) == (size_t)n) {
			old[n] = '\0';
			len = (size_t)n;
		}
		fclose(f);
	}
	char *b = old ? strstr(old, BEGIN_MARK) : NULL;
	char *e = b ? strstr(b, END_MARK) : NULL;
	if (!(f = fopen(path, "w"))) {
		fprintf(stderr, "phr-dict-train: cannot write %s: %s\n", path, strerror(errno));
		exit(1);
	}
	if (b && e) {
		fwrite(old, 1, (size_t)(b - old) + strlen(BEGIN_MARK), f);
		fputs("\n", f);
		fputs(report, f);
		fputs(e, f);
	} else {
		if (len)
			fputs(old, f);
		fprintf(f, "\n%s\n%s%s\n", BEGIN_MARK, report, END_MARK);
	}
	if (fclose(f)) {
		fprintf(stderr, "phr-dict-train: cannot write %s\n", path);
		exit(1);
	}
	free(old);
}

static int usage(void)
{
	fprintf(stderr, "usage: phr-dict-train [--out FILE] [--doc FILE] [--train-seed S] [--train-count N]\n"
			"                      [--test-seed S] [--test-count N] [--examples DIR] [--sizes A,B,C]\n");
	return 2;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "out", required_argument, 0, 'o' },        { "doc", required_argument, 0, 'd' },
		{ "train-seed", required_argument, 0, 's' }, { "train-count", required_argument, 0, 'n' },
		{ "test-seed", required_argument, 0, 'S' },  { "test-count", required_argument, 0, 'N' },
		{ "examples", required_argument, 0, 'e' },   { "sizes", required_argument, 0, 'z' },
		{ "codes", required_argument, 0, 'c' },      { 0, 0, 0, 0 },
	};
	const char *outp = NULL, *doc = NULL, *examples = NULL, *codes = NULL;
	uint64_t train_seed = 1, test_seed = 2;
	size_t train_n = 400, test_n = 200, sizes[MAX_SIZES] = { 2048, 4096, 8192, 16384, 32768 }, n_sizes = 5;
	int ch;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'o': outp = optarg; break;
		case 'd': doc = optarg; break;
		case 's': train_seed = strtoull(optarg, NULL, 0); break;
		case 'n': train_n = strtoull(optarg, NULL, 0); break;
		case 'S': test_seed = strtoull(optarg, NULL, 0); break;
		case 'N': test_n = strtoull(optarg, NULL, 0); break;
		case 'e': examples = optarg; break;
		case 'c': codes = optarg; break;
		case 'z': {
			n_sizes = 0;
			for (char *p = optarg; *p && n_sizes < MAX_SIZES;) {
				sizes[n_sizes++] = strtoull(p, &p, 0);
				if (*p == ',')
					p++;
			}
			break;
		}
		default: return usage();
		}
	}
	if (optind != argc || train_n == 0 || test_n == 0 || n_sizes == 0 || train_seed == test_seed)
		return usage();
	if (sodium_init() < 0)
		return 1;
	const char *root = getenv("PHR_SOURCE_ROOT");
	char path[4096];
	snprintf(path, sizeof(path), "%s/layouts/codes.tsv", root ? root : PHR_SOURCE_ROOT);
	if (gen_codes_load(codes ? codes : path) < 0)
		fprintf(stderr, "phr-dict-train: %s not found; built-in codes\n", codes ? codes : path);
	char exdir[4096];
	snprintf(exdir, sizeof(exdir), "%s", examples ? examples : PHR_SOURCE_ROOT "/examples");

	struct corpus tr = { 0 }, te = { 0 };
	generate(train_seed, train_n, &tr);
	generate(test_seed, test_n, &te);
	size_t n_ex = add_examples(exdir, test_seed, &te);
	size_t gen_n = te.n - n_ex;

	/* candidates: each size, two trainers */
	struct dict cand[2 * MAX_SIZES];
	size_t n_cand = 0;
	for (size_t i = 0; i < n_sizes; i++)
		for (int cover = 0; cover < 2; cover++) {
			struct dict *d = &cand[n_cand];
			memset(d, 0, sizeof(*d));
			if (train(&tr, sizes[i], cover, d))
				continue;
			d->zstd_mean = measure(&te, 0, gen_n, PHR_COMP_ZSTD_DICT1, d->buf, d->len, NULL).mean;
			d->deflate_mean = measure(&te, 0, gen_n, PHR_COMP_DEFLATE_DICT1, d->buf, d->len, NULL).mean;
			if (te.n > gen_n)
				d->ex_mean = measure(&te, gen_n, te.n, PHR_COMP_ZSTD_DICT1, d->buf, d->len, NULL).mean;
			n_cand++;
		}
	if (!n_cand)
		return 1;
	/* The smallest dictionary whose zstd mean is within 1% of the best. */
	size_t best = 0, pick = SIZE_MAX;
	for (size_t i = 1; i < n_cand; i++)
		if (cand[i].zstd_mean < cand[best].zstd_mean)
			best = i;
	for (size_t i = 0; i < n_cand; i++)
		if (cand[i].zstd_mean <= cand[best].zstd_mean * 1.01 && (pick == SIZE_MAX || cand[i].len < cand[pick].len ||
			(cand[i].len == cand[pick].len && cand[i].zstd_mean < cand[pick].zstd_mean)))
			pick = i;
	struct dict *d = &cand[pick];

	size_t train_bytes = 0, test_entries = 0;
	for (size_t i = 0; i < tr.n; i++)
		train_bytes += tr.len[i];
	for (size_t i = 0; i < gen_n; i++)
		test_entries += te.entries[i];

	out("Generated by `phr-dict-train --train-seed %llu --train-count %zu --test-seed %llu --test-count %zu "
	    "--sizes ",
	    (unsigned long long)train_seed, train_n, (unsigned long long)test_seed, test_n);
	for (size_t i = 0; i < n_sizes; i++)
		out("%s%zu", i ? "," : "", sizes[i]);
	out("` (tools/dict-train.c; `ninja -C build dict-train` rewrites the dictionary and this section).\n");
	machine();
	out("\nTraining corpus: %zu records (seed %llu), %zu bytes of bodies. Test corpus: %zu records "
	    "(seed %llu, %zu entries; different entries and different keys) and %zu examples/*.json as one-entry "
	    "records. Sizes are container bytes (5-byte header + compressed body).\n\n",
	    tr.n, (unsigned long long)train_seed, train_bytes, gen_n, (unsigned long long)test_seed, test_entries, n_ex);

	out("### Candidate dictionaries (mean container bytes on the generated test records)\n\n");
	out("| trainer | size | zstd+dict | DEFLATE+dict | examples, zstd+dict |\n|---|---:|---:|---:|---:|\n");
	for (size_t i = 0; i < n_cand; i++)
		out("| %s | %zu | %.1f | %.1f | %.1f |%s\n", cand[i].how, cand[i].len, cand[i].zstd_mean, cand[i].deflate_mean,
		    cand[i].ex_mean,
		    i == pick ? " **chosen**" : "");
	out("\nChosen: the smallest dictionary whose zstd mean is within 1%% of the best: %zu bytes (%s).\n\n", d->len,
	    d->how);

	for (int part = 0; part < 2; part++) {
		size_t from = part ? gen_n : 0, to = part ? te.n : gen_n;
		if (from == to)
			continue;
		if (part)
			out("\n### examples/*.json (%zu one-entry records, one embedded certificate)\n\n", to - from);
		else
			out("### Generated test records (%zu records, %zu entries)\n\n", to - from, test_entries);
		double us;
		struct stats none = measure(&te, from, to, PHR_COMP_NONE, NULL, 0, &us);
		table_head();
		row("none", "—", none, none.mean, us);
		struct stats s = measure(&te, from, to, PHR_COMP_DEFLATE, NULL, 0, &us);
		row("raw DEFLATE", "—", s, none.mean, us);
		s = measure(&te, from, to, PHR_COMP_DEFLATE_DICT1, d->buf, d->len, &us);
		row("DEFLATE + preset dictionary", "v1", s, none.mean, us);
		s = measure(&te, from, to, PHR_COMP_ZSTD_DICT1, d->buf, d->len, &us);
		row("zstd + dictionary", "v1", s, none.mean, us);
		s = measure_zstd_nodict(&te, from, to);
		out("| zstd, no dictionary (reference, not a wire method) | — | %.1f | %zu | %zu | %zu | %.1f%% | |\n", s.mean,
		    s.median, s.p95, s.max, 100.0 * s.mean / none.mean);
	}
	double z = measure(&te, 0, gen_n, PHR_COMP_ZSTD_DICT1, d->buf, d->len, NULL).mean;
	double df = measure(&te, 0, gen_n, PHR_COMP_DEFLATE_DICT1, d->buf, d->len, NULL).mean;
	out("\nDefault: **%s** (smaller mean on the generated test records: %.1f against %.1f bytes).\n",
	    z <= df ? "zstd + dictionary v1 (zstd-dict)" : "DEFLATE + dictionary v1 (deflate-dict)", z <= df ? z : df,
	    z <= df ? df : z);

	if (outp) {
		FILE *f = fopen(outp, "wb");
		if (!f || fwrite(d->buf, 1, d->len, f) != d->len || fclose(f)) {
			fprintf(stderr, "phr-dict-train: cannot write %s\n", outp);
			return 1;
		}
		fprintf(stderr, "phr-dict-train: wrote %s (%zu bytes)\n", outp, d->len);
	}
	if (doc)
		write_doc(doc);
	for (size_t i = 0; i < n_cand; i++)
		free(cand[i].buf);
	for (size_t i = 0; i < tr.n; i++)
		free(tr.body[i]);
	for (size_t i = 0; i < te.n; i++)
		free(te.body[i]);
	free(tr.body), free(tr.len), free(tr.entries), free(te.body), free(te.len), free(te.entries);
	free(report);
	return 0;
}
