/* bench-util.h - what the benchmark programs share */
#ifndef BENCH_UTIL_H
#define BENCH_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Each program defines its name, used in messages. */
extern const char *progname;

/* "progname: message" on stderr, exit 1. */
void die(const char *fmt, ...)
    __attribute__((noreturn, format(printf, 1, 2)));
/* Monotonic seconds. */
double now(void);
/* CPU seconds the whole machine has spent busy so far (/proc/stat), or -1. */
double machine_busy_seconds(void);
/* Print the load average, labelled when. */
void print_loadavg(const char *when);
/* qsort comparator for doubles, and the p-th percentile (nearest rank) of
 * n sorted values. */
int cmp_double(const void *a, const void *b);
double percentile(const double *sorted, size_t n, double p);
/* xorshift64*: the next value of the sequence in *s. */
uint64_t rnd(uint64_t *s);
/* A field of /proc/self/status in KiB ("VmRSS", "VmHWM"), or -1. */
long proc_status_kib(const char *field);
/* A decimal count in [min, max], nothing else. */
bool parse_count(const char *s, uint64_t min, uint64_t max, uint64_t *ret);

/* On a terminal (stderr), "what: done of total, rate/s, ETA" redrawn in
 * place at most 4 times a second; done == total clears the line.  Nothing
 * when stderr is not a terminal (CI logs, pipes). */
void bench_progress(const char *what, uint64_t done, uint64_t total);

/* Print the run's Ed25519 sign time ("Ed25519 sign: 13.8 us", 2000
 * signatures of 49 bytes), for comparing runs on a CPU whose speed
 * varies.  Needs sodium_init. */
void print_sign_time(void);

#endif
