/* sealtool: records that only a faulty or hostile writer makes, for
 * tests/integration/seal.sh.
 *   sealtool move RECORD.phr CLINIC.key SIGNED_AT FROM OUT.phr [SOURCE.phr]
 *     appends a follow-up entry {kind: follow_up, date: 2025-06-15} that
 *     carries entry FROM's sealed envelope (of SOURCE, by default RECORD),
 *     correctly signed with the clinic's key (passphrase in
 *     $PHR_PASSPHRASE): a sealed part moved to another entry or record,
 *     which verifies but must not open.
 *   sealtool flip RECORD.phr ENTRY OUT.phr
 *     writes RECORD uncompressed with one bit of ENTRY's ciphertext
 *     flipped (its signature then fails too). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "phr/cbor.h"
#include "phr/container.h"
#include "phr/crypto.h"
#include "phr/json.h"

#define FILE_MAX (1 << 20)

static void die(const char *what)
{
	fprintf(stderr, "sealtool: %s: %s\n", what, phr_last_error());
	exit(1);
}

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = malloc(FILE_MAX);
	if (!f || !buf) {
		fprintf(stderr, "sealtool: %s: cannot read\n", path);
		exit(1);
	}
	*len = fread(buf, 1, FILE_MAX, f);
	fclose(f);
	return buf;
}

static void spit(const char *path, const uint8_t *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(p, 1, n, f) != n || fclose(f)) {
		fprintf(stderr, "sealtool: %s: cannot write\n", path);
		exit(1);
	}
}

int main(int argc, char **argv)
{
	struct phr_record *r;
	size_t rlen;
	if ((argc == 7 || argc == 8) && !strcmp(argv[1], "move")) {
		const char *pass = getenv("PHR_PASSPHRASE");
		size_t klen, olen, clen;
		uint8_t *rec = slurp(argv[2], &rlen), *keyfile = slurp(argv[3], &klen), *out, content[16];
		struct phr_seckey *k;
		struct phr_cbor_enc e;
		if (!pass)
			pass = "";
		if (phr_record_decode(rec, rlen, &r))
			die(argv[2]);
		if (phr_key_open(keyfile, klen, pass, strlen(pass), &k))
			die(argv[3]);
		size_t from = strtoul(argv[5], NULL, 10);
		struct phr_record *src = r;
		uint8_t *srcbuf = NULL;
		if (argc == 8) {
			size_t slen0;
			srcbuf = slurp(argv[7], &slen0);
			if (phr_record_decode(srcbuf, slen0, &src))
				die(argv[7]);
		}
		if (from >= src->n_entries || !src->entries[from].sealed)
			die("entry FROM has no sealed part");
		phr_cbor_enc_init(&e, content, sizeof(content));
		phr_cbor_put_map(&e, 2);
		phr_cbor_put_uint(&e, 1);
		phr_cbor_put_uint(&e, 1); /* follow_up */
		phr_cbor_put_uint(&e, 2);
		phr_cbor_put_uint(&e, (uint64_t)phr_days_from_civil(2025, 6, 15));
		if (phr_cbor_enc_finish(&e, &clen))
			die("content");
		/* a copy: the append re-parses the record's store */
		size_t slen = src->entries[from].sealed_len;
		uint8_t *sealed = malloc(slen);
		if (!sealed)
			die("memory");
		memcpy(sealed, src->entries[from].sealed, slen);
		if (src != r)
			phr_record_destroy(src);
		free(srcbuf);
		if (phr_record_append_sealed(r, k, NULL, 0, content, clen, sealed, slen, strtoull(argv[4], NULL, 10)))
			die("append");
		if (phr_record_encode(r, -1, &out, &olen))
			die("encode");
		spit(argv[6], out, olen);
		free(out);
		free(sealed);
		phr_seckey_destroy(k);
		free(keyfile);
		free(rec);
	} else if (argc == 5 && !strcmp(argv[1], "flip")) {
		uint8_t *rec = slurp(argv[2], &rlen), *body;
		size_t blen;
		if (phr_record_decode(rec, rlen, &r))
			die(argv[2]);
		size_t i = strtoul(argv[3], NULL, 10);
		if (i >= r->n_entries || !r->entries[i].sealed)
			die("entry has no sealed part");
		size_t at = (size_t)(r->entries[i].sealed - r->store) + r->entries[i].sealed_len - 20;
		if (phr_record_body(r, &body, &blen) || blen != r->store_len)
			die("body");
		body[at] ^= 0x04;
		uint8_t *c = malloc(blen + PHR_CONTAINER_HEADER);
		if (!c)
			die("memory");
		c[0] = PHR_CONTAINER_VERSION;
		c[1] = 0; /* none */
		c[2] = (uint8_t)(blen >> 16);
		c[3] = (uint8_t)(blen >> 8);
		c[4] = (uint8_t)blen;
		memcpy(c + PHR_CONTAINER_HEADER, body, blen);
		spit(argv[4], c, blen + PHR_CONTAINER_HEADER);
		free(c);
		free(body);
		free(rec);
	} else {
		fputs("usage: sealtool move RECORD.phr CLINIC.key SIGNED_AT FROM OUT.phr [SOURCE.phr] | flip RECORD.phr ENTRY OUT.phr\n",
		      stderr);
		return 2;
	}
	phr_record_destroy(r);
	return 0;
}
