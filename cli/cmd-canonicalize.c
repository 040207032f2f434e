/* cmd-canonicalize.c - ledgerctl canonicalize: RFC 8785 form of a document */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ledger/jcs.h"
#include "cli.h"
#include "input.h"

int
cmd_canonicalize(struct cli *cli, int argc, char **argv)
{
	const struct command *cmd = find_command("canonicalize");
	struct ledger_error err;
	char *in = NULL, *out = NULL;
	size_t inlen, outlen;
	const char *path;
	int r, first;

	if ((r = parse_options(cli, cmd, argc, argv, NULL, NULL, NULL, NULL,
	    &first)) >= 0)
		return r;
	if (argc - first > 1)
		return usage_error(cmd, "too many arguments");
	path = argc - first == 1 ? argv[first] : "-";
	if (read_input(path, INPUT_MAX, &in, &inlen, &err) != LEDGER_OK)
		return fail("read '%s': %s", path, err.msg);
	if (ledger_jcs_canonicalize(in, inlen, &out, &outlen, &err)) {
		free(in);
		return fail("canonicalize '%s': %s", path, err.msg);
	}
	free(in);
	fwrite(out, 1, outlen, stdout);
	free(out);
	return finish(EXIT_YES);
}
