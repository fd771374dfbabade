/* bench_register: the clinic's register at scale (docs/PERFORMANCE.md,
 * "Register"), through its public API only (include/phr/register.h), so it
 * measures whatever name keys, facts and store are linked.
 *
 *   meson test -C build --benchmark register --verbose
 *   PHR_BENCH_N=20000 ...        fewer records (default 1,000,000)
 *   PHR_BENCH_DIR=/some/dir ...  keep the database there; a later run that
 *                                finds it (same N) skips the build. Empty the
 *                                directory after changing register/: the file
 *                                holds the name keys and facts of the build
 *                                that made it
 *   PHR_BENCH_ONE_TX=1 ...       add without phr_register_begin/commit, one
 *                                transaction per record, for comparison
 *
 * Records. N distinct two-to-three-entry records, every one signed for
 * itself: a pool of POOL seeded generator cases (tests/gen) is made once,
 * and record i takes case i % POOL, gets its own record id (BLAKE2b of i)
 * and its own names (each spelling's family name followed by a word spelt
 * from i in five of 16 syllables, in Arabic letters for a name in Arabic
 * script and in Latin letters otherwise: 16^5 = 1,048,576 distinct words),
 * and is encoded and signed afresh (entries by the bench's Lesvos clinic,
 * certificate embedded). So record ids, names and signatures are all
 * distinct, and a name query has exactly one right answer; what repeats
 * every POOL records is the rest of the content (dates, codes, results),
 * which only makes code and date searches match as many records as a real
 * population of that size would (each code is in about the same share of
 * records). Generating the pool is what is saved: the generator and its
 * schema check cost more than signing.
 *
 * Add rate. Records are made BATCH at a time (not timed), then added with
 * phr_register_add inside phr_register_begin/commit (one transaction per
 * batch), then the same container bytes are inserted into a one-table
 * SQLite database, one transaction per batch, same journal mode and
 * synchronous setting (the baseline). The register's rate is given as a
 * share of the baseline's. The register also decodes and verifies every
 * record (two Ed25519 signatures and the chain) and indexes its fields;
 * decode + verify alone is timed on every tenth batch to show how much of
 * the gap that is.
 *
 * Searches: NQ name queries of records that exist (half Latin script, half
 * Arabic script), each checked to find its record; queries of a given and
 * a family name only (common words: every holder is ranked before the 500
 * best are kept); code queries (codes
 * drawn from the stored records); visit-date ranges of one week. p50/p99 in
 * ms. Report: the year 2025 through register/report.c (phr_register_each_facts
 * into phr_report_add_cb, then phr_report_doc builds the tables), by week
 * and by month (bench_register_report.c).
 * Memory: VmHWM, reset (/proc/self/clear_refs) after the pool is made, read
 * at 10%, 50% and 100% of the build, and around the searches and report. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "gen.h"
#include "phr/container.h"
#include "phr/crypto.h"
#include "phr/json.h"
#include "phr/register.h"
#include "phr/render.h"
#include "phr/verify.h"

#include "bench_register_report.h"
#include "benchlib.h"

const char *const bench_name = "bench_register";

#ifndef PHR_SOURCE_ROOT
#define PHR_SOURCE_ROOT "."
#endif

#define T0 1798761600u /* 2027-01-01: after every generated visit and follow-up */
#define SEED 20261203u
#define POOL 5000u         /* distinct generated cases, varied into N records */
#define BATCH 1000u        /* records per transaction */
#define NQ_NAME 1000u      /* name queries (half Latin, half Arabic script) */
#define NQ_COMMON 100u     /* name queries of common words only (given + family) */
#define NQ_CODE 200u       /* code queries */
#define NQ_DATE 200u       /* visit-date range queries (one week each) */
#define MAX_NAMES 4        /* spellings of a name kept per pool case */
#define MAX_ENTRIES 4
#define GOAL_ADD 0.50      /* add rate, share of bare SQLite */
#define GOAL_FIND_P99 50.0 /* ms */
#define GOAL_REPORT 2.0    /* s */

/* ---- the records -------------------------------------------------------- */

struct pool_name {
	json_t *obj;     /* the name object inside entries[0] (borrowed) */
	char *given;     /* as generated */
	char *family;    /* as generated */
	bool arabic;     /* written in Arabic script */
};
struct pool_case {
	json_t *e[MAX_ENTRIES];
	uint64_t t[MAX_ENTRIES];
	unsigned n;
	struct pool_name names[MAX_NAMES];
	unsigned n_names;
};

static struct pool_case *pool;
static struct phr_seckey *clinic;
static uint8_t *cert;
static size_t cert_len;

static const char *const syl_latin[16] = { "ba", "ka", "da", "ra", "sa", "ma", "na", "la",
					   "ta", "fa", "ha", "ja", "za", "wa", "ya", "qa" };
static const char *const syl_arabic[16] = { "با", "كا", "دا", "را", "سا", "ما", "نا", "لا",
					    "تا", "فا", "ها", "جا", "زا", "وا", "يا", "قا" };

/* The word of record i: five syllables, capitalised in Latin. */
static void tag_of(uint64_t i, bool arabic, char *out, size_t cap)
{
	size_t len = 0;
	out[0] = '\0';
	for (int k = 0; k < 5; k++) {
		unsigned s = (unsigned)(i >> (4 * (4 - k))) & 15u;
		const char *p = arabic ? syl_arabic[s] : syl_latin[s];
		len += (size_t)snprintf(out + len, cap - len, "%s", p);
	}
	if (!arabic)
		out[0] = (char)(out[0] - 'a' + 'A');
}

static bool is_arabic(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p >= 0xD8 && *p <= 0xDB)
			return true;
	return false;
}

static void record_id_of(uint64_t i, uint8_t id[PHR_RECORD_ID_LEN])
{
	uint8_t in[16];
	memcpy(in, "phr-bench", 8);
	memcpy(in + 8, &i, 8);
	crypto_generichash(id, PHR_RECORD_ID_LEN, in, sizeof(in), NULL, 0);
}

static void pool_make(void)
{
	pool = calloc(POOL, sizeof(*pool));
	if (!pool)
		abort();
	for (unsigned i = 0; i < POOL; i++) {
		struct gen_case *gc = gen_case_create(SEED, i);
		struct pool_case *c = &pool[i];
		if (!gc)
			bench_die("generator");
		unsigned fu = gen_case_follow_ups(gc);
		c->n = 1 + (fu < MAX_ENTRIES - 1 ? fu : MAX_ENTRIES - 1);
		for (unsigned k = 0; k < c->n; k++) {
			c->e[k] = k ? gen_case_follow_up(gc, k - 1) : gen_case_assessment(gc);
			c->t[k] = gen_case_time(gc, k);
		}
		json_t *names = json_object_get(json_object_get(c->e[0], "identity"), "names");
		size_t j;
		json_t *nm;
		json_array_foreach(names, j, nm) {
			const char *g = json_string_value(json_object_get(nm, "given"));
			const char *f = json_string_value(json_object_get(nm, "family"));
			if (!f || c->n_names == MAX_NAMES)
				continue;
			struct pool_name *pn = &c->names[c->n_names++];
			pn->obj = nm;
			pn->given = strdup(g ? g : "");
			pn->family = strdup(f);
			pn->arabic = is_arabic(f);
		}
		gen_case_destroy(gc);
	}
}

/* The name query of record i's spelling k: "given family tag". */
static void name_of(uint64_t i, unsigned k, char *out, size_t cap)
{
	const struct pool_name *pn = &pool[i % POOL].names[k];
	char tag[64];
	tag_of(i, pn->arabic, tag, sizeof(tag));
	snprintf(out, cap, "%s%s%s %s", pn->given, *pn->given ? " " : "", pn->family, tag);
}

/* Record i as a container (malloc'd). */
static void make_record(uint64_t i, uint8_t **buf, size_t *len)
{
	struct pool_case *c = &pool[i % POOL];
	uint8_t id[PHR_RECORD_ID_LEN];
	struct phr_record *r;
	record_id_of(i, id);
	for (unsigned k = 0; k < c->n_names; k++) {
		char tag[64], fam[400];
		tag_of(i, c->names[k].arabic, tag, sizeof(tag));
		snprintf(fam, sizeof(fam), "%s %s", c->names[k].family, tag);
		if (json_object_set_new(c->names[k].obj, "family", json_string(fam)))
			bench_die("name");
	}
	if (phr_record_create(id, &r))
		bench_die("record");
	for (unsigned k = 0; k < c->n; k++) {
		uint8_t *cbor;
		size_t clen;
		if (phr_entry_encode_json(c->e[k], &cbor, &clen) ||
		    phr_record_append(r, clinic, cert, cert_len, cbor, clen, c->t[k]))
			bench_die("sign an entry");
		free(cbor);
	}
	if (phr_record_encode(r, -1, buf, len))
		bench_die("encode");
	phr_record_destroy(r);
}

/* ---- measuring ------------------------------------------------------------ */

/* Resets VmHWM to the current RSS (Linux >= 4.0); false if not allowed. */
static bool vm_hwm_reset(void)
{
	FILE *f = fopen("/proc/self/clear_refs", "w");
	if (!f)
		return false;
	bool ok = fputs("5", f) >= 0;
	return fclose(f) == 0 && ok;
}

/* CPU time of this process, s: on a shared machine, what the code cost
 * apart from the waits for a core (I/O waits are not in it either). */
static double cpu_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double pct(double *v, size_t n, double p)
{
	qsort(v, n, sizeof(*v), cmp_double);
	size_t k = (size_t)(p * (double)(n - 1) + 0.5);
	return v[k];
}

static long long file_size(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0 ? (long long)sb.st_size : 0;
}

/* ---- the baseline: bare SQLite ------------------------------------------------ */

static sqlite3 *base_db;
static sqlite3_stmt *base_ins;

static void base_sql(const char *sql)
{
	char *err = NULL;
	if (sqlite3_exec(base_db, sql, NULL, NULL, &err) != SQLITE_OK) {
		fprintf(stderr, "bench_register: baseline: %s: %s\n", sql, err ? err : "?");
		exit(1);
	}
}

static void base_open(const char *path)
{
	if (sqlite3_open(path, &base_db) != SQLITE_OK)
		bench_die("baseline open");
	/* The register's settings (register/store_sqlite.c): WAL, synchronous NORMAL. */
	base_sql("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
		 "CREATE TABLE IF NOT EXISTS containers(id INTEGER PRIMARY KEY, bytes BLOB NOT NULL)");
	if (sqlite3_prepare_v2(base_db, "INSERT INTO containers(bytes) VALUES (?1)", -1, &base_ins, NULL) != SQLITE_OK)
		bench_die("baseline prepare");
}

static void base_close(void)
{
	sqlite3_finalize(base_ins);
	sqlite3_close(base_db);
}

static void base_insert_batch(uint8_t *const *bufs, const size_t *lens, size_t n)
{
	base_sql("BEGIN");
	for (size_t i = 0; i < n; i++) {
		sqlite3_bind_blob(base_ins, 1, bufs[i], (int)lens[i], SQLITE_STATIC);
		if (sqlite3_step(base_ins) != SQLITE_DONE)
			bench_die("baseline insert");
		sqlite3_reset(base_ins);
	}
	base_sql("COMMIT");
}

/* ---- build ------------------------------------------------------------------ */

struct build {
	size_t n;
	double add_s, base_s, verify_s;
	double add_cpu, verify_cpu; /* CPU time of this process (the machine may be shared) */
	size_t verify_n;
	long hwm[3];
	double seg_rate[3];
	double gen_s;
	bool one_tx;
};

static void build_db(const char *db, const char *base_path, size_t n, const struct phr_trust *trust, bool one_tx,
		     struct build *b)
{
	struct phr_register *reg;
	if (phr_register_open(db, PHR_REG_CREATE, &reg))
		bench_die(db);
	phr_register_set_clock(reg, T0);
	base_open(base_path);
	memset(b, 0, sizeof(*b));
	b->n = n;
	b->one_tx = one_tx;
	uint8_t **bufs = calloc(BATCH, sizeof(*bufs));
	size_t *lens = calloc(BATCH, sizeof(*lens));
	if (!bufs || !lens)
		abort();
	const size_t mark[3] = { n / 10, n / 2, n };
	size_t next_mark = 0, seg_start = 0;
	double seg_add = 0;
	bool reset = vm_hwm_reset();
	(void)reset;
	for (size_t at = 0, batch = 0; at < n; batch++) {
		size_t m = n - at < BATCH ? n - at : BATCH;
		/* keep the marks on batch boundaries */
		if (next_mark < 3 && at + m > mark[next_mark] && mark[next_mark] > at)
			m = mark[next_mark] - at;
		double t = bench_now();
		for (size_t i = 0; i < m; i++)
			make_record(at + i, &bufs[i], &lens[i]);
		b->gen_s += bench_now() - t;

		t = bench_now();
		double c0 = cpu_now();
		if (!one_tx && phr_register_begin(reg))
			bench_die("begin");
		for (size_t i = 0; i < m; i++) {
			struct phr_register_added a;
			if (phr_register_add(reg, bufs[i], lens[i], trust, T0 + 3600, PHR_REG_HOW_ADD, &a))
				bench_die("add");
			if (!a.new_record || a.failed) {
				fprintf(stderr, "bench_register: record %zu: not new, or failed verification (%s)\n", at + i, phr_strerror(a.verify_err));
				exit(1);
			}
		}
		if (!one_tx && phr_register_commit(reg))
			bench_die("commit");
		double dt = bench_now() - t;
		b->add_cpu += cpu_now() - c0;
		b->add_s += dt;
		seg_add += dt;

		t = bench_now();
		base_insert_batch(bufs, lens, m);
		b->base_s += bench_now() - t;

		if (batch % 10 == 0) { /* decode + verify alone, a sample */
			struct phr_report *rep = calloc(1, sizeof(*rep));
			if (!rep)
				abort();
			t = bench_now();
			c0 = cpu_now();
			for (size_t i = 0; i < m; i++) {
				struct phr_record *r;
				if (phr_record_decode(bufs[i], lens[i], &r))
					bench_die("decode");
				(void)phr_verify_record(r, trust, T0 + 3600, rep);
				phr_record_destroy(r);
			}
			b->verify_s += bench_now() - t;
			b->verify_cpu += cpu_now() - c0;
			b->verify_n += m;
			free(rep);
		}
		for (size_t i = 0; i < m; i++)
			free(bufs[i]);
		at += m;
		if (next_mark < 3 && at == mark[next_mark]) {
			b->hwm[next_mark] = bench_vm_hwm_kb();
			b->seg_rate[next_mark] = (double)(at - seg_start) / seg_add;
			printf("  built %zu of %zu records: %.0f records/s since the last mark, VmHWM %ld KiB\n", at, n,
			       b->seg_rate[next_mark], b->hwm[next_mark]);
			fflush(stdout);
			seg_start = at;
			seg_add = 0;
			while (next_mark < 3 && at == mark[next_mark])
				next_mark++;
		}
	}
	free(bufs);
	free(lens);
	base_close();
	phr_register_close(reg); /* the last connection checkpoints the WAL into the file */
}

static void build_save(const char *path, const struct build *b)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return;
	fprintf(f, "%zu %.6f %.6f %.6f %zu %ld %ld %ld %.3f %.3f %.3f %.6f %d %.6f %.6f\n", b->n, b->add_s, b->base_s,
		b->verify_s, b->verify_n, b->hwm[0], b->hwm[1], b->hwm[2], b->seg_rate[0], b->seg_rate[1],
		b->seg_rate[2], b->gen_s, b->one_tx, b->add_cpu, b->verify_cpu);
	fclose(f);
}

static bool build_load(const char *path, size_t n, struct build *b)
{
	FILE *f = fopen(path, "r");
	int one = 0;
	if (!f)
		return false;
	bool ok = fscanf(f, "%zu %lf %lf %lf %zu %ld %ld %ld %lf %lf %lf %lf %d %lf %lf", &b->n, &b->add_s, &b->base_s,
			 &b->verify_s, &b->verify_n, &b->hwm[0], &b->hwm[1], &b->hwm[2], &b->seg_rate[0],
			 &b->seg_rate[1], &b->seg_rate[2], &b->gen_s, &one, &b->add_cpu, &b->verify_cpu) == 15 &&
		  b->n == n;
	b->one_tx = one != 0;
	fclose(f);
	return ok;
}

/* ---- searches ------------------------------------------------------------------ */

struct find_ctx {
	const char *want;
	bool found;
	size_t hits;
};

static int on_hit(void *ctx, const struct phr_register_hit *h)
{
	struct find_ctx *c = ctx;
	c->hits++;
	if (c->want && !strcmp(h->record_hex, c->want))
		c->found = true;
	return 0;
}

/* CPU time of each query (ms), beside its wall-clock time in ms[]. */
static double cpu_q[NQ_NAME], cpu_t0;

static void print_lat(const char *what, double *ms, size_t n, size_t hits, size_t found, size_t asked)
{
	double sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += ms[i];
	double mean = sum / (double)n, p99 = pct(ms, n, 0.99), p50 = pct(ms, n, 0.50), mx = ms[n - 1];
	printf("%-32s %5zu  %8.2f  %8.2f  %8.2f  %8.2f  %9.1f", what, n, p50, p99, mean, mx, (double)hits / (double)n);
	printf("  %6.2f / %6.2f", pct(cpu_q, n, 0.50), pct(cpu_q, n, 0.99));
	if (asked)
		printf("  %zu/%zu", found, asked);
	printf("\n");
}

/* Codes of the stored records, drawn from the pool's entries. */
static void collect_codes(const json_t *v, char (*codes)[48], size_t *n, size_t cap)
{
	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		static const char *const sys[] = { "icd11:", "icd10:", "atc:", "loinc:", "snomed:" };
		for (size_t k = 0; k < 5; k++)
			if (!strncmp(s, sys[k], strlen(sys[k])) && strlen(s) < 48 && *n < cap)
				snprintf(codes[(*n)++], 48, "%s", s);
		return;
	}
	const char *key;
	json_t *c;
	size_t i;
	if (json_is_object(v))
		json_object_foreach((json_t *)v, key, c) collect_codes(c, codes, n, cap);
	else if (json_is_array(v))
		json_array_foreach(v, i, c) collect_codes(c, codes, n, cap);
}

/* ---- main ---------------------------------------------------------------------------- */

static char tmpdir[512];

static void rm_tree(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char p[1024];
	while (d && (e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
			unlink(p);
		}
	if (d)
		closedir(d);
	rmdir(dir);
}

/* The temporary directory goes on any exit, bench_die's too. */
static void remove_tmpdir(void)
{
	if (tmpdir[0])
		rm_tree(tmpdir);
}

int main(void)
{
	if (sodium_init() < 0)
		return 2;
	const char *ns = getenv("PHR_BENCH_N");
	size_t n = ns && *ns ? strtoul(ns, NULL, 10) : 1000000;
	if (n < 100 || n > 1048576) {
		fprintf(stderr, "bench_register: PHR_BENCH_N is 100 to 1048576\n");
		return 2;
	}
	const char *ot = getenv("PHR_BENCH_ONE_TX");
	bool one_tx = ot && *ot && strcmp(ot, "0");
	const char *dir = getenv("PHR_BENCH_DIR");
	bool keep = dir && *dir;
	if (keep) {
		if (mkdir(dir, 0700) && errno != EEXIST)
			bench_die(dir);
		snprintf(tmpdir, sizeof(tmpdir), "%s", dir);
	} else {
		const char *t = getenv("TMPDIR");
		snprintf(tmpdir, sizeof(tmpdir), "%s/phr-bench-register-XXXXXX", t && *t ? t : "/tmp");
		if (!mkdtemp(tmpdir))
			bench_die("mkdtemp");
		atexit(remove_tmpdir);
	}
	char db[600], base_path[600], figs[600];
	snprintf(db, sizeof(db), "%s/register.db", tmpdir);
	snprintf(base_path, sizeof(base_path), "%s/baseline.db", tmpdir);
	snprintf(figs, sizeof(figs), "%s/build-figures.txt", tmpdir);

	const char *root = getenv("PHR_SOURCE_ROOT");
	char path[4096];
	snprintf(path, sizeof(path), "%s/layouts/codes.tsv", root ? root : PHR_SOURCE_ROOT);
	if (gen_codes_load(path) < 0)
		bench_die(path);
	struct phr_seckey *auth = bench_key(BENCH_AUTHORITY);
	clinic = bench_key(BENCH_LESVOS);
	struct phr_pubkey ap = *phr_seckey_public(auth);
	uint8_t *tb;
	size_t tb_len;
	struct phr_trust *trust;
	if (phr_cert_issue(auth, phr_seckey_public(clinic), 0, 4102444800u, &cert, &cert_len))
		bench_die("certificate");
	const uint8_t *certs[1] = { cert };
	size_t clens[1] = { cert_len };
	if (phr_trust_build(auth, &ap, 1, certs, clens, 1, NULL, 0, 1, T0, T0 + 86400, &tb, &tb_len) ||
	    phr_trust_load(tb, tb_len, &trust))
		bench_die("trust bundle");
	free(tb);

	double t = bench_now();
	pool_make();
	double pool_s = bench_now() - t;
	printf("Register benchmark: %zu records (PHR_BENCH_N), SQLite %s, database in %s%s.\n", n,
	       sqlite3_libversion(), tmpdir, keep ? " (PHR_BENCH_DIR, kept)" : " (removed at the end)");
	printf("Records: %u seeded generator cases (seed %u, %.1f s to make) varied into %zu distinct records:\n"
	       "own record id, own names (family name + a word spelt from the record's number, Arabic letters for\n"
	       "Arabic-script names), every entry encoded and signed afresh (Lesvos clinic, certificate embedded).\n"
	       "Other content repeats every %u records.\n\n",
	       POOL, SEED, pool_s, n, POOL);

	struct build b;
	bool reused = file_size(db) > 0 && build_load(figs, n, &b);
	if (reused) {
		printf("Build: reusing %s (its build figures are those of the run that built it).\n", db);
	} else {
		unlink(db);
		unlink(base_path);
		char side[700];
		snprintf(side, sizeof(side), "%s-wal", db);
		unlink(side);
		snprintf(side, sizeof(side), "%s-shm", db);
		unlink(side);
		snprintf(side, sizeof(side), "%s-wal", base_path);
		unlink(side);
		snprintf(side, sizeof(side), "%s-shm", base_path);
		unlink(side);
		printf("Build: %zu records, %u per %s, through phr_register_add; the same bytes into bare SQLite:\n", n,
		       BATCH, one_tx ? "batch, each add its own transaction (PHR_BENCH_ONE_TX)"
				     : "transaction (phr_register_begin/commit)");
		fflush(stdout);
		build_db(db, base_path, n, trust, one_tx, &b);
		build_save(figs, &b);
	}
	double add_rate = (double)b.n / b.add_s, base_rate = (double)b.n / b.base_s;
	double ver_rate = b.verify_n ? (double)b.verify_n / b.verify_s : 0;
	printf("\nAdd rate (records/s)%s\n", b.one_tx ? ", one transaction per add" : ", one transaction per batch of 1000");
	printf("  phr_register_add                     %10.0f records/s  (%.0f us/record)\n", add_rate,
	       1e6 / add_rate);
	printf("  bare SQLite insert, same bytes       %10.0f records/s  (%.1f us/record)\n", base_rate,
	       1e6 / base_rate);
	printf("  register / bare SQLite               %10.2f %%          goal >= %.0f %%: %s\n",
	       100.0 * add_rate / base_rate, 100 * GOAL_ADD, add_rate / base_rate >= GOAL_ADD ? "met" : "NOT MET");
	printf("  of which decode + verify alone       %10.0f records/s  (%.0f us/record, %.0f %% of an add)\n", ver_rate,
	       1e6 / ver_rate, 100.0 * (1e6 / ver_rate) / (1e6 / add_rate));
	/* The most an add can reach while it verifies what it files (the issue
	 * asks for the verification report of every version met): an add that
	 * did nothing but decode and verify, as a share of bare inserts. */
	if (ver_rate > 0)
		printf("  ceiling: decode + verify alone       %10.2f %% of bare SQLite (an add that stored nothing)\n",
		       100.0 * ver_rate / base_rate);
	/* The step after verification (index rows, names and their keys, the
	 * version, sighting and audit rows, the commit): an add's time less
	 * decode + verify of the same records (the sampled batches), so a
	 * derived figure, not a separate timing. */
	double store_us = 1e6 / add_rate - 1e6 / ver_rate;
	if (store_us > 0)
		printf("  storage + index alone (add - verify) %10.0f records/s  (%.0f us/record), %.2f %% of bare SQLite\n",
		       1e6 / store_us, store_us, 100.0 * (1e6 / store_us) / base_rate);
	else
		printf("  storage + index alone (add - verify)  not measurable in this run (decode + verify took longer)\n");
	if (b.add_cpu > 0 && b.verify_cpu > 0 && b.verify_n) {
		double add_cpu_us = 1e6 * b.add_cpu / (double)b.n, ver_cpu_us = 1e6 * b.verify_cpu / (double)b.verify_n;
		printf("  CPU time (this process): add %.0f us/record, decode + verify %.0f, storage + index %.0f\n",
		       add_cpu_us, ver_cpu_us, add_cpu_us - ver_cpu_us);
	}
	printf("  add rate at 10%% / 50%% / 100%% of N   %10.0f / %.0f / %.0f records/s (each since the last mark)\n",
	       b.seg_rate[0], b.seg_rate[1], b.seg_rate[2]);
	printf("  making the records (not timed above)  %9.1f s\n", b.gen_s);

	long long dbsz = file_size(db), basesz = file_size(base_path);
	printf("\nDB size: %.0f bytes/record (%lld bytes); bare SQLite of the containers %.0f bytes/record; ratio %.2f\n",
	       (double)dbsz / (double)n, dbsz, (double)basesz / (double)n, (double)dbsz / (double)basesz);

	/* ---- searches ---- */
	struct phr_register *reg;
	if (phr_register_open(db, 0, &reg))
		bench_die(db);
	phr_register_set_clock(reg, T0 + 7200);
	vm_hwm_reset();
	printf("\nSearches (ms)                        count       p50       p99      mean       max  hits/query  CPU p50 / p99  found\n");
	double *ms = calloc(NQ_NAME, sizeof(double));
	if (!ms)
		abort();
	struct gen_rng rng;
	double name_p99[2] = { 0, 0 };
	bool name_found[2] = { false, false };
	gen_rng_init(&rng, SEED, 7);
	for (int script = 0; script < 2; script++) {
		size_t q = 0, found = 0, hits = 0, tries = 0;
		while (q < NQ_NAME / 2 && tries++ < 100 * NQ_NAME) {
			uint64_t i = gen_next(&rng) % n;
			const struct pool_case *c = &pool[i % POOL];
			int k = -1;
			for (unsigned j = 0; j < c->n_names; j++)
				if (c->names[j].arabic == (script == 1))
					k = (int)j;
			if (k < 0)
				continue;
			char name[600], hex[33];
			uint8_t id[PHR_RECORD_ID_LEN];
			name_of(i, (unsigned)k, name, sizeof(name));
			record_id_of(i, id);
			phr_record_id_hex(id, hex);
			struct phr_register_query qq = { .name = name };
			struct find_ctx fc = { .want = hex };
			t = bench_now();
			cpu_t0 = cpu_now();
			if (phr_register_find(reg, &qq, on_hit, &fc))
				bench_die("find by name");
			cpu_q[q] = 1e3 * (cpu_now() - cpu_t0);
			ms[q++] = 1e3 * (bench_now() - t);
			found += fc.found;
			hits += fc.hits;
		}
		print_lat(script ? "find --name, Arabic script" : "find --name, Latin script", ms, q, hits, found, q);
		name_p99[script] = pct(ms, q, 0.99);
		name_found[script] = found == q;
	}
	/* common words only: "given family" without the record's own word, so
	 * every holder of both is a candidate and is ranked before the cut */
	{
		size_t q = 0, hits = 0;
		struct gen_rng crng; /* its own stream: the code and date queries stay those of earlier runs */
		gen_rng_init(&crng, SEED, 8);
		while (q < NQ_COMMON) {
			uint64_t i = gen_next(&crng) % n;
			const struct pool_case *c = &pool[i % POOL];
			if (!c->n_names)
				continue;
			const struct pool_name *pn = &c->names[gen_next(&crng) % c->n_names];
			char name[600];
			snprintf(name, sizeof(name), "%s%s%s", pn->given, *pn->given ? " " : "", pn->family);
			struct phr_register_query qq = { .name = name };
			struct find_ctx fc = { 0 };
			t = bench_now();
			cpu_t0 = cpu_now();
			if (phr_register_find(reg, &qq, on_hit, &fc))
				bench_die("find by common name");
			cpu_q[q] = 1e3 * (cpu_now() - cpu_t0);
			ms[q++] = 1e3 * (bench_now() - t);
			hits += fc.hits;
		}
		print_lat("find --name, given + family", ms, q, hits, 0, 0);
	}
	/* codes */
	{
		static char codes[20000][48];
		size_t nc = 0;
		for (unsigned i = 0; i < POOL && nc < 20000; i++)
			for (unsigned k = 0; k < pool[i].n; k++)
				collect_codes(pool[i].e[k], codes, &nc, 20000);
		size_t hits = 0;
		for (size_t q = 0; q < NQ_CODE; q++) {
			struct phr_register_query qq = { .code = codes[gen_next(&rng) % nc] };
			struct find_ctx fc = { 0 };
			t = bench_now();
			cpu_t0 = cpu_now();
			if (phr_register_find(reg, &qq, on_hit, &fc))
				bench_die("find by code");
			cpu_q[q] = 1e3 * (cpu_now() - cpu_t0);
			ms[q] = 1e3 * (bench_now() - t);
			hits += fc.hits;
		}
		print_lat("find --code", ms, NQ_CODE, hits, 0, 0);
	}
	/* visit dates: one week in 2024-2025 */
	{
		size_t hits = 0;
		int64_t d0 = phr_days_from_civil(2024, 1, 1);
		for (size_t q = 0; q < NQ_DATE; q++) {
			int64_t from = d0 + (int64_t)gen_below(&rng, 724);
			struct phr_register_query qq = { .visited = true, .visited_from = from, .visited_to = from + 6 };
			struct find_ctx fc = { 0 };
			t = bench_now();
			cpu_t0 = cpu_now();
			if (phr_register_find(reg, &qq, on_hit, &fc))
				bench_die("find by visit date");
			cpu_q[q] = 1e3 * (cpu_now() - cpu_t0);
			ms[q] = 1e3 * (bench_now() - t);
			hits += fc.hits;
		}
		print_lat("find --visited (one week)", ms, NQ_DATE, hits, 0, 0);
	}
	long hwm_find = bench_vm_hwm_kb();
	printf("(CPU: this process's CPU time for the same queries, ms; the machine may be shared)\n");
	printf("(at most %d hits are returned; a name query must find its record: found = queries that did)\n",
	       PHR_REG_MAX_HITS);
	printf("find --name p99 <= %.0f ms, every query finding its record (Latin, Arabic script): %s\n", GOAL_FIND_P99,
	       name_p99[0] <= GOAL_FIND_P99 && name_p99[1] <= GOAL_FIND_P99 && name_found[0] && name_found[1] ? "met"
													   : "NOT MET");

	/* ---- report ---- */
	vm_hwm_reset();
	int64_t y0 = phr_days_from_civil(2025, 1, 1), y1 = phr_days_from_civil(2026, 1, 1) - 1;
	struct bench_report_figures weekly = { 0 }, monthly = { 0 };
	double best_weeks = 1e9, best_months = 1e9;
	for (int rep = 0; rep < 3; rep++) {
		t = bench_now();
		if (bench_register_report(reg, y0, y1, 0, &weekly))
			bench_die("report by week");
		double dt = bench_now() - t;
		best_weeks = dt < best_weeks ? dt : best_weeks;
		t = bench_now();
		if (bench_register_report(reg, y0, y1, 1, &monthly))
			bench_die("report by month");
		dt = bench_now() - t;
		best_months = dt < best_months ? dt : best_months;
	}
	long hwm_report = bench_vm_hwm_kb();
	printf("\nReport of 2025 (phr_register_each_facts into register/report.c, tables built by phr_report_doc,"
	       " grouped by nationality), best of 3\n");
	printf("  by week                              %8.3f s   %zu persons, %zu tables x %zu columns   goal <= %.0f s: %s\n",
	       best_weeks, weekly.persons, weekly.tables, weekly.cols, GOAL_REPORT,
	       best_weeks <= GOAL_REPORT ? "met" : "NOT MET");
	printf("  by month                             %8.3f s   %zu persons, %zu tables x %zu columns   goal <= %.0f s: %s\n",
	       best_months, monthly.persons, monthly.tables, monthly.cols, GOAL_REPORT,
	       best_months <= GOAL_REPORT ? "met" : "NOT MET");

	printf("\nPeak memory (VmHWM, reset after the record pool was made)\n");
	if (reused)
		printf("  build: not measured in this run (database reused); the building run's:\n");
	printf("  build at 10%% / 50%% / 100%% of N      %ld / %ld / %ld KiB\n", b.hwm[0], b.hwm[1], b.hwm[2]);
	printf("  searches                             %ld KiB\n", hwm_find);
	printf("  report                               %ld KiB\n", hwm_report);

	phr_register_close(reg);
	free(ms);
	for (unsigned i = 0; i < POOL; i++) {
		for (unsigned k = 0; k < pool[i].n; k++)
			json_decref(pool[i].e[k]);
		for (unsigned k = 0; k < pool[i].n_names; k++) {
			free(pool[i].names[k].given);
			free(pool[i].names[k].family);
		}
	}
	free(pool);
	free(cert);
	phr_trust_destroy(trust);
	phr_seckey_destroy(auth);
	phr_seckey_destroy(clinic);
	return 0; /* remove_tmpdir removes a temporary directory */
}
