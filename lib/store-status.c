/*
 * store-status.c - what an operator asks first (ledger_store_status_json
 * in ledger/store.h): how big the log is, how fresh its newest signed
 * checkpoint, which keys sign it, what the disk holds
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ledger/jcs.h"
#include "ledger/keyhist.h"
#include "ledger/retention.h"
#include "ledger/store.h"
#include "ledger/tree.h"
#include "ledger-int.h"
#include "store-int.h"

static int64_t
file_size(const char *dir, const char *name)
{
	char path[4200];
	struct stat sb;

	if (dir == NULL)
		return 0;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return stat(path, &sb) == 0 ? (int64_t)sb.st_size : 0;
}

/* ,"NAME":{"seq":N,"time":"..."} of entry seq, or null. */
static enum ledger_status
entry_at(struct ledger_store *s, const char *name, uint64_t seq, bool have,
    struct ledger_buf *out, struct ledger_error *err)
{
	char t[LEDGER_TIME_MAX];
	enum ledger_status st;
	int64_t ms;

	if (!have)
		return ledger_buf_addf(out, ",\"%s\":null", name);
	if ((st = ledger_store_time_of(s, seq, &ms, err)) != LEDGER_OK)
		return st;
	ledger_time_format(ms, t);
	return ledger_buf_addf(out, ",\"%s\":{\"seq\":%" PRIu64 ",\"time\":"
	    "\"%s\"}", name, seq, t);
}

static int
add_time(struct ledger_buf *out, const char *name, int64_t ms)
{
	char t[LEDGER_TIME_MAX];

	if (ms == 0)
		return ledger_buf_addf(out, ",\"%s\":null", name);
	ledger_time_format(ms, t);
	return ledger_buf_addf(out, ",\"%s\":\"%s\"", name, t);
}

static int
add_str(struct ledger_buf *out, const char *name, const char *v)
{
	int r = ledger_buf_addf(out, ",\"%s\":", name);

	if (v == NULL)
		return r | ledger_buf_adds(out, "null");
	return r | ledger_jcs_append_string(out, v, strlen(v), NULL);
}

/* "keys": [{"key_id","from_seq","until_seq","retired_seq",
 * "revoked_from_seq","current","vkey"}] (without its array's brackets'
 * opening, which the caller wrote). */
static enum ledger_status
keys_json(const struct ledger_keyhist *h, struct ledger_buf *out,
    struct ledger_error *err)
{
	const struct ledger_keyinfo *k;
	enum ledger_status st = LEDGER_OK;
	char *line = NULL;
	size_t i;
	int r = 0;

	for (i = 0; i < h->n && st == LEDGER_OK; i++) {
		k = &h->keys[i];
		if ((st = ledger_vkey_format(&k->vk, &line, err)) != LEDGER_OK)
			break;
		r |= ledger_buf_addf(out, "%s{\"key_id\":\"%08" PRIx32 "\","
		    "\"from_seq\":%" PRIu64, i ? "," : "", k->vk.id,
		    k->from_seq);
		r |= ledger_buf_seq_member(out, ",", "until_seq", k->until_seq);
		r |= ledger_buf_seq_member(out, ",", "retired_seq",
		    k->retired_seq);
		r |= ledger_buf_seq_member(out, ",", "revoked_from_seq",
		    k->revoked_from);
		r |= ledger_buf_addf(out, ",\"current\":%s,\"vkey\":",
		    i == h->current ? "true" : "false");
		r |= ledger_jcs_append_string(out, line, strlen(line), NULL);
		r |= ledger_buf_addc(out, '}');
		free(line);
		line = NULL;
	}
	if (st == LEDGER_OK && r != 0)
		st = ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	return st;
}

/* "pruned": the records of prunes; "holds": every legal hold, released
 * ones with the seq of their release (ledger/retention.h). */
static enum ledger_status
retention_json(struct ledger_store *s, struct ledger_buf *out,
    struct ledger_error *err)
{
	struct ledger_retention rt;
	const struct ledger_hold *h;
	enum ledger_status st;
	int r = 0;
	size_t i;

	if ((st = ledger_retention_read(s, &rt, err)) != LEDGER_OK)
		return st;
	r |= ledger_buf_adds(out, ",\"pruned\":[");
	for (i = 0; i < rt.nprunes; i++) {
		r |= ledger_buf_addf(out, "%s{\"record_seq\":%" PRIu64
		    ",\"before_seq\":%" PRIu64, i ? "," : "",
		    rt.prunes[i].seq, rt.prunes[i].before_seq);
		r |= add_time(out, "time", rt.prunes[i].time_ms);
		r |= ledger_buf_addc(out, '}');
	}
	r |= ledger_buf_adds(out, "],\"holds\":[");
	for (i = 0; i < rt.nholds; i++) {
		h = &rt.holds[i];
		r |= ledger_buf_addf(out, "%s{\"seq\":%" PRIu64, i ? "," : "",
		    h->seq);
		r |= add_time(out, "time", h->time_ms);
		r |= add_str(out, "environment", h->environment);
		r |= add_time(out, "since", h->since_ms);
		r |= add_time(out, "until", h->until_ms);
		if (h->has_seqs)
			r |= ledger_buf_addf(out, ",\"from_seq\":%" PRIu64
			    ",\"to_seq\":%" PRIu64, h->from_seq, h->to_seq);
		else
			r |= ledger_buf_adds(out, ",\"from_seq\":null,"
			    "\"to_seq\":null");
		r |= add_str(out, "reason", h->reason);
		if (h->released)
			r |= ledger_buf_addf(out, ",\"released_seq\":%" PRIu64
			    "}", h->released_seq);
		else
			r |= ledger_buf_adds(out, ",\"released_seq\":null}");
	}
	r |= ledger_buf_addc(out, ']');
	ledger_retention_release(&rt);
	return r ? ledger_errorf(err, LEDGER_ENOMEM, "out of memory") :
	    LEDGER_OK;
}

enum ledger_status
ledger_store_status_json(struct ledger_store *s, struct ledger_buf *out,
    struct ledger_error *err)
{
	struct ledger_signed_checkpoint cp;
	enum ledger_status st, r = LEDGER_OK;
	struct ledger_vkey vks[LEDGER_KEYHIST_MAX];
	struct ledger_keyhist h;
	char t[LEDGER_TIME_MAX];
	uint64_t size, free_bytes = 0;
	bool incremental = false;
	int64_t now = ledger_now_ms();
	size_t i;

	memset(&cp, 0, sizeof(cp));
	h.n = 0;
	if ((st = ledger_store_snapshot_begin(s, err)) != LEDGER_OK)
		return st;
	/* the key history, from the log's key records, rooted in
	 * ledger.pub (none without it) */
	if (s->have_vkey && (st = ledger_store_keyhist(s, &s->vkey, &h, err)))
		goto out;
	for (i = 0; i < h.n; i++)
		vks[i] = h.keys[i].vk;
	if ((st = ledger_store_size(s, &size, err)) != LEDGER_OK)
		goto out;
	r |= ledger_buf_adds(out, "{\"origin\":");
	r |= ledger_jcs_append_string(out, s->origin, strlen(s->origin), NULL);
	r |= ledger_buf_addf(out, ",\"log_size\":%" PRIu64, size);
	if ((st = entry_at(s, "oldest", 0, size > 0, out, err)) ||
	    (st = entry_at(s, "newest", size - 1, size > 0, out, err)))
		goto out;
	st = ledger_store_checkpoint_latest(s, &cp, err);
	if (st == LEDGER_ENOTFOUND) {
		r |= ledger_buf_adds(out, ",\"checkpoint\":null");
		st = LEDGER_OK;
	} else if (st == LEDGER_OK) {
		struct ledger_signed_checkpoint ok;
		struct ledger_error verr;
		bool verified = h.n > 0 && ledger_checkpoint_verify(cp.note,
		    cp.note_len, vks, h.n, &ok, &verr) == LEDGER_OK;

		ledger_time_format(cp.time_ms, t);
		/* a checkpoint beyond the log: the log lost entries it
		 * signed (a rollback); said, not hidden in an underflow */
		r |= ledger_buf_addf(out, ",\"checkpoint\":{\"size\":%" PRIu64
		    ",\"time\":\"%s\",\"age_s\":%" PRId64 ",\"behind\":%"
		    PRIu64 ",\"beyond_log\":%" PRIu64 ",\"verified\":%s",
		    cp.size, t, (now - cp.time_ms) / 1000, size > cp.size ?
		    size - cp.size : 0, cp.size > size ? cp.size - size : 0,
		    verified ? "true" : "false");
		if (verified)
			r |= ledger_buf_addf(out, ",\"key_id\":\"%08" PRIx32
			    "\"", ok.key_id);
		r |= ledger_buf_addc(out, '}');
		if (verified)
			ledger_signed_checkpoint_release(&ok);
	} else
		goto out;
	/* the key history, from the log's key records */
	r |= ledger_buf_adds(out, ",\"keys\":[");
	if ((st = keys_json(&h, out, err)) != LEDGER_OK)
		goto out;
	r |= ledger_buf_addc(out, ']');
	if ((st = retention_json(s, out, err)) != LEDGER_OK ||
	    (st = s->ops->vacuum(s->be, 0, false, &free_bytes, &incremental,
	    err)) != LEDGER_OK)
		goto out;
	r |= ledger_buf_addf(out, ",\"disk\":{\"database_bytes\":%" PRId64
	    ",\"wal_bytes\":%" PRId64 ",\"free_bytes\":%" PRIu64
	    ",\"incremental_vacuum\":%s,\"backend\":\"%s\"}}",
	    file_size(s->dir, LEDGER_DB_FILE),
	    file_size(s->dir, LEDGER_DB_FILE "-wal"), free_bytes,
	    incremental ? "true" : "false", s->ops->name);
	if (r != LEDGER_OK)
		st = ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
out:
	ledger_signed_checkpoint_release(&cp);
	ledger_store_snapshot_end(s);
	return st;
}
