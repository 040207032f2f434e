/*
 * test-bundle.c - bundles (ledger/bundle.h): written and checked offline;
 * every single-byte change of a bundle's uncompressed text is rejected (a
 * loop over the whole document); truncated and non-gzip files; another
 * log's key; a checkpoint that does not cover an entry; payloads that are
 * not the entry's.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <zlib.h>

#include "ledger/bundle.h"
#include "ledger/report.h"
#include "ledger/jcs.h"
#include "ledger/note.h"
#include "ledger/tree.h"
#include "teststore.h"
#include "testutil.h"

static struct ledger_store *s;
static char path[4200], path2[4200];
static char *old_note;			/* the checkpoint of size 5 */

static void
setup(void)
{
	struct ledger_signed_checkpoint cp;
	int i;

	ts_setup("bundle.example/log");
	ck_assert_int_eq(ledger_store_open(ts_data(), 0, &s, NULL), LEDGER_OK);
	for (i = 0; i < 12; i++) {
		if (i == 5) {
			ck_assert_int_eq(ledger_store_checkpoint(s, &cp, NULL,
			    NULL), LEDGER_OK);
			old_note = strdup(cp.note);
			ledger_signed_checkpoint_release(&cp);
		}
		ts_add(s, i % 2 ? LEDGER_KIND_BUILD : LEDGER_KIND_DEPLOYMENT,
		    "environment=prod", i % 3 ? "run=r" : "run=s", NULL);
	}
	ck_assert_int_eq(ledger_store_checkpoint(s, &cp, NULL, NULL),
	    LEDGER_OK);
	ledger_signed_checkpoint_release(&cp);
	snprintf(path, sizeof(path), "%s/b.gz", ts_dir());
	snprintf(path2, sizeof(path2), "%s/c.gz", ts_dir());
}

static void
teardown(void)
{
	free(old_note);
	ledger_store_close(s);
	ts_teardown();
}

struct tally {
	uint64_t ok, bad, whole;
	char last[256];
};

static void
count(void *ctx, const struct ledger_bundle_verdict *v)
{
	struct tally *t = ctx;

	if (v->seq < 0)
		t->whole++;
	else if (v->ok)
		t->ok++;
	else
		t->bad++;
	if (!v->ok)
		snprintf(t->last, sizeof(t->last), "%s", v->problem);
}

/* Verify p with the store's key: the status; *t the verdicts. */
static enum ledger_status
check_file(const char *p, struct tally *t)
{
	uint64_t n, bad;
	enum ledger_status st;

	memset(t, 0, sizeof(*t));
	st = ledger_bundle_verify(p, ledger_store_vkey(s), 1, count, t, &n,
	    &bad, NULL);
	if (st == LEDGER_OK)
		ck_assert_uint_eq(bad, t->bad + t->whole);
	return st;
}

static const struct ledger_bundle_opts with = { true, NULL, 0 };

static void
write_seqs(const uint64_t *seqs, size_t n, bool payloads)
{
	struct ledger_bundle_stats st;

	unlink(path);
	ck_assert_int_eq(ledger_bundle_write(s, seqs, n, payloads ? &with :
	    NULL, path, &st,
	    NULL), LEDGER_OK);
	ck_assert_uint_eq(st.entries, n);
	ck_assert_uint_eq(st.payloads, payloads ? n : 0);
	ck_assert_uint_eq(st.checkpoint_size, 12);
}

/* The uncompressed text of the bundle at p. */
static char *
gunzip(const char *p, size_t *len)
{
	static char buf[1 << 20];
	gzFile gz = gzopen(p, "rb");
	int n;

	ck_assert_ptr_nonnull(gz);
	n = gzread(gz, buf, sizeof(buf));
	ck_assert_int_gt(n, 0);
	ck_assert_int_lt(n, (int)sizeof(buf));
	gzclose(gz);
	buf[n] = '\0';
	*len = (size_t)n;
	return buf;
}

static void
gzip_to(const char *p, const char *text, size_t len)
{
	gzFile gz;

	unlink(p);
	gz = gzopen(p, "wb1");
	ck_assert_ptr_nonnull(gz);
	ck_assert_int_eq(gzwrite(gz, text, (unsigned)len), (int)len);
	ck_assert_int_eq(gzclose(gz), Z_OK);
}

START_TEST(test_bundle_round_trip)
{
	static const uint64_t seqs[] = { 0, 1, 2, 7, 11 };
	struct tally t;
	size_t len;
	char *text;

	write_seqs(seqs, 5, true);
	ck_assert_int_eq(check_file(path, &t), LEDGER_OK);
	ck_assert_uint_eq(t.ok, 5);
	ck_assert_uint_eq(t.bad + t.whole, 0);
	text = gunzip(path, &len);
	ck_assert_int_eq(strncmp(text, "{\"checkpoint\":\"bundle.example/log"
	    "\\n12\\n", 39), 0);
	ck_assert_ptr_nonnull(strstr(text, "\"format\":\"ledgerd-bundle/v1\""));
	ck_assert_ptr_nonnull(strstr(text, "\"payload\":\""));
	/* without payloads */
	write_seqs(seqs + 3, 2, false);
	ck_assert_int_eq(check_file(path, &t), LEDGER_OK);
	ck_assert_uint_eq(t.ok, 2);
	text = gunzip(path, &len);
	ck_assert_ptr_null(strstr(text, "\"payload\""));
	/* refused: not ascending, empty, beyond the checkpoint, existing */
	unlink(path);
	ck_assert_int_eq(ledger_bundle_write(s, (const uint64_t[]){ 3, 2 }, 2,
	    NULL, path, NULL, NULL), LEDGER_EINVAL);
	ck_assert_int_eq(ledger_bundle_write(s, seqs, 0, NULL, path, NULL,
	    NULL), LEDGER_EINVAL);
	ts_add(s, LEDGER_KIND_BUILD, "run=late", NULL);
	ck_assert_int_eq(ledger_bundle_write(s, (const uint64_t[]){ 12 }, 1,
	    NULL, path, NULL, NULL), LEDGER_ENOTFOUND);
	ck_assert_int_ne(access(path, F_OK), 0);	/* nothing left */
	write_seqs(seqs, 1, false);
	ck_assert_int_eq(ledger_bundle_write(s, seqs, 1, NULL, path, NULL,
	    NULL), LEDGER_EEXIST);
}
END_TEST

/* Every byte of the uncompressed text, changed: rejected. */
START_TEST(test_bundle_every_byte)
{
	static const uint64_t seqs[] = { 4, 5 };
	struct tally t;
	size_t len, i;
	char *text, *copy;
	enum ledger_status st;

	/* with the older checkpoint of size 5 and its consistency proof */
	unlink(path);
	ck_assert_int_eq(ledger_bundle_write(s, seqs, 2,
	    &(struct ledger_bundle_opts){ true, (const uint64_t[]){ 5, 5, 12,
	    99 }, 4 }, path, NULL, NULL), LEDGER_OK);
	ck_assert_int_eq(check_file(path, &t), LEDGER_OK);
	ck_assert_uint_eq(t.ok, 2);
	ck_assert_uint_eq(t.whole, 0);
	text = gunzip(path, &len);
	ck_assert_ptr_nonnull(strstr(text, "\"older_checkpoints\":[{"
	    "\"checkpoint\":\"bundle.example/log\\n5\\n"));
	ck_assert_ptr_nonnull(strstr(text, "]}],\"origin\""));	/* one */
	copy = malloc(len);
	ck_assert_ptr_nonnull(copy);
	for (i = 0; i < len; i++) {
		memcpy(copy, text, len);
		copy[i] = (char)(copy[i] ^ 1);
		gzip_to(path2, copy, len);
		st = check_file(path2, &t);
		ck_assert_msg(st != LEDGER_OK || t.bad + t.whole > 0,
		    "byte %zu ('%c') changed, accepted", i, text[i]);
	}
	/* and the original still checks */
	gzip_to(path2, text, len);
	ck_assert_int_eq(check_file(path2, &t), LEDGER_OK);
	ck_assert_uint_eq(t.ok, 2);
	free(copy);
}
END_TEST

/* The same bundle to a file descriptor; a population's answer as a
 * bundle of the entries it names; what is not one refused. */
START_TEST(test_bundle_fd_and_population)
{
	static const uint64_t seqs[] = { 1, 4, 9 };
	static const char *const bad[][2] = {
		{ "{\"deployments\":", "not JSON" },
		{ "{\"state\":[]}", "not a population" },
		{ "{\"deployments\":[{\"seq\":1}],\"truncated\":true}",
		  "cut short" },
		{ "{\"deployments\":[]}", "empty" },
	};
	static const char pop[] = "{\"deployments\":[{\"seq\":9,\"entries\":"
	    "[4,9],\"approvals\":[{\"seq\":1}]}],\"completeness\":{"
	    "\"checkpoint_before\":{\"size\":5},\"checkpoint_after\":null}}";
	struct ledger_population_bundle pb;
	struct ledger_error err;
	struct tally t;
	size_t len, len2, i;
	char *text;
	int fd;

	write_seqs(seqs, 3, true);
	text = strdup(gunzip(path, &len));
	unlink(path2);
	fd = open(path2, O_WRONLY | O_CREAT | O_EXCL, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ledger_bundle_write_fd(s, seqs, 3, &with, fd, NULL,
	    NULL), LEDGER_OK);
	close(fd);
	ck_assert_str_eq(gunzip(path2, &len2), text);
	free(text);

	unlink(path2);
	fd = open(path2, O_WRONLY | O_CREAT | O_EXCL, 0600);
	ck_assert_int_eq(ledger_population_bundle(s, pop, strlen(pop), NULL,
	    fd, &pb, &err), LEDGER_OK);
	close(fd);
	ck_assert_uint_eq(pb.st.entries, 3);
	ck_assert_uint_eq(pb.nolder, 1);
	ck_assert_uint_eq(pb.older[0], 5);
	ck_assert_int_eq(check_file(path2, &t), LEDGER_OK);
	ck_assert_uint_eq(t.ok, 3);
	ck_assert_uint_eq(t.bad + t.whole, 0);
	text = gunzip(path2, &len);
	ck_assert_ptr_nonnull(strstr(text, "\"older_checkpoints\":[{"
	    "\"checkpoint\":\"bundle.example/log\\n5\\n"));
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		unlink(path2);
		fd = open(path2, O_WRONLY | O_CREAT | O_EXCL, 0600);
		ck_assert_int_ge(fd, 0);
		ck_assert_int_ne(ledger_population_bundle(s, bad[i][0],
		    strlen(bad[i][0]), NULL, fd, &pb, &err), LEDGER_OK);
		ck_assert_msg(strstr(err.msg, bad[i][1]) != NULL, "%s: %s",
		    bad[i][0], err.msg);
		/* refused before a byte was written */
		ck_assert_int_eq(lseek(fd, 0, SEEK_END), 0);
		close(fd);
	}
}
END_TEST

START_TEST(test_bundle_files_and_keys)
{
	static const uint64_t seqs[] = { 3, 6, 8 };
	struct ledger_vkey other;
	uint8_t sk[LEDGER_NOTE_SECRET_BYTES];
	struct tally t;
	FILE *f;
	long size;
	size_t len;
	char *text, *at, *mod;

	write_seqs(seqs, 3, true);
	/* truncated gzip files */
	f = fopen(path, "rb");
	ck_assert_ptr_nonnull(f);
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	fclose(f);
	for (long cut = 1; cut < size; cut += size / 7 + 1) {
		ck_assert_int_eq(tu_run(NULL, "head -c %ld '%s' > '%s'", cut,
		    path, path2), 0);
		ck_assert_int_ne(check_file(path2, &t), LEDGER_OK);
	}
	/* the text, not gzipped */
	text = gunzip(path, &len);
	f = fopen(path2, "wb");
	ck_assert_ptr_nonnull(f);
	fwrite(text, 1, len, f);
	fclose(f);
	ck_assert_int_eq(check_file(path2, &t), LEDGER_EINVAL);
	/* data after the gzip stream, or a second member: not one stream */
	ck_assert_int_eq(tu_run(NULL, "cp '%s' '%s' && printf x >> '%s'", path,
	    path2, path2), 0);
	ck_assert_int_eq(check_file(path2, &t), LEDGER_EINVAL);
	ck_assert_int_eq(tu_run(NULL, "cat '%s' '%s' > '%s'", path, path,
	    path2), 0);
	ck_assert_int_eq(check_file(path2, &t), LEDGER_EINVAL);
	/* a NUL spelled \u0000, which C strings would cut off, in the origin
	 * and after a signature; and a signature in upper-case hex */
	{
		static const char *const edits[][2] = {
			{ "\"origin\":\"bundle.example/log\"",
			  "\"origin\":\"bundle.example/log\\u0000x\"" },
			{ ",\"signature\":\"", ",\"signature\":\"\\u0000" },
			{ ",\"signature\":\"", NULL },
		};
		size_t e;

		for (e = 0; e < 3; e++) {
			char *m, *at2;

			text = gunzip(path, &len);
			m = malloc(len + 64);
			ck_assert_ptr_nonnull(m);
			at2 = strstr(text, edits[e][0]);
			ck_assert_ptr_nonnull(at2);
			at2 += strlen(edits[e][0]);
			memcpy(m, text, (size_t)(at2 - text));
			m[at2 - text] = '\0';
			if (edits[e][1] != NULL) {
				m[at2 - text - strlen(edits[e][0])] = '\0';
				strcat(m, edits[e][1]);
				strcat(m, at2);
			} else {
				size_t k = strlen(m);

				strcat(m, at2);
				for (; m[k] != '"'; k++)
					if (m[k] >= 'a' && m[k] <= 'f')
						m[k] = (char)(m[k] - 'a' + 'A');
			}
			gzip_to(path2, m, strlen(m));
			ck_assert_int_eq(check_file(path2, &t), LEDGER_OK);
			ck_assert_msg(t.bad + t.whole > 0, "edit %zu accepted",
			    e);
			free(m);
		}
	}
	/* another key of the same name trusts nothing here */
	ck_assert_int_eq(ledger_note_key_generate("bundle.example/log", &other,
	    sk, NULL), LEDGER_OK);
	memset(&t, 0, sizeof(t));
	ck_assert_int_eq(ledger_bundle_verify(path, &other, 1, count, &t, NULL,
	    NULL, NULL), LEDGER_OK);
	ck_assert_uint_gt(t.whole, 0);
	ck_assert_uint_eq(t.ok, 0);
	/* the older checkpoint (size 5) in place of the newest: entries 6
	 * and 8 are not covered; 3 is, but its path is to the tree of 12 */
	text = gunzip(path, &len);
	at = strstr(text, "\",\"entries\"");
	ck_assert_ptr_nonnull(at);
	mod = malloc(len + 1024);
	ck_assert_ptr_nonnull(mod);
	strcpy(mod, "{\"checkpoint\":");
	{
		struct ledger_buf b = LEDGER_BUF_INIT;

		ck_assert_int_eq(ledger_jcs_append_string(&b, old_note,
		    strlen(old_note), NULL), LEDGER_OK);
		strncat(mod, (char *)b.data, b.len);
		ledger_buf_release(&b);
	}
	strncat(mod, at + 1, len - (size_t)(at + 1 - text));
	gzip_to(path2, mod, strlen(mod));
	ck_assert_int_eq(check_file(path2, &t), LEDGER_OK);
	ck_assert_uint_eq(t.bad, 3);
	ck_assert_str_eq(t.last, "the checkpoint does not cover it");
	free(mod);
}
END_TEST

int
main(void)
{
	Suite *su = suite_create("bundle");
	TCase *tc = tcase_create("bundle");

	tcase_set_timeout(tc, 600);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_bundle_round_trip);
	tcase_add_test(tc, test_bundle_every_byte);
	tcase_add_test(tc, test_bundle_files_and_keys);
	tcase_add_test(tc, test_bundle_fd_and_population);
	suite_add_tcase(su, tc);
	return tu_run_suite(su);
}
