/*
 * test-cli.c - ledgerctl end to end: the tamper matrix and bad input
 *
 * Each tamper test builds a real ledger with the real ledgerctl, edits the
 * database behind the library's back with the sqlite3 command (dropping
 * the append-only triggers first, as an attacker with file access would),
 * and checks that `ledgerctl verify` exits 1 and names the exact seq and
 * category of the first problem.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>

#include "testutil.h"

#define NEVENTS 10

static const char *ctl;
static char dir[4096], data[4200];

static void
setup(void)
{
	int i, r;

	snprintf(dir, sizeof(dir), "%s", tu_mkdtemp());
	snprintf(data, sizeof(data), "%s/data", dir);
	/* ledgerctl pins checkpoints per user; each test is its own user. */
	{
		char state[4200];

		snprintf(state, sizeof(state), "%s/state", dir);
		setenv("XDG_STATE_HOME", state, 1);
	}
	r = tu_run(NULL, "'%s' init --origin test.example/log '%s' >/dev/null",
	    ctl, data);
	ck_assert_int_eq(r, 0);
	for (i = 0; i < NEVENTS; i++) {
		r = tu_run(NULL, "printf '{\"kind\":\"deployment\",\"delivery\":"
		    "\"d-%d\",\"subject\":{\"environment\":\"production\","
		    "\"service\":\"pay\",\"commit\":\"%040d\"},\"payload\":{\"n\":"
		    "%d}}' | '%s' append -d '%s' - >/dev/null", i, i, i, ctl,
		    data);
		ck_assert_int_eq(r, 0);
	}
}

static void
teardown(void)
{
	tu_rmtree(dir);
}

static int
sql(const char *stmts)
{
	return tu_run(NULL, "sqlite3 '%s/ledger.db' 'DROP TRIGGER IF EXISTS "
	    "entries_no_update; DROP TRIGGER IF EXISTS entries_no_delete; "
	    "DROP TRIGGER IF EXISTS payloads_no_update; DROP TRIGGER IF "
	    "EXISTS payloads_prune_only; DROP TRIGGER IF EXISTS head_no_shrink;"
	    " %s'", data, stmts);
}

/* Run verify --json; return its exit status and the output. */
static int
verify(char **out, const char *extra)
{
	return tu_run(out, "'%s' verify -d '%s' --json %s", ctl, data,
	    extra ? extra : "");
}

static void
expect_first(const char *out, long seq, const char *category)
{
	char want[128];

	snprintf(want, sizeof(want), "\"first_bad_seq\":%ld,", seq);
	ck_assert_msg(strstr(out, want) != NULL, "want %s in %s", want, out);
	snprintf(want, sizeof(want), "{\"seq\":%ld,\"category\":\"%s\"", seq,
	    category);
	ck_assert_msg(strstr(out, want) != NULL, "want %s in %s", want, out);
	ck_assert_ptr_nonnull(strstr(out, "\"intact\":false"));
}

START_TEST(test_cli_verify_intact)
{
	char *out;

	ck_assert_int_eq(verify(&out, NULL), 0);
	ck_assert_ptr_nonnull(strstr(out, "\"intact\":true"));
	ck_assert_ptr_nonnull(strstr(out, "\"entries\":10,"));
	free(out);
	ck_assert_int_eq(tu_run(&out, "'%s' verify -d '%s'", ctl, data), 0);
	ck_assert_ptr_nonnull(strstr(out, "intact: 10 entries"));
	free(out);
}
END_TEST

/* The tamper matrix: SQL, the seq and category verify must name first. */
static const struct tamper {
	const char *name;
	const char *sql;
	long seq;
	const char *category;
} tampers[] = {
	{ "modify entry bytes",
	  "UPDATE entries SET entry = CAST(replace(CAST(entry AS TEXT), "
	  "\"production\", \"prodution!\") AS BLOB) WHERE seq = 4;",
	  4, "modified" },
	{ "modify entry bytes and its columns alike",
	  "UPDATE entries SET entry = CAST(replace(CAST(entry AS TEXT), "
	  "\"production\", \"staging\") AS BLOB), environment = \"staging\" "
	  "WHERE seq = 6;",
	  6, "modified" },
	{ "modify a signature",
	  "UPDATE entries SET sig = randomblob(64) WHERE seq = 3;",
	  3, "bad signature" },
	{ "modify a payload",
	  "UPDATE payloads SET data = (SELECT data FROM payloads WHERE "
	  "seq = 5) WHERE seq = 2;",
	  2, "payload mismatch" },
	{ "corrupt a payload",
	  "UPDATE payloads SET data = zeroblob(12) WHERE seq = 7;",
	  7, "payload mismatch" },
	{ "delete a payload",
	  "DELETE FROM payloads WHERE seq = 1;",
	  1, "payload mismatch" },
	{ "modify only an indexed column",
	  "UPDATE entries SET environment = \"staging\" WHERE seq = 5;",
	  5, "index mismatch" },
	{ "null an indexed column (hide from queries)",
	  "UPDATE entries SET commit_id = NULL WHERE seq = 8;",
	  8, "index mismatch" },
	{ "delete a middle row",
	  "DELETE FROM payloads WHERE seq = 4; DELETE FROM entries WHERE "
	  "seq = 4;",
	  4, "missing" },
	{ "swap two rows",
	  "UPDATE entries SET seq = seq + 1000000 WHERE seq IN (3, 4); "
	  "UPDATE entries SET seq = 4 WHERE seq = 1000003; "
	  "UPDATE entries SET seq = 3 WHERE seq = 1000004;",
	  3, "reordered" },
	{ "insert a forged row at the end",
	  "CREATE TEMP TABLE t AS SELECT * FROM entries WHERE seq = 3; "
	  "UPDATE t SET seq = 10, delivery = NULL; INSERT INTO entries SELECT * FROM t; "
	  "INSERT INTO payloads (seq, data) SELECT 10, data FROM payloads "
	  "WHERE seq = 3;",
	  10, "inserted" },
	{ "truncate the newest rows",
	  "DELETE FROM payloads WHERE seq >= 8; DELETE FROM entries WHERE "
	  "seq >= 8;",
	  8, "missing" },
	{ "replace the first entry",
	  "UPDATE entries SET entry = (SELECT entry FROM entries WHERE "
	  "seq = 1) WHERE seq = 0;",
	  0, "modified" },
	{ "modify a stored tree hash",
	  "DROP TRIGGER tree_no_update; UPDATE tree SET hash = zeroblob(32) "
	  "WHERE id = 6;",
	  3, "tree mismatch" },	/* id 6: the level-2 node leaf 3 completes */
	{ "delete stored tree hashes",
	  "DROP TRIGGER tree_no_delete; DELETE FROM tree WHERE id >= 10;",
	  6, "tree mismatch" },
	{ "add a stored tree hash beyond the entries",
	  "INSERT INTO tree (id, hash) VALUES ((SELECT max(id) + 1 FROM "
	  "tree), zeroblob(32));",
	  10, "tree mismatch" },
	{ "give a checkpoint row a root of the wrong length",
	  "PRAGMA ignore_check_constraints = ON; DROP TRIGGER "
	  "checkpoints_no_update; UPDATE checkpoints SET root = zeroblob(31) "
	  "WHERE size = 5;",
	  4, "bad checkpoint" },
	{ "forge a checkpoint root",
	  "DROP TRIGGER checkpoints_no_update; UPDATE checkpoints SET note = "
	  "replace(note, (SELECT substr(note, instr(note, char(10)) + 1, 2) "
	  "FROM checkpoints WHERE size = 5), \"99\") WHERE size = 5;",
	  4, "bad checkpoint" },
	{ "truncate entries and their tree and head together",
	  "DROP TRIGGER tree_no_delete; DELETE FROM payloads WHERE seq >= 7; "
	  "DELETE FROM entries WHERE seq >= 7; DELETE FROM tree WHERE id >= "
	  "(SELECT min(id) FROM tree WHERE id >= 11); UPDATE head SET size = "
	  "7;",
	  7, "missing" },
	/* The lookup-key table (FTS5) is plain SQL to an attacker: hide an
	 * entry from queries by its commit, or a delivery so that a retry
	 * would append it twice, or list an entry under a foreign commit. */
	{ "remove an entry's commit from the lookup keys",
	  "CREATE VIRTUAL TABLE temp.v USING fts5vocab(main, entry_keys, "
	  "instance); CREATE TEMP TABLE t AS SELECT doc, term FROM temp.v "
	  "WHERE doc = 6 AND term LIKE \"c%\"; INSERT INTO entry_keys "
	  "(entry_keys, rowid, k) SELECT \"delete\", doc, term FROM t;",
	  6, "index mismatch" },
	{ "remove a delivery id from the lookup keys",
	  "CREATE VIRTUAL TABLE temp.v USING fts5vocab(main, entry_keys, "
	  "instance); CREATE TEMP TABLE t AS SELECT doc, term FROM temp.v "
	  "WHERE doc = 2 AND term LIKE \"d%\"; INSERT INTO entry_keys "
	  "(entry_keys, rowid, k) SELECT \"delete\", doc, term FROM t;",
	  2, "index mismatch" },
	/* ... or an entry's body, so that a replay under a fresh delivery
	 * id would append it again */
	{ "remove an entry's body from the lookup keys",
	  "CREATE VIRTUAL TABLE temp.v USING fts5vocab(main, entry_keys, "
	  "instance); CREATE TEMP TABLE t AS SELECT doc, term FROM temp.v "
	  "WHERE doc = 5 AND term LIKE \"b%\"; INSERT INTO entry_keys "
	  "(entry_keys, rowid, k) SELECT \"delete\", doc, term FROM t;",
	  5, "index mismatch" },
	/* ... or, with schema 8's terms, a deployment from the answers:
	 * from its service's history (state), or from the deployments of
	 * its commit (the join) */
	{ "remove a deployment's place from the lookup keys",
	  "CREATE VIRTUAL TABLE temp.v USING fts5vocab(main, entry_keys, "
	  "instance); CREATE TEMP TABLE t AS SELECT doc, term FROM temp.v "
	  "WHERE doc = 4 AND term LIKE \"x%\"; INSERT INTO entry_keys "
	  "(entry_keys, rowid, k) SELECT \"delete\", doc, term FROM t;",
	  4, "index mismatch" },
	{ "remove a deployment's kind and commit from the lookup keys",
	  "CREATE VIRTUAL TABLE temp.v USING fts5vocab(main, entry_keys, "
	  "instance); CREATE TEMP TABLE t AS SELECT doc, term FROM temp.v "
	  "WHERE doc = 3 AND term LIKE \"q%\"; INSERT INTO entry_keys "
	  "(entry_keys, rowid, k) SELECT \"delete\", doc, term FROM t;",
	  3, "index mismatch" },
	{ "move a deployment to another service's place",
	  "CREATE VIRTUAL TABLE temp.v USING fts5vocab(main, entry_keys, "
	  "instance); CREATE TEMP TABLE t AS SELECT doc, term FROM temp.v "
	  "WHERE doc = 8 AND term LIKE \"x%\"; INSERT INTO entry_keys "
	  "(entry_keys, rowid, k) SELECT \"delete\", doc, term FROM t; "
	  "INSERT INTO entry_keys (rowid, k) SELECT 8, substr(term, 1, 16) || "
	  "CASE substr(term, 17) WHEN \"0\" THEN \"1\" ELSE \"0\" END "
	  "FROM t;",
	  8, "index mismatch" },
	{ "list an entry under another entry's commit",
	  "CREATE VIRTUAL TABLE temp.v USING fts5vocab(main, entry_keys, "
	  "instance); CREATE TEMP TABLE t AS SELECT term FROM temp.v "
	  "WHERE doc = 7 AND term LIKE \"c%\"; INSERT INTO entry_keys "
	  "(rowid, k) SELECT 3, term FROM t;",
	  3, "index mismatch" },
	{ "add a term that is no lookup key",
	  "INSERT INTO entry_keys (rowid, k) VALUES (4, \"garbage\");",
	  4, "index mismatch" },
	{ "corrupt the lookup-key table",
	  "UPDATE entry_keys_data SET block = zeroblob(length(block)) "
	  "WHERE id > 10;",
	  0, "index mismatch" },
	{ "move an authentic entry to another seq",
	  "UPDATE entries SET seq = 1000000 WHERE seq = 9; "
	  "UPDATE payloads SET seq = 1000000 WHERE seq = 9; "
	  "UPDATE entries SET seq = 9 WHERE seq = 8; "
	  "UPDATE payloads SET seq = 9 WHERE seq = 8;",
	  8, "missing" },
};

START_TEST(test_cli_verify_detects_tamper)
{
	const struct tamper *t = &tampers[_i];
	char *out;

	ck_assert_int_eq(sql(t->sql), 0);
	ck_assert_msg(verify(&out, NULL) == 1, "%s: verify did not fail: %s",
	    t->name, out);
	expect_first(out, t->seq, t->category);
	free(out);
	/* The human output names the seq too. */
	ck_assert_int_eq(tu_run(&out, "'%s' verify -d '%s'", ctl, data), 1);
	ck_assert_ptr_nonnull(strstr(out, "TAMPERED"));
	free(out);
}
END_TEST

/* Problems are printed in seq order, whichever check found them first
 * (the key table is checked after the walk). */
START_TEST(test_cli_verify_prints_in_seq_order)
{
	char *out, *p;
	long last = -1, seq;
	int lines = 0;

	ck_assert_int_eq(sql("INSERT INTO entry_keys (rowid, k) VALUES (2, "
	    "\"garbage\"); UPDATE entries SET sig = randomblob(64) WHERE "
	    "seq = 7;"), 0);
	ck_assert_int_eq(tu_run(&out, "printf '\\n'; '%s' verify -d '%s'",
	    ctl, data), 1);
	for (p = out; (p = strstr(p, "\nseq ")) != NULL; p++) {
		seq = strtol(p + 5, NULL, 10);
		ck_assert_msg(seq >= last, "seq %ld after %ld in:\n%s", seq,
		    last, out);
		last = seq;
		lines++;
	}
	ck_assert_int_ge(lines, 2);
	ck_assert_ptr_nonnull(strstr(out, "\nseq 2: index mismatch"));
	ck_assert_ptr_nonnull(strstr(out, "\nseq 7: bad signature"));
	free(out);
}
END_TEST

/* ledgerctl bundle by each selection, checked by verify --bundle with
 * nothing but the public key (the data directory moved away); a changed
 * bundle exits 1, an unreadable one 2. */
START_TEST(test_cli_bundle_round_trip)
{
	static const char *const sel[][2] = {
		{ "--seq 1,3-5", "4 entries" },
		{ "--ids-file", "3 entries" },
		{ "--kind deployment --env production", "10 entries" },
		{ "--since 2000-01-01 --until 2999-01-01 --limit 2",
		  "2 entries" },
	};
	char cmd[600], *out;
	size_t i;

	ck_assert_int_eq(tu_run(NULL, "'%s' checkpoint -d '%s' --no-pin "
	    ">/dev/null", ctl, data), 0);
	ck_assert_int_eq(tu_run(NULL, "printf '0\n\n7-8\n' > '%s/ids'", dir),
	    0);
	ck_assert_int_eq(tu_run(NULL, "cp '%s/ledger.pub' '%s/trusted.pub'",
	    data, dir), 0);
	for (i = 0; i < sizeof(sel) / sizeof(*sel); i++) {
		if (i == 1)
			snprintf(cmd, sizeof(cmd), "--ids-file '%s/ids'", dir);
		else
			snprintf(cmd, sizeof(cmd), "%s", sel[i][0]);
		ck_assert_int_eq(tu_run(&out, "'%s' bundle -d '%s' %s "
		    "--with-payloads -o '%s/b%zu.gz'", ctl, data, cmd, dir, i),
		    0);
		ck_assert_msg(strstr(out, sel[i][1]) != NULL, "%s: %s", cmd,
		    out);
		free(out);
	}
	/* offline: nothing but the file and the key */
	ck_assert_int_eq(tu_run(NULL, "mv '%s' '%s.away'", data, data), 0);
	for (i = 0; i < sizeof(sel) / sizeof(*sel); i++) {
		ck_assert_int_eq(tu_run(&out, "'%s' verify --bundle '%s/b%zu.gz' "
		    "--key '%s/trusted.pub'", ctl, dir, i, dir), 0);
		ck_assert_ptr_nonnull(strstr(out, "0 problems: INTACT"));
		free(out);
	}
	ck_assert_int_eq(tu_run(&out, "'%s' verify --bundle '%s/b0.gz' --key "
	    "'%s/trusted.pub' --json", ctl, dir, dir), 0);
	ck_assert_ptr_nonnull(strstr(out, "\"entries\":4,\"problems\":0,"
	    "\"status\":\"intact\""));
	free(out);
	/* a payload swapped for another entry's: that entry is named */
	ck_assert_int_eq(tu_run(NULL, "zcat '%s/b0.gz' | python3 -c '"
	    "import json,sys; d=json.load(sys.stdin); e=d[\"entries\"]; "
	    "e[1][\"payload\"]=e[2][\"payload\"]; "
	    "sys.stdout.write(json.dumps(d, separators=(\",\",\":\"), "
	    "sort_keys=True, ensure_ascii=False))' | gzip > '%s/bad.gz'",
	    dir, dir), 0);
	ck_assert_int_eq(tu_run(&out, "'%s' verify --bundle '%s/bad.gz' --key "
	    "'%s/trusted.pub'", ctl, dir, dir), 1);
	ck_assert_msg(strstr(out, "seq 3: TAMPERED: the payload is not the "
	    "one the entry names") != NULL, "%s", out);
	free(out);
	/* the deployments' population with its completeness evidence: the
	 * checkpoint before the period, proven a prefix of the newest */
	ck_assert_int_eq(tu_run(NULL, "sleep 0.02; date -u "
	    "+%%Y-%%m-%%dT%%H:%%M:%%S.%%3NZ > '%s/t0'; sleep 0.02", dir), 0);
	for (i = 0; i < 2; i++)
		ck_assert_int_eq(tu_run(NULL, "'%s' append -d '%s.away' --kind "
		    "deployment --subject environment=production --subject "
		    "service=pay >/dev/null", ctl, data), 0);
	ck_assert_int_eq(tu_run(&out, "'%s' deployments -d '%s.away' --env "
	    "production --from \"$(cat '%s/t0')\" --to 2999-01-01 --bundle "
	    "'%s/pop.gz' --json", ctl, data, dir, dir), 0);
	ck_assert_ptr_nonnull(strstr(out, "\"checkpoint_before\":{\"size\":"
	    "10,"));
	free(out);
	ck_assert_int_eq(tu_run(&out, "'%s' verify --bundle '%s/pop.gz' --key "
	    "'%s/trusted.pub' && zcat '%s/pop.gz' | grep -o "
	    "'\"older_checkpoints\":\\[{\"checkpoint\":\"test.example/log\\\\n10\\\\n'",
	    ctl, dir, dir, dir), 0);
	ck_assert_ptr_nonnull(strstr(out, "2 entries, 0 problems: INTACT"));
	free(out);
	/* status: the log at a glance */
	ck_assert_int_eq(tu_run(&out, "'%s' status -d '%s.away' --json", ctl,
	    data), 0);
	ck_assert_ptr_nonnull(strstr(out, "\"log_size\":12,"));
	ck_assert_ptr_nonnull(strstr(out, "\"checkpoint\":{\"size\":12,"));
	ck_assert_ptr_nonnull(strstr(out, "\"behind\":0,\"beyond_log\":0,"
	    "\"verified\":true"));
	ck_assert_ptr_nonnull(strstr(out, "\"disk\":{\"database_bytes\":"));
	free(out);
	ck_assert_int_eq(tu_run(&out, "'%s' status -d '%s.away'", ctl, data),
	    0);
	ck_assert_ptr_nonnull(strstr(out, "entries:     12 (seq 0 at "));
	free(out);
	/* misuse and unreadable files: 2 */
	ck_assert_int_eq(tu_run(NULL, "'%s' verify --bundle '%s/b0.gz' "
	    ">/dev/null 2>&1", ctl, dir), 2);
	ck_assert_int_eq(tu_run(NULL, "'%s' verify --bundle '%s/none.gz' --key "
	    "'%s/trusted.pub' >/dev/null 2>&1", ctl, dir, dir), 2);
	ck_assert_int_eq(tu_run(NULL, "'%s' bundle -d '%s.away' --seq 1 "
	    "-o '%s/b0.gz' >/dev/null 2>&1", ctl, data, dir), 2);
	ck_assert_int_eq(tu_run(NULL, "'%s' bundle -d '%s.away' --seq 1 "
	    "--kind build -o '%s/x.gz' >/dev/null 2>&1", ctl, data, dir), 2);
	ck_assert_int_eq(tu_run(NULL, "'%s' bundle -d '%s.away' --seq 1-x "
	    "-o '%s/x.gz' >/dev/null 2>&1", ctl, data, dir), 2);
	ck_assert_int_eq(tu_run(NULL, "mv '%s.away' '%s'", data, data), 0);
}
END_TEST

/* Re-sign the whole history with a different key (same origin): an
 * attacker who rebuilds the log.  Detected against the auditor's copy of
 * the public key, even when ledger.pub in the data directory is replaced. */
START_TEST(test_cli_verify_detects_resigned_history)
{
	char other[4300], *out;
	int i;

	snprintf(other, sizeof(other), "%s/other", dir);
	ck_assert_int_eq(tu_run(NULL, "cp '%s/ledger.pub' '%s/auditor.pub'",
	    data, dir), 0);
	ck_assert_int_eq(tu_run(NULL, "'%s' init --origin test.example/log "
	    "'%s' >/dev/null", ctl, other), 0);
	for (i = 0; i < NEVENTS; i++)
		ck_assert_int_eq(tu_run(NULL, "printf '{\"kind\":\"deployment\","
		    "\"subject\":{\"environment\":\"production\"}}' | '%s' "
		    "append -d '%s' - >/dev/null", ctl, other), 0);
	/* The attacker replaces everything: entries, payloads, tree, head,
	 * checkpoints and the lookup-key table (FTS5's shadow tables). */
	ck_assert_int_eq(tu_run(NULL, "sqlite3 '%s/ledger.db' \"ATTACH '%s/"
	    "ledger.db' AS o; DROP TRIGGER entries_no_delete; DROP TRIGGER "
	    "payloads_prune_only; DROP TRIGGER tree_no_delete; DROP TRIGGER "
	    "checkpoints_no_delete; DROP TRIGGER head_no_shrink; "
	    "DELETE FROM payloads; DELETE FROM entries; DELETE FROM tree; "
	    "DELETE FROM checkpoints; DELETE FROM entry_keys_data; "
	    "DELETE FROM entry_keys_idx; INSERT INTO entry_keys_data SELECT * "
	    "FROM o.entry_keys_data; INSERT INTO entry_keys_idx SELECT * FROM "
	    "o.entry_keys_idx; "
	    "INSERT INTO entries SELECT * FROM o.entries; INSERT INTO payloads"
	    " SELECT * FROM o.payloads; INSERT INTO tree SELECT * FROM o.tree;"
	    " INSERT INTO checkpoints SELECT * FROM o.checkpoints; "
	    "UPDATE head SET size = (SELECT size FROM o.head), last_leaf = "
	    "(SELECT last_leaf FROM o.head);\"", data, other), 0);
	ck_assert_int_eq(verify(&out, NULL), 1);
	expect_first(out, 0, "unknown key");
	free(out);
	/* The attacker also replaces the public key in the data directory:
	 * the log is then self-consistent, and only a key held elsewhere
	 * catches it (docs/FORMAT.md says so). */
	ck_assert_int_eq(tu_run(NULL, "cp '%s/ledger.pub' '%s/ledger.pub'",
	    other, data), 0);
	ck_assert_int_eq(verify(NULL, NULL), 0);
	ck_assert_int_eq(tu_run(&out, "'%s' verify -d '%s' --json --key "
	    "'%s/auditor.pub'", ctl, data, dir), 1);
	expect_first(out, 0, "unknown key");
	free(out);
}
END_TEST

/* Swapping a signature for the other key's signature of another entry. */
START_TEST(test_cli_verify_detects_foreign_signature)
{
	char *out;

	ck_assert_int_eq(sql("UPDATE entries SET sig = (SELECT sig FROM "
	    "entries WHERE seq = 6) WHERE seq = 2;"), 0);
	ck_assert_int_eq(verify(&out, NULL), 1);
	expect_first(out, 2, "bad signature");
	free(out);
}
END_TEST

/* ---- bad input to append: a clear error and nothing written ---- */

static const struct bad {
	const char *name;
	const char *printf_input;	/* printf(1) format of the body */
	const char *want;		/* in stderr */
} bad_inputs[] = {
	{ "invalid json", "{\"kind\":\"build\"", "invalid json" },
	{ "duplicate keys", "{\"kind\":\"build\",\"kind\":\"test\"}",
	  "duplicate" },
	{ "not an object", "[1,2,3]", "must be a JSON object" },
	{ "unknown kind", "{\"kind\":\"bild\"}", "unknown kind 'bild'" },
	{ "missing kind", "{\"subject\":{}}", "missing 'kind'" },
	{ "unknown member", "{\"kind\":\"build\",\"colour\":1}",
	  "unknown member 'colour'" },
	{ "unknown subject field",
	  "{\"kind\":\"build\",\"subject\":{\"enviroment\":\"x\"}}",
	  "unknown subject field 'enviroment'" },
	{ "subject not a string",
	  "{\"kind\":\"build\",\"subject\":{\"run\":5}}", "must be a string" },
	{ "invalid utf-8", "{\"kind\":\"build\",\"event\":\"\\377\"}",
	  "invalid utf-8" },
	{ "lone surrogate", "{\"kind\":\"build\",\"event\":\"\\\\ud800\"}",
	  "surrogate" },
	{ "control character in a field",
	  "{\"kind\":\"build\",\"event\":\"a\\\\u0001b\"}", "control" },
	{ "empty input", "", "invalid json" },
	{ "trailing garbage", "{\"kind\":\"build\"} x", "invalid json" },
};

static int
count_events(void)
{
	char *out;
	int n = 0;
	char *p;

	ck_assert_int_eq(tu_run(&out, "'%s' events -d '%s' --json", ctl,
	    data), 0);
	for (p = out; *p; p++)
		n += *p == '\n';
	free(out);
	return n;
}

START_TEST(test_cli_append_rejects_bad_input)
{
	const struct bad *b = &bad_inputs[_i];
	char *err;
	int r;

	r = tu_run(&err, "printf '%s' | '%s' append -d '%s' - 2>&1 >/dev/null",
	    b->printf_input, ctl, data);
	ck_assert_msg(r == 2, "%s: exit %d (%s)", b->name, r, err);
	ck_assert_msg(strncmp(err, "ledgerctl: ", 11) == 0, "%s: %s", b->name,
	    err);
	ck_assert_msg(strstr(err, b->want) != NULL, "%s: want '%s' in '%s'",
	    b->name, b->want, err);
	free(err);
	ck_assert_int_eq(count_events(), NEVENTS);
	ck_assert_int_eq(verify(NULL, NULL), 0);
}
END_TEST

START_TEST(test_cli_append_rejects_oversized_body)
{
	char *err;
	int r;

	r = tu_run(&err, "head -c 2000000 /dev/zero | tr '\\0' ' ' | '%s' "
	    "append -d '%s' - 2>&1 >/dev/null", ctl, data);
	ck_assert_int_eq(r, 2);
	ck_assert_ptr_nonnull(strstr(err, "larger than the limit"));
	free(err);
	r = tu_run(&err, "printf '{\"kind\":\"build\",\"payload\":\"%0200d\"}'"
	    " | '%s' append --max-bytes 100 -d '%s' - 2>&1 >/dev/null", 0, ctl,
	    data);
	ck_assert_int_eq(r, 2);
	free(err);
	ck_assert_int_eq(count_events(), NEVENTS);
}
END_TEST

/* A retry (same delivery, same body) gets the original receipt; the same
 * delivery id with another body is a conflict (exit 2), never a silent
 * "already there".  Neither appends. */
START_TEST(test_cli_append_duplicate_delivery_returns_original)
{
	char *a, *b;

	ck_assert_int_eq(tu_run(&a, "printf '{\"kind\":\"deployment\","
	    "\"delivery\":\"d-3\",\"subject\":{\"environment\":"
	    "\"production\",\"service\":\"pay\",\"commit\":\"%040d\"},"
	    "\"payload\":{\"n\":3}}' | '%s' append -d '%s' --json -", 3, ctl,
	    data), 0);
	ck_assert_ptr_nonnull(strstr(a, "\"seq\":3,"));
	ck_assert_ptr_nonnull(strstr(a, "\"duplicate\":true"));
	ck_assert_int_eq(tu_run(&b, "printf '{\"kind\":\"deployment\","
	    "\"delivery\":\"d-3\"}' | '%s' append -d '%s' --json - 2>&1",
	    ctl, data), 2);
	ck_assert_msg(strstr(b, "with a different body") != NULL, "%s", b);
	free(a);
	free(b);
	ck_assert_int_eq(count_events(), NEVENTS);
}
END_TEST

START_TEST(test_cli_append_flags_and_receipt)
{
	char *out;

	ck_assert_int_eq(tu_run(&out, "printf '{\"payload\":{\"x\":1}}' | "
	    "'%s' append -d '%s' --kind approval --source cab --subject "
	    "actor=alice --subject environment=PRODUCTION --json -", ctl,
	    data), 0);
	ck_assert_ptr_nonnull(strstr(out, "\"seq\":10,"));
	ck_assert_ptr_nonnull(strstr(out, "\"leaf_hash\":\""));
	free(out);
	ck_assert_int_eq(tu_run(&out, "'%s' show -d '%s' 10", ctl, data), 0);
	ck_assert_ptr_nonnull(strstr(out, "\"kind\":\"approval\""));
	ck_assert_ptr_nonnull(strstr(out, "\"environment\":\"production\""));
	ck_assert_ptr_nonnull(strstr(out, "\"name\":\"cab\""));
	ck_assert_ptr_nonnull(strstr(out, "{\"payload\":{\"x\":1}}"));
	free(out);
	ck_assert_int_eq(tu_run(&out, "'%s' events -d '%s' --actor alice "
	    "--csv", ctl, data), 0);
	ck_assert_ptr_nonnull(strstr(out, "10,"));
	ck_assert_ptr_null(strstr(out, "\n9,"));
	free(out);
	ck_assert_int_eq(verify(NULL, NULL), 0);
}
END_TEST

START_TEST(test_cli_misuse_exits_2)
{
	char *err;

	ck_assert_int_eq(tu_run(&err, "'%s' 2>&1", ctl), 2);
	free(err);
	ck_assert_int_eq(tu_run(&err, "'%s' frobnicate 2>&1", ctl), 2);
	ck_assert_ptr_nonnull(strstr(err, "'frobnicate' is not a command"));
	free(err);
	ck_assert_int_eq(tu_run(&err, "'%s' verify --bogus 2>&1", ctl), 2);
	ck_assert_ptr_nonnull(strstr(err, "usage: ledgerctl verify"));
	free(err);
	ck_assert_int_eq(tu_run(&err, "'%s' show -d '%s' abc 2>&1", ctl, data),
	    2);
	free(err);
	ck_assert_int_eq(tu_run(&err, "'%s' show -d '%s' 999 2>&1", ctl, data),
	    1);
	ck_assert_ptr_nonnull(strstr(err, "no entry 999"));
	free(err);
	ck_assert_int_eq(tu_run(&err, "'%s' verify -d /nonexistent 2>&1",
	    ctl), 2);
	free(err);
	ck_assert_int_eq(tu_run(&err, "'%s' --help", ctl), 0);
	ck_assert_ptr_nonnull(strstr(err, "verify"));
	free(err);
}
END_TEST

START_TEST(test_cli_init_refuses_to_overwrite)
{
	char *err;
	struct stat sb;
	char path[4400];

	ck_assert_int_eq(tu_run(&err, "'%s' init '%s' 2>&1", ctl, data), 2);
	ck_assert_ptr_nonnull(strstr(err, "refusing to overwrite"));
	free(err);
	snprintf(path, sizeof(path), "%s/ledger.key", data);
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 0777, 0600);
	/* A key readable by others is refused. */
	ck_assert_int_eq(chmod(path, 0644), 0);
	ck_assert_int_eq(tu_run(&err, "printf '{\"kind\":\"build\"}' | '%s' "
	    "append -d '%s' - 2>&1", ctl, data), 2);
	ck_assert_ptr_nonnull(strstr(err, "readable"));
	free(err);
	ck_assert_int_eq(chmod(path, 0600), 0);
	ck_assert_int_eq(tu_run(&err, "'%s' init --origin 'bad origin' "
	    "'%s/x' 2>&1", ctl, dir), 2);
	ck_assert_ptr_nonnull(strstr(err, "bad origin"));
	free(err);
}
END_TEST

START_TEST(test_cli_canonicalize)
{
	char *out;

	ck_assert_int_eq(tu_run(&out, "printf '{\"b\":1.0,\"a\":[1e21,"
	    "\"\\\\u00e9\"]}' | '%s' canonicalize", ctl), 0);
	ck_assert_str_eq(out, "{\"a\":[1e+21,\"\xc3\xa9\"],\"b\":1}");
	free(out);
	ck_assert_int_eq(tu_run(&out, "printf '{\"a\":1,\"a\":2}' | '%s' "
	    "canonicalize 2>&1", ctl), 2);
	ck_assert_ptr_nonnull(strstr(out, "duplicate"));
	free(out);
}
END_TEST

START_TEST(test_cli_canonicalize_vectors)
{
	static const char *const names[] = { "arrays", "french", "structures",
	    "unicode", "values", "weird" };
	const char *vec = tu_env_dir("LEDGER_VECTORS");
	char path[4096], *out, *want;
	size_t i, wlen;

	ck_assert_msg(vec != NULL, "LEDGER_VECTORS is not set");
	for (i = 0; i < 6; i++) {
		ck_assert_int_eq(tu_run(&out, "'%s' canonicalize '%s/jcs/input/"
		    "%s.json'", ctl, vec, names[i]), 0);
		snprintf(path, sizeof(path), "%s/jcs/output/%s.json", vec,
		    names[i]);
		want = tu_slurp(path, &wlen);
		ck_assert_msg(strlen(out) == wlen && memcmp(out, want, wlen) ==
		    0, "%s: got %s", names[i], out);
		free(out);
		free(want);
	}
}
END_TEST

static Suite *
cli_suite(void)
{
	Suite *s = suite_create("cli");
	TCase *tc;

	tc = tcase_create("tamper");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_cli_verify_intact);
	tcase_add_loop_test(tc, test_cli_verify_detects_tamper, 0,
	    (int)(sizeof(tampers) / sizeof(*tampers)));
	tcase_add_test(tc, test_cli_verify_prints_in_seq_order);
	tcase_add_test(tc, test_cli_verify_detects_resigned_history);
	tcase_add_test(tc, test_cli_verify_detects_foreign_signature);
	suite_add_tcase(s, tc);

	tc = tcase_create("append");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_cli_append_rejects_bad_input, 0,
	    (int)(sizeof(bad_inputs) / sizeof(*bad_inputs)));
	tcase_add_test(tc, test_cli_append_rejects_oversized_body);
	tcase_add_test(tc, test_cli_append_duplicate_delivery_returns_original);
	tcase_add_test(tc, test_cli_append_flags_and_receipt);
	tcase_add_test(tc, test_cli_misuse_exits_2);
	tcase_add_test(tc, test_cli_init_refuses_to_overwrite);
	tcase_add_test(tc, test_cli_bundle_round_trip);
	suite_add_tcase(s, tc);

	tc = tcase_create("canonicalize");
	tcase_add_test(tc, test_cli_canonicalize);
	tcase_add_test(tc, test_cli_canonicalize_vectors);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	if ((ctl = getenv("LEDGERCTL")) == NULL) {
		fprintf(stderr, "LEDGERCTL is not set\n");
		return 77;
	}
	if (tu_run(NULL, "command -v sqlite3 >/dev/null") != 0) {
		fprintf(stderr, "sqlite3 command not found\n");
		return 77;
	}
	if (tu_env_dir("LEDGER_VECTORS") == NULL) {
		fprintf(stderr, "LEDGER_VECTORS (../shared/vectors) not found: "
		    "skipped\n");
		return 77;
	}
	return tu_run_suite(cli_suite());
}
