/*
 * remote.c - ledgerctl commands against a running ledgerd (--url)
 *
 * Nothing the server says is trusted: each entry's bytes are rebuilt from
 * the JSON it sent (entries are RFC 8785 canonical, so parsing and
 * re-canonicalizing gives back the exact signed bytes) and checked like a
 * local store's.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "ledger/wire.h"
#include "ledger/jcs.h"
#include "http.h"
#include "ledger/keyhist.h"
#include "remote.h"

#define PAGE 1000

static int
fetch(const struct cli *cli, const char *path, struct http_resp *r,
    int want_status)
{
	struct ledger_error err;
	char msg[300];

	if (http_get(cli->url, path, cli->token, r, &err) != LEDGER_OK)
		return fail("%s: %s", cli->url, err.msg);
	if (r->status == want_status)
		return -1;
	fail("GET %s: %s", path, http_error_message(r, msg, sizeof(msg)));
	return r->status == 404 ? EXIT_NO : EXIT_TROUBLE;
}

static int
fetch_json(const struct cli *cli, const char *path, json_t **ret)
{
	struct http_resp r;
	json_error_t je;
	int st;

	if ((st = fetch(cli, path, &r, 200)) >= 0) {
		http_resp_release(&r);
		return st;
	}
	*ret = json_loadb(r.body, r.len, 0, &je);
	http_resp_release(&r);
	if (*ret == NULL)
		return fail("GET %s: response is not JSON: %s", path, je.text);
	return -1;
}

/* Fill a row from an API item {"seq", "entry", "signature", ...}. */
static int
item_row(const json_t *item, struct ledger_row *row)
{
	struct ledger_error err;

	if (ledger_row_parse(item, row, &err) != LEDGER_OK)
		return fail("%s", err.msg);
	return -1;
}

int
remote_events(const struct cli *cli, const struct ledger_query *q,
    int (*fn)(void *ctx, const struct ledger_row *row), void *ctx)
{
	struct ledger_buf base = LEDGER_BUF_INIT, path = LEDGER_BUF_INIT;
	struct ledger_error err;
	int64_t after = q->after_seq;
	uint64_t left = q->limit, got = 0;
	struct ledger_row row;
	json_t *doc = NULL, *events, *item, *next;
	size_t i;
	int st = -1;

	if (ledger_query_encode(q, &base, &err) != LEDGER_OK)
		return fail("%s", err.msg);
	for (;;) {
		unsigned long long page = left > 0 && left < PAGE ? left : PAGE;

		ledger_buf_reset(&path);
		if (ledger_buf_addf(&path, "/v1/events?limit=%llu", page) ||
		    (base.len > 0 && ledger_buf_add(&path, base.data,
		    base.len)) || (after >= 0 && ledger_buf_addf(&path,
		    "&after_seq=%" PRId64, after))) {
			st = fail("out of memory");
			break;
		}
		if ((st = fetch_json(cli, path.data, &doc)) >= 0)
			break;
		events = json_object_get(doc, "events");
		if (!json_is_array(events)) {
			json_decref(doc);
			st = fail("malformed answer from %s", cli->url);
			break;
		}
		json_array_foreach(events, i, item) {
			if ((st = item_row(item, &row)) >= 0)
				break;
			st = fn(ctx, &row);
			after = (int64_t)row.e.seq;
			ledger_row_release(&row);
			got++;
			if (st != 0 || (q->limit > 0 && got >= q->limit)) {
				st = -2;
				break;
			}
			st = -1;
		}
		/* A page may be empty and still go on (the server bounds the
		 * rows one request reads); it must move forward. */
		next = json_object_get(doc, "next_after_seq");
		if (st != -1 || !json_is_integer(next) ||
		    json_integer_value(next) <= after) {
			json_decref(doc);
			st = st == -2 ? -1 : st;
			break;
		}
		after = json_integer_value(next);
		if (q->limit > 0)
			left = q->limit - got;
		json_decref(doc);
	}
	ledger_buf_release(&base);
	ledger_buf_release(&path);
	return st;
}

int
remote_get(const struct cli *cli, uint64_t seq, struct ledger_row *row,
    uint8_t **payload, size_t *plen, bool want_payload)
{
	struct http_resp r;
	char path[64];
	json_t *doc;
	int st;

	snprintf(path, sizeof(path), "/v1/events/%" PRIu64, seq);
	if ((st = fetch_json(cli, path, &doc)) >= 0)
		return st;
	st = item_row(doc, row);
	json_decref(doc);
	if (st >= 0)
		return st;
	*payload = NULL;
	*plen = 0;
	if (!want_payload)
		return -1;
	snprintf(path, sizeof(path), "/v1/events/%" PRIu64 "/payload", seq);
	if ((st = fetch(cli, path, &r, 200)) >= 0) {
		http_resp_release(&r);
		ledger_row_release(row);
		return st;
	}
	*payload = (uint8_t *)r.body;
	*plen = r.len;
	return -1;
}

/*
 * The newest checkpoint against the entries: a frontier grows by each
 * leaf the verifier finds intact (it stops calling at the first problem),
 * and when it reaches the checkpoint's size its root must be the signed
 * one.  A server that signs one tree and lists another is caught here.
 */
struct rootcheck {
	const struct ledger_signed_checkpoint *cp;
	struct ledger_merkle_frontier f;
	bool done;
};

static void
rootcheck_compare(struct rootcheck *rc, struct ledger_verifier *v,
    uint64_t seq)
{
	rc->done = true;
	(void)ledger_verifier_check_root(v, seq, &rc->f, rc->cp);
}

static void
rootcheck_leaf(void *ctx, struct ledger_verifier *v, uint64_t seq,
    const uint8_t leaf[LEDGER_HASH_BYTES])
{
	struct rootcheck *rc = ctx;

	if (rc->done || ledger_merkle_frontier_size(&rc->f) != seq ||
	    ledger_merkle_frontier_append(&rc->f, leaf, NULL, NULL, NULL,
	    NULL) != LEDGER_OK) {
		rc->done = true;
		return;
	}
	if (ledger_merkle_frontier_size(&rc->f) == rc->cp->size)
		rootcheck_compare(rc, v, seq);
}

/* The log's size as the daemon reports it on /healthz (200, or 503 when
 * it refuses writes: exactly when an auditor verifies).  -1 or an exit
 * status. */
static int
remote_head(const struct cli *cli, uint64_t *ret)
{
	struct http_resp hr;
	struct ledger_error herr;
	json_t *doc, *n;
	int st;

	if (http_get(cli->url, "/healthz", cli->token, &hr, &herr) !=
	    LEDGER_OK)
		return fail("%s: %s", cli->url, herr.msg);
	doc = (hr.status == 200 || hr.status == 503) ?
	    json_loadb(hr.body, hr.len, 0, NULL) : NULL;
	st = hr.status;
	http_resp_release(&hr);
	if (doc == NULL)
		return fail("GET /healthz: HTTP status %d", st);
	n = json_object_get(doc, "log_size");
	if (!json_is_integer(n) || json_integer_value(n) < 0) {
		json_decref(doc);
		return fail("%s/healthz does not report the log size", cli->url);
	}
	*ret = (uint64_t)json_integer_value(n);
	json_decref(doc);
	return -1;
}

/* What a page of /v1/events holds, up to head, as verifier inputs (with
 * each payload fetched unless skipped); *k counts the rows filled, *after
 * the last seq seen.  -1 or an exit status. */
static int
page_inputs(const struct cli *cli, json_t *events, uint64_t head,
    bool skip_payloads, struct ledger_row *rows, struct http_resp *pr,
    struct ledger_verify_input *in, size_t *k, int64_t *after)
{
	struct ledger_error err;
	char path[128];
	json_t *item;
	size_t i;
	int st;

	json_array_foreach(events, i, item) {
		if (*k == PAGE)
			break;
		if ((st = item_row(item, &rows[*k])) >= 0)
			return st;
		if (rows[*k].e.seq >= head) {
			ledger_row_release(&rows[*k]);
			*after = (int64_t)head;
			break;
		}
		*after = (int64_t)rows[*k].e.seq;
		in[*k].seq = rows[*k].e.seq;
		in[*k].entry = rows[*k].entry;
		in[*k].entry_len = rows[*k].entry_len;
		memcpy(in[*k].sig, rows[*k].sig, LEDGER_SIG_BYTES);
		/* a key record's payload always: the key history is
		 * rebuilt from it */
		in[*k].skip_payload = skip_payloads &&
		    ledger_keyhist_event(&rows[*k].e) == NULL;
		if (!in[*k].skip_payload) {
			snprintf(path, sizeof(path), "/v1/events/%" PRIu64
			    "/payload", rows[*k].e.seq);
			if (http_get(cli->url, path, cli->token, &pr[*k],
			    &err) != LEDGER_OK) {
				(*k)++;
				return fail("%s: %s", cli->url, err.msg);
			}
			if (pr[*k].status == 200) {
				in[*k].payload = (const uint8_t *)pr[*k].body;
				in[*k].payload_len = pr[*k].len;
			}
		}
		(*k)++;
	}
	return -1;
}

/* Checks against the checkpoint as the leaves come (rootcheck). */
static void
rootcheck_start(struct rootcheck *rc, struct ledger_verifier *v,
    const struct ledger_signed_checkpoint *cp, uint64_t head)
{
	memset(rc, 0, sizeof(*rc));
	rc->cp = cp;
	rc->done = cp == NULL;
	ledger_merkle_frontier_init(&rc->f);
	if (cp != NULL && cp->size > head) {
		rc->done = true;
		ledger_verifier_report(v, head, LEDGER_PROB_BAD_CHECKPOINT,
		    "the log signed a checkpoint of size %" PRIu64 " but "
		    "reports %" PRIu64 " entries", cp->size, head);
	} else if (cp != NULL && cp->size == 0)
		rootcheck_compare(rc, v, 0);
	else if (cp != NULL)
		ledger_verifier_on_leaf(v, rootcheck_leaf, rc);
}

int
remote_verify(const struct cli *cli, const struct ledger_verify_opts *o,
    bool skip_payloads, const struct ledger_signed_checkpoint *cp,
    ledger_verify_fn fn, void *ctx, struct ledger_verify_report *rep)
{
	struct rootcheck rc;
	struct ledger_verifier *v = NULL;
	struct ledger_verify_input *in = NULL;
	struct ledger_row *rows = NULL;
	struct http_resp *pr = NULL;
	struct ledger_error err;
	json_t *doc = NULL, *events;
	char path[128];
	uint64_t head = 0;
	int64_t after = -1;
	size_t k = 0, j;
	int st;

	if ((st = remote_head(cli, &head)) >= 0)
		return st;
	in = calloc(PAGE, sizeof(*in));
	rows = calloc(PAGE, sizeof(*rows));
	pr = calloc(PAGE, sizeof(*pr));
	if (in == NULL || rows == NULL || pr == NULL) {
		st = fail("out of memory");
		goto out;
	}
	if (ledger_verifier_new(o, head, fn, ctx, &v, &err) != LEDGER_OK) {
		st = fail("verify: %s", err.msg);
		goto out;
	}
	rootcheck_start(&rc, v, cp, head);
	while (after + 1 < (int64_t)head) {
		if (after < 0)
			snprintf(path, sizeof(path), "/v1/events?limit=%d", PAGE);
		else
			snprintf(path, sizeof(path), "/v1/events?limit=%d&"
			    "after_seq=%" PRId64, PAGE, after);
		if ((st = fetch_json(cli, path, &doc)) >= 0)
			goto out;
		events = json_object_get(doc, "events");
		if (!json_is_array(events) || json_array_size(events) == 0)
			break;
		k = 0;
		if ((st = page_inputs(cli, events, head, skip_payloads, rows, pr,
		    in, &k, &after)) >= 0)
			goto out;
		if (ledger_verifier_add(v, in, k, &err) != LEDGER_OK) {
			if (err.code == LEDGER_ECANCELED) {
				ledger_verifier_peek(v, rep);
				st = EXIT_TROUBLE;
			} else
				st = fail("verify: %s", err.msg);
			goto out;
		}
		for (j = 0; j < k; j++) {
			ledger_row_release(&rows[j]);
			http_resp_release(&pr[j]);
			memset(&in[j], 0, sizeof(in[j]));
		}
		k = 0;
		json_decref(doc);
		doc = NULL;
	}
	ledger_verifier_finish(v, rep);
	st = -1;
out:
	for (j = 0; j < k && rows != NULL; j++) {
		ledger_row_release(&rows[j]);
		http_resp_release(&pr[j]);
	}
	json_decref(doc);
	free(in);
	free(rows);
	free(pr);
	ledger_verifier_free(v);
	return st;
}

int
remote_get_text(const struct cli *cli, const char *path, char **ret)
{
	json_t *doc = NULL;
	int r;

	if ((r = fetch_json(cli, path, &doc)) >= 0)
		return r;
	*ret = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(doc);
	return *ret == NULL ? fail("out of memory") : -1;
}

int
answer_print(const struct cli *cli, char *text, const char *rows,
    void (*table)(const json_t *doc, void *ctx), void *ctx)
{
	json_t *doc;
	size_t n;

	if ((doc = json_loads(text, 0, NULL)) == NULL) {
		free(text);
		return fail("the answer is not JSON");
	}
	n = json_array_size(json_object_get(doc, rows));
	if (cli->json)
		printf("%s\n", text);
	else
		table(doc, ctx);
	if (json_is_true(json_object_get(doc, "truncated")))
		fprintf(stderr, "ledgerctl: the answer was cut short: narrow "
		    "the question\n");
	json_decref(doc);
	free(text);
	return finish(n > 0 ? EXIT_YES : EXIT_NO);
}

/* The text of a cell: a string, a number, a bool, or an array's members
 * ("approvers": the approvals' actors; "approvals": their seqs). */
static void
cell(const json_t *row, const char *col, char *buf, size_t n)
{
	const json_t *v, *x;
	size_t i, len = 0;
	bool actors = strcmp(col, "approvers") == 0;

	v = json_object_get(row, actors ? "approvals" : col);
	if (strcmp(col, "rule") == 0)
		v = json_object_get(json_array_get(json_object_get(row,
		    "approvals"), 0), "rule");
	buf[0] = '\0';
	if (json_is_string(v))
		snprintf(buf, n, "%s", json_string_value(v));
	else if (json_is_number(v))
		snprintf(buf, n, "%.0f", json_number_value(v));
	else if (json_is_boolean(v))
		snprintf(buf, n, "%s", json_is_true(v) ? "yes" : "no");
	else if (json_is_array(v))
		json_array_foreach(v, i, x) {
			const json_t *m = json_is_object(x) ? json_object_get(x,
			    actors ? "actor" : "seq") : x;

			/* approvers: those who approved, not who rejected */
			if (actors && !json_is_string(json_object_get(x,
			    "status")))
				continue;
			if (actors && strcmp(json_string_value(json_object_get(x,
			    "status")), "approved") != 0)
				continue;

			if (len + 2 >= n)
				break;
			if (json_is_string(m))
				len += (size_t)snprintf(buf + len, n - len,
				    "%s%s", len ? " " : "", json_string_value(m));
			else if (json_is_number(m))
				len += (size_t)snprintf(buf + len, n - len,
				    "%s%.0f", len ? " " : "", json_number_value(m));
		}
}

void
answer_table(const struct cli *cli, const json_t *rows, const char *const *cols,
    const int *width)
{
	const json_t *row;
	char buf[4096];
	size_t i, n = json_is_array(rows) ? json_array_size(rows) :
	    json_object_get(rows, "seq") != NULL;
	int c;

	for (c = 0; cols[c] != NULL; c++) {
		if (cli->csv)
			printf("%s%s", c ? "," : "", cols[c]);
		else
			printf("%-*s ", width[c], cols[c]);
	}
	printf(cli->csv ? "\r\n" : "\n");
	for (i = 0; i < n; i++) {
		row = json_is_array(rows) ? json_array_get(rows, i) : rows;
		for (c = 0; cols[c] != NULL; c++) {
			cell(row, cols[c], buf, sizeof(buf));
			if (cli->csv) {
				if (c)
					putchar(',');
				csv_field(buf);
			} else {
				/* a long digest or commit: its start, marked */
				if (strlen(buf) > (size_t)width[c] &&
				    width[c] > 4)
					memcpy(buf + width[c] - 3, "...",
					    4);
				term_print(stdout, buf[0] ? buf : "-",
				    width[c]);
				putchar(' ');
			}
		}
		printf(cli->csv ? "\r\n" : "\n");
	}
}
