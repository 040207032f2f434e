/* error.c - the error record */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ledger/error.h"

static void vfill(struct ledger_error *, enum ledger_status, int,
    const char *, va_list) __attribute__((format(printf, 4, 0)));

static void
vfill(struct ledger_error *err, enum ledger_status code, int errnum,
    const char *fmt, va_list ap)
{
	int n;

	err->code = code;
	err->sys_errno = errnum;
	err->flags = 0;
	n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	if (n < 0)
		err->msg[0] = '\0';
}

enum ledger_status
ledger_errorf(struct ledger_error *err, enum ledger_status code,
    const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	if (err != NULL) {
		va_start(ap, fmt);
		vfill(err, code, 0, fmt, ap);
		va_end(ap);
	}
	errno = saved;
	return code;
}

enum ledger_status
ledger_errorf_errno(struct ledger_error *err, enum ledger_status code,
    int errnum, const char *fmt, ...)
{
	va_list ap;
	size_t len;

	if (err != NULL) {
		va_start(ap, fmt);
		vfill(err, code, errnum, fmt, ap);
		va_end(ap);
		len = strlen(err->msg);
		if (len < sizeof(err->msg))
			snprintf(err->msg + len, sizeof(err->msg) - len, ": %s",
			    strerror(errnum));
	}
	return code;
}

const char *
ledger_status_str(enum ledger_status code)
{
	switch (code) {
	case LEDGER_OK:		return "success";
	case LEDGER_EINVAL:	return "invalid input";
	case LEDGER_ENOMEM:	return "out of memory";
	case LEDGER_EIO:	return "i/o error";
	case LEDGER_EDB:	return "database error";
	case LEDGER_ECRYPTO:	return "cryptographic check failed";
	case LEDGER_ECHAIN:	return "log inconsistent";
	case LEDGER_ENOTFOUND:	return "not found";
	case LEDGER_EEXIST:	return "already exists";
	case LEDGER_EPERM:	return "permission denied";
	case LEDGER_ECANCELED:	return "stopped";
	}
	return "unknown error";
}
