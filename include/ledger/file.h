/*
 * ledger/file.h - reading the files a user names, with limits
 */
#ifndef LEDGER_FILE_H
#define LEDGER_FILE_H

#include <stddef.h>

#include "ledger/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Read a whole file (at most max bytes, else LEDGER_EINVAL) opened with
 * O_NOFOLLOW | O_CLOEXEC.  *ret is malloc'd and NUL-terminated.
 * Errors: LEDGER_ENOTFOUND (no such file; err->sys_errno is ENOENT),
 * LEDGER_EINVAL (too large), LEDGER_EIO, LEDGER_ENOMEM. */
enum ledger_status ledger_read_file(const char *path, size_t max,
    char **ret, size_t *ret_len, struct ledger_error *err) LEDGER_WUR;

/* Read from a file descriptor until EOF, at most max bytes (else
 * LEDGER_EINVAL).  Errors: as ledger_read_file. */
enum ledger_status ledger_read_fd(int fd, size_t max, char **ret,
    size_t *ret_len, struct ledger_error *err) LEDGER_WUR;

#ifdef __cplusplus
}
#endif
#endif /* LEDGER_FILE_H */
