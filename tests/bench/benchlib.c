#include "benchlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "phr/crypto.h"
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

struct phr_seckey *bench_key(enum bench_key_id which)
{
	static const struct {
		int kind;
		const char *name, *country;
		uint8_t seed;
	} k[] = {
		[BENCH_AUTHORITY] = { PHR_KEY_AUTHORITY, "Demo Health Authority", "GR", 1 },
		[BENCH_LESVOS] = { PHR_KEY_CLINIC, "Lesvos Reception Clinic", "GR", 3 },
		[BENCH_BERLIN] = { PHR_KEY_CLINIC, "Berlin Health Centre", "DE", 4 },
	};
	uint8_t s[PHR_SEED_LEN];
	struct phr_seckey *key;
	memset(s, k[which].seed, sizeof(s));
	if (phr_key_from_seed(k[which].kind, k[which].name, k[which].country, s, &key))
		bench_die("key");
	return key;
}

long bench_vm_hwm_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "VmHWM:", 6))
			kb = strtol(line + 6, NULL, 10);
	if (f)
		fclose(f);
	return kb;
}
