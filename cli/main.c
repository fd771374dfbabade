/* phr — carry a personal health record: issue, extend, verify, show, print as QR codes, scan. */
#include "cli.h"

#include <locale.h>
#include <sodium.h>
#include <string.h>

static const char usage[] =
	"Usage: phr COMMAND [OPTIONS]\n"
	"\n"
	"Keys and trust (health authorities and clinics):\n"
	"  authority init      create an authority key (FILE.key and FILE.pub)\n"
	"  authority certify   sign a clinic's public key as a certificate\n"
	"  clinic init         create a clinic key (FILE.key and FILE.pub)\n"
	"  trust build         sign a trust bundle: authorities, certificates, revocations\n"
	"  trust show          list what a trust bundle holds\n"
	"  trust pin           pin an authority on this installation (trust anchors)\n"
	"  trust install       check a bundle and install it here\n"
	"  trust anchors       list the pinned authorities and bundle versions used\n"
	"  trust qr            a trust bundle as QR codes and an A4 poster\n"
	"  trust import        take a newer bundle from a pinned authority (file or poster photos)\n"
	"\n"
	"Records (clinics):\n"
	"  issue               sign an assessment (JSON) as a new record\n"
	"  extend              add a signed entry to a record\n"
	"  attach              add a signed entry that refers to a document (PDF, PNG,\n"
	"                      JPEG) by its hash; the bytes stay out of the record\n"
	"  verify              check every entry of a record against a trust bundle\n"
	"  show                show a record as text (any language) or JSON\n"
	"  rekey               after a lost key slip: a new holder key for the sealed sections\n"
	"\n"
	"QR codes (printing and scanning):\n"
	"  qr                  write a record as QR code images (PNG, SVG)\n"
	"  scan                read QR codes from scans or photos back into a record\n"
	"  print               print a record as a booklet, a wallet card or print-shop\n"
	"                      sheets (PDF, PNG); --batch for many records into one PDF\n"
	"\n"
	"Smartcards (PC/SC readers):\n"
	"  card                list readers; format a card; write, read, show its record; PIN\n"
	"\n"
	"Clinic register (one database file per clinic):\n"
	"  register            file every record met; find, show, export, audit, forget\n"
	"  serve               the clinic's web app (staff accounts: register user)\n"
	"\n"
	"Hospitals' systems (FHIR R4, International Patient Summary):\n"
	"  export              write a record as an IPS document Bundle (JSON)\n"
	"  import              read an IPS Bundle into an entry for 'phr issue'\n"
	"  sync                send the register's new versions to the regional hub, pull newer ones\n"
	"  merge               join two copies of a record extended apart (a fork) with a signed merge entry\n"
	"\n"
	"Regional hub (PostgreSQL):\n"
	"  hub                 serve the hub's API to clinics (docs/HUB.md)\n"
	"\n"
	"Other:\n"
	"  inspect             say what a phr file is (key, certificate, bundle, record)\n"
	"  schema              print the JSON Schema of an entry\n"
	"\n"
	"'phr COMMAND --help' describes a command. 'man phr' lists exit codes.\n"
	"Files named '-' are standard input or output.\n";

int main(int argc, char **argv)
{
	setlocale(LC_ALL, "");
	if (sodium_init() < 0) {
		fputs("phr: libsodium failed to initialise\n", stderr);
		return EXIT_FAIL;
	}
	if (argc < 2) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	const char *c = argv[1];
	if (!strcmp(c, "--help") || !strcmp(c, "-h") || !strcmp(c, "help")) {
		fputs(usage, stdout);
		return EXIT_OK_;
	}
	if (!strcmp(c, "--version")) {
#ifdef PHR_TEST_CLOCK
		puts("phr 0.1.0 (test build: PHR_NOW sets the clock)");
#else
		puts("phr 0.1.0");
#endif
		return EXIT_OK_;
	}
	static const struct {
		const char *name;
		cli_cmd_fn fn;
	} cmds[] = {
		{ "authority", cmd_authority }, { "clinic", cmd_clinic }, { "trust", cmd_trust },
		{ "issue", cmd_issue }, { "extend", cmd_extend }, { "attach", cmd_attach }, { "verify", cmd_verify },
		{ "show", cmd_show }, { "qr", cmd_qr }, { "scan", cmd_scan }, { "print", cmd_print },
		{ "schema", cmd_schema }, { "inspect", cmd_inspect }, { "card", cmd_card },
		{ "register", cmd_register },
		{ "rekey", cmd_rekey },
		{ "export", cmd_export }, { "import", cmd_import },
		{ "serve", cmd_serve },
		{ "hub", cmd_hub }, { "sync", cmd_sync },
		{ "merge", cmd_merge },
	};
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(c, cmds[i].name))
			return cmds[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "phr: unknown command '%s' (see 'phr --help')\n", c);
	return EXIT_USAGE;
}
