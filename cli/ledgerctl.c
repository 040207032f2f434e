/*
 * ledgerctl - ask a ledger questions, and prove the answers
 *
 *	ledgerctl [--version] [--help] <command> [<options>] [<args>]
 *
 * Exit status: 0 yes/intact, 1 the answer is no (tampered, not found),
 * 2 could not check (misuse, unreadable data, I/O errors).
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger-config.h"
#include "cli.h"

/* Sorted by name. */
const struct command commands[] = {
	{ "append", cmd_append,
	  "-d DIR [--kind K] [--source NAME] [--event E] [--delivery ID]\n"
	  "       [--subject FIELD=VALUE ...] [FILE|-]",
	  "append an event and print its receipt" },
	{ "canonicalize", cmd_canonicalize, "[FILE|-]",
	  "print the RFC 8785 canonical form of a JSON document" },
	{ "checkpoint", cmd_checkpoint,
	  "-d DIR|--url URL [--key FILE ...] [--pin FILE|--no-pin] [--json]",
	  "verify the newest signed checkpoint and move the pin to it" },
	{ "consistency", cmd_consistency,
	  "-d DIR|--url URL [--key FILE ...] [--pin FILE|--no-pin] [--json]"
	  "\n       OLD NEW",
	  "prove the signed tree of size OLD is a prefix of size NEW" },
	{ "events", cmd_events,
	  "-d DIR|--url URL [--kind K] [--FIELD VALUE ...] [--source NAME]\n"
	  "       [--since TIME] [--until TIME] [--after SEQ] [--limit N]"
	  " [--json|--csv]",
	  "list entries, filtered" },
	{ "init", cmd_init, "[--origin NAME] DIR",
	  "create a data directory with a new key and database" },
	{ "prove", cmd_prove,
	  "-d DIR|--url URL [--token T] [--size M] [--key FILE ...]\n"
	  "       [--pin FILE|--no-pin] [--json] SEQ",
	  "prove an entry is in the log's signed tree" },
	{ "show", cmd_show, "-d DIR|--url URL [--payload] [--json] SEQ",
	  "show one entry, its signature and payload" },
	{ "token", cmd_token,
	  "create --scope read|write [--label TEXT] -d DIR\n"
	  "       ledgerctl token revoke -d DIR ID\n"
	  "       ledgerctl token list -d DIR [--json]",
	  "create, revoke and list API tokens" },
	{ "verify", cmd_verify,
	  "-d DIR [--key FILE ...] [--pin FILE|--no-pin] [--json]\n"
	  "       ledgerctl verify --url URL [--token T] --key FILE "
	  "[--no-payloads]\n"
	  "       [--pin FILE|--no-pin] [--json]",
	  "check every entry, link, signature, payload and index" },
	{ NULL, NULL, NULL, NULL },
};

const struct command *
find_command(const char *name)
{
	const struct command *c;

	for (c = commands; c->name != NULL; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

int
fail(const char *fmt, ...)
{
	va_list ap;

	fputs("ledgerctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_TROUBLE;
}

int
fail_err(const char *what, const struct ledger_error *err)
{
	return fail("%s: %s", what, err->msg[0] ? err->msg :
	    ledger_status_str(err->code));
}

int
usage_error(const struct command *cmd, const char *fmt, ...)
{
	va_list ap;

	if (fmt != NULL) {
		fputs("ledgerctl: ", stderr);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
	fprintf(stderr, "usage: ledgerctl %s %s\n", cmd->name, cmd->usage);
	return EXIT_TROUBLE;
}

int
need_dir(const struct cli *cli, const struct command *cmd)
{
	if (cli->dir == NULL)
		return usage_error(cmd, "no data directory: give -d DIR or set "
		    "LEDGER_DIR");
	return -1;
}

bool
parse_u64(const char *s, unsigned long long *ret)
{
	char *end;

	if (s == NULL || *s < '0' || *s > '9')
		return false;
	errno = 0;
	*ret = strtoull(s, &end, 10);
	return errno == 0 && *end == '\0';
}

int
finish(int status)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "ledgerctl: write to standard output: %s\n",
		    strerror(errno ? errno : EIO));
		return EXIT_TROUBLE;
	}
	return status;
}

void
json_print_string(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', f);
	for (; *p; p++) {
		switch (*p) {
		case '"': fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\n': fputs("\\n", f); break;
		case '\r': fputs("\\r", f); break;
		case '\t': fputs("\\t", f); break;
		default:
			if (*p < 0x20)
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
}

enum { OPT_URL = 1000, OPT_TOKEN, OPT_JSON, OPT_CSV };

int
parse_options(struct cli *cli, const struct command *cmd, int argc,
    char **argv, const struct option *extra, const char *extra_short,
    int (*on_opt)(void *ctx, int c, const char *arg), void *ctx,
    int *optind_out)
{
	static const struct option common[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "url", required_argument, NULL, OPT_URL },
		{ "token", required_argument, NULL, OPT_TOKEN },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "csv", no_argument, NULL, OPT_CSV },
		{ "help", no_argument, NULL, 'h' },
	};
	struct option opts[64];
	char shortopts[64];
	size_t n = 0, i;
	int c, r;

	for (i = 0; i < sizeof(common) / sizeof(*common); i++)
		opts[n++] = common[i];
	for (i = 0; extra != NULL && extra[i].name != NULL && n < 63; i++)
		opts[n++] = extra[i];
	memset(&opts[n], 0, sizeof(opts[n]));
	/* Options may follow operands ("prove 2 --size 8"); "--" ends them. */
	snprintf(shortopts, sizeof(shortopts), "d:h%s",
	    extra_short ? extra_short : "");
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, shortopts, opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			cli->dir = optarg;
			break;
		case OPT_URL:
			cli->url = optarg;
			break;
		case OPT_TOKEN:
			cli->token = optarg;
			break;
		case OPT_JSON:
			cli->json = true;
			break;
		case OPT_CSV:
			cli->csv = true;
			break;
		case 'h':
			printf("usage: ledgerctl %s %s\n\n%s\n", cmd->name,
			    cmd->usage, cmd->summary);
			return finish(EXIT_YES);
		case '?':
			if (optopt != 0 && optopt < 256)
				return usage_error(cmd, "unknown option '-%c'",
				    optopt);
			return usage_error(cmd, "unknown option '%s'",
			    argv[optind - 1]);
		case ':':
			return usage_error(cmd, "option '%s' needs a value",
			    argv[optind - 1]);
		default:
			if (on_opt == NULL)
				return usage_error(cmd, "bad option");
			if ((r = on_opt(ctx, c, optarg)) >= 0)
				return r;
		}
	}
	if (cli->json && cli->csv)
		return usage_error(cmd, "--json and --csv exclude each other");
	*optind_out = optind;
	return -1;
}

static void
usage(FILE *f)
{
	const struct command *c;

	fprintf(f, "usage: ledgerctl [--version] [--help] <command> "
	    "[<options>] [<args>]\n\ncommands:\n");
	for (c = commands; c->name != NULL; c++)
		fprintf(f, "  %-14s %s\n", c->name, c->summary);
	fprintf(f, "\nCommon options: -d DIR (or LEDGER_DIR), --json, --csv, "
	    "--help.\nExit status: 0 yes/intact, 1 no/tampered, 2 could not "
	    "check.\n");
}

int
main(int argc, char **argv)
{
	const struct command *cmd;
	struct cli cli;

	memset(&cli, 0, sizeof(cli));
	cli.progname = "ledgerctl";
	cli.dir = getenv("LEDGER_DIR");
	cli.url = getenv("LEDGER_URL");
	cli.token = getenv("LEDGER_TOKEN");
	if (argc < 2) {
		usage(stderr);
		return EXIT_TROUBLE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return finish(EXIT_YES);
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("ledgerctl %s\n", LEDGER_VERSION);
		return finish(EXIT_YES);
	}
	if ((cmd = find_command(argv[1])) == NULL) {
		fprintf(stderr, "ledgerctl: '%s' is not a command\n", argv[1]);
		usage(stderr);
		return EXIT_TROUBLE;
	}
	return cmd->fn(&cli, argc - 1, argv + 1);
}
