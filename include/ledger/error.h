/*
 * ledger/error.h - status codes and the error record every fallible call fills
 *
 * A function that can fail returns enum ledger_status (LEDGER_OK == 0) and
 * takes a trailing struct ledger_error *err, which may be NULL.  It fills
 * *err on failure only; on success *err is left untouched.
 *
 * Messages are lower case, without a full stop, say what failed first and
 * quote names in single quotes: "open 'ledger.key': permission denied".
 * Library code never prints or logs: programs turn the record into output.
 */
#ifndef LEDGER_ERROR_H
#define LEDGER_ERROR_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define LEDGER_WUR __attribute__((warn_unused_result))
#define LEDGER_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define LEDGER_WUR
#define LEDGER_PRINTF(f, a)
#endif

/* Few primary codes, chosen by what the caller does next. */
enum ledger_status {
	LEDGER_OK = 0,
	LEDGER_EINVAL,    /* bad argument or bad input (client's fault) */
	LEDGER_ENOMEM,    /* allocation failed */
	LEDGER_EIO,       /* file system or I/O failure (disk full, EIO) */
	LEDGER_EDB,       /* the database failed or is busy past the timeout */
	LEDGER_ECRYPTO,   /* a signature, hash or key did not check */
	LEDGER_ECHAIN,    /* the log contradicts itself or a checkpoint */
	LEDGER_ENOTFOUND, /* no such entry, key, file or source */
	LEDGER_EEXIST,    /* refusing to overwrite something that exists */
	LEDGER_EPERM,     /* a file has unsafe permissions, or access denied */
	LEDGER_ECANCELED  /* stopped by the caller (a progress callback) */
};

/* Filled on failure.  msg is NUL-terminated; sys_errno is the errno that
 * caused the failure, or 0. */
struct ledger_error {
	enum ledger_status code;
	int sys_errno;
	char msg[256];
	unsigned flags;		/* LEDGER_ERRF_*; 0 unless said */
};

/* flags: the input was not well-formed JSON (rather than well-formed with
 * bad values): set by the JSON parser, for callers that count the two
 * apart without reading the message. */
#define LEDGER_ERRF_SYNTAX 0x1

/*
 * Fill *err (if not NULL) with code and a printf-style message, keep errno in
 * sys_errno, and return code, so that callers can write
 *	return ledger_errorf(err, LEDGER_EINVAL, "bad kind '%s'", k);
 */
enum ledger_status ledger_errorf(struct ledger_error *err,
    enum ledger_status code, const char *fmt, ...) LEDGER_PRINTF(3, 4);

/* Same, appending ": strerror(errnum)" and storing errnum. */
enum ledger_status ledger_errorf_errno(struct ledger_error *err,
    enum ledger_status code, int errnum, const char *fmt, ...)
    LEDGER_PRINTF(4, 5);

/* A static string naming code ("invalid input", "database error"...). */
const char *ledger_status_str(enum ledger_status code);

#ifdef __cplusplus
}
#endif
#endif /* LEDGER_ERROR_H */
