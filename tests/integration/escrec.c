/* escrec RECORD.phr CLINIC.key SIGNED_AT TEXT OUT.phr: writes RECORD with
 * one more entry, {kind: follow_up, date: 2025-06-15, notes: TEXT}, signed
 * with the clinic's key (passphrase in $PHR_PASSPHRASE) and chained to the
 * last entry as phr extend would, at SIGNED_AT (seconds since 1970). phr
 * refuses to write such text (a control or bidi formatting character), so
 * the content is encoded here byte by byte: a correctly signed entry that
 * only the content rule keeps from a reader (tests/integration/escape.sh). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "phr/cbor.h"
#include "phr/container.h"
#include "phr/crypto.h"
#include "phr/json.h"

#define FILE_MAX (1 << 20)

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = malloc(FILE_MAX);
	if (!f || !buf) {
		fprintf(stderr, "escrec: %s: cannot read\n", path);
		exit(1);
	}
	*len = fread(buf, 1, FILE_MAX, f);
	fclose(f);
	return buf;
}

static void die(const char *what)
{
	fprintf(stderr, "escrec: %s: %s\n", what, phr_last_error());
	exit(1);
}

/* The entry payload {1: index, 2: signed-at, 3: content} into out. */
static void payload(uint8_t *out, size_t cap, size_t *len, uint64_t index, uint64_t signed_at, const char *text)
{
	struct phr_cbor_enc e;
	phr_cbor_enc_init(&e, out, cap);
	phr_cbor_put_map(&e, 3);
	phr_cbor_put_uint(&e, 1);
	phr_cbor_put_uint(&e, index);
	phr_cbor_put_uint(&e, 2);
	phr_cbor_put_uint(&e, signed_at);
	phr_cbor_put_uint(&e, 3);
	phr_cbor_put_map(&e, 3);
	phr_cbor_put_uint(&e, 1);
	phr_cbor_put_uint(&e, 1); /* kind: follow_up */
	phr_cbor_put_uint(&e, 2);
	phr_cbor_put_uint(&e, (uint64_t)phr_days_from_civil(2025, 6, 15));
	phr_cbor_put_uint(&e, 19); /* notes */
	phr_cbor_put_text(&e, text, strlen(text));
	if (phr_cbor_enc_finish(&e, len))
		die("payload");
}

int main(int argc, char **argv)
{
	if (argc != 6) {
		fputs("usage: escrec RECORD.phr CLINIC.key SIGNED_AT TEXT OUT.phr\n", stderr);
		return 2;
	}
	const char *pass = getenv("PHR_PASSPHRASE");
	size_t rlen, klen, plen, clen, olen;
	uint8_t *rec = slurp(argv[1], &rlen), *keyfile = slurp(argv[2], &klen), *cose, *out;
	uint8_t pl[4096], aad[PHR_ENTRY_AAD_LEN];
	struct phr_record *r;
	struct phr_seckey *k;
	if (!pass)
		pass = "";
	if (phr_record_decode(rec, rlen, &r))
		die(argv[1]);
	if (phr_key_open(keyfile, klen, pass, strlen(pass), &k))
		die(argv[2]);
	if (r->n_entries >= PHR_MAX_ENTRIES)
		die("record full");
	payload(pl, sizeof(pl), &plen, r->n_entries, strtoull(argv[3], NULL, 10), argv[4]);
	phr_record_entry_aad(r, r->n_entries, aad);
	if (phr_cose_sign1(k, pl, plen, aad, sizeof(aad), &cose, &clen))
		die("sign");
	r->entries[r->n_entries].raw = cose;
	r->entries[r->n_entries].raw_len = clen;
	r->n_entries++;
	if (phr_record_encode(r, -1, &out, &olen))
		die("encode");
	FILE *f = fopen(argv[5], "wb");
	if (!f || fwrite(out, 1, olen, f) != olen || fclose(f)) {
		fprintf(stderr, "escrec: %s: cannot write\n", argv[5]);
		return 1;
	}
	free(out);
	free(cose);
	phr_seckey_destroy(k);
	phr_record_destroy(r);
	free(rec);
	free(keyfile);
	return 0;
}
