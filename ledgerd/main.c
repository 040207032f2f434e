/*
 * ledgerd - receive delivery events, append them to a tamper-evident log
 *
 *	ledgerd [-dnv] [-f config]
 *
 * Order of start: parse config -> create the data directory on first run
 * (key, database, first tokens) -> open the store and key -> bind -> serve.
 * SIGTERM/SIGINT drain in-flight requests, commit, record "stopping" and
 * close the store; SIGHUP reloads the configuration (keeping the old one if
 * the new one is invalid).  The log records the daemon's own life as
 * `ledger` kind entries.
 */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "ledger-config.h"
#include "ledger/jcs.h"
#include "ledger/store.h"
#include "ledger/token.h"
#include "ledgerd.h"

static struct config cfg;
static char *config_path;

static void
usage(FILE *f)
{
	fprintf(f, "usage: ledgerd [-dnv] [-f config]\n"
	    "  -d, --foreground   stay in the foreground, log to stderr\n"
	    "  -n, --check        check the configuration and exit (0 valid, "
	    "1 invalid)\n"
	    "  -v, --verbose      more detail in the log\n"
	    "  -f, --config FILE  configuration file (strict JSON; see "
	    "docs/ledgerd.md)\n"
	    "  -h, --help         this text\n"
	    "      --version      the version\n"
	    "\nWithout -f: data in ./var, listening on 127.0.0.1:8420; the "
	    "first start\ncreates the key, the database and a write and a "
	    "read token.\n\nexample:\n  ledgerd -d -f /etc/ledgerd/"
	    "ledgerd.json\n");
}

static void
print_problem(void *ctx, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "ledgerd: %s\n", msg);
}

static void
log_problem(void *ctx, const char *msg)
{
	(void)ctx;
	log_error("config %s", msg);
}

static char *
hexdigest(const uint8_t d[32])
{
	static char out[65];

	ledger_hex(d, 32, out);
	return out;
}

/* The data directory's log is in PostgreSQL (c->database): its
 * ledger.database says so and where, the log named by the key. */
static int
sync_database_file(const struct config *c)
{
	struct ledger_error err;
	struct ledger_vkey *keys = NULL;
	char path[4096], *db = NULL, *log = NULL;
	size_t n;
	int r = 0;

	snprintf(path, sizeof(path), "%s/%s", c->data_dir, LEDGER_PUB_FILE);
	if (ledger_vkey_load_file(path, &keys, &n, &err) != LEDGER_OK) {
		fprintf(stderr, "ledgerd: '%s': %s\n", path, err.msg);
		return -1;
	}
	if (ledger_database_read(c->data_dir, &db, &log, &err) == LEDGER_OK &&
	    strcmp(db, c->database) == 0 && strcmp(log, keys[0].name) == 0)
		goto out;
	if (ledger_database_write(c->data_dir, c->database, keys[0].name,
	    &err) != LEDGER_OK) {
		fprintf(stderr, "ledgerd: write %s/%s: %s\n", c->data_dir,
		    LEDGER_DATABASE_FILE, err.msg);
		r = -1;
	}
out:
	free(db);
	free(log);
	free(keys);
	return r;
}

/* First start: create the data directory, key and database (the log in
 * PostgreSQL with "database"). */
static int
ensure_data_dir(const struct config *c)
{
	struct ledger_error err;
	char origin[LEDGER_ORIGIN_MAX], path[4096], *vkey = NULL;
	struct ledger_store *s;

	snprintf(path, sizeof(path), "%s/%s", c->data_dir, LEDGER_DB_FILE);
	if (access(path, F_OK) == 0 && c->database != NULL) {
		fprintf(stderr, "ledgerd: '%s' holds a SQLite log, and "
		    "\"database\" names PostgreSQL: move the log first "
		    "(ledgerctl migrate --to --database), or leave "
		    "\"database\" out\n", c->data_dir);
		return -1;
	}
	if (access(path, F_OK) == 0)
		return 0;
	snprintf(path, sizeof(path), "%s/%s", c->data_dir, LEDGER_KEY_FILE);
	if (access(path, F_OK) == 0)	/* another front end's key, copied */
		return c->database != NULL ? sync_database_file(c) : 0;
	if (c->origin == NULL)
		ledger_default_origin(origin);
	else
		snprintf(origin, sizeof(origin), "%s", c->origin);
	if (ledger_store_init_at(c->data_dir, origin, c->database, &err) !=
	    LEDGER_OK) {
		fprintf(stderr, "ledgerd: create %s '%s': %s\n", c->database ?
		    "the log in the database for" : "data directory",
		    c->data_dir, err.msg);
		return -1;
	}
	if (ledger_store_open(c->data_dir, LEDGER_STORE_READONLY, &s, &err)) {
		fprintf(stderr, "ledgerd: open '%s': %s\n", c->data_dir,
		    err.msg);
		return -1;
	}
	fprintf(stderr, "ledgerd: created data directory %s%s\n"
	    "ledgerd: log origin '%s', key id %08x; public key in %s/%s\n",
	    c->data_dir, c->database ? " (the log in PostgreSQL)" : "",
	    ledger_store_origin(s), ledger_store_key_id(s),
	    c->data_dir, LEDGER_PUB_FILE);
	if (ledger_store_vkey(s) != NULL &&
	    ledger_vkey_format(ledger_store_vkey(s), &vkey, NULL) == LEDGER_OK) {
		fprintf(stderr, "ledgerd: verifier key (give it to auditors; "
		    "checkpoints verify with it, e.g. Go's note.Open):\n  %s\n",
		    vkey);
		free(vkey);
	}
	ledger_store_close(s);
	return 0;
}

/*
 * One daemon per data directory: an exclusive flock on DIR/ledgerd.lock,
 * held for the life of the process (and across daemon(3), which keeps the
 * descriptor).  ledgerctl does not take it: its writes beside a running
 * daemon serialize on the database's own write lock.  The file holds the
 * holder's pid, for the message a second daemon prints.
 */
static int lock_fd = -1;

static int
lock_data_dir(const char *dir)
{
	char path[4096], pid[32] = "";
	ssize_t n;

	snprintf(path, sizeof(path), "%s/ledgerd.lock", dir);
	if ((lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    0600)) < 0) {
		fprintf(stderr, "ledgerd: open '%s': %s\n", path,
		    strerror(errno));
		return -1;
	}
	if (flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
		int e = errno;

		if ((n = pread(lock_fd, pid, sizeof(pid) - 1, 0)) > 0)
			pid[n] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		if (e == EWOULDBLOCK)
			fprintf(stderr, "ledgerd: another ledgerd%s%s%s is "
			    "running on data directory '%s'; stop it first "
			    "(two daemons on one log are refused)\n",
			    pid[0] ? " (pid " : "", pid, pid[0] ? ")" : "", dir);
		else
			fprintf(stderr, "ledgerd: lock '%s': %s\n", path,
			    strerror(e));
		close(lock_fd);
		lock_fd = -1;
		return -1;
	}
	return 0;
}

/* Write our pid into the lock file (again after daemon(3) forked). */
static void
lock_note_pid(void)
{
	char pid[32];
	int n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());

	if (lock_fd >= 0 && (ftruncate(lock_fd, 0) != 0 ||
	    pwrite(lock_fd, pid, (size_t)n, 0) != n))
		log_warn("could not write the pid into ledgerd.lock");
}

/* checkpoint_export.dir: created 0700 on first start (config_load has
 * checked that it can be). */
static int
ensure_export_dir(const struct config *c)
{
	if (c->export_dir == NULL || mkdir(c->export_dir, 0700) == 0 ||
	    errno == EEXIST)
		return 0;
	fprintf(stderr, "ledgerd: create checkpoint_export dir '%s': %s\n",
	    c->export_dir, strerror(errno));
	return -1;
}

static void
count_token(void *ctx, const struct ledger_token_info *t)
{
	(void)t;
	(*(int64_t *)ctx)++;
}

/* Is stderr the journal ($JOURNAL_STREAM is "<dev>:<inode>" of it, and
 * a shell that inherited the variable has another stderr)? */
static bool
stderr_is_journal(void)
{
	const char *j = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat sb;

	return j != NULL && sscanf(j, "%llu:%llu", &dev, &ino) == 2 &&
	    fstat(STDERR_FILENO, &sb) == 0 &&
	    (unsigned long long)sb.st_dev == dev &&
	    (unsigned long long)sb.st_ino == ino;
}

/* DIR/first-tokens, new, 0600, for the tokens of a first start. */
static FILE *
first_tokens_file(const char *dir, char *path, size_t n)
{
	FILE *f;
	int fd;

	snprintf(path, n, "%s/first-tokens", dir);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
	    O_NOFOLLOW, 0600)) < 0 || (f = fdopen(fd, "w")) == NULL) {
		fprintf(stderr, "ledgerd: create %s: %s\n", path,
		    strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	return f;
}

/* No live token yet: make a write and a read token, shown once (under
 * systemd: written to DIR/first-tokens). */
static int
ensure_tokens(const struct config *c)
{
	struct ledger_store *s;
	struct ledger_error err;
	char wtok[LEDGER_TOKEN_MAX], rtok[LEDGER_TOKEN_MAX];
	int64_t n, wid, rid;
	const char *host = c->listen_host, *scheme;
	char port[32], path[4200];
	FILE *out = stderr;

	/* Tokens need no key: a log that contradicts its checkpoint still
	 * opens here, and is then served read-only. */
	if (ledger_store_open(c->data_dir, LEDGER_STORE_NOKEY, &s, &err) !=
	    LEDGER_OK) {
		fprintf(stderr, "ledgerd: open '%s': %s\n", c->data_dir,
		    err.msg);
		return -1;
	}
	/* Every token ever made, revoked ones too: an operator who revoked
	 * them all (an incident) does not get new ones from a restart. */
	n = 0;
	if (ledger_token_list(s, count_token, &n, &err) != LEDGER_OK) {
		fprintf(stderr, "ledgerd: read tokens: %s\n", err.msg);
		ledger_store_close(s);
		return -1;
	}
	/* Under systemd stderr is the journal, which keeps what it gets:
	 * the tokens go to a file only root and ledgerd can read. */
	if (n > 0 || (stderr_is_journal() && (out =
	    first_tokens_file(c->data_dir, path, sizeof(path))) == NULL)) {
		ledger_store_close(s);
		return n > 0 ? 0 : -1;
	}
	if (ledger_token_create(s, LEDGER_SCOPE_WRITE, "first write token",
	    wtok, &wid, &err) != LEDGER_OK ||
	    ledger_token_create(s, LEDGER_SCOPE_READ, "first read token",
	    rtok, &rid, &err) != LEDGER_OK) {
		fprintf(stderr, "ledgerd: create tokens: %s\n", err.msg);
		ledger_store_close(s);
		if (out != stderr) {
			fclose(out);
			unlink(path);
		}
		return -1;
	}
	ledger_store_close(s);
	if (strchr(host, ':') != NULL)
		host = "[::1]";
	scheme = c->tls_cert_file != NULL ? "https" : "http";
	if (c->listen_port == 0)
		snprintf(port, sizeof(port), "PORT");	/* see "listening on" */
	else
		snprintf(port, sizeof(port), "%u", c->listen_port);
	fprintf(out,
	    "ledgerd: created the first API tokens. They are shown once, here, "
	    "and only their hashes are stored:\n"
	    "  write token (id %lld): %s\n"
	    "  read token  (id %lld): %s\n"
	    "ledgerd: post an event and read it back:\n"
	    "  curl -sS -H 'Authorization: Bearer %s' -H 'Content-Type: "
	    "application/json' \\\n"
	    "    -d '{\"kind\":\"deployment\",\"subject\":{\"environment\":"
	    "\"production\",\"service\":\"pay\"}}' \\\n"
	    "    %s://%s:%s/v1/events\n"
	    "  curl -sS -H 'Authorization: Bearer %s' "
	    "%s://%s:%s/v1/events\n"
	    "ledgerd: more tokens: ledgerctl token create --scope "
	    "read|write -d %s\n",
	    (long long)wid, wtok, (long long)rid, rtok, wtok, scheme, host,
	    port, rtok, scheme, host, port, c->data_dir);
	if (out != stderr) {
		if (fclose(out) != 0) {
			fprintf(stderr, "ledgerd: write %s: %s\n", path,
			    strerror(errno));
			return -1;
		}
		fprintf(stderr, "ledgerd: created the first API tokens; they "
		    "are in %s (mode 0600): read them, store them, delete the "
		    "file\n", path);
	}
	sodium_memzero(wtok, sizeof(wtok));
	sodium_memzero(rtok, sizeof(rtok));
	return 0;
}

static bool started_pending;

static bool
record_started(struct ledger_store *w)
{
	char kid[9];

	snprintf(kid, sizeof(kid), "%08x", ledger_store_key_id(w));
	/* heartbeat_interval_s: a timeline tells a quiet log from a gap by
	 * it (lib/timeline.c). */
	return record("started", json_pack("{s:s,s:s,s:s,s:f}", "key_id", kid,
	    "origin", ledger_store_origin(w), "config_sha256",
	    config_path ? hexdigest(cfg.digest) : "defaults",
	    "heartbeat_interval_s", (double)cfg.heartbeat_interval_s));
}

static void
reload(void)
{
	struct config next;
	int problems;

	config_defaults(&next);
	if (config_path == NULL) {
		log_info("reload requested; no configuration file, nothing to "
		    "reload");
		config_free(&next);
		return;
	}
	problems = config_load(config_path, &next, log_problem, NULL);
	if (problems > 0) {
		log_error("reload refused: %d problem%s in %s; keeping the "
		    "running configuration", problems, problems == 1 ? "" : "s",
		    config_path);
		config_free(&next);
		return;
	}
	if (ensure_export_dir(&next) != 0) {
		log_error("reload refused: cannot create checkpoint_export dir "
		    "'%s'; keeping the running configuration", next.export_dir);
		config_free(&next);
		return;
	}
	if (strcmp(next.listen_host, cfg.listen_host) != 0 ||
	    next.listen_port != cfg.listen_port ||
	    strcmp(next.data_dir, cfg.data_dir) != 0 ||
	    (next.origin != NULL) != (cfg.origin != NULL) ||
	    (next.origin && strcmp(next.origin, cfg.origin) != 0) ||
	    next.max_connections != cfg.max_connections ||
	    next.idle_timeout_s != cfg.idle_timeout_s)
		log_warn("reload: listen, data_dir, origin, max_connections and "
		    "idle_timeout_s take effect only after a restart");
	/* Keep what needs a restart; take the rest. */
	free(next.listen_host);
	next.listen_host = strdup(cfg.listen_host);
	next.listen_port = cfg.listen_port;
	free(next.data_dir);
	next.data_dir = strdup(cfg.data_dir);
	free(next.origin);
	next.origin = cfg.origin ? strdup(cfg.origin) : NULL;
	next.max_connections = cfg.max_connections;
	next.idle_timeout_s = cfg.idle_timeout_s;
	config_free(&cfg);
	cfg = next;
	log_set_level(cfg.log_level);
	http_set_config(&cfg);
	http_set_sources(&cfg);
	tls_reload(&cfg);
	seq_set_config(&cfg);
	http_reload_tokens();
	record("config-reloaded", json_pack("{s:s}", "config_sha256",
	    hexdigest(cfg.digest)));
	log_info("configuration reloaded from %s", config_path);
}

/* Options; -1 to go on, else the exit status (help, version, misuse). */
static int
parse_args(int argc, char **argv, bool *foreground, bool *check_only,
    bool *verbose)
{
	static const struct option longopts[] = {
		{ "foreground", no_argument, NULL, 'd' },
		{ "check", no_argument, NULL, 'n' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "config", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "dnvf:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': *foreground = true; break;
		case 'n': *check_only = true; break;
		case 'v': *verbose = true; break;
		case 'f': config_path = optarg; break;
		case 'h':
			usage(stdout);
			return fflush(stdout) == 0 ? 0 : 1;
		case 'V':
			printf("ledgerd %s\n", LEDGER_VERSION);
			return fflush(stdout) == 0 ? 0 : 1;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "ledgerd: unexpected argument '%s'\n",
		    argv[optind]);
		usage(stderr);
		return 2;
	}
	return -1;
}

/* The log contradicts what it signed: serve reads so it can be examined,
 * refuse every write, say why. */
static void
refuse_writes(const char *why)
{
	char reason[460];

	log_error("refusing writes: %s", why);
	snprintf(reason, sizeof(reason), "refusing writes: %s", why);
	seq_refuse_writes(reason);
}

/*
 * Open the writer (NULL when the log contradicts a checkpoint it signed,
 * in the database, beside it or in the export copy: writes are then
 * refused) and the maintenance handle.  0, or -1 (logged).
 */
static int
open_stores(struct ledger_store **writer, struct ledger_store **maint)
{
	struct ledger_error err;
	char why[400], *vkey = NULL;
	int64_t t0;

	*writer = *maint = NULL;
	/* export.c checkpoints SQLite's WAL */
	if (ledger_store_open(cfg.data_dir, LEDGER_STORE_MANUAL_WAL, writer,
	    &err) != LEDGER_OK) {
		if (err.code != LEDGER_ECHAIN) {
			log_error("open store dir=%s error=\"%s\"", cfg.data_dir,
			    err.msg);
			return -1;
		}
		refuse_writes(err.msg);
		*writer = NULL;
	}
	if (ledger_store_open(cfg.data_dir, LEDGER_STORE_NOKEY, maint,
	    &err) != LEDGER_OK) {
		log_error("open store dir=%s error=\"%s\"", cfg.data_dir,
		    err.msg);
		ledger_store_close(*writer);
		*writer = NULL;
		return -1;
	}
	if (ledger_store_vkey(*maint) != NULL)
		(void)!ledger_vkey_format(ledger_store_vkey(*maint), &vkey, NULL);
	log_info("store open dir=%s origin=%s key_id=%08x vkey=%s",
	    cfg.data_dir, ledger_store_origin(*maint),
	    ledger_store_key_id(*maint), vkey ? vkey : "-");
	free(vkey);
	if (*writer != NULL && export_check(&cfg, *writer, why,
	    sizeof(why)) != 0) {
		refuse_writes(why);
		ledger_store_close(*writer);
		*writer = NULL;
	}
	if (*writer == NULL)
		return 0;
	/* Before listening: the delivery filter costs a read of every
	 * delivery id once, here rather than in a batch under load. */
	t0 = ledger_now_ms();
	if (ledger_store_prepare_ingest(*writer, &err) != LEDGER_OK)
		log_warn("delivery filter not built error=\"%s\" (each new "
		    "delivery id is looked up instead)", err.msg);
	else
		log_debug("delivery filter built ms=%lld",
		    (long long)(ledger_now_ms() - t0));
	return 0;
}

static uint64_t
file_bytes(const char *name)
{
	char path[4200];
	struct stat sb;

	snprintf(path, sizeof(path), "%s/%s", cfg.data_dir, name);
	return stat(path, &sb) == 0 ? (uint64_t)sb.st_size : 0;
}

/* What an SRE watches of the disk (/metrics). */
static void
disk_metrics(void)
{
	uint64_t free_bytes = http_disk_free();

	metrics_set_disk(free_bytes == UINT64_MAX ? 0 : free_bytes,
	    file_bytes(LEDGER_DB_FILE), file_bytes(LEDGER_DB_FILE "-wal"));
}

/* After a quiet spell, merge the whole lookup-key index into one segment
 * (ledger/store.h: when, and why); the merge steps of the next ticks
 * finish it. */
static void
settle_tick(struct ledger_store *maint, struct ledger_keys_settle *st)
{
	struct ledger_error err;
	uint64_t size;
	bool started;

	if (ledger_store_size(maint, &size, &err) != LEDGER_OK)
		return;			/* the merge step says what failed */
	if (!ledger_keys_settle_due(st, size))
		return;
	if (ledger_store_settle_keys(maint, LEDGER_MERGE_STEP_PAGES, &started,
	    &err) != LEDGER_OK)
		log_warn("settle lookup keys: %s", err.msg);
	else if (started) {
		ledger_keys_settled(st);
		log_info("settling the lookup keys entries=%llu",
		    (unsigned long long)size);
	}
}

/* Serve until SIGTERM or SIGINT; SIGHUP reloads; housekeeping every
 * 200 ms: frequent passive WAL checkpoints leave the writer's inline one
 * only a short remainder, and a step of merging the lookup keys. */
static void
serve(sigset_t *sigs, struct ledger_store *writer, struct ledger_store *maint)
{
	struct timespec tick = { 0, 200 * 1000 * 1000 };
	struct ledger_keys_settle settle = { 0, 0, 0 };
	struct ledger_error err;
	siginfo_t si;
	int sig, ticks = 0;

	disk_metrics();
	for (;;) {
		sig = sigtimedwait(sigs, &si, &tick);
		if (sig == SIGTERM || sig == SIGINT) {
			log_info("stopping signal=%s", sig == SIGTERM ?
			    "TERM" : "INT");
			return;
		}
		if (sig == SIGHUP) {
			service_notify("RELOADING=1");
			reload();
			service_notify("READY=1");
			continue;
		}
		if (sig == SIGUSR1) {
			log_info("key rotation requested (SIGUSR1)");
			keys_request_rotate();
			seq_wake();
			continue;
		}
		ticks++;
		service_watchdog();
		http_sweep();
		if (ledger_store_wal_checkpoint(maint, &err) != LEDGER_OK)
			log_warn("wal checkpoint: %s", err.msg);
		/* keep the lookup keys' index merged: answers probe each of
		 * its segments (ledger/store.h) */
		if (ledger_store_merge_keys(maint, LEDGER_MERGE_STEP_PAGES,
		    &err) != LEDGER_OK)
			log_warn("merge lookup keys: %s", err.msg);
		settle_tick(maint, &settle);
		prune_tick(maint, &cfg);
		if (ticks % 5 == 0)	/* disk: every second */
			disk_metrics();
		if (ticks % 10 == 0)	/* tokens: every 2 s */
			http_reload_tokens();
		if (started_pending && ticks % 5 == 0)
			started_pending = !record_started(writer);
	}
}

int
main(int argc, char **argv)
{
	struct ledger_store *writer = NULL, *maint = NULL;
	struct ledger_error err;
	sigset_t sigs;
	bool foreground = false, check_only = false, verbose = false;
	int r, problems;

	if ((r = parse_args(argc, argv, &foreground, &check_only,
	    &verbose)) >= 0)
		return r;
	if (sodium_init() < 0) {
		fprintf(stderr, "ledgerd: libsodium failed to initialize\n");
		return 1;
	}
	/*
	 * Every request allocates and frees zlib's state (up to ~270 KB for
	 * a large webhook body) and the body itself.  By default glibc
	 * returns such blocks to the kernel at once, and the next request
	 * pays the page faults again: measured as a fifth of a webhook's
	 * CPU.  Keep them: serve allocations up to 4 MiB from the heap and
	 * trim it only past 64 MiB free.
	 */
	mallopt(M_MMAP_THRESHOLD, 4 * 1024 * 1024);
	mallopt(M_TRIM_THRESHOLD, 64 * 1024 * 1024);
	config_defaults(&cfg);
	if (config_path != NULL &&
	    (problems = config_load(config_path, &cfg, print_problem, NULL))) {
		fprintf(stderr, "ledgerd: %d problem%s in %s\n", problems,
		    problems == 1 ? "" : "s", config_path);
		return 1;
	}
	if (check_only) {
		fprintf(stderr, "ledgerd: configuration %s is valid\n",
		    config_path ? config_path : "(defaults)");
		return 0;
	}
	if (verbose)
		cfg.log_level = LOG_LVL_DEBUG;
	/* As root: bind (a port below 1024 may need it), then drop it
	 * before anything is created or opened. */
	if (geteuid() == 0 && (http_bind(&cfg) != 0 ||
	    service_drop_root(&cfg) != 0))
		return 1;
	if (ensure_data_dir(&cfg) != 0 || lock_data_dir(cfg.data_dir) != 0 ||
	    ensure_export_dir(&cfg) != 0 || ensure_tokens(&cfg) != 0)
		return 1;
	if (!foreground && service_detach() != 0)
		return 1;
	log_init(foreground, cfg.log_level);
	lock_note_pid();

	/* Signals are taken synchronously by the main thread only. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (open_stores(&writer, &maint) != 0)
		return 1;
	http_set_sources(&cfg);
	/* Nothing is appended or signed until ledgerd listens: a start that
	 * fails (port in use) leaves the log as it was. */
	if (http_listen(&cfg, cfg.data_dir) != 0 ||
	    (writer != NULL && seq_start(writer, &cfg) != 0) ||
	    http_serve(&cfg) != 0) {
		seq_stop();
		ledger_store_close(maint);
		ledger_store_close(writer);
		return 1;
	}
	/* A start on a full disk must not lose its "started" entry: it is
	 * retried every second until it is recorded. */
	started_pending = writer != NULL && !record_started(writer);
	if (selfverify_start(&cfg) != 0)
		log_warn("self-verification is off: its thread did not start");
	service_ready(&cfg, !foreground);
	serve(&sigs, writer, maint);
	service_stopping();
	selfverify_stop();
	http_drain_and_stop();
	if (writer != NULL)
		record("stopping", NULL);
	seq_stop();
	if (ledger_store_wal_checkpoint(maint, &err) != LEDGER_OK)
		log_warn("wal checkpoint: %s", err.msg);
	ledger_store_close(maint);
	ledger_store_close(writer);
	log_info("stopped");
	config_free(&cfg);
	return 0;
}
