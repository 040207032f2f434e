/* cmd-show.c - ledgerctl show: one entry, its signature and payload */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger/wire.h"
#include "ledger/entry.h"
#include "ledger/query.h"
#include "ledger/retention.h"
#include "ledger/store.h"
#include "cli.h"
#include "remote.h"

static int
on_opt(void *ctx, int c, const char *arg)
{
	(void)arg;
	if (c == 'p')
		*(int *)ctx = 1;
	return -1;
}

int
cmd_show(struct cli *cli, int argc, char **argv)
{
	static const struct option extra[] = {
		{ "payload", no_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	const struct command *cmd = find_command("show");
	struct ledger_store *s = NULL;
	struct ledger_row row;
	struct ledger_error err;
	unsigned long long seq;
	char leaf_hex[65], sig_hex[129], sha_hex[65];
	uint8_t leaf[LEDGER_HASH_BYTES], *payload = NULL;
	char *headers = NULL;
	size_t plen = 0;
	uint64_t pruned_by = UINT64_MAX;
	char pruned[96];
	int r, first, want_payload = 0, status;
	enum ledger_status st;

	if ((r = parse_options(cli, cmd, argc, argv, extra, "", on_opt,
	    &want_payload, &first)) >= 0)
		return r;
	if (cli->url == NULL && (r = need_dir(cli, cmd)) >= 0)
		return r;
	if (argc - first != 1)
		return usage_error(cmd, "want exactly one SEQ");
	if (!parse_u64(argv[first], &seq))
		return usage_error(cmd, "bad SEQ '%s'", argv[first]);
	if (cli->url != NULL) {
		if ((r = remote_get(cli, seq, &row, &payload, &plen, true)) >= 0)
			return r;
	} else {
		if (cli_store_open(cli, LEDGER_STORE_READONLY, &s,
		    &err))
			return fail("open '%s': %s", cli_where(cli), err.msg);
		if ((st = ledger_store_get(s, seq, &row, &err)) != LEDGER_OK) {
			ledger_store_close(s);
			fail("show %llu: %s", seq, err.msg);
			return st == LEDGER_ENOTFOUND ? EXIT_NO : EXIT_TROUBLE;
		}
		if (ledger_store_get_headers(s, seq, &headers, &err) !=
		    LEDGER_OK && err.code != LEDGER_ENOTFOUND) {
			status = fail("headers of %llu: %s", seq, err.msg);
			goto out;
		}
		st = ledger_store_get_payload(s, seq, &payload, &plen, &err);
		if (st == LEDGER_ENOTFOUND && ledger_payload_pruned_by(s, seq,
		    &pruned_by, &err) == LEDGER_OK) {
			snprintf(pruned, sizeof(pruned), " (pruned: the "
			    "payloads-pruned record at seq %" PRIu64 " covers "
			    "it)", pruned_by);
			if (want_payload) {
				status = fail("payload of %llu was pruned (the "
				    "record at seq %" PRIu64 ")", seq,
				    pruned_by);
				goto out;
			}
		} else if (st != LEDGER_OK && (want_payload ||
		    st != LEDGER_ENOTFOUND)) {
			status = fail("payload of %llu: %s", seq, err.msg);
			goto out;
		}
	}
	if (want_payload) {
		fwrite(payload, 1, plen, stdout);
		status = finish(EXIT_YES);
		goto out;
	}
	ledger_leaf_hash(row.entry, row.entry_len, leaf);
	ledger_hex(leaf, LEDGER_HASH_BYTES, leaf_hex);
	ledger_hex(row.sig, LEDGER_SIG_BYTES, sig_hex);
	ledger_hex(row.e.payload_sha256, LEDGER_HASH_BYTES, sha_hex);
	if (cli->json) {
		struct ledger_buf b = LEDGER_BUF_INIT;

		if (ledger_row_json(seq, row.entry, row.entry_len, row.sig,
		    &row.e, payload != NULL, headers, &b) != LEDGER_OK) {
			ledger_buf_release(&b);
			status = fail("out of memory");
			goto out;
		}
		fwrite(b.data, 1, b.len, stdout);
		putchar('\n');
		ledger_buf_release(&b);
	} else {
		printf("entry:      ");
		fwrite(row.entry, 1, row.entry_len, stdout);
		printf("\nleaf_hash:  %s\nsignature:  %s\nkey_id:     %08x\n"
		    "payload:    %" PRIu64 " bytes, %s, sha256 %s%s\n",
		    leaf_hex, sig_hex, row.e.key_id, row.e.payload_size,
		    row.e.payload_type, sha_hex,
		    payload ? "" : pruned_by != UINT64_MAX ? pruned : 
		    " (not stored)");
		if (headers != NULL) {
			printf("headers:    ");
			term_print(stdout, headers, 0);
			printf("\n");
		}
		if (payload != NULL && plen <= 64 * 1024) {
			printf("\n");
			fwrite(payload, 1, plen, stdout);
			if (plen > 0 && payload[plen - 1] != '\n')
				printf("\n");
		} else if (payload != NULL)
			printf("(payload larger than 64 KiB: use --payload)\n");
	}
	status = finish(EXIT_YES);
out:
	free(headers);
	free(payload);
	ledger_row_release(&row);
	ledger_store_close(s);
	return status;
}
