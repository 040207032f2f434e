/*
 * ledgerctl - ask a ledger questions, and prove the answers
 *
 *	ledgerctl [--version] [--help] <command> [<options>] [<args>]
 *
 * Exit status: 0 yes/intact, 1 the answer is no (tampered, not found),
 * 2 could not check (misuse, unreadable data, I/O errors).
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ledger-config.h"
#include "ledger/entry.h"
#include "ledger/store.h"
#include "cli.h"
#include "http.h"

#define COMMON_READ \
	"  -d, --dir DIR       the data directory (or $LEDGER_DIR)\n" \
	"      --url URL       a running ledgerd instead (or $LEDGER_URL)\n" \
	"      --token T       its read token (or $LEDGER_TOKEN)\n" \
	"      --cacert FILE   for https://: the CA bundle to trust (or\n" \
	"                      $LEDGER_CACERT; default: the system's)\n" \
	"      --cert FILE, --client-key FILE  a client certificate (PEM)\n" \
	"                      for ledgerd's mTLS (or $LEDGER_CERT,\n" \
	"                      $LEDGER_CLIENT_KEY; the key must be 0600)\n"
#define TRUST_HELP \
	"      --key FILE      a verifier key you trust (note format; "\
	"repeatable;\n" \
	"                      default: the data directory's ledger.pub)\n" \
	"      --pin FILE      keep the last verified checkpoint in FILE\n" \
	"                      (default: one file per origin in\n" \
	"                      $XDG_STATE_HOME/ledgerctl/pins)\n" \
	"      --no-pin        neither check nor move a pin\n"

/* Sorted by name. */
const struct command commands[] = {
	{ "append", cmd_append,
	  "-d DIR [--kind K] [--source NAME] [--event E] [--delivery ID]\n"
	  "       [--subject FIELD=VALUE ...] [FILE|-]",
	  "append an event and print its receipt",
	  "Appends one event to the data directory's log (beside a running\n"
	  "ledgerd too) and signs a checkpoint.  The event document is FILE,\n"
	  "or standard input with -; with --kind and no FILE the options are\n"
	  "the whole event.\n\n"
	  "  -d, --dir DIR       the data directory (or $LEDGER_DIR)\n"
	  "  -k, --kind K        build, test, scan, artifact, approval,\n"
	  "                      deployment, rollback, change, incident, other\n"
	  "  -s, --source NAME   source name (default: ledgerctl)\n"
	  "      --event E       the source's own event name\n"
	  "      --delivery ID   idempotency key: the same ID appends once\n"
	  "      --subject F=V   a subject field (actor, artifact, commit,\n"
	  "                      environment, pipeline, run, service, status,\n"
	  "                      ticket, url); repeatable\n"
	  "      --max-bytes N   largest document read (default 1 MiB)\n"
	  "      --json          the receipt as JSON\n\n"
	  "example:\n"
	  "  ledgerctl append -d var --kind deployment --subject "
	  "environment=production \\\n"
	  "      --subject service=pay --subject actor=alice\n" },
	{ "bundle", cmd_bundle,
	  "-d DIR|--url URL --key FILE (--seq LIST | --ids-file F |\n"
	  "       FILTERS | --period P) [--with-payloads] -o FILE",
	  "write evidence to verify offline: entries, proofs, checkpoint",
	  "Writes one gzip-compressed JSON file (docs/FORMAT.md \"Bundles\")\n"
	  "holding the selected entries' exact bytes, signatures and inclusion\n"
	  "proofs to the newest signed checkpoint, the key history and the\n"
	  "log's origin: `ledgerctl verify --bundle FILE --key PUB` checks it\n"
	  "with nothing else.\n\n"
	  "  -d, --dir DIR       the data directory (or $LEDGER_DIR)\n"
	  "      --url URL       a running ledgerd (with --token T, read\n"
	  "                      scope, and --key FILE: every checkpoint it\n"
	  "                      sends must be signed by that key)\n"
	  "      --seq LIST      seqs and ranges: 3,4,9-12\n"
	  "      --ids-file F    one seq or range a line\n"
	  "      --period P      the entries of a period (2026Q3, 2026-09, ...)\n"
	  "      --kind K, --env E, --service S, --commit C, ... --since T,\n"
	  "      --until T       the filters of `events`\n"
	  "      --with-payloads the raw payloads too\n"
	  "  -o, --output FILE   the bundle (never overwritten)\n"
	  "      --json          what was written, as JSON\n\n"
	  "example:\n"
	  "  ledgerctl bundle -d var --env production --period 2026Q3 \\\n"
	  "      --kind deployment --with-payloads -o q3.bundle.gz\n" },
	{ "canonicalize", cmd_canonicalize, "[FILE|-]",
	  "print the RFC 8785 canonical form of a JSON document",
	  "Reads a JSON document (strictly: duplicate keys, lone surrogates\n"
	  "and invalid UTF-8 are errors) and prints its RFC 8785 canonical\n"
	  "form, the bytes ledgerd hashes and signs.\n\n"
	  "example:\n"
	  "  echo '{\"b\":1,\"a\":2.0}' | ledgerctl canonicalize\n" },
	{ "checkpoint", cmd_checkpoint,
	  "-d DIR|--url URL [--key FILE ...] [--pin FILE|--no-pin] [--json]",
	  "verify the newest signed checkpoint and move the pin to it",
	  "Fetches the newest signed checkpoint, verifies its signature and\n"
	  "that it is consistent with the pinned one, then moves the pin.\n\n"
	  COMMON_READ TRUST_HELP
	  "      --json          the answer as JSON\n\n"
	  "example:\n"
	  "  ledgerctl checkpoint --url http://127.0.0.1:8420 --key ledger.pub\n"
	},
	{ "consistency", cmd_consistency,
	  "-d DIR|--url URL [--key FILE ...] [--pin FILE|--no-pin] [--json]"
	  "\n       OLD NEW",
	  "prove the signed tree of size OLD is a prefix of size NEW",
	  "Fetches the consistency proof between the signed checkpoints of\n"
	  "sizes OLD and NEW and checks it: the log only ever grew.\n\n"
	  COMMON_READ TRUST_HELP
	  "      --json          the proof as JSON\n\n"
	  "example:\n"
	  "  ledgerctl consistency -d var 10 42\n" },
	{ "timeline", cmd_timeline,
	  "-d DIR|--url URL --period P|--from T1 --to T2 [--env E]"
	  "\n       [--service S] [--gap SECONDS] [--limit N [--after SEQ]]"
	  "\n       [--json|--csv]",
	  "what happened in a period, in ledger order",
	  "Lists every entry the ledger recorded in the period (by its own\n"
	  "clock), across sources, in ledger order, with actors and statuses;\n"
	  "then the ledger's own record of the period: its restarts, its\n"
	  "heartbeats, and every gap between two entries longer than twice the\n"
	  "heartbeat interval (docs/auditing.md, \"Timelines\").  Exit 0 with\n"
	  "entries, 1 when the period holds none.\n\n"
	  COMMON_READ
	  "      --period P      a day (2026-09-14), a month (2026-09), a\n"
	  "                      quarter (2026Q3) or an ISO week (2026-W38), UTC\n"
	  "      --from T1 --to T2  RFC 3339 times; --to is exclusive\n"
	  "      --env E         entries of that environment only\n"
	  "      --service S     entries of that service only\n"
	  "      --gap SECONDS   report gaps longer than this instead\n"
	  "      --limit N --after SEQ  a page: at most N entries after SEQ\n"
	  "                      (the answer's next_after gives the next)\n"
	  "      --json          {\"entries\":[...],\"ledger\":{...},\"gaps\":[...]}\n\n"
	  "example:\n"
	  "  ledgerctl timeline -d var --env production \\\n"
	  "      --from 2026-11-22T02:00Z --to 2026-11-22T03:10Z\n" },
	{ "deployments", cmd_deployments,
	  "-d DIR|--url URL --env E --period P|--from T1 --to T2"
	  "\n       [--service S] [--gap SECONDS] [--limit N [--after SEQ]]"
	  "\n       [--json|--csv] [--bundle FILE]",
	  "the auditor's population of deployments, with completeness",
	  "One row per deployment of the environment in the period (the\n"
	  "statuses of one deployment id are one deployment): time, status,\n"
	  "service, deployer, approvers with their seqs and the matching rule,\n"
	  "run, commit, artifact, ticket, whether it was rolled back, and its\n"
	  "exceptions (docs/auditing.md, \"Linking rules\").  Then the\n"
	  "completeness evidence: the count, the period's first and last seq,\n"
	  "the two signed checkpoints that bracket it with the consistency\n"
	  "proof between them, and the ledger's gaps in it.  Exit 0 with\n"
	  "deployments, 1 with none, 2 when it cannot answer.\n\n"
	  COMMON_READ
	  "      --env E         the environment\n"
	  "      --period P      a day, a month, a quarter (2026Q3) or an ISO\n"
	  "                      week (2026-W38), UTC\n"
	  "      --from T1 --to T2  RFC 3339 times; --to is exclusive\n"
	  "      --service S     that service's deployments only\n"
	  "      --gap SECONDS   the gap threshold (default: twice the\n"
	  "                      heartbeat interval)\n"
	  "      --bundle FILE   with -d: also write the population as a\n"
	  "                      bundle (ledgerctl bundle), its entries and\n"
	  "                      approvals with the bracketing checkpoints\n"
	  "      --limit N --after SEQ  a page: N deployments whose first\n"
	  "                      entry is after SEQ (next_after gives the next)\n"
	  "      --json          {\"deployments\":[{\"seq\",\"approvals\":[...],...}],"
	  "\n                      \"completeness\":{...}}\n"
	  "      --csv           one row per deployment\n\n"
	  "example:\n"
	  "  ledgerctl deployments -d var --env production --period 2026Q3 --csv\n" },
	{ "exceptions", cmd_exceptions,
	  "NAME -d DIR|--url URL --period P|--from T1 --to T2 [--env E]"
	  "\n       [--service S] [--limit N [--after SEQ]] [--json|--csv]"
	  "\n       [--bundle FILE]",
	  "deployments that break a control",
	  "NAME is unapproved (no matching approval anywhere), late-approval\n"
	  "(approved only after it was deployed), rejected (the last matching\n"
	  "decision before it was a rejection) or self-approved (approved only\n"
	  "by its deployer or its commit's author).  Each row carries the\n"
	  "deployment's seq and, as evidence, the seqs that make it one.  Exit\n"
	  "0 with exceptions, 1 with none.\n\n"
	  COMMON_READ
	  "      --env E         one environment (default: all)\n"
	  "      --period P | --from T1 --to T2   as for deployments\n"
	  "      --bundle FILE   with -d: also write the exceptions as a\n"
	  "                      bundle (ledgerctl bundle): each deployment's\n"
	  "                      entries, approvals and evidence\n"
	  "      --json          {\"exceptions\":[{\"seq\",\"evidence\":[...],...}]}\n\n"
	  "example:\n"
	  "  ledgerctl exceptions self-approved -d var --env production \\\n"
	  "      --period 2026Q3\n" },
	{ "actors", cmd_actors,
	  "-d DIR|--url URL --period P|--from T1 --to T2 [--env E]"
	  "\n       [--json|--csv]",
	  "who deployed or approved, with counts",
	  "Every identity that deployed, rolled back or decided an approval in\n"
	  "the period, with counts and first and last seen.  Exit 0 with\n"
	  "actors, 1 with none.\n\n"
	  COMMON_READ
	  "      --env E         one environment (default: all)\n"
	  "      --period P | --from T1 --to T2   as for deployments\n\n"
	  "example:\n"
	  "  ledgerctl actors -d var --env production --period 2026-09\n" },
	{ "state", cmd_state,
	  "-d DIR|--url URL --env E [--at T] [--service S] [--json|--csv]",
	  "what ran in an environment at a moment",
	  "Per service: the artifact and commit running at T (default: now),\n"
	  "since when (the seq and time of the entry that set it: a successful\n"
	  "deployment, or a rollback naming its target), deployed and approved\n"
	  "by whom.  A rollback naming no target returns to the deployment\n"
	  "before the one it undid.  Exit 0 with a state, 1 with none.\n\n"
	  COMMON_READ
	  "      --env E         the environment\n"
	  "      --at T          an RFC 3339 time (default: now)\n"
	  "      --service S     that service only\n\n"
	  "example:\n"
	  "  ledgerctl state -d var --env production --at 2026-11-22T02:47Z\n" },
	{ "last-good", cmd_last_good,
	  "-d DIR|--url URL --env E --service S [--before T] [--json]",
	  "the deployment to roll back to",
	  "The most recent successful, approved deployment of the service\n"
	  "that was never the one running when a rollback came.  --json gives\n"
	  "{\"seq\",\"artifact\",\"commit\",...} for a rollback script.  Exit 0\n"
	  "with one, 1 with none.\n\n"
	  COMMON_READ
	  "      --env E --service S   the target\n"
	  "      --before T      only deployments recorded before T\n\n"
	  "example:\n"
	  "  ledgerctl last-good -d var --env production --service pay --json \\\n"
	  "      | jq -r .artifact\n" },
	{ "gate", cmd_gate,
	  "-d DIR|--url URL --artifact DIGEST --env E [--policy FILE]"
	  "\n       [--deployer WHO] [--json]",
	  "may this digest be deployed there? (exit 0: yes)",
	  "Checks the ledger for the evidence the policy requires for the\n"
	  "digest in the environment: successful build, test, scan or\n"
	  "provenance, distinct approvers (not the deployer, not the commit's\n"
	  "author), no failing scan, approvals not too old (docs/auditing.md,\n"
	  "\"Gate policy\").  Without --policy: a build and one approver other\n"
	  "than the deployer, no failing scan.  Against ledgerd with a write\n"
	  "token the decision is appended to the log.  Exit 0 when allowed,\n"
	  "1 when not (what is missing is listed), 2 when it cannot answer.\n\n"
	  COMMON_READ
	  "      --artifact D    the digest about to be deployed\n"
	  "      --env E         the environment\n"
	  "      --policy FILE   a policy (JSON)\n"
	  "      --deployer WHO  who is about to deploy\n\n"
	  "example:\n"
	  "  ledgerctl gate -d var --env production --policy gate.json \\\n"
	  "      --artifact sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\n" },
	{ "trace", cmd_trace,
	  "-d DIR|--url URL --commit SHA|--artifact DIGEST|--run ID"
	  "\n       [--pipeline P] [--json|--csv]",
	  "the lineage of a commit, artifact or run",
	  "Lists, in ledger order, every entry linked to the commit, artifact\n"
	  "digest or run: from a commit its builds, tests, artifacts, scans,\n"
	  "approvals, deployments and rollbacks; from an artifact or run also\n"
	  "the run that built it and its commit's push (docs/auditing.md,\n"
	  "\"Linking rules\").  Each row says which field linked it.  Exit 0\n"
	  "with entries, 1 when nothing carries the value.\n\n"
	  COMMON_READ
	  "      --commit SHA    a commit (a prefix of 7 or more hex digits)\n"
	  "      --artifact D    an artifact digest (bare or sha256:...)\n"
	  "      --run ID        a CI run; --pipeline P narrows it\n"
	  "      --json          {\"entries\":[{\"seq\",\"kind\",\"via\",...}]}\n\n"
	  "example:\n"
	  "  ledgerctl trace -d var --commit 1f2e3d4c\n" },
	{ "where", cmd_where,
	  "-d DIR|--url URL --artifact DIGEST|--commit SHA [--json|--csv]",
	  "where an artifact or commit was deployed",
	  "The blast radius: every deployment and rollback in the trace of\n"
	  "the artifact or commit, and per environment and service the first\n"
	  "and the last of them.  Exit 0 when it was deployed, 1 when not.\n\n"
	  COMMON_READ
	  "      --artifact D    an artifact digest (bare or sha256:...)\n"
	  "      --commit SHA    a commit (a prefix of 7 or more hex digits)\n"
	  "      --json          {\"deployments\":[{\"seq\",...}],"
	  "\"targets\":[...]}\n\n"
	  "example:\n"
	  "  ledgerctl where --url http://127.0.0.1:8420 --artifact \\\n"
	  "      sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\n" },
	{ "events", cmd_events,
	  "-d DIR|--url URL [--kind K ...] [--FIELD VALUE ...] [--source NAME]"
	  "\n       [--since TIME] [--until TIME] [--after SEQ] [--limit N]"
	  " [--json|--csv]",
	  "list entries, filtered",
	  "Lists entries in seq order.  A filter given more than once matches\n"
	  "any of its values; different filters must all match.  Values are\n"
	  "normalized as at ingest (\"Production\" finds \"production\").\n\n"
	  COMMON_READ
	  "  -k, --kind K        build, test, scan, artifact, approval,\n"
	  "                      deployment, rollback, change, incident, ledger,\n"
	  "                      other\n"
	  "      --actor, --artifact, --commit, --environment (--env),\n"
	  "      --pipeline, --run, --service, --status, --ticket, --tool VALUE\n"
	  "                      a subject field (--tool: an uploaded report's,\n"
	  "                      \"Trivy\"); --commit takes a prefix of 7\n"
	  "                      or more hex digits, --artifact a bare sha256\n"
	  "      --source NAME   the source's name\n"
	  "      --since TIME    at or after TIME (RFC 3339, a date, or epoch\n"
	  "                      seconds); --until TIME: before TIME\n"
	  "      --after SEQ     entries after SEQ (paging)\n"
	  "      --limit N       at most N entries\n"
	  "      --json          one signed entry a line, as show --json\n"
	  "      --csv           RFC 4180 CSV with a header row\n\n"
	  "example:\n"
	  "  ledgerctl events -d var --env production --kind deployment "
	  "--kind rollback \\\n"
	  "      --since 2026-11-22T02:00Z --until 2026-11-22T03:10Z\n" },
	{ "hold", cmd_retention,
	  "add (--env E | --period P | --seq FROM[-TO]) --reason TEXT -d DIR\n"
	  "       ledgerctl hold release --reason TEXT -d DIR SEQ\n"
	  "       ledgerctl hold list -d DIR [--json]",
	  "legal holds: keep matching payloads through any prune",
	  "A hold keeps the payloads of the entries it matches (every part\n"
	  "given must match) from being pruned.  Adding and releasing one is\n"
	  "recorded in the log; a hold is named by the seq of its record.\n\n"
	  "  -d, --dir DIR       the data directory (or $LEDGER_DIR)\n"
	  "      --env E         entries of environment E\n"
	  "      --period P      entries recorded in period P (2026-Q3,\n"
	  "                      2026-07, FROM..TO)\n"
	  "      --seq FROM[-TO] entries in that seq range\n"
	  "      --reason TEXT   why (required; recorded)\n"
	  "      --json          list as JSON\n\n"
	  "example:\n"
	  "  ledgerctl hold add --env production --period 2026-Q3 \\\n"
	  "      --reason 'litigation 2026-114' -d var\n" },
	{ "key", cmd_key,
	  "rotate -d DIR\n"
	  "       ledgerctl key retire -d DIR KEYID\n"
	  "       ledgerctl key revoke --compromised-from SEQ [--reason TEXT] "
	  "-d DIR KEYID\n"
	  "       ledgerctl key destroy -d DIR KEYID\n"
	  "       ledgerctl key list -d DIR [--json]",
	  "rotate, retire, revoke and destroy the log's signing keys",
	  "rotate makes a new key (DIR/ledger-<id>.key, never over a file) and\n"
	  "announces it in a key-added entry signed by the current key; from\n"
	  "then on entries are signed by the new key, and checkpoints by both\n"
	  "until the old one is retired (retire KEYID, or ledgerd's\n"
	  "key_overlap_s).  revoke records that KEYID must not be trusted for\n"
	  "entries from SEQ on (rotate first if it signs now).  destroy\n"
	  "removes a retired key's secret file; the log still verifies from\n"
	  "the public history.  With ledgerd running, rotate by sending it\n"
	  "SIGUSR1.  `verify --key ledger.pub` (the first key) verifies\n"
	  "through any number of rotations.\n\n"
	  "  -d, --dir DIR       the data directory (or $LEDGER_DIR)\n"
	  "      --compromised-from SEQ  the first entry not to trust\n"
	  "      --reason TEXT   why (recorded with a revocation)\n"
	  "      --json          list as JSON\n\n"
	  "example:\n"
	  "  ledgerctl key rotate -d var && ledgerctl key list -d var\n" },
	{ "migrate", cmd_migrate,
	  "-d DIR [--quiet] | --from -d DIR --to --database URL",
	  "bring a log to this version's schema, or move it to PostgreSQL",
	  "A writer (ledgerd, ledgerctl append) migrates an older log as it\n"
	  "opens it; on a large log a migration that rebuilds an index takes\n"
	  "minutes.  Run this first, with ledgerd stopped, to watch it:\n"
	  "migrations done of total on a terminal.  Ctrl-C stops it: the\n"
	  "migration under way is rolled back, those before it stay.\n\n"
	  "With --from -d DIR --to --database URL it moves DIR's SQLite log\n"
	  "to PostgreSQL: entries (the same bytes and signatures), payloads,\n"
	  "headers, the tree, checkpoints, tokens, in one transaction; then\n"
	  "verifies the copy whole with the log's key (same size, same root,\n"
	  "every checkpoint) and points DIR at it (ledger.database), keeping\n"
	  "the SQLite file as ledger.db.migrated.  Run it with ledgerd\n"
	  "stopped; then start ledgerd with \"database\" set.  A failure or\n"
	  "Ctrl-C leaves DIR as it was and the database's log empty (run it\n"
	  "again).\n\n"
	  "  -d, --dir DIR       the data directory (or $LEDGER_DIR)\n"
	  "      --from, --to    move -d DIR's log to --database URL\n"
	  "      --database URL  a libpq connection string or URI\n"
	  "      --quiet         no progress\n\n"
	  "examples:\n"
	  "  ledgerctl migrate -d /var/lib/ledgerd\n"
	  "  ledgerctl migrate --from -d /var/lib/ledgerd --to \\\n"
	  "      --database postgresql://ledger@db1,db2/ledger\n" },
	{ "init", cmd_init, "[--origin NAME] DIR",
	  "create a data directory with a new key and database",
	  "Creates DIR (0700) with a new Ed25519 key (0600), its verifier key\n"
	  "ledger.pub and an empty log.  Never overwrites a key.\n\n"
	  "  -o, --origin NAME   the log's name in its checkpoints (default:\n"
	  "                      <hostname>/ledgerd/<random>, unique)\n\n"
	  "example:\n"
	  "  ledgerctl init --origin ci.example.com/ledger var\n" },
	{ "record", cmd_record,
	  "scan|sbom|plan|run -d DIR|--url URL --file REPORT\n"
	  "       [--artifact D] [--commit SHA] [--env E] [--pipeline P]\n"
	  "       [--run R] [--service S] [--kind K] [--fail-on SEVERITY]",
	  "record a report a pipeline step wrote: a scan, an SBOM, a plan",
	  "Appends one entry for a report (docs/reports.md): SARIF 2.1.0,\n"
	  "OWASP ZAP JSON, Chef InSpec JSON, Trivy, Grype, OSV-Scanner, npm\n"
	  "audit, CycloneDX, SPDX (also as an in-toto attestation), terraform\n"
	  "show -json, Ansible's JSON callback.  The entry names the tool, its\n"
	  "version, the target (from the options, else from the report), the\n"
	  "counts by severity and the verdict (pass or fail); the report is\n"
	  "its payload, byte for byte.  scan: kind scan; sbom: kind artifact;\n"
	  "plan and run: kind change.  A report of another class is refused,\n"
	  "as is one ledgerd does not read unless --kind says what to record.\n\n"
	  "  -d, --dir DIR       the data directory (or $LEDGER_DIR)\n"
	  "      --url URL       a running ledgerd instead (or $LEDGER_URL)\n"
	  "      --token T       its write token (or $LEDGER_TOKEN)\n"
	  "      --cacert FILE, --cert FILE, --client-key FILE  as for reads\n"
	  "  -f, --file REPORT   the report; - for standard input\n"
	  "      --artifact D    the artifact digest it is about\n"
	  "      --commit SHA    the commit it is about\n"
	  "      --env E, --pipeline P, --run R, --service S, --actor WHO,\n"
	  "      --ticket T, --deployment ID  more of the subject\n"
	  "      --target-url U  the subject's url (what was scanned: --url\n"
	  "                      is ledgerd's address)\n"
	  "      --fail-on SEV   critical, high (default), medium, low,\n"
	  "                      unknown, or none: the verdict's threshold\n"
	  "  -k, --kind K        record a report ledgerd does not read, with\n"
	  "                      status unknown\n"
	  "      --type MEDIA    its media type (default application/json)\n"
	  "      --delivery ID   idempotency key: the same ID records once\n"
	  "      --max-bytes N   largest report read (default 1 MiB)\n"
	  "      --exit-code     exit 1 when the verdict is fail (a scan over\n"
	  "                      the threshold, a failed plan or run): it is\n"
	  "                      recorded all the same\n"
	  "      --json          the receipt as JSON (through ledgerd: with\n"
	  "                      the kind, format, tool, summary, status)\n\n"
	  "example:\n"
	  "  trivy image -f json -o trivy.json registry.example/pay:1.4\n"
	  "  ledgerctl record scan --url https://ledger:8443 --file trivy.json \\\n"
	  "      --artifact \"$DIGEST\" --commit \"$GITHUB_SHA\" --env staging\n" },
	{ "prove", cmd_prove,
	  "-d DIR|--url URL [--token T] [--size M] [--key FILE ...]\n"
	  "       [--pin FILE|--no-pin] [--json|--tlog-proof] SEQ",
	  "prove an entry is in the log's signed tree",
	  "Checks that entry SEQ is in the tree of a signed checkpoint: the\n"
	  "entry, its inclusion proof, the checkpoint's signature and pin.\n\n"
	  COMMON_READ TRUST_HELP
	  "      --size M        the checkpoint of size M (default: newest)\n"
	  "      --json          the proof as JSON\n"
	  "      --tlog-proof    the proof as C2SP tlog-proof@v1 text, the\n"
	  "                      entry's bytes as its extra (docs/FORMAT.md)\n\n"
	  "example:\n"
	  "  ledgerctl prove -d var 42\n"
	  "  ledgerctl prove --url https://ledger --tlog-proof 42 > 42.tlog-proof\n" },
	{ "prune", cmd_retention,
	  "--payloads-before T|SEQ [--vacuum] -d DIR [--json]",
	  "delete old payloads; entries and proofs stay",
	  "Deletes the raw payloads (and delivery headers) of the entries\n"
	  "before SEQ, or recorded before T, except those a legal hold keeps\n"
	  "and the ledger's own.  The range is recorded in the log first, so\n"
	  "verify reports it as pruned, not missing.  Entries, hashes, the\n"
	  "tree and checkpoints stay: every proof still holds.  Safe while\n"
	  "ledgerd runs: it deletes in short transactions.\n\n"
	  "  -d, --dir DIR       the data directory (or $LEDGER_DIR)\n"
	  "      --payloads-before T|SEQ\n"
	  "                      a seq, an age (90d, 12h) or a time\n"
	  "      --vacuum        rewrite the database to return the freed\n"
	  "                      space (blocks writers while it runs; logs\n"
	  "                      created since schema 9 return it as they go)\n"
	  "      --json          the result as JSON\n\n"
	  "example:\n"
	  "  ledgerctl prune --payloads-before 400d -d var\n" },
	{ "status", cmd_status, "-d DIR|--url URL [--token T] [--json]",
	  "the log at a glance: size, checkpoint age, keys, disk",
	  "Prints the log's size and its oldest and newest entries, the\n"
	  "newest signed checkpoint with its age and how many entries it does\n"
	  "not cover yet, the key history, pruned payload ranges and legal\n"
	  "holds, and the database's and WAL's size on disk (and the free\n"
	  "space inside the database that pruning left).\n\n"
	  COMMON_READ
	  "      --json          as JSON (the API's GET /v1/status)\n\n"
	  "example:\n"
	  "  ledgerctl status --url http://127.0.0.1:8420 --token T\n" },
	{ "show", cmd_show, "-d DIR|--url URL [--payload] [--json] SEQ",
	  "show one entry, its signature and payload",
	  "Prints entry SEQ: its signed bytes, leaf hash, signature, key id\n"
	  "and payload (the raw bytes the source sent).\n\n"
	  COMMON_READ
	  "      --payload       only the raw payload bytes\n"
	  "      --json          the signed entry as JSON (the API's object)\n\n"
	  "example:\n"
	  "  ledgerctl show -d var --json 42\n" },
	{ "token", cmd_token,
	  "create --scope read|write [--label TEXT] [--identity ID] -d DIR\n"
	  "       ledgerctl token revoke -d DIR ID\n"
	  "       ledgerctl token list -d DIR [--json]",
	  "create, revoke and list API tokens",
	  "Manages ledgerd's bearer tokens; each change is recorded in the\n"
	  "log.  A token is shown once, when created; only its hash is kept.\n"
	  "A running ledgerd accepts a new token at once.\n\n"
	  "  -d, --dir DIR       the data directory (or $LEDGER_DIR)\n"
	  "      --scope S       read or write\n"
	  "      --label TEXT    what the token is for\n"
	  "      --identity ID   bind it to a machine: only requests over a\n"
	  "                      client certificate with this SAN URI, subject\n"
	  "                      DN or sha256:<fingerprint> may use it\n"
	  "      --json          list as JSON\n\n"
	  "example:\n"
	  "  ledgerctl token create --scope write --label ci -d var\n" },
	{ "verify", cmd_verify,
	  "-d DIR [--key FILE ...] [--pin FILE|--no-pin] [--json]\n"
	  "       ledgerctl verify --url URL [--token T] --key FILE "
	  "[--no-payloads]\n"
	  "       [--pin FILE|--no-pin] [--json]\n"
	  "       ledgerctl verify --bundle FILE --key FILE [--json]",
	  "check every entry, link, signature, payload and index",
	  "Checks the whole log: every leaf hash, link, signature, payload,\n"
	  "index, tree hash and checkpoint, and names each entry tampered\n"
	  "with, in seq order.  Exit 0 intact, 1 tampered, 2 could not check.\n"
	  "\n" COMMON_READ TRUST_HELP
	  "  -T, --threads N     verify on N threads (default: the cores)\n"
	  "      --no-payloads   with --url: do not fetch payloads\n"
	  "      --bundle FILE   check a bundle offline (ledgerctl bundle):\n"
	  "                      no database, no network, only --key\n"
	  "      --json          the report as JSON\n\n"
	  "example:\n"
	  "  ledgerctl verify -d var --key /secure/ledger.pub\n"
	  "  ledgerctl verify --bundle q3.bundle.gz --key /secure/ledger.pub\n" },
	{ NULL, NULL, NULL, NULL, NULL },
};

const struct command *
find_command(const char *name)
{
	const struct command *c;

	for (c = commands; c->name != NULL; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

int
fail(const char *fmt, ...)
{
	va_list ap;

	fputs("ledgerctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_TROUBLE;
}

int
fail_err(const char *what, const struct ledger_error *err)
{
	return fail("%s: %s", what, err->msg[0] ? err->msg :
	    ledger_status_str(err->code));
}

int
usage_error(const struct command *cmd, const char *fmt, ...)
{
	va_list ap;

	if (fmt != NULL) {
		fputs("ledgerctl: ", stderr);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
	fprintf(stderr, "usage: ledgerctl %s %s\n", cmd->name, cmd->usage);
	return EXIT_TROUBLE;
}

int
need_dir(const struct cli *cli, const struct command *cmd)
{
	if (cli->dir == NULL && cli->database == NULL)
		return usage_error(cmd, "no data directory: give -d DIR or set "
		    "LEDGER_DIR (or --database URL)");
	return -1;
}

enum ledger_status
cli_store_open(const struct cli *cli, unsigned flags,
    struct ledger_store **ret, struct ledger_error *err)
{
	return ledger_store_open_at(cli->dir, cli->database, cli->log, flags,
	    ret, err);
}

const char *
cli_where(const struct cli *cli)
{
	return cli->dir != NULL ? cli->dir : cli->database != NULL ?
	    "the database" : "";
}

bool
parse_u64(const char *s, unsigned long long *ret)
{
	char *end;

	if (s == NULL || *s < '0' || *s > '9')
		return false;
	errno = 0;
	*ret = strtoull(s, &end, 10);
	return errno == 0 && *end == '\0';
}

int
finish(int status)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "ledgerctl: write to standard output: %s\n",
		    strerror(errno ? errno : EIO));
		return EXIT_TROUBLE;
	}
	return status;
}

void
json_print_string(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', f);
	for (; *p; p++) {
		switch (*p) {
		case '"': fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\n': fputs("\\n", f); break;
		case '\r': fputs("\\r", f); break;
		case '\t': fputs("\\t", f); break;
		default:
			if (*p < 0x20)
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
}

/*
 * A code point a terminal must not be handed raw: C0 and C1 controls and
 * DEL (cursor movement, colour, title escapes), the bidirectional
 * overrides and isolates (U+202A-U+202E, U+2066-U+2069, U+200E, U+200F,
 * U+061C), which reorder what follows them on screen, and the line and
 * paragraph separators U+2028 and U+2029.
 */
static bool
unsafe_on_terminal(uint32_t c)
{
	return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x061c ||
	    c == 0x200e || c == 0x200f || (c >= 0x2028 && c <= 0x202e) ||
	    (c >= 0x2066 && c <= 0x2069);
}

void
term_print(FILE *f, const char *s, int width)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t left = strlen((const char *)p), n;
	int shown = 0;
	uint32_t c;

	while (left > 0) {
		if ((n = ledger_utf8_decode(p, left, &c)) == 0) {
			c = *p;		/* not UTF-8: escape the byte */
			n = 1;
		}
		if (c == '\\')		/* so "\x1b" typed in a value is
					   not read as an escape */
			shown += fprintf(f, "\\\\");
		else if (n == 1 && c >= 0x80)
			shown += fprintf(f, "\\x%02x", (unsigned)c);
		else if (unsafe_on_terminal(c))
			shown += fprintf(f, c < 0x100 ? "\\x%02x" : "\\u%04x",
			    (unsigned)c);
		else {
			fwrite(p, 1, n, f);
			shown++;
		}
		p += n;
		left -= n;
	}
	for (; shown < width; shown++)
		fputc(' ', f);
}

void
print_help(const struct command *cmd)
{
	printf("usage: ledgerctl %s %s\n\n%s.\n\n%s", cmd->name, cmd->usage,
	    cmd->summary, cmd->help);
}

enum { OPT_URL = 1000, OPT_TOKEN, OPT_JSON, OPT_CSV, OPT_CACERT, OPT_CERT,
    OPT_CLIENT_KEY, OPT_QUIET, OPT_DATABASE, OPT_LOG };

int
subcommand(const struct command *cmd, int argc, char **argv,
    const char *want, const char **ret)
{
	if (argc >= 2 && argv[1][0] != '-') {
		*ret = argv[1];
		return -1;
	}
	if (argc >= 2 && (strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "--help") == 0)) {
		print_help(cmd);
		return finish(EXIT_YES);
	}
	return usage_error(cmd, "want %s", want);
}

/* --cacert, --cert, --client-key: a client key must be private, as the
 * log's own keys are. */
static int
tls_options(const struct cli *cli, const struct command *cmd)
{
	struct stat sb;

	if ((cli->cert == NULL) != (cli->client_key == NULL))
		return usage_error(cmd, "--cert and --client-key go together");
	if (cli->client_key != NULL) {
		if (stat(cli->client_key, &sb) != 0)
			return fail("--client-key '%s': %s", cli->client_key,
			    strerror(errno));
		if (sb.st_mode & 077)
			return fail("--client-key '%s' may be read by group or "
			    "others (mode %04o): chmod 600 it", cli->client_key,
			    (unsigned)(sb.st_mode & 07777));
	}
	http_set_tls(cli->cacert, cli->cert, cli->client_key);
	return -1;
}

int
parse_options(struct cli *cli, const struct command *cmd, int argc,
    char **argv, const struct option *extra, const char *extra_short,
    int (*on_opt)(void *ctx, int c, const char *arg), void *ctx,
    int *optind_out)
{
	static const struct option common[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "url", required_argument, NULL, OPT_URL },
		{ "token", required_argument, NULL, OPT_TOKEN },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "csv", no_argument, NULL, OPT_CSV },
		{ "cacert", required_argument, NULL, OPT_CACERT },
		{ "cert", required_argument, NULL, OPT_CERT },
		{ "client-key", required_argument, NULL, OPT_CLIENT_KEY },
		{ "quiet", no_argument, NULL, OPT_QUIET },
		{ "database", required_argument, NULL, OPT_DATABASE },
		{ "log", required_argument, NULL, OPT_LOG },
		{ "help", no_argument, NULL, 'h' },
	};
	struct option opts[64];
	char shortopts[64];
	size_t n = 0, i;
	int c, r;

	for (i = 0; i < sizeof(common) / sizeof(*common); i++)
		opts[n++] = common[i];
	for (i = 0; extra != NULL && extra[i].name != NULL && n < 63; i++)
		opts[n++] = extra[i];
	memset(&opts[n], 0, sizeof(opts[n]));
	/* Options may follow operands ("prove 2 --size 8"); "--" ends them. */
	snprintf(shortopts, sizeof(shortopts), "d:h%s",
	    extra_short ? extra_short : "");
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, shortopts, opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			cli->dir = optarg;
			break;
		case OPT_URL:
			cli->url = optarg;
			break;
		case OPT_TOKEN:
			cli->token = optarg;
			break;
		case OPT_JSON:
			cli->json = true;
			break;
		case OPT_CSV:
			cli->csv = true;
			break;
		case OPT_CACERT:
			cli->cacert = optarg;
			break;
		case OPT_CERT:
			cli->cert = optarg;
			break;
		case OPT_CLIENT_KEY:
			cli->client_key = optarg;
			break;
		case OPT_QUIET:
			cli->quiet = true;
			break;
		case OPT_DATABASE:
			cli->database = optarg;
			break;
		case OPT_LOG:
			cli->log = optarg;
			break;
		case 'h':
			print_help(cmd);
			return finish(EXIT_YES);
		case '?':
			if (optopt != 0 && optopt < 256)
				return usage_error(cmd, "unknown option '-%c'",
				    optopt);
			return usage_error(cmd, "unknown option '%s'",
			    argv[optind - 1]);
		case ':':
			return usage_error(cmd, "option '%s' needs a value",
			    argv[optind - 1]);
		default:
			if (on_opt == NULL)
				return usage_error(cmd, "bad option");
			if ((r = on_opt(ctx, c, optarg)) >= 0)
				return r;
		}
	}
	if (cli->json && cli->csv)
		return usage_error(cmd, "--json and --csv exclude each other");
	if ((r = tls_options(cli, cmd)) >= 0)
		return r;
	*optind_out = optind;
	return -1;
}

static void
usage(FILE *f)
{
	const struct command *c;

	fprintf(f, "usage: ledgerctl [--version] [--help] <command> "
	    "[<options>] [<args>]\n\ncommands:\n");
	for (c = commands; c->name != NULL; c++)
		fprintf(f, "  %-14s %s\n", c->name, c->summary);
	fprintf(f, "\nCommon options: -d DIR (or LEDGER_DIR), --json, --csv, "
	    "--help.\nExit status: 0 yes/intact, 1 no/tampered, 2 could not "
	    "check.\n");
}

int
main(int argc, char **argv)
{
	const struct command *cmd;
	struct cli cli;

	memset(&cli, 0, sizeof(cli));
	cli.progname = "ledgerctl";
	cli.dir = getenv("LEDGER_DIR");
	cli.database = getenv("LEDGER_DATABASE");
	cli.url = getenv("LEDGER_URL");
	cli.token = getenv("LEDGER_TOKEN");
	cli.cacert = getenv("LEDGER_CACERT");
	cli.cert = getenv("LEDGER_CERT");
	cli.client_key = getenv("LEDGER_CLIENT_KEY");
	if (argc < 2) {
		usage(stderr);
		return EXIT_TROUBLE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return finish(EXIT_YES);
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("ledgerctl %s\n", LEDGER_VERSION);
		return finish(EXIT_YES);
	}
	if ((cmd = find_command(argv[1])) == NULL) {
		fprintf(stderr, "ledgerctl: '%s' is not a command\n", argv[1]);
		usage(stderr);
		return EXIT_TROUBLE;
	}
	return cmd->fn(&cli, argc - 1, argv + 1);
}

void
csv_field(const char *s)
{
	const char *p;
	/* A spreadsheet runs a cell that begins with = + - @ (or a tab or
	 * CR before one) as a formula; an entry's text is the sender's, so
	 * such a field gets a leading apostrophe, which spreadsheets show as
	 * text (OWASP, "CSV Injection").  Seqs, times, digests and commits
	 * never begin so. */
	bool formula = s != NULL && strchr("=+-@\t\r", s[0]) != NULL &&
	    s[0] != '\0';

	if (s == NULL)
		return;
	if (!formula && strpbrk(s, ",\"\n\r") == NULL) {
		fputs(s, stdout);
		return;
	}
	putchar('"');
	if (formula)
		putchar('\'');
	for (p = s; *p; p++) {
		if (*p == '"')
			putchar('"');
		putchar(*p);
	}
	putchar('"');
}
