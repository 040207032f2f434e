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
