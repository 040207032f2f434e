/*
 * cmd-consistency.c - ledgerctl consistency: prove that the log's signed
 * tree of size OLD is a prefix of its signed tree of size NEW
 *
 * Both checkpoints are fetched as the log stored them and their
 * signatures verified; the consistency proof between them must reproduce
 * both roots; NEW must be consistent with the pin.  Exit 0 proven, 1 a
 * check failed (or a checkpoint does not exist), 2 could not check.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "trust.h"

int
cmd_consistency(struct cli *cli, int argc, char **argv)
{
	static const struct option extra[] = {
		TRUST_LONG_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	const struct command *cmd = find_command("consistency");
	uint8_t proof[LEDGER_MERKLE_MAX_PROOF][LEDGER_HASH_BYTES];
	struct trust_opts o;
	struct tlog_src src;
	struct ledger_signed_checkpoint c1, c2;
	struct trust_pin pin;
	struct ledger_vkey *keys = NULL;
	struct ledger_error err;
	enum ledger_status st;
	unsigned long long m, n;
	char b64[LEDGER_B64_HASH_SIZE];
	size_t nkeys = 0, count = 0, i;
	int r, first, status = EXIT_TROUBLE;

	memset(&o, 0, sizeof(o));
	memset(&c1, 0, sizeof(c1));
	memset(&c2, 0, sizeof(c2));
	memset(&pin, 0, sizeof(pin));
	pin.p.dirfd = -1;
	if ((r = trust_parse(cli, cmd, argc, argv, extra, trust_only_opt, &o, &o, 2,
	    "want OLD and NEW tree sizes", &first)) >= 0)
		return r;
	if (!parse_u64(argv[first], &m) || m > INT64_MAX)
		return usage_error(cmd, "bad OLD '%s'", argv[first]);
	if (!parse_u64(argv[first + 1], &n) || n > INT64_MAX)
		return usage_error(cmd, "bad NEW '%s'", argv[first + 1]);
	if (m > n)
		return usage_error(cmd, "OLD %llu is larger than NEW %llu", m,
		    n);
	if (tlog_src_open(&src, cli->dir, cli->database, cli->log,
	    cli->url, cli->token, &err))
		return fail("open '%s': %s", cli_where(cli), err.msg);
	if ((r = trust_keys(&o, &src, &keys, &nkeys)) >= 0 ||
	    (r = trust_checkpoint(&o, &src, false, m, keys, nkeys, false,
	    &c1)) >= 0 ||
	    (r = trust_checkpoint(&o, &src, false, n, keys, nkeys, false,
	    &c2)) >= 0 ||
	    (r = trust_pin(&o, &src, keys, nkeys, &c2, false, &pin)) >= 0) {
		status = r;
		goto out;
	}
	if ((st = tlog_get_consistency(&src, m, n, proof, &count, &err))) {
		fail("consistency proof from size %llu to %llu from %s: %s", m,
		    n, tlog_src_name(&src), err.msg);
		status = tlog_exit_status(st);
		goto out;
	}
	if ((st = ledger_checkpoint_check_consistency(&c1, &c2, &proof[0][0], count,
	    &err))) {
		fail("log '%s': %s", c2.origin, err.msg);
		status = tlog_exit_status(st);
		goto out;
	}
	if ((r = trust_pin_commit(&pin, &c2)) >= 0) {
		status = r;
		goto out;
	}
	if (cli->json) {
		printf("{\"origin\":");
		json_print_string(stdout, c2.origin);
		printf(",\"first\":%llu,\"second\":%llu,\"consistency\":", m,
		    n);
		trust_json_hashes(stdout, &proof[0][0], count);
		ledger_b64_hash(c1.root, b64);
		printf(",\"first_root_hash\":\"%s\"", b64);
		ledger_b64_hash(c2.root, b64);
		printf(",\"second_root_hash\":\"%s\",\"key_id\":\"%08x\","
		    "\"first_checkpoint\":", b64, c2.key_id);
		json_print_string(stdout, c1.note);
		printf(",\"second_checkpoint\":");
		json_print_string(stdout, c2.note);
		trust_pin_json(stdout, &pin);
		printf("}\n");
	} else {
		printf("the tree of size %llu of log '%s' is a prefix of its "
		    "tree of size %llu\n", m, c2.origin, n);
		ledger_b64_hash(c1.root, b64);
		printf("first:        %llu root_hash %s\n", m, b64);
		ledger_b64_hash(c2.root, b64);
		printf("second:       %llu root_hash %s\n", n, b64);
		printf("consistency: ");
		for (i = 0; i < count; i++) {
			ledger_b64_hash(proof[i], b64);
			printf("%s %s\n", i ? "             " : "", b64);
		}
		if (count == 0)
			printf(" (empty: %s)\n", m == 0 ? "every tree extends "
			    "the empty tree" : "the same tree");
		trust_pin_text(stdout, &pin);
	}
	status = finish(EXIT_YES);
out:
	trust_pin_release(&pin);
	ledger_signed_checkpoint_release(&c1);
	ledger_signed_checkpoint_release(&c2);
	tlog_src_close(&src);
	free(keys);
	return status;
}
