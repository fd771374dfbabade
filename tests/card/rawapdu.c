/* phr-apdu: sends raw command APDUs to a card over PC/SC, in one session,
 * and prints each response: data (hex) and status word. The integration
 * test uses it to ask the card directly, past every check of the phr client
 * (reads and writes without the PIN must be refused by the card itself).
 *
 *   phr-apdu [--reader NAME] HEX...      e.g. 00A4040C05F070687201 00B0810000
 *
 * One line per APDU on stdout: "SW DATA" (DATA empty when none). Exit 0
 * when every APDU got an answer, else 1 with a message. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "phr/card.h"

static size_t unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	int hi = -1;
	for (; *s; s++) {
		int v;
		if (isspace((unsigned char)*s))
			continue;
		if (!isxdigit((unsigned char)*s))
			return 0;
		v = isdigit((unsigned char)*s) ? *s - '0' : (tolower((unsigned char)*s) - 'a' + 10);
		if (hi < 0) {
			hi = v;
		} else {
			if (n == cap)
				return 0;
			out[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	return hi < 0 ? n : 0;
}

int main(int argc, char **argv)
{
	const char *reader = NULL;
	int i = 1;
	if (argc > 2 && !strcmp(argv[1], "--reader")) {
		reader = argv[2];
		i = 3;
	}
	if (i >= argc) {
		fputs("Usage: phr-apdu [--reader NAME] HEX...\n", stderr);
		return 2;
	}
	static uint8_t cmd[PHR_APDU_MAX], resp[PHR_APDU_RESP_MAX];
	struct phr_pcsc *p;
	if (phr_pcsc_open(reader, &p) != PHR_OK) {
		fprintf(stderr, "phr-apdu: %s\n", phr_last_error());
		return 1;
	}
	int rc = 0;
	for (; i < argc; i++) {
		size_t n = unhex(argv[i], cmd, sizeof(cmd)), rn;
		if (n < 4) {
			fprintf(stderr, "phr-apdu: '%s' is not a command APDU in hex\n", argv[i]);
			rc = 2;
			break;
		}
		if (phr_pcsc_transmit(p, cmd, n, resp, sizeof(resp), &rn) != PHR_OK) {
			fprintf(stderr, "phr-apdu: %s\n", phr_last_error());
			rc = 1;
			break;
		}
		printf("%02X%02X ", resp[rn - 2], resp[rn - 1]);
		for (size_t k = 0; k + 2 < rn; k++)
			printf("%02X", resp[k]);
		putchar('\n');
	}
	phr_pcsc_close(p);
	return rc;
}
