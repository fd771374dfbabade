/* Files, passphrases and exit codes for the phr command. */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

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
	case PHR_E_ARG: return EXIT_USAGE;
	case PHR_E_INCOMPLETE: return EXIT_INCOMPLETE;
	default:
		return PHR_ERR_IS_MALFORMED(err) ? EXIT_MALFORMED : EXIT_FAIL;
	}
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

static int write_all(int fd, const void *data, size_t len)
{
	const uint8_t *p = data;
	while (len) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

int cli_write(const char *path, const void *data, size_t len, unsigned mode)
{
	if (strcmp(path, "-") == 0) {
		if (write_all(STDOUT_FILENO, data, len) != 0)
			return phr_fail(PHR_E_IO, "cannot write to standard output: %s", strerror(errno));
		return PHR_OK;
	}
	size_t plen = strlen(path);
	char *tmp = malloc(plen + 16);
	char *dircopy = strdup(path);
	int rc = PHR_OK, fd = -1;
	if (!tmp || !dircopy) {
		rc = phr_fail(PHR_E_NOMEM, "out of memory");
		goto out;
	}
	snprintf(tmp, plen + 16, "%s.tmp.XXXXXX", path);
	fd = mkstemp(tmp);
	if (fd < 0) {
		rc = phr_fail(PHR_E_IO, "cannot create a temporary file beside %s: %s", path, strerror(errno));
		goto out;
	}
	if (fchmod(fd, (mode_t)mode) != 0 || write_all(fd, data, len) != 0 || fsync(fd) != 0) {
		rc = phr_fail(PHR_E_IO, "cannot write %s: %s", path, strerror(errno));
		close(fd);
		unlink(tmp);
		goto out;
	}
	if (close(fd) != 0 || rename(tmp, path) != 0) {
		rc = phr_fail(PHR_E_IO, "cannot write %s: %s", path, strerror(errno));
		unlink(tmp);
		goto out;
	}
	int dfd = open(dirname(dircopy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd); /* best effort: the rename is durable once the directory is */
		close(dfd);
	}
out:
	free(tmp);
	free(dircopy);
	return rc;
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
