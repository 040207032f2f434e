/* log.c - one line per event: "<time> <level> <verb> key=value ..." */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "ledgerd.h"

static bool to_stderr = true;
static bool also_stderr;	/* detached, until it serves */
static _Atomic int cur_level = LOG_LVL_INFO;

static const char *const names[] = { "error", "warn", "info", "debug" };

void
log_init(bool foreground, enum log_level level)
{
	to_stderr = foreground;
	also_stderr = !foreground;
	cur_level = level;
	if (!foreground)
		openlog("ledgerd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void
log_detached(void)
{
	also_stderr = false;
}

void
log_set_level(enum log_level level)
{
	cur_level = level;
}

bool
log_enabled(enum log_level level)
{
	return (int)level <= cur_level;
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	char line[2048], t[LEDGER_TIME_MAX];
	va_list ap;

	if (!log_enabled(level))
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (to_stderr || also_stderr) {
		ledger_time_format(ledger_now_ms(), t);
		fprintf(stderr, "%s %s %s\n", t, names[level], line);
	}
	if (!to_stderr)
		syslog(prio[level], "%s %s", names[level], line);
}

const char *
log_safe(const char *s, char *out, size_t n)
{
	size_t i = 0;

	if (s == NULL)
		s = "-";
	for (; *s != '\0' && i + 5 < n; s++) {
		unsigned char c = (unsigned char)*s;

		if (c >= 0x20 && c < 0x7f && c != 0x22 && c != 0x5c)
			out[i++] = (char)c;
		else
			i += (size_t)snprintf(out + i, n - i, "\\x%02x", c);
	}
	out[i] = '\0';
	return out;
}
