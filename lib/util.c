/* util.c - hex, time, UTF-8 and file helpers */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <libgen.h>

#include <sodium.h>

#include "ledger/entry.h"
#include "ledger-int.h"

void
ledger_hex(const uint8_t *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

int
ledger_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

enum ledger_status
ledger_unhex(const char *s, uint8_t *out, size_t n, struct ledger_error *err)
{
	size_t i;
	int hi, lo;

	if (s == NULL || strlen(s) != 2 * n)
		return ledger_errorf(err, LEDGER_EINVAL,
		    "expected %zu hex digits", 2 * n);
	for (i = 0; i < n; i++) {
		hi = ledger_hexval((unsigned char)s[2 * i]);
		lo = ledger_hexval((unsigned char)s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return ledger_errorf(err, LEDGER_EINVAL,
			    "invalid hex digit in '%.16s'", s);
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return LEDGER_OK;
}

void
ledger_time_format(int64_t ms, char out[LEDGER_TIME_MAX])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, LEDGER_TIME_MAX, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + 19, LEDGER_TIME_MAX - 19, ".%03dZ", (int)(ms % 1000));
}

static int
digits(const char *s, int n)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

enum ledger_status
ledger_time_parse(const char *s, int64_t *ret_ms, struct ledger_error *err)
{
	struct tm tm;
	int y, mo, d, h, mi, se, ms;
	time_t t;
	char check[LEDGER_TIME_MAX];

	if (s == NULL || strlen(s) != 24 || s[4] != '-' || s[7] != '-' ||
	    s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[19] != '.' ||
	    s[23] != 'Z')
		goto bad;
	y = digits(s, 4);
	mo = digits(s + 5, 2);
	d = digits(s + 8, 2);
	h = digits(s + 11, 2);
	mi = digits(s + 14, 2);
	se = digits(s + 17, 2);
	ms = digits(s + 20, 3);
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 ||
	    h > 23 || mi < 0 || mi > 59 || se < 0 || se > 59 || ms < 0)
		goto bad;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	t = timegm(&tm);
	if (t == (time_t)-1)
		goto bad;
	*ret_ms = (int64_t)t * 1000 + ms;
	/* Reject dates that timegm normalized (Feb 30). */
	ledger_time_format(*ret_ms, check);
	if (strcmp(check, s) != 0)
		goto bad;
	return LEDGER_OK;
bad:
	return ledger_errorf(err, LEDGER_EINVAL,
	    "bad time '%.40s': want YYYY-MM-DDTHH:MM:SS.mmmZ", s ? s : "");
}

static int64_t (*clock_fn)(void);

void
ledger_set_clock(int64_t (*now_ms)(void))
{
	clock_fn = now_ms;
}

int64_t
ledger_now_ms(void)
{
	struct timespec ts;

	if (clock_fn != NULL)
		return clock_fn();
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

size_t
ledger_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	uint32_t c;
	size_t len, i;

	if (n == 0)
		return 0;
	c = s[0];
	if (c < 0x80) {
		if (cp != NULL)
			*cp = c;
		return 1;
	} else if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		c &= 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		c &= 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		c &= 0x07;
	} else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && c < 0x800) || (len == 4 && c < 0x10000) ||
	    c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	if (cp != NULL)
		*cp = c;
	return len;
}

bool
ledger_utf8_valid(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, k;

	while (i < n) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if ((k = ledger_utf8_decode(s + i, n - i, NULL)) == 0)
			return false;
		i += k;
	}
	return true;
}

void
ledger_b64_hash(const uint8_t h[LEDGER_HASH_BYTES],
    char out[LEDGER_B64_HASH_SIZE])
{
	sodium_bin2base64(out, LEDGER_B64_HASH_SIZE, h, LEDGER_HASH_BYTES,
	    sodium_base64_VARIANT_ORIGINAL);
}

long
ledger_b64_decode(const char *s, size_t len, uint8_t *out, size_t max,
    bool strict)
{
	static const int variants[] = {
		sodium_base64_VARIANT_ORIGINAL,
		sodium_base64_VARIANT_ORIGINAL_NO_PADDING,
		sodium_base64_VARIANT_URLSAFE,
		sodium_base64_VARIANT_URLSAFE_NO_PADDING,
	};
	size_t i, n;

	if (len == 0)
		return -1;
	/* libsodium (1.0.18) reads a byte >= 0x80 as some base64 digit, so
	 * one value would have many spellings (found by fuzz-tlogproof): only
	 * the alphabets' characters reach it. */
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '+' || c == '/' ||
		    c == '=' || (!strict && (c == '-' || c == '_'))))
			return -1;
	}
	for (i = 0; i < (strict ? 1 : sizeof(variants) / sizeof(*variants));
	    i++)
		if (sodium_base642bin(out, max, s, len, NULL, &n, NULL,
		    variants[i]) == 0)
			return (long)n;
	return -1;
}

bool
ledger_all_hex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (ledger_hexval((unsigned char)s[i]) < 0)
			return false;
	return n > 0;
}

bool
ledger_has_control(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return true;
	return false;
}

enum ledger_status
ledger_read_fd(int fd, size_t max, char **ret, size_t *ret_len,
    struct ledger_error *err)
{
	char *buf = NULL, *p;
	size_t len = 0, cap = 0;
	ssize_t n;

	for (;;) {
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 8192;
			if (cap > max + 4096 + 1)
				cap = max + 4096 + 1;
			if ((p = realloc(buf, cap)) == NULL) {
				free(buf);
				return ledger_errorf(err, LEDGER_ENOMEM,
				    "out of memory");
			}
			buf = p;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			free(buf);
			return ledger_errorf_errno(err, LEDGER_EIO, errno, "read");
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > max) {
			free(buf);
			return ledger_errorf(err, LEDGER_EINVAL,
			    "input larger than the limit of %zu bytes", max);
		}
	}
	if (buf == NULL && (buf = malloc(1)) == NULL)
		return ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	buf[len] = '\0';
	*ret = buf;
	*ret_len = len;
	return LEDGER_OK;
}

enum ledger_status
ledger_read_file(const char *path, size_t max, char **ret, size_t *ret_len,
    struct ledger_error *err)
{
	enum ledger_status rc;
	int fd;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return ledger_errorf_errno(err,
		    errno == ENOENT ? LEDGER_ENOTFOUND : LEDGER_EIO, errno,
		    "open '%s'", path);
	rc = ledger_read_fd(fd, max, ret, ret_len, err);
	if (rc != LEDGER_OK && err != NULL && rc == LEDGER_EINVAL) {
		char msg[sizeof(err->msg)];
		int n;

		n = snprintf(msg, sizeof(msg), "'%.120s': ", path);
		if (n > 0 && (size_t)n < sizeof(msg)) {
			memcpy(msg + n, err->msg, sizeof(msg) - (size_t)n - 1);
			msg[sizeof(msg) - 1] = '\0';
			memcpy(err->msg, msg, sizeof(msg));
		}
	}
	close(fd);
	return rc;
}

/* Give fd mode, write all of buf, fsync and close it; -1 with errno set
 * (fd closed) on failure. */
static int
fill_and_close(int fd, int mode, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;
	int e;

	if (fchmod(fd, (mode_t)mode) != 0)
		goto fail;
	while (len > 0) {
		if ((n = write(fd, p, len)) < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		p += n;
		len -= (size_t)n;
	}
	if (fsync(fd) != 0)
		goto fail;
	return close(fd);
fail:
	e = errno;
	close(fd);
	errno = e;
	return -1;
}

/* fsync the directory that holds path (best effort). */
static void
sync_parent(const char *path)
{
	char *dir = strdup(path);
	int dfd;

	if (dir == NULL)
		return;
	if ((dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >=
	    0) {
		(void)fsync(dfd);
		close(dfd);
	}
	free(dir);
}

enum ledger_status
ledger_write_new_file(const char *path, int mode, const void *buf, size_t len,
    struct ledger_error *err)
{
	int fd, e;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    mode);
	if (fd < 0)
		return ledger_errorf_errno(err,
		    errno == EEXIST ? LEDGER_EEXIST : LEDGER_EIO, errno,
		    "create '%s'", path);
	if (fill_and_close(fd, mode, buf, len) != 0) {
		e = errno;
		unlink(path);
		return ledger_errorf_errno(err, LEDGER_EIO, e, "write '%s'",
		    path);
	}
	sync_parent(path);
	return LEDGER_OK;
}

enum ledger_status
ledger_strdup(const char *s, char **ret, struct ledger_error *err)
{
	if (s == NULL) {
		*ret = NULL;
		return LEDGER_OK;
	}
	if ((*ret = strdup(s)) == NULL)
		return ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	return LEDGER_OK;
}

/* Parse n digits at *p, advancing it; -1 if they are not all digits. */
static int
take(const char **p, int n)
{
	int v = digits(*p, n);

	if (v >= 0)
		*p += n;
	return v;
}

enum ledger_status
ledger_time_parse_any(const char *s, int64_t *ret_ms, struct ledger_error *err)
{
	const char *p = s;
	struct tm tm;
	int y, mo, d, h = 0, mi = 0, se = 0, ms = 0, off = 0, oh, om, k;
	size_t n;
	time_t t;

	if (s == NULL)
		goto bad;
	n = strlen(s);
	if (n > 0 && n <= 14 && strspn(s, "0123456789") == n) {
		long long v = strtoll(s, NULL, 10);

		*ret_ms = n <= 11 ? (int64_t)v * 1000 : (int64_t)v;
		return LEDGER_OK;
	}
	if ((y = take(&p, 4)) < 0 || *p++ != '-' || (mo = take(&p, 2)) < 0 ||
	    *p++ != '-' || (d = take(&p, 2)) < 0)
		goto bad;
	if (*p == '\0')
		goto build;
	if (*p != 'T' && *p != 't' && *p != ' ')
		goto bad;
	p++;
	if ((h = take(&p, 2)) < 0 || *p++ != ':' || (mi = take(&p, 2)) < 0)
		goto bad;
	if (*p == ':') {
		p++;
		if ((se = take(&p, 2)) < 0)
			goto bad;
		if (*p == '.' || *p == ',') {
			p++;
			for (k = 0; *p >= '0' && *p <= '9'; p++, k++)
				if (k < 3)
					ms = ms * 10 + (*p - '0');
			if (k == 0)
				goto bad;
			for (; k < 3; k++)
				ms *= 10;
		}
	}
	if (*p == 'Z' || *p == 'z')
		p++;
	else if (strcmp(p, " UTC") == 0 || strcmp(p, " Z") == 0)
		p += strlen(p);
	else if (*p == '+' || *p == '-' || (*p == ' ' && (p[1] == '+' ||
	    p[1] == '-'))) {
		int sign;

		if (*p == ' ')
			p++;
		sign = *p++ == '-' ? -1 : 1;
		if ((oh = take(&p, 2)) < 0)
			goto bad;
		if (*p == ':')
			p++;
		if ((om = take(&p, 2)) < 0 || oh > 23 || om > 59)
			goto bad;
		off = sign * (oh * 60 + om);
	} else if (*p != '\0')
		goto bad;
	if (*p != '\0')
		goto bad;
build:
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 ||
	    mi > 59 || se > 60)
		goto bad;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se > 59 ? 59 : se;
	if ((t = timegm(&tm)) == (time_t)-1)
		goto bad;
	*ret_ms = ((int64_t)t - (int64_t)off * 60) * 1000 + ms;
	if (*ret_ms < 0)
		goto bad;
	return LEDGER_OK;
bad:
	return ledger_errorf(err, LEDGER_EINVAL,
	    "bad time '%.40s': want RFC 3339 (2026-11-22T10:00:00Z), a date, "
	    "or epoch seconds", s ? s : "");
}

enum ledger_status
ledger_replace_file(const char *path, int mode, const void *buf, size_t len,
    struct ledger_error *err)
{
	size_t n = strlen(path);
	char *tmp;
	int fd, e;

	/* A unique temporary name: two writers (ledgerd and ledgerctl) may
	 * replace the same file at once. */
	if ((tmp = malloc(n + 8)) == NULL)
		return ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	memcpy(tmp, path, n);
	memcpy(tmp + n, ".XXXXXX", 8);
	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0 ||
	    fill_and_close(fd, mode, buf, len) != 0 || rename(tmp, path) != 0) {
		e = errno;
		if (fd >= 0)
			unlink(tmp);
		free(tmp);
		return ledger_errorf_errno(err, LEDGER_EIO, e, "write '%s'",
		    path);
	}
	free(tmp);
	sync_parent(path);
	return LEDGER_OK;
}
