/*
 * cmd-report.c - the auditor's and the incident responder's answers:
 * ledgerctl deployments, exceptions, actors, state, last-good and gate
 * (ledger/report.h; the API's /v1/deployments ... answer from the same
 * code)
 *
 * One question type for all six: options are read into it as the API
 * reads query parameters, answered from a data directory by
 * ledger_report_answer or asked of ledgerd (--url), then printed as a
 * table, JSON, or CSV (one row per deployment, exception, actor or
 * service).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "ledger/bundle.h"
#include "ledger/file.h"
#include "ledger/report.h"
#include "ledger/store.h"
#include "cli.h"
#include "remote.h"

/* How one answer prints: the member holding its rows and its columns
 * (table and CSV).  A column naming an array prints its members (or
 * their "seq"s / "actor"s) space-separated. */
struct shape {
	const char *cmd, *rows;
	const char *cols[20];
	int width[20];
};

static const struct shape shapes[] = {
	[LEDGER_ANSWER_DEPLOYMENTS] = { "deployments", "deployments",
	    { "seq", "time", "service", "status", "deployer", "approvers",
	      "approvals", "rule", "run", "commit", "artifact", "ticket",
	      "rolled_back", "exceptions", NULL },
	    { 6, 24, 10, 9, 12, 14, 9, 8, 10, 12, 22, 8, 11, 14 } },
	[LEDGER_ANSWER_EXCEPTIONS] = { "exceptions", "exceptions",
	    { "seq", "time", "environment", "service", "status", "deployer",
	      "approvers", "evidence", "commit", "artifact", NULL },
	    { 6, 24, 12, 10, 9, 12, 14, 12, 12, 22 } },
	[LEDGER_ANSWER_ACTORS] = { "actors", "actors",
	    { "actor", "deployments", "rollbacks", "approvals", "first_seq",
	      "first_seen", "last_seq", "last_seen", "machines", NULL },
	    { 16, 11, 9, 9, 9, 24, 8, 24, 32 } },
	[LEDGER_ANSWER_STATE] = { "state", "state",
	    { "service", "seq", "time", "set_by", "artifact", "commit",
	      "deployer", "approvers", "approvals", NULL },
	    { 10, 6, 24, 10, 22, 12, 12, 14, 9 } },
	[LEDGER_ANSWER_LAST_GOOD] = { "last-good", NULL,
	    { "seq", "time", "service", "artifact", "commit", "deployer",
	      "approvers", "approvals", NULL },
	    { 6, 24, 10, 22, 12, 12, 14, 9 } },
	[LEDGER_ANSWER_GATE] = { "gate", NULL, { NULL }, { 0 } },
};

struct rq_opts {
	struct ledger_report_req *req;
	const char *policy;
	const char *bundle;		/* --bundle FILE (deployments) */
	bool paged;			/* --after or --limit */
	const char *bad;		/* the first refused option */
	char why[300];
};

static int
on_opt(void *ctx, int c, const char *arg)
{
	static const char *const names[] = {
		['e'] = "environment", ['S'] = "service", ['p'] = "period",
		['F'] = "from", ['T'] = "to", ['A'] = "at", ['B'] = "before",
		['g'] = "gap", ['a'] = "artifact", ['D'] = "deployer",
		['X'] = "after", ['L'] = "limit",
	};
	struct rq_opts *o = ctx;
	struct ledger_error err;

	if (c == 'P') {
		o->policy = arg;
		return -1;
	}
	if (c == 'U') {
		o->bundle = arg;
		return -1;
	}
	if (c < 0 || (size_t)c >= sizeof(names) / sizeof(*names) ||
	    names[c] == NULL || o->bad != NULL)
		return -1;
	o->paged |= c == 'X' || c == 'L';
	if (ledger_report_param(o->req, names[c], arg, &err) != LEDGER_OK) {
		o->bad = names[c];
		snprintf(o->why, sizeof(o->why), "%s", err.msg);
	}
	return -1;
}

/* The table's closing lines: the completeness evidence, a gate's
 * verdict. */
static void
print_tail(const struct cli *cli, enum ledger_answer what, const json_t *doc)
{
	const json_t *c = json_object_get(doc, "completeness"), *v;
	const json_t *b, *a;
	size_t i;

	if (cli->csv)
		return;
	if (what == LEDGER_ANSWER_DEPLOYMENTS && c != NULL) {
		b = json_object_get(c, "checkpoint_before");
		a = json_object_get(c, "checkpoint_after");
		b = json_is_object(b) ? b : NULL;
		a = json_is_object(a) ? a : NULL;
		printf("completeness: %.0f deployments; entries %.0f..%.0f of "
		    "the period; ", json_number_value(json_object_get(c,
		    "count")), json_number_value(json_object_get(c,
		    "first_seq")), json_number_value(json_object_get(c,
		    "last_seq")));
		if (b != NULL)
			printf("checkpoint size %.0f before, ",
			    json_number_value(json_object_get(b, "size")));
		else
			printf("no checkpoint before, ");
		if (a != NULL)
			printf("size %.0f after%s; ", json_number_value(
			    json_object_get(a, "size")), b != NULL ?
			    " (consistency proven)" : "");
		else
			printf("none after yet; ");
		printf("%zu gap(s) longer than %.0f s\n",
		    json_array_size(json_object_get(c, "gaps")),
		    json_number_value(json_object_get(c, "gap_s")));
	}
	if (what == LEDGER_ANSWER_EXCEPTIONS && json_is_integer(
	    json_object_get(doc, "judged")))
		printf("%zu of %.0f deployments judged are exceptions\n",
		    json_array_size(json_object_get(doc, "exceptions")),
		    json_number_value(json_object_get(doc, "judged")));
	if (what == LEDGER_ANSWER_GATE) {
		printf("%s: %s to %s\n", json_is_true(json_object_get(doc,
		    "allow")) ? "ALLOW" : "DENY",
		    json_string_value(json_object_get(doc, "artifact")),
		    json_string_value(json_object_get(doc, "environment")));
		json_array_foreach(json_object_get(doc, "missing"), i, v) {
			printf("  missing: ");
			term_print(stdout, json_string_value(v), 0);
			printf("\n");
		}
		printf("  evidence:");
		json_array_foreach(json_object_get(doc, "evidence"), i, v)
			printf(" %.0f", json_number_value(v));
		printf("\n");
	}
}

static int
local_answer(const struct cli *cli, const struct ledger_report_req *rq,
    const char *policy, size_t plen, char **ret)
{
	struct ledger_buf b = LEDGER_BUF_INIT;
	struct ledger_store *s;
	struct ledger_error err;
	enum ledger_status st;
	size_t len;
	bool yes;

	if (cli_store_open(cli, LEDGER_STORE_READONLY, &s, &err))
		return fail("open '%s': %s", cli_where(cli), err.msg);
	st = ledger_report_answer(s, rq, policy, plen, &b, &yes, &err);
	ledger_store_close(s);
	if (st != LEDGER_OK || ledger_buf_addc(&b, '\0') != LEDGER_OK) {
		ledger_buf_release(&b);
		return fail("%s", err.msg);
	}
	*ret = ledger_buf_steal(&b, &len);
	return -1;
}

static int
remote_answer(const struct cli *cli, const struct ledger_report_req *rq,
    const char *policy, char **ret)
{
	struct ledger_buf q = LEDGER_BUF_INIT;
	char path[8192], base[64];
	int r;

	if (ledger_report_encode(rq, &q) != LEDGER_OK ||
	    (policy != NULL && ledger_url_param(&q, "policy", policy)) ||
	    ledger_buf_addc(&q, '\0') != LEDGER_OK) {
		ledger_buf_release(&q);
		return fail("out of memory");
	}
	if (q.data[0] == '&')
		q.data[0] = '?';	/* the policy came first */
	if (q.len > sizeof(path) - 100) {
		ledger_buf_release(&q);
		return fail("the question is too long for a URL");
	}
	snprintf(path, sizeof(path), "%s%s",
	    ledger_report_path(rq, base, sizeof(base)), q.data);
	ledger_buf_release(&q);
	r = remote_get_text(cli, path, ret);
	return r;
}

/*
 * The population as a bundle (docs/FORMAT.md "Bundles";
 * ledger_population_bundle): every entry of every deployment, its
 * approvals and its evidence, with the completeness evidence's
 * bracketing checkpoints, each proven a prefix of the bundle's.  Said on
 * stderr: stdout is the answer.
 */
static int
population_bundle(const struct cli *cli, const char *text, const char *path)
{
	struct ledger_population_bundle pb;
	struct ledger_store *s;
	struct ledger_error err;
	enum ledger_status st;
	char sizes[64];
	int fd;

	if (cli_store_open(cli, LEDGER_STORE_READONLY, &s, &err))
		return fail("open '%s': %s", cli_where(cli), err.msg);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0644)) < 0) {
		ledger_store_close(s);
		return fail("--bundle '%s': %s", path, strerror(errno));
	}
	st = ledger_population_bundle(s, text, strlen(text), NULL, fd, &pb,
	    &err);
	ledger_store_close(s);
	/* evidence: on the disk before anyone is told it is written */
	if (st == LEDGER_OK && fsync(fd) != 0)
		st = ledger_errorf(&err, LEDGER_EIO, "%s", strerror(errno));
	if (close(fd) != 0 && st == LEDGER_OK)
		st = ledger_errorf(&err, LEDGER_EIO, "%s", strerror(errno));
	if (st != LEDGER_OK) {
		unlink(path);
		return fail("--bundle '%s': %s", path, err.msg);
	}
	if (pb.nolder == 0)
		snprintf(sizes, sizeof(sizes), "none yet");
	else if (pb.nolder == 1)
		snprintf(sizes, sizeof(sizes), "size %" PRIu64, pb.older[0]);
	else
		snprintf(sizes, sizeof(sizes), "sizes %" PRIu64 " and %" PRIu64,
		    pb.older[0], pb.older[1]);
	fprintf(stderr, "ledgerctl: wrote %s: %" PRIu64 " entries of the "
	    "population, proven to the checkpoint of size %" PRIu64 " (the "
	    "period's bracketing checkpoints: %s; each older one with its "
	    "consistency proof)\n", path, pb.st.entries,
	    pb.st.checkpoint_size, sizes);
	return -1;
}

static int
run(struct cli *cli, int argc, char **argv, enum ledger_answer what)
{
	static const struct option extra[] = {
		{ "env", required_argument, NULL, 'e' },
		{ "environment", required_argument, NULL, 'e' },
		{ "service", required_argument, NULL, 'S' },
		{ "period", required_argument, NULL, 'p' },
		{ "from", required_argument, NULL, 'F' },
		{ "to", required_argument, NULL, 'T' },
		{ "at", required_argument, NULL, 'A' },
		{ "before", required_argument, NULL, 'B' },
		{ "gap", required_argument, NULL, 'g' },
		{ "artifact", required_argument, NULL, 'a' },
		{ "deployer", required_argument, NULL, 'D' },
		{ "policy", required_argument, NULL, 'P' },
		{ "after", required_argument, NULL, 'X' },
		{ "limit", required_argument, NULL, 'L' },
		{ "bundle", required_argument, NULL, 'U' },
		{ NULL, 0, NULL, 0 },
	};
	const struct shape *sh = &shapes[what];
	const struct command *cmd = find_command(sh->cmd);
	struct ledger_report_req rq;
	struct ledger_error err;
	struct rq_opts o;
	char *text = NULL, *policy = NULL;
	size_t plen = 0;
	json_t *doc;
	int r, first;
	bool yes;

	memset(&o, 0, sizeof(o));
	o.req = &rq;
	memset(&rq, 0, sizeof(rq));
	if (what == LEDGER_ANSWER_EXCEPTIONS) {
		/* the name first: ledgerctl exceptions NAME [options] */
		if (argc < 2 || argv[1][0] == '-')
			return strcmp(argc > 1 ? argv[1] : "", "--help") == 0 ?
			    (print_help(cmd), finish(EXIT_YES)) :
			    usage_error(cmd, "name the exception");
		if (ledger_report_req_init(&rq, what, argv[1], &err))
			return usage_error(cmd, "%s", err.msg);
		argc--;
		argv++;
	} else if (ledger_report_req_init(&rq, what, NULL, &err))
		return usage_error(cmd, "%s", err.msg);
	r = parse_options(cli, cmd, argc, argv, extra, "", on_opt, &o, &first);
	if (r < 0 && o.bad != NULL)
		r = usage_error(cmd, "--%s: %s", o.bad, o.why);
	else if (r < 0 && argc > first)
		r = usage_error(cmd, "unexpected argument '%s'", argv[first]);
	else if (r < 0 && o.policy != NULL && what != LEDGER_ANSWER_GATE)
		r = usage_error(cmd, "--policy is the gate's");
	else if (r < 0 && o.bundle != NULL && ((what !=
	    LEDGER_ANSWER_DEPLOYMENTS && what != LEDGER_ANSWER_EXCEPTIONS) ||
	    cli->url != NULL))
		r = usage_error(cmd, "--bundle is the deployments' and the "
		    "exceptions' answer from a data directory (-d)");
	else if (r < 0 && o.bundle != NULL && o.paged)
		r = usage_error(cmd, "--bundle holds a whole population, not a "
		    "page of one: no --after or --limit");
	else if (r < 0 && cli->csv && (what == LEDGER_ANSWER_GATE))
		r = usage_error(cmd, "--csv is not offered here; use --json");
	else if (r < 0 && ledger_report_check(&rq, &err) != LEDGER_OK)
		r = usage_error(cmd, "%s", err.msg);
	else if (r < 0 && cli->url == NULL)
		r = need_dir(cli, cmd);
	if (r < 0 && o.policy != NULL && ledger_read_file(o.policy, 65536,
	    &policy, &plen, &err) != LEDGER_OK)
		r = fail("--policy '%s': %s", o.policy, err.msg);
	if (r < 0)
		r = cli->url != NULL ? remote_answer(cli, &rq, policy, &text) :
		    local_answer(cli, &rq, policy, plen, &text);
	ledger_report_req_release(&rq);
	free(policy);
	if (r >= 0)
		return r;
	if ((doc = json_loads(text, 0, NULL)) == NULL) {
		free(text);
		return fail("the answer is not JSON");
	}
	yes = what == LEDGER_ANSWER_GATE ?
	    json_is_true(json_object_get(doc, "allow")) : sh->rows == NULL ?
	    json_object_get(doc, "seq") != NULL :
	    json_array_size(json_object_get(doc, sh->rows)) > 0;
	if (cli->json)
		printf("%s\n", text);
	else if (what == LEDGER_ANSWER_LAST_GOOD && !yes && !cli->csv)
		printf("none: no successful, approved deployment that was "
		    "never rolled back\n");
	else {
		if (sh->cols[0] != NULL)
			answer_table(cli, sh->rows != NULL ?
			    json_object_get(doc, sh->rows) : doc, sh->cols,
			    sh->width);
		print_tail(cli, what, doc);
	}
	if (json_is_true(json_object_get(doc, "truncated")))
		fprintf(stderr, "ledgerctl: the answer was cut short: narrow "
		    "the question\n");
	if (o.bundle != NULL && (r = population_bundle(cli, text,
	    o.bundle)) >= 0) {
		json_decref(doc);
		free(text);
		return r;
	}
	json_decref(doc);
	free(text);
	return finish(yes ? EXIT_YES : EXIT_NO);
}

int
cmd_deployments(struct cli *cli, int argc, char **argv)
{
	return run(cli, argc, argv, LEDGER_ANSWER_DEPLOYMENTS);
}

int
cmd_exceptions(struct cli *cli, int argc, char **argv)
{
	return run(cli, argc, argv, LEDGER_ANSWER_EXCEPTIONS);
}

int
cmd_actors(struct cli *cli, int argc, char **argv)
{
	return run(cli, argc, argv, LEDGER_ANSWER_ACTORS);
}

int
cmd_state(struct cli *cli, int argc, char **argv)
{
	return run(cli, argc, argv, LEDGER_ANSWER_STATE);
}

int
cmd_last_good(struct cli *cli, int argc, char **argv)
{
	return run(cli, argc, argv, LEDGER_ANSWER_LAST_GOOD);
}

int
cmd_gate(struct cli *cli, int argc, char **argv)
{
	return run(cli, argc, argv, LEDGER_ANSWER_GATE);
}
