/* Replays fuzz inputs without libFuzzer (zstd regression_driver.c, libgit2
 * standalone_driver.c): every file named on the command line, and every
 * regular file in every directory named, in name order, goes once through
 * LLVMFuzzerTestOneInput(). meson test runs it on the committed corpus, so
 * every build exercises every target; a target that finds a bug aborts.
 *
 * Exit status: 0 when every input ran; 1 when an argument is missing, is
 * empty or cannot be read (a lost corpus must not pass silently); 2 on usage.
 */
#include "fuzz.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The input being run, named if a sanitizer or a signal ends the process. */
static char current[4096];

static void say_current(void)
{
	static const char pre[] = "replay: failing input: ";
	if (!current[0])
		return;
	/* write(): callable from a signal handler and a sanitizer's death callback */
	if (write(STDERR_FILENO, pre, sizeof(pre) - 1) < 0 || write(STDERR_FILENO, current, strlen(current)) < 0 ||
	    write(STDERR_FILENO, "\n", 1) < 0)
		return;
}

static void on_signal(int sig)
{
	say_current();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Present when a sanitizer runtime is linked (weak: absent otherwise). */
extern void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));

static void install_handlers(void)
{
	signal(SIGABRT, on_signal);
	if (__sanitizer_set_death_callback) {
		/* Leave SIGSEGV & co. to the sanitizer, which reports them better. */
		__sanitizer_set_death_callback(say_current);
		return;
	}
	signal(SIGSEGV, on_signal);
	signal(SIGBUS, on_signal);
	signal(SIGFPE, on_signal);
	signal(SIGILL, on_signal);
}

/* Reads path into an exactly sized buffer (ASan sees any over-read). */
static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long n;

	if (!f) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
		fprintf(stderr, "replay: %s: cannot get the size\n", path);
		fclose(f);
		return -1;
	}
	/* malloc(0) may return NULL; a target gets a valid pointer, as with libFuzzer */
	buf = malloc(n ? (size_t)n : 1);
	if (!buf || (n && fread(buf, 1, (size_t)n, f) != (size_t)n)) {
		fprintf(stderr, "replay: %s: cannot read\n", path);
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	snprintf(current, sizeof(current), "%s", path);
	LLVMFuzzerTestOneInput(buf, (size_t)n);
	current[0] = '\0';
	free(buf);
	return 0;
}

static int is_regular(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static int skip_name(const struct dirent *e)
{
	return e->d_name[0] != '.'; /* ".", "..", editor and libFuzzer temporaries */
}

/* Runs every regular file in dir; returns how many, or -1. */
static long run_dir(const char *dir)
{
	struct dirent **names;
	long ran = 0;
	int n = scandir(dir, &names, skip_name, alphasort);

	if (n < 0) {
		fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		char path[4096];
		if (ran >= 0 && snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name) < (int)sizeof(path) &&
		    is_regular(path)) {
			if (run_file(path) != 0)
				ran = -1;
			else
				ran++;
		}
		free(names[i]);
	}
	free(names);
	if (ran == 0)
		fprintf(stderr, "replay: %s: no input files\n", dir);
	return ran > 0 ? ran : -1;
}

int main(int argc, char **argv)
{
	long total = 0;
	int bad = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s DIR|FILE...\n", argv[0]);
		return 2;
	}
	install_handlers();
	for (int i = 1; i < argc; i++) {
		struct stat st;
		long ran;
		if (stat(argv[i], &st) != 0) {
			fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
			bad = 1;
			continue;
		}
		ran = S_ISDIR(st.st_mode) ? run_dir(argv[i]) : run_file(argv[i]) == 0 ? 1 : -1;
		if (ran < 0)
			bad = 1;
		else
			total += ran;
	}
	printf("replay: %ld inputs ran%s\n", total, bad ? " (with errors, see above)" : "");
	return bad ? 1 : 0;
}
