/* teststore.c - a fresh ledger for the suites that test through a store */
#include <stdio.h>

#include <check.h>

#include "ledger/store.h"
#include "ledger/verify.h"
#include "teststore.h"
#include "testutil.h"

static char dir[4096], data[4400];

void
ts_setup(const char *origin)
{
	snprintf(dir, sizeof(dir), "%s", tu_mkdtemp());
	snprintf(data, sizeof(data), "%s/data", dir);
	ck_assert_int_eq(ledger_store_init(data, origin, NULL), LEDGER_OK);
}

void
ts_teardown(void)
{
	tu_rmtree(dir);
}

const char *
ts_dir(void)
{
	return dir;
}

const char *
ts_data(void)
{
	return data;
}

uint64_t
ts_verify_clean(const char *d)
{
	struct ledger_store *s;
	struct ledger_verify_report rep;

	ck_assert_int_eq(ledger_store_open(d, LEDGER_STORE_READONLY, &s, NULL),
	    LEDGER_OK);
	ck_assert_int_eq(ledger_verify_store(s, NULL, NULL, NULL, &rep, NULL),
	    LEDGER_OK);
	ck_assert_uint_eq(rep.problems, 0);
	ledger_store_close(s);
	return rep.entries;
}
