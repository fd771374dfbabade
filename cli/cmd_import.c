/* phr import --format fhir-ips */
#include "cli.h"

#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "phr/fhir.h"
#include "phr/json.h"

static const char import_usage[] =
	"Usage: phr import --format fhir-ips IPS.json --out RECORD.json\n"
	"                  [--report text|json] [--strict]\n"
	"\n"
	"Reads a FHIR R4 document Bundle (an International Patient Summary, phr's\n"
	"own export or another system's) and writes one entry in the input JSON of\n"
	"'phr issue' (docs/RECORD.md) for a clinic to review and sign. Whatever has\n"
	"no place in the record is listed on standard error, one line per item, or\n"
	"as one JSON object with --report json: nothing is dropped silently.\n"
	"  --out FILE      where to write the entry (default: standard output)\n"
	"  --strict        exit 48 when anything was left out or changed (the entry\n"
	"                  is written all the same)\n"
	"Limits: 4 MiB of JSON, 2000 resources, nesting 32 deep (docs/FHIR.md).\n"
	"Exit status: 0 written; 3 not JSON; 4 over a limit; 47 not a FHIR document\n"
	"Bundle (no Composition first, no Patient); 48 with --strict, see above.\n";

int cmd_import(int argc, char **argv)
{
	const char *verb = "import";
	static const struct option opts[] = {
		{ "format", required_argument, 0, 'f' }, { "out", required_argument, 0, 'o' },
		{ "report", required_argument, 0, 'r' }, { "strict", no_argument, 0, 's' },
		{ "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 } };
	const char *format = NULL, *out = "-", *report = "text";
	int c, strict = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'f': format = optarg; break;
		case 'o': out = optarg; break;
		case 'r': report = optarg; break;
		case 's': strict = 1; break;
		case 'h': fputs(import_usage, stdout); return EXIT_OK_;
		default: return cli_usage(verb, "unknown option");
		}
	}
	if (!format || strcmp(format, "fhir-ips"))
		return cli_usage(verb, "--format fhir-ips is required (the one import format)");
	if (strcmp(report, "text") && strcmp(report, "json"))
		return cli_usage(verb, "--report is text or json");
	if (optind != argc - 1)
		return cli_usage(verb, "expected one IPS.json");
	const char *file = argv[optind];
	uint8_t *buf = NULL;
	size_t len;
	json_t *entry = NULL, *losses = NULL;
	char *text = NULL;
	int rc, ex = EXIT_OK_;
	if ((rc = cli_read(file, PHR_FHIR_MAX_INPUT, &buf, &len)))
		return cli_fail(verb, rc, file);
	if ((rc = phr_fhir_import((const char *)buf, len, &entry, &losses))) {
		ex = cli_fail(verb, rc, file);
		goto done;
	}
	if (!(text = phr_json_dump(entry))) {
		ex = cli_fail(verb, PHR_E_NOMEM, NULL);
		goto done;
	}
	size_t n = strlen(text);
	char *t2 = realloc(text, n + 2);
	if (!t2) {
		ex = cli_fail(verb, PHR_E_NOMEM, NULL);
		goto done;
	}
	text = t2;
	if (n == 0 || text[n - 1] != '\n')
		text[n++] = '\n';
	if ((rc = cli_write(out, text, n, 0666))) {
		ex = cli_fail(verb, rc, out);
		goto done;
	}
	if (!strcmp(report, "json")) {
		json_t *rep = json_pack("{s:s, s:I, s:O}", "file", file, "left_out", (json_int_t)json_array_size(losses),
					"losses", losses);
		char *s = rep ? json_dumps(rep, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
		if (s)
			fprintf(stderr, "%s\n", s);
		free(s);
		json_decref(rep);
	} else {
		size_t i;
		json_t *l;
		json_array_foreach(losses, i, l)
			fprintf(stderr, "phr %s: not kept as it was: %s: %s (%s)\n", verb, json_string_value(json_object_get(l, "where")),
				json_string_value(json_object_get(l, "what")), json_string_value(json_object_get(l, "why")));
		fprintf(stderr, "phr %s: %zu item%s left out or changed; review the entry before 'phr issue' signs it\n", verb,
			json_array_size(losses), json_array_size(losses) == 1 ? "" : "s");
	}
	if (strict && json_array_size(losses))
		ex = EXIT_FHIR_LOSS;
done:
	free(text);
	free(buf);
	json_decref(entry);
	json_decref(losses);
	return ex;
}
