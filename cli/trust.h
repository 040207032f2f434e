/*
 * trust.h - what checkpoint, prove, consistency and verify share: the
 * keyring, verified checkpoints and the pin, with their messages
 *
 * Each function prints its own error ("ledgerctl: what failed: why") and
 * returns an exit status, or -1 when all is well.
 */
#ifndef LEDGERCTL_TRUST_H
#define LEDGERCTL_TRUST_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "cli.h"
#include "ledger/pin.h"
#include "tlog.h"

#define TRUST_MAX_KEYFILES 16

/* The options --key FILE (repeatable), --pin FILE and --no-pin. */
struct trust_opts {
	const char *keyfile[TRUST_MAX_KEYFILES];
	int nkeyfiles;
	const char *pin_file;
	bool no_pin;
};

/* out of the range of the events filters (CLI_OPT_FILTER, cli.h), which
 * bundle takes beside them */
enum { TRUST_OPT_KEY = 'k', TRUST_OPT_PIN = 2900, TRUST_OPT_NO_PIN };

#define TRUST_LONG_OPTIONS \
	{ "key", required_argument, NULL, TRUST_OPT_KEY }, \
	{ "pin", required_argument, NULL, TRUST_OPT_PIN }, \
	{ "no-pin", no_argument, NULL, TRUST_OPT_NO_PIN }

/* Take one of those options: 1 if c was one (and -1 in *ret, or an exit
 * status on misuse), 0 if c is not a trust option. */
int trust_on_opt(struct trust_opts *t, int c, const char *arg, int *ret);
/* parse_options' callback for a command whose only options are these;
 * ctx is its struct trust_opts. */
int trust_only_opt(void *ctx, int c, const char *arg);

/* The keyring: every key of the --key files, or else (a data directory
 * only) its ledger.pub.  *ret is malloc'd (free(3)). */
int trust_keys(const struct trust_opts *t, const struct tlog_src *src,
    struct ledger_vkey **ret, size_t *ret_n);

/* The key history of src's log from the trusted keys, every key record
 * proven (the store's, or GET /v1/keys): -1, or an exit status after
 * saying why. */
struct ledger_keyhist;
int trust_history(const struct tlog_src *src, const struct ledger_vkey *keys,
    size_t nkeys, struct ledger_keyhist *h);

/*
 * Fetch the newest checkpoint (latest) or the one of size and verify its
 * signature with the keyring into *ret (tlog_checkpoint_release).  When
 * the log has no checkpoint at all, a pin for it makes that a "no" (the
 * checkpoints were removed); without a pin it is an error, unless
 * optional is set: then all is well and ret->note is NULL.
 */
int trust_checkpoint(const struct trust_opts *t, struct tlog_src *src,
    bool latest, uint64_t size, const struct ledger_vkey *keys,
    size_t nkeys, bool optional, struct ledger_signed_checkpoint *ret);

/* The pin step: what it found, for the output, and the pin it holds
 * (locked) between trust_pin and trust_pin_release. */
struct trust_pin {
	bool enabled;			/* not --no-pin */
	bool had;			/* a pin existed */
	bool moved;			/* the pin now holds the checkpoint */
	bool contradicted;		/* shrank, forked or another key: detail */
	bool failed;			/* the pin could not be read: detail */
	bool other_key;			/* contradicted: pinned under another key */
	enum ledger_pin_result result;
	uint64_t prev_size;		/* the pin before, when had */
	uint8_t prev_root[LEDGER_HASH_BYTES];
	char path[PATH_MAX];
	char detail[600];
	struct ledger_pin p;
};

/*
 * Prove *c consistent with the pin of its log (newest: c is the log's
 * newest checkpoint), keeping the pin locked.  Always call
 * trust_pin_release afterwards; *out is filled even on failure.
 */
int trust_pin(const struct trust_opts *t, struct tlog_src *src,
    const struct ledger_vkey *keys, size_t nkeys,
    const struct ledger_signed_checkpoint *c, bool newest, struct trust_pin *out);

/* Once everything else is verified: move the pin forward to *c (never
 * back).  On first use says so on stderr. */
int trust_pin_commit(struct trust_pin *p, const struct ledger_signed_checkpoint *c);

/* Unlock.  Safe after any outcome, and twice. */
void trust_pin_release(struct trust_pin *p);

/* ,"pin":{...} for --json, and a "pin:" line for people. */
void trust_pin_json(FILE *f, const struct trust_pin *p);
void trust_pin_text(FILE *f, const struct trust_pin *p);

/* A JSON array of count base64 hashes. */
void trust_json_hashes(FILE *f, const uint8_t *hashes, size_t count);

/*
 * What checkpoint, consistency and prove share before they start: their
 * options (parse_options with the trust options' short "k:"), a data
 * directory or --url, no --csv, exactly operands operands (else "want"),
 * and --key with --url.  t is read after parsing.  Returns -1 to go on
 * (*first = the first operand), else the exit status.
 */
int trust_parse(struct cli *cli, const struct command *cmd, int argc,
    char **argv, const struct option *extra,
    int (*on_opt)(void *ctx, int c, const char *arg), void *ctx,
    const struct trust_opts *t, int operands, const char *want, int *first);

#endif
