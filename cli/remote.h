/* remote.h - ledgerctl commands against a running ledgerd (--url) */
#ifndef LEDGERCTL_REMOTE_H
#define LEDGERCTL_REMOTE_H

#include <stdbool.h>
#include <stdint.h>

#include "ledger/store.h"
#include "ledger/verify.h"
#include "cli.h"
#include "tlog.h"

/* List entries matching q through GET /v1/events, page by page, calling
 * fn with each row (entry bytes, signature, fields decoded from the
 * bytes).  Returns an exit status. */
int remote_events(const struct cli *cli, const struct ledger_query *q,
    int (*fn)(void *ctx, const struct ledger_row *row), void *ctx);

/* Fetch one entry (and its payload when want_payload) into *row and
 * *payload.  Returns an exit status (1: not found). */
int remote_get(const struct cli *cli, uint64_t seq, struct ledger_row *row,
    uint8_t **payload, size_t *plen, bool want_payload);

/* Verify the log served at cli->url: every entry up to the size the
 * server reports at the start, its signature against opts' keys, the
 * chain, and (unless skip_payloads) each payload against its hash.  When
 * cp is not NULL (a verified checkpoint, fetched before), the root of the
 * tree of its size, recomputed from the entries, must be its root: a
 * mismatch, or a checkpoint larger than the log, is a bad checkpoint. */
int remote_verify(const struct cli *cli, const struct ledger_verify_opts *o,
    bool skip_payloads, const struct ledger_signed_checkpoint *cp,
    ledger_verify_fn fn, void *ctx, struct ledger_verify_report *rep);

#include <jansson.h>

/* GET path from the daemon, its JSON as compact text (malloc'd): -1, or
 * an exit status after saying why. */
int remote_get_text(const struct cli *cli, const char *path, char **ret);

/* Print an answer (JSON text, freed here): as it is with --json, else as
 * table prints it; exit 0 when its member rows holds any, else 1. */
int answer_print(const struct cli *cli, char *text, const char *rows,
    void (*table)(const json_t *doc, void *ctx), void *ctx);

/* Print rows (a JSON array of objects, or one object with a "seq": a
 * row) as a table with these columns and widths, or as RFC 4180 CSV
 * with --csv (CRLF, a header).  A cell is the member's string, number or
 * yes/no; an array column prints its members space-separated (objects:
 * their "seq"; "approvers": the "actor" of those approved); a long value
 * is cut to its column with "..." (never in CSV). */
void answer_table(const struct cli *cli, const json_t *rows,
    const char *const *cols, const int *width);

#endif
