/* bench_card: APDUs and milliseconds to read and to write each example on a
 * card, with extended-length APDUs and with short APDUs only.
 *
 *   bench_card [N]    (N repetitions of each operation, default 20; medians)
 *
 * Two cards run the same client code (card/profile.c), in the same run:
 *   - the in-memory card of the tests (tests/card/model.c): the baseline, the
 *     cost of the client and the card logic alone;
 *   - the real stack: pcscd, started here, with Debian's vpcd driver, and the
 *     virtual card phr-vicc (PHR_VICC) connected to it, which keeps its state
 *     in a file with fsync before each answer. Needs root, pcscd, and no
 *     other pcscd running; otherwise the rows say why they are missing.
 * A read is what 'phr card read' does: SELECT of the application, the
 * extended-length probe (a SELECT), VERIFY, then the status EF and the slot
 * by short EF identifier; "after SELECT" counts the APDUs from VERIFY on.
 * A write is the atomic update of docs/CARD.md, after the same opening.
 * The card chooses the mode: phr-vicc --short-only refuses extended
 * lengths, and the client finds out (PHR_CARD_AUTO), as with a real card.
 * The card's state file goes to $TMPDIR (default /tmp): phr-vicc fsyncs it
 * after every command that changes the card, which is most of a write's
 * time; TMPDIR=/dev/shm shows the rest. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "../card/model.h"
#include "phr/card.h"
#include "phr/container.h"
#include "phr/crypto.h"
#include "phr/json.h"

#include "benchlib.h"

const char *const bench_name = "bench_card";

#ifndef PHR_SOURCE_ROOT
#define PHR_SOURCE_ROOT "."
#endif

#define T0 1750000000u
#define DAY 86400u
#define PIN "123456"
#define PUK "12345678"
#define MAX_EXAMPLES 16
#define READER "Virtual PCD 00 00"

static pid_t children[2];
static char state_dir[64];

static void stop_child(int i)
{
	if (children[i] > 0) {
		kill(children[i], SIGTERM);
		waitpid(children[i], NULL, 0);
		children[i] = 0;
	}
}

static void cleanup(void)
{
	stop_child(1); /* the card, then pcscd */
	stop_child(0);
	if (state_dir[0]) {
		char p[128];
		snprintf(p, sizeof(p), "%s/card.state", state_dir);
		unlink(p);
		snprintf(p, sizeof(p), "%s/card.state.tmp", state_dir);
		unlink(p);
		rmdir(state_dir);
		state_dir[0] = '\0';
	}
}

static void on_signal(int sig)
{
	cleanup();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void pause_ms(long ms)
{
	struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&t, NULL);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static char *read_text(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	char *t = malloc(1 << 20);
	if (!f || !t) {
		fprintf(stderr, "bench_card: cannot read %s\n", path);
		exit(1);
	}
	*n = fread(t, 1, (1 << 20) - 1, f);
	fclose(f);
	t[*n] = '\0';
	return t;
}

/* ---- the examples, as 'phr issue' makes them (one entry, certificate embedded) */

struct example {
	char name[64];
	uint8_t *c;
	size_t len;
};

static size_t make_examples(struct example *ex)
{
	const char *root = getenv("PHR_SOURCE_ROOT") ? getenv("PHR_SOURCE_ROOT") : PHR_SOURCE_ROOT;
	static const char *const names[] = { "adult-tb-positive-referral", "child-no-vaccination-documents",
					     "older-man-chronic", "pregnant-hepatitis-b" };
	struct phr_seckey *auth, *clinic;
	uint8_t *cert;
	size_t cert_len, n = 0;
	auth = bench_key(BENCH_AUTHORITY);
	clinic = bench_key(BENCH_LESVOS);
	if (phr_cert_issue(auth, phr_seckey_public(clinic), T0 - 30 * DAY, T0 + 365 * DAY, &cert, &cert_len))
		bench_die("certificate");
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char path[4096];
		size_t tlen, elen;
		uint8_t *entry, id[PHR_RECORD_ID_LEN];
		struct phr_record *r;
		snprintf(path, sizeof(path), "%s/examples/%s.json", root, names[i]);
		char *text = read_text(path, &tlen);
		if (phr_entry_parse_text(text, tlen, &entry, &elen))
			bench_die(path);
		memset(id, (int)i + 1, sizeof(id));
		if (phr_record_create(id, &r) || phr_record_append(r, clinic, cert, cert_len, entry, elen, T0) ||
		    phr_record_encode(r, -1, &ex[n].c, &ex[n].len))
			bench_die("record");
		snprintf(ex[n].name, sizeof(ex[n].name), "%s", names[i]);
		n++;
		phr_record_destroy(r);
		free(entry);
		free(text);
	}
	free(cert);
	phr_seckey_destroy(auth);
	phr_seckey_destroy(clinic);
	return n;
}

/* ---- one measurement ------------------------------------------------------ */

struct figures {
	bool have;
	unsigned long apdus, after_select; /* per operation */
	double ms, session_ms;            /* medians: APDUs only; with connect and disconnect */
};

/* A card to talk to: the model, or a PC/SC connection opened per operation. */
struct target {
	struct card_model *m; /* NULL: PC/SC */
};

static int op(const struct target *t, bool write, const struct example *e, uint8_t *buf, struct figures *f,
	      double *ms, double *session_ms)
{
	struct phr_pcsc *p = NULL;
	struct phr_card *c = NULL;
	size_t len;
	int rc;
	double t0 = bench_now(), t1;
	if (t->m) {
		card_model_power_cycle(t->m);
		rc = phr_card_create(card_model_transmit, t->m, PHR_CARD_AUTO, &c);
	} else if ((rc = phr_pcsc_open(READER, &p)) == PHR_OK) {
		rc = phr_card_create(phr_pcsc_transmit, p, PHR_CARD_AUTO, &c);
	}
	t1 = bench_now();
	if (rc == PHR_OK && (rc = phr_card_open(c)) == PHR_OK) {
		unsigned long opened = phr_card_apdus(c);
		if ((rc = phr_card_verify_pin(c, PIN, NULL)) == PHR_OK)
			rc = write ? phr_card_write(c, e->c, e->len) : phr_card_read(c, buf, PHR_MAX_CONTAINER, &len);
		if (rc == PHR_OK && !write && (len != e->len || memcmp(buf, e->c, len) != 0))
			rc = phr_fail(PHR_E_CARD_TORN, "%s: read back differs", e->name);
		f->apdus = phr_card_apdus(c);
		f->after_select = f->apdus - opened;
	}
	double t2 = bench_now();
	phr_card_destroy(c);
	phr_pcsc_close(p);
	*ms = (t2 - t1) * 1e3;
	*session_ms = (bench_now() - t0) * 1e3;
	return rc;
}

static int measure(const struct target *t, bool write, const struct example *e, int reps, struct figures *f)
{
	static uint8_t buf[PHR_MAX_CONTAINER];
	double *ms = calloc((size_t)reps, sizeof(double)), *sms = calloc((size_t)reps, sizeof(double));
	int rc = PHR_OK;
	if (!ms || !sms)
		bench_die("out of memory");
	for (int i = 0; i < reps && rc == PHR_OK; i++)
		rc = op(t, write, e, buf, f, &ms[i], &sms[i]);
	if (rc == PHR_OK) {
		f->ms = median(ms, (size_t)reps);
		f->session_ms = median(sms, (size_t)reps);
		f->have = true;
	}
	free(ms);
	free(sms);
	return rc;
}

/* ---- the real stack -------------------------------------------------------- */

static pid_t spawn(char *const argv[])
{
	pid_t pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		if (null >= 0) {
			dup2(null, STDOUT_FILENO);
			dup2(null, STDERR_FILENO);
		}
		execv(argv[0], argv);
		_exit(127);
	}
	return pid;
}

/* Polls pcscd until the reader holds a card (want) or not; 5 s at most. */
static bool wait_card(bool want)
{
	for (int i = 0; i < 250; i++) {
		struct phr_pcsc_reader r[PHR_PCSC_MAX_READERS];
		size_t n;
		if (phr_pcsc_list(r, PHR_PCSC_MAX_READERS, &n) == PHR_OK)
			for (size_t k = 0; k < n; k++)
				if (!strcmp(r[k].name, READER) && r[k].card == want)
					return true;
		pause_ms(20);
	}
	return false;
}

static bool start_card(const char *vicc, bool short_only)
{
	char state[128];
	snprintf(state, sizeof(state), "%s/card.state", state_dir);
	char *argv[] = { (char *)vicc, "--state", state, short_only ? "--short-only" : NULL, NULL };
	children[1] = spawn(argv);
	return children[1] > 0 && wait_card(true);
}

static bool stop_card(void)
{
	stop_child(1);
	return wait_card(false);
}

/* Starts pcscd and a blank card, personalised; NULL or why not. */
static const char *start_stack(const char *vicc)
{
	static char why[256];
	struct phr_pcsc_reader r[PHR_PCSC_MAX_READERS];
	size_t n;
	if (!vicc)
		return "PHR_VICC (the phr-vicc card) not given";
	if (geteuid() != 0)
		return "not root: pcscd cannot be started";
	if (access("/usr/sbin/pcscd", X_OK) != 0 || access("/usr/lib/pcsc/drivers/serial/libifdvpcd.so", R_OK) != 0)
		return "pcscd or the vpcd driver is not installed";
	/* card.sh takes the same lock: one pcscd per machine */
	int lock = open("/run/lock/phr-card-test.lock", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	for (int i = 0; lock >= 0 && flock(lock, LOCK_EX | LOCK_NB) != 0; i++) {
		if (i == 600)
			return "the card test lock stayed taken for 2 minutes";
		pause_ms(200);
	}
	if (phr_pcsc_list(r, PHR_PCSC_MAX_READERS, &n) == PHR_OK)
		return "another pcscd is running: its readers are not ours";
	unlink("/run/pcscd/pcscd.comm");
	unlink("/run/pcscd/pcscd.pid");
	char *pargv[] = { "/usr/sbin/pcscd", "-f", NULL };
	children[0] = spawn(pargv);
	if (children[0] <= 0)
		return "cannot start pcscd";
	if (!wait_card(false))
		return "pcscd did not show the vpcd reader";
	const char *tmp = getenv("TMPDIR") && strlen(getenv("TMPDIR")) < 40 ? getenv("TMPDIR") : "/tmp";
	snprintf(state_dir, sizeof(state_dir), "%s/bench_card.XXXXXX", tmp);
	if (!mkdtemp(state_dir)) {
		state_dir[0] = '\0';
		return "cannot make a temporary directory";
	}
	if (!start_card(vicc, false))
		return "the virtual card did not appear in the reader";
	struct phr_pcsc *p;
	struct phr_card *c = NULL;
	struct phr_card_perso perso;
	int rc;
	if ((rc = phr_pcsc_open(READER, &p)) == PHR_OK) {
		if ((rc = phr_card_create(phr_pcsc_transmit, p, PHR_CARD_AUTO, &c)) == PHR_OK)
			rc = phr_card_personalise(c, PIN, PUK, &perso);
		phr_card_destroy(c);
		phr_pcsc_close(p);
	}
	if (rc) {
		snprintf(why, sizeof(why), "personalisation failed: %s", phr_last_error());
		return why;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	int reps = argc > 1 ? atoi(argv[1]) : 20;
	if (reps < 1 || sodium_init() < 0)
		return 2;
	atexit(cleanup);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);

	struct example ex[MAX_EXAMPLES];
	size_t n = make_examples(ex);
	/* [example][short][write] for the model and the real stack */
	static struct figures mem[MAX_EXAMPLES][2][2], real[MAX_EXAMPLES][2][2];

	struct card_model *m = malloc(sizeof(*m));
	if (!m)
		bench_die("out of memory");
	for (int sh = 0; sh < 2; sh++) {
		struct target t = { m };
		struct phr_card *c;
		struct phr_card_perso perso;
		card_model_init_blank(m, !sh);
		if (phr_card_create(card_model_transmit, m, PHR_CARD_AUTO, &c) ||
		    phr_card_personalise(c, PIN, PUK, &perso))
			bench_die("in-memory card");
		phr_card_destroy(c);
		for (size_t i = 0; i < n; i++)
			for (int w = 1; w >= 0; w--) /* write first: the read reads it */
				if (measure(&t, w, &ex[i], reps, &mem[i][sh][w]))
					bench_die("in-memory card");
	}
	free(m);

	const char *why = start_stack(getenv("PHR_VICC"));
	for (int sh = 0; sh < 2 && !why; sh++) {
		struct target t = { NULL };
		if (sh && (!stop_card() || !start_card(getenv("PHR_VICC"), true))) {
			why = "the virtual card did not come back with --short-only";
			break;
		}
		for (size_t i = 0; i < n && !why; i++)
			for (int w = 1; w >= 0 && !why; w--)
				if (measure(&t, w, &ex[i], reps, &real[i][sh][w])) {
					fprintf(stderr, "bench_card: %s\n", phr_last_error());
					why = "an operation on the real stack failed";
				}
	}
	cleanup();

	printf("Smartcard: APDUs and milliseconds per operation, median of %d, one-entry record of each example.\n",
	       reps);
	printf("memory = the in-memory card (client and card logic alone, microseconds); pcscd = pcscd 1.9 + vpcd +\n"
	       "phr-vicc with its state file in %s, APDUs only (session: with connect, transaction and reset);\n"
	       "ratio = pcscd / memory. APDUs = all of them; after SELECT = from VERIFY on (SELECT of the\n"
	       "application and the extended-length probe excluded).\n\n",
	       getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	printf("%-32s %5s %-8s %-5s %5s %12s %9s %9s %11s %8s\n", "example", "bytes", "APDUs", "op", "APDUs",
	       "after SELECT", "memory us", "pcscd ms", "session ms", "ratio");
	int typical_after = -1;
	for (size_t i = 0; i < n; i++)
		for (int sh = 0; sh < 2; sh++)
			for (int w = 0; w < 2; w++) {
				const struct figures *a = &mem[i][sh][w], *b = &real[i][sh][w];
				printf("%-32s %5zu %-8s %-5s %5lu %12lu %9.1f", ex[i].name, ex[i].len,
				       sh ? "short" : "extended", w ? "write" : "read", a->apdus, a->after_select,
				       a->ms * 1e3);
				if (b->have)
					printf(" %9.2f %11.2f %7.0fx\n", b->ms, b->session_ms, b->ms / a->ms);
				else
					printf(" %9s %11s %8s\n", "-", "-", "-");
				if (!sh && !w && (int)a->after_select > typical_after)
					typical_after = (int)a->after_select;
				if (b->have && (b->apdus != a->apdus || b->after_select != a->after_select)) {
					fprintf(stderr, "bench_card: %s: the real stack took other APDUs than the model\n",
						ex[i].name);
					return 1;
				}
			}
	printf("\nRead with extended lengths: at most %d APDUs after SELECT for every example (goal: <= 3): %s.\n",
	       typical_after, typical_after <= 3 ? "met" : "NOT met");
	if (why)
		printf("The pcscd columns are empty: %s.\n", why);
	for (size_t i = 0; i < n; i++)
		free(ex[i].c);
	return 0;
}
