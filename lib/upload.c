/*
 * upload.c - one event from an uploaded report (ledger/upload.h)
 *
 * The formats are tried in a fixed order (upload-scan.c, upload-bom.c);
 * each looks for members no other format has, so a document is one of
 * them or none.  The facts a reader finds become subject members: tool,
 * tool_version, summary (counts, fixed order per class, docs/FORMAT.md)
 * and status -- "pass" or "fail" by the threshold for scans and SBOMs,
 * the reader's word for plans and runs.  The caller's subject values win
 * over the report's: a scanner often names the image by its config
 * digest (Trivy's ImageID), the pipeline knows the manifest digest it
 * pushed.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "ledger/jcs.h"
#include "ledger/upload.h"
#include "source-int.h"
#include "upload-int.h"

static const char *const class_names[LEDGER_UPLOAD_CLASS_COUNT] = {
	"any", "scan", "sbom", "plan", "run",
};

static const char *const sev_names[LEDGER_SEV_COUNT] = {
	"critical", "high", "medium", "low", "unknown", "none",
};

/* The summary's count names, by class. */
static const char *const count_names[LEDGER_UPLOAD_CLASS_COUNT][N_MAX] = {
	[LEDGER_UPLOAD_SCAN] = { "critical", "high", "medium", "low",
	    "unknown" },
	[LEDGER_UPLOAD_SBOM] = { "critical", "high", "medium", "low",
	    "unknown", "components" },
	[LEDGER_UPLOAD_PLAN] = { "add", "change", "destroy" },
	[LEDGER_UPLOAD_RUN] = { "changed", "failed", "ok", "unreachable" },
};

static const enum ledger_kind class_kinds[LEDGER_UPLOAD_CLASS_COUNT] = {
	LEDGER_KIND_OTHER, LEDGER_KIND_SCAN, LEDGER_KIND_ARTIFACT,
	LEDGER_KIND_CHANGE, LEDGER_KIND_CHANGE,
};

const char *
ledger_upload_class_name(enum ledger_upload_class c)
{
	return (unsigned)c < LEDGER_UPLOAD_CLASS_COUNT ? class_names[c] : NULL;
}

int
ledger_upload_class_parse(const char *s)
{
	int i;

	for (i = 0; s != NULL && i < LEDGER_UPLOAD_CLASS_COUNT; i++)
		if (strcmp(s, class_names[i]) == 0)
			return i;
	return -1;
}

const char *
ledger_severity_name(enum ledger_severity s)
{
	return (unsigned)s < LEDGER_SEV_COUNT ? sev_names[s] : NULL;
}

int
ledger_severity_parse(const char *s)
{
	int i;

	for (i = 0; s != NULL && i < LEDGER_SEV_COUNT; i++)
		if (strcmp(s, sev_names[i]) == 0)
			return i;
	return -1;
}

/* ---- helpers for the readers ---- */

json_t *
up_get(json_t *doc, const char *path)
{
	struct doc d = { doc, NULL, NULL };

	return src_path_get(&d, path);
}

const char *
up_str(json_t *doc, const char *path)
{
	struct doc d = { doc, NULL, NULL };
	const char *s = src_path_string(&d, path);

	return s != NULL && *s != '\0' ? s : NULL;
}

int64_t
up_count(json_t *v)
{
	const char *s;
	char *end;
	double d;
	long long n;

	/* a count too large to be exact is as large as a count gets here:
	 * never "none" (a huge "failures" must not read as a clean run) */
	if (json_is_number(v)) {
		d = json_number_value(v);
		if (d >= 9e15)
			return UP_COUNT_MAX;
		return d >= 0 && d == (double)(int64_t)d ? (int64_t)d : -1;
	}
	if ((s = json_string_value(v)) == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	n = strtoll(s, &end, 10);
	if (*end != '\0')
		return -1;
	return errno != 0 || n >= UP_COUNT_MAX ? UP_COUNT_MAX : n;
}

void
up_add(uint64_t *to, uint64_t n)
{
	*to = *to > UINT64_MAX - n ? UINT64_MAX : *to + n;
}

void
up_digest(struct facts *f, const char *s)
{
	const char *at;

	if (f->artifact != NULL || s == NULL)
		return;
	/* an image reference "repo@sha256:<hex>" names it after the '@' */
	if (strncmp(s, "pkg:", 4) != 0 && (at = strrchr(s, '@')) != NULL)
		s = at + 1;
	f->artifact = src_digest(s, strlen(s), &f->nomem);
}

int
up_severity_word(const char *w)
{
	static const struct { const char *w; int sev; } words[] = {
		{ "critical", LEDGER_SEV_CRITICAL },
		{ "high", LEDGER_SEV_HIGH }, { "error", LEDGER_SEV_HIGH },
		{ "medium", LEDGER_SEV_MEDIUM },
		{ "moderate", LEDGER_SEV_MEDIUM },
		{ "warning", LEDGER_SEV_MEDIUM },
		{ "low", LEDGER_SEV_LOW }, { "negligible", LEDGER_SEV_LOW },
		{ "note", LEDGER_SEV_LOW },
		{ "unknown", LEDGER_SEV_UNKNOWN },
		{ "info", LEDGER_SEV_NONE }, { "informational", LEDGER_SEV_NONE },
		{ "none", LEDGER_SEV_NONE },
	};
	size_t i;

	for (i = 0; w != NULL && i < sizeof(words) / sizeof(*words); i++)
		if (strcasecmp(w, words[i].w) == 0)
			return words[i].sev;
	return -1;
}

int
up_severity_score(json_t *v)
{
	const char *s = json_string_value(v);
	char *end;
	double d;

	if (json_is_number(v))
		d = json_number_value(v);
	else if (s != NULL && *s != '\0') {
		d = strtod(s, &end);
		if (*end != '\0')
			return -1;
	} else
		return -1;
	if (!(d >= 0 && d <= 10))
		return -1;
	return d >= 9 ? LEDGER_SEV_CRITICAL : d >= 7 ? LEDGER_SEV_HIGH :
	    d >= 4 ? LEDGER_SEV_MEDIUM : d > 0 ? LEDGER_SEV_LOW :
	    LEDGER_SEV_NONE;
}

bool
ledger_summary_count(const char *summary, const char *name, uint64_t *ret)
{
	size_t n = strlen(name);
	const char *p = summary;
	char *end;

	while (p != NULL && *p != '\0') {
		if (strncmp(p, name, n) == 0 && p[n] == '=' &&
		    p[n + 1] >= '0' && p[n + 1] <= '9') {
			errno = 0;
			*ret = strtoull(p + n + 1, &end, 10);
			return errno == 0 && (*end == ',' || *end == '\0');
		}
		if ((p = strchr(p, ',')) != NULL)
			p++;
	}
	return false;
}

/* ---- the event ---- */

static const struct upload_format *const format_tables[] = {
	upload_scan_formats, upload_bom_formats,
};

static const struct upload_format *
detect(json_t *doc)
{
	const struct upload_format *t;
	size_t i;

	for (i = 0; i < sizeof(format_tables) / sizeof(*format_tables); i++)
		for (t = format_tables[i]; t->name != NULL; t++)
			if (t->is(doc))
				return t;
	return NULL;
}

size_t
up_summary(enum ledger_upload_class c, const uint64_t *v, size_t k,
    char *buf, size_t n)
{
	size_t i, len = 0;

	buf[0] = '\0';
	for (i = 0; i < k && i < N_MAX && count_names[c][i] != NULL &&
	    len < n; i++)
		len += (size_t)snprintf(buf + len, n - len, "%s%s=%" PRIu64,
		    i ? "," : "", count_names[c][i], v[i]);
	return len < n ? len : n - 1;
}

/* "critical=0,high=2,...", and for scans and SBOMs ",fail_on=high". */
static const char *
summary_of(enum ledger_upload_class c, const struct facts *f,
    enum ledger_severity fail_on, char *buf, size_t n)
{
	size_t len = up_summary(c, f->n, N_MAX, buf, n);

	if (c == LEDGER_UPLOAD_SCAN || c == LEDGER_UPLOAD_SBOM)
		snprintf(buf + len, n - len, ",fail_on=%s", sev_names[fail_on]);
	return buf;
}

static const char *
verdict(enum ledger_upload_class c, const struct facts *f,
    enum ledger_severity fail_on)
{
	int s;

	if (c != LEDGER_UPLOAD_SCAN && c != LEDGER_UPLOAD_SBOM)
		return f->status;
	for (s = 0; s <= (int)fail_on && fail_on != LEDGER_SEV_NONE; s++)
		if (f->n[s] > 0)
			return "fail";
	return "pass";
}

static enum ledger_status
set(struct ledger_event *ev, enum ledger_subject field, const char *v,
    struct ledger_error *err)
{
	enum ledger_status st;
	char what[32];

	if (v == NULL || ev->e.subject[field] != NULL)
		return LEDGER_OK;
	if ((st = ledger_event_set_subject(ev, field, v, err)) != LEDGER_OK) {
		snprintf(what, sizeof(what), "%s: ", ledger_subject_name(field));
		src_error_prefix(err, what);
	}
	return st;
}

/* set, except that a value subject normalization refuses is left out. */
static enum ledger_status
set_soft(struct ledger_event *ev, enum ledger_subject field, const char *v,
    struct ledger_error *err)
{
	enum ledger_status st = set(ev, field, v, err);

	return st == LEDGER_EINVAL ? LEDGER_OK : st;
}

/* The subject of ev: the caller's values, then the report's. */
static enum ledger_status
fill(struct ledger_event *ev, const struct ledger_upload_opts *o,
    const struct upload_format *fmt, const struct facts *f,
    struct ledger_error *err)
{
	enum ledger_severity fail_on = o->fail_on_set ? o->fail_on :
	    LEDGER_SEV_HIGH;
	enum ledger_status st = LEDGER_OK;
	char sum[160];
	int i;

	for (i = 0; i < LEDGER_SUBJ_COUNT && st == LEDGER_OK; i++)
		if (i != LEDGER_SUBJ_SUMMARY && i != LEDGER_SUBJ_TOOL &&
		    i != LEDGER_SUBJ_TOOL_VERSION && i != LEDGER_SUBJ_STATUS)
			st = set(ev, (enum ledger_subject)i, o->subject[i], err);
	if (st != LEDGER_OK)
		return st;
	if (fmt == NULL)
		return set(ev, LEDGER_SUBJ_STATUS, "unknown", err);
	/* what the report names is taken when it is a valid value and left
	 * out when not: the report is the evidence, it is never refused for
	 * a tool name with a control character */
	if ((st = set_soft(ev, LEDGER_SUBJ_ARTIFACT, f->artifact, err)) ||
	    (st = set_soft(ev, LEDGER_SUBJ_COMMIT, f->commit, err)) ||
	    (st = set_soft(ev, LEDGER_SUBJ_URL, f->url, err)) ||
	    (st = set_soft(ev, LEDGER_SUBJ_SERVICE, f->service, err)) ||
	    (st = set_soft(ev, LEDGER_SUBJ_TOOL, f->tool, err)) ||
	    (st = set_soft(ev, LEDGER_SUBJ_TOOL_VERSION, f->version, err)) ||
	    (st = set(ev, LEDGER_SUBJ_SUMMARY, summary_of(fmt->cls, f,
	    fail_on, sum, sizeof(sum)), err)))
		return st;
	return set(ev, LEDGER_SUBJ_STATUS, verdict(fmt->cls, f, fail_on), err);
}

bool
ledger_upload_json_type(const char *mt)
{
	size_t n;

	if (mt == NULL)
		return true;
	while (*mt == ' ')
		mt++;
	n = strcspn(mt, "; \t");
	return (n == 16 && strncasecmp(mt, "application/json", 16) == 0) ||
	    (n > 5 && strncasecmp(mt + n - 5, "+json", 5) == 0);
}

const struct upload_format *
upload_format_named(const char *name)
{
	const struct upload_format *t;
	size_t i;

	for (i = 0; i < sizeof(format_tables) / sizeof(*format_tables); i++)
		for (t = format_tables[i]; t->name != NULL; t++)
			if (strcmp(t->name, name) == 0)
				return t;
	return NULL;
}

enum ledger_status
upload_build(json_t *doc, const struct upload_format *fmt,
    const struct ledger_upload_opts *o, struct ledger_event **ret,
    struct ledger_error *err)
{
	struct ledger_event *ev = NULL;
	enum ledger_status st;
	struct facts f;

	*ret = NULL;
	memset(&f, 0, sizeof(f));
	if (fmt != NULL) {
		fmt->read(doc, &f);
		if (f.nomem) {
			st = ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
			goto out;
		}
	}
	if ((st = ledger_event_new(&ev, err)) != LEDGER_OK)
		goto out;
	ev->e.kind = fmt != NULL ? class_kinds[fmt->cls] :
	    (enum ledger_kind)o->kind;
	if ((st = ledger_event_set_source(ev, LEDGER_SRC_TYPE, "report",
	    err)) || (st = ledger_event_set_source(ev, LEDGER_SRC_EVENT,
	    fmt != NULL ? fmt->name : "unknown", err)) ||
	    (st = fill(ev, o, fmt, &f, err)))
		goto out;
	*ret = ev;
	ev = NULL;
out:
	ledger_event_free(ev);
	free(f.artifact);
	json_decref(f.hold);
	return st;
}

enum ledger_status
ledger_upload_event(const char *body, size_t len,
    const struct ledger_upload_opts *o, struct ledger_event **ret,
    struct ledger_error *err)
{
	const struct upload_format *fmt = NULL;
	struct ledger_event *ev = NULL;
	enum ledger_status st;
	json_t *doc = NULL;

	*ret = NULL;
	if (o->cls >= LEDGER_UPLOAD_CLASS_COUNT)
		return ledger_errorf(err, LEDGER_EINVAL, "bad report class");
	if (o->kind >= LEDGER_KIND_COUNT || o->kind == LEDGER_KIND_LEDGER)
		return ledger_errorf(err, LEDGER_EINVAL, "a report cannot be "
		    "recorded as kind %s", o->kind == LEDGER_KIND_LEDGER ?
		    "ledger" : "(bad)");
	if (ledger_upload_json_type(o->media_type)) {
		if ((st = ledger_json_parse(body, len, &doc, err)) != LEDGER_OK) {
			src_error_prefix(err, "report: ");
			return st;
		}
		fmt = detect(doc);
	} else if (o->kind < 0)
		return ledger_errorf(err, LEDGER_EINVAL, "a report of type "
		    "'%.64s' is not one ledgerd reads; say its kind to record "
		    "it as it is", o->media_type);
	if (fmt == NULL && o->kind < 0) {
		st = ledger_errorf(err, LEDGER_EINVAL, "not a report format "
		    "ledgerd reads (docs/reports.md lists them); say its kind "
		    "to record it as it is, with status unknown");
		goto out;
	}
	if (fmt != NULL && o->cls != LEDGER_UPLOAD_ANY && fmt->cls != o->cls) {
		st = ledger_errorf(err, LEDGER_EINVAL, "this is a %s report "
		    "(%s), not a %s: record it as %s", fmt->name,
		    class_names[fmt->cls], class_names[o->cls],
		    class_names[fmt->cls]);
		goto out;
	}
	if ((st = upload_build(doc, fmt, o, &ev, err)) ||
	    (st = ledger_event_set_payload(ev, body, len, o->media_type !=
	    NULL ? o->media_type : "application/json", err)))
		goto out;
	*ret = ev;
	ev = NULL;
out:
	ledger_event_free(ev);
	json_decref(doc);
	return st;
}
