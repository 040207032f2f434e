/*
 * cli.h - what ledgerctl's commands share
 */
#ifndef LEDGERCTL_CLI_H
#define LEDGERCTL_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "ledger/error.h"

/* Exit statuses: 0 yes/intact, 1 the answer is no, 2 could not check. */
#define EXIT_YES 0
#define EXIT_NO 1
#define EXIT_TROUBLE 2

/* Options every command understands. */
struct cli {
	const char *dir;	/* -d, --dir, or $LEDGER_DIR */
	const char *database;	/* --database (PostgreSQL), or
				   $LEDGER_DATABASE */
	const char *log;	/* --log: which of its logs */
	const char *url;	/* --url, or $LEDGER_URL */
	const char *token;	/* --token, or $LEDGER_TOKEN */
	const char *cacert;	/* --cacert, or $LEDGER_CACERT */
	const char *cert;	/* --cert, or $LEDGER_CERT */
	const char *client_key;	/* --client-key, or $LEDGER_CLIENT_KEY */
	bool json;		/* --json */
	bool csv;		/* --csv */
	bool quiet;		/* --quiet: no progress */
	const char *progname;
};

struct command {
	const char *name;
	int (*fn)(struct cli *cli, int argc, char **argv);
	const char *usage;	/* "[-d DIR] [FILE|-]" */
	const char *summary;
	const char *help;	/* every option, and an example */
};

struct ledger_store;
/* Open the store the options name: -d DIR (its SQLite database, or the
 * PostgreSQL log its ledger.database names), or --database URL [--log]
 * (with -d for a key or a pin); ledger_store_open_at. */
enum ledger_status cli_store_open(const struct cli *cli, unsigned flags,
    struct ledger_store **ret, struct ledger_error *err);
/* What the store was opened from, for messages. */
const char *cli_where(const struct cli *cli);

/* "usage: ...", the summary and the help text, on stdout. */
void print_help(const struct command *cmd);

/* "ledgerctl: fmt" on stderr; returns EXIT_TROUBLE. */
int fail(const char *fmt, ...) LEDGER_PRINTF(1, 2);
/* "ledgerctl: what: err->msg" on stderr; returns EXIT_TROUBLE. */
int fail_err(const char *what, const struct ledger_error *err);
/* Print "usage: ledgerctl NAME USAGE" to stderr; returns EXIT_TROUBLE. */
int usage_error(const struct command *cmd, const char *fmt, ...)
    LEDGER_PRINTF(2, 3);

/*
 * Parse options for a command: the common ones (-d/--dir, --url, --token,
 * --json, --csv, -h/--help) plus the command's own, given as a
 * getopt_long table and a callback for each of its options.  Returns -1 on
 * success with *optind_out set to the first operand; otherwise an exit
 * status (0 after --help, 2 on misuse).
 */
struct option;
int parse_options(struct cli *cli, const struct command *cmd, int argc,
    char **argv, const struct option *extra, const char *extra_short,
    int (*on_opt)(void *ctx, int c, const char *arg), void *ctx,
    int *optind_out);

/* The subcommand that comes first ("token create --scope write"): -1
 * with *ret set, or an exit status (0 after --help; misuse names want,
 * the subcommands). */
int subcommand(const struct command *cmd, int argc, char **argv,
    const char *want, const char **ret);

/* Require the data directory option; message and EXIT_TROUBLE if absent. */
int need_dir(const struct cli *cli, const struct command *cmd);

/* Parse a non-negative decimal integer (no sign, no junk). */
bool parse_u64(const char *s, unsigned long long *ret);

/* Flush stdout and turn a write error into an exit status. */
int finish(int status);
/* -1 when no ledgerd holds dir's lock; else a failure was printed
 * ("ledgerd is running on DIR: <instead>") and the exit status is
 * returned (cmd-key.c). */
int daemon_check(const char *dir, const char *instead);

/* Print s as a JSON string (with quotes) to f. */
void json_print_string(FILE *f, const char *s);

/* Print s for a terminal, padded to width columns: control characters,
 * bidirectional overrides and line separators, which an entry (attacker
 * text) could use to rewrite what the screen shows, are written as
 * \xNN or \uNNNN instead; a backslash is doubled, so such text typed
 * into a value cannot pass for an escape. */
void term_print(FILE *f, const char *s, int width);

/* Print s as one RFC 4180 field (quoted when it holds a comma, a quote
 * or a line break; a leading = + - @ tab or CR, which a spreadsheet would
 * run as a formula, after an apostrophe); nothing for NULL. */
void csv_field(const char *s);

/* The events filters, each a name of ledger_query_param (cmd-events.c),
 * as long options CLI_OPT_FILTER + i; -k is --kind (index 10) but in
 * bundle, where it is --key.  Other option values stay out of
 * [CLI_OPT_FILTER, CLI_OPT_FILTER + CLI_NFILTERS). */
#define CLI_OPT_FILTER 2000
#define CLI_NFILTERS 17
extern const char *const cli_filter_names[CLI_NFILTERS];

/* Fill extra[0..CLI_NFILTERS) with the filters as long options; returns
 * CLI_NFILTERS. */
struct option;
size_t cli_filter_options(struct option *extra);

/* Append ev (still the caller's) to the log in cli->dir, print its
 * receipt (and store it in *ret unless NULL), sign a checkpoint; an exit
 * status (cmd-append.c). */
struct ledger_event;
struct ledger_receipt;
int append_one(const struct cli *cli, struct ledger_event *ev,
    struct ledger_receipt *ret);
void print_receipt(const struct cli *cli, const struct ledger_receipt *r);

/* ledgerctl verify --bundle FILE (cmd-bundle.c). */
struct trust_opts;
int verify_bundle(struct cli *cli, const char *path,
    const struct trust_opts *t);

/* The commands, one per cmd-NAME.c (the answers: cmd-report.c). */
int cmd_actors(struct cli *, int, char **);
int cmd_deployments(struct cli *, int, char **);
int cmd_exceptions(struct cli *, int, char **);
int cmd_gate(struct cli *, int, char **);
int cmd_last_good(struct cli *, int, char **);
int cmd_state(struct cli *, int, char **);
int cmd_append(struct cli *, int, char **);
int cmd_bundle(struct cli *, int, char **);
int cmd_canonicalize(struct cli *, int, char **);
int cmd_checkpoint(struct cli *, int, char **);
int cmd_consistency(struct cli *, int, char **);
int cmd_events(struct cli *, int, char **);
int cmd_init(struct cli *, int, char **);
int cmd_key(struct cli *, int, char **);
int cmd_migrate(struct cli *, int, char **);
int cmd_prove(struct cli *, int, char **);
int cmd_record(struct cli *, int, char **);
int cmd_retention(struct cli *, int, char **);
int cmd_show(struct cli *, int, char **);
int cmd_status(struct cli *, int, char **);
int cmd_timeline(struct cli *, int, char **);
int cmd_token(struct cli *, int, char **);
int cmd_trace(struct cli *, int, char **);
int cmd_verify(struct cli *, int, char **);
int cmd_where(struct cli *, int, char **);

extern const struct command commands[];
const struct command *find_command(const char *name);

#endif
