/* phr export --format fhir-ips */
#include "cli.h"

#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "phr/container.h"
#include "phr/fhir.h"
#include "phr/render.h"
#include "phr/verify.h"

static const char export_usage[] =
	"Usage: phr export --format fhir-ips [--trust TRUST.bundle] [--authority AUTH.pub]\n"
	"                  [--holder-key KEY.txt] RECORD.phr --out IPS.json\n"
	"\n"
	"Writes the record as a FHIR R4 document Bundle following the International\n"
	"Patient Summary (docs/FHIR.md): a Composition with the IPS sections, the\n"
	"Patient, an Organization per signing clinic, the clinical resources, and\n"
	"per signed entry a Provenance and a VerificationResult that say who signed\n"
	"it and what verification found. Each entry is verified first (against the\n"
	"bundle with --trust, else signatures and chain only); entries that do not\n"
	"verify are exported too, marked so. What the Bundle cannot carry (consent,\n"
	"migration, ...) is listed on standard error.\n"
	"  --holder-key KEY.txt  export the sealed sections too (docs/PRIVACY.md);\n"
	"                        without it they are left out, and listed\n"
	"  --out FILE            where to write the Bundle (default: standard output)\n"
	"Exit status: 0 when the Bundle was written (whatever the entries' status),\n"
	"3 if the record cannot be read, 38 if written but a sealed part did not\n"
	"open with the --holder-key given.\n";

int cmd_export(int argc, char **argv)
{
	const char *verb = "export";
	static const struct option opts[] = {
		{ "format", required_argument, 0, 'f' }, { "trust", required_argument, 0, 't' },
		{ "authority", required_argument, 0, 'a' }, { "holder-key", required_argument, 0, 'k' },
		{ "out", required_argument, 0, 'o' }, { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 } };
	const char *format = NULL, *trust = NULL, *pin = NULL, *hkey = NULL, *out = "-";
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'f': format = optarg; break;
		case 't': trust = optarg; break;
		case 'a': pin = optarg; break;
		case 'k': hkey = optarg; break;
		case 'o': out = optarg; break;
		case 'h': fputs(export_usage, stdout); return EXIT_OK_;
		default: return cli_usage(verb, "unknown option");
		}
	}
	if (!format || strcmp(format, "fhir-ips"))
		return cli_usage(verb, "--format fhir-ips is required (the one export format)");
	if (optind != argc - 1)
		return cli_usage(verb, "expected one RECORD.phr");
	const char *file = argv[optind];
	struct phr_trust *t = NULL;
	struct phr_record *r = NULL;
	struct phr_report *rep = NULL;
	json_t *shown = NULL, *bundle = NULL, *omitted = NULL;
	char *text = NULL;
	uint8_t *buf = NULL;
	size_t len;
	int ex, rc;
	if (trust && (ex = cli_load_trust(verb, trust, pin, &t)))
		return ex;
	if ((rc = cli_read(file, PHR_MAX_CONTAINER, &buf, &len))) {
		ex = cli_fail(verb, rc, NULL);
		goto done;
	}
	if ((rc = phr_record_decode(buf, len, &r))) {
		ex = cli_fail(verb, rc, file);
		goto done;
	}
	if (!(rep = calloc(1, sizeof(*rep)))) {
		ex = cli_fail(verb, PHR_E_NOMEM, NULL);
		goto done;
	}
	uint64_t now = cli_now();
	(void)phr_verify_record(r, t, now, rep);
	int sex = cli_unseal(verb, r, hkey);
	if (sex && sex != EXIT_SEAL) {
		ex = sex;
		goto done;
	}
	struct phr_fhir_export_opts o = { .now = now };
	if ((rc = phr_render_json(r, rep, &shown)) || (rc = phr_fhir_export(shown, &o, &bundle, &omitted))) {
		ex = cli_fail(verb, rc, NULL);
		goto done;
	}
	if (!(text = phr_fhir_dump(bundle))) {
		ex = cli_fail(verb, PHR_E_NOMEM, NULL);
		goto done;
	}
	size_t n = strlen(text);
	text[n++] = '\n'; /* the NUL becomes the final new line */
	if ((rc = cli_write(out, text, n, 0666))) {
		ex = cli_fail(verb, rc, out);
		goto done;
	}
	size_t i;
	json_t *om;
	json_array_foreach(omitted, i, om)
		fprintf(stderr, "phr %s: entry %lld: %s not exported: %s\n", verb,
			(long long)json_integer_value(json_object_get(om, "entry")),
			json_string_value(json_object_get(om, "what")), json_string_value(json_object_get(om, "why")));
	if (!rep->all_valid)
		fprintf(stderr, "phr %s: warning: not every entry verified; each entry's VerificationResult says which\n",
			verb);
	ex = sex;
done:
	free(text);
	free(buf);
	free(rep);
	json_decref(shown);
	json_decref(bundle);
	json_decref(omitted);
	phr_record_destroy(r);
	phr_trust_destroy(t);
	return ex;
}
