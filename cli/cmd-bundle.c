/*
 * cmd-bundle.c - ledgerctl bundle: evidence to take away; and ledgerctl
 * verify --bundle: check one offline (ledger/bundle.h)
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ledger/bundle.h"
#include "ledger/keyhist.h"
#include "ledger/retention.h"
#include "ledger/file.h"
#include "ledger/query.h"
#include "ledger/timeline.h"
#include "cli.h"
#include "progress.h"
#include "remote.h"
#include "tlog.h"
#include "trust.h"

#define OPT_SEQ 3000
#define OPT_IDS 3001
#define OPT_PAYLOADS 3002
#define OPT_PERIOD 3003
#define OPT_OUT 'o'
/* Most seqs --seq and --ids-file select. */
#define SEQS_MAX ((size_t)100 << 20)

struct bundle_opts {
	struct trust_opts t;		/* --key, for --url */
	struct ledger_query q;
	bool filtered;			/* an events filter or --period */
	const char *seq_list, *ids_file, *out;
	bool payloads;
	struct ledger_seqs s;
};

static int
on_opt(void *ctx, int c, const char *arg)
{
	struct bundle_opts *o = ctx;
	struct ledger_error err;
	int64_t from, to;
	int r;

	if (trust_on_opt(&o->t, c, arg, &r))
		return r;
	switch (c) {
	case OPT_SEQ: o->seq_list = arg; return -1;
	case OPT_IDS: o->ids_file = arg; return -1;
	case OPT_PAYLOADS: o->payloads = true; return -1;
	case OPT_OUT: o->out = arg; return -1;
	case OPT_PERIOD:
		if (ledger_period_parse(arg, &from, &to, &err) != LEDGER_OK)
			return usage_error(find_command("bundle"), "--period: "
			    "%s", err.msg);
		o->q.since_ms = from;
		o->q.until_ms = to;
		o->filtered = true;
		return -1;
	default:
		break;
	}
	/* (-k is --key here, taken above: the kind is --kind) */
	if (c < CLI_OPT_FILTER || c >= CLI_OPT_FILTER + (int)CLI_NFILTERS)
		return -1;
	if (ledger_query_param(&o->q, cli_filter_names[c - CLI_OPT_FILTER],
	    arg, &err) != LEDGER_OK)
		return usage_error(find_command("bundle"), "%s", err.msg);
	o->filtered = true;
	return -1;
}

static int
collect(void *ctx, const struct ledger_row *row)
{
	return ledger_seqs_push(ctx, row->e.seq) != LEDGER_OK;
}

static int select_seqs(struct bundle_opts *o, struct ledger_store *s);
static int add_records(struct cli *cli, struct bundle_opts *o,
    struct ledger_store *s, bool payloads);

/* ---- a daemon as the source (--url): every checkpoint it sends is
 * checked against --key before it goes in ---- */

struct url_src {
	struct tlog_src t;
	const struct cli *cli;
	const struct ledger_vkey *keys;
	size_t nkeys;
	struct ledger_signed_checkpoint newest;	/* verified */
};

static enum ledger_status
u_checkpoint(void *ctx, bool latest, uint64_t size, char **note,
    size_t *len, uint64_t *ret_size, struct ledger_error *err)
{
	struct url_src *u = ctx;
	struct ledger_signed_checkpoint cp;
	enum ledger_status st;

	if ((st = tlog_get_checkpoint(&u->t, latest, size, note, len, err)))
		return st;
	if ((st = ledger_checkpoint_verify(*note, *len, u->keys, u->nkeys,
	    &cp, err)) != LEDGER_OK) {
		free(*note);
		*note = NULL;
		return st;
	}
	*ret_size = cp.size;
	ledger_signed_checkpoint_release(&cp);
	if (!latest && *ret_size != size) {
		free(*note);
		*note = NULL;
		return ledger_errorf(err, LEDGER_EINVAL, "asked for the "
		    "checkpoint of size %" PRIu64 ", got %" PRIu64, size,
		    *ret_size);
	}
	return LEDGER_OK;
}

static enum ledger_status
u_entry(void *ctx, uint64_t seq, struct ledger_row *row,
    struct ledger_error *err)
{
	return tlog_get_entry(&((struct url_src *)ctx)->t, seq, row, err);
}

static enum ledger_status
u_inclusion(void *ctx, uint64_t seq, uint64_t size,
    uint8_t (*path)[LEDGER_HASH_BYTES], size_t *n, struct ledger_error *err)
{
	uint8_t leaf[LEDGER_HASH_BYTES];
	bool has;

	return tlog_get_inclusion(&((struct url_src *)ctx)->t, seq, size,
	    path, n, leaf, &has, err);
}

static enum ledger_status
u_consistency(void *ctx, uint64_t m, uint64_t n,
    uint8_t (*path)[LEDGER_HASH_BYTES], size_t *count,
    struct ledger_error *err)
{
	return tlog_get_consistency(&((struct url_src *)ctx)->t, m, n, path,
	    count, err);
}

static enum ledger_status
u_payload(void *ctx, uint64_t seq, uint8_t **ret, size_t *len,
    struct ledger_error *err)
{
	struct url_src *u = ctx;
	struct ledger_row row;

	memset(&row, 0, sizeof(row));
	if (remote_get(u->cli, seq, &row, ret, len, true) >= 0)
		return ledger_errorf(err, LEDGER_EIO, "fetch the payload of "
		    "entry %" PRIu64 " (said above)", seq);
	ledger_row_release(&row);
	return LEDGER_OK;
}

/* Write the bundle from cli->url. */
static int
url_bundle(struct cli *cli, struct bundle_opts *o,
    const struct ledger_bundle_opts *bo, struct ledger_bundle_stats *st)
{
	struct url_src u = { { NULL, NULL, cli->url, cli->token }, cli, NULL,
	    0, { 0 } };
	struct ledger_vkey *keys = NULL;
	struct ledger_bundle_source src = { &u, NULL, NULL, u_checkpoint,
	    u_entry, u_inclusion, u_consistency, u_payload, NULL };
	struct ledger_keyhist hist;
	struct ledger_vkey vks[LEDGER_KEYHIST_MAX];
	struct ledger_error err;
	size_t nkeys = 0, i;
	int r;

	if (o->t.nkeyfiles == 0)
		return usage_error(find_command("bundle"), "--url needs --key "
		    "FILE: the log's public key, from a copy you trust");
	if ((r = trust_keys(&o->t, &u.t, &keys, &nkeys)) >= 0)
		return r;
	/* every checkpoint the daemon sends is checked against the keys
	 * of the history proven from --key (a rotated log) */
	if ((r = trust_history(&u.t, keys, nkeys, &hist)) >= 0)
		goto out;
	for (i = 0; i < hist.n; i++)
		vks[i] = hist.keys[i].vk;
	u.keys = vks;
	u.nkeys = hist.n;
	/* the origin and key of the log: those of its newest checkpoint */
	if ((r = trust_checkpoint(&o->t, &u.t, true, 0, keys, nkeys, false,
	    &u.newest)) >= 0)
		goto out;
	src.origin = u.newest.origin;
	for (i = 0; i < hist.n; i++)
		if (vks[i].id == u.newest.key_id &&
		    strcmp(vks[i].name, u.newest.origin) == 0)
			src.vkey = &vks[i];
	if (o->filtered && (r = remote_events(cli, &o->q, collect, &o->s)) >=
	    0)
		goto out;
	if ((r = select_seqs(o, NULL)) >= 0 ||
	    (r = add_records(cli, o, NULL, bo->payloads)) >= 0)
		goto out;
	src.hist = &hist;
	if (ledger_bundle_write_from(&src, o->s.v, o->s.n, bo, o->out, st,
	    &err) != LEDGER_OK)
		r = fail("bundle '%s': %s", o->out, err.msg);
out:
	ledger_signed_checkpoint_release(&u.newest);
	free(keys);
	return r;
}

/* ledger_bundle_query_fn for a daemon (--url). */
static enum ledger_status
url_query(void *ctx, const struct ledger_query *q,
    int (*fn)(void *fctx, const struct ledger_row *row), void *fctx,
    struct ledger_error *err)
{
	if (remote_events(ctx, q, fn, fctx) >= 0)
		return ledger_errorf(err, LEDGER_EIO, "the daemon did not "
		    "list the log's records");
	return LEDGER_OK;
}

/* The newest checkpoint's size (a record past it cannot be proven yet:
 * writing the bundle then says no checkpoint covers the selection). */
static uint64_t
below_checkpoint(struct ledger_store *s)
{
	struct ledger_signed_checkpoint cp;
	uint64_t size;

	if (ledger_store_checkpoint_latest(s, &cp, NULL) != LEDGER_OK)
		return UINT64_MAX;
	size = cp.size;
	ledger_signed_checkpoint_release(&cp);
	return size;
}

/* Records a bundle needs beside what was selected (key records, and
 * with payloads the prune records: ledger_bundle_add_records). */
static int
add_records(struct cli *cli, struct bundle_opts *o, struct ledger_store *s,
    bool payloads)
{
	struct ledger_error err;

	if ((s != NULL ? ledger_bundle_add_records(&o->s, payloads,
	    below_checkpoint(s), ledger_bundle_store_query, s, &err) :
	    ledger_bundle_add_records(&o->s, payloads, UINT64_MAX, url_query,
	    (void *)cli, &err)) != LEDGER_OK)
		return fail("select the log's records: %s", err.msg);
	return -1;
}

/* The selected seqs, ascending, each once. */
static int
select_seqs(struct bundle_opts *o, struct ledger_store *s)
{
	const struct command *cmd = find_command("bundle");
	struct ledger_error err;
	char *text = NULL;
	size_t len;
	int modes = (o->seq_list != NULL) + (o->ids_file != NULL) +
	    o->filtered;

	if (modes != 1)
		return usage_error(cmd, "choose one selection: --seq LIST, "
		    "--ids-file FILE, or event filters / --period");
	if (o->seq_list != NULL && ledger_seqs_parse(&o->s, o->seq_list, ',',
	    SEQS_MAX, &err) != LEDGER_OK)
		return usage_error(cmd, "bad --seq '%s': %s (seqs and ranges: "
		    "3,4,9-12)", o->seq_list, err.msg);
	if (o->ids_file != NULL) {
		if (ledger_read_file(o->ids_file, 64 << 20, &text, &len,
		    &err) != LEDGER_OK)
			return fail("--ids-file: %s", err.msg);
		if (ledger_seqs_parse(&o->s, text, '\n', SEQS_MAX, &err) !=
		    LEDGER_OK) {
			free(text);
			return fail("--ids-file '%s': %s (one seq or range, "
			    "9-12, a line)", o->ids_file, err.msg);
		}
		free(text);
	}
	if (o->filtered && s != NULL && ledger_store_query(s, &o->q, collect,
	    &o->s, &err) != LEDGER_OK)
		return fail("select entries: %s", err.msg);
	if (o->s.n == 0)
		return fail("no entries selected");
	ledger_seqs_sort_unique(&o->s);
	return -1;
}

int
cmd_bundle(struct cli *cli, int argc, char **argv)
{
	struct option extra[CLI_NFILTERS + 9];
	const struct command *cmd = find_command("bundle");
	struct ledger_bundle_stats st;
	struct progress pg;
	enum ledger_status st_w;
	struct ledger_bundle_opts bo = { false, NULL, 0 };
	struct bundle_opts o;
	struct ledger_store *s = NULL;
	struct ledger_error err;
	struct stat sb;
	int r, first;
	size_t i;

	memset(&o, 0, sizeof(o));
	ledger_query_init(&o.q);
	i = cli_filter_options(extra);
	extra[i++] = (struct option){ "seq", required_argument, NULL, OPT_SEQ };
	extra[i++] = (struct option){ "ids-file", required_argument, NULL,
	    OPT_IDS };
	extra[i++] = (struct option){ "with-payloads", no_argument, NULL,
	    OPT_PAYLOADS };
	extra[i++] = (struct option){ "period", required_argument, NULL,
	    OPT_PERIOD };
	extra[i++] = (struct option){ "output", required_argument, NULL,
	    OPT_OUT };
	extra[i++] = (struct option){ "key", required_argument, NULL,
	    TRUST_OPT_KEY };
	extra[i] = (struct option){ NULL, 0, NULL, 0 };
	if ((r = parse_options(cli, cmd, argc, argv, extra, "k:o:", on_opt, &o,
	    &first)) >= 0)
		goto out;
	if (cli->url == NULL && (r = need_dir(cli, cmd)) >= 0)
		goto out;
	if (argc - first != 0 || o.out == NULL) {
		r = usage_error(cmd, argc - first != 0 ? "unexpected argument "
		    "'%s'" : "-o FILE is required%s", argc - first != 0 ?
		    argv[first] : "");
		goto out;
	}
	bo.payloads = o.payloads;
	progress_start(&pg, cli, "bundle", "entries");
	bo.progress = progress_cb;
	bo.progress_ctx = &pg;
	if (cli->url != NULL) {
		r = url_bundle(cli, &o, &bo, &st);
		progress_end(&pg);
		if (r >= 0)
			goto out;
	} else {
		if (cli_store_open(cli, LEDGER_STORE_READONLY, &s,
		    &err)) {
			r = fail("open '%s': %s", cli_where(cli), err.msg);
			goto out;
		}
		if ((r = select_seqs(&o, s)) >= 0 ||
		    (r = add_records(cli, &o, s, o.payloads)) >= 0)
			goto out;
		st_w = ledger_bundle_write(s, o.s.v, o.s.n, &bo, o.out, &st,
		    &err);
		progress_end(&pg);
		if (st_w != LEDGER_OK) {
			r = fail("bundle '%s': %s%s", o.out, err.msg, st_w ==
			    LEDGER_ECANCELED ? " (interrupted; nothing written)" :
			    "");
			goto out;
		}
	}
	if (stat(o.out, &sb) != 0)
		sb.st_size = 0;
	if (cli->json) {
		printf("{\"file\":");
		json_print_string(stdout, o.out);
		printf(",\"entries\":%" PRIu64 ",\"payloads\":%" PRIu64
		    ",\"checkpoint_size\":%" PRIu64 ",\"bytes\":%" PRIu64
		    ",\"entry_bytes\":%" PRIu64 ",\"file_bytes\":%lld,"
		    "\"payloads_pruned\":%" PRIu64 "}\n",
		    st.entries, st.payloads, st.checkpoint_size, st.bytes,
		    st.entry_bytes, (long long)sb.st_size, st.pruned);
	}
	else
		printf("wrote %s: %" PRIu64 " entries (%" PRIu64 " with "
		    "payloads, %" PRIu64 " pruned) proven to the checkpoint "
		    "of size %" PRIu64 "; "
		    "%" PRIu64 " bytes of JSON (%" PRIu64 " of entries), %lld "
		    "gzipped\n", o.out, st.entries, st.payloads, st.pruned,
		    st.checkpoint_size, st.bytes, st.entry_bytes,
		    (long long)sb.st_size);
	r = finish(EXIT_YES);
out:
	ledger_store_close(s);
	ledger_query_release(&o.q);
	ledger_seqs_release(&o.s);
	return r;
}

/* ---- verify --bundle ---- */

struct vout {
	const struct cli *cli;
	bool first;
};

static void
on_verdict(void *ctx, const struct ledger_bundle_verdict *v)
{
	struct vout *o = ctx;

	if (o->cli->json) {
		printf("%s{\"seq\":", o->first ? "" : ",");
		if (v->seq < 0)
			printf("null");
		else
			printf("%" PRId64, v->seq);
		printf(",\"ok\":%s", v->ok ? "true" : "false");
		if (!v->ok) {
			printf(",\"problem\":");
			json_print_string(stdout, v->problem);
		}
		printf("}");
	} else if (v->seq < 0) {
		printf("bundle: %s\n", v->problem);
	} else {
		printf("seq %" PRId64 ": %s%s\n", v->seq, v->ok ? "ok" :
		    "TAMPERED: ", v->ok ? "" : v->problem);
	}
	o->first = false;
}

int
verify_bundle(struct cli *cli, const char *path, const struct trust_opts *t)
{
	struct ledger_vkey *keys = NULL;
	struct tlog_src none;
	struct vout vo = { cli, true };
	struct ledger_error err;
	uint64_t n = 0, bad = 0;
	size_t nkeys = 0;
	int r;

	if (t->nkeyfiles == 0)
		return usage_error(find_command("verify"), "--bundle needs "
		    "--key FILE: the log's public key, from a copy you trust");
	memset(&none, 0, sizeof(none));
	if ((r = trust_keys(t, &none, &keys, &nkeys)) >= 0)
		return r;
	if (cli->json) {
		printf("{\"bundle\":");
		json_print_string(stdout, path);
		printf(",\"verdicts\":[");
	}
	if (ledger_bundle_verify(path, keys, nkeys, on_verdict, &vo, &n, &bad,
	    &err) != LEDGER_OK) {
		free(keys);
		if (cli->json)
			printf("]}\n");
		return fail("verify --bundle: %s", err.msg);
	}
	free(keys);
	if (cli->json)
		printf("],\"entries\":%" PRIu64 ",\"problems\":%" PRIu64
		    ",\"status\":\"%s\"}\n", n, bad, bad ? "tampered" :
		    "intact");
	else
		printf("bundle %s: %" PRIu64 " entries, %" PRIu64 " problems: "
		    "%s\n", path, n, bad, bad ? "TAMPERED" : "INTACT, every "
		    "entry signed and proven in the signed tree");
	return finish(bad ? EXIT_NO : EXIT_YES);
}
