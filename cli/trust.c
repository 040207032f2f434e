/*
 * trust.c - the keyring, verified checkpoints and the pin, with their
 * messages, for checkpoint, prove, consistency and verify (see trust.h)
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ledger/jcs.h"
#include "ledger/keyhist.h"
#include "http.h"
#include "trust.h"

int
trust_on_opt(struct trust_opts *t, int c, const char *arg, int *ret)
{
	*ret = -1;
	switch (c) {
	case TRUST_OPT_KEY:
		if (t->nkeyfiles == TRUST_MAX_KEYFILES)
			*ret = fail("too many --key options");
		else
			t->keyfile[t->nkeyfiles++] = arg;
		return 1;
	case TRUST_OPT_PIN:
		t->pin_file = arg;
		return 1;
	case TRUST_OPT_NO_PIN:
		t->no_pin = true;
		return 1;
	}
	return 0;
}

int
trust_keys(const struct trust_opts *t, const struct tlog_src *src,
    struct ledger_vkey **ret, size_t *ret_n)
{
	struct ledger_vkey *keys = NULL, *more, *grown;
	const struct ledger_vkey *own;
	struct ledger_error err;
	size_t n = 0, k;
	int i;

	*ret = NULL;
	*ret_n = 0;
	for (i = 0; i < t->nkeyfiles; i++) {
		if (ledger_vkey_load_file(t->keyfile[i], &more, &k, &err)) {
			free(keys);
			return fail("key '%s': %s", t->keyfile[i], err.msg);
		}
		if ((grown = realloc(keys, (n + k) * sizeof(*keys))) == NULL) {
			free(more);
			free(keys);
			return fail("out of memory");
		}
		keys = grown;
		memcpy(keys + n, more, k * sizeof(*keys));
		n += k;
		free(more);
	}
	if (n == 0 && src->store != NULL) {
		if ((own = ledger_store_vkey(src->store)) == NULL)
			return fail("'%s' has no %s: give --key FILE", src->dir,
			    LEDGER_PUB_FILE);
		if ((keys = malloc(sizeof(*keys))) == NULL)
			return fail("out of memory");
		keys[0] = *own;
		n = 1;
	}
	if (n == 0)
		return fail("no verifier key: --url needs --key FILE, the "
		    "log's public key from a copy you trust");
	*ret = keys;
	*ret_n = n;
	return -1;
}

/* The log has no checkpoint: a "no" if we pinned one of it before. */
static int
no_checkpoint(const struct trust_opts *t, struct tlog_src *src,
    const struct ledger_vkey *keys, size_t nkeys, bool optional,
    const char *why)
{
	struct ledger_error err;
	struct ledger_pin p;
	char b64[LEDGER_B64_HASH_SIZE];
	size_t i;

	for (i = 0; i < nkeys && !t->no_pin; i++) {
		if (src->store != NULL &&
		    strcmp(keys[i].name, ledger_store_origin(src->store)) != 0)
			continue;
		if (ledger_pin_open(&p, t->pin_file, keys[i].name, keys, nkeys,
		    &err) != LEDGER_OK) {
			if (err.code == LEDGER_EEXIST)
				continue;
			fail("log '%s': %s", keys[i].name, err.msg);
			return tlog_exit_status(err.code);
		}
		if (p.have) {
			ledger_b64_hash(p.cp.root, b64);
			fail("log '%s' contradicts the pin '%s': it has no "
			    "checkpoint, but the pinned checkpoint (size %"
			    PRIu64 ", root_hash %s) was signed by it: its "
			    "checkpoints were removed", keys[i].name, p.path,
			    p.cp.size, b64);
			ledger_pin_close(&p);
			return EXIT_NO;
		}
		ledger_pin_close(&p);
	}
	if (optional)
		return -1;
	fail("%s: %s", tlog_src_name(src), why);
	return EXIT_TROUBLE;
}

/* One record of GET /v1/keys, proven into h. */
static enum ledger_status
add_url_record(struct ledger_keyhist *h, const json_t *o,
    struct ledger_error *err)
{
	const char *e = json_string_value(json_object_get(o, "entry"));
	const char *p = json_string_value(json_object_get(o, "payload"));
	const char *g = json_string_value(json_object_get(o, "signature"));
	uint8_t sig[LEDGER_SIG_BYTES], *eb = NULL, *pb = NULL;
	enum ledger_status st;
	long el = -1, pl = -1;

	if (e != NULL && p != NULL && (eb = malloc(strlen(e))) != NULL &&
	    (pb = malloc(strlen(p) + 1)) != NULL) {
		el = ledger_b64_decode(e, strlen(e), eb, strlen(e), NULL);
		pl = ledger_b64_decode(p, strlen(p), pb, strlen(p) + 1, NULL);
	}
	if (el <= 0 || pl < 0 || g == NULL || strlen(g) != 2 * sizeof(sig) ||
	    ledger_unhex(g, sig, sizeof(sig), NULL) != LEDGER_OK)
		st = ledger_errorf(err, LEDGER_ECHAIN, "a malformed record");
	else
		st = ledger_keyhist_add_record(h, eb, (size_t)el, sig, pb,
		    (size_t)pl, err);
	free(eb);
	free(pb);
	return st;
}

/* The key records a daemon serves (GET /v1/keys, public), proven one by
 * one from the roots; a daemon without that route has no rotation. */
static int
url_history(const struct tlog_src *src, struct ledger_keyhist *h)
{
	struct http_resp resp;
	struct ledger_error err;
	json_t *doc = NULL, *o;
	size_t i;
	int r = -1;

	if (http_get(src->url, "/v1/keys", NULL, &resp, &err) != LEDGER_OK)
		return fail("%s: %s", src->url, err.msg);
	if (resp.status == 404) {
		http_resp_release(&resp);
		return -1;
	}
	if (resp.status != 200 || ledger_json_parse(resp.body, resp.len, &doc,
	    &err) != LEDGER_OK || !json_is_array(json_object_get(doc,
	    "records")))
		r = fail("%s/v1/keys: not the key records (status %d)",
		    src->url, resp.status);
	json_array_foreach(json_object_get(doc, "records"), i, o)
		if (r < 0 && add_url_record(h, o, &err) != LEDGER_OK)
			r = fail("%s: the key history: %s", src->url, err.msg);
	json_decref(doc);
	http_resp_release(&resp);
	return r;
}

/*
 * The trusted keys and every key the log announced since, each proven
 * from them (a key-added entry signed by a key valid there): a pin
 * follows a rotation only through the log's own record of it.
 */
int
trust_history(const struct tlog_src *src, const struct ledger_vkey *keys,
    size_t nkeys, struct ledger_keyhist *h)
{
	struct ledger_error err;

	if (src->store != NULL) {
		if (ledger_store_keyhist_proven(src->store, keys, nkeys, h,
		    &err) != LEDGER_OK)
			return fail("%s: the key history: %s",
			    tlog_src_name(src), err.msg);
		return -1;
	}
	ledger_keyhist_init(h, keys, nkeys);
	return src->url != NULL ? url_history(src, h) : -1;
}

static int
with_history(const struct tlog_src *src, const struct ledger_vkey *keys,
    size_t nkeys, struct ledger_vkey **ret, size_t *ret_n,
    struct ledger_keyhist *h_out)
{
	struct ledger_keyhist h;
	size_t i;
	int r;

	if ((r = trust_history(src, keys, nkeys, &h)) >= 0)
		return r;
	if (h_out != NULL)
		*h_out = h;
	if ((*ret = calloc(h.n + 1, sizeof(**ret))) == NULL)
		return fail("out of memory");
	for (i = 0; i < h.n; i++)
		(*ret)[i] = h.keys[i].vk;
	*ret_n = h.n;
	return -1;
}

int
trust_checkpoint(const struct trust_opts *t, struct tlog_src *src,
    bool latest, uint64_t size, const struct ledger_vkey *keys,
    size_t nkeys, bool optional, struct ledger_signed_checkpoint *ret)
{
	struct ledger_vkey *all = NULL;
	struct ledger_keyhist h;
	struct ledger_error err;
	enum ledger_status st;
	char *note = NULL, what[64], buf[192];
	const char *why;
	size_t len, nall = 0;
	int r;

	memset(ret, 0, sizeof(*ret));
	if (latest)
		snprintf(what, sizeof(what), "newest checkpoint");
	else
		snprintf(what, sizeof(what), "checkpoint of size %" PRIu64,
		    size);
	st = tlog_get_checkpoint(src, latest, size, &note, &len, &err);
	if (st == LEDGER_ENOTFOUND && latest)
		return no_checkpoint(t, src, keys, nkeys, optional, err.msg);
	if (st != LEDGER_OK) {
		fail("%s of %s: %s", what, tlog_src_name(src), err.msg);
		return tlog_exit_status(st);
	}
	if ((r = with_history(src, keys, nkeys, &all, &nall, &h)) >= 0) {
		free(note);
		return r;
	}
	st = ledger_checkpoint_verify(note, len, all, nall, ret, &err);
	free(all);
	/* a key of the history, but one that may sign a tree of this size
	 * (not a retired or revoked key signing a fork) */
	if (st == LEDGER_OK && ((why = ledger_keyhist_check_note(&h, note, len,
	    ret->size, buf, sizeof(buf))) != NULL ||
	    (why = ledger_keyhist_check_commitment(&h, note, len, ret->size,
	    buf, sizeof(buf))) != NULL)) {
		ledger_signed_checkpoint_release(ret);
		st = ledger_errorf(&err, LEDGER_ECRYPTO, "%s", why);
	}
	free(note);
	if (st != LEDGER_OK) {
		fail("%s of %s: %s", what, tlog_src_name(src), err.msg);
		return tlog_exit_status(st);
	}
	if (!latest && ret->size != size) {
		fail("%s of %s: the source sent the checkpoint of size %"
		    PRIu64, what, tlog_src_name(src), ret->size);
		ledger_signed_checkpoint_release(ret);
		return EXIT_NO;
	}
	if (src->store != NULL &&
	    strcmp(ret->origin, ledger_store_origin(src->store)) != 0) {
		fail("%s of %s: it is a checkpoint of log '%s', not '%s'",
		    what, tlog_src_name(src), ret->origin,
		    ledger_store_origin(src->store));
		ledger_signed_checkpoint_release(ret);
		return EXIT_NO;
	}
	return -1;
}

int
trust_pin(const struct trust_opts *t, struct tlog_src *src,
    const struct ledger_vkey *keys, size_t nkeys,
    const struct ledger_signed_checkpoint *c, bool newest, struct trust_pin *out)
{
	struct ledger_vkey *all = NULL;
	struct ledger_error err;
	enum ledger_status st;
	size_t nall = 0;
	int r;

	memset(out, 0, sizeof(*out));
	out->p.dirfd = -1;
	if (t->no_pin)
		return -1;
	out->enabled = true;
	if ((r = with_history(src, keys, nkeys, &all, &nall, NULL)) >= 0)
		return r;
	st = ledger_pin_open(&out->p, t->pin_file, c->origin, all, nall, &err);
	free(all);
	if (st != LEDGER_OK) {
		/* Reported once, as what it is; never as "not pinned". */
		snprintf(out->detail, sizeof(out->detail), "%s", err.msg);
		snprintf(out->path, sizeof(out->path), "%s", out->p.path);
		out->contradicted = err.code == LEDGER_ECRYPTO;
		out->other_key = out->contradicted;
		out->failed = !out->contradicted;
		fail("log '%s': %s", c->origin, err.msg);
		if (out->other_key)
			fprintf(stderr, "ledgerctl: if the log was recreated on "
			    "purpose, remove that pin file (%s); or check "
			    "against another pin with --pin FILE, or without "
			    "one with --no-pin\n", out->path);
		return tlog_exit_status(err.code);
	}
	snprintf(out->path, sizeof(out->path), "%s", out->p.path);
	if ((out->had = out->p.have)) {
		out->prev_size = out->p.cp.size;
		memcpy(out->prev_root, out->p.cp.root, LEDGER_HASH_BYTES);
	}
	st = ledger_pin_check(&out->p, tlog_prove_consistency, src, c, newest, &out->result, NULL, NULL,
	    &err);
	if (st == LEDGER_ECHAIN) {
		out->contradicted = true;
		snprintf(out->detail, sizeof(out->detail), "%s", err.msg);
		fail("log '%s' contradicts the pin '%s': %s", c->origin,
		    out->path, err.msg);
		return EXIT_NO;
	}
	if (st != LEDGER_OK) {
		fail("log '%s': pin '%s': %s", c->origin, out->path, err.msg);
		return tlog_exit_status(st);
	}
	return -1;
}

int
trust_pin_commit(struct trust_pin *p, const struct ledger_signed_checkpoint *c)
{
	struct ledger_error err;
	char b64[LEDGER_B64_HASH_SIZE];

	if (!p->enabled || p->contradicted || p->p.dirfd < 0)
		return -1;
	if (ledger_pin_update(&p->p, c, &p->moved, &err) != LEDGER_OK)
		return fail("log '%s': update the pin: %s", c->origin,
		    err.msg);
	if (!p->had && p->moved) {
		ledger_b64_hash(c->root, b64);
		fprintf(stderr, "ledgerctl: no pinned checkpoint of log '%s': "
		    "trusting checkpoint size %" PRIu64 " root_hash %s on "
		    "first use; pinned in '%s'\n", c->origin, c->size, b64,
		    p->path);
	}
	return -1;
}

void
trust_pin_release(struct trust_pin *p)
{
	if (p != NULL)
		ledger_pin_close(&p->p);
}

void
trust_json_hashes(FILE *f, const uint8_t *hashes, size_t count)
{
	char b64[LEDGER_B64_HASH_SIZE];
	size_t i;

	fputc('[', f);
	for (i = 0; i < count; i++) {
		ledger_b64_hash(hashes + i * LEDGER_HASH_BYTES, b64);
		fprintf(f, "%s\"%s\"", i ? "," : "", b64);
	}
	fputc(']', f);
}

void
trust_pin_json(FILE *f, const struct trust_pin *p)
{
	char b64[LEDGER_B64_HASH_SIZE];

	fputs(",\"pin\":", f);
	if (!p->enabled) {
		fputs("null", f);
		return;
	}
	fputs("{\"path\":", f);
	json_print_string(f, p->path);
	fprintf(f, ",\"status\":\"%s\",\"updated\":%s",
	    p->contradicted ? "contradicted" : p->failed ? "unreadable" :
	    ledger_pin_result_name(p->result),
	    p->moved ? "true" : "false");
	if (p->had) {
		ledger_b64_hash(p->prev_root, b64);
		fprintf(f, ",\"pinned_size\":%" PRIu64 ",\"pinned_root_hash\":"
		    "\"%s\"", p->prev_size, b64);
	} else
		fputs(",\"pinned_size\":null,\"pinned_root_hash\":null", f);
	if (p->contradicted || p->failed) {
		fputs(",\"detail\":", f);
		json_print_string(f, p->detail);
	}
	fputc('}', f);
}

void
trust_pin_text(FILE *f, const struct trust_pin *p)
{
	if (!p->enabled) {
		fprintf(f, "pin:          not checked (--no-pin)\n");
		return;
	}
	if (p->contradicted)
		fprintf(f, "pin:          CONTRADICTED: %s\n", p->detail);
	else if (p->failed)
		fprintf(f, "pin:          not checked: %s\n", p->detail);
	else if (!p->had)
		fprintf(f, "pin:          %s (first use)\n", p->moved ?
		    "pinned" : "none, not pinned");
	else if (p->moved)
		fprintf(f, "pin:          consistent; advanced from size %"
		    PRIu64 "\n", p->prev_size);
	else
		fprintf(f, "pin:          consistent with size %" PRIu64 "\n",
		    p->prev_size);
	fprintf(f, "pin_file:     %s\n", p->path);
}

int
trust_parse(struct cli *cli, const struct command *cmd, int argc,
    char **argv, const struct option *extra,
    int (*on_opt)(void *ctx, int c, const char *arg), void *ctx,
    const struct trust_opts *t, int operands, const char *want, int *first)
{
	int r;

	if ((r = parse_options(cli, cmd, argc, argv, extra, "k:", on_opt, ctx,
	    first)) >= 0)
		return r;
	if (cli->url == NULL && (r = need_dir(cli, cmd)) >= 0)
		return r;
	if (cli->csv)
		return usage_error(cmd, "no --csv here: use --json");
	if (argc - *first != operands)
		return operands == 0 ? usage_error(cmd, "unexpected argument "
		    "'%s'", argv[*first]) : usage_error(cmd, "%s", want);
	if (cli->url != NULL && t->nkeyfiles == 0)
		return usage_error(cmd, "%s --url needs --key FILE: the log's "
		    "public key, from a copy you trust", cmd->name);
	return -1;
}

int
trust_only_opt(void *ctx, int c, const char *arg)
{
	int r;

	if (trust_on_opt(ctx, c, arg, &r))
		return r;
	return -1;
}
