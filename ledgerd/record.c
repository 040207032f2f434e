/*
 * record.c - the daemon's own entries: started, stopping,
 * config-reloaded, heartbeat (kind "ledger", source "ledgerd")
 */
#include <stdbool.h>
#include <unistd.h>

#include "ledger-config.h"
#include "ledger/jcs.h"
#include "ledgerd.h"

struct ledger_event *
daemon_event(const char *what, json_t *detail)
{
	struct ledger_event *ev = NULL;
	struct ledger_error err;
	size_t len;
	char *body = NULL;

	if (detail == NULL)
		detail = json_object();
	json_object_set_new(detail, "event", json_string(what));
	json_object_set_new(detail, "version", json_string(LEDGER_VERSION));
	json_object_set_new(detail, "pid", json_real((double)getpid()));
	if (ledger_jcs_encode(detail, &body, &len, &err) != LEDGER_OK ||
	    ledger_event_new(&ev, &err) != LEDGER_OK)
		goto fail;
	ev->e.kind = LEDGER_KIND_LEDGER;
	if (ledger_event_set_source(ev, LEDGER_SRC_NAME, "ledgerd", &err) ||
	    ledger_event_set_source(ev, LEDGER_SRC_TYPE, "ledger", &err) ||
	    ledger_event_set_source(ev, LEDGER_SRC_EVENT, what, &err) ||
	    ledger_event_set_source(ev, LEDGER_SRC_AUTH, "internal", &err) ||
	    /* the event as the status too: its lookup key finds the few
	     * "started" entries among the heartbeats (lib/timeline.c) */
	    ledger_event_set_subject(ev, LEDGER_SUBJ_STATUS, what, &err) ||
	    ledger_event_set_payload(ev, body, len, "application/json", &err))
		goto fail;
	free(body);
	json_decref(detail);
	return ev;
fail:
	log_error("build '%s' entry: %s", what, err.msg);
	ledger_event_free(ev);
	free(body);
	json_decref(detail);
	return NULL;
}

/* Append one of ledgerd's own entries and wait for it; false if it could
 * not be recorded (logged). */
bool
record(const char *what, json_t *detail)
{
	struct ledger_event *ev = daemon_event(what, detail);
	struct ledger_receipt r;
	struct ledger_error err;
	bool ok;

	if (ev == NULL)
		return false;
	if (!(ok = seq_submit_wait(ev, &r, &err) == LEDGER_OK))
		log_error("record '%s': %s", what, err.msg);
	else
		log_info("recorded %s seq=%llu", what,
		    (unsigned long long)r.seq);
	ledger_event_free(ev);
	return ok;
}

/* The gate's decision as an entry: the answer (JSON) as the payload, the
 * digest, environment and verdict as its subject, the token that asked
 * as its auth (docs/auditing.md, "Gate policy"). */
struct ledger_event *
gate_event(const char *json, size_t len, const char *auth,
    const char *artifact, const char *env, bool allow)
{
	struct ledger_event *ev = NULL;
	struct ledger_error err;

	if (ledger_event_new(&ev, &err) != LEDGER_OK)
		goto fail;
	ev->e.kind = LEDGER_KIND_LEDGER;
	if (ledger_event_set_source(ev, LEDGER_SRC_NAME, "ledgerd", &err) ||
	    ledger_event_set_source(ev, LEDGER_SRC_TYPE, "ledger", &err) ||
	    ledger_event_set_source(ev, LEDGER_SRC_EVENT, "gate", &err) ||
	    ledger_event_set_source(ev, LEDGER_SRC_AUTH, auth, &err) ||
	    ledger_event_set_subject(ev, LEDGER_SUBJ_ARTIFACT, artifact,
	    &err) ||
	    ledger_event_set_subject(ev, LEDGER_SUBJ_ENVIRONMENT, env, &err) ||
	    ledger_event_set_subject(ev, LEDGER_SUBJ_STATUS, allow ?
	    "allowed" : "denied", &err) ||
	    ledger_event_set_payload(ev, json, len, "application/json", &err))
		goto fail;
	return ev;
fail:
	log_error("build 'gate' entry: %s", err.msg);
	ledger_event_free(ev);
	return NULL;
}
