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

/* The newest note of an export file: the text after the last blank line
 * (each note is appended with one), or NULL if the file is missing. */
static char *
newest_in_file(const char *path, size_t *len)
{
	char *text = NULL, *p, *start;
	size_t n = 0;
	FILE *f = fopen(path, "re");

	if (f == NULL)
		return NULL;
	if (getdelim(&text, &n, '\0', f) < 0) {
		free(text);
		fclose(f);
		return NULL;
	}
	fclose(f);
	n = strlen(text);
	while (n > 0 && text[n - 1] == '\n' && n > 1 && text[n - 2] == '\n')
		text[--n] = '\0';
	start = text;
	for (p = text; (p = strstr(p, "\n\n")) != NULL && p[2] != '\0'; p++)
		start = p + 2;
	*len = strlen(start);
	memmove(text, start, *len + 1);
	return text;
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
	const char *where[2] = { c->export_file, c->export_dir };
	char *note, name[300];
	size_t len = 0;
	int i;

	for (i = 0; i < 2; i++) {
		if (where[i] == NULL)
			continue;
		note = i == 0 ? newest_in_file(where[i], &len) :
		    newest_in_dir(where[i], &len);
		if (note == NULL)
			continue;
		snprintf(name, sizeof(name), "checkpoint_export %s '%s'",
		    i == 0 ? "file" : "dir", where[i]);
		if (ledger_store_check_extends(writer, note, len, name, &err) !=
		    LEDGER_OK) {
			snprintf(why, why_len, "%s", err.msg);
			free(note);
			return err.code == LEDGER_ECHAIN ? -1 : 0;
		}
		free(note);
	}
	return 0;
}
