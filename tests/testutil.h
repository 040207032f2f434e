/* testutil.h - helpers shared by the check suites */
#ifndef LEDGER_TESTUTIL_H
#define LEDGER_TESTUTIL_H

#include <stddef.h>
#include <check.h>

/* A fresh temporary directory (mkdtemp under $TMPDIR or /tmp); the path is
 * static storage, valid until the next call.  tu_rmtree removes it. */
const char *tu_mkdtemp(void);
void tu_rmtree(const char *path);

/* Run a shell command line; returns its exit status (or -1), and stores
 * its stdout (malloc'd, NUL-terminated) in *out when out is not NULL. */
int tu_run(char **out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Read a whole file; aborts the test on failure.  Caller frees. */
char *tu_slurp(const char *path, size_t *len);

/* $name or NULL; tests that need a shared directory exit 77 without it. */
const char *tu_env_dir(const char *name);

/* Run a suite, print check's summary, return the process exit status. */
int tu_run_suite(Suite *s);

#endif
