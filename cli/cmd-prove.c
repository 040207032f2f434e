/*
 * cmd-prove.c - ledgerctl prove: prove that entry SEQ is in the log
 *
 * Fetches the signed checkpoint of size M (default: the newest), verifies
 * its signature and proves it consistent with the pin; then fetches the
 * entry's bytes and the audit path and checks that the bytes are entry
 * SEQ of this log, signed by its key, and that their leaf hash and the
 * path lead to the signed root.  Exit 0 proven, 1 a check failed (or no
 * such entry or checkpoint), 2 could not check.  --tlog-proof writes the
 * checked proof as C2SP tlog-proof@v1 text (ledger/tlogproof.h) with the
 * entry's bytes as its extra.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger/entry.h"
#include "ledger/tlogproof.h"
#include "cli.h"
#include "trust.h"

struct prove_opts {
	struct trust_opts t;
	unsigned long long size;
	bool has_size;
	bool tlog;			/* --tlog-proof */
};

static int
on_opt(void *ctx, int c, const char *arg)
{
	struct prove_opts *o = ctx;
	int r;

	if (trust_on_opt(&o->t, c, arg, &r))
		return r;
	if (c == 's') {
		if (!parse_u64(arg, &o->size) || o->size > INT64_MAX)
			return usage_error(find_command("prove"), "bad --size "
			    "'%s'", arg);
		o->has_size = true;
	}
	if (c == 'T')
		o->tlog = true;
	return -1;
}

/* The entry's bytes must be entry seq of this log, signed by a key of the
 * keyring. */
static int
check_entry(const struct ledger_row *row, uint64_t seq, const char *origin,
    const struct ledger_vkey *keys, size_t nkeys)
{
	struct ledger_entry e;
	struct ledger_error err;
	uint8_t leaf[LEDGER_HASH_BYTES];
	size_t i;
	int status = EXIT_NO;

	if (ledger_entry_decode(row->entry, row->entry_len, &e, &err)) {
		fail("entry %" PRIu64 ": not a valid entry: %s", seq, err.msg);
		return EXIT_NO;
	}
	if (e.seq != seq) {
		fail("entry %" PRIu64 ": the bytes are those of entry %" PRIu64,
		    seq, e.seq);
		goto out;
	}
	if (e.log == NULL || strcmp(e.log, origin) != 0) {
		fail("entry %" PRIu64 ": it is an entry of log '%s', not '%s'",
		    seq, e.log ? e.log : "", origin);
		goto out;
	}
	ledger_leaf_hash(row->entry, row->entry_len, leaf);
	for (i = 0; i < nkeys; i++)
		if (keys[i].id == e.key_id &&
		    strcmp(keys[i].name, origin) == 0)
			break;
	if (i == nkeys) {
		fail("entry %" PRIu64 ": signed by key %08x, which is not in "
		    "the keyring", seq, e.key_id);
		goto out;
	}
	if (!ledger_vkey_verify_leaf(&keys[i], leaf, row->sig)) {
		fail("entry %" PRIu64 ": its signature does not verify", seq);
		goto out;
	}
	status = -1;
out:
	ledger_entry_release(&e);
	return status;
}

/* The proven entry, its audit path and the checkpoint, as JSON or text. */
static void
print_proof(const struct cli *cli, const struct ledger_signed_checkpoint *c,
    unsigned long long seq, const struct ledger_row *row,
    uint8_t (*proof)[LEDGER_HASH_BYTES], size_t n,
    const struct trust_pin *pin)
{
	uint8_t leaf[LEDGER_HASH_BYTES];
	char b64[LEDGER_B64_HASH_SIZE];
	size_t i;

	ledger_leaf_hash(row->entry, row->entry_len, leaf);
	if (cli->json) {
		printf("{\"origin\":");
		json_print_string(stdout, c->origin);
		ledger_b64_hash(leaf, b64);
		printf(",\"leaf_index\":%llu,\"tree_size\":%" PRIu64 ","
		    "\"leaf_hash\":\"%s\",\"audit_path\":", seq, c->size, b64);
		trust_json_hashes(stdout, &proof[0][0], n);
		ledger_b64_hash(c->root, b64);
		printf(",\"root_hash\":\"%s\",\"key_id\":\"%08x\",\"entry\":",
		    b64, c->key_id);
		fwrite(row->entry, 1, row->entry_len, stdout);
		printf(",\"checkpoint\":");
		json_print_string(stdout, c->note);
		trust_pin_json(stdout, pin);
		printf("}\n");
	} else {
		ledger_b64_hash(c->root, b64);
		printf("entry %llu is in the tree of size %" PRIu64 " of log "
		    "'%s'\n", seq, c->size, c->origin);
		printf("root_hash:    %s (checkpoint signed by key %08x)\n",
		    b64, c->key_id);
		ledger_b64_hash(leaf, b64);
		printf("leaf_hash:    %s\naudit_path:  ", b64);
		for (i = 0; i < n; i++) {
			ledger_b64_hash(proof[i], b64);
			printf("%s %s\n", i ? "             " : "", b64);
		}
		if (n == 0)
			printf(" (empty: the tree has one entry)\n");
		printf("entry:        ");
		fwrite(row->entry, 1, row->entry_len, stdout);
		printf("\n");
		trust_pin_text(stdout, pin);
	}
}

/* The checked proof as tlog-proof@v1 text, the entry as its extra. */
static int
print_tlog_proof(const struct ledger_signed_checkpoint *c,
    unsigned long long seq, const struct ledger_row *row,
    uint8_t (*proof)[LEDGER_HASH_BYTES], size_t n)
{
	struct ledger_buf b = LEDGER_BUF_INIT;
	struct ledger_error err;

	if (ledger_tlog_proof_format(&b, seq, row->entry, row->entry_len,
	    (const uint8_t (*)[LEDGER_HASH_BYTES])proof, n, c->note,
	    c->note_len, &err) != LEDGER_OK) {
		ledger_buf_release(&b);
		return fail("tlog-proof: %s", err.msg);
	}
	fwrite(b.data, 1, b.len, stdout);
	ledger_buf_release(&b);
	return finish(EXIT_YES);
}

int
cmd_prove(struct cli *cli, int argc, char **argv)
{
	static const struct option extra[] = {
		TRUST_LONG_OPTIONS,
		{ "size", required_argument, NULL, 's' },
		{ "tlog-proof", no_argument, NULL, 'T' },
		{ NULL, 0, NULL, 0 },
	};
	const struct command *cmd = find_command("prove");
	uint8_t proof[LEDGER_MERKLE_MAX_PROOF][LEDGER_HASH_BYTES];
	uint8_t claimed[LEDGER_HASH_BYTES];
	struct prove_opts o;
	struct tlog_src src;
	struct ledger_signed_checkpoint c;
	struct trust_pin pin;
	struct ledger_vkey *keys = NULL;
	struct ledger_row row;
	struct ledger_error err;
	enum ledger_status st;
	unsigned long long seq;
	size_t nkeys = 0, n = 0;
	int r, first, status = EXIT_TROUBLE;
	bool has_claim;

	memset(&o, 0, sizeof(o));
	memset(&c, 0, sizeof(c));
	memset(&row, 0, sizeof(row));
	memset(&pin, 0, sizeof(pin));
	pin.p.dirfd = -1;
	if ((r = trust_parse(cli, cmd, argc, argv, extra, on_opt, &o, &o.t, 1,
	    "want exactly one SEQ", &first)) >= 0)
		return r;
	if (!parse_u64(argv[first], &seq) || seq > INT64_MAX)
		return usage_error(cmd, "bad SEQ '%s'", argv[first]);
	if (tlog_src_open(&src, cli->dir, cli->database, cli->log,
	    cli->url, cli->token, &err))
		return fail("open '%s': %s", cli_where(cli), err.msg);
	if ((r = trust_keys(&o.t, &src, &keys, &nkeys)) >= 0 ||
	    (r = trust_checkpoint(&o.t, &src, !o.has_size, o.size, keys,
	    nkeys, false, &c)) >= 0) {
		status = r;
		goto out;
	}
	if (seq >= c.size) {
		fail("entry %llu is not in the tree of size %" PRIu64 " of log "
		    "'%s'", seq, c.size, c.origin);
		status = EXIT_NO;
		goto out;
	}
	/* Before anything else is believed: the pin. */
	if ((r = trust_pin(&o.t, &src, keys, nkeys, &c, !o.has_size,
	    &pin)) >= 0) {
		status = r;
		goto out;
	}
	if ((st = tlog_get_entry(&src, seq, &row, &err)) != LEDGER_OK) {
		fail("entry %llu of %s: %s%s", seq, tlog_src_name(&src),
		    err.msg, st == LEDGER_EPERM ? " (give --token with read "
		    "scope)" : "");
		status = tlog_exit_status(st);
		goto out;
	}
	if ((r = check_entry(&row, seq, c.origin, keys, nkeys)) >= 0) {
		status = r;
		goto out;
	}
	st = tlog_get_inclusion(&src, seq, c.size, proof, &n, claimed,
	    &has_claim, &err);
	if (st != LEDGER_OK) {
		fail("inclusion proof of entry %llu in size %" PRIu64 " from "
		    "%s: %s", seq, c.size, tlog_src_name(&src), err.msg);
		status = tlog_exit_status(st);
		goto out;
	}
	if ((st = ledger_checkpoint_check_inclusion(&c, seq, row.entry, row.entry_len,
	    has_claim ? claimed : NULL, &proof[0][0], n, &err)) != LEDGER_OK) {
		fail("prove entry %llu in log '%s': %s", seq, c.origin,
		    err.msg);
		status = tlog_exit_status(st);
		goto out;
	}
	/* Proven: now the pin may move forward to this checkpoint. */
	if ((r = trust_pin_commit(&pin, &c)) >= 0) {
		status = r;
		goto out;
	}
	if (o.tlog) {
		status = print_tlog_proof(&c, seq, &row, proof, n);
		goto out;
	}
	print_proof(cli, &c, seq, &row, proof, n, &pin);
	status = finish(EXIT_YES);
out:
	trust_pin_release(&pin);
	ledger_row_release(&row);
	ledger_signed_checkpoint_release(&c);
	tlog_src_close(&src);
	free(keys);
	return status;
}
