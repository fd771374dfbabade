#include "benchlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "phr/error.h"

_Noreturn void bench_die(const char *what)
{
	fprintf(stderr, "%s: %s: %s\n", bench_name, what, phr_last_error());
	exit(1);
}

double bench_now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}
