/* What every benchmark of tests/bench needs: a clock and a way to stop. */
#ifndef PHR_BENCHLIB_H
#define PHR_BENCHLIB_H

/* The benchmark's name, for messages ("bench_print"); each defines it. */
extern const char *const bench_name;

/* Prints "NAME: what: the last phr error" and exits 1. */
_Noreturn void bench_die(const char *what);
/* Monotonic seconds. */
double bench_now(void);

#endif
