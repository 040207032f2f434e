/*
 * export.c - copy each new checkpoint off the box
 *
 * Truncation and rewriting are only detectable against a checkpoint held
 * outside the database.  "checkpoint_export" names a file (each note is
 * appended, then fsync'd: a mounted share, a log shipper's input) or a
 * directory (one file per size, written atomically: a sync job's source).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <dirent.h>
#include <stdlib.h>

#include "ledger/tree.h"

#include "ledgerd.h"

static bool
write_all(int fd, const char *p, size_t n)
{
	ssize_t k;

	while (n > 0) {
		if ((k = write(fd, p, n)) < 0) {
			if (errno == EINTR)
				continue;
			return false;
		}
		p += k;
		n -= (size_t)k;
	}
	return true;
}

bool
export_checkpoint(const struct config *c, uint64_t size, const char *note,
    size_t len)
{
	char path[4096], tmp[4200];
	int fd;

	if (c->export_file != NULL) {
		fd = open(c->export_file, O_WRONLY | O_APPEND | O_CREAT |
		    O_CLOEXEC | O_NOFOLLOW, 0644);
		if (fd < 0 || !write_all(fd, note, len) ||
		    !write_all(fd, "\n", 1) || fsync(fd) != 0) {
			log_error("checkpoint export failed file=%s size=%llu "
			    "error=\"%s\"", c->export_file,
			    (unsigned long long)size, strerror(errno));
			if (fd >= 0)
				close(fd);
			return false;
		}
		close(fd);
	}
	if (c->export_dir != NULL) {
		snprintf(path, sizeof(path), "%s/%llu", c->export_dir,
		    (unsigned long long)size);
		snprintf(tmp, sizeof(tmp), "%s.tmp", path);
		fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC |
		    O_NOFOLLOW, 0644);
		if (fd < 0 || !write_all(fd, note, len) || fsync(fd) != 0 ||
		    close(fd) != 0 || rename(tmp, path) != 0) {
			log_error("checkpoint export failed dir=%s size=%llu "
			    "error=\"%s\"", c->export_dir,
			    (unsigned long long)size, strerror(errno));
			if (fd >= 0)
				close(fd);
			unlink(tmp);
			return false;
		}
	}
	return true;
}

/*
 * The notes of an export file, newest first.  Each note is appended with
 * a blank line after it, but a note also has a blank line of its own,
 * before its signature lines ("— origin sig"): a note starts after a
 * blank line that is not followed by a signature line.  Returns the
 * number of starts stored in starts[] (at most max), the newest first.
 */
static size_t
note_starts(const char *text, size_t n, size_t *starts, size_t max)
{
	static const char sigline[] = "\xe2\x80\x94 ";	/* "— " */
	size_t i, k = 0, all = 0, found[64];

	if (n > 0)
		found[all++] = 0;
	for (i = 0; i + 2 < n && all < 64; i++)
		if (text[i] == '\n' && text[i + 1] == '\n' &&
		    strncmp(text + i + 2, sigline, sizeof(sigline) - 1) != 0 &&
		    text[i + 2] != '\n')
			found[all++] = i + 2;
	if (all == 64) {
		/* keep the newest: scan again from the end */
		all = 0;
		for (i = n - 1; i > 1 && all < 64; i--)
			if (text[i - 2] == '\n' && text[i - 1] == '\n' &&
			    strncmp(text + i, sigline, sizeof(sigline) - 1) !=
			    0 && text[i] != '\n')
				found[all++] = i;
		for (i = 0; i < all && k < max; i++)
			starts[k++] = found[i];
		return k;
	}
	while (all > 0 && k < max)
		starts[k++] = found[--all];
	return k;
}

/* The whole export file (NULL if missing or unreadable). */
static char *
slurp(const char *path, size_t *len)
{
	char *text = NULL;
	size_t cap = 0;
	FILE *f = fopen(path, "re");

	if (f == NULL)
		return NULL;
	if (getdelim(&text, &cap, '\0', f) < 0) {
		free(text);
		text = NULL;
	}
	fclose(f);
	if (text != NULL)
		*len = strlen(text);
	return text;
}

/* Check the newest well-formed note of an export file: a torn last note
 * (a crash mid-append) is skipped with a warning, never taken for
 * evidence.  0 fine, -1 contradicted (why filled). */
static int
check_file(const char *path, struct ledger_store *writer, const char *name,
    char *why, size_t why_len)
{
	struct ledger_error err;
	size_t len = 0, starts[8], n, i, end;
	char *text = slurp(path, &len);
	int rc = 0;

	if (text == NULL)
		return 0;
	n = note_starts(text, len, starts, 8);
	for (i = 0, end = len; i < n; end = starts[i] > 0 ?
	    starts[i] - 1 : 0, i++) {
		size_t nl = end - starts[i];

		while (nl > 0 && text[starts[i] + nl - 1] == '\n' && nl > 1 &&
		    text[starts[i] + nl - 2] == '\n')
			nl--;
		if (ledger_store_check_extends(writer, text + starts[i], nl,
		    name, &err) == LEDGER_OK)
			break;
		if (err.code == LEDGER_EINVAL) {
			log_warn("%s: skipping a malformed note (a torn write?) "
			    "error=\"%s\"", name, err.msg);
			continue;
		}
		snprintf(why, why_len, "%s", err.msg);
		rc = err.code == LEDGER_ECHAIN ? -1 : 0;
		break;
	}
	free(text);
	return rc;
}

/* The note of the largest size in an export directory, or NULL. */
static char *
newest_in_dir(const char *dir, size_t *len)
{
	unsigned long long best = 0, v;
	char path[4200], *end, *note = NULL;
	struct dirent *de;
	bool found = false;
	DIR *d = opendir(dir);
	FILE *f;

	if (d == NULL)
		return NULL;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		v = strtoull(de->d_name, &end, 10);
		if (*end == '\0' && (!found || v > best)) {
			best = v;
			found = true;
		}
	}
	closedir(d);
	if (!found)
		return NULL;
	snprintf(path, sizeof(path), "%s/%llu", dir, best);
	if ((f = fopen(path, "re")) != NULL) {
		size_t cap = 0;

		if (getdelim(&note, &cap, '\0', f) < 0) {
			free(note);
			note = NULL;
		}
		fclose(f);
	}
	if (note != NULL)
		*len = strlen(note);
	return note;
}

int
export_check(const struct config *c, struct ledger_store *writer,
    char *why, size_t why_len)
{
	struct ledger_error err;
	char *note, name[300];
	size_t len = 0;

	if (c->export_file != NULL) {
		snprintf(name, sizeof(name), "checkpoint_export file '%s'",
		    c->export_file);
		if (check_file(c->export_file, writer, name, why, why_len))
			return -1;
	}
	if (c->export_dir == NULL ||
	    (note = newest_in_dir(c->export_dir, &len)) == NULL)
		return 0;
	snprintf(name, sizeof(name), "checkpoint_export dir '%s'",
	    c->export_dir);
	if (ledger_store_check_extends(writer, note, len, name, &err) !=
	    LEDGER_OK) {
		free(note);
		if (err.code == LEDGER_EINVAL) {
			log_warn("%s: the newest note is malformed error=\"%s\"",
			    name, err.msg);
			return 0;
		}
		snprintf(why, why_len, "%s", err.msg);
		return err.code == LEDGER_ECHAIN ? -1 : 0;
	}
	free(note);
	return 0;
}
