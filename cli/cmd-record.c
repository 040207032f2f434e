/*
 * cmd-record.c - ledgerctl record scan|sbom|plan|run: append a report a
 * pipeline step wrote (lib/upload.c), to a data directory or through a
 * running ledgerd (POST /v1/reports), and print its receipt
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ledger/jcs.h"
#include "ledger/store.h"
#include "ledger/upload.h"
#include "ledger/wire.h"
#include "cli.h"
#include "http.h"
#include "input.h"

/* The subject options, long option value 'a' + index. */
static const struct { const char *opt; enum ledger_subject f; } subj[] = {
	{ "artifact", LEDGER_SUBJ_ARTIFACT }, { "commit", LEDGER_SUBJ_COMMIT },
	{ "env", LEDGER_SUBJ_ENVIRONMENT }, { "pipeline", LEDGER_SUBJ_PIPELINE },
	{ "run", LEDGER_SUBJ_RUN }, { "service", LEDGER_SUBJ_SERVICE },
	{ "actor", LEDGER_SUBJ_ACTOR }, { "ticket", LEDGER_SUBJ_TICKET },
	{ "deployment", LEDGER_SUBJ_DEPLOYMENT },
	/* --url is ledgerd's address: the subject's is --target-url */
	{ "target-url", LEDGER_SUBJ_URL },
};
#define NSUBJ (sizeof(subj) / sizeof(*subj))
#define OPT_SUBJ 3000

struct record_opts {
	struct ledger_upload_opts up;
	const char *file, *kind, *fail_on, *delivery;
	unsigned long long max_bytes;
	bool exit_code;		/* --exit-code: 1 when the verdict fails */
};

/* After the receipt: what the entry says of the report; the exit status
 * (1 for a failing verdict with --exit-code: recorded all the same). */
static int
verdict(const struct cli *cli, const struct record_opts *o,
    const char *format, const char *tool, const char *status,
    const char *summary)
{
	bool failed = status != NULL && (strcmp(status, "fail") == 0 ||
	    strcmp(status, "failed") == 0);

	if (!cli->json) {
		printf("report:     %s", format != NULL ? format : "-");
		if (tool != NULL)
			printf(" (%s)", tool);
		printf("\nverdict:    %s%s%s\n", status != NULL ? status : "-",
		    summary != NULL ? "  " : "", summary != NULL ? summary : "");
	}
	return finish(o->exit_code && failed ? EXIT_NO : EXIT_YES);
}

static int
on_opt(void *ctx, int c, const char *arg)
{
	struct record_opts *o = ctx;
	int s;

	if (c >= OPT_SUBJ && c < OPT_SUBJ + (int)NSUBJ) {
		o->up.subject[subj[c - OPT_SUBJ].f] = arg;
		return -1;
	}
	switch (c) {
	case 'f': o->file = arg; break;
	case 'k': o->kind = arg; break;
	case 'D': o->delivery = arg; break;
	case 'X': o->exit_code = true; break;
	case 'T': o->up.media_type = arg; break;
	case 'F':
		if ((s = ledger_severity_parse(arg)) < 0)
			return fail("bad --fail-on '%s': critical, high, medium, "
			    "low, unknown or none", arg);
		o->fail_on = arg;
		o->up.fail_on = (enum ledger_severity)s;
		o->up.fail_on_set = true;
		break;
	case 'M':
		if (!parse_u64(arg, &o->max_bytes) || o->max_bytes == 0)
			return fail("bad --max-bytes '%s'", arg);
		break;
	}
	return -1;
}

/* "/v1/reports?class=scan&artifact=..." */
static int
query_path(const struct record_opts *o, char *out, size_t n)
{
	char esc[3 * 4096 + 1];
	size_t len;
	size_t i;

	len = (size_t)snprintf(out, n, "/v1/reports?class=%s",
	    ledger_upload_class_name(o->up.cls));
#define ADD(name, v) do {						\
	if ((v) != NULL) {						\
		if (http_escape((v), esc, sizeof(esc)) == NULL)		\
			return fail("--%s: too long", name);		\
		len += (size_t)snprintf(out + len, n - len, "&%s=%s",	\
		    name, esc);						\
		if (len >= n)						\
			return fail("the options are too long");	\
	}								\
} while (0)
	ADD("kind", o->kind);
	ADD("fail_on", o->fail_on);
	for (i = 0; i < NSUBJ; i++)
		ADD(ledger_subject_name(subj[i].f),
		    o->up.subject[subj[i].f]);
#undef ADD
	return -1;
}

static int
record_remote(struct cli *cli, const struct record_opts *o, const char *in,
    size_t inlen)
{
	char path[8192], ct[160], idem[300];
	const char *hdr[4];
	struct ledger_receipt rc;
	struct http_resp resp;
	struct ledger_error err;
	char msg[300];
	json_t *doc = NULL;
	int r, n = 0;

	if ((r = query_path(o, path, sizeof(path))) >= 0)
		return r;
	snprintf(ct, sizeof(ct), "Content-Type: %s", o->up.media_type ?
	    o->up.media_type : "application/json");
	hdr[n++] = ct;
	hdr[n++] = "Expect:";
	if (o->delivery != NULL) {
		snprintf(idem, sizeof(idem), "Idempotency-Key: %s",
		    o->delivery);
		hdr[n++] = idem;
	}
	hdr[n] = NULL;
	if (http_post(cli->url, path, cli->token, hdr, in, inlen, &resp,
	    &err) != LEDGER_OK)
		return fail("%s: %s", cli->url, err.msg);
	if (resp.status != 200 && resp.status != 201) {
		r = fail("%s: %d: %s", cli->url, resp.status,
		    http_error_message(&resp, msg, sizeof(msg)));
		http_resp_release(&resp);
		return r;
	}
	if (cli->json)
		printf("%s\n", resp.body);
	r = EXIT_TROUBLE;
	if (ledger_json_parse(resp.body, resp.len, &doc, &err) == LEDGER_OK &&
	    ledger_receipt_parse(doc, &rc, &err) == LEDGER_OK) {
		if (!cli->json)
			print_receipt(cli, &rc);
		r = verdict(cli, o, json_string_value(json_object_get(doc,
		    "format")), json_string_value(json_object_get(doc, "tool")),
		    json_string_value(json_object_get(doc, "status")),
		    json_string_value(json_object_get(doc, "summary")));
	} else
		fail("%s: a receipt that does not parse: %s", cli->url,
		    err.msg);
	json_decref(doc);
	http_resp_release(&resp);
	return r;
}

static int
record_local(struct cli *cli, const struct record_opts *o, const char *in,
    size_t inlen)
{
	const struct ledger_entry *e;
	struct ledger_event *ev = NULL;
	struct ledger_store *s = NULL;
	struct ledger_receipt rc;
	struct ledger_row row;
	struct ledger_error err;
	int status;

	if (ledger_upload_event(in, inlen, &o->up, &ev, &err) != LEDGER_OK)
		return fail("'%s': %s", o->file, err.msg);
	if (ledger_event_set_source(ev, LEDGER_SRC_NAME, "ledgerctl", &err) ||
	    ledger_event_set_source(ev, LEDGER_SRC_AUTH, "local", &err) ||
	    (o->delivery && ledger_event_set_source(ev, LEDGER_SRC_DELIVERY,
	    o->delivery, &err))) {
		ledger_event_free(ev);
		return fail("bad option: %s", err.msg);
	}
	ev->dedupe_body = true;
	memset(&rc, 0, sizeof(rc));
	memset(&row, 0, sizeof(row));
	if ((status = append_one(cli, ev, &rc)) != EXIT_YES)
		goto out;
	e = &ev->e;
	/* a retry was not recorded: the verdict is the first upload's */
	if (rc.duplicate) {
		if (cli_store_open(cli, LEDGER_STORE_READONLY, &s,
		    &err) != LEDGER_OK || ledger_store_get(s, rc.seq, &row,
		    &err) != LEDGER_OK) {
			status = fail("read the recorded entry %llu: %s",
			    (unsigned long long)rc.seq, err.msg);
			goto out;
		}
		e = &row.e;
	}
	status = verdict(cli, o, e->source[LEDGER_SRC_EVENT],
	    e->subject[LEDGER_SUBJ_TOOL], e->subject[LEDGER_SUBJ_STATUS],
	    e->subject[LEDGER_SUBJ_SUMMARY]);
out:
	ledger_row_release(&row);
	ledger_store_close(s);
	ledger_event_free(ev);
	return status;
}

int
cmd_record(struct cli *cli, int argc, char **argv)
{
	static const struct option own[] = {
		{ "file", required_argument, NULL, 'f' },
		{ "kind", required_argument, NULL, 'k' },
		{ "fail-on", required_argument, NULL, 'F' },
		{ "type", required_argument, NULL, 'T' },
		{ "delivery", required_argument, NULL, 'D' },
		{ "max-bytes", required_argument, NULL, 'M' },
		{ "exit-code", no_argument, NULL, 'X' },
	};
	struct option extra[sizeof(own) / sizeof(*own) + NSUBJ + 1];
	const struct command *cmd = find_command("record");
	struct record_opts o;
	struct ledger_error err;
	enum ledger_kind k;
	const char *verb;
	char *in = NULL;
	size_t inlen, i;
	int r, first, c;

	memset(&o, 0, sizeof(o));
	memset(extra, 0, sizeof(extra));
	memcpy(extra, own, sizeof(own));
	for (i = 0; i < NSUBJ; i++) {
		extra[sizeof(own) / sizeof(*own) + i].name = subj[i].opt;
		extra[sizeof(own) / sizeof(*own) + i].has_arg =
		    required_argument;
		extra[sizeof(own) / sizeof(*own) + i].val = OPT_SUBJ + (int)i;
	}
	o.up.kind = -1;
	o.max_bytes = INPUT_MAX;
	if ((r = subcommand(cmd, argc, argv, "scan, sbom, plan or run",
	    &verb)) >= 0)
		return r;
	if ((c = ledger_upload_class_parse(verb)) <= 0)
		return usage_error(cmd, "record scan, sbom, plan or run, not "
		    "'%s'", verb);
	o.up.cls = (enum ledger_upload_class)c;
	if ((r = parse_options(cli, cmd, argc - 1, argv + 1, extra, "f:k:",
	    on_opt, &o, &first)) >= 0)
		return r;
	if (argc - 1 - first > 0)
		return usage_error(cmd, "too many arguments");
	if (o.file == NULL)
		return usage_error(cmd, "--file REPORT (or --file - for "
		    "standard input) is required");
	if (cli->url != NULL && cli->dir != NULL)
		return usage_error(cmd, "-d DIR or --url URL, not both: which "
		    "log is this report for?");
	if (cli->url == NULL && (r = need_dir(cli, cmd)) >= 0)
		return r;
	if (o.kind != NULL) {
		if (ledger_kind_parse(o.kind, &k, &err) != LEDGER_OK)
			return usage_error(cmd, "%s", err.msg);
		o.up.kind = (int)k;
	}
	if (read_input(o.file, o.max_bytes, &in, &inlen, &err) != LEDGER_OK)
		return fail("read '%s': %s", o.file, err.msg);
	r = cli->url != NULL ? record_remote(cli, &o, in, inlen) :
	    record_local(cli, &o, in, inlen);
	free(in);
	return r;
}
