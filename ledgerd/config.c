/*
 * config.c - strict JSON configuration
 *
 * Every key is documented in docs/ledgerd.md.  Unknown keys, wrong types
 * and out-of-range values are errors, each reported with its line and
 * column, so that a typo never silently leaves a default in force.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "ledger/jcs.h"
#include "ledger/source.h"
#include "ledger/file.h"
#include "ledgerd.h"

#define CONFIG_MAX_BYTES (1u << 20)

void
config_defaults(struct config *c)
{
	memset(c, 0, sizeof(*c));
	c->listen_host = strdup("127.0.0.1");
	c->listen_port = 8420;
	c->data_dir = strdup("./var");
	c->max_body_bytes = 1u << 20;
	c->disk_reserve_bytes = 64u << 20;
	c->max_connections = 256;
	c->max_connections_per_client = 64;
	c->request_timeout_s = 30;
	c->idle_timeout_s = 60;
	c->batch_max = 256;
	c->batch_delay_ms = 0;
	c->queue_max = 8192;
	c->log_level = LOG_LVL_INFO;
	c->anonymous_read = false;
	c->checkpoint_interval_ms = 1000;
	c->heartbeat_interval_s = 600;
	c->key_overlap_s = 86400;
	c->self_verify_interval_s = 3600;
	c->self_verify_tail_ms = 1000;
	c->self_verify_tail_max = 4000;
	c->refusal_alert_per_minute = 20;
	c->refusal_block_s = 60;
	c->retention_check_s = 3600;
	c->retention_step = 1000;
}

void
config_free(struct config *c)
{
	if (c == NULL)
		return;
	free(c->listen_host);
	free(c->data_dir);
	free(c->origin);
	free(c->database);
	free(c->export_file);
	free(c->export_dir);
	free(c->tls_cert_file);
	free(c->tls_key_file);
	free(c->tls_client_ca_file);
	free(c->tls_client_crl_file);
	free(c->user);
	free(c->pidfile);
	ledger_sources_free(c->sources);
	free(c->path);
	memset(c, 0, sizeof(*c));
}

struct loader {
	const char *text;
	size_t len;
	int problems;
	void (*report)(void *ctx, const char *msg);
	void *ctx;
	const char *path;
};

/* Where does the member "key" appear in the text?  (The tree keeps no
 * positions; a key of the top-level object is found by its first quoted
 * occurrence followed by a colon.) */
static void
position(const struct loader *L, const char *key, int *line, int *col)
{
	size_t klen = strlen(key), i;
	int l = 1, c = 1;

	*line = 0;
	*col = 0;
	for (i = 0; i + klen + 2 <= L->len; i++) {
		if (L->text[i] == '"' && memcmp(L->text + i + 1, key, klen) == 0
		    && L->text[i + 1 + klen] == '"') {
			size_t j = i + klen + 2;

			while (j < L->len && strchr(" \t\r\n", L->text[j]))
				j++;
			if (j < L->len && L->text[j] == ':') {
				*line = l;
				*col = c;
				return;
			}
		}
		if (L->text[i] == '\n') {
			l++;
			c = 1;
		} else
			c++;
	}
}

static void
problem(struct loader *L, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
problem(struct loader *L, const char *key, const char *fmt, ...)
{
	char msg[512], what[400];
	va_list ap;
	int line = 0, col = 0;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (key != NULL)
		position(L, key, &line, &col);
	if (line > 0)
		snprintf(msg, sizeof(msg), "%s:%d:%d: %s", L->path, line, col,
		    what);
	else
		snprintf(msg, sizeof(msg), "%s: %s", L->path, what);
	L->problems++;
	if (L->report != NULL)
		L->report(L->ctx, msg);
}

static bool
get_uint(struct loader *L, const char *key, json_t *v, double min, double max,
    unsigned long long *out)
{
	double d;

	d = json_is_real(v) ? json_real_value(v) : -1;
	if (!json_is_real(v) || d < min || d > max ||
	    d != (double)(unsigned long long)d) {
		problem(L, key, "'%s' must be a whole number from %.0f to %.0f",
		    key, min, max);
		return false;
	}
	*out = (unsigned long long)d;
	return true;
}

static bool
get_str(struct loader *L, const char *key, json_t *v, char **out)
{
	char *s;

	if (!json_is_string(v) || json_string_length(v) == 0 ||
	    strlen(json_string_value(v)) != json_string_length(v)) {
		problem(L, key, "'%s' must be a non-empty string", key);
		return false;
	}
	if ((s = strdup(json_string_value(v))) == NULL) {
		problem(L, key, "out of memory");
		return false;
	}
	free(*out);
	*out = s;
	return true;
}

/* "HOST:PORT" or "[v6]:PORT"; port 0 picks a free one. */
static void
parse_listen(struct loader *L, json_t *v, struct config *c)
{
	const char *s, *colon;
	char *host, *end;
	unsigned long port;
	size_t hl;

	if (!json_is_string(v)) {
		problem(L, "listen", "'listen' must be a string \"HOST:PORT\"");
		return;
	}
	s = json_string_value(v);
	colon = strrchr(s, ':');
	if (colon == NULL || colon == s || colon[1] == '\0') {
		problem(L, "listen", "'listen' must be \"HOST:PORT\", not '%.64s'",
		    s);
		return;
	}
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno || *end || port > 65535 || colon[1] < '0' || colon[1] > '9') {
		problem(L, "listen", "'listen' has a bad port '%.16s'",
		    colon + 1);
		return;
	}
	hl = (size_t)(colon - s);
	if (s[0] == '[') {
		if (hl < 3 || s[hl - 1] != ']') {
			problem(L, "listen", "'listen': bad IPv6 address");
			return;
		}
		s++;
		hl -= 2;
	}
	if ((host = strndup(s, hl)) == NULL) {
		problem(L, "listen", "out of memory");
		return;
	}
	free(c->listen_host);
	c->listen_host = host;
	c->listen_port = (unsigned)port;
}

/* The webhook sources; secret files relative to the config's directory. */
static void
parse_sources(struct loader *L, json_t *v, struct config *c)
{
	struct ledger_error err;
	char *dir, *slash;

	if ((dir = strdup(L->path)) == NULL) {
		problem(L, "sources", "out of memory");
		return;
	}
	if ((slash = strrchr(dir, '/')) != NULL)
		*slash = '\0';
	else
		strcpy(dir, ".");
	ledger_sources_free(c->sources);
	c->sources = NULL;
	if (ledger_sources_from_json(v, dir, &c->sources, &err) != LEDGER_OK)
		problem(L, "sources", "%s", err.msg);
	free(dir);
}

/* The directory part of path ("." for a bare name). */
static void
dir_of(const char *path, char *out, size_t n)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		snprintf(out, n, ".");
	else if (slash == path)
		snprintf(out, n, "/");
	else
		snprintf(out, n, "%.*s", (int)(slash - path), path);
}

/* Can ledgerd write where checkpoint_export points?  A directory that
 * does not exist yet is created (0700) at start, so its parent must be
 * writable; a file must be a regular file or creatable. */
static void
check_export(struct loader *L, const char *path, bool dir)
{
	char parent[4096];
	struct stat sb;

	if (path == NULL)
		return;
	if (path[0] == '\0') {
		problem(L, "checkpoint_export", "checkpoint_export: empty path");
		return;
	}
	if (stat(path, &sb) == 0) {
		if (dir && !S_ISDIR(sb.st_mode))
			problem(L, "checkpoint_export", "checkpoint_export.dir "
			    "'%.200s' is not a directory", path);
		else if (!dir && !S_ISREG(sb.st_mode))
			problem(L, "checkpoint_export", "checkpoint_export.file "
			    "'%.200s' is not a regular file", path);
		else if (access(path, dir ? W_OK | X_OK : W_OK) != 0)
			problem(L, "checkpoint_export", "checkpoint_export "
			    "'%.200s' is not writable: %s", path,
			    strerror(errno));
		return;
	}
	if (errno != ENOENT) {
		problem(L, "checkpoint_export", "checkpoint_export '%.200s': %s",
		    path, strerror(errno));
		return;
	}
	dir_of(path, parent, sizeof(parent));
	if (stat(parent, &sb) != 0 || !S_ISDIR(sb.st_mode))
		problem(L, "checkpoint_export", "checkpoint_export '%.200s': "
		    "its directory '%.200s' does not exist", path, parent);
	else if (access(parent, W_OK | X_OK) != 0)
		problem(L, "checkpoint_export", "checkpoint_export '%.200s' "
		    "cannot be created: '%.200s' is not writable", path, parent);
}

/* An object of whole-number members, each into a config field. */
struct uint_member {
	const char *name;
	double min, max;
	uint64_t scale;			/* stored as value * scale */
	uint64_t *wide;			/* one of wide or narrow */
	unsigned *narrow;
};

static void
parse_uints(struct loader *L, const char *what, json_t *v,
    const struct uint_member *m, size_t n, const char *want)
{
	unsigned long long x;
	const char *key;
	json_t *val;
	size_t i;

	if (!json_is_object(v)) {
		problem(L, what, "'%s' must be an object", what);
		return;
	}
	json_object_foreach(v, key, val) {
		for (i = 0; i < n && strcmp(key, m[i].name) != 0; i++)
			;
		if (i == n)
			problem(L, key, "unknown key '%.64s' in '%s' (want %s)",
			    key, what, want);
		else if (get_uint(L, key, val, m[i].min, m[i].max, &x)) {
			if (m[i].wide != NULL)
				*m[i].wide = x * m[i].scale;
			else
				*m[i].narrow = (unsigned)(x * m[i].scale);
		}
	}
}

/* {"payload_days": N, "check_interval_s": S, "step_payloads": P} */
static void
parse_retention(struct loader *L, json_t *v, struct config *c)
{
	const struct uint_member m[] = {
		{ "payload_days", 1, 36500, 86400, &c->retention_age_s, NULL },
		{ "payload_age_s", 1, 36500.0 * 86400, 1, &c->retention_age_s,
		  NULL },
		{ "check_interval_s", 1, 86400, 1, NULL,
		  &c->retention_check_s },
		{ "step_payloads", 1, 100000, 1, NULL, &c->retention_step },
	};

	parse_uints(L, "retention", v, m, sizeof(m) / sizeof(*m),
	    "payload_days or payload_age_s, check_interval_s, step_payloads");
	if (json_is_object(v) && c->retention_age_s == 0)
		problem(L, "retention", "'retention' needs payload_days (or "
		    "payload_age_s)");
}

/* A file named in the config: relative to the config's directory. */
static void
get_path(struct loader *L, const char *key, json_t *v, char **out)
{
	const char *slash;
	char *p;

	if (!get_str(L, key, v, out) || (*out)[0] == '/' ||
	    (slash = strrchr(L->path, '/')) == NULL)
		return;
	if (asprintf(&p, "%.*s/%s", (int)(slash - L->path), L->path,
	    *out) < 0) {
		problem(L, key, "out of memory");
		return;
	}
	free(*out);
	*out = p;
}

/* {"cert_file", "key_file", "client_ca_file", "client_auth"} */
static void
parse_tls(struct loader *L, json_t *v, struct config *c)
{
	static const char *const modes[] = { "none", "optional", "required" };
	const char *key;
	json_t *val;
	size_t i;

	if (!json_is_object(v)) {
		problem(L, "tls", "'tls' must be an object");
		return;
	}
	json_object_foreach(v, key, val) {
		if (strcmp(key, "cert_file") == 0)
			get_path(L, key, val, &c->tls_cert_file);
		else if (strcmp(key, "key_file") == 0)
			get_path(L, key, val, &c->tls_key_file);
		else if (strcmp(key, "client_ca_file") == 0)
			get_path(L, key, val, &c->tls_client_ca_file);
		else if (strcmp(key, "client_crl_file") == 0)
			get_path(L, key, val, &c->tls_client_crl_file);
		else if (strcmp(key, "client_auth") == 0) {
			for (i = 0; i < 3; i++)
				if (json_is_string(val) && strcmp(
				    json_string_value(val), modes[i]) == 0)
					break;
			if (i == 3)
				problem(L, key, "'client_auth' must be none, "
				    "optional or required");
			else
				c->tls_client_auth = (enum tls_client_auth)i;
		} else
			problem(L, key, "unknown key '%.64s' in 'tls' (want "
			    "cert_file, key_file, client_ca_file, "
			    "client_crl_file, client_auth)", key);
	}
	if (c->tls_cert_file == NULL || c->tls_key_file == NULL)
		problem(L, "tls", "'tls' needs cert_file and key_file");
	if (c->tls_client_auth != TLS_CLIENT_NONE &&
	    c->tls_client_ca_file == NULL)
		problem(L, "tls", "'tls': client_auth %s needs client_ca_file "
		    "(the CAs that sign client certificates)",
		    modes[c->tls_client_auth]);
	if (c->tls_client_auth == TLS_CLIENT_NONE &&
	    c->tls_client_ca_file != NULL)
		problem(L, "tls", "'tls': client_ca_file is set but "
		    "client_auth is none; say optional or required");
	if (c->tls_client_crl_file != NULL && c->tls_client_ca_file == NULL)
		problem(L, "tls", "'tls': client_crl_file needs client_ca_file "
		    "(the CAs whose revocations it lists)");
}

/* Loopback: 127.0.0.0/8, ::1, localhost. */
static bool
is_loopback(const char *host)
{
	return strncmp(host, "127.", 4) == 0 || strcmp(host, "::1") == 0 ||
	    strcmp(host, "localhost") == 0;
}

/* {"alert_per_minute": N, "block_per_minute": N, "block_s": S} */
static void
parse_refusals(struct loader *L, json_t *v, struct config *c)
{
	const struct uint_member m[] = {
		{ "alert_per_minute", 0, 1000000, 1, NULL,
		  &c->refusal_alert_per_minute },
		{ "block_per_minute", 0, 1000000, 1, NULL,
		  &c->refusal_block_per_minute },
		{ "block_s", 1, 86400, 1, NULL, &c->refusal_block_s },
	};

	parse_uints(L, "refusals", v, m, sizeof(m) / sizeof(*m),
	    "alert_per_minute, block_per_minute, block_s");
}

/* {"file": PATH} or {"dir": PATH} */
static void
parse_export(struct loader *L, json_t *v, struct config *c)
{
	const char *key;
	json_t *val;

	if (!json_is_object(v) || json_object_size(v) != 1) {
		problem(L, "checkpoint_export", "'checkpoint_export' must be "
		    "{\"file\": PATH} or {\"dir\": PATH}");
		return;
	}
	json_object_foreach(v, key, val) {
		if (strcmp(key, "file") == 0)
			get_str(L, "checkpoint_export", val, &c->export_file);
		else if (strcmp(key, "dir") == 0)
			get_str(L, "checkpoint_export", val, &c->export_dir);
		else
			problem(L, key, "unknown key '%.64s' in "
			    "'checkpoint_export' (want file or dir)", key);
	}
	check_export(L, c->export_file, false);
	check_export(L, c->export_dir, true);
}

static void
apply(struct loader *L, json_t *root, struct config *c)
{
	static const char *const levels[] = { "error", "warn", "info",
	    "debug" };
	unsigned long long v;
	const char *key;
	json_t *val;
	size_t i;

	json_object_foreach(root, key, val) {
		if (strcmp(key, "listen") == 0)
			parse_listen(L, val, c);
		else if (strcmp(key, "data_dir") == 0)
			get_str(L, key, val, &c->data_dir);
		else if (strcmp(key, "origin") == 0)
			get_str(L, key, val, &c->origin);
		else if (strcmp(key, "database") == 0)
			get_str(L, key, val, &c->database);
		else if (strcmp(key, "max_body_bytes") == 0) {
			if (get_uint(L, key, val, 1024, 64.0 * 1024 * 1024, &v))
				c->max_body_bytes = (size_t)v;
		} else if (strcmp(key, "max_connections") == 0) {
			if (get_uint(L, key, val, 1, 10000, &v))
				c->max_connections = (unsigned)v;
		} else if (strcmp(key, "max_connections_per_client") == 0) {
			if (get_uint(L, key, val, 1, 10000, &v))
				c->max_connections_per_client = (unsigned)v;
		} else if (strcmp(key, "request_timeout_s") == 0) {
			if (get_uint(L, key, val, 1, 3600, &v))
				c->request_timeout_s = (unsigned)v;
		} else if (strcmp(key, "idle_timeout_s") == 0) {
			if (get_uint(L, key, val, 1, 3600, &v))
				c->idle_timeout_s = (unsigned)v;
		} else if (strcmp(key, "batch_max") == 0) {
			if (get_uint(L, key, val, 1, LEDGER_BATCH_MAX, &v))
				c->batch_max = (unsigned)v;
		} else if (strcmp(key, "batch_delay_ms") == 0) {
			if (get_uint(L, key, val, 0, 1000, &v))
				c->batch_delay_ms = (unsigned)v;
		} else if (strcmp(key, "queue_max") == 0) {
			if (get_uint(L, key, val, 1, 1000000, &v))
				c->queue_max = (unsigned)v;
		} else if (strcmp(key, "log_level") == 0) {
			for (i = 0; i < 4; i++)
				if (json_is_string(val) && strcmp(
				    json_string_value(val), levels[i]) == 0)
					break;
			if (i == 4)
				problem(L, key, "'log_level' must be error, "
				    "warn, info or debug");
			else
				c->log_level = (enum log_level)i;
		} else if (strcmp(key, "checkpoint_interval_ms") == 0) {
			if (get_uint(L, key, val, 10, 3600000, &v))
				c->checkpoint_interval_ms = (unsigned)v;
		} else if (strcmp(key, "heartbeat_interval_s") == 0) {
			if (get_uint(L, key, val, 0, 86400 * 7, &v))
				c->heartbeat_interval_s = (unsigned)v;
		} else if (strcmp(key, "disk_reserve_bytes") == 0) {
			if (get_uint(L, key, val, 0, 1099511627776.0, &v))
				c->disk_reserve_bytes = v;
		} else if (strcmp(key, "self_verify_interval_s") == 0) {
			if (get_uint(L, key, val, 0, 86400 * 30, &v))
				c->self_verify_interval_s = (unsigned)v;
		} else if (strcmp(key, "self_verify_tail_max") == 0) {
			if (get_uint(L, key, val, 100, 10000000, &v))
				c->self_verify_tail_max = (unsigned)v;
		} else if (strcmp(key, "self_verify_tail_ms") == 0) {
			if (get_uint(L, key, val, 0, 3600000, &v))
				c->self_verify_tail_ms = (unsigned)v;
		} else if (strcmp(key, "key_overlap_s") == 0) {
			if (get_uint(L, key, val, 0, 86400 * 365, &v))
				c->key_overlap_s = (unsigned)v;
		} else if (strcmp(key, "retention") == 0) {
			parse_retention(L, val, c);
		} else if (strcmp(key, "user") == 0) {
			get_str(L, key, val, &c->user);
		} else if (strcmp(key, "pidfile") == 0) {
			get_path(L, key, val, &c->pidfile);
		} else if (strcmp(key, "refusals") == 0) {
			parse_refusals(L, val, c);
		} else if (strcmp(key, "tls") == 0) {
			parse_tls(L, val, c);
		} else if (strcmp(key, "checkpoint_export") == 0) {
			parse_export(L, val, c);
		} else if (strcmp(key, "sources") == 0) {
			parse_sources(L, val, c);
		} else if (strcmp(key, "metrics_public") == 0 ||
		    strcmp(key, "access_log") == 0 ||
		    strcmp(key, "allow_plaintext") == 0) {
			if (!json_is_boolean(val))
				problem(L, key, "'%s' must be true or false",
				    key);
			else if (key[0] == 'm')
				c->metrics_public = json_is_true(val);
			else if (key[1] == 'c')
				c->access_log = json_is_true(val);
			else
				c->allow_plaintext = json_is_true(val);
		} else if (strcmp(key, "anonymous_read") == 0) {
			if (!json_is_boolean(val))
				problem(L, key, "'anonymous_read' must be true "
				    "or false");
			else
				c->anonymous_read = json_is_true(val);
		} else
			problem(L, key, "unknown key '%.64s'", key);
	}
	if (c->tls_cert_file == NULL && !c->allow_plaintext &&
	    !is_loopback(c->listen_host))
		problem(L, "listen", "listening on '%s' without TLS would send "
		    "tokens and events in the clear: configure \"tls\", or "
		    "set \"allow_plaintext\": true (TLS terminated in front)",
		    c->listen_host);
}

int
config_load(const char *path, struct config *c,
    void (*report)(void *ctx, const char *msg), void *ctx)
{
	struct ledger_error err;
	struct loader L;
	json_t *root = NULL;
	char *text = NULL;
	size_t len;

	memset(&L, 0, sizeof(L));
	L.report = report;
	L.ctx = ctx;
	L.path = path;
	if (ledger_read_file(path, CONFIG_MAX_BYTES, &text, &len, &err)) {
		problem(&L, NULL, "%s", err.msg);
		return L.problems;
	}
	L.text = text;
	L.len = len;
	crypto_hash_sha256(c->digest, (const uint8_t *)text, len);
	if (ledger_json_parse(text, len, &root, &err) != LEDGER_OK)
		problem(&L, NULL, "%s", err.msg);
	else if (!json_is_object(root))
		problem(&L, NULL, "the configuration must be a JSON object");
	else
		apply(&L, root, c);
	free(c->path);
	c->path = strdup(path);
	json_decref(root);
	free(text);
	return L.problems;
}
