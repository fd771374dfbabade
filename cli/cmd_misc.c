/* phr schema, phr inspect */
#include "cli.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "phr/cbor.h"
#include "phr/compress.h"
#include "phr/container.h"
#include "phr/json.h"
#include "phr/render.h"
#include "phr/schema.h"

int cmd_schema(int argc, char **argv)
{
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		puts("Usage: phr schema\n\nPrints the JSON Schema (draft 2020-12) of an entry, generated from the\n"
		     "record model; docs/record.schema.json is this output.");
		return EXIT_OK_;
	}
	if (argc != 1)
		return cli_usage("schema", "takes no arguments");
	json_t *s;
	int rc = phr_schema_json_schema(&s);
	if (rc)
		return cli_fail("schema", rc, NULL);
	char *txt = json_dumps(s, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(s);
	if (!txt)
		return cli_fail("schema", PHR_E_NOMEM, NULL);
	puts(txt);
	free(txt);
	return EXIT_OK_;
}

static const char *kind_name(int kind)
{
	return kind == PHR_KEY_AUTHORITY ? "authority" : kind == PHR_KEY_CLINIC ? "clinic" : "unknown";
}

/* A sealed key file: reads the clear header (kind, name, country, pk). */
static int inspect_keyfile(const uint8_t *buf, size_t len)
{
	struct phr_cbor_dec d;
	size_t n;
	uint64_t kind;
	const char *name, *country;
	size_t nl, cl;
	uint8_t pk[PHR_PK_LEN], kid[PHR_KID_LEN];
	if (phr_cbor_dec_init(&d, buf, len) || phr_cbor_get_map(&d, &n) || n != 9 || phr_cbor_expect_key(&d, 1) ||
	    phr_cbor_get_uint(&d, &kind) || phr_cbor_expect_key(&d, 2) || phr_cbor_get_text(&d, &name, &nl) ||
	    phr_cbor_expect_key(&d, 3) || phr_cbor_get_text(&d, &country, &cl) || phr_cbor_expect_key(&d, 4) ||
	    phr_cbor_get_bytes_exact(&d, pk, PHR_PK_LEN))
		return -1;
	char hex[PHR_KID_HEX_LEN];
	/* The clear header is not authenticated until the passphrase opens the
	 * file: show its text the way record text is shown, never raw. */
	char sname[3 * PHR_MAX_NAME + 1], scountry[3 * 2 + 1];
	if (nl > PHR_MAX_NAME || cl != 2)
		return -1;
	phr_text_sanitize(sname, sizeof(sname), name, nl);
	phr_text_sanitize(scountry, sizeof(scountry), country, cl);
	phr_kid_of(pk, kid);
	phr_kid_to_hex(kid, hex);
	printf("secret key (sealed with a passphrase)\n  kind: %s\n  name: %s\n  country: %s\n  key id: %s\n",
	       kind_name((int)kind), sname, scountry, hex);
	return 0;
}

int cmd_inspect(int argc, char **argv)
{
	const char *verb = "inspect";
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		puts("Usage: phr inspect FILE\n\nSays what a phr file is — public key, sealed secret key, certificate,\n"
		     "trust bundle or record — and what it names. For a record: its id and its\n"
		     "version id (record id and the hash of its last entry: what the signatures\n"
		     "fix, the same however the container is compressed). Checks structure only;\n"
		     "use 'phr verify' to check a record's signatures.");
		return EXIT_OK_;
	}
	if (argc != 2)
		return cli_usage(verb, "expected one FILE");
	uint8_t *buf;
	size_t len;
	int rc = cli_read(argv[1], PHR_MAX_TRUST > PHR_MAX_CONTAINER ? PHR_MAX_TRUST : PHR_MAX_CONTAINER, &buf, &len);
	if (rc)
		return cli_fail(verb, rc, NULL);
	char hex[PHR_KID_HEX_LEN], nb[21], na[21];
	struct phr_pubkey p;
	struct phr_cert c;
	struct phr_trust *t;
	struct phr_record *r;
	int ex = EXIT_OK_;
	if (phr_pubkey_decode(buf, len, &p) == PHR_OK) {
		phr_kid_to_hex(p.kid, hex);
		printf("public key\n  kind: %s\n  name: %s\n  country: %s\n  key id: %s\n", kind_name(p.kind), p.name,
		       p.country, hex);
	} else if (inspect_keyfile(buf, len) == 0) {
		/* printed */
	} else if (phr_cert_parse(buf, len, &c) == PHR_OK) {
		phr_kid_to_hex(c.subject.kid, hex);
		phr_format_time(c.not_before, nb);
		phr_format_time(c.not_after, na);
		printf("clinic certificate\n  name: %s\n  country: %s\n  key id: %s\n  valid: %s to %s\n", c.subject.name,
		       c.subject.country, hex, nb, na);
		phr_kid_to_hex(c.issuer_kid, hex);
		printf("  issued by authority: %s\n", hex);
	} else if (phr_trust_load(buf, len, &t) == PHR_OK) {
		phr_kid_to_hex(phr_trust_signer_kid(t), hex);
		printf("trust bundle\n  version: %llu\n  signed by: %s\n  authorities: %zu\n  certificates: %zu\n"
		       "  revoked: %zu\n",
		       (unsigned long long)phr_trust_version(t), hex, phr_trust_count_authorities(t),
		       phr_trust_count_certs(t), phr_trust_count_revoked(t));
		phr_trust_destroy(t);
	} else if ((rc = phr_record_decode(buf, len, &r)) == PHR_OK) {
		char id[33], vid[PHR_VERSION_ID_HEX_LEN];
		phr_record_id_hex(r->id, id);
		if (phr_record_version_id_hex(r, vid) != PHR_OK)
			snprintf(vid, sizeof(vid), "-");
		printf("record container\n  record id: %s\n  version id: %s\n  bytes: %zu (body %zu, %s)\n"
		       "  entries: %zu\n  embedded certificates: %zu\n",
		       id, vid, len, r->store_len, phr_compression_name(r->compression), r->n_entries, r->n_certs);
		phr_record_destroy(r);
	} else {
		ex = cli_fail(verb, phr_fail(PHR_E_MALFORMED,
					     "%s is not a phr key, certificate, trust bundle or record (as a record: %s)",
					     argv[1], phr_last_error()),
			      NULL);
	}
	free(buf);
	return ex;
}
