/* phr merge: joins two copies of a record that diverged (a fork) with a
 * merge entry the clinic signs (docs/FORMAT.md, "Merged records"). */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "phr/container.h"
#include "phr/verify.h"

static const char merge_usage[] =
	"Usage: phr merge --key CLINIC.key --cert CLINIC.cert A.phr B.phr --out M.phr\n"
	"                 [--trust TRUST.bundle] [--register DB] [--force]\n"
	"                 [--passphrase-file F]\n"
	"Joins two copies of one record that were extended apart (a fork: two\n"
	"clinics extended the same older copy offline). The merged record keeps\n"
	"every entry of both, every signature as it was: the longer copy's entries\n"
	"(A's on a tie) stay the main chain, branch A; the other's entries after\n"
	"the fork point are carried as a side branch, branch B; a merge entry\n"
	"signed with CLINIC.key follows A's newest entry and names B's newest. Both copies are verified first, as 'phr extend' does\n"
	"(--force merges anyway). Refused (exit 55): two different records,\n"
	"copies that share no entry, one copy that holds the other ('not a fork':\n"
	"the newer copy is the record), or a copy that is merged already.\n"
	"  --register DB      also file the merged record in the clinic's register\n"
	"                     (it is the newer version of both branches)\n";

int cmd_merge(int argc, char **argv)
{
	const char *verb = "merge";
	static const struct option opts[] = {
		{ "key", required_argument, 0, 'k' }, { "cert", required_argument, 0, 'c' },
		{ "out", required_argument, 0, 'o' }, { "passphrase-file", required_argument, 0, 'p' },
		{ "trust", required_argument, 0, 't' }, { "register", required_argument, 0, 'r' },
		{ "force", no_argument, 0, 'f' }, { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 } };
	const char *key_path = NULL, *cert_path = NULL, *out = NULL, *passfile = NULL, *trust_path = NULL, *db = NULL;
	bool force = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'k': key_path = optarg; break;
		case 'c': cert_path = optarg; break;
		case 'o': out = optarg; break;
		case 'p': passfile = optarg; break;
		case 't': trust_path = optarg; break;
		case 'r': db = optarg; break;
		case 'f': force = true; break;
		case 'h': fputs(merge_usage, stdout); return EXIT_OK_;
		default: return cli_usage(verb, "unknown option");
		}
	}
	if (argc - optind != 2)
		return cli_usage(verb, "two records to join are required: A.phr B.phr");
	if (!key_path || !cert_path || !out)
		return cli_usage(verb, "--key, --cert and --out are required");
	const char *in[2] = { argv[optind], argv[optind + 1] };
	if (!strcmp(in[0], "-") && !strcmp(in[1], "-"))
		return cli_usage(verb, "A and B cannot both be standard input");
	uint64_t now = cli_now();
	struct phr_trust *trust = NULL;
	struct phr_record *r[2] = { NULL, NULL }, *m = NULL;
	uint8_t *buf[2] = { NULL, NULL }, *cert = NULL;
	size_t len[2], certlen = 0;
	struct phr_seckey *key = NULL;
	struct phr_report *rep = calloc(1, sizeof(*rep));
	int ex = EXIT_OK_, rc, newer = -1;
	if (!rep)
		return cli_fail(verb, PHR_E_NOMEM, NULL);
	for (int i = 0; i < 2 && !ex; i++) {
		struct phr_trust *t = NULL;
		ex = cli_load_to_sign(verb, in[i], i == 0 ? trust_path : NULL, force, "merge", now, i == 0 ? &trust : &t,
				      &buf[i], &len[i], &r[i], rep);
		if (i == 1 && !ex && trust) { /* the second copy is checked against the same bundle */
			(void)phr_verify_record(r[1], trust, now, rep);
			ex = cli_refuse_unverified(verb, in[1], rep, true, force, "merge");
		}
	}
	if (ex)
		goto out;
	if ((ex = cli_load_signer(verb, key_path, cert_path, passfile, now, &key, &cert, &certlen)))
		goto out;
	if ((rc = phr_record_merge(r[0], r[1], key, cert, certlen, now, &newer, &m))) {
		if (rc == PHR_E_NOT_FORK && newer == 2)
			ex = cli_fail(verb, phr_fail(rc, "not a fork: %s and %s are the same version", in[0], in[1]), NULL);
		else if (rc == PHR_E_NOT_FORK)
			ex = cli_fail(verb,
				      phr_fail(rc, "not a fork, the newer copy is %s (it holds every entry of %s): use it as it is",
					       in[newer], in[1 - newer]),
				      NULL);
		else
			ex = cli_fail(verb, rc, NULL);
		goto out;
	}
	int at = phr_record_merge_at(m);
	int side = r[1]->n_entries > r[0]->n_entries ? 0 : 1; /* the longer copy stays the main chain */
	fprintf(stderr, "phr %s: joined %zu entr%s of %s as branch B after entry %llu; merge entry %d follows %s (branch A)\n",
		verb, m->n_side, m->n_side == 1 ? "y" : "ies", in[side], (unsigned long long)(m->side[0].index - 1), at,
		in[1 - side]);
	ex = cli_write_record(verb, m, -1, out, db, trust);
out:
	for (int i = 0; i < 2; i++) {
		phr_record_destroy(r[i]);
		free(buf[i]);
	}
	phr_record_destroy(m);
	phr_seckey_destroy(key);
	free(cert);
	free(rep);
	phr_trust_destroy(trust);
	return ex;
}
