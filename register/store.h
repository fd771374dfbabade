/* phr — the register's storage interface (private to register/).
 *
 * register.c decides (decoding, verification, versions, consent, what to
 * index); a store keeps and finds. A store is a table of operations over
 * rows in the register's terms, never SQL, so that another backend (the
 * regional hub's PostgreSQL) implements the same table without touching
 * register.c or its callers. store_sqlite.c is the one backend today.
 *
 * Every operation returns PHR_OK or a negative PHR_E_* with a message. The
 * write operations run inside begin()/commit(); rollback() undoes them.
 * begin() nests: inside an open transaction (a caller's batch) it opens a
 * savepoint, which commit() releases and rollback() undoes alone.
 * Row ids are the backend's (int64_t > 0).
 */
#ifndef PHR_REGISTER_STORE_H
#define PHR_REGISTER_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "phr/container.h"
#include "phr/register.h"

struct phr_store;

/* A stored version as the version logic needs it. */
struct phr_store_version {
	int64_t row;
	uint8_t version_id[PHR_VERSION_ID_LEN];
	size_t n_entries;
	const uint8_t *hashes; /* n_entries * PHR_HASH_LEN: the entries' hashes, in order */
	int64_t stored_at;
	bool latest;
};

/* One indexed leaf of an entry's content. */
struct phr_store_field {
	const char *path;   /* "identity.nationality", "vaccinations.vaccine" */
	int type;           /* enum phr_type */
	const char *value;  /* as the JSON form writes it */
	int64_t num;        /* DATE: its first day (days since 1900-01-01); INT: the value; else 0 */
};

/* A search, in store terms: register.c has turned the clerk's query into
 * these (dates into days and prefixes, the name into keys). */
struct phr_store_query {
	const char *born;            /* date string or prefix: matches equal, or one a prefix of the other at '-' */
	const char *sex, *nationality, *code, *clinic, *record_prefix, *field_path, *field_value;
	bool arrived, visited;
	int64_t arrived_from, arrived_to, visited_from, visited_to;
	size_t n_keys, need;         /* name keys: a record's name must share need of them */
	const char *const *keys;
	const uint32_t *key_words;   /* the query words each key stands for (names.h) */
	uint32_t need_words;         /* ... and cover each of these words (0: need alone) */
	/* A name search ranks every candidate record before any is left out:
	 * rank(rank_ctx, names) is its best name's rank (names as in a hit),
	 * 0 when none matches (the record is then dropped); the hits are the
	 * max best by rank, then last seen, then record id. */
	int (*rank)(void *ctx, const char *names);
	void *rank_ctx;
};
/* A candidate record; names: its stored names (NUL-separated, n_names of them). */
struct phr_store_hit {
	uint8_t record_id[PHR_RECORD_ID_LEN];
	const char *names;
	size_t n_names;
	const char *born, *sex, *nationality;
	size_t n_versions;
	int64_t last_seen;
};

struct phr_store_ops {
	void (*close)(struct phr_store *s);
	int (*schema_version)(struct phr_store *s);

	int (*begin)(struct phr_store *s);
	int (*commit)(struct phr_store *s);
	void (*rollback)(struct phr_store *s);

	/* 0 in *row when the record is not stored. */
	int (*record_find)(struct phr_store *s, const uint8_t id[PHR_RECORD_ID_LEN], int64_t *row);
	int (*record_insert)(struct phr_store *s, const uint8_t id[PHR_RECORD_ID_LEN], int64_t at, int64_t *row);
	/* Unique hex prefix -> record id: PHR_E_NOT_STORED, PHR_E_AMBIGUOUS. */
	int (*record_resolve)(struct phr_store *s, const char *lower_hex_prefix, uint8_t id[PHR_RECORD_ID_LEN]);

	/* Each version of a record, in the order stored. */
	int (*versions_each)(struct phr_store *s, int64_t record_row,
			     int (*cb)(void *ctx, const struct phr_store_version *v), void *ctx);
	/* Inserts a version; it becomes the record's latest when it has more
	 * entries than the latest so far. */
	int (*version_insert)(struct phr_store *s, int64_t record_row, const struct phr_store_version *v,
			      const uint8_t *container, size_t len, const uint8_t *facts, size_t facts_len,
			      int64_t first_day, int64_t last_day, int64_t *row);
	int (*sighting_insert)(struct phr_store *s, int64_t version_row, int64_t at, const char *how, const char *who,
			       const char *report_json, uint64_t trust_version);
	int (*sightings_each)(struct phr_store *s, int64_t record_row,
			      int (*cb)(void *ctx, const struct phr_register_sighting *v), void *ctx);
	/* The latest version's container, malloc'd. */
	int (*latest)(struct phr_store *s, int64_t record_row, uint8_t **container, size_t *len);
	/* One version's container (by its row), malloc'd: the hub hands out
	 * every branch of a fork. */
	int (*version_container)(struct phr_store *s, int64_t version_row, uint8_t **container, size_t *len);

	/* An entry of a record for the index, by its hash: *row 0 when it was
	 * indexed already (shared by an earlier version), else its new row. */
	int (*entry_insert)(struct phr_store *s, int64_t record_row, const uint8_t hash[PHR_HASH_LEN], size_t index,
			    int64_t day, const char *clinic, const char *country, int64_t *row);
	int (*field_insert)(struct phr_store *s, int64_t entry_row, const struct phr_store_field *f);
	/* The entry (record, hash) indexed already, its indexed fields deleted
	 * so that it is indexed again (its sealed sections opened this time:
	 * register.c, index_entries); *row 0 when it is not indexed. Names
	 * stay: the identity is never sealed. */
	int (*entry_reindex)(struct phr_store *s, int64_t record_row, const uint8_t hash[PHR_HASH_LEN], int64_t *row);
	int (*name_insert)(struct phr_store *s, int64_t entry_row, const char *name, const char *const *keys,
			   size_t n_keys);

	int (*find)(struct phr_store *s, const struct phr_store_query *q, size_t max,
		    int (*cb)(void *ctx, const struct phr_store_hit *h), void *ctx);
	int (*facts_each)(struct phr_store *s, int64_t from_day, int64_t to_day,
			  int (*cb)(void *ctx, const uint8_t *facts, size_t len), void *ctx);

	int (*doc_put)(struct phr_store *s, const uint8_t hash[PHR_HASH_LEN], const char *media_type,
		       const uint8_t *bytes, size_t len, int64_t at);
	/* PHR_E_NOT_FOUND when absent. bytes malloc'd. */
	int (*doc_get)(struct phr_store *s, const uint8_t hash[PHR_HASH_LEN], char media_type[PHR_REG_MEDIA_TYPE_MAX],
		       uint8_t **bytes, size_t *len);
	int (*doc_link)(struct phr_store *s, int64_t record_row, const uint8_t hash[PHR_HASH_LEN]);
	int (*docs_each)(struct phr_store *s, int64_t record_row,
			 int (*cb)(void *ctx, const struct phr_register_document *d), void *ctx);

	/* Erases the record and all that hangs on it, and the documents no
	 * other record links; audit rows naming record_hex lose it. Inside a
	 * transaction; purge() afterwards. */
	int (*forget)(struct phr_store *s, int64_t record_row, const char *record_hex);
	/* Leaves no erased byte behind: journal checkpointed and truncated, file vacuumed. */
	int (*purge)(struct phr_store *s);

	int (*audit_insert)(struct phr_store *s, int64_t at, const char *who, const char *action,
			    const char *record_hex, const char *detail);
	int (*audit_each)(struct phr_store *s, int (*cb)(void *ctx, const struct phr_register_audit_row *r), void *ctx);

	/* The backend's own checks (SQLite: integrity_check, foreign_key_check);
	 * each problem to cb; *problems counts them. */
	int (*check_storage)(struct phr_store *s, void (*cb)(void *ctx, const char *problem), void *ctx,
			     size_t *problems);
	/* Every stored container with the version id it is stored under. */
	int (*containers_each)(struct phr_store *s,
			       int (*cb)(void *ctx, const uint8_t vid[PHR_VERSION_ID_LEN], const uint8_t *c, size_t len),
			       void *ctx);
	/* Every kept document: hash and bytes. */
	int (*documents_all)(struct phr_store *s,
			     int (*cb)(void *ctx, const uint8_t hash[PHR_HASH_LEN], const uint8_t *b, size_t len),
			     void *ctx);

	/* Staff accounts. user_insert: PHR_E_USER_EXISTS when the name is
	 * taken. user_get: PHR_E_NOT_FOUND when absent; hash at most cap
	 * bytes with its NUL. user_update: role 0, hash NULL, disabled -1 leave
	 * that column; PHR_E_NOT_FOUND when absent. */
	int (*user_insert)(struct phr_store *s, const char *name, int role, const char *hash, int64_t at);
	int (*user_get)(struct phr_store *s, const char *name, int *role, bool *disabled, char *hash, size_t cap);
	int (*user_update)(struct phr_store *s, const char *name, int role, const char *hash, int disabled);
	int (*users_each)(struct phr_store *s, int (*cb)(void *ctx, const struct phr_register_user *u), void *ctx);
};

struct phr_store {
	const struct phr_store_ops *ops;
};

/* The SQLite backend (store_sqlite.c): one file, WAL. */
int phr_store_sqlite_open(const char *path, unsigned flags, struct phr_store **out);
int phr_store_sqlite_schema_latest(void);

/* The PostgreSQL backend (store_pg.c): a database named by a URI
 * (postgresql://... or postgres://...), several processes at once. */
bool phr_store_pg_uri(const char *path);
int phr_store_pg_open(const char *uri, unsigned flags, struct phr_store **out);
int phr_store_pg_schema_latest(void);

#endif
