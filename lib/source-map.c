/*
 * source-map.c - the mapping-table interpreter the adapters share: JSON paths,
 * digests, picks, conditions and rules
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "ledger/entry.h"
#include "ledger/jcs.h"
#include "ledger/source.h"
#include "ledger-int.h"
#include "source-int.h"
#include "sha256.h"

/* ---- JSON paths ---- */

static json_t *
walk(json_t *v, const char *p)
{
	char seg[128];
	const char *next;
	size_t n, i;
	json_t *el, *r;

	while (v != NULL && *p != '\0') {
		n = strcspn(p, ".");
		if (n == 0 || n >= sizeof(seg))
			return NULL;
		memcpy(seg, p, n);
		seg[n] = '\0';
		next = p[n] == '.' ? p + n + 1 : p + n;
		if (strcmp(seg, "*") == 0) {
			if (!json_is_array(v))
				return NULL;
			json_array_foreach(v, i, el) {
				r = walk(el, next);
				if (r != NULL && !json_is_null(r))
					return r;
			}
			return NULL;
		}
		if (json_is_array(v)) {
			if (strspn(seg, "0123456789") != n || n > 6)
				return NULL;
			v = json_array_get(v, (size_t)strtoul(seg, NULL, 10));
		} else
			v = json_object_get(v, seg);
		p = next;
	}
	return v;
}

json_t *
src_path_get(const struct doc *d, const char *path)
{
	if (path == NULL)
		return NULL;
	if (path[0] == '@')
		return d->envelope != NULL ? walk(d->envelope, path + 1) : NULL;
	return d->body != NULL ? walk(d->body, path) : NULL;
}

/* A string (without NUL) or a number, as text; NULL for anything else. */
static const char *
scalar(json_t *v, char buf[LEDGER_JCS_NUMBER_MAX])
{
	size_t len;

	if (json_is_string(v)) {
		if (strlen(json_string_value(v)) != json_string_length(v))
			return NULL;
		return json_string_value(v);
	}
	if (json_is_integer(v)) {
		snprintf(buf, LEDGER_JCS_NUMBER_MAX, "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
		return buf;
	}
	if (json_is_real(v) && ledger_jcs_format_number(json_real_value(v),
	    buf, &len, NULL) == LEDGER_OK)
		return buf;
	return NULL;
}

const char *
src_path_string(const struct doc *d, const char *path)
{
	json_t *v = src_path_get(d, path);

	if (!json_is_string(v) ||
	    strlen(json_string_value(v)) != json_string_length(v))
		return NULL;
	return json_string_value(v);
}

/* ---- digests ---- */

/* "alg:hex" with a known algorithm and the right number of digits. */
static char *
digest_exact(const char *s, size_t len, bool *nomem)
{
	static const struct {
		const char *alg;
		size_t hexlen;
	} algs[] = { { "sha256", 64 }, { "sha512", 128 }, { "sha384", 96 } };
	size_t i, a;
	char *out;

	if (len == 64 && ledger_all_hex(s, 64)) {
		if ((out = malloc(7 + 64 + 1)) == NULL) {
			*nomem = true;
			return NULL;
		}
		memcpy(out, "sha256:", 7);
		memcpy(out + 7, s, 64);
		out[71] = '\0';
		goto lower;
	}
	for (a = 0; a < sizeof(algs) / sizeof(*algs); a++) {
		size_t al = strlen(algs[a].alg);

		if (len == al + 1 + algs[a].hexlen &&
		    strncasecmp(s, algs[a].alg, al) == 0 && s[al] == ':' &&
		    ledger_all_hex(s + al + 1, algs[a].hexlen))
			break;
	}
	if (a == sizeof(algs) / sizeof(*algs))
		return NULL;
	if ((out = malloc(len + 1)) == NULL) {
		*nomem = true;
		return NULL;
	}
	memcpy(out, s, len);
	out[len] = '\0';
lower:
	for (i = 0; out[i] != '\0'; i++)
		if (out[i] >= 'A' && out[i] <= 'Z')
			out[i] = (char)(out[i] - 'A' + 'a');
	return out;
}

bool
src_pct_decode(const char *s, size_t n, char *out, size_t *ret_len)
{
	size_t i, o = 0;
	int hi, lo;

	for (i = 0; i < n; i++) {
		if (s[i] != '%') {
			out[o++] = s[i];
			continue;
		}
		if (i + 2 >= n)
			return false;
		hi = ledger_hexval((unsigned char)s[i + 1]);
		lo = ledger_hexval((unsigned char)s[i + 2]);
		if (hi < 0 || lo < 0)
			return false;
		out[o++] = (char)(hi << 4 | lo);
		i += 2;
	}
	out[o] = '\0';
	*ret_len = o;
	return true;
}

char *
src_digest(const char *s, size_t len, bool *nomem)
{
	const char *at, *q, *end, *p;
	char *dec, *out = NULL;
	size_t dlen;

	if ((out = digest_exact(s, len, nomem)) != NULL || *nomem)
		return out;
	if (len < 4 || strncmp(s, "pkg:", 4) != 0)
		return NULL;
	/* pkg:type/namespace/name@version?qualifiers#subpath */
	end = memchr(s, '#', len);
	if (end == NULL)
		end = s + len;
	q = memchr(s, '?', (size_t)(end - s));
	if ((dec = malloc(len + 1)) == NULL) {
		*nomem = true;
		return NULL;
	}
	at = NULL;
	for (p = s; p < (q != NULL ? q : end); p++)
		if (*p == '@')
			at = p;
	if (at != NULL && src_pct_decode(at + 1, (size_t)((q != NULL ? q : end) -
	    at - 1), dec, &dlen))
		out = digest_exact(dec, dlen, nomem);
	/* qualifiers digest=alg:hex or checksum=alg:hex,alg:hex */
	for (p = q; out == NULL && !*nomem && p != NULL && p < end; ) {
		const char *amp, *val, *c;

		p++;
		amp = memchr(p, '&', (size_t)(end - p));
		if (amp == NULL)
			amp = end;
		if ((size_t)(amp - p) > 7 && strncmp(p, "digest=", 7) == 0)
			val = p + 7;
		else if ((size_t)(amp - p) > 9 && strncmp(p, "checksum=", 9) == 0)
			val = p + 9;
		else
			val = NULL;
		if (val != NULL && src_pct_decode(val, (size_t)(amp - val), dec,
		    &dlen)) {
			/* a comma-separated list: take the first known */
			for (c = dec; out == NULL && !*nomem && *c != '\0'; ) {
				size_t cl = strcspn(c, ",");

				out = digest_exact(c, cl, nomem);
				c += cl;
				if (*c == ',')
					c++;
			}
		}
		p = amp < end ? amp : NULL;
	}
	free(dec);
	return out;
}

/* ---- picks and rules ---- */

static bool
looks_like_commit(const char *s, size_t n)
{
	size_t i;

	if (n < 7 || n > 64 || !ledger_all_hex(s, n))
		return false;
	for (i = 0; i < n; i++)
		if (s[i] != '0')
			return true;
	return false;	/* the all-zero "no commit" sentinel */
}

static bool
is_zero_sha(const char *s)
{
	size_t n;

	if (s == NULL)
		return false;
	n = strlen(s);
	return n >= 7 && strspn(s, "0") == n;
}

/* "scheme://host[:port]/a/b.git?x" -> "a/b"; NULL when no path. */
static bool
url_path(const char *s, const char **ret, size_t *ret_len)
{
	const char *p = strstr(s, "://"), *e;

	if (p == NULL)
		return false;
	p += 3;
	p += strcspn(p, "/");
	while (*p == '/')
		p++;
	e = p + strcspn(p, "?#@");
	while (e > p && e[-1] == '/')
		e--;
	if (e - p > 4 && strncmp(e - 4, ".git", 4) == 0)
		e -= 4;
	while (e > p && e[-1] == '/')
		e--;
	if (e == p)
		return false;
	*ret = p;
	*ret_len = (size_t)(e - p);
	return true;
}

/* The '/'-separated segment after the segment equal to name. */
static bool
after_segment(const char *s, const char *name, const char **ret,
    size_t *ret_len)
{
	size_t nl = strlen(name), sl;
	const char *p;

	for (p = s; (p = strchr(p, '/')) != NULL; ) {
		p++;
		if (strncmp(p, name, nl) == 0 && p[nl] == '/') {
			p += nl + 1;
			sl = strcspn(p, "/?#");
			if (sl == 0)
				return false;
			*ret = p;
			*ret_len = sl;
			return true;
		}
	}
	return false;
}

/* The commit of a GitOps revision (see PICK_REVISION), or NULL; with
 * digest, the OCI digest instead ("latest@sha256:<hex>"). */
static const char *
revision_part(json_t *v, bool digest)
{
	const char *key, *s, *p;
	size_t n;
	json_t *m;

	if (json_is_object(v)) {
		json_object_foreach(v, key, m) {
			n = strlen(key);
			if (strcmp(key, "revision") == 0 || (n > 9 &&
			    strcmp(key + n - 9, "/revision") == 0))
				return revision_part(m, digest);
		}
		return NULL;
	}
	if ((s = json_string_value(v)) == NULL)
		return NULL;
	if ((p = strrchr(s, '@')) != NULL)
		s = p + 1;
	else if ((p = strrchr(s, '/')) != NULL)
		s = p + 1;
	/* an OCI artifact's revision names its digest, not a commit */
	if (strncmp(s, "sha256:", 7) == 0)
		return digest ? s : NULL;
	if (digest)
		return NULL;
	if (strncmp(s, "sha1:", 5) == 0)
		s += 5;
	return s;
}

/*
 * Evaluate one alternative for field f: stores the normalized value in
 * *ret (malloc'd), or NULL when this alternative yields nothing usable.
 * Only LEDGER_ENOMEM is an error.
 */
static enum ledger_status
pick_eval(const struct pick *pk, enum ledger_subject f, const struct doc *d,
    char **ret, struct ledger_error *err)
{
	char buf[LEDGER_JCS_NUMBER_MAX], *tmp = NULL;
	const char *s = NULL;
	size_t len = 0;
	enum ledger_status rc;
	bool nomem = false;

	*ret = NULL;
	switch (pk->op) {
	case PICK_CONST:
		s = pk->value;
		break;
	case PICK_ACTION:
		s = d->action;
		break;
	case PICK_IF_TRUE:
		if (json_is_true(src_path_get(d, pk->path)))
			s = pk->value;
		break;
	case PICK_IF_ZERO:
		if (is_zero_sha(src_path_string(d, pk->path)))
			s = pk->value;
		break;
	case PICK_PATH:
	case PICK_URL:
		s = scalar(src_path_get(d, pk->path), buf);
		if (s != NULL && pk->op == PICK_URL &&
		    strncasecmp(s, "https://", 8) != 0 &&
		    strncasecmp(s, "http://", 7) != 0)
			s = NULL;
		break;
	case PICK_DIGEST:
	case PICK_ARTIFACT:
		if ((s = scalar(src_path_get(d, pk->path), buf)) == NULL)
			break;
		tmp = src_digest(s, strlen(s), &nomem);
		if (nomem)
			return ledger_errorf(err, LEDGER_ENOMEM,
			    "out of memory");
		if (tmp != NULL)
			s = tmp;
		else if (pk->op == PICK_DIGEST)
			s = NULL;
		break;
	case PICK_URL_PATH:
		if ((s = scalar(src_path_get(d, pk->path), buf)) == NULL ||
		    !url_path(s, &s, &len))
			s = NULL;
		break;
	case PICK_LAST_SEGMENT:
		if ((s = scalar(src_path_get(d, pk->path), buf)) != NULL) {
			const char *slash = strrchr(s, '/');

			if (slash != NULL)
				s = slash + 1;
		}
		break;
	case PICK_AFTER_SEGMENT:
		if ((s = scalar(src_path_get(d, pk->path), buf)) == NULL ||
		    !after_segment(s, pk->value, &s, &len))
			s = NULL;
		break;
	case PICK_REVISION:
		s = revision_part(src_path_get(d, pk->path), false);
		break;
	case PICK_REVISION_DIGEST:
		if ((s = revision_part(src_path_get(d, pk->path), true)) ==
		    NULL)
			break;
		tmp = src_digest(s, strlen(s), &nomem);
		if (nomem)
			return ledger_errorf(err, LEDGER_ENOMEM,
			    "out of memory");
		s = tmp;
		break;
	default:
		break;
	}
	if (s == NULL)
		goto out;
	if (len == 0)
		len = strlen(s);
	if (pk->commit && !looks_like_commit(s, len))
		goto out;
	rc = ledger_subject_normalize(f, s, len, ret, err);
	if (rc == LEDGER_ENOMEM) {
		free(tmp);
		return rc;
	}
	if (rc != LEDGER_OK)
		*ret = NULL;	/* not a usable value: try the next one */
out:
	free(tmp);
	return LEDGER_OK;
}

enum ledger_status
src_fill(struct ledger_event *ev, const struct fieldset *fs,
    const struct doc *d, struct ledger_error *err)
{
	enum ledger_status rc;
	char *val;
	int f, i;

	if (fs == NULL)
		return LEDGER_OK;
	for (f = 0; f < LEDGER_SUBJ_COUNT; f++) {
		if (ev->e.subject[f] != NULL)
			continue;
		for (i = 0; i < PICKS_MAX && fs->f[f][i].op != PICK_NONE;
		    i++) {
			rc = pick_eval(&fs->f[f][i], (enum ledger_subject)f, d,
			    &val, err);
			if (rc != LEDGER_OK)
				return rc;
			if (val != NULL) {
				ev->e.subject[f] = val;
				break;
			}
		}
	}
	return LEDGER_OK;
}

static bool
cond_holds(const struct cond *c, const struct doc *d)
{
	const char *s;
	size_t n, i;

	if (c->op == COND_NONE)
		return true;
	if ((s = src_path_string(d, c->path)) == NULL)
		return false;
	if (c->op == COND_EQUALS)
		return strcasecmp(s, c->value) == 0;
	n = strlen(c->value);
	for (i = 0; s[i] != '\0'; i++)
		if (strncasecmp(s + i, c->value, n) == 0)
			return true;
	return false;
}

const struct rule *
src_match(const struct rule *table, const char *event, const struct doc *d)
{
	const struct rule *r;

	for (r = table; r->event != NULL; r++) {
		if (event == NULL || strcmp(r->event, event) != 0)
			continue;
		if (r->action != NULL && (d->action == NULL ||
		    strcmp(r->action, d->action) != 0))
			continue;
		if (!cond_holds(&r->when, d))
			continue;
		return r;
	}
	return r;	/* the catch-all */
}

const char *
src_action(const struct action_path *paths, const char *event, json_t *body)
{
	const struct action_path *a;
	struct doc d = { body, NULL, NULL };

	for (a = paths; a->path != NULL; a++)
		if (a->event == NULL || (event != NULL &&
		    strcmp(a->event, event) == 0))
			return src_path_string(&d, a->path);
	return NULL;
}
