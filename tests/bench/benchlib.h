/* What every benchmark of tests/bench needs: a clock and a way to stop. */
#ifndef PHR_BENCHLIB_H
#define PHR_BENCHLIB_H

/* The benchmark's name, for messages ("bench_print"); each defines it. */
extern const char *const bench_name;

/* Prints "NAME: what: the last phr error" and exits 1. */
_Noreturn void bench_die(const char *what);
/* Monotonic seconds. */
double bench_now(void);
/* Peak resident memory of this process (VmHWM), KiB; -1 if unknown. */
long bench_vm_hwm_kb(void);

/* The demo keys the benchmarks sign with, from fixed seeds (the same keys
 * in every run): a health authority (GR) and two clinics. Dies on failure. */
enum bench_key_id { BENCH_AUTHORITY, BENCH_LESVOS, BENCH_BERLIN };
struct phr_seckey *bench_key(enum bench_key_id which);

#endif
