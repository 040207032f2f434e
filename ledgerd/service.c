/*
 * service.c - ledgerd as a service: systemd's notify protocol and
 * watchdog, detaching with a start that reports its failure, a pidfile,
 * and dropping root after binding
 *
 * sd_notify is a datagram of "KEY=VALUE" lines to the AF_UNIX socket named
 * by $NOTIFY_SOCKET ('@' first: the abstract namespace); no library is
 * needed for a few lines (sd_notify(3), "Notes").
 *
 * Detached mode forks once: the parent waits on a pipe until the child
 * says it serves (and exits 0) or closes the pipe without saying so (and
 * exits 1), so `ledgerd -f conf && next-step` and init scripts see a start
 * that failed.  The child keeps stderr until it serves, so the reason of
 * a failed start reaches the terminal that started it.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ledgerd.h"

static int ready_fd = -1;		/* detached: the parent waits on it */
static char *pid_path;
static int64_t watchdog_ms;		/* 0: none */

bool
service_notify(const char *msg)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa;
	socklen_t len;
	ssize_t n;
	int fd;

	if (path == NULL || path[0] == '\0')
		return false;
	if ((path[0] != '/' && path[0] != '@') ||
	    strlen(path) >= sizeof(sa.sun_path))
		return false;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path));
	if (path[0] == '@')
		sa.sun_path[0] = '\0';
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
	    strlen(path) + (path[0] == '/'));
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return false;
	n = sendto(fd, msg, strlen(msg), MSG_NOSIGNAL,
	    (const struct sockaddr *)&sa, len);
	close(fd);
	return n == (ssize_t)strlen(msg);
}

int
service_detach(void)
{
	int fds[2], status;
	char c;
	pid_t pid;
	ssize_t n;

	if (pipe2(fds, O_CLOEXEC) != 0) {
		fprintf(stderr, "ledgerd: pipe: %s\n", strerror(errno));
		return -1;
	}
	if ((pid = fork()) < 0) {
		fprintf(stderr, "ledgerd: fork: %s\n", strerror(errno));
		return -1;
	}
	if (pid > 0) {
		close(fds[1]);
		do
			n = read(fds[0], &c, 1);
		while (n < 0 && errno == EINTR);
		if (n == 1)
			_exit(0);
		/* it failed before serving; it said why on stderr */
		(void)waitpid(pid, &status, 0);
		_exit(1);
	}
	close(fds[0]);
	ready_fd = fds[1];
	/* the working directory stays: relative paths in the configuration
	 * (the default data_dir "./var") mean what they meant at start */
	if (setsid() < 0) {
		fprintf(stderr, "ledgerd: setsid: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

static void
write_pidfile(const struct config *c, bool detached)
{
	char path[4200], pid[32];
	int fd, n;

	if (c->pidfile != NULL)
		snprintf(path, sizeof(path), "%s", c->pidfile);
	else if (detached)
		snprintf(path, sizeof(path), "%s/ledgerd.pid", c->data_dir);
	else
		return;
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC |
	    O_NOFOLLOW, 0644)) < 0 || write(fd, pid, (size_t)n) != n) {
		log_warn("pidfile %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return;
	}
	close(fd);
	free(pid_path);
	pid_path = strdup(path);
}

void
service_ready(const struct config *c, bool detached)
{
	const char *wd = getenv("WATCHDOG_USEC"), *wpid = getenv("WATCHDOG_PID");
	char msg[96];
	int null;

	write_pidfile(c, detached);
	if (wd != NULL && (wpid == NULL || atol(wpid) == (long)getpid()))
		watchdog_ms = atoll(wd) / 1000;
	snprintf(msg, sizeof(msg), "READY=1\nMAINPID=%ld\nSTATUS=serving",
	    (long)getpid());
	service_notify(msg);
	if (ready_fd >= 0) {
		/* the parent exits 0; from now on nobody reads our stderr */
		log_detached();
		if ((null = open("/dev/null", O_RDWR | O_CLOEXEC)) >= 0) {
			(void)!dup2(null, STDIN_FILENO);
			(void)!dup2(null, STDOUT_FILENO);
			(void)!dup2(null, STDERR_FILENO);
			close(null);
		}
		(void)!write(ready_fd, "R", 1);
		close(ready_fd);
		ready_fd = -1;
	}
}

void
service_watchdog(void)
{
	static int64_t last;
	int64_t now = ledger_now_ms();

	if (watchdog_ms > 0 && now - last >= watchdog_ms / 2) {
		service_notify("WATCHDOG=1");
		last = now;
	}
}

void
service_stopping(void)
{
	service_notify("STOPPING=1");
	if (pid_path != NULL) {
		(void)unlink(pid_path);
		free(pid_path);
		pid_path = NULL;
	}
}

int
service_drop_root(const struct config *c)
{
	const char *name = c->user != NULL ? c->user : "ledgerd";
	struct passwd *pw;

	if (geteuid() != 0)
		return 0;
	if (strcmp(name, "root") == 0) {
		fprintf(stderr, "ledgerd: warning: running as root (\"user\": "
		    "\"root\")\n");
		return 0;
	}
	errno = 0;
	if ((pw = getpwnam(name)) == NULL && c->user == NULL) {
		/* a container's root, a first try: say so, do not refuse */
		fprintf(stderr, "ledgerd: warning: running as root; create a "
		    "'ledgerd' system user (useradd --system ledgerd) or name "
		    "one with \"user\" and ledgerd drops root after binding\n");
		return 0;
	}
	if (pw == NULL) {
		fprintf(stderr, "ledgerd: started as root, and there is no "
		    "user '%s' to run as: create it (useradd --system %s) or "
		    "name another with \"user\"\n", name, name);
		return -1;
	}
	if (pw->pw_uid == 0) {
		fprintf(stderr, "ledgerd: user '%s' is root; name an "
		    "unprivileged user\n", name);
		return -1;
	}
	if (initgroups(pw->pw_name, pw->pw_gid) != 0 ||
	    setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0) {
		fprintf(stderr, "ledgerd: become user '%s': %s\n", name,
		    strerror(errno));
		return -1;
	}
	if (setuid(0) == 0) {
		fprintf(stderr, "ledgerd: could still regain root after "
		    "becoming '%s'; refusing to run\n", name);
		return -1;
	}
	fprintf(stderr, "ledgerd: bound as root; now running as user '%s' "
	    "(uid %ld)\n", name, (long)pw->pw_uid);
	return 0;
}
