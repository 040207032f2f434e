/*
 * progress.c - progress on a terminal, and Ctrl-C that stops long work
 * cleanly (progress.h)
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ledger/entry.h"
#include "progress.h"

static volatile sig_atomic_t interrupted;
static struct sigaction old_int;
static bool caught;

static void
on_int(int sig)
{
	(void)sig;
	interrupted = 1;
}

void
progress_start(struct progress *p, const struct cli *cli, const char *what,
    const char *unit)
{
	struct sigaction sa;

	memset(p, 0, sizeof(*p));
	p->on = !cli->quiet && isatty(STDERR_FILENO);
	p->what = what;
	p->unit = unit;
	p->start_ms = ledger_now_ms();
	interrupted = 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_int;
	sigemptyset(&sa.sa_mask);
	caught = sigaction(SIGINT, &sa, &old_int) == 0;
}

int
progress_show(struct progress *p, uint64_t done, uint64_t total)
{
	int64_t now = ledger_now_ms(), el = now - p->start_ms;
	double rate = el > 0 ? (double)done * 1000.0 / (double)el : 0;

	if (!p->on || (p->last_ms != 0 && now - p->last_ms < 100))
		return interrupted;
	p->last_ms = now;
	fprintf(stderr, "\r\033[K%s: %llu", p->what, (unsigned long long)done);
	if (total > 0)
		fprintf(stderr, " of %llu %s (%.0f%%)", (unsigned long long)total,
		    p->unit, 100.0 * (double)done / (double)total);
	else
		fprintf(stderr, " %s", p->unit);
	if (rate > 0)
		fprintf(stderr, ", %.0f/s", rate);
	if (rate > 0 && total > done)
		fprintf(stderr, ", %.0f s left", (double)(total - done) / rate);
	fflush(stderr);
	return interrupted;
}

int
progress_cb(void *ctx, uint64_t done, uint64_t total)
{
	return progress_show(ctx, done, total);
}

void
progress_end(struct progress *p)
{
	if (p->on && p->last_ms != 0) {
		fprintf(stderr, "\r\033[K");
		fflush(stderr);
	}
	if (caught)
		sigaction(SIGINT, &old_int, NULL);
	caught = false;
}

bool
progress_interrupted(void)
{
	return interrupted != 0;
}
