/*
 * pin.c - the last verified checkpoint of each log (see pin.h)
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "ledger/entry.h"
#include "ledger/pin.h"
#include "ledger-int.h"

void
ledger_pin_file_name(const char *origin, char out[LEDGER_PIN_NAME_SIZE])
{
	static const char hex[] = "0123456789ABCDEF";
	uint8_t sum[crypto_hash_sha256_BYTES];
	char enc[3 * (LEDGER_NOTE_NAME_MAX + 1) + 1];
	const unsigned char *p;
	size_t o = 0, cut, i;
	bool too_long = false;

	for (p = (const unsigned char *)origin; *p != '\0'; p++) {
		bool keep = (*p >= 'a' && *p <= 'z') || (*p >= 'A' &&
		    *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' ||
		    *p == '_' || (*p == '.' && p != (const unsigned char *)
		    origin);

		if (o + 4 > sizeof(enc)) {
			too_long = true;
			break;
		}
		if (keep)
			enc[o++] = (char)*p;
		else {
			enc[o++] = '%';
			enc[o++] = hex[*p >> 4];
			enc[o++] = hex[*p & 15];
		}
	}
	enc[o] = '\0';
	if (!too_long && o < LEDGER_PIN_NAME_SIZE) {
		memcpy(out, enc, o + 1);
		return;
	}
	/* Keep a readable prefix, cut between escapes, and make the name
	 * unique with the hash of the whole origin; '~' never appears in
	 * an encoded origin, so no short name can collide with it. */
	cut = LEDGER_PIN_NAME_SIZE - 1 - 1 - 32;
	for (i = cut > 2 ? cut - 2 : 0; i < cut; i++)
		if (enc[i] == '%')
			cut = i;
	memcpy(out, enc, cut);
	out[cut] = '~';
	crypto_hash_sha256(sum, (const unsigned char *)origin, strlen(origin));
	for (i = 0; i < 16; i++) {
		out[cut + 1 + 2 * i] = "0123456789abcdef"[sum[i] >> 4];
		out[cut + 2 + 2 * i] = "0123456789abcdef"[sum[i] & 15];
	}
	out[cut + 33] = '\0';
}

const char *
ledger_pin_result_name(enum ledger_pin_result r)
{
	switch (r) {
	case LEDGER_PIN_FIRST_USE:
		return "first_use";
	case LEDGER_PIN_SAME:
		return "unchanged";
	case LEDGER_PIN_AHEAD:
		return "ahead";
	case LEDGER_PIN_BEHIND:
		return "behind";
	}
	return "?";
}

/* $XDG_STATE_HOME/ledgerctl, or ~/.local/state/ledgerctl. */
static enum ledger_status
state_dir(char *out, size_t n, struct ledger_error *err)
{
	const char *xdg = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	struct passwd *pw;
	int k;

	/* The XDG spec: a relative path is invalid and must be ignored. */
	if (xdg != NULL && xdg[0] == '/')
		k = snprintf(out, n, "%s/ledgerctl", xdg);
	else {
		if ((home == NULL || home[0] != '/') &&
		    (pw = getpwuid(getuid())) != NULL)
			home = pw->pw_dir;
		if (home == NULL || home[0] != '/')
			return ledger_errorf(err, LEDGER_EIO, "no state "
			    "directory: set XDG_STATE_HOME or HOME, or give "
			    "--pin FILE or --no-pin");
		k = snprintf(out, n, "%s/.local/state/ledgerctl", home);
	}
	if (k < 0 || (size_t)k >= n)
		return ledger_errorf(err, LEDGER_EIO, "state directory path "
		    "is too long");
	return LEDGER_OK;
}

/* mkdir -p with mode 0700 for what it creates. */
static enum ledger_status
make_dirs(const char *path, struct ledger_error *err)
{
	char buf[PATH_MAX];
	size_t i, n = strlen(path);

	if (n >= sizeof(buf))
		return ledger_errorf(err, LEDGER_EIO, "path too long");
	memcpy(buf, path, n + 1);
	for (i = 1; i <= n; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, 0700) != 0 && errno != EEXIST)
			return ledger_errorf_errno(err, LEDGER_EIO, errno,
			    "create '%s'", buf);
		buf[i] = path[i];
	}
	return LEDGER_OK;
}

/* Read the pin file into a malloc'd NUL-terminated buffer.  *ret is NULL
 * when there is no pin. */
static enum ledger_status
read_pin(const char *path, char **ret, size_t *ret_len,
    struct ledger_error *err)
{
	struct stat sb;
	char *buf = NULL;
	size_t len = 0;
	ssize_t k;
	int fd;

	*ret = NULL;
	*ret_len = 0;
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		if (errno == ENOENT)
			return LEDGER_OK;
		return ledger_errorf_errno(err, LEDGER_EIO, errno,
		    "open pin '%s'", path);
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) ||
	    sb.st_size > LEDGER_NOTE_MAX_BYTES) {
		close(fd);
		return ledger_errorf(err, LEDGER_EIO, "pin '%s' is not a "
		    "regular file of at most %d bytes", path,
		    LEDGER_NOTE_MAX_BYTES);
	}
	if ((buf = malloc((size_t)sb.st_size + 1)) == NULL) {
		close(fd);
		return ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	}
	while (len < (size_t)sb.st_size) {
		k = read(fd, buf + len, (size_t)sb.st_size - len);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			int e = k < 0 ? errno : EIO;

			free(buf);
			close(fd);
			return ledger_errorf_errno(err, LEDGER_EIO, e,
			    "read pin '%s'", path);
		}
		len += (size_t)k;
	}
	close(fd);
	buf[len] = '\0';
	*ret = buf;
	*ret_len = len;
	return LEDGER_OK;
}

/* The origin line of a note, unverified: to tell a pin of another log
 * from one signed by another key. */
static bool
note_origin_is(const char *note, size_t len, const char *origin)
{
	const char *nl = memchr(note, '\n', len);
	size_t n = strlen(origin);

	return nl != NULL && (size_t)(nl - note) == n &&
	    memcmp(note, origin, n) == 0;
}

enum ledger_status
ledger_pin_open(struct ledger_pin *p, const char *file, const char *origin,
    const struct ledger_vkey *keys, size_t nkeys, struct ledger_error *err)
{
	struct ledger_error e;
	enum ledger_status st;
	char name[LEDGER_PIN_NAME_SIZE], *note = NULL, *slash;
	size_t len;
	int k;

	memset(p, 0, sizeof(*p));
	p->dirfd = -1;
	if (file != NULL) {
		if (strlen(file) >= sizeof(p->path) || file[0] == '\0')
			return ledger_errorf(err, LEDGER_EIO, "bad pin file "
			    "name");
		snprintf(p->path, sizeof(p->path), "%s", file);
		snprintf(p->dir, sizeof(p->dir), "%s", file);
		if ((slash = strrchr(p->dir, '/')) == NULL)
			snprintf(p->dir, sizeof(p->dir), ".");
		else if (slash == p->dir)
			p->dir[1] = '\0';
		else
			*slash = '\0';
	} else {
		if ((st = state_dir(p->dir, sizeof(p->dir), err)) ||
		    (st = make_dirs(p->dir, err)))
			return st;
		ledger_pin_file_name(origin, name);
		k = snprintf(p->path, sizeof(p->path), "%s/%s", p->dir, name);
		if (k < 0 || (size_t)k >= sizeof(p->path))
			return ledger_errorf(err, LEDGER_EIO, "pin path is too "
			    "long");
	}
	if ((p->dirfd = open(p->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) <
	    0) {
		st = ledger_errorf_errno(err, LEDGER_EIO, errno, "open pin "
		    "directory '%s'", p->dir);
		goto fail;
	}
	while ((k = flock(p->dirfd, LOCK_EX)) != 0 && errno == EINTR)
		;
	if (k != 0) {
		st = ledger_errorf_errno(err, LEDGER_EIO, errno, "lock pin "
		    "directory '%s'", p->dir);
		goto fail;
	}
	if ((st = read_pin(p->path, &note, &len, err)) != LEDGER_OK)
		goto fail;
	if (note == NULL)
		return LEDGER_OK;
	if (!note_origin_is(note, len, origin)) {
		st = ledger_errorf(err, LEDGER_EEXIST, "pin '%s' holds a "
		    "checkpoint of another log than '%s'", p->path, origin);
		goto fail;
	}
	if ((st = ledger_checkpoint_verify(note, len, keys, nkeys, &p->cp,
	    &e)) != LEDGER_OK) {
		if (st == LEDGER_ECRYPTO)
			st = ledger_errorf(err, LEDGER_ECRYPTO, "the pinned "
			    "checkpoint does not verify with this log's key: "
			    "another log, or a new key, under the same origin "
			    "'%.100s'", origin);
		else if (st == LEDGER_EINVAL)
			st = ledger_errorf(err, LEDGER_EIO, "pin '%s' is not "
			    "a signed checkpoint: %s", p->path, e.msg);
		else
			st = ledger_errorf(err, st, "%s", e.msg);
		goto fail;
	}
	free(note);
	p->have = true;
	return LEDGER_OK;
fail:
	free(note);
	ledger_pin_close(p);
	return st;
}

void
ledger_pin_close(struct ledger_pin *p)
{
	if (p == NULL)
		return;
	if (p->dirfd >= 0)
		close(p->dirfd);	/* releases the lock */
	p->dirfd = -1;
	ledger_signed_checkpoint_release(&p->cp);
	p->have = false;
}

/* The proof that a is a prefix of b (one of them the pin, the other the
 * log's checkpoint of size csize), from src, checked.  A source that
 * refuses to prove what it signed contradicts the pin too. */
static enum ledger_status
prove(ledger_pin_prover fn, void *ctx,
    const struct ledger_signed_checkpoint *a,
    const struct ledger_signed_checkpoint *b, uint64_t csize, const char *pinned,
    uint8_t proof[LEDGER_MERKLE_MAX_PROOF][LEDGER_HASH_BYTES],
    size_t *count, struct ledger_error *err)
{
	struct ledger_error e;
	enum ledger_status st;

	st = fn(ctx, a->size, b->size, proof, count, &e);
	if (st == LEDGER_EINVAL || st == LEDGER_ENOTFOUND ||
	    st == LEDGER_ECHAIN)
		return ledger_errorf(err, LEDGER_ECHAIN, "it cannot prove its "
		    "checkpoint of size %" PRIu64 " consistent with %s: %s",
		    csize, pinned, e.msg);
	if (st != LEDGER_OK)
		return ledger_errorf(err, st, "consistency proof from size %"
		    PRIu64 " to %" PRIu64 ": %s", a->size, b->size, e.msg);
	if (ledger_checkpoint_check_consistency(a, b, &proof[0][0], *count, &e) !=
	    LEDGER_OK)
		return ledger_errorf(err, LEDGER_ECHAIN, "it forked: its "
		    "checkpoint of size %" PRIu64 " is not consistent with %s:"
		    " %s", csize, pinned, e.msg);
	return LEDGER_OK;
}

enum ledger_status
ledger_pin_check(struct ledger_pin *p, ledger_pin_prover fn, void *ctx,
    const struct ledger_signed_checkpoint *c, bool newest, enum ledger_pin_result *ret,
    uint8_t ret_proof[LEDGER_MERKLE_MAX_PROOF][LEDGER_HASH_BYTES],
    size_t *ret_count, struct ledger_error *err)
{
	uint8_t proof[LEDGER_MERKLE_MAX_PROOF][LEDGER_HASH_BYTES];
	char b64[LEDGER_B64_HASH_SIZE], pinned[128];
	enum ledger_status st;
	size_t count = 0;

	if (ret_count != NULL)
		*ret_count = 0;
	if (!p->have) {
		*ret = LEDGER_PIN_FIRST_USE;
		return LEDGER_OK;
	}
	ledger_b64_hash(p->cp.root, b64);
	snprintf(pinned, sizeof(pinned), "the pinned checkpoint (size %"
	    PRIu64 ", root_hash %s)", p->cp.size, b64);
	if (c->size == p->cp.size) {
		if (sodium_memcmp(c->root, p->cp.root, LEDGER_HASH_BYTES)) {
			ledger_b64_hash(c->root, b64);
			return ledger_errorf(err, LEDGER_ECHAIN, "it forked: "
			    "its checkpoint of size %" PRIu64 " has root_hash "
			    "%s, unlike %s", c->size, b64, pinned);
		}
		*ret = LEDGER_PIN_SAME;
	} else if (c->size > p->cp.size) {
		if ((st = prove(fn, ctx, &p->cp, c, c->size, pinned, proof,
		    &count, err)))
			return st;
		*ret = LEDGER_PIN_AHEAD;
	} else if (newest) {
		return ledger_errorf(err, LEDGER_ECHAIN, "it shrank: its "
		    "newest checkpoint has size %" PRIu64 ", below %s",
		    c->size, pinned);
	} else {
		if ((st = prove(fn, ctx, c, &p->cp, c->size, pinned, proof,
		    &count, err)))
			return st;
		*ret = LEDGER_PIN_BEHIND;
	}
	if (ret_proof != NULL)
		memcpy(ret_proof, proof, count * LEDGER_HASH_BYTES);
	if (ret_count != NULL)
		*ret_count = count;
	return LEDGER_OK;
}

enum ledger_status
ledger_pin_update(struct ledger_pin *p, const struct ledger_signed_checkpoint *c, bool *ret_moved,
    struct ledger_error *err)
{
	char tmp[PATH_MAX + 16], *note = NULL;
	const char *base = strrchr(p->path, '/');
	enum ledger_status st;
	size_t off = 0;
	ssize_t k;
	int fd = -1;

	if (ret_moved != NULL)
		*ret_moved = false;
	/* Never backwards, never sideways. */
	if (p->have && c->size <= p->cp.size)
		return LEDGER_OK;
	base = base != NULL ? base + 1 : p->path;
	if (snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", p->dir, base) >=
	    (int)sizeof(tmp))
		return ledger_errorf(err, LEDGER_EIO, "pin path is too long");
	if ((note = malloc(c->note_len + 1)) == NULL)
		return ledger_errorf(err, LEDGER_ENOMEM, "out of memory");
	memcpy(note, c->note, c->note_len + 1);
	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0) {
		st = ledger_errorf_errno(err, LEDGER_EIO, errno, "create '%s'",
		    tmp);
		free(note);
		return st;
	}
	while (off < c->note_len) {
		k = write(fd, c->note + off, c->note_len - off);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			st = ledger_errorf_errno(err, LEDGER_EIO,
			    k < 0 ? errno : EIO, "write '%s'", tmp);
			goto fail;
		}
		off += (size_t)k;
	}
	if (fchmod(fd, 0644) != 0 || fsync(fd) != 0) {
		st = ledger_errorf_errno(err, LEDGER_EIO, errno, "write '%s'",
		    tmp);
		goto fail;
	}
	if (close(fd) != 0) {
		fd = -1;
		st = ledger_errorf_errno(err, LEDGER_EIO, errno, "write '%s'",
		    tmp);
		goto fail;
	}
	fd = -1;
	if (rename(tmp, p->path) != 0) {
		st = ledger_errorf_errno(err, LEDGER_EIO, errno, "rename '%s' "
		    "to '%s'", tmp, p->path);
		goto fail;
	}
	if (p->dirfd >= 0 && fsync(p->dirfd) != 0) {
		free(note);
		return ledger_errorf_errno(err, LEDGER_EIO, errno, "sync "
		    "'%s'", p->dir);
	}
	ledger_signed_checkpoint_release(&p->cp);
	p->cp = *c;
	p->cp.note = note;
	p->have = true;
	if (ret_moved != NULL)
		*ret_moved = true;
	return LEDGER_OK;
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	free(note);
	return st;
}
