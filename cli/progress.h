/*
 * progress.h - long work shows progress on a terminal: "verify: 412,000 of
 * 1,000,000 entries (41%), 88,000/s, 7 s left" on stderr, redrawn in
 * place at most ten times a second; nothing when stderr is not a
 * terminal or with --quiet.  Ctrl-C during such work stops it at the next
 * step, and the command says how far it got.
 */
#ifndef LEDGERCTL_PROGRESS_H
#define LEDGERCTL_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

#include "cli.h"

struct progress {
	bool on;
	const char *what, *unit;
	int64_t start_ms, last_ms;
};

/* Begin (and catch SIGINT until progress_end). */
void progress_start(struct progress *p, const struct cli *cli,
    const char *what, const char *unit);
/* done of total (total 0: unknown); returns non-zero once interrupted. */
int progress_show(struct progress *p, uint64_t done, uint64_t total);
/* The callback form of progress_show, ctx a struct progress. */
int progress_cb(void *ctx, uint64_t done, uint64_t total);
/* Clear the line; restore SIGINT. */
void progress_end(struct progress *p);
/* Was the work interrupted (SIGINT)? */
bool progress_interrupted(void);

#endif
