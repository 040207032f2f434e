/*
 * report-bundle.c - a population as evidence to take away: the bundle
 * (ledger/bundle.h) of every entry an answer of ledger_deployments_json or
 * ledger_exceptions_json names (and the log's key records), with the
 * period's bracketing checkpoints
 * (ledgerctl deployments|exceptions --bundle, GET /v1/bundle)
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ledger/query.h"
#include "ledger/report.h"
#include "ledger-int.h"

/* Append the seq j holds (a non-negative integer; else nothing). */
static void
push(struct ledger_seqs *s, const json_t *j, bool *oom)
{
	if (json_is_integer(j) && json_integer_value(j) >= 0 &&
	    ledger_seqs_push(s, (uint64_t)json_integer_value(j)) != LEDGER_OK)
		*oom = true;
}

/* Every seq a row names: its own, its entries, its approvals', its
 * evidence. */
static void
row_seqs(struct ledger_seqs *s, const json_t *row, bool *oom)
{
	const json_t *x;
	size_t k;

	push(s, json_object_get(row, "seq"), oom);
	json_array_foreach(json_object_get(row, "entries"), k, x)
		push(s, x, oom);
	json_array_foreach(json_object_get(row, "evidence"), k, x)
		push(s, x, oom);
	json_array_foreach(json_object_get(row, "approvals"), k, x)
		push(s, json_object_get(x, "seq"), oom);
}

/* The bracketing checkpoints' sizes of the answer's completeness. */
static void
older_of(const json_t *doc, struct ledger_population_bundle *ret)
{
	static const char *const which[] = { "checkpoint_before",
	    "checkpoint_after" };
	const json_t *c = json_object_get(doc, "completeness"), *x;
	size_t i;

	for (i = 0; i < 2; i++) {
		x = json_object_get(json_object_get(c, which[i]), "size");
		if (json_is_integer(x) && json_integer_value(x) > 0 &&
		    (ret->nolder == 0 || ret->older[0] !=
		    (uint64_t)json_integer_value(x)))
			ret->older[ret->nolder++] =
			    (uint64_t)json_integer_value(x);
	}
}

enum ledger_status
ledger_population_bundle(struct ledger_store *s, const char *answer,
    size_t len, const struct ledger_bundle_opts *o, int fd,
    struct ledger_population_bundle *ret, struct ledger_error *err)
{
	struct ledger_bundle_opts bo;
	struct ledger_seqs q = LEDGER_SEQS_INIT;
	const json_t *rows, *x;
	enum ledger_status st;
	bool oom = false;
	json_t *doc;
	size_t i;

	memset(ret, 0, sizeof(*ret));
	if ((doc = json_loadb(answer, len, JSON_REJECT_DUPLICATES, NULL)) ==
	    NULL)
		return ledger_errorf(err, LEDGER_EINVAL, "the answer is not "
		    "JSON");
	if ((rows = json_object_get(doc, "deployments")) == NULL)
		rows = json_object_get(doc, "exceptions");
	if (!json_is_array(rows)) {
		json_decref(doc);
		return ledger_errorf(err, LEDGER_EINVAL, "not a population: "
		    "a bundle is of deployments or exceptions");
	}
	if (json_is_true(json_object_get(doc, "truncated"))) {
		ledger_errorf(err, LEDGER_EINVAL, "the answer was cut short (%zu "
		    "rows listed): a bundle holds a whole population; narrow "
		    "the question", json_array_size(rows));
		json_decref(doc);	/* rows is doc's: freed only now */
		return LEDGER_EINVAL;
	}
	json_array_foreach(rows, i, x)
		row_seqs(&q, x, &oom);
	older_of(doc, ret);
	json_decref(doc);
	if (oom) {
		ledger_seqs_release(&q);
		return ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	}
	if (q.n == 0) {
		ledger_seqs_release(&q);
		return ledger_errorf(err, LEDGER_ENOTFOUND, "the population "
		    "is empty: nothing to bundle");
	}
	if (o != NULL)
		bo = *o;
	else
		memset(&bo, 0, sizeof(bo));
	bo.older = ret->older;
	bo.nolder = ret->nolder;
	st = ledger_bundle_write_seqs(s, &q, &bo, fd, &ret->st, err);
	ledger_seqs_release(&q);
	return st;
}
