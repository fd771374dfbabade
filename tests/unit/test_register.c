/* The clinic's register (register/, include/phr/register.h): opening and
 * migrating, versions keyed by what is signed, older copies and forks,
 * consent, forgetting without a trace, the audit, prefix lookup, documents,
 * the integrity check, and every example round-tripped byte for byte. */
#include <dirent.h>
#include <fcntl.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "facts.h"
#include "names.h"
#include "store.h" /* register/: the store, to search with a small max */

#include "fixture.h"
#include "gen.h"
#include "phr/json.h"
#include "phr/register.h"
#include "phr/render.h"
#include "phr/seal.h"
#include "phr/container.h"
#include "testlib.h"
#ifdef PHR_TEST_PG
/* Built a second time as tests/hub's test_register_pg: the same tests
 * against the PostgreSQL backend, one database per register file name. */
#include "pgtest.h"
#endif

#define NOW (FX_T0 + 3600u)

static struct fixture F;
static char dir[256];

/* A fresh register file path in the scratch directory. */
static const char *db_path(const char *name)
{
#ifdef PHR_TEST_PG
	return pgtest_db(name, true);
#endif
	static char p[512];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	char side[600];
	unlink(p);
	snprintf(side, sizeof(side), "%s-wal", p);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", p);
	unlink(side);
	return p;
}

/* The path of a register file already made (nothing removed). */
static const char *db_path_keep(const char *name)
{
#ifdef PHR_TEST_PG
	return pgtest_db(name, false);
#endif
	static char p[512];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return p;
}

static int open_new(const char *name, struct phr_register **reg)
{
	int rc = phr_register_open(db_path(name), PHR_REG_CREATE, reg);
	if (!rc)
		phr_register_set_clock(*reg, NOW);
	return rc;
}

static int encode(const struct phr_record *r, int compression, uint8_t **buf, size_t *len)
{
	return phr_record_encode(r, compression, buf, len);
}

/* Adds r (encoded with compression) and returns the add's result. */
static int add_record(struct phr_register *reg, const struct phr_record *r, int compression,
		      struct phr_register_added *out)
{
	uint8_t *buf;
	size_t len;
	int rc = encode(r, compression, &buf, &len);
	if (rc)
		return rc;
	rc = phr_register_add(reg, buf, len, F.trust, NOW, PHR_REG_HOW_ADD, out);
	free(buf);
	return rc;
}

static int count_versions_cb(void *ctx, const struct phr_register_version *v)
{
	(void)v;
	(*(size_t *)ctx)++;
	return 0;
}

static size_t n_versions(struct phr_register *reg, const uint8_t *id)
{
	size_t n = 0;
	if (phr_register_each_version(reg, id, count_versions_cb, &n))
		return (size_t)-1;
	return n;
}

/* ---- open and migrate -------------------------------------------------- */

static int test_open_create_migrate(void)
{
	struct phr_register *reg;
	const char *p = db_path("open.db");
	CHECK_RC(phr_register_open(p, 0, &reg), PHR_E_NOT_FOUND);
	CHECK_RC(phr_register_open(p, PHR_REG_CREATE, &reg), PHR_OK);
	CHECK(phr_register_schema_version(reg) == phr_register_schema_latest());
	struct stat sb;
	CHECK(stat(p, &sb) == 0 && (sb.st_mode & 0777) == 0600); /* health data: the owner's only */
	CHECK(phr_register_schema_latest() >= 1);
	phr_register_close(reg);
	/* the file carries its schema version and is WAL */
	sqlite3 *db;
	CHECK(sqlite3_open(p, &db) == SQLITE_OK);
	sqlite3_stmt *st;
	CHECK(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK);
	CHECK(sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) == phr_register_schema_latest());
	sqlite3_finalize(st);
	CHECK(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL) == SQLITE_OK);
	CHECK(sqlite3_step(st) == SQLITE_ROW && !strcmp((const char *)sqlite3_column_text(st, 0), "wal"));
	sqlite3_finalize(st);
	/* a schema newer than this program is refused */
	CHECK(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(db);
	CHECK_RC(phr_register_open(p, 0, &reg), PHR_E_DB_VERSION);
	/* reopening an existing register without CREATE works, read-only too */
	CHECK(sqlite3_open(p, &db) == SQLITE_OK);
	char sql[64];
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", phr_register_schema_latest());
	CHECK(sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(db);
	CHECK_RC(phr_register_open(p, 0, &reg), PHR_OK);
	phr_register_close(reg);
	CHECK_RC(phr_register_open(p, PHR_REG_READONLY, &reg), PHR_OK);
	phr_register_close(reg);
	return 0;
}

static int test_open_not_a_register(void)
{
	struct phr_register *reg;
	/* bytes that are not a database */
	const char *p = db_path("garbage.db");
	FILE *f = fopen(p, "wb");
	CHECK(f);
	for (int i = 0; i < 8192; i++)
		fputc((i * 37) & 0xff, f);
	fclose(f);
	CHECK_RC(phr_register_open(p, 0, &reg), PHR_E_DB_CORRUPT);
	CHECK_RC(phr_register_open(p, PHR_REG_CREATE, &reg), PHR_E_DB_CORRUPT);
	/* an empty file is not a register, unless one is to be made in it */
	p = db_path("empty.db");
	f = fopen(p, "wb");
	CHECK(f);
	fclose(f);
	CHECK_RC(phr_register_open(p, 0, &reg), PHR_E_DB_CORRUPT);
	CHECK_RC(phr_register_open(p, PHR_REG_CREATE, &reg), PHR_OK);
	phr_register_close(reg);
	CHECK_RC(phr_register_open(p, 0, &reg), PHR_OK);
	phr_register_close(reg);
		/* another program's SQLite file */
	p = db_path("other.db");
	sqlite3 *db;
	CHECK(sqlite3_open(p, &db) == SQLITE_OK);
	CHECK(sqlite3_exec(db, "CREATE TABLE t(x); INSERT INTO t VALUES (1)", NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(db);
	CHECK_RC(phr_register_open(p, 0, &reg), PHR_E_DB_CORRUPT);
	CHECK(strstr(phr_last_error(), "not a phr register"));
	return 0;
}

/* A register whose first page is damaged after records were stored. */
static int test_corrupted_file(void)
{
	struct phr_register *reg;
	struct phr_record *r;
	struct phr_register_added a;
	CHECK_RC(open_new("corrupt.db", &reg), PHR_OK);
	CHECK(!fx_record(&F, 2, NULL, &r));
	CHECK_RC(add_record(reg, r, -1, &a), PHR_OK);
	phr_record_destroy(r);
	phr_register_close(reg); /* the last connection checkpoints the WAL into the file */
	char path[512];
	snprintf(path, sizeof(path), "%s/corrupt.db", dir);
	int fd = open(path, O_WRONLY);
	CHECK(fd >= 0);
	uint8_t junk[100];
	memset(junk, 0xA5, sizeof(junk));
	CHECK(pwrite(fd, junk, sizeof(junk), 0) == (ssize_t)sizeof(junk)); /* the header */
	close(fd);
	CHECK_RC(phr_register_open(path, 0, &reg), PHR_E_DB_CORRUPT);
	CHECK(strstr(phr_last_error(), "corrupt.db"));
	return 0;
}

/* ---- versions ---------------------------------------------------------------- */

static int test_add_and_same_version(void)
{
	struct phr_register *reg;
	struct phr_record *r;
	struct phr_register_added a, b, c;
	CHECK_RC(open_new("same.db", &reg), PHR_OK);
	CHECK(!fx_record(&F, 2, NULL, &r));
	CHECK_RC(add_record(reg, r, -1, &a), PHR_OK);
	CHECK(a.new_record && a.new_version && !a.older && !a.fork && !a.failed && a.verify_err == PHR_OK);
	CHECK(a.n_entries == 2);
	char vhex[PHR_VERSION_ID_HEX_LEN];
	CHECK_RC(phr_record_version_id_hex(r, vhex), PHR_OK);
	CHECK(!strcmp(a.version_hex, vhex));
	/* the same signed entries, other bytes: no compression */
	uint8_t *b1, *b2;
	size_t l1, l2;
	CHECK_RC(encode(r, -1, &b1, &l1), PHR_OK);
	CHECK_RC(encode(r, 0, &b2, &l2), PHR_OK);
	CHECK(l1 != l2 || memcmp(b1, b2, l1));
	CHECK_RC(phr_register_add(reg, b2, l2, F.trust, NOW, PHR_REG_HOW_SCANNED, &b), PHR_OK);
	CHECK(!b.new_record && !b.new_version && !strcmp(b.version_hex, a.version_hex));
	/* ... and without the embedded certificates (an unsigned part too) */
	struct phr_record *bare;
	CHECK_RC(phr_record_decode(b2, l2, &bare), PHR_OK);
	bare->n_certs = 0;
	uint8_t *b3;
	size_t l3;
	CHECK_RC(encode(bare, 0, &b3, &l3), PHR_OK);
	CHECK(l3 < l2);
	CHECK_RC(phr_register_add(reg, b3, l3, F.trust, NOW, PHR_REG_HOW_CARD, &c), PHR_OK);
	CHECK(!c.new_version && !strcmp(c.version_hex, a.version_hex));
	CHECK(n_versions(reg, r->id) == 1);
	/* export gives the bytes first met */
	uint8_t *got;
	size_t glen;
	CHECK_RC(phr_register_latest(reg, r->id, &got, &glen), PHR_OK);
	CHECK(glen == l1 && !memcmp(got, b1, l1));
	free(got);
	free(b1);
	free(b2);
	free(b3);
	phr_record_destroy(bare);
	phr_record_destroy(r);
	phr_register_close(reg);
	return 0;
}

struct sightings {
	size_t n;
	char how[8][16];
	uint64_t trust[8];
	bool report_has_id[8];
	const char *want_id;
};

static int sighting_cb(void *ctx, const struct phr_register_sighting *s)
{
	struct sightings *g = ctx;
	if (g->n < 8) {
		snprintf(g->how[g->n], sizeof(g->how[0]), "%s", s->how);
		g->trust[g->n] = s->trust_version;
		g->report_has_id[g->n] = strstr(s->report, g->want_id) != NULL;
	}
	g->n++;
	return 0;
}

static int test_sightings(void)
{
	struct phr_register *reg;
	struct phr_record *r;
	struct phr_register_added a;
	uint8_t *buf;
	size_t len;
	char hex[33];
	CHECK_RC(open_new("sight.db", &reg), PHR_OK);
	CHECK(!fx_record(&F, 1, NULL, &r));
	CHECK_RC(encode(r, -1, &buf, &len), PHR_OK);
	CHECK_RC(phr_register_add(reg, buf, len, F.trust, NOW, PHR_REG_HOW_ISSUED, &a), PHR_OK);
	CHECK_RC(phr_register_add(reg, buf, len, NULL, NOW, PHR_REG_HOW_SCANNED, &a), PHR_OK);
	CHECK(!a.failed && a.verify_err != PHR_OK); /* signature only: no bundle */
	phr_record_id_hex(r->id, hex);
	struct sightings g = { .want_id = hex };
	CHECK_RC(phr_register_each_sighting(reg, r->id, sighting_cb, &g), PHR_OK);
	CHECK(g.n == 2);
	CHECK(!strcmp(g.how[0], "issued") && !strcmp(g.how[1], "scanned"));
	CHECK(g.trust[0] == phr_trust_version(F.trust) && g.trust[1] == 0);
	CHECK(g.report_has_id[0] && g.report_has_id[1]);
	free(buf);
	phr_record_destroy(r);
	phr_register_close(reg);
	return 0;
}

static int test_older_copy(void)
{
	struct phr_register *reg;
	struct phr_record *r1, *r3;
	struct phr_register_added a, b;
	uint8_t id[PHR_RECORD_ID_LEN];
	memset(id, 0x42, sizeof(id));
	CHECK_RC(open_new("older.db", &reg), PHR_OK);
	CHECK(!fx_record(&F, 1, id, &r1));
	CHECK(!fx_record(&F, 3, id, &r3));
	CHECK_RC(add_record(reg, r3, -1, &a), PHR_OK);
	CHECK_RC(add_record(reg, r1, -1, &b), PHR_OK);
	CHECK(b.older && !b.fork && b.new_version && b.newer_entries == 3);
	CHECK(!strcmp(b.newer_hex, a.version_hex));
	/* met again: still older, one more sighting, no new version */
	CHECK_RC(add_record(reg, r1, 0, &b), PHR_OK);
	CHECK(b.older && !b.new_version);
	CHECK(n_versions(reg, id) == 2);
	/* the latest is the longer one, whatever the order met */
	uint8_t *got, *want;
	size_t glen, wlen;
	CHECK_RC(phr_register_latest(reg, id, &got, &glen), PHR_OK);
	CHECK_RC(encode(r3, -1, &want, &wlen), PHR_OK);
	CHECK(glen == wlen && !memcmp(got, want, wlen));
	free(got);
	free(want);
	/* a newer one is not older */
	struct phr_record *r2;
	CHECK(!fx_record(&F, 2, id, &r2));
	CHECK_RC(add_record(reg, r2, -1, &b), PHR_OK);
	CHECK(b.older && b.newer_entries == 3); /* 2 is a prefix of 3 too */
	phr_record_destroy(r2);
	phr_record_destroy(r1);
	phr_record_destroy(r3);
	phr_register_close(reg);
	return 0;
}

struct vflags {
	size_t n, forks, latest, older;
	size_t latest_entries;
};

static int vflags_cb(void *ctx, const struct phr_register_version *v)
{
	struct vflags *f = ctx;
	f->n++;
	f->forks += v->fork;
	f->older += v->older;
	if (v->latest) {
		f->latest++;
		f->latest_entries = v->n_entries;
	}
	return 0;
}

static int test_fork(void)
{
	struct phr_register *reg;
	struct phr_record *a, *b;
	struct phr_register_added ra, rb;
	uint8_t id[PHR_RECORD_ID_LEN];
	memset(id, 0x43, sizeof(id));
	CHECK_RC(open_new("fork.db", &reg), PHR_OK);
	/* two clinics extend the same one-entry copy */
	CHECK(!fx_record(&F, 1, id, &a));
	CHECK(!fx_record(&F, 1, id, &b));
	CHECK_RC(phr_record_append(a, F.clinic2, F.cert2, F.cert2_len, F.entry1, F.entry1_len, FX_T0 + 600), PHR_OK);
	CHECK_RC(phr_record_append(b, F.clinic1, F.cert1, F.cert1_len, F.entry1, F.entry1_len, FX_T0 + 900), PHR_OK);
	CHECK_RC(add_record(reg, a, -1, &ra), PHR_OK);
	CHECK_RC(add_record(reg, b, -1, &rb), PHR_OK);
	CHECK(!ra.fork && rb.fork && rb.fork_common == 1 && !rb.older && rb.new_version);
	CHECK(!strcmp(rb.fork_hex, ra.version_hex));
	struct vflags fl = { 0 };
	CHECK_RC(phr_register_each_version(reg, id, vflags_cb, &fl), PHR_OK);
	CHECK(fl.n == 2 && fl.forks == 2 && fl.latest == 1 && fl.older == 0);
	/* tie on entries: the first stored stays the latest */
	uint8_t *got, *want;
	size_t glen, wlen;
	CHECK_RC(phr_register_latest(reg, id, &got, &glen), PHR_OK);
	CHECK_RC(encode(a, -1, &want, &wlen), PHR_OK);
	CHECK(glen == wlen && !memcmp(got, want, wlen));
	free(got);
	free(want);
	/* b extended once more: the longest branch becomes the latest */
	CHECK_RC(phr_record_append(b, F.clinic2, F.cert2, F.cert2_len, F.entry1, F.entry1_len, FX_T0 + 1200), PHR_OK);
	CHECK_RC(add_record(reg, b, -1, &rb), PHR_OK);
	CHECK(rb.fork && !rb.older);
	memset(&fl, 0, sizeof(fl));
	CHECK_RC(phr_register_each_version(reg, id, vflags_cb, &fl), PHR_OK);
	CHECK(fl.n == 3 && fl.latest == 1 && fl.latest_entries == 3 && fl.older == 1);
	phr_record_destroy(a);
	phr_record_destroy(b);
	phr_register_close(reg);
	return 0;
}

/* ---- consent -------------------------------------------------------------------- */

/* entry 0 of the fixture's example with consent.store set to store */
static int entry0_with_consent(bool store, uint8_t **cbor, size_t *len)
{
	json_t *j;
	int rc = phr_entry_decode_json(F.entry0, F.entry0_len, &j);
	if (rc)
		return rc;
	json_object_set_new(json_object_get(j, "consent"), "store", json_boolean(store));
	rc = phr_entry_encode_json(j, cbor, len);
	json_decref(j);
	return rc;
}

static int entry1_with_consent(bool store, uint8_t **cbor, size_t *len)
{
	json_t *j;
	int rc = phr_entry_decode_json(F.entry1, F.entry1_len, &j);
	if (rc)
		return rc;
	json_object_set_new(j, "consent", json_pack("{s:b, s:s}", "store", store, "date", "2025-06-15"));
	rc = phr_entry_encode_json(j, cbor, len);
	json_decref(j);
	return rc;
}

struct audit_scan {
	const char *needle;
	size_t hits, rows;
	char actions[512];
};

static int audit_cb(void *ctx, const struct phr_register_audit_row *r)
{
	struct audit_scan *s = ctx;
	s->rows++;
	if (s->needle && (strstr(r->record_hex, s->needle) || strstr(r->detail, s->needle)))
		s->hits++;
	size_t n = strlen(s->actions);
	snprintf(s->actions + n, sizeof(s->actions) - n, "%s%s", n ? "," : "", r->action);
	return 0;
}

static int test_consent(void)
{
	struct phr_register *reg;
	struct phr_record *r;
	struct phr_register_added a;
	uint8_t *c0, *c1, *c2;
	size_t l0, l1, l2;
	char hex[33];
	uint8_t id[PHR_RECORD_ID_LEN];
	CHECK_RC(open_new("consent.db", &reg), PHR_OK);
	/* entry 0 says no */
	CHECK_RC(entry0_with_consent(false, &c0, &l0), PHR_OK);
	CHECK_RC(phr_record_create(NULL, &r), PHR_OK);
	CHECK_RC(phr_record_append(r, F.clinic1, F.cert1, F.cert1_len, c0, l0, FX_T0), PHR_OK);
	CHECK_RC(add_record(reg, r, -1, &a), PHR_E_CONSENT);
	CHECK(a.consent_entry == 0);
	phr_record_id_hex(r->id, hex);
	CHECK_RC(phr_register_resolve(reg, hex, id), PHR_E_NOT_STORED);
	struct audit_scan s = { .needle = hex };
	CHECK_RC(phr_register_each_audit(reg, audit_cb, &s), PHR_OK);
	CHECK(s.hits == 0); /* not even its id in the audit */
	phr_record_destroy(r);
	free(c0);
	/* entry 0 says yes, a follow-up says no: not stored; a later yes: stored */
	CHECK_RC(entry0_with_consent(true, &c0, &l0), PHR_OK);
	CHECK_RC(entry1_with_consent(false, &c1, &l1), PHR_OK);
	CHECK_RC(entry1_with_consent(true, &c2, &l2), PHR_OK);
	CHECK_RC(phr_record_create(NULL, &r), PHR_OK);
	CHECK_RC(phr_record_append(r, F.clinic1, F.cert1, F.cert1_len, c0, l0, FX_T0), PHR_OK);
	CHECK_RC(phr_record_append(r, F.clinic2, F.cert2, F.cert2_len, c1, l1, FX_T0 + 60), PHR_OK);
	CHECK_RC(add_record(reg, r, -1, &a), PHR_E_CONSENT);
	CHECK(a.consent_entry == 1);
	CHECK_RC(phr_record_append(r, F.clinic2, F.cert2, F.cert2_len, c2, l2, FX_T0 + 120), PHR_OK);
	CHECK_RC(add_record(reg, r, -1, &a), PHR_OK);
	CHECK(a.new_record);
	phr_record_destroy(r);
	free(c0);
	free(c1);
	free(c2);
	phr_register_close(reg);
	return 0;
}

/* ---- forget ------------------------------------------------------------------------ */

/* Whether any of the register's files holds needle. */
static bool file_holds(const char *path, const void *needle, size_t n)
{
	size_t len;
	char rel[600];
	uint8_t *buf;
	const char *suffix[] = { "", "-wal", "-shm", "-journal" };
	for (size_t k = 0; k < 4; k++) {
		snprintf(rel, sizeof(rel), "%s%s", path, suffix[k]);
		FILE *f = fopen(rel, "rb");
		if (!f)
			continue;
		fseek(f, 0, SEEK_END);
		len = (size_t)ftell(f);
		fseek(f, 0, SEEK_SET);
		buf = malloc(len + 1);
		bool found = false;
		if (buf && fread(buf, 1, len, f) == len)
			for (size_t i = 0; !found && i + n <= len; i++)
				found = !memcmp(buf + i, needle, n);
		free(buf);
		fclose(f);
		if (found)
			return true;
	}
	return false;
}

static int count_hit(void *ctx, const struct phr_register_hit *h)
{
	(void)h;
	(*(size_t *)ctx)++;
	return 0;
}

/* Whether name_key_counts holds exactly each key's number of name_keys
 * rows (triggers keep it through adds, rollbacks and forget's cascade),
 * counted independently by another connection. */
static bool key_counts_agree(const char *path)
{
#ifdef PHR_TEST_PG
	(void)path; /* the PostgreSQL backend keeps no name_key_counts */
	return true;
#endif
	sqlite3 *db;
	sqlite3_stmt *st;
	bool ok = false;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		return false;
	if (sqlite3_prepare_v2(db,
			       "SELECT (SELECT count(*) FROM (SELECT key, count(*) AS n FROM name_keys GROUP BY key"
			       "  EXCEPT SELECT key, n FROM name_key_counts)),"
			       " (SELECT count(*) FROM (SELECT key, n FROM name_key_counts"
			       "  EXCEPT SELECT key, count(*) FROM name_keys GROUP BY key)),"
			       " (SELECT count(*) FROM name_keys)",
			       -1, &st, NULL) == SQLITE_OK) {
		ok = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int64(st, 0) == 0 &&
		     sqlite3_column_int64(st, 1) == 0 && sqlite3_column_int64(st, 2) > 0;
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	return ok;
}

static int test_forget_leaves_no_bytes(void)
{
	struct phr_register *reg;
	struct phr_record *r, *other;
	struct phr_register_added a;
	uint8_t id[PHR_RECORD_ID_LEN];
	char hex[33];
	const char *family = "Warsame"; /* the example's family name */
	CHECK_RC(open_new("forget.db", &reg), PHR_OK);
	char path[512];
	snprintf(path, sizeof(path), "%s/forget.db", dir);
	CHECK(!fx_record(&F, 3, NULL, &r));
	CHECK(!fx_record(&F, 1, NULL, &other)); /* another record stays */
	CHECK_RC(add_record(reg, r, 0, &a), PHR_OK);
	CHECK_RC(add_record(reg, other, 0, &a), PHR_OK);
	phr_record_id_hex(r->id, hex);
	static const uint8_t doc[] = "%PDF-1.4 lab result of the holder";
	uint8_t h[PHR_HASH_LEN];
	crypto_generichash(h, sizeof(h), doc, sizeof(doc), NULL, 0);
	CHECK_RC(phr_register_put_document(reg, h, "application/pdf", doc, sizeof(doc)), PHR_OK);
	CHECK_RC(phr_register_link_document(reg, r->id, h), PHR_OK);
	struct phr_register_query q = { .record = hex };
	size_t n = 0;
	CHECK_RC(phr_register_find(reg, &q, count_hit, &n), PHR_OK);
	CHECK(n == 1);
	/* the test can see them before: it would see them after */
	CHECK(file_holds(path, family, strlen(family)));
	CHECK(file_holds(path, r->id, PHR_RECORD_ID_LEN));
	CHECK(file_holds(path, hex, 32));
	CHECK(file_holds(path, doc, sizeof(doc)));
	CHECK(key_counts_agree(path));
	CHECK_RC(phr_register_forget(reg, r->id), PHR_OK);
	CHECK(key_counts_agree(path));
	CHECK_RC(phr_register_resolve(reg, hex, id), PHR_E_NOT_STORED);
	CHECK_RC(phr_register_forget(reg, r->id), PHR_E_NOT_STORED);
	uint8_t *b;
	size_t bl;
	char mt[PHR_REG_MEDIA_TYPE_MAX];
	CHECK_RC(phr_register_get_document(reg, h, mt, &b, &bl), PHR_E_NOT_FOUND);
	/* the other record is still there, with its name */
	char ohex[33];
	phr_record_id_hex(other->id, ohex);
	CHECK_RC(phr_register_resolve(reg, ohex, id), PHR_OK);
	/* looked at while the register is still open (closing the last
	 * connection would checkpoint and delete the journal anyway), and
	 * with a second connection holding it open too */
	struct phr_register *second;
	CHECK_RC(phr_register_open(path, 0, &second), PHR_OK);
	CHECK(!file_holds(path, r->id, PHR_RECORD_ID_LEN));
	CHECK(!file_holds(path, hex, 32));
	CHECK(!file_holds(path, doc, sizeof(doc)));
	CHECK(!file_holds(path, r->entries[2].raw, 64)); /* a signed entry's bytes */
	CHECK(file_holds(path, other->id, PHR_RECORD_ID_LEN));
	/* the name: forget the other record too (it holds the same example) */
	CHECK(file_holds(path, family, strlen(family)));
	CHECK_RC(phr_register_forget(second, other->id), PHR_OK);
	CHECK(!file_holds(path, family, strlen(family)));
	CHECK(!file_holds(path, "warsame", 7));
	CHECK(!file_holds(path, other->id, PHR_RECORD_ID_LEN));
	phr_register_close(second);
	phr_register_close(reg);
	CHECK(!file_holds(path, family, strlen(family)));
	phr_record_destroy(r);
	phr_record_destroy(other);
	return 0;
}

/* ---- audit, lookup ---------------------------------------------------------------------- */

static int nop_hit(void *ctx, const struct phr_register_hit *h)
{
	(void)ctx;
	(void)h;
	return 0;
}

static int test_audit_rows(void)
{
	struct phr_register *reg;
	struct phr_record *r;
	struct phr_register_added a;
	char hex[33];
	setenv("PHR_OPERATOR", "Clerk Nadia", 1);
	CHECK_RC(open_new("audit.db", &reg), PHR_OK);
	unsetenv("PHR_OPERATOR");
	CHECK(!fx_record(&F, 1, NULL, &r));
	CHECK_RC(add_record(reg, r, -1, &a), PHR_OK);
	phr_record_id_hex(r->id, hex);
	struct phr_register_query q = { .name = "Abdirahman" };
	CHECK_RC(phr_register_find(reg, &q, nop_hit, NULL), PHR_OK);
	CHECK_RC(phr_register_audit_log(reg, "show", hex, NULL), PHR_OK);
	CHECK_RC(phr_register_check(reg, NULL, NULL), PHR_OK);
	struct audit_scan s = { .needle = "Abdirahman" };
	CHECK_RC(phr_register_each_audit(reg, audit_cb, &s), PHR_OK);
	CHECK(!strcmp(s.actions, "add,find,show,check"));
	CHECK(s.hits == 0); /* a search's values are never written */
	s = (struct audit_scan){ .needle = hex };
	CHECK_RC(phr_register_each_audit(reg, audit_cb, &s), PHR_OK);
	CHECK(s.hits == 2);
	char who[PHR_REG_WHO_MAX];
	setenv("PHR_OPERATOR", "Clerk Nadia", 1);
	phr_register_who(who);
	unsetenv("PHR_OPERATOR");
	CHECK(strstr(who, "(operator Clerk Nadia)"));
	s = (struct audit_scan){ .needle = NULL };
	CHECK_RC(phr_register_forget(reg, r->id), PHR_OK);
	s = (struct audit_scan){ .needle = hex };
	CHECK_RC(phr_register_each_audit(reg, audit_cb, &s), PHR_OK);
	CHECK(s.hits == 0 && !strcmp(s.actions, "add,find,show,check,forget"));
	phr_record_destroy(r);
	phr_register_close(reg);
	return 0;
}

static int test_prefix_lookup(void)
{
	struct phr_register *reg;
	struct phr_record *r1, *r2;
	struct phr_register_added a;
	uint8_t id1[PHR_RECORD_ID_LEN], id2[PHR_RECORD_ID_LEN], got[PHR_RECORD_ID_LEN];
	memset(id1, 0x11, sizeof(id1));
	memset(id2, 0x11, sizeof(id2));
	id1[0] = 0xab;
	id1[1] = 0xcd;
	id2[0] = 0xab;
	id2[1] = 0xce;
	CHECK_RC(open_new("prefix.db", &reg), PHR_OK);
	CHECK(!fx_record(&F, 1, id1, &r1));
	CHECK(!fx_record(&F, 1, id2, &r2));
	CHECK_RC(add_record(reg, r1, -1, &a), PHR_OK);
	CHECK_RC(add_record(reg, r2, -1, &a), PHR_OK);
	CHECK_RC(phr_register_resolve(reg, "ab", got), PHR_E_AMBIGUOUS);
	CHECK_RC(phr_register_resolve(reg, "abc", got), PHR_E_AMBIGUOUS);
	CHECK_RC(phr_register_resolve(reg, "abcd", got), PHR_OK);
	CHECK(!memcmp(got, id1, sizeof(got)));
	CHECK_RC(phr_register_resolve(reg, "ABCE", got), PHR_OK);
	CHECK(!memcmp(got, id2, sizeof(got)));
	CHECK_RC(phr_register_resolve(reg, "ff", got), PHR_E_NOT_STORED);
	CHECK_RC(phr_register_resolve(reg, "xyz", got), PHR_E_ARG);
	CHECK_RC(phr_register_resolve(reg, "", got), PHR_E_ARG);
	CHECK_RC(phr_register_resolve(reg, "abcd1111111111111111111111111111", got), PHR_OK);
	CHECK_RC(phr_register_resolve(reg, "abcd11111111111111111111111111110", got), PHR_E_ARG);
	phr_record_destroy(r1);
	phr_record_destroy(r2);
	phr_register_close(reg);
	return 0;
}

/* ---- documents, facts, check ------------------------------------------------------------ */

struct docs {
	size_t n, present;
	size_t size;
};

static int docs_cb(void *ctx, const struct phr_register_document *d)
{
	struct docs *s = ctx;
	s->n++;
	if (d->present) {
		s->present++;
		s->size = d->size;
	}
	return 0;
}

static int test_documents(void)
{
	struct phr_register *reg;
	struct phr_record *r;
	struct phr_register_added a;
	static const uint8_t png[] = "\x89PNG\r\n\x1a\n an x-ray report";
	uint8_t h[PHR_HASH_LEN], missing[PHR_HASH_LEN], bad[PHR_HASH_LEN];
	crypto_generichash(h, sizeof(h), png, sizeof(png), NULL, 0);
	memset(missing, 7, sizeof(missing));
	memcpy(bad, h, sizeof(bad));
	bad[0] ^= 1;
	CHECK_RC(open_new("docs.db", &reg), PHR_OK);
	CHECK_RC(phr_register_put_document(reg, bad, "image/png", png, sizeof(png)), PHR_E_DOC_MISMATCH);
	CHECK_RC(phr_register_put_document(reg, h, "", png, sizeof(png)), PHR_E_ARG);
	CHECK_RC(phr_register_put_document(reg, h, "image/png", png, sizeof(png)), PHR_OK);
	CHECK_RC(phr_register_put_document(reg, h, "image/png", png, sizeof(png)), PHR_OK); /* again: fine */
	uint8_t *b;
	size_t bl;
	char mt[PHR_REG_MEDIA_TYPE_MAX];
	CHECK_RC(phr_register_get_document(reg, h, mt, &b, &bl), PHR_OK);
	CHECK(bl == sizeof(png) && !memcmp(b, png, bl) && !strcmp(mt, "image/png"));
	free(b);
	CHECK_RC(phr_register_get_document(reg, missing, mt, &b, &bl), PHR_E_NOT_FOUND);
	CHECK(!fx_record(&F, 1, NULL, &r));
	CHECK_RC(phr_register_link_document(reg, r->id, h), PHR_E_NOT_STORED);
	CHECK_RC(add_record(reg, r, -1, &a), PHR_OK);
	CHECK_RC(phr_register_link_document(reg, r->id, h), PHR_OK);
	CHECK_RC(phr_register_link_document(reg, r->id, missing), PHR_OK);
	struct docs d = { 0 };
	CHECK_RC(phr_register_each_document(reg, r->id, docs_cb, &d), PHR_OK);
	CHECK(d.n == 2 && d.present == 1 && d.size == sizeof(png));
	phr_record_destroy(r);
	phr_register_close(reg);
	return 0;
}

static int facts_cb(void *ctx, const uint8_t *facts, size_t len)
{
	(void)facts;
	(void)len;
	(*(size_t *)ctx)++;
	return 0;
}

static int test_each_facts(void)
{
	struct phr_register *reg;
	struct phr_record *r1, *r3;
	struct phr_register_added a;
	uint8_t id[PHR_RECORD_ID_LEN];
	memset(id, 0x44, sizeof(id));
	CHECK_RC(open_new("facts.db", &reg), PHR_OK);
	CHECK(!fx_record(&F, 1, id, &r1));
	CHECK(!fx_record(&F, 3, id, &r3));
	CHECK_RC(add_record(reg, r1, -1, &a), PHR_OK);
	CHECK_RC(add_record(reg, r3, -1, &a), PHR_OK);
	/* the days of the entries' "date": entry 0's and the follow-ups' */
	json_t *j0, *j1;
	CHECK_RC(phr_entry_decode_json(F.entry0, F.entry0_len, &j0), PHR_OK);
	CHECK_RC(phr_entry_decode_json(F.entry1, F.entry1_len, &j1), PHR_OK);
	int y, m, d;
	CHECK(sscanf(json_string_value(json_object_get(j0, "date")), "%d-%d-%d", &y, &m, &d) == 3);
	int64_t d0 = phr_days_from_civil(y, m, d);
	CHECK(sscanf(json_string_value(json_object_get(j1, "date")), "%d-%d-%d", &y, &m, &d) == 3);
	int64_t d1 = phr_days_from_civil(y, m, d);
	json_decref(j0);
	json_decref(j1);
	int64_t lo = d0 < d1 ? d0 : d1, hi = d0 < d1 ? d1 : d0;
	size_t n = 0;
	CHECK_RC(phr_register_each_facts(reg, lo, hi, facts_cb, &n), PHR_OK);
	CHECK(n == 1); /* one record, one call: its latest version */
	n = 0;
	CHECK_RC(phr_register_each_facts(reg, hi, hi + 400, facts_cb, &n), PHR_OK);
	CHECK(n == 1);
	n = 0;
	CHECK_RC(phr_register_each_facts(reg, hi + 1, hi + 400, facts_cb, &n), PHR_OK);
	CHECK(n == 0);
	n = 0;
	CHECK_RC(phr_register_each_facts(reg, lo - 400, lo - 1, facts_cb, &n), PHR_OK);
	CHECK(n == 0);
	phr_record_destroy(r1);
	phr_record_destroy(r3);
	phr_register_close(reg);
	return 0;
}

static void count_problem(void *ctx, const char *line)
{
	(void)line;
	(*(size_t *)ctx)++;
}

static int test_check(void)
{
	struct phr_register *reg;
	struct phr_record *r;
	struct phr_register_added a;
	size_t problems = 0;
	CHECK_RC(open_new("check.db", &reg), PHR_OK);
	CHECK(!fx_record(&F, 2, NULL, &r));
	CHECK_RC(add_record(reg, r, -1, &a), PHR_OK);
	CHECK_RC(phr_register_check(reg, count_problem, &problems), PHR_OK);
	CHECK(problems == 0);
	phr_register_close(reg);
	/* a stored container replaced behind the register's back */
	char path[512];
	snprintf(path, sizeof(path), "%s/check.db", dir);
	sqlite3 *db;
	CHECK(sqlite3_open(path, &db) == SQLITE_OK);
	CHECK(sqlite3_exec(db, "UPDATE versions SET container = x'0100000000'", NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(db);
	CHECK_RC(phr_register_open(path, 0, &reg), PHR_OK);
	CHECK_RC(phr_register_check(reg, count_problem, &problems), PHR_E_DB_CORRUPT);
	CHECK(problems == 1);
	phr_register_close(reg);
	phr_record_destroy(r);
	return 0;
}

/* ---- every example: issued, filed, found, exported byte for byte ------------------------ */

struct hitlist {
	size_t n;
	char hex[8][33];
};

static int hit_cb(void *ctx, const struct phr_register_hit *h)
{
	struct hitlist *l = ctx;
	if (l->n < 8)
		snprintf(l->hex[l->n], sizeof(l->hex[0]), "%s", h->record_hex);
	l->n++;
	return 0;
}

static bool found(struct phr_register *reg, const struct phr_register_query *q, const char *hex)
{
	struct hitlist l = { 0 };
	if (phr_register_find(reg, q, hit_cb, &l))
		return false;
	for (size_t i = 0; i < l.n && i < 8; i++)
		if (!strcmp(l.hex[i], hex))
			return true;
	return false;
}

/* A version filed without the holder key keeps its sealed sections out of
 * the index; the same version filed again with the key indexes them then
 * (and with a wrong key nothing changes). Both backends. */
static int test_sealed_reindex(void)
{
	struct phr_register *reg;
	struct phr_record *r;
	struct phr_register_added a;
	uint8_t hk[PHR_HOLDER_KEY_LEN], other[PHR_HOLDER_KEY_LEN], *clear, *plain, *env, *buf;
	size_t clear_len, plain_len, env_len, len;
	unsigned n;
	char hex[33];
	CHECK_RC(phr_holder_key_generate(hk), PHR_OK);
	CHECK_RC(phr_holder_key_generate(other), PHR_OK);
	CHECK_RC(phr_seal_split(F.entry0, F.entry0_len, phr_seal_default_sections(), &clear, &clear_len, &plain,
				&plain_len, &n),
		 PHR_OK);
	CHECK(plain != NULL);
	CHECK_RC(phr_record_create(NULL, &r), PHR_OK);
	CHECK_RC(phr_seal_packed(hk, r->id, 0, plain, plain_len, n, NULL, &env, &env_len), PHR_OK);
	CHECK_RC(phr_record_append_sealed(r, F.clinic1, F.cert1, F.cert1_len, clear, clear_len, env, env_len, FX_T0),
		 PHR_OK);
	CHECK_RC(encode(r, 0, &buf, &len), PHR_OK);
	phr_record_id_hex(r->id, hex);
	CHECK_RC(open_new("sealed.db", &reg), PHR_OK);
	/* the HIV screening is sealed by default; TB culture is not */
	struct phr_register_query hiv = { .code = "loinc:56888-1" }, clear_code = { .code = "loinc:71773-6" };
	CHECK_RC(phr_register_add(reg, buf, len, F.trust, NOW, PHR_REG_HOW_ADD, &a), PHR_OK);
	CHECK(a.new_version && a.sealed_closed == 1 && a.sealed_opened == 0);
	CHECK(found(reg, &clear_code, hex));
	CHECK(!found(reg, &hiv, hex));
	/* the same version, a wrong key: nothing opens, nothing indexed */
	CHECK_RC(phr_register_add_key(reg, buf, len, F.trust, NOW, PHR_REG_HOW_ADD, other, &a), PHR_OK);
	CHECK(!a.new_version && a.sealed_opened == 0 && a.sealed_closed == 1);
	CHECK(!found(reg, &hiv, hex));
	/* the same version with the key: indexed now, the clear part still */
	CHECK_RC(phr_register_add_key(reg, buf, len, F.trust, NOW, PHR_REG_HOW_ADD, hk, &a), PHR_OK);
	CHECK(!a.new_version && a.sealed_opened == 1);
	CHECK(found(reg, &hiv, hex));
	CHECK(found(reg, &clear_code, hex));
	/* again with the key: no duplicate hits, the same answer */
	CHECK_RC(phr_register_add_key(reg, buf, len, F.trust, NOW, PHR_REG_HOW_ADD, hk, &a), PHR_OK);
	CHECK(found(reg, &hiv, hex));
	phr_register_close(reg);
	phr_record_destroy(r);
	free(buf);
	free(clear);
	free(plain);
	free(env);
	return 0;
}

/* ---- a merged record's branch B -------------------------------------------- */

struct merged_facts {
	size_t calls, visits, bcg_visits;
	int64_t day;
};

static int merged_facts_cb(void *ctx, const uint8_t *blob, size_t len)
{
	struct merged_facts *m = ctx;
	struct phr_facts f;
	m->calls++;
	if (phr_facts_decode(blob, len, &f))
		return 0;
	m->visits = f.n_visits;
	for (size_t i = 0; i < f.n_visits; i++)
		for (size_t k = 0; k < f.visit[i].n_vaccines; k++) {
			uint8_t s = f.visit[i].vaccines[k];
			if (f.visit[i].day == m->day && f.string_len[s] == 11 && !memcmp(f.string[s], "atc:J07AN01", 11))
				m->bcg_visits++;
		}
	return 0;
}

/* Branch B's entry (a BCG dose on a day no other entry has) is found by
 * its code and its day, and is a visit of the merged version's facts,
 * once, whether the branches were filed before the merge or not. Both
 * backends. */
static int test_merged_branch_b(void)
{
	static const char side_text[] = "{\"kind\": \"follow_up\", \"date\": \"2023-03-03\", \"vaccinations\": "
					"[{\"vaccine\": \"atc:J07AN01\", \"dose\": 1, \"of\": 1, \"date\": \"2023-03-03\", "
					"\"country\": \"GR\", \"source\": \"given\"}]}";
	struct phr_record *a, *b, *m;
	struct phr_register_added ra;
	uint8_t id[PHR_RECORD_ID_LEN], *side;
	size_t side_len;
	char hex[33];
	int newer;
	memset(id, 0x4d, sizeof(id));
	phr_record_id_hex(id, hex);
	CHECK_RC(phr_entry_parse_text(side_text, strlen(side_text), &side, &side_len), PHR_OK);
	CHECK(!fx_record(&F, 1, id, &a));
	CHECK(!fx_record(&F, 1, id, &b));
	CHECK_RC(phr_record_append(a, F.clinic2, F.cert2, F.cert2_len, F.entry1, F.entry1_len, FX_T0 + 600), PHR_OK);
	CHECK_RC(phr_record_append(a, F.clinic2, F.cert2, F.cert2_len, F.entry1, F.entry1_len, FX_T0 + 700), PHR_OK);
	CHECK_RC(phr_record_append(b, F.clinic1, F.cert1, F.cert1_len, side, side_len, FX_T0 + 900), PHR_OK);
	CHECK_RC(phr_record_merge(a, b, F.clinic1, F.cert1, F.cert1_len, FX_T0 + 1200, &newer, &m), PHR_OK);
	CHECK(m->n_entries == 4 && m->n_side == 1);
	int64_t day = phr_days_from_civil(2023, 3, 3);
	struct phr_register_query code = { .code = "atc:J07AN01" },
				  visited = { .visited = true, .visited_from = day, .visited_to = day };
	for (int before = 0; before < 2; before++) {
		struct phr_register *reg;
		CHECK_RC(open_new(before ? "merged-both.db" : "merged.db", &reg), PHR_OK);
		if (before) { /* both branches filed first: branch B's entry held already */
			CHECK_RC(add_record(reg, a, -1, &ra), PHR_OK);
			CHECK_RC(add_record(reg, b, -1, &ra), PHR_OK);
			CHECK(ra.fork);
		} else { /* branch A alone: the code and the day are branch B's only */
			CHECK_RC(add_record(reg, a, -1, &ra), PHR_OK);
			CHECK(!found(reg, &code, hex) && !found(reg, &visited, hex));
		}
		CHECK_RC(add_record(reg, m, -1, &ra), PHR_OK);
		CHECK(ra.new_version && !ra.fork);
		CHECK(found(reg, &code, hex));
		CHECK(found(reg, &visited, hex));
		struct merged_facts mf = { .day = day };
		CHECK_RC(phr_register_each_facts(reg, day, day, merged_facts_cb, &mf), PHR_OK);
		CHECK(mf.calls == 1 && mf.visits == 5 && mf.bcg_visits == 1);
		phr_register_close(reg);
	}
	phr_record_destroy(a);
	phr_record_destroy(b);
	phr_record_destroy(m);
	free(side);
	return 0;
}

static int test_examples_round_trip(void)
{
	char *names[32];
	size_t n = t_list("examples", ".json", names, 32);
	struct phr_register *reg;
	CHECK(n >= 4);
	CHECK_RC(open_new("examples.db", &reg), PHR_OK);
	for (size_t i = 0; i < n; i++) {
		char rel[300];
		size_t tlen, clen, len;
		snprintf(rel, sizeof(rel), "%s", names[i]);
		char *text = (char *)t_read(rel, &tlen);
		uint8_t *cbor, *buf, *got;
		struct phr_record *r;
		struct phr_register_added a;
		json_error_t jerr;
		CHECK(text);
		CHECK_RC(phr_entry_parse_text(text, tlen, &cbor, &clen), PHR_OK);
		json_t *j = json_loadb(text, tlen, 0, &jerr);
		CHECK(j);
		CHECK_RC(phr_record_create(NULL, &r), PHR_OK);
		CHECK_RC(phr_record_append(r, F.clinic1, F.cert1, F.cert1_len, cbor, clen, FX_T0), PHR_OK);
		CHECK_RC(phr_record_encode(r, -1, &buf, &len), PHR_OK);
		CHECK_RC(phr_register_add(reg, buf, len, F.trust, NOW, PHR_REG_HOW_ISSUED, &a), PHR_OK);
		CHECK(a.new_record && !a.failed && a.verify_err == PHR_OK);
		CHECK_RC(phr_register_latest(reg, r->id, &got, &clen), PHR_OK);
		CHECK(clen == len && !memcmp(got, buf, len));
		free(got);
		/* found by what the example holds (read from its JSON here) */
		char hex[33];
		phr_record_id_hex(r->id, hex);
		const json_t *id = json_object_get(j, "identity");
		const char *born = json_string_value(json_object_get(id, "birth_date"));
		const char *sex = json_string_value(json_object_get(id, "sex"));
		const char *nat = json_string_value(json_object_get(id, "nationality"));
		struct phr_register_query q = { .record = hex };
		CHECK(found(reg, &q, hex));
		if (born) {
			char year[5];
			snprintf(year, sizeof(year), "%.4s", born);
			q = (struct phr_register_query){ .born = born };
			CHECK(found(reg, &q, hex));
			q = (struct phr_register_query){ .born = year };
			CHECK(found(reg, &q, hex));
		}
		if (sex) {
			q = (struct phr_register_query){ .sex = sex };
			CHECK(found(reg, &q, hex));
		}
		if (nat) {
			char lower[3] = { (char)(nat[0] | 0x20), (char)(nat[1] | 0x20), 0 };
			q = (struct phr_register_query){ .nationality = lower };
			CHECK(found(reg, &q, hex));
		}
		const char *arrival = json_string_value(json_object_get(json_object_get(j, "migration"), "arrival"));
		if (arrival && strlen(arrival) == 10) {
			int y, m, d;
			CHECK(sscanf(arrival, "%d-%d-%d", &y, &m, &d) == 3);
			int64_t day = phr_days_from_civil(y, m, d);
			q = (struct phr_register_query){ .arrived = true, .arrived_from = day, .arrived_to = day };
			CHECK(found(reg, &q, hex));
			q = (struct phr_register_query){ .arrived = true, .arrived_from = day + 1, .arrived_to = day + 9 };
			CHECK(!found(reg, &q, hex));
		}
		{
			int y, m, d;
			CHECK(sscanf(json_string_value(json_object_get(j, "date")), "%d-%d-%d", &y, &m, &d) == 3);
			int64_t day = phr_days_from_civil(y, m, d);
			q = (struct phr_register_query){ .visited = true, .visited_from = day, .visited_to = day };
			CHECK(found(reg, &q, hex));
			q = (struct phr_register_query){ .visited = true, .visited_from = day + 1, .visited_to = day + 30 };
			CHECK(!found(reg, &q, hex));
		}
		const char *host = json_string_value(json_object_get(json_object_get(j, "migration"), "host_country"));
		if (host) {
			q = (struct phr_register_query){ .field_path = "migration.host_country", .field_value = host };
			CHECK(found(reg, &q, hex));
		}
		/* every code of the example, wherever it is */
		static const char *const systems[] = { "\"icd11:", "\"icd10:", "\"atc:", "\"loinc:", "\"snomed:" };
		size_t ncodes = 0;
		for (size_t k = 0; k < 5; k++)
			for (const char *p = strstr(text, systems[k]); p; p = strstr(p + 1, systems[k])) {
				char code[64];
				CHECK(sscanf(p + 1, "%63[^\"]", code) == 1);
				q = (struct phr_register_query){ .code = code };
				CHECK(found(reg, &q, hex));
				ncodes++;
			}
		CHECK(ncodes > 0);
		q = (struct phr_register_query){ .clinic = "lesvos" };
		CHECK(found(reg, &q, hex));
		q = (struct phr_register_query){ .clinic = "Berlin" };
		CHECK(!found(reg, &q, hex));
		json_decref(j);
		free(buf);
		free(cbor);
		free(text);
		phr_record_destroy(r);
		free(names[i]);
	}
	phr_register_close(reg);
	return 0;
}

/* The seeded generator's records (tests/gen): 200 persons, 1-3 entries each. */
static int test_generated_round_trip(void)
{
	struct phr_register *reg;
	CHECK_RC(open_new("generated.db", &reg), PHR_OK);
	gen_codes_load(PHR_GEN_SOURCE_ROOT "/layouts/codes.tsv");
	for (uint64_t i = 0; i < 200; i++) {
		struct gen_case *c = gen_case_create(11, i);
		struct phr_record *r;
		struct phr_register_added a;
		uint8_t *buf, *got;
		size_t len, glen;
		CHECK(c);
		CHECK_RC(phr_record_create(NULL, &r), PHR_OK);
		unsigned n = gen_case_follow_ups(c);
		json_t *nat = NULL;
		for (unsigned k = 0; k <= n; k++) {
			json_t *e = k ? gen_case_follow_up(c, k - 1) : gen_case_assessment(c);
			uint8_t *cbor;
			size_t clen;
			CHECK(e);
			CHECK_RC(phr_entry_encode_json(e, &cbor, &clen), PHR_OK);
			if (!k)
				nat = json_incref(json_object_get(json_object_get(e, "identity"), "nationality"));
			CHECK_RC(phr_record_append(r, k ? F.clinic2 : F.clinic1, k ? F.cert2 : F.cert1,
						   k ? F.cert2_len : F.cert1_len, cbor, clen, FX_T0 + k * 60),
				 PHR_OK);
			free(cbor);
			json_decref(e);
		}
		CHECK_RC(phr_record_encode(r, -1, &buf, &len), PHR_OK);
		CHECK_RC(phr_register_add(reg, buf, len, F.trust, NOW, PHR_REG_HOW_ADD, &a), PHR_OK);
		CHECK(a.new_record && !a.failed);
		CHECK_RC(phr_register_latest(reg, r->id, &got, &glen), PHR_OK);
		CHECK(glen == len && !memcmp(got, buf, len));
		char hex[33];
		phr_record_id_hex(r->id, hex);
		if (json_is_string(nat)) {
			struct phr_register_query q = { .nationality = json_string_value(nat), .record = hex };
			CHECK(found(reg, &q, hex));
		}
		json_decref(nat);
		free(got);
		free(buf);
		phr_record_destroy(r);
		gen_case_destroy(c);
	}
	phr_register_close(reg);
	return 0;
}

/* Batches: one transaction for many adds; invisible to others until the
 * commit; rollback and close undo them; forget refused inside. */
static int test_batch(void)
{
	struct phr_register *reg, *other;
	struct phr_record *r[3];
	struct phr_register_added a;
	uint8_t *got;
	size_t glen;
	CHECK_RC(open_new("batch.db", &reg), PHR_OK);
	for (int i = 0; i < 3; i++)
		CHECK(!fx_record(&F, 1 + (size_t)i % 2, NULL, &r[i]));
	CHECK_RC(phr_register_open(db_path_keep("batch.db"), 0, &other), PHR_OK);
	CHECK_RC(phr_register_commit(reg), PHR_E_ARG);
	CHECK_RC(phr_register_begin(reg), PHR_OK);
	CHECK_RC(phr_register_begin(reg), PHR_E_ARG);
	CHECK_RC(add_record(reg, r[0], -1, &a), PHR_OK);
	CHECK(a.new_record);
	static const uint8_t junk[] = { 1, 2, 3, 4 };
	CHECK(phr_register_add(reg, junk, sizeof(junk), F.trust, NOW, PHR_REG_HOW_ADD, &a) != PHR_OK);
	CHECK_RC(add_record(reg, r[1], -1, &a), PHR_OK);
	CHECK_RC(phr_register_forget(reg, r[0]->id), PHR_E_ARG);
	/* this connection sees its own batch, the other does not yet */
	CHECK_RC(phr_register_latest(reg, r[0]->id, &got, &glen), PHR_OK);
	free(got);
	CHECK_RC(phr_register_latest(other, r[0]->id, &got, &glen), PHR_E_NOT_STORED);
	CHECK_RC(phr_register_commit(reg), PHR_OK);
	CHECK_RC(phr_register_commit(reg), PHR_E_ARG);
	for (int i = 0; i < 2; i++) {
		CHECK_RC(phr_register_latest(other, r[i]->id, &got, &glen), PHR_OK);
		free(got);
	}
	/* rollback undoes the whole batch */
	CHECK_RC(phr_register_begin(reg), PHR_OK);
	CHECK_RC(add_record(reg, r[2], -1, &a), PHR_OK);
	phr_register_rollback(reg);
	CHECK_RC(phr_register_latest(reg, r[2]->id, &got, &glen), PHR_E_NOT_STORED);
	CHECK(key_counts_agree(db_path_keep("batch.db")));
	/* after a batch, adds and forget work as before */
	CHECK_RC(add_record(reg, r[2], -1, &a), PHR_OK);
	CHECK_RC(phr_register_latest(other, r[2]->id, &got, &glen), PHR_OK);
	free(got);
	CHECK_RC(phr_register_forget(reg, r[2]->id), PHR_OK);
	/* closing with a batch open undoes it */
	CHECK_RC(phr_register_begin(reg), PHR_OK);
	CHECK_RC(add_record(reg, r[2], -1, &a), PHR_OK);
	phr_register_close(reg);
	CHECK_RC(phr_register_latest(other, r[2]->id, &got, &glen), PHR_E_NOT_STORED);
	CHECK_RC(phr_register_latest(other, r[0]->id, &got, &glen), PHR_OK);
	free(got);
	CHECK_RC(phr_register_check(other, NULL, NULL), PHR_OK);
	phr_register_close(other);
	CHECK(key_counts_agree(db_path_keep("batch.db")));
	for (int i = 0; i < 3; i++)
		phr_record_destroy(r[i]);
	return 0;
}

struct ids {
	uint8_t id[8][PHR_RECORD_ID_LEN];
	size_t n;
};

static int collect_id(void *ctx, const struct phr_store_hit *h)
{
	struct ids *l = ctx;
	if (l->n < 8)
		memcpy(l->id[l->n], h->record_id, PHR_RECORD_ID_LEN);
	l->n++;
	return 0;
}

/* A search without a name reads its matches and sorts them, or, when a
 * filter has many rows for the records kept, walks the records newest
 * first: both give the max most recently seen matches, ties by row. On the
 * generator's 200 records, with times last seen scattered: each code
 * searched with max 3 (common codes walk: their rows pass sqrt(3 * 200))
 * and with max 8 against the same question asked of SQLite directly. */
static int test_find_walks(void)
{
	sqlite3 *db;
	sqlite3_stmt *codes, *ref;
	struct phr_store *st;
	size_t walked = 0, read = 0;
	CHECK(sqlite3_open(db_path_keep("generated.db"), &db) == SQLITE_OK);
	CHECK(sqlite3_exec(db, "UPDATE records SET last_seen = (id * 7919) % 97", NULL, NULL, NULL) == SQLITE_OK);
	CHECK(sqlite3_prepare_v2(db, "SELECT value, count(*) FROM fields WHERE type = 5 GROUP BY value", -1, &codes,
				 NULL) == SQLITE_OK);
	CHECK(sqlite3_prepare_v2(db,
				 "SELECT record_id FROM records WHERE id IN (SELECT record FROM fields WHERE type = 5"
				 " AND value = ?1) ORDER BY last_seen DESC, id DESC LIMIT ?2",
				 -1, &ref, NULL) == SQLITE_OK);
	CHECK_RC(phr_store_sqlite_open(db_path_keep("generated.db"), 0, &st), PHR_OK);
	while (sqlite3_step(codes) == SQLITE_ROW) {
		const char *code = (const char *)sqlite3_column_text(codes, 0);
		int64_t rows = sqlite3_column_int64(codes, 1);
		for (size_t max = 3; max <= 8; max += 5) {
			struct phr_store_query q = { .code = code };
			struct ids got = { .n = 0 };
			CHECK_RC(st->ops->find(st, &q, max, collect_id, &got), PHR_OK);
			size_t want = 0;
			sqlite3_bind_text(ref, 1, code, -1, SQLITE_TRANSIENT);
			sqlite3_bind_int64(ref, 2, (int64_t)max);
			while (sqlite3_step(ref) == SQLITE_ROW) {
				CHECK(want < got.n && sqlite3_column_bytes(ref, 0) == PHR_RECORD_ID_LEN);
				CHECK(!memcmp(got.id[want], sqlite3_column_blob(ref, 0), PHR_RECORD_ID_LEN));
				want++;
			}
			sqlite3_reset(ref);
			CHECK(got.n == want);
			if (rows >= 25 && max == 3)
				walked++;
			else if (rows < 12)
				read++;
		}
	}
	st->ops->close(st);
	sqlite3_finalize(codes);
	sqlite3_finalize(ref);
	sqlite3_close(db);
	printf("  %zu searches of common codes walked, %zu of rare codes read\n", walked, read);
	CHECK(walked >= 3 && read >= 3);
	return 0;
}

struct ref_rec {
	uint8_t id[PHR_RECORD_ID_LEN];
	char hex[33];
	int64_t last_seen;
	char *names; /* joined by U+001F, as a hit's */
	int rank;
};

static int test_rank_of(void *ctx, const char *names)
{
	const char *query = ctx;
	int best = 0;
	char name[PHR_REG_NAME_MAX];
	for (const char *p = names; p && *p;) {
		const char *end = strchr(p, '\x1f');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		snprintf(name, sizeof(name), "%.*s", (int)len, p);
		int r = (int)phr_name_rank(query, name, NULL, 0);
		best = r > best ? r : best;
		p = end ? end + 1 : NULL;
	}
	return best;
}

/* Whether one of a record's names is a candidate for the query's keys. */
static bool ref_candidate(const struct phr_name_keys *q, const char *names)
{
	char name[PHR_REG_NAME_MAX];
	for (const char *p = names; p && *p;) {
		const char *end = strchr(p, '\x1f');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		struct phr_name_keys x;
		snprintf(name, sizeof(name), "%.*s", (int)len, p);
		if (phr_name_index_keys(name, &x) == PHR_OK) {
			size_t shared = 0;
			uint32_t held = 0;
			for (size_t i = 0; i < q->n; i++)
				for (size_t j = 0; j < x.n; j++)
					if (!strcmp(q->key[i], x.key[j])) {
						shared++;
						held |= q->words[i];
					}
			if (phr_name_covers(q, held, shared))
				return true;
		}
		p = end ? end + 1 : NULL;
	}
	return false;
}

static int ref_order(const void *pa, const void *pb)
{
	const struct ref_rec *a = pa, *b = pb;
	if (a->rank != b->rank)
		return a->rank > b->rank ? -1 : 1;
	if (a->last_seen != b->last_seen)
		return a->last_seen > b->last_seen ? -1 : 1;
	return strcmp(a->hex, b->hex);
}

/* A name search ranks every candidate before it keeps max: with max 1 and
 * 3, on the generator's 200 records (times last seen scattered), the hits
 * are the best by rank, then last seen, then id, of the records a search
 * over all of them in C finds (keys computed again per name, candidates by
 * phr_name_covers, ranked by phr_name_rank), whichever were seen last. */
static int test_find_name_ranks_first(void)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	struct phr_store *store;
	struct ref_rec rec[256], cand[256];
	size_t n = 0, queries = 0, differs = 0;
	CHECK(sqlite3_open(db_path_keep("generated.db"), &db) == SQLITE_OK);
	CHECK(sqlite3_exec(db, "UPDATE records SET last_seen = (id * 7919) % 97", NULL, NULL, NULL) == SQLITE_OK);
	CHECK(sqlite3_prepare_v2(db,
				 "SELECT r.record_id, r.hex, r.last_seen, (SELECT group_concat(name, char(31)) FROM names"
				 " WHERE record = r.id) FROM records r",
				 -1, &st, NULL) == SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW && n < 256) {
		CHECK(sqlite3_column_bytes(st, 0) == PHR_RECORD_ID_LEN);
		memcpy(rec[n].id, sqlite3_column_blob(st, 0), PHR_RECORD_ID_LEN);
		snprintf(rec[n].hex, sizeof(rec[n].hex), "%s", (const char *)sqlite3_column_text(st, 1));
		rec[n].last_seen = sqlite3_column_int64(st, 2);
		const unsigned char *nm = sqlite3_column_text(st, 3);
		rec[n].names = strdup(nm ? (const char *)nm : "");
		CHECK(rec[n].names);
		n++;
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	CHECK(n == 200);
	CHECK_RC(phr_store_sqlite_open(db_path_keep("generated.db"), 0, &store), PHR_OK);
	for (size_t k = 0; k < n; k += 5) {
		/* the record's first name, and its first word alone (common) */
		char query[2][PHR_REG_NAME_MAX];
		const char *end = strchr(rec[k].names, '\x1f');
		snprintf(query[0], sizeof(query[0]), "%.*s", (int)(end ? end - rec[k].names : (long)strlen(rec[k].names)),
			 rec[k].names);
		snprintf(query[1], sizeof(query[1]), "%s", query[0]);
		char *sp = strchr(query[1], ' ');
		if (sp)
			*sp = '\0';
		for (int w = 0; w < 2; w++) {
			struct phr_name_keys keys;
			const char *kp[PHR_NAME_MAX_KEYS];
			if (phr_name_query_keys(query[w], &keys) != PHR_OK || !keys.n)
				continue;
			size_t nc = 0;
			for (size_t i = 0; i < n; i++)
				if (ref_candidate(&keys, rec[i].names)) {
					cand[nc] = rec[i];
					cand[nc].rank = test_rank_of(query[w], rec[i].names);
					if (cand[nc].rank > 0)
						nc++;
				}
			qsort(cand, nc, sizeof(cand[0]), ref_order);
			for (size_t i = 0; i < keys.n; i++)
				kp[i] = keys.key[i];
			for (size_t max = 1; max <= 3; max += 2) {
				struct phr_store_query q = { .keys = kp, .n_keys = keys.n, .need = keys.need,
							     .key_words = keys.words, .need_words = keys.need_words,
							     .rank = test_rank_of, .rank_ctx = query[w] };
				struct ids got = { .n = 0 };
				CHECK_RC(store->ops->find(store, &q, max, collect_id, &got), PHR_OK);
				size_t want = nc < max ? nc : max;
				CHECK(got.n == want);
				for (size_t i = 0; i < want; i++)
					CHECK(!memcmp(got.id[i], cand[i].id, PHR_RECORD_ID_LEN));
				/* the best is not the most recently seen candidate */
				if (nc > 1 && max == 1) {
					size_t newest = 0;
					for (size_t i = 1; i < nc; i++)
						if (cand[i].last_seen > cand[newest].last_seen)
							newest = i;
					differs += newest != 0;
				}
				queries++;
			}
		}
	}
	store->ops->close(store);
	for (size_t i = 0; i < n; i++)
		free(rec[i].names);
	printf("  %zu searches; in %zu the best hit was not the candidate seen last\n", queries, differs);
	CHECK(queries >= 100 && differs >= 3);
	return 0;
}

static int last_seen_cb(void *ctx, const struct phr_register_hit *h)
{
	*(int64_t *)ctx = h->last_seen;
	return 0;
}

/* A register of schema version 1 is brought to the latest: its rows kept,
 * the time each record was last seen filled in, the new indexes used. */
static int test_migrate_from_1(void)
{
	struct phr_register *reg;
	struct phr_record *r;
	struct phr_register_added a;
	char hex[33];
	CHECK_RC(open_new("v1.db", &reg), PHR_OK);
	CHECK(!fx_record(&F, 2, NULL, &r));
	CHECK_RC(add_record(reg, r, -1, &a), PHR_OK);
	phr_register_close(reg);
	phr_record_id_hex(r->id, hex);
	sqlite3 *db;
	CHECK(sqlite3_open(db_path_keep("v1.db"), &db) == SQLITE_OK);
	CHECK(sqlite3_exec(db,
			   "DROP TRIGGER name_keys_counted; DROP TRIGGER name_keys_uncounted; DROP TABLE name_key_counts;"
			   "DROP TRIGGER outbox_version; DROP TRIGGER outbox_document; DROP TRIGGER outbox_record_forgotten;"
			   "DROP TRIGGER outbox_document_forgotten; DROP TABLE outbox;" /* schema 5 */
			   "DROP TRIGGER record_arrival; DROP TRIGGER record_arrival_forgotten;"
			   "DROP TABLE record_arrivals; DROP TABLE hub_cursor;" /* schema 7 */
			   "DROP INDEX records_last_seen; DROP INDEX fields_hit;"
			   "DROP INDEX fields_code; DROP INDEX fields_arrival; DROP INDEX fields_record_path;"
			   "DROP INDEX fields_path_value; DROP INDEX entries_day;"
			   "ALTER TABLE records DROP COLUMN last_seen;"
			   "CREATE INDEX fields_path_value ON fields(path, value);"
			   "CREATE INDEX entries_day ON entries(day);"
			   "CREATE INDEX fields_type_value ON fields(type, value);"
			   "CREATE INDEX fields_path_num ON fields(path, num);"
			   "CREATE INDEX fields_record ON fields(record);"
			   "PRAGMA user_version = 1;",
			   NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(db);
	CHECK_RC(phr_register_open(db_path_keep("v1.db"), 0, &reg), PHR_OK);
	CHECK(phr_register_schema_version(reg) == phr_register_schema_latest());
	int64_t seen = -1;
	struct phr_register_query q = { .record = hex };
	CHECK_RC(phr_register_find(reg, &q, last_seen_cb, &seen), PHR_OK);
	CHECK(seen == (int64_t)NOW);
	CHECK(found(reg, &(struct phr_register_query){ .code = "icd11:1B10.1" }, hex));
	CHECK(!found(reg, &(struct phr_register_query){ .code = "icd11:1B10.0" }, hex));
	CHECK_RC(phr_register_check(reg, NULL, NULL), PHR_OK);
	phr_register_close(reg);
	CHECK(key_counts_agree(db_path_keep("v1.db"))); /* filled in by migration 3 */
	phr_record_destroy(r);
	return 0;
}

static int64_t sq_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v = -1;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* A register of schema version 6 is brought to 7 (the hub's changes
 * cursor, hub/sync.c): the records held get arrival numbers in the order
 * they were filed, a record filed after gets the next, a number is not
 * used again after a forget, and its row goes with the record. */
static int test_migrate_from_6(void)
{
	struct phr_register *reg;
	struct phr_record *r1, *r2, *r3;
	struct phr_register_added a;
	CHECK_RC(open_new("v6.db", &reg), PHR_OK);
	CHECK(!fx_record(&F, 1, NULL, &r1));
	CHECK(!fx_record(&F, 2, NULL, &r2));
	CHECK(!fx_record(&F, 3, NULL, &r3));
	CHECK_RC(add_record(reg, r1, -1, &a), PHR_OK);
	CHECK_RC(add_record(reg, r2, -1, &a), PHR_OK);
	phr_register_close(reg);
	sqlite3 *db;
	CHECK(sqlite3_open(db_path_keep("v6.db"), &db) == SQLITE_OK);
	CHECK(sqlite3_exec(db,
			   "DROP TRIGGER record_arrival; DROP TRIGGER record_arrival_forgotten;"
			   "DROP TABLE record_arrivals; DROP TABLE hub_cursor;"
			   "PRAGMA user_version = 6;",
			   NULL, NULL, NULL) == SQLITE_OK);
	CHECK(sq_int(db, "SELECT count(*) FROM sqlite_master WHERE name IN ('hub_cursor', 'record_arrivals')") == 0);
	sqlite3_close(db);
	CHECK_RC(phr_register_open(db_path_keep("v6.db"), 0, &reg), PHR_OK);
	phr_register_set_clock(reg, NOW);
	CHECK(phr_register_schema_version(reg) == 7 && phr_register_schema_latest() == 7);
	CHECK_RC(add_record(reg, r3, -1, &a), PHR_OK);
	CHECK_RC(phr_register_check(reg, NULL, NULL), PHR_OK);
	CHECK(sqlite3_open(db_path_keep("v6.db"), &db) == SQLITE_OK);
	/* arrivals follow the records' rows: 1 and 2 migrated, 3 after */
	CHECK(sq_int(db, "SELECT group_concat(x, ',') = '1:1,2:2,3:3' FROM (SELECT a.n || ':' || r.id AS x "
			 "FROM record_arrivals a JOIN records r ON r.id = a.record ORDER BY a.n)") == 1);
	CHECK(sq_int(db, "SELECT count(*) FROM hub_cursor") == 0);
	sqlite3_close(db);
	/* forget the newest, file it again: its row gone, a new number */
	CHECK_RC(phr_register_forget(reg, r3->id), PHR_OK);
	CHECK(sqlite3_open(db_path_keep("v6.db"), &db) == SQLITE_OK);
	CHECK(sq_int(db, "SELECT count(*) FROM record_arrivals") == 2);
	sqlite3_close(db);
	CHECK_RC(add_record(reg, r3, -1, &a), PHR_OK);
	CHECK(sqlite3_open(db_path_keep("v6.db"), &db) == SQLITE_OK);
	CHECK(sq_int(db, "SELECT max(n) FROM record_arrivals") == 4);
	CHECK(sq_int(db, "SELECT count(*) FROM record_arrivals a JOIN records r ON r.id = a.record") == 3);
	sqlite3_close(db);
	CHECK_RC(phr_register_check(reg, NULL, NULL), PHR_OK);
	phr_register_close(reg);
	phr_record_destroy(r1);
	phr_record_destroy(r2);
	phr_record_destroy(r3);
	return 0;
}

static int test_find_arguments(void)
{
	struct phr_register *reg;
	CHECK_RC(open_new("args.db", &reg), PHR_OK);
	struct phr_register_query q = { 0 };
	CHECK_RC(phr_register_find(reg, &q, nop_hit, NULL), PHR_E_ARG);
	q = (struct phr_register_query){ .born = "1990-13" };
	CHECK_RC(phr_register_find(reg, &q, nop_hit, NULL), PHR_E_ARG);
	q = (struct phr_register_query){ .born = "90" };
	CHECK_RC(phr_register_find(reg, &q, nop_hit, NULL), PHR_E_ARG);
	q = (struct phr_register_query){ .sex = "M" };
	CHECK_RC(phr_register_find(reg, &q, nop_hit, NULL), PHR_E_ARG);
	q = (struct phr_register_query){ .nationality = "SYR" };
	CHECK_RC(phr_register_find(reg, &q, nop_hit, NULL), PHR_E_ARG);
	q = (struct phr_register_query){ .code = "xyz:1" };
	CHECK_RC(phr_register_find(reg, &q, nop_hit, NULL), PHR_E_CODE_SYSTEM);
	q = (struct phr_register_query){ .born = "1994" };
	CHECK_RC(phr_register_find(reg, &q, nop_hit, NULL), PHR_OK);
	phr_register_close(reg);
	return 0;
}

#ifdef PHR_TEST_PG
/* ---- what the SQLite-only tests check, in PostgreSQL terms -------------------------- */

static int test_pg_open_create_migrate(void)
{
	struct phr_register *reg;
	const char *p = db_path("open.db");
	CHECK(p != NULL);
	char uri[600];
	snprintf(uri, sizeof(uri), "%s", p);
	CHECK_RC(phr_register_open(uri, 0, &reg), PHR_E_DB_CORRUPT); /* an empty database is not a register */
	CHECK_RC(phr_register_open(uri, PHR_REG_READONLY, &reg), PHR_E_DB_CORRUPT);
	CHECK_RC(phr_register_open(uri, PHR_REG_CREATE, &reg), PHR_OK);
	int latest = phr_register_schema_version(reg);
	CHECK(latest >= 1);
	phr_register_close(reg);
	char restore[80];
	snprintf(restore, sizeof(restore), "INSERT INTO phr_schema VALUES (%d)", latest);
	/* a second open finds it migrated; read-only refuses writes */
	CHECK_RC(phr_register_open(uri, PHR_REG_READONLY, &reg), PHR_OK);
	CHECK(phr_register_audit_log(reg, "show", NULL, "x") == PHR_E_DB);
	phr_register_close(reg);
	CHECK(pgtest_sql("open.db", "UPDATE phr_schema SET version = 99") == 0);
	CHECK_RC(phr_register_open(uri, 0, &reg), PHR_E_DB_VERSION);
	/* schema version 0 over tables already there: migration 1 fails whole */
	CHECK(pgtest_sql("open.db", "DELETE FROM phr_schema") == 0);
	CHECK(phr_register_open(uri, 0, &reg) == PHR_E_DB);
	CHECK(pgtest_sql("open.db", restore) == 0);
	CHECK_RC(phr_register_open(uri, 0, &reg), PHR_OK);
	phr_register_close(reg);
	/* a database of schema version 1 (before the hub's tables) is migrated forward */
	CHECK(pgtest_sql("open.db", "DROP TABLE hub_nonces; DROP TABLE hub_trust; UPDATE phr_schema SET version = 1") == 0);
	CHECK_RC(phr_register_open(uri, 0, &reg), PHR_OK);
	CHECK(phr_register_schema_version(reg) == latest);
	phr_register_close(reg);
	CHECK(pgtest_sql("open.db", "SELECT 1 FROM hub_nonces, hub_trust") == 0);
	/* a server that does not answer */
	CHECK_RC(phr_register_open("postgresql:///x?host=/nonexistent&port=1", 0, &reg), PHR_E_DB);
	return 0;
}

static int test_pg_forget(void)
{
	struct phr_register *reg;
	struct phr_record *r, *other;
	struct phr_register_added a;
	uint8_t id[PHR_RECORD_ID_LEN];
	char hex[33];
	const char *db = "forget.db";
	CHECK_RC(open_new(db, &reg), PHR_OK);
	CHECK(!fx_record(&F, 3, NULL, &r));
	CHECK(!fx_record(&F, 1, NULL, &other));
	CHECK_RC(add_record(reg, r, 0, &a), PHR_OK);
	CHECK_RC(add_record(reg, other, 0, &a), PHR_OK);
	phr_record_id_hex(r->id, hex);
	static const uint8_t doc[] = "%PDF-1.4 lab result of the holder";
	uint8_t h[PHR_HASH_LEN];
	crypto_generichash(h, sizeof(h), doc, sizeof(doc), NULL, 0);
	CHECK_RC(phr_register_put_document(reg, h, "application/pdf", doc, sizeof(doc)), PHR_OK);
	CHECK_RC(phr_register_link_document(reg, r->id, h), PHR_OK);
	/* the test can see them before: it would see them after */
	CHECK(pgtest_holds(db, r->id, PHR_RECORD_ID_LEN) == 1);
	CHECK(pgtest_holds(db, hex, 32) == 1);
	CHECK(pgtest_holds(db, doc, sizeof(doc)) == 1);
	CHECK(pgtest_holds(db, r->entries[2].raw, 64) == 1);
	CHECK(pgtest_holds(db, "Warsame", 7) == 1);
	CHECK_RC(phr_register_forget(reg, r->id), PHR_OK);
	CHECK_RC(phr_register_resolve(reg, hex, id), PHR_E_NOT_STORED);
	CHECK(pgtest_holds(db, r->id, PHR_RECORD_ID_LEN) == 0);
	CHECK(pgtest_holds(db, hex, 32) == 0);
	CHECK(pgtest_holds(db, doc, sizeof(doc)) == 0);
	CHECK(pgtest_holds(db, r->entries[2].raw, 64) == 0);
	CHECK(pgtest_holds(db, other->id, PHR_RECORD_ID_LEN) == 1);
	CHECK_RC(phr_register_forget(reg, other->id), PHR_OK);
	CHECK(pgtest_holds(db, "Warsame", 7) == 0);
	CHECK(pgtest_holds(db, "warsame", 7) == 0);
	phr_register_close(reg);
	phr_record_destroy(r);
	phr_record_destroy(other);
	return 0;
}

static int test_pg_check(void)
{
	struct phr_register *reg;
	struct phr_record *r;
	struct phr_register_added a;
	size_t problems = 0;
	CHECK_RC(open_new("check.db", &reg), PHR_OK);
	CHECK(!fx_record(&F, 2, NULL, &r));
	CHECK_RC(add_record(reg, r, -1, &a), PHR_OK);
	CHECK_RC(phr_register_check(reg, count_problem, &problems), PHR_OK);
	CHECK(problems == 0);
	/* a stored container replaced behind the register's back */
	CHECK(pgtest_sql("check.db", "UPDATE versions SET container = decode('0100000000', 'hex')") == 0);
	CHECK_RC(phr_register_check(reg, count_problem, &problems), PHR_E_DB_CORRUPT);
	CHECK(problems == 1);
	phr_register_close(reg);
	phr_record_destroy(r);
	return 0;
}

static const struct test pg_tests[] = {
	{ "pg: open, create, migrate, schema too new, read-only", test_pg_open_create_migrate },
	{ "batches: one transaction, rollback, close, forget refused", test_batch },
	{ "add; same signed version, other bytes: one version", test_add_and_same_version },
	{ "sightings: how, trust bundle version, report", test_sightings },
	{ "older copy", test_older_copy },
	{ "fork", test_fork },
	{ "consent store: false", test_consent },
	{ "pg: forget leaves no row holding the record", test_pg_forget },
	{ "audit rows", test_audit_rows },
	{ "record id by unique prefix", test_prefix_lookup },
	{ "documents", test_documents },
	{ "facts of the latest version by day range", test_each_facts },
	{ "pg: check", test_pg_check },
	{ "every example: add, find, export byte for byte", test_examples_round_trip },
	{ "find: arguments checked", test_find_arguments },
	{ "the seeded generator's records: add, export byte for byte", test_generated_round_trip },
	{ "sealed sections indexed when the same version comes again with the key", test_sealed_reindex },
	{ "a merged record: branch B found and counted once", test_merged_branch_b },
};
#endif

int main(void)
{
	if (sodium_init() < 0 || fx_init(&F, "adult-tb-positive-referral.json"))
		return 1;
	const char *tmp = getenv("TMPDIR");
	snprintf(dir, sizeof(dir), "%s/phr-register-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir))
		return 1;
	static const struct test tests[] = {
		{ "open, create, migrate, schema too new", test_open_create_migrate },
		{ "schema version 1 migrated: rows kept, last seen filled in", test_migrate_from_1 },
		{ "schema version 6 migrated: arrival numbers for the hub's cursor", test_migrate_from_6 },
		{ "batches: one transaction, rollback, close, forget refused", test_batch },
		{ "a file that is not a register", test_open_not_a_register },
		{ "a corrupted register file", test_corrupted_file },
		{ "add; same signed version, other bytes: one version", test_add_and_same_version },
		{ "sightings: how, trust bundle version, report", test_sightings },
		{ "older copy", test_older_copy },
		{ "fork", test_fork },
		{ "consent store: false", test_consent },
		{ "forget leaves no bytes", test_forget_leaves_no_bytes },
		{ "audit rows", test_audit_rows },
		{ "record id by unique prefix", test_prefix_lookup },
		{ "documents", test_documents },
		{ "facts of the latest version by day range", test_each_facts },
		{ "check", test_check },
		{ "every example: add, find, export byte for byte", test_examples_round_trip },
		{ "sealed sections indexed when the same version comes again with the key", test_sealed_reindex },
		{ "find: arguments checked", test_find_arguments },
		{ "the seeded generator's records: add, export byte for byte", test_generated_round_trip },
		{ "a search walks newest first or reads and sorts: the same hits", test_find_walks },
		{ "a name search ranks every candidate before it keeps the best", test_find_name_ranks_first },
		{ "a merged record: branch B found and counted once", test_merged_branch_b },
	};
#ifdef PHR_TEST_PG
	int rc = run_tests(pg_tests, sizeof(pg_tests) / sizeof(pg_tests[0]));
	(void)tests;
#else
	int rc = run_tests(tests, sizeof(tests) / sizeof(tests[0]));
#endif
	fx_finish(&F);
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		rc = 1;
	return rc;
}
