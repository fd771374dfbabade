/* Files, passphrases and exit codes for the phr command. */
#define _XOPEN_SOURCE 700 /* wcwidth */
#include "cli.h"

#include "phr/container.h"
#include "phr/seal.h"
#include "phr/scan.h"
#include "phr/seal_qr.h"
#include "phr/seal_check.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <locale.h>
#include <signal.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>

#include "phr/json.h"

int cli_exit_code(int err)
{
	switch (err) {
	case PHR_OK: return EXIT_OK_;
	case PHR_E_LIMIT: return EXIT_LIMIT;
	case PHR_E_PASSPHRASE: return EXIT_PASSPHRASE;
	case PHR_E_IO:
	case PHR_E_NOT_FOUND: return EXIT_IO;
	case PHR_E_UNTRUSTED: return EXIT_UNTRUSTED;
	case PHR_E_BAD_SIGNATURE: return EXIT_BAD_SIGNATURE;
	case PHR_E_UNKNOWN_SIGNER: return EXIT_UNKNOWN_SIGNER;
	case PHR_E_REVOKED: return EXIT_REVOKED;
	case PHR_E_CERT_VALIDITY: return EXIT_CERT_VALIDITY;
	case PHR_E_CHAIN: return EXIT_CHAIN;
	case PHR_E_FUTURE: return EXIT_FUTURE;
	case PHR_E_SEAL_KEY:
	case PHR_E_SEALED: return EXIT_SEAL;
	case PHR_E_NO_KEY_CODE: return EXIT_NO_KEY_CODE;
	case PHR_E_SEAL_NOKEY: return EXIT_SEAL_NOKEY;
	case PHR_E_REKEYED: return EXIT_REKEYED;
	case PHR_E_ARG: return EXIT_USAGE;
	case PHR_E_INCOMPLETE: return EXIT_INCOMPLETE;
	case PHR_E_DB:
	case PHR_E_DB_BUSY: return EXIT_DB;
	case PHR_E_DB_CORRUPT:
	case PHR_E_DB_VERSION: return EXIT_DB_CORRUPT;
	case PHR_E_DB_FULL: return EXIT_DB_FULL;
	case PHR_E_NOT_STORED:
	case PHR_E_AMBIGUOUS: return EXIT_NOT_STORED;
	case PHR_E_CONSENT: return EXIT_CONSENT;
	case PHR_E_MEDIA: return EXIT_MEDIA;
	case PHR_E_DOC_MISMATCH: return EXIT_DOC_MISMATCH;
	case PHR_E_FHIR: return EXIT_FHIR;
	case PHR_E_USER_EXISTS:
	case PHR_E_AUTH: return EXIT_USER;
	case PHR_E_HTTP: return EXIT_SERVE;
	case PHR_E_HUB_UNREACHABLE: return EXIT_HUB_UNREACHABLE;
	case PHR_E_UNRELATED:
	case PHR_E_NOT_FORK:
	case PHR_E_MERGE: return EXIT_MERGE;
	case PHR_E_TRUST_NOT_NEWER: return EXIT_TRUST_NOT_NEWER;
	case PHR_E_SYNC_BUSY: return EXIT_SYNC_BUSY;
	case PHR_E_HUB_AUTH: return EXIT_HUB_AUTH;
	case PHR_E_HUB_REFUSED: return EXIT_HUB_REFUSED;
	case PHR_E_HUB: return EXIT_HUB;
	default:
		return PHR_ERR_IS_MALFORMED(err) ? EXIT_MALFORMED : EXIT_FAIL;
	}
}

size_t cli_columns(const char *s)
{
	/* glibc's wcwidth in its built-in C.UTF-8 locale, whatever the
	 * caller's locale: combining marks and format characters take no
	 * column, East Asian wide ones two. */
	locale_t utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0), was = (locale_t)0;
	size_t cols = 0, n = strlen(s);
	if (utf8)
		was = uselocale(utf8);
	mbstate_t st;
	memset(&st, 0, sizeof(st));
	for (size_t i = 0; i < n;) {
		wchar_t wc;
		size_t k = utf8 ? mbrtowc(&wc, s + i, n - i, &st) : (size_t)-1;
		if (k == (size_t)-1 || k == (size_t)-2 || k == 0) { /* no locale, or not UTF-8: a column a lead byte */
			memset(&st, 0, sizeof(st));
			cols += ((unsigned char)s[i] & 0xC0) != 0x80;
			i++;
			continue;
		}
		int w = wcwidth(wc);
		cols += w > 0 ? (size_t)w : 0;
		i += k;
	}
	if (utf8) {
		uselocale(was);
		freelocale(utf8);
	}
	return cols;
}

void cli_print_padded(const char *s, size_t cols)
{
	size_t have = cli_columns(s);
	fputs(s, stdout);
	for (; have < cols; have++)
		putchar(' ');
}

int cli_fail(const char *verb, int err, const char *what)
{
	const char *msg = phr_last_error();
	fprintf(stderr, "phr %s: %s%s%s\n", verb, what ? what : "", what ? ": " : "", *msg ? msg : phr_strerror(err));
	return cli_exit_code(err);
}

int cli_print_json(const json_t *j)
{
	char *s = phr_json_dump(j);
	if (!s)
		return phr_fail(PHR_E_NOMEM, "out of memory");
	int bad = puts(s) < 0 || fflush(stdout) != 0;
	free(s);
	return bad ? phr_fail(PHR_E_IO, "cannot write to standard output") : PHR_OK;
}

int cli_usage(const char *verb, const char *msg)
{
	fprintf(stderr, "phr %s: %s (see 'phr %s --help')\n", verb, msg, verb);
	return EXIT_USAGE;
}

int cli_read(const char *path, size_t max, uint8_t **out, size_t *len)
{
	int fd = strcmp(path, "-") == 0 ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	uint8_t *buf = NULL;
	size_t n = 0, cap = 0;
	*out = NULL;
	*len = 0;
	if (fd < 0)
		return phr_fail(errno == ENOENT ? PHR_E_NOT_FOUND : PHR_E_IO, "cannot open %s: %s", path, strerror(errno));
	for (;;) {
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 4096;
			if (ncap > max + 1)
				ncap = max + 1;
			if (n == ncap) { /* read max+1 bytes: over the limit */
				free(buf);
				if (fd != STDIN_FILENO)
					close(fd);
				return phr_fail(PHR_E_LIMIT, "%s is larger than the limit of %zu bytes", path, max);
			}
			uint8_t *nb = realloc(buf, ncap + 1);
			if (!nb) {
				free(buf);
				if (fd != STDIN_FILENO)
					close(fd);
				return phr_fail(PHR_E_NOMEM, "out of memory");
			}
			buf = nb;
			cap = ncap;
		}
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			free(buf);
			if (fd != STDIN_FILENO)
				close(fd);
			return phr_fail(PHR_E_IO, "cannot read %s: %s", path, strerror(e));
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (fd != STDIN_FILENO)
		close(fd);
	if (!buf && !(buf = malloc(1)))
		return phr_fail(PHR_E_NOMEM, "out of memory");
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return PHR_OK;
}

/* ---- atomic output (cli.h: cli_write) ---- */

#define PARTIAL_TAG ".phr-partial-"
#define PARTIAL_NAME_MAX 200  /* bytes of the target's name kept in its partial file's name */
#define PARTIAL_RANDOM 6      /* random characters ending a partial file's name */
#define PARTIAL_TRIES 100     /* names tried before giving up (each taken by another file) */
#define LIVE_PARTIAL_MAX 4352 /* longest partial path the signal handlers can remove */

enum out_kind { OUT_STDOUT, OUT_REPLACE, OUT_THROUGH };

struct cli_out {
	enum out_kind kind;
	FILE *f;
	const char *shown; /* the path as given, for messages */
	char *target;      /* what is written: the path, or a link's final target */
	char *dir;         /* OUT_REPLACE: the target's directory */
	char *partial;     /* OUT_REPLACE: the partial file */
};

/* The one partial file the signal handlers remove (a process writes one
 * file at a time; another, nested one is left to the stale-file cleanup). */
static const int out_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGPIPE };
#define N_OUT_SIGNALS (sizeof(out_signals) / sizeof(out_signals[0]))
static struct sigaction out_saved[N_OUT_SIGNALS];
static bool out_caught[N_OUT_SIGNALS];
static char live_partial[LIVE_PARTIAL_MAX];
static volatile sig_atomic_t live;

static void on_signal(int sig)
{
	if (live)
		unlink(live_partial); /* async-signal-safe */
	signal(sig, SIG_DFL);
	raise(sig); /* delivered once the handler returns: the process dies of it */
}

/* Both with every signal blocked. SIGINT and SIGTERM are caught even when
 * ignored (a non-interactive shell starts background jobs with SIGINT
 * ignored, and kill -INT still means stop); an ignored SIGHUP (nohup) or
 * SIGPIPE stays ignored, and a signal handled elsewhere keeps its handler. */
static void partial_live(const char *partial)
{
	size_t n = strlen(partial);
	if (live || n >= sizeof(live_partial))
		return;
	memcpy(live_partial, partial, n + 1);
	live = 1;
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < N_OUT_SIGNALS; i++) {
		struct sigaction cur;
		bool stop = out_signals[i] == SIGINT || out_signals[i] == SIGTERM;
		if (sigaction(out_signals[i], NULL, &cur) == 0 &&
		    (cur.sa_handler == SIG_DFL || (stop && cur.sa_handler == SIG_IGN)))
			out_caught[i] = sigaction(out_signals[i], &sa, &out_saved[i]) == 0;
	}
}

static void partial_gone(const char *partial)
{
	if (!live || strcmp(live_partial, partial))
		return;
	live = 0;
	for (size_t i = 0; i < N_OUT_SIGNALS; i++)
		if (out_caught[i]) {
			sigaction(out_signals[i], &out_saved[i], NULL);
			out_caught[i] = false;
		}
}

static void block_signals(sigset_t *old)
{
	sigset_t all;
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, old);
}

/* ".NAME.phr-partial-": how every partial file of target begins. */
static void partial_prefix(const char *base, char *out, size_t cap)
{
	size_t n = strlen(base);
	snprintf(out, cap, ".%.*s" PARTIAL_TAG, (int)(n > PARTIAL_NAME_MAX ? PARTIAL_NAME_MAX : n), base);
}

/* Removes dir's partial files of prefix whose process no longer runs (a
 * crash, SIGKILL, a power cut). A live process's, or one phr cannot tell
 * (another user's: EPERM), is kept. */
static void remove_stale(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	size_t pl = strlen(prefix);
	struct dirent *e;
	if (!d)
		return;
	while ((e = readdir(d))) {
		const char *p = e->d_name + pl, *end = p;
		if (strncmp(e->d_name, prefix, pl))
			continue;
		while (*end >= '0' && *end <= '9')
			end++;
		if (end == p || end - p > 9 || *end != '-' || strlen(end + 1) != PARTIAL_RANDOM)
			continue;
		long pid = strtol(p, NULL, 10);
		if (pid <= 0 || pid == (long)getpid())
			continue;
		if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		unlinkat(dirfd(d), e->d_name, 0);
	}
	closedir(d);
}

/* Creates the partial file beside o->target: mode for a new file (the
 * umask applies), else the replaced file's (st), limited to mode. */
static int out_partial(struct cli_out *o, unsigned mode, const struct stat *st)
{
	static const char chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	char *dcopy = strdup(o->target), *bcopy = strdup(o->target);
	char prefix[PARTIAL_NAME_MAX + 32];
	int rc = PHR_OK, fd = -1;
	if (!dcopy || !bcopy || !(o->dir = strdup(dirname(dcopy)))) {
		rc = phr_fail(PHR_E_NOMEM, "out of memory");
		goto out;
	}
	partial_prefix(basename(bcopy), prefix, sizeof(prefix));
	remove_stale(o->dir, prefix);
	size_t cap = strlen(o->dir) + strlen(prefix) + 32;
	if (!(o->partial = malloc(cap))) {
		rc = phr_fail(PHR_E_NOMEM, "out of memory");
		goto out;
	}
	mode_t create = st ? (mode_t)(st->st_mode & mode & 0777) : (mode_t)(mode & 0777);
	for (int t = 0; fd < 0 && t < PARTIAL_TRIES; t++) {
		int n = snprintf(o->partial, cap, "%s/%s%ld-", o->dir, prefix, (long)getpid());
		for (int i = 0; i < PARTIAL_RANDOM; i++)
			o->partial[n + i] = chars[randombytes_uniform(sizeof(chars) - 1)];
		o->partial[n + PARTIAL_RANDOM] = '\0';
		sigset_t old;
		block_signals(&old);
		fd = open(o->partial, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, create);
		if (fd >= 0)
			partial_live(o->partial);
		int e = errno;
		sigprocmask(SIG_SETMASK, &old, NULL);
		if (fd < 0 && e != EEXIST) {
			errno = e;
			break;
		}
	}
	if (fd < 0) {
		rc = phr_fail(PHR_E_IO, "cannot create a partial file beside %s: %s", o->shown, strerror(errno));
		free(o->partial);
		o->partial = NULL;
		goto out;
	}
	if (st) {
		/* the replaced file's owner and group (root only; best effort),
		 * then its mode: chown clears set-id bits, and umask must not
		 * narrow a mode the file had */
		if (geteuid() == 0 && fchown(fd, st->st_uid, st->st_gid) != 0) {
			/* another file system, or ids it cannot hold: keep ours */
		}
		if (fchmod(fd, create) != 0) {
			rc = phr_fail(PHR_E_IO, "cannot set the mode of %s: %s", o->partial, strerror(errno));
			goto out;
		}
	}
	if (!(o->f = fdopen(fd, "wb")))
		rc = phr_fail(PHR_E_IO, "cannot write %s: %s", o->partial, strerror(errno));
	else
		fd = -1;
out:
	if (fd >= 0)
		close(fd);
	free(dcopy);
	free(bcopy);
	return rc;
}

/* What path names: o->target (a link's final target), and in *st what it
 * is; *exists false for a new file. */
static int out_resolve(struct cli_out *o, struct stat *st, bool *exists)
{
	*exists = false;
	if (lstat(o->shown, st) != 0) {
		if (errno != ENOENT)
			return phr_fail(PHR_E_IO, "cannot write %s: %s", o->shown, strerror(errno));
		return (o->target = strdup(o->shown)) ? PHR_OK : phr_fail(PHR_E_NOMEM, "out of memory");
	}
	if (!S_ISLNK(st->st_mode)) {
		*exists = true;
		return (o->target = strdup(o->shown)) ? PHR_OK : phr_fail(PHR_E_NOMEM, "out of memory");
	}
	/* a link is followed to its final target, which is written in its place */
	if (!(o->target = realpath(o->shown, NULL))) {
		int e = errno;
		char to[4096];
		ssize_t n = readlink(o->shown, to, sizeof(to) - 1);
		to[n > 0 ? n : 0] = '\0';
		if (e == ENOENT)
			return phr_fail(PHR_E_IO,
					"cannot write %s: it is a symbolic link to %s, which does not exist (phr "
					"writes through a link only to an existing file: create it, or remove the link)",
					o->shown, to);
		return phr_fail(PHR_E_IO, "cannot write %s: cannot follow the symbolic link to %s: %s", o->shown, to,
				strerror(e));
	}
	if (stat(o->target, st) != 0)
		return phr_fail(PHR_E_IO, "cannot write %s (a link to %s): %s", o->shown, o->target, strerror(errno));
	*exists = true;
	return PHR_OK;
}

/* NULL for what phr writes (a regular file, a device, a FIFO), else what
 * the file is, for the message. */
static const char *refused_kind(mode_t m)
{
	if (S_ISREG(m) || S_ISCHR(m) || S_ISBLK(m) || S_ISFIFO(m))
		return NULL;
	return S_ISDIR(m) ? "a directory" : S_ISSOCK(m) ? "a socket" : "neither a file, a device nor a FIFO";
}

int cli_out_open(const char *path, unsigned mode, size_t buffer, struct cli_out **out)
{
	struct cli_out *o = calloc(1, sizeof(*o));
	struct stat st;
	bool exists;
	int rc;
	*out = NULL;
	if (!o)
		return phr_fail(PHR_E_NOMEM, "out of memory");
	o->shown = path;
	if (!strcmp(path, "-")) {
		o->kind = OUT_STDOUT;
		o->f = stdout;
		*out = o;
		return PHR_OK;
	}
	if ((rc = out_resolve(o, &st, &exists)))
		goto fail;
	const char *what = exists ? refused_kind(st.st_mode) : NULL;
	if (what) {
		rc = phr_fail(PHR_E_IO, "cannot write %s: it is %s", o->shown, what);
		goto fail;
	}
	if (!exists || S_ISREG(st.st_mode)) {
		o->kind = OUT_REPLACE;
		if ((rc = out_partial(o, mode, exists ? &st : NULL)))
			goto fail;
	} else {
		/* a device or a FIFO: written through, never replaced */
		o->kind = OUT_THROUGH;
		int fd = open(o->target, O_WRONLY | O_CLOEXEC | O_NOCTTY);
		struct stat now;
		if (fd < 0) {
			rc = phr_fail(PHR_E_IO, "cannot write %s: %s", o->shown, strerror(errno));
			goto fail;
		}
		if (fstat(fd, &now) != 0 || S_ISREG(now.st_mode) || S_ISDIR(now.st_mode)) {
			rc = phr_fail(PHR_E_IO, "cannot write %s: it changed while being opened", o->shown);
			close(fd);
			goto fail;
		}
		if (!(o->f = fdopen(fd, "wb"))) {
			rc = phr_fail(PHR_E_IO, "cannot write %s: %s", o->shown, strerror(errno));
			close(fd);
			goto fail;
		}
	}
	if (buffer)
		setvbuf(o->f, NULL, _IOFBF, buffer);
	*out = o;
	return PHR_OK;
fail:
	cli_out_abandon(o);
	return rc;
}

int cli_out_write(struct cli_out *o, const void *data, size_t len)
{
	if (len && fwrite(data, 1, len, o->f) != len)
		return phr_fail(PHR_E_IO, "cannot write %s: %s", o->kind == OUT_STDOUT ? "standard output" : o->shown,
				strerror(errno));
	return PHR_OK;
}

static void out_free(struct cli_out *o)
{
	free(o->target);
	free(o->dir);
	free(o->partial);
	free(o);
}

int cli_out_commit(struct cli_out *o)
{
	int rc = PHR_OK;
	if (o->kind == OUT_STDOUT) {
		if (fflush(stdout) != 0)
			rc = phr_fail(PHR_E_IO, "cannot write to standard output: %s", strerror(errno));
		out_free(o);
		return rc;
	}
	int bad = fflush(o->f) != 0;
	/* a FIFO or a character device may not sync: only its errors count */
	if (!bad && fsync(fileno(o->f)) != 0 && (o->kind == OUT_REPLACE || (errno != EINVAL && errno != ENOTSUP)))
		bad = 1;
	int e = errno;
	if (fclose(o->f) != 0 && !bad) {
		bad = 1;
		e = errno;
	}
	o->f = NULL;
	if (bad) {
		rc = phr_fail(PHR_E_IO, "cannot write %s: %s", o->shown, strerror(e));
		cli_out_abandon(o);
		return rc;
	}
	if (o->kind == OUT_REPLACE) {
		sigset_t old;
		block_signals(&old);
		if (rename(o->partial, o->target) != 0) {
			e = errno;
			unlink(o->partial);
			rc = phr_fail(PHR_E_IO, "cannot write %s: %s", o->shown, strerror(e));
		}
		partial_gone(o->partial);
		sigprocmask(SIG_SETMASK, &old, NULL);
		int dfd = rc ? -1 : open(o->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0) {
			fsync(dfd); /* best effort: the rename is durable once the directory is */
			close(dfd);
		}
	}
	out_free(o);
	return rc;
}

void cli_out_abandon(struct cli_out *o)
{
	if (!o)
		return;
	if (o->f && o->kind != OUT_STDOUT)
		fclose(o->f);
	if (o->partial) {
		sigset_t old;
		block_signals(&old);
		unlink(o->partial);
		partial_gone(o->partial);
		sigprocmask(SIG_SETMASK, &old, NULL);
	}
	out_free(o);
}

int cli_write(const char *path, const void *data, size_t len, unsigned mode)
{
	struct cli_out *o;
	int rc = cli_out_open(path, mode, 0, &o);
	if (rc)
		return rc;
	if ((rc = cli_out_write(o, data, len))) {
		cli_out_abandon(o);
		return rc;
	}
	return cli_out_commit(o);
}

#define PASS_MAX 1024

int cli_tty_secret(const char *prompt, char *buf, size_t cap, int err, const char *no_tty)
{
	FILE *tty = fopen("/dev/tty", "r+");
	struct termios old, noecho;
	int restore = 0;
	if (!tty)
		return phr_fail(err, "%s", no_tty);
	fputs(prompt, tty);
	fflush(tty);
	if (tcgetattr(fileno(tty), &old) == 0) {
		noecho = old;
		noecho.c_lflag &= ~(tcflag_t)ECHO;
		restore = tcsetattr(fileno(tty), TCSAFLUSH, &noecho) == 0;
	}
	char *got = fgets(buf, (int)cap, tty);
	if (restore)
		tcsetattr(fileno(tty), TCSAFLUSH, &old);
	fputc('\n', tty);
	fclose(tty);
	if (!got)
		return phr_fail(err, "nothing entered");
	buf[strcspn(buf, "\r\n")] = '\0';
	return PHR_OK;
}

static int read_tty_line(const char *prompt, char *buf, size_t cap, size_t *len)
{
	int rc = cli_tty_secret(prompt, buf, cap, PHR_E_PASSPHRASE,
				"no passphrase: set PHR_PASSPHRASE, use --passphrase-file, or run on a terminal");
	*len = rc ? 0 : strlen(buf);
	return rc;
}

/* UTF-8 characters: every byte but continuation bytes. */
static size_t utf8_chars(const char *s, size_t n)
{
	size_t c = 0;
	for (size_t i = 0; i < n; i++)
		c += ((unsigned char)s[i] & 0xC0) != 0x80;
	return c;
}

/* A new key's passphrase: at least CLI_NEW_PASS_MIN characters. */
static int new_pass_check(const char *pass, size_t len, const char *from)
{
	size_t n = utf8_chars(pass, len);
	if (n >= CLI_NEW_PASS_MIN)
		return PHR_OK;
	return phr_fail(PHR_E_PASSPHRASE,
			"the new passphrase (%s) has %zu character%s: a new key's passphrase needs at least %d "
			"characters",
			from, n, n == 1 ? "" : "s", CLI_NEW_PASS_MIN);
}

int cli_passphrase(const char *file, const char *prompt, bool confirm, char **pass, size_t *len)
{
	char *buf = sodium_malloc(PASS_MAX + 2);
	int rc = PHR_OK;
	*pass = NULL;
	*len = 0;
	if (!buf)
		return phr_fail(PHR_E_NOMEM, "out of memory");
	const char *env = getenv("PHR_PASSPHRASE");
	if (file) {
		uint8_t *data;
		size_t n;
		if ((rc = cli_read(file, PASS_MAX, &data, &n)))
			goto fail;
		while (n && (data[n - 1] == '\n' || data[n - 1] == '\r'))
			n--; /* a passphrase file usually ends with a newline */
		memcpy(buf, data, n);
		buf[n] = '\0';
		sodium_memzero(data, n);
		free(data);
		*len = n;
	} else if (env) {
		size_t n = strlen(env);
		if (n > PASS_MAX) {
			rc = phr_fail(PHR_E_LIMIT, "PHR_PASSPHRASE is longer than %d bytes", PASS_MAX);
			goto fail;
		}
		memcpy(buf, env, n + 1);
		*len = n;
	} else {
		if ((rc = read_tty_line(prompt, buf, PASS_MAX + 2, len)))
			goto fail;
		if (confirm && *len && (rc = new_pass_check(buf, *len, "typed")))
			goto fail;
		if (confirm) {
			char *again = sodium_malloc(PASS_MAX + 2);
			size_t alen;
			if (!again) {
				rc = phr_fail(PHR_E_NOMEM, "out of memory");
				goto fail;
			}
			rc = read_tty_line("Repeat the passphrase: ", again, PASS_MAX + 2, &alen);
			if (!rc && (alen != *len || sodium_memcmp(again, buf, alen) != 0))
				rc = phr_fail(PHR_E_PASSPHRASE, "the two passphrases differ");
			sodium_free(again);
			if (rc)
				goto fail;
		}
	}
	if (*len == 0) {
		rc = phr_fail(PHR_E_PASSPHRASE, "the passphrase is empty");
		goto fail;
	}
	if (confirm && (rc = new_pass_check(buf, *len, file ? "--passphrase-file" : env ? "PHR_PASSPHRASE" : "typed")))
		goto fail;
	*pass = buf;
	return PHR_OK;
fail:
	sodium_free(buf);
	*len = 0;
	return rc;
}

void cli_pass_free(char *pass)
{
	if (pass)
		sodium_free(pass);
}

int cli_load_key(const char *verb, const char *path, const char *passfile, struct phr_seckey **out)
{
	uint8_t *file = NULL;
	size_t flen, plen;
	char *pass = NULL;
	int rc;
	*out = NULL;
	if ((rc = cli_read(path, PHR_MAX_KEYFILE, &file, &flen)))
		return cli_fail(verb, rc, NULL);
	char prompt[300];
	snprintf(prompt, sizeof(prompt), "Passphrase for %s: ", path);
	if ((rc = cli_passphrase(passfile, prompt, false, &pass, &plen))) {
		free(file);
		return cli_fail(verb, rc, NULL);
	}
	rc = phr_key_open(file, flen, pass, plen, out);
	cli_pass_free(pass);
	free(file);
	if (rc)
		return cli_fail(verb, rc, path);
	return EXIT_OK_;
}

uint64_t cli_now(void)
{
#ifdef PHR_TEST_CLOCK
	/* Only in phr-testclock, the test suites' build: the installed phr
	 * always signs and verifies at the system's time. */
	const char *s = getenv("PHR_NOW");
	uint64_t t;
	if (s && cli_parse_time(s, &t) == PHR_OK)
		return t;
#endif
	return (uint64_t)time(NULL);
}

int cli_parse_time(const char *s, uint64_t *out)
{
	int y, m, d;
	char extra;
	if (sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &extra) == 3 && strlen(s) == 10 && m >= 1 && m <= 12 && d >= 1 &&
	    d <= 31 && y >= 1970) {
		*out = (uint64_t)(phr_days_from_civil(y, m, d) - phr_days_from_civil(1970, 1, 1)) * 86400u;
		return PHR_OK;
	}
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (*s && *end == '\0' && errno == 0 && s[0] != '-') {
		*out = v;
		return PHR_OK;
	}
	return phr_fail(PHR_E_ARG, "'%s' is not a date YYYY-MM-DD or Unix time", s);
}

int cli_parse_kid(const char *s, uint8_t kid[PHR_KID_LEN])
{
	size_t bin_len;
	if (strlen(s) != 2 * PHR_KID_LEN ||
	    sodium_hex2bin(kid, PHR_KID_LEN, s, strlen(s), NULL, &bin_len, NULL) != 0 || bin_len != PHR_KID_LEN)
		return phr_fail(PHR_E_ARG, "'%s' is not a key id of 16 hex digits", s);
	return PHR_OK;
}

char *cli_pub_path(const char *key_path)
{
	size_t n = strlen(key_path);
	char *p = malloc(n + 5);
	if (!p)
		return NULL;
	if (n > 4 && strcmp(key_path + n - 4, ".key") == 0)
		snprintf(p, n + 5, "%.*s.pub", (int)(n - 4), key_path);
	else
		snprintf(p, n + 5, "%s.pub", key_path);
	return p;
}

int cli_load_holder_key(const char *verb, const char *path, uint8_t key[PHR_HOLDER_KEY_LEN])
{
	uint8_t *buf;
	size_t len;
	int rc;
	if ((rc = cli_read(path, PHR_MAX_HOLDER_KEY_TEXT, &buf, &len)))
		return cli_fail(verb, rc, NULL);
	rc = phr_holder_key_parse((const char *)buf, len, key);
	sodium_memzero(buf, len);
	free(buf);
	return rc ? cli_fail(verb, rc, path) : EXIT_OK_;
}

int cli_write_holder_key(const char *verb, const char *path, const uint8_t key[PHR_HOLDER_KEY_LEN])
{
	char text[PHR_HOLDER_KEY_TEXT_LEN + 1];
	phr_holder_key_format(key, text);
	size_t n = strlen(text);
	text[n++] = '\n';
	int rc = cli_write(path, text, n, 0600);
	sodium_memzero(text, sizeof(text));
	return rc ? cli_fail(verb, rc, NULL) : EXIT_OK_;
}

int cli_unseal(const char *verb, struct phr_record *r, const char *path)
{
	uint8_t key[PHR_HOLDER_KEY_LEN];
	int ex;
	if (!path)
		return EXIT_OK_;
	if ((ex = cli_load_holder_key(verb, path, key)))
		return ex;
	ex = cli_unseal_key(verb, r, key);
	sodium_memzero(key, sizeof(key));
	return ex;
}

int cli_check_holder_key(const char *verb, const struct phr_record *r, const uint8_t key[PHR_HOLDER_KEY_LEN],
			 const char *what)
{
	int rc = phr_record_seal_key_check(r, key, NULL);
	return rc ? cli_fail(verb, rc, what) : EXIT_OK_;
}

int cli_unseal_key(const char *verb, struct phr_record *r, const uint8_t key[PHR_HOLDER_KEY_LEN])
{
	size_t failed, side_failed = 0;
	int rc = phr_record_unseal(r, key, &failed);
	if (!rc && r->n_side) /* a merged record: branch B's sealed entries too */
		rc = phr_record_unseal_side(r, key, &side_failed);
	if (rc)
		return cli_fail(verb, rc, NULL);
	for (size_t i = 0; i < r->n_entries; i++)
		if (r->entries[i].sealed && r->entries[i].seal_state && r->entries[i].seal_state != 1)
			fprintf(stderr, "phr %s: %s (the rest of the record is shown)\n", verb, r->entries[i].seal_why);
	for (size_t j = 0; j < r->n_side; j++)
		if (r->side[j].sealed && r->side[j].seal_state && r->side[j].seal_state != 1)
			fprintf(stderr, "phr %s: %s (the rest of the record is shown)\n", verb, r->side[j].seal_why);
	return failed || side_failed ? EXIT_SEAL : EXIT_OK_;
}

/* ---- the holder key from a file or from a photo of the key slip ---- */

/* The key in the QR codes of a picture: one key code (or several that
 * agree); PHR_E_NO_KEY_CODE when none reads as one. */
static int key_from_photo(const char *path, uint8_t key[PHR_HOLDER_KEY_LEN])
{
	uint8_t *buf = NULL, got[PHR_HOLDER_KEY_LEN];
	size_t len, keys = 0, bad = 0;
	struct phr_image img = { 0 };
	struct phr_scan_result *res = calloc(1, sizeof(*res));
	int rc;
	if (!res)
		return phr_fail(PHR_E_NOMEM, "out of memory");
	if ((rc = cli_read(path, PHR_MAX_IMAGE_FILE, &buf, &len)) || (rc = phr_image_load(buf, len, &img)) ||
	    (rc = phr_scan_image(&img, res))) {
		if (rc != PHR_E_NOMEM && rc != PHR_E_IO && rc != PHR_E_NOT_FOUND && rc != PHR_E_LIMIT)
			rc = phr_fail_wrap(rc, "%s", path);
		goto out;
	}
	for (size_t i = 0; i < res->n; i++) {
		const struct phr_code *c = &res->codes[i];
		if (!phr_holder_key_qr_is_key(c->data, c->len))
			continue;
		if (phr_holder_key_qr_parse(c->data, c->len, got) != PHR_OK) {
			bad++;
			continue;
		}
		if (keys && sodium_memcmp(got, key, PHR_HOLDER_KEY_LEN)) {
			rc = phr_fail(PHR_E_SEAL_KEY, "%s: two different holder key codes in the picture: photograph one key "
						      "slip",
				      path);
			goto out;
		}
		memcpy(key, got, PHR_HOLDER_KEY_LEN);
		keys++;
	}
	if (!keys && bad)
		rc = phr_fail(PHR_E_SEAL_KEY, "%s: a holder key code whose check character does not match (a damaged "
					      "code?): type the key from the slip instead (--holder-key KEY.txt)",
			      path);
	else if (!keys)
		rc = phr_fail(PHR_E_NO_KEY_CODE,
			      "%s: no holder key code read in the picture (%zu other QR code%s%s): photograph the key "
			      "slip's code closer and sharper, or type the key (--holder-key KEY.txt)",
			      path, res->n, res->n == 1 ? "" : "s", res->n_unread ? ", and a code that could not be read" : "");
out:
	sodium_memzero(got, sizeof(got));
	for (size_t i = 0; i < res->n; i++) /* the key's text, in the payloads */
		if (phr_holder_key_qr_is_key(res->codes[i].data, res->codes[i].len))
			sodium_memzero(res->codes[i].data, res->codes[i].len);
	phr_scan_result_free(res);
	free(res);
	phr_image_free(&img);
	free(buf);
	return rc;
}

int cli_holder_key(const char *verb, const char *file, const char *photo, uint8_t key[PHR_HOLDER_KEY_LEN], bool *have)
{
	*have = false;
	if (file && photo)
		return cli_usage(verb, "--holder-key and --holder-key-qr: one of them");
	if (file) {
		int ex = cli_load_holder_key(verb, file, key);
		*have = ex == EXIT_OK_;
		return ex;
	}
	if (!photo)
		return EXIT_OK_;
	int rc = key_from_photo(photo, key);
	if (rc) {
		sodium_memzero(key, PHR_HOLDER_KEY_LEN);
		return cli_fail(verb, rc, "--holder-key-qr");
	}
	*have = true;
	return EXIT_OK_;
}

int cli_unseal_any(const char *verb, struct phr_record *r, const char *file, const char *photo)
{
	uint8_t key[PHR_HOLDER_KEY_LEN];
	bool have;
	int ex = cli_holder_key(verb, file, photo, key, &have);
	if (!ex && have)
		ex = cli_unseal_key(verb, r, key);
	sodium_memzero(key, sizeof(key));
	return ex;
}
