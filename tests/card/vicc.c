/* phr-vicc: a virtual card for pcscd's vpcd driver (Debian vsmartcard-vpcd),
 * the card of the integration tests and the benchmark.
 *
 *   phr-vicc --state FILE [--port N] [--blank] [--short-only]
 *            [--vanish-after N [--applied no|yes|half]] [--trace FILE] [--verbose]
 *
 * The card is tests/card/model.c: the phr profile's card side with its own
 * access rules and retry counters. It starts blank (no application: 'phr
 * card format' personalises it) unless FILE holds a saved state, and
 * --blank starts it blank whatever FILE holds.
 *
 * vpcd protocol: the card is a TCP client of the driver (localhost, port
 * 35963 for reader "Virtual PCD 00 00", 35964 for "... 00 01"). Every
 * message is a 2-byte big-endian length and the payload. One-byte messages
 * from the reader are control: 0 power off, 1 power on, 2 reset (all three
 * clear the security state; no answer), 4 get ATR (answer: the ATR). Any
 * other message is a command APDU, answered with the response APDU. The
 * driver asks for the ATR every ~400 ms to know the card is there; a card
 * that closes the connection is gone.
 *
 * Persistence: when a command changed the card's non-volatile state (EF
 * contents, PIN, PUK, counters, files), the state is written to FILE.tmp,
 * fsync'd, renamed over FILE and the directory fsync'd, all before the
 * answer is sent: what the client was told has happened is on disk. A
 * restarted emulator on the same FILE is the same card, just powered on.
 *
 * --vanish-after N: the N-th command APDU (counted from 1, control
 * messages not counted) is never answered; the emulator exits with status
 * 3, closing the connection, as a card pulled out of the reader mid-command.
 * --applied says what the card did with that command first: no (nothing,
 * the default), yes (all of it, persisted), half (an UPDATE BINARY writes
 * only its first half, persisted: a torn EEPROM write; other commands as
 * yes).
 *
 * --short-only: the card refuses extended-length APDUs (6700), as a card
 * without them does. --trace FILE appends every frame received, as vpcd
 * framed it (length and payload): the fuzz corpus of fuzz_card holds such
 * recordings (tests/fuzz/corpus/card/seed-vicc-*). A response longer than a vpcd frame (65535 bytes, SW
 * included) is refused with 6700 too; the phr client never asks for one. Exit status: 0 when the reader closed the connection
 * (pcscd stopped), 3 after a vanish, 1 on any error. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "model.h"

/* An ATR offering T=0 and T=1, no historical bytes: TS 3B, T0 80 (TD1
 * follows), TD1 80 (T=0, TD2 follows), TD2 01 (T=1), TCK. */
static const uint8_t atr[] = { 0x3B, 0x80, 0x80, 0x01, 0x01 };

#define VPCD_CTRL_OFF 0
#define VPCD_CTRL_ON 1
#define VPCD_CTRL_RESET 2
#define VPCD_CTRL_ATR 4

static const char *state_path;
static char tmp_path[4096 + 8];
static int verbose;

/* "phr-vicc: what arg" and exit 1. */
_Noreturn static void die(const char *what, const char *arg)
{
	fprintf(stderr, "phr-vicc: %s%s%s\n", what, *arg && *what ? " " : "", arg);
	exit(1);
}

static int read_full(int fd, uint8_t *p, size_t n)
{
	size_t got = 0;
	int one = 1;
	while (got < n) {
		/* The driver sends a frame's length and its payload as two
		 * writes on a socket with Nagle's algorithm on: the payload waits
		 * for the ACK of the length, which a delayed ACK holds for ~40 ms.
		 * Acknowledge at once (Linux clears the flag now and then: set it
		 * before every read). */
		(void)setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
		ssize_t r = read(fd, p + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return got == 0 && r == 0 ? 0 : -1;
		got += (size_t)r;
	}
	return 1;
}

static int write_full(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static void persist(const struct card_model *m, uint8_t *buf)
{
	size_t n;
	if (card_model_save(m, buf, CARD_MODEL_STATE_MAX, &n) != PHR_OK)
		die("state:", phr_last_error());
	int fd = open(tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write_full(fd, buf, n) != 0 || fsync(fd) != 0 || close(fd) != 0)
		die("cannot write", tmp_path);
	if (rename(tmp_path, state_path) != 0)
		die("cannot rename over", state_path);
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s", state_path);
	char *slash = strrchr(dir, '/');
	if (slash)
		*(slash == dir ? slash + 1 : slash) = '\0';
	int dfd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
}

static void load_state(struct card_model *m, uint8_t *buf)
{
	int fd = open(state_path, O_RDONLY | O_CLOEXEC);
	size_t n = 0;
	if (fd < 0) {
		if (errno != ENOENT)
			die("cannot open", state_path);
		return; /* a new card: blank */
	}
	for (;;) {
		ssize_t r = read(fd, buf + n, CARD_MODEL_STATE_MAX + 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			die("cannot read", state_path);
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > CARD_MODEL_STATE_MAX)
			die("state file larger than CARD_MODEL_STATE_MAX:", state_path);
	}
	close(fd);
	if (card_model_load(m, buf, n) != PHR_OK) {
		fprintf(stderr, "phr-vicc: %s: %s\n", state_path, phr_last_error());
		exit(1);
	}
}

static int connect_to(int port, double timeout_s)
{
	struct sockaddr_in a;
	struct timespec t0, now, pause = { 0, 10 * 1000 * 1000 };
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
		if (fd < 0)
			die("socket:", strerror(errno));
		if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0) {
			/* One small frame per APDU each way: no Nagle delay. */
			if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0)
				die("TCP_NODELAY:", strerror(errno));
			return fd;
		}
		close(fd);
		/* pcscd's driver listens once pcscd has loaded it: retry until then. */
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((double)(now.tv_sec - t0.tv_sec) + (double)(now.tv_nsec - t0.tv_nsec) * 1e-9 > timeout_s)
			return -1;
		nanosleep(&pause, NULL);
	}
}

static void hex(const char *dir, const uint8_t *p, size_t n)
{
	fprintf(stderr, "%s", dir);
	for (size_t i = 0; i < n && i < 64; i++)
		fprintf(stderr, "%02X", p[i]);
	fprintf(stderr, n > 64 ? "... (%zu bytes)\n" : "\n", n);
}

static const char usage[] =
	"Usage: phr-vicc --state FILE [--port N] [--blank] [--short-only]\n"
	"                [--vanish-after N [--applied no|yes|half]] [--connect-timeout S] [--trace FILE]\n"
	"                [--verbose]\n";

int main(int argc, char **argv)
{
	int port = 35963, blank = 0, short_only = 0, applied = 0; /* 0 no, 1 yes, 2 half */
	long vanish = 0;
	double timeout_s = 10;
	FILE *trace = NULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--state") && v) {
			state_path = v;
			i++;
		} else if (!strcmp(a, "--port") && v) {
			port = atoi(v);
			i++;
		} else if (!strcmp(a, "--vanish-after") && v) {
			vanish = atol(v);
			i++;
			if (vanish < 1)
				die("--vanish-after takes a count from 1, not", v);
		} else if (!strcmp(a, "--applied") && v) {
			applied = !strcmp(v, "no") ? 0 : !strcmp(v, "yes") ? 1 : !strcmp(v, "half") ? 2 : -1;
			i++;
			if (applied < 0)
				die("--applied is no, yes or half, not", v);
		} else if (!strcmp(a, "--connect-timeout") && v) {
			timeout_s = atof(v);
			i++;
		} else if (!strcmp(a, "--trace") && v) {
			if (!(trace = fopen(v, "ab")))
				die("cannot open", v);
			i++;
		} else if (!strcmp(a, "--blank")) {
			blank = 1;
		} else if (!strcmp(a, "--short-only")) {
			short_only = 1;
		} else if (!strcmp(a, "--verbose")) {
			verbose = 1;
		} else if (!strcmp(a, "--help")) {
			fputs(usage, stdout);
			return 0;
		} else {
			fputs(usage, stderr);
			return 2;
		}
	}
	if (!state_path || port <= 0 || port > 65535) {
		fputs(usage, stderr);
		return 2;
	}
	if (strlen(state_path) > 4096)
		die("state path too long:", state_path);
	snprintf(tmp_path, sizeof(tmp_path), "%s.tmp", state_path);
	signal(SIGPIPE, SIG_IGN);

	struct card_model *m = malloc(sizeof(*m));
	uint8_t *state = malloc(CARD_MODEL_STATE_MAX + 1);
	uint8_t *msg = malloc(65535), *resp = malloc(2 + PHR_APDU_RESP_MAX);
	if (!m || !state || !msg || !resp)
		die("out of memory", "");
	card_model_init_blank(m, !short_only);
	if (!blank)
		load_state(m, state);
	persist(m, state); /* the file exists from the start, and --blank takes effect */

	int fd = connect_to(port, timeout_s);
	if (fd < 0) {
		fprintf(stderr, "phr-vicc: nothing listens on localhost:%d (is pcscd with vpcd running?)\n", port);
		return 1;
	}
	long count = 0;
	int status = 0;
	for (;;) {
		uint8_t len[2];
		int r = read_full(fd, len, 2);
		if (r == 0)
			break; /* the reader side closed: pcscd stopped */
		if (r < 0)
			die("connection to the reader lost", "");
		size_t n = (size_t)len[0] << 8 | len[1];
		if (n && read_full(fd, msg, n) != 1)
			die("connection to the reader lost", "");
		if (trace && (fwrite(len, 1, 2, trace) != 2 || fwrite(msg, 1, n, trace) != n || fflush(trace) != 0))
			die("cannot write the trace", "");
		if (n == 0)
			continue;
		if (n == 1) {
			if (msg[0] == VPCD_CTRL_ATR) {
				uint8_t out[2 + sizeof(atr)] = { 0, sizeof(atr) };
				memcpy(out + 2, atr, sizeof(atr));
				if (write_full(fd, out, sizeof(out)) != 0)
					die("connection to the reader lost", "");
			} else if (msg[0] == VPCD_CTRL_OFF || msg[0] == VPCD_CTRL_ON || msg[0] == VPCD_CTRL_RESET) {
				card_model_power_cycle(m);
				if (verbose)
					fprintf(stderr, "phr-vicc: %s\n", msg[0] == VPCD_CTRL_OFF ? "power off"
									  : msg[0] == VPCD_CTRL_ON ? "power on"
												   : "reset");
			}
			continue;
		}
		count++;
		if (verbose)
			hex("> ", msg, n);
		unsigned long before = m->changes;
		if (count == vanish) {
			if (applied) {
				m->tear = applied == 2;
				card_model_process(m, msg, n, resp);
				if (m->changes != before)
					persist(m, state);
			}
			if (verbose)
				fprintf(stderr, "phr-vicc: vanished at APDU %ld (applied: %s)\n", count,
					applied == 0 ? "no" : applied == 1 ? "yes" : "half");
			status = 3;
			break;
		}
		size_t rn = card_model_process(m, msg, n, resp + 2);
		if (rn > 65535) { /* beyond a vpcd frame: refuse as a card with a smaller buffer does */
			rn = 2;
			resp[2] = 0x67;
			resp[3] = 0x00;
		}
		if (m->changes != before)
			persist(m, state);
		resp[0] = (uint8_t)(rn >> 8);
		resp[1] = (uint8_t)rn;
		if (verbose)
			hex("< ", resp + 2, rn);
		if (write_full(fd, resp, rn + 2) != 0)
			die("connection to the reader lost", "");
	}
	close(fd); /* gone: the reader sees the card no more */
	if (trace)
		fclose(trace);
	free(m);
	free(state);
	free(msg);
	free(resp);
	return status;
}
