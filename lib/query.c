/*
 * query.c - listing filters: read, normalized, matched, encoded
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "ledger/jcs.h"
#include "ledger/query.h"
#include "ledger-int.h"

/* Bits of q->set: the single-valued names already given. */
enum { SET_SINCE = 1, SET_UNTIL = 2, SET_AFTER = 4, SET_LIMIT = 8 };

void
ledger_query_init(struct ledger_query *q)
{
	memset(q, 0, sizeof(*q));
	q->after_seq = -1;
}

static void
values_release(struct ledger_query_values *vs)
{
	size_t i;

	for (i = 0; i < vs->n; i++)
		free(vs->v[i].s);
	vs->n = 0;
}

void
ledger_query_release(struct ledger_query *q)
{
	int i;

	if (q == NULL)
		return;
	values_release(&q->source);
	for (i = 0; i < LEDGER_SUBJ_COUNT; i++)
		values_release(&q->subject[i]);
	ledger_query_init(q);
}

/* Take ownership of s (NULL: out of memory) as a value of vs; a value
 * already there is not added twice. */
static enum ledger_status
values_add(struct ledger_query_values *vs, const char *name, char *s,
    enum ledger_query_match how, struct ledger_error *err)
{
	size_t i;

	if (s == NULL)
		return ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	for (i = 0; i < vs->n; i++)
		if (vs->v[i].how == how && strcmp(vs->v[i].s, s) == 0) {
			free(s);
			return LEDGER_OK;
		}
	if (vs->n == LEDGER_QUERY_VALUES_MAX) {
		free(s);
		return ledger_errorf(err, LEDGER_EINVAL, "more than %d values "
		    "for '%s'", LEDGER_QUERY_VALUES_MAX, name);
	}
	vs->v[vs->n].s = s;
	vs->v[vs->n].how = how;
	vs->n++;
	return LEDGER_OK;
}

enum ledger_status
ledger_query_add_subject(struct ledger_query *q, enum ledger_subject f,
    const char *value, struct ledger_error *err)
{
	enum ledger_query_match how = LEDGER_MATCH_EXACT;
	enum ledger_status rc;
	const char *name = ledger_subject_name(f);
	char *norm;
	size_t len;

	if (name == NULL)
		return ledger_errorf(err, LEDGER_EINVAL, "bad subject field");
	if (value == NULL)
		return ledger_errorf(err, LEDGER_EINVAL, "'%s' needs a value",
		    name);
	if ((rc = ledger_subject_normalize(f, value, strlen(value), &norm,
	    err)) != LEDGER_OK)
		return rc;
	len = strlen(norm);
	if (f == LEDGER_SUBJ_COMMIT && ledger_all_hex(norm, len) && len < 40) {
		if (len < 7) {
			free(norm);
			return ledger_errorf(err, LEDGER_EINVAL, "commit '%s' "
			    "is too short: give at least 7 hex digits", value);
		}
		how = LEDGER_MATCH_PREFIX;
	} else if (f == LEDGER_SUBJ_ARTIFACT && len == 64 &&
	    ledger_all_hex(norm, len)) {
		size_t i;
		bool upper = false;

		/* Ingest keeps a bare digest as it came: an upper-case one
		 * is also looked for as it is. */
		for (i = 0; i < len; i++)
			upper |= norm[i] != (char)tolower((unsigned char)norm[i]);
		if (upper && (rc = values_add(&q->subject[f], name,
		    strdup(norm), LEDGER_MATCH_EXACT, err)) != LEDGER_OK) {
			free(norm);
			return rc;
		}
		for (i = 0; i < len; i++)
			norm[i] = (char)tolower((unsigned char)norm[i]);
		how = LEDGER_MATCH_DIGEST;
	}
	return values_add(&q->subject[f], name, norm, how, err);
}

static enum ledger_status
once(struct ledger_query *q, unsigned bit, const char *name,
    struct ledger_error *err)
{
	if (q->set & bit)
		return ledger_errorf(err, LEDGER_EINVAL, "'%s' given twice; it "
		    "takes one value", name);
	q->set |= bit;
	return LEDGER_OK;
}

static enum ledger_status
parse_count(const char *name, const char *v, uint64_t max, uint64_t *ret,
    struct ledger_error *err)
{
	uint64_t n = 0;
	const char *p;

	for (p = v; *p >= '0' && *p <= '9'; p++) {
		if (n > (UINT64_MAX - 9) / 10)
			break;
		n = n * 10 + (uint64_t)(*p - '0');
	}
	if (p == v || *p != '\0' || n > max)
		return ledger_errorf(err, LEDGER_EINVAL, "'%s' must be an "
		    "integer from 0 to %" PRIu64, name, max);
	*ret = n;
	return LEDGER_OK;
}

static enum ledger_status
add_kind(struct ledger_query *q, const char *v, struct ledger_error *err)
{
	enum ledger_kind k;
	enum ledger_status rc;

	if ((rc = ledger_kind_parse(v, &k, err)) != LEDGER_OK)
		return rc;
	q->kinds |= 1u << k;
	return LEDGER_OK;
}

static enum ledger_status
add_source(struct ledger_query *q, const char *v, struct ledger_error *err)
{
	size_t len = strlen(v);

	if (len == 0 || len > LEDGER_FIELD_MAX || !ledger_utf8_valid(v, len) ||
	    ledger_has_control(v, len))
		return ledger_errorf(err, LEDGER_EINVAL, "bad source name");
	return values_add(&q->source, "source", strdup(v), LEDGER_MATCH_EXACT,
	    err);
}

enum ledger_status
ledger_query_param(struct ledger_query *q, const char *name,
    const char *value, struct ledger_error *err)
{
	enum ledger_status rc;
	uint64_t n = 0;
	int f;

	if (value == NULL)
		return ledger_errorf(err, LEDGER_EINVAL, "'%.64s' needs a "
		    "value (name=value)", name);
	if (strcmp(name, "kind") == 0)
		return add_kind(q, value, err);
	if (strcmp(name, "source") == 0)
		return add_source(q, value, err);
	if (strcmp(name, "env") == 0)
		name = "environment";
	if ((f = ledger_subject_lookup(name)) >= 0)
		return ledger_query_add_subject(q, (enum ledger_subject)f,
		    value, err);
	if (strcmp(name, "since") == 0 || strcmp(name, "until") == 0) {
		bool since = name[0] == 's';
		struct ledger_error terr;

		if ((rc = once(q, since ? SET_SINCE : SET_UNTIL, name, err)))
			return rc;
		if (ledger_time_parse_any(value, since ? &q->since_ms :
		    &q->until_ms, &terr) != LEDGER_OK)
			return ledger_errorf(err, LEDGER_EINVAL, "%s: %s", name,
			    terr.msg);
		return LEDGER_OK;
	}
	if (strcmp(name, "after_seq") == 0 || strcmp(name, "after") == 0) {
		if ((rc = once(q, SET_AFTER, name, err)) ||
		    (rc = parse_count(name, value, INT64_MAX, &n, err)))
			return rc;
		q->after_seq = (int64_t)n;
		return LEDGER_OK;
	}
	if (strcmp(name, "limit") == 0) {
		if ((rc = once(q, SET_LIMIT, name, err)) ||
		    (rc = parse_count(name, value, UINT64_MAX, &n, err)))
			return rc;
		q->limit = n;
		return LEDGER_OK;
	}
	return ledger_errorf(err, LEDGER_ENOTFOUND, "unknown parameter "
	    "'%.64s'", name);
}

enum ledger_status
ledger_query_check(const struct ledger_query *q, struct ledger_error *err)
{
	char a[LEDGER_TIME_MAX], b[LEDGER_TIME_MAX];

	if (q->since_ms > 0 && q->until_ms > 0 && q->since_ms > q->until_ms) {
		ledger_time_format(q->since_ms, a);
		ledger_time_format(q->until_ms, b);
		return ledger_errorf(err, LEDGER_EINVAL, "since (%s) is after "
		    "until (%s)", a, b);
	}
	return LEDGER_OK;
}

static bool
value_match(const struct ledger_query_value *v, const char *s)
{
	if (s == NULL)
		return false;
	switch (v->how) {
	case LEDGER_MATCH_PREFIX:
		return strncmp(s, v->s, strlen(v->s)) == 0;
	case LEDGER_MATCH_DIGEST:
		return strcmp(s, v->s) == 0 || (strncmp(s, "sha256:", 7) == 0
		    && strcmp(s + 7, v->s) == 0);
	default:
		return strcmp(s, v->s) == 0;
	}
}

static bool
values_match(const struct ledger_query_values *vs, const char *s)
{
	size_t i;

	if (vs->n == 0)
		return true;
	for (i = 0; i < vs->n; i++)
		if (value_match(&vs->v[i], s))
			return true;
	return false;
}

bool
ledger_query_match(const struct ledger_query *q, const struct ledger_entry *e)
{
	int i;

	if (q->kinds != 0 && ((unsigned)e->kind >= LEDGER_KIND_COUNT ||
	    !(q->kinds & (1u << e->kind))))
		return false;
	if (!values_match(&q->source, e->source[LEDGER_SRC_NAME]))
		return false;
	for (i = 0; i < LEDGER_SUBJ_COUNT; i++)
		if (!values_match(&q->subject[i], e->subject[i]))
			return false;
	if (q->since_ms > 0 && e->time_ms < q->since_ms)
		return false;
	if (q->until_ms > 0 && e->time_ms >= q->until_ms)
		return false;
	return true;
}

enum ledger_status
ledger_url_param(struct ledger_buf *b, const char *name, const char *v)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p;
	enum ledger_status rc = LEDGER_OK;

	rc |= ledger_buf_addc(b, '&');
	rc |= ledger_buf_adds(b, name);
	rc |= ledger_buf_addc(b, '=');
	for (p = (const unsigned char *)v; *p && rc == LEDGER_OK; p++) {
		if (isalnum(*p) || strchr("-._~", *p))
			rc = ledger_buf_addc(b, (char)*p);
		else {
			char esc[3] = { '%', hex[*p >> 4], hex[*p & 15] };

			rc = ledger_buf_add(b, esc, 3);
		}
	}
	return rc;
}

enum ledger_status
ledger_query_encode(const struct ledger_query *q, struct ledger_buf *out,
    struct ledger_error *err)
{
	enum ledger_status rc = LEDGER_OK;
	char t[LEDGER_TIME_MAX];
	size_t j;
	int i;

	for (i = 0; i < LEDGER_KIND_COUNT; i++)
		if (q->kinds & (1u << i))
			rc |= ledger_url_param(out, "kind", ledger_kind_name(i));
	for (j = 0; j < q->source.n; j++)
		rc |= ledger_url_param(out, "source", q->source.v[j].s);
	for (i = 0; i < LEDGER_SUBJ_COUNT; i++)
		for (j = 0; j < q->subject[i].n; j++)
			rc |= ledger_url_param(out, ledger_subject_name(i),
			    q->subject[i].v[j].s);
	if (q->since_ms > 0) {
		ledger_time_format(q->since_ms, t);
		rc |= ledger_url_param(out, "since", t);
	}
	if (q->until_ms > 0) {
		ledger_time_format(q->until_ms, t);
		rc |= ledger_url_param(out, "until", t);
	}
	if (rc != LEDGER_OK)
		return ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	return LEDGER_OK;
}

enum ledger_status
ledger_page_parse(const char *after, const char *limit, uint64_t *ret_start,
    size_t *ret_limit, struct ledger_error *err)
{
	unsigned long long v;
	char *end;

	if (after != NULL) {
		v = strtoull(after, &end, 10);
		if (*after < '0' || *after > '9' || *end != '\0' ||
		    v >= INT64_MAX)
			return ledger_errorf(err, LEDGER_EINVAL, "after takes "
			    "a seq");
		*ret_start = (uint64_t)v + 1;
	}
	if (limit != NULL) {
		v = strtoull(limit, &end, 10);
		if (*limit < '0' || *limit > '9' || *end != '\0' || v == 0 ||
		    v > 100000)
			return ledger_errorf(err, LEDGER_EINVAL, "limit takes "
			    "1 to 100000");
		*ret_limit = (size_t)v;
	}
	return LEDGER_OK;
}

enum ledger_status
ledger_query_records(struct ledger_query *q, const char *const *events,
    size_t n, struct ledger_error *err)
{
	enum ledger_status st = LEDGER_OK;
	size_t i;

	ledger_query_init(q);
	q->kinds = 1u << LEDGER_KIND_LEDGER;
	for (i = 0; i < n && st == LEDGER_OK; i++)
		st = ledger_query_add_subject(q, LEDGER_SUBJ_STATUS, events[i],
		    err);
	return st;
}

/* ---- lists of seqs ---- */

enum ledger_status
ledger_seqs_push(struct ledger_seqs *s, uint64_t seq)
{
	uint64_t *p;

	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 256;

		if (cap > SIZE_MAX / sizeof(*p) ||
		    (p = realloc(s->v, cap * sizeof(*p))) == NULL)
			return LEDGER_ENOMEM;
		s->v = p;
		s->cap = cap;
	}
	s->v[s->n++] = seq;
	return LEDGER_OK;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

void
ledger_seqs_sort_unique(struct ledger_seqs *s)
{
	size_t i, k;

	if (s->n < 2)
		return;
	qsort(s->v, s->n, sizeof(*s->v), cmp_u64);
	for (i = 1, k = 1; i < s->n; i++)
		if (s->v[i] != s->v[k - 1])
			s->v[k++] = s->v[i];
	s->n = k;
}

void
ledger_seqs_release(struct ledger_seqs *s)
{
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
}

/* One seq of an item: digits only, below INT64_MAX. */
static bool
seq_of(const char *p, size_t n, uint64_t *ret)
{
	uint64_t v = 0;
	size_t i;

	if (n == 0 || n > 19)
		return false;
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(p[i] - '0');
	}
	*ret = v;
	return v < INT64_MAX;
}

enum ledger_status
ledger_seqs_parse(struct ledger_seqs *s, const char *list, char sep,
    size_t max, struct ledger_error *err)
{
	const char *p, *end, *dash, *next;
	uint64_t a, b;
	size_t n;

	for (p = list; *p != '\0'; p = next) {
		end = strchr(p, sep);
		n = end != NULL ? (size_t)(end - p) : strlen(p);
		next = end != NULL ? end + 1 : p + n;
		if (n > 0 && sep == '\n' && p[n - 1] == '\r')
			n--;
		if (n == 0 && sep == '\n')
			continue;
		dash = memchr(p, '-', n);
		if (!seq_of(p, dash != NULL ? (size_t)(dash - p) : n, &a) ||
		    (dash != NULL && !seq_of(dash + 1, n - (size_t)(dash - p) -
		    1, &b)))
			return ledger_errorf(err, LEDGER_EINVAL, "'%.*s' is not "
			    "a seq or a range (9-12)", (int)(n > 40 ? 40 : n),
			    p);
		if (dash == NULL)
			b = a;
		if (b < a)
			return ledger_errorf(err, LEDGER_EINVAL, "the range "
			    "%" PRIu64 "-%" PRIu64 " runs backwards", a, b);
		if (b - a >= max || s->n + (b - a) >= max)
			return ledger_errorf(err, LEDGER_EINVAL, "more than "
			    "%zu seqs", max);
		for (; a <= b; a++)
			if (ledger_seqs_push(s, a) != LEDGER_OK)
				return ledger_errorf(err, LEDGER_ENOMEM, "out "
				    "of memory");
	}
	return LEDGER_OK;
}
