/* bench-util.c - what the benchmark programs share */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "bench-util.h"

void
die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * CPU seconds the whole machine has spent busy so far (every core; from
 * /proc/stat), or -1.  Minus our own CPU time over the same interval, it
 * shows whether other processes competed with the benchmark.
 */
double
machine_busy_seconds(void)
{
	unsigned long long v[8] = { 0 };
	double hz = (double)sysconf(_SC_CLK_TCK);
	FILE *f;
	int n;

	if ((f = fopen("/proc/stat", "r")) == NULL)
		return -1;
	n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0],
	    &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
	fclose(f);
	if (n != 8 || hz <= 0)
		return -1;
	/* user nice system [idle iowait] irq softirq steal */
	return (double)(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / hz;
}

void
print_loadavg(const char *when)
{
	char line[128];
	FILE *f;

	if ((f = fopen("/proc/loadavg", "r")) == NULL)
		return;
	if (fgets(line, sizeof(line), f) != NULL)
		printf("load average %s: %s", when, line);
	fclose(f);
}

int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The p-th percentile (nearest rank) of n sorted values. */
double
percentile(const double *sorted, size_t n, double p)
{
	size_t rank;

	if (n == 0)
		return 0;
	rank = (size_t)(p / 100.0 * (double)n + 0.999999);
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return sorted[rank - 1];
}

/* xorshift64*: a cheap, deterministic pseudo-random sequence. */
uint64_t
rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1DULL;
}

bool
parse_count(const char *s, uint64_t min, uint64_t max, uint64_t *ret)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return false;
	*ret = v;
	return true;
}

long
proc_status_kib(const char *field)
{
	char line[256];
	size_t n = strlen(field);
	long v = -1;
	FILE *f = fopen("/proc/self/status", "r");

	while (f != NULL && fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, field, n) == 0 && line[n] == ':') {
			v = strtol(line + n + 1, NULL, 10);
			break;
		}
	if (f != NULL)
		fclose(f);
	return v;
}

void
bench_progress(const char *what, uint64_t done, uint64_t total)
{
	static double start, last;
	static int tty = -1;
	double t = now(), rate;

	if (tty < 0)
		tty = isatty(STDERR_FILENO);
	if (!tty)
		return;
	if (done == 0 || start == 0)
		start = t;
	if (done >= total) {
		fprintf(stderr, "\r\033[K");
		start = last = 0;
		return;
	}
	if (t - last < 0.25)
		return;
	last = t;
	rate = t > start ? (double)done / (t - start) : 0;
	fprintf(stderr, "\r\033[K%s: %" PRIu64 " of %" PRIu64 " (%.0f%%), "
	    "%.0f/s, %.0f s left", what, done, total,
	    100.0 * (double)done / (double)total, rate,
	    rate > 0 ? (double)(total - done) / rate : 0);
}

void
print_sign_time(void)
{
	uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
	uint8_t msg[49] = { 0 }, sig[crypto_sign_BYTES];
	double t0;
	int i;

	crypto_sign_keypair(pk, sk);
	t0 = now();
	for (i = 0; i < 2000; i++) {
		msg[0] = (uint8_t)i;
		crypto_sign_detached(sig, NULL, msg, sizeof(msg), sk);
	}
	printf("Ed25519 sign: %.1f us\n", (now() - t0) / 2000 * 1e6);
}
