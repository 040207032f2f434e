/*
 * cmd-checkpoint.c - ledgerctl checkpoint: the log's newest signed
 * checkpoint, verified and proven consistent with the pin
 *
 * Checks, in order: the note's signature by the log's key (named like its
 * origin); that the log still holds the tree it signed (a data directory:
 * the stored tree's root at that size; a daemon: an audit path of the last
 * leaf to the signed root); then consistency with the pinned checkpoint.
 * Only then is the pin moved forward and the checkpoint printed.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "ledger/tree.h"
#include "cli.h"
#include "trust.h"

/* Does the source still hold the tree of size c->size with c's root? */
static int
check_held(struct tlog_src *src, const struct ledger_signed_checkpoint *c)
{
	uint8_t proof[LEDGER_MERKLE_MAX_PROOF][LEDGER_HASH_BYTES];
	uint8_t root[LEDGER_HASH_BYTES], leaf[LEDGER_HASH_BYTES];
	struct ledger_error err;
	enum ledger_status st;
	size_t n;
	bool has_leaf;

	if (src->store != NULL) {
		st = ledger_store_tree_root(src->store, c->size, root, &err);
		if (st == LEDGER_OK && sodium_memcmp(root, c->root,
		    sizeof(root)) != 0)
			st = ledger_errorf(&err, LEDGER_ECHAIN, "the stored "
			    "tree's root differs from the signed one");
	} else if (c->size == 0) {
		return -1;
	} else {
		st = tlog_get_inclusion(src, c->size - 1, c->size, proof, &n,
		    leaf, &has_leaf, &err);
		if (st == LEDGER_OK)
			st = ledger_merkle_verify_inclusion(c->size - 1,
			    c->size, leaf, &proof[0][0], n, c->root, &err);
	}
	if (st == LEDGER_OK)
		return -1;
	fail("log '%s' does not hold the tree of its newest checkpoint (size %"
	    PRIu64 "): %s", c->origin, c->size, err.msg);
	return st == LEDGER_EIO || st == LEDGER_EDB || st == LEDGER_ENOMEM ||
	    st == LEDGER_EPERM ? EXIT_TROUBLE : EXIT_NO;
}

int
cmd_checkpoint(struct cli *cli, int argc, char **argv)
{
	static const struct option extra[] = {
		TRUST_LONG_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	const struct command *cmd = find_command("checkpoint");
	struct trust_opts o;
	struct tlog_src src;
	struct ledger_signed_checkpoint c;
	struct trust_pin pin;
	struct ledger_vkey *keys = NULL;
	struct ledger_error err;
	char b64[LEDGER_B64_HASH_SIZE];
	size_t nkeys = 0;
	int r, first, status = EXIT_TROUBLE;

	memset(&o, 0, sizeof(o));
	memset(&c, 0, sizeof(c));
	memset(&pin, 0, sizeof(pin));
	pin.p.dirfd = -1;
	if ((r = trust_parse(cli, cmd, argc, argv, extra, trust_only_opt, &o, &o, 0,
	    NULL, &first)) >= 0)
		return r;
	if (tlog_src_open(&src, cli->dir, cli->database, cli->log,
	    cli->url, cli->token, &err))
		return fail("open '%s': %s", cli_where(cli), err.msg);
	if ((r = trust_keys(&o, &src, &keys, &nkeys)) >= 0 ||
	    (r = trust_checkpoint(&o, &src, true, 0, keys, nkeys, false,
	    &c)) >= 0 ||
	    (r = check_held(&src, &c)) >= 0 ||
	    (r = trust_pin(&o, &src, keys, nkeys, &c, true, &pin)) >= 0 ||
	    (r = trust_pin_commit(&pin, &c)) >= 0) {
		status = r;
		goto out;
	}
	ledger_b64_hash(c.root, b64);
	if (cli->json) {
		printf("{\"origin\":");
		json_print_string(stdout, c.origin);
		printf(",\"size\":%" PRIu64 ",\"root_hash\":\"%s\",\"key_id\":"
		    "\"%08x\",\"note\":", c.size, b64, c.key_id);
		json_print_string(stdout, c.note);
		trust_pin_json(stdout, &pin);
		printf("}\n");
	} else {
		printf("origin:       %s\nsize:         %" PRIu64 "\n"
		    "root_hash:    %s\nkey_id:       %08x (signature "
		    "verified)\n", c.origin, c.size, b64, c.key_id);
		trust_pin_text(stdout, &pin);
		printf("\n%s", c.note);
	}
	status = finish(EXIT_YES);
out:
	trust_pin_release(&pin);
	ledger_signed_checkpoint_release(&c);
	tlog_src_close(&src);
	free(keys);
	return status;
}
