/*
 * http-conn.c - every open connection, and the deadline on its headers
 *
 * libmicrohttpd's own timeout is an idle timeout: a client that sends a
 * header line every few seconds (slowloris) keeps its connection for as
 * long as it likes.  So each connection is registered here, and the main
 * loop closes those that have not sent a complete request within
 * request_timeout_s of connecting or of their previous answer.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "http-int.h"

static struct {
	pthread_mutex_t mu;
	struct conn_rec *head;		/* under mu */
	atomic_uint count;
} reg = { .mu = PTHREAD_MUTEX_INITIALIZER };

unsigned
conn_count(void)
{
	return atomic_load(&reg.count);
}

/*
 * Every connection is registered from MHD's connect notification to its
 * close notification (which MHD sends before it closes the socket, so a
 * registered fd is never a reused one).  in_request is set once a
 * request's headers are complete and cleared when it is answered; since
 * is when the connection last started waiting for headers.
 */
struct conn_rec {
	struct conn_rec *prev, *next;
	int fd;
	struct timespec since;
	bool in_request;
	bool cut;
	/* the client certificate, checked at the first request (only the
	 * connection's own thread touches these) */
	bool peer_checked;
	unsigned peer_gen;		/* tls_trust_gen() when checked */
	enum tls_peer peer;
	struct ledger_identity id;
	char why[160];
};

static struct conn_rec *
conn_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn,
	    MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci != NULL ? ci->socket_context : NULL;
}

enum tls_peer
conn_peer(struct MHD_Connection *conn, const struct ledger_identity **id,
    const char **why)
{
	static struct conn_rec unregistered = { .why = "out of memory" };
	struct conn_rec *c = conn_of(conn);

	if (c == NULL) {
		/* never registered (out of memory): checked, not kept */
		if (!tls_on() || tls_client_auth() == TLS_CLIENT_NONE)
			return TLS_PEER_NONE;
		*why = unregistered.why;
		return TLS_PEER_BAD;
	}
	if (!c->peer_checked || c->peer_gen != tls_trust_gen()) {
		c->peer_gen = tls_trust_gen();
		c->peer = tls_peer_check(conn, &c->id, c->why, sizeof(c->why));
		c->peer_checked = true;
	}
	*id = &c->id;
	*why = c->why;
	return c->peer;
}

const char *
conn_addr(struct MHD_Connection *conn, char *out, size_t n)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn,
	    MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa;

	snprintf(out, n, "-");
	if (ci == NULL || (sa = ci->client_addr) == NULL)
		return out;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)
		    (const void *)sa)->sin_addr, out, (socklen_t)n);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)
		    (const void *)sa)->sin6_addr, out, (socklen_t)n);
	return out;
}

void
conn_mark(struct MHD_Connection *conn, bool in_request)
{
	struct conn_rec *c = conn_of(conn);

	if (c == NULL)
		return;
	pthread_mutex_lock(&reg.mu);
	c->in_request = in_request;
	if (!in_request)
		clock_gettime(CLOCK_MONOTONIC, &c->since);
	pthread_mutex_unlock(&reg.mu);
}

void
conn_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
    enum MHD_ConnectionNotificationCode toe)
{
	const union MHD_ConnectionInfo *ci;
	struct conn_rec *c;

	(void)cls;
	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		atomic_fetch_add(&reg.count, 1);
		ci = MHD_get_connection_info(conn,
		    MHD_CONNECTION_INFO_CONNECTION_FD);
		if (ci != NULL && (c = calloc(1, sizeof(*c))) != NULL) {
			c->fd = ci->connect_fd;
			clock_gettime(CLOCK_MONOTONIC, &c->since);
			pthread_mutex_lock(&reg.mu);
			c->next = reg.head;
			if (reg.head != NULL)
				reg.head->prev = c;
			reg.head = c;
			pthread_mutex_unlock(&reg.mu);
			*socket_context = c;
		}
	} else {
		atomic_fetch_sub(&reg.count, 1);
		if ((c = *socket_context) != NULL) {
			pthread_mutex_lock(&reg.mu);
			if (c->prev != NULL)
				c->prev->next = c->next;
			else
				reg.head = c->next;
			if (c->next != NULL)
				c->next->prev = c->prev;
			pthread_mutex_unlock(&reg.mu);
			free(c);
			*socket_context = NULL;
		}
	}
	metrics_set_connections(atomic_load(&reg.count));
}

void
conn_sweep(unsigned limit)
{
	struct conn_rec *c;
	unsigned n = 0;

	pthread_mutex_lock(&reg.mu);
	for (c = reg.head; c != NULL; c = c->next)
		if (!c->in_request && !c->cut && elapsed(&c->since) > limit) {
			/* MHD sees end of file and closes it itself. */
			shutdown(c->fd, SHUT_RDWR);
			c->cut = true;
			n++;
		}
	pthread_mutex_unlock(&reg.mu);
	if (n > 0)
		log_info("closed %u connection%s that sent no complete request "
		    "within %us", n, n == 1 ? "" : "s", limit);
	while (n-- > 0)
		metrics_reject(REJECT_TIMEOUT);
}

/* ---- the listening socket and MHD's messages ---- */

void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512], safe[600];
	size_t n;

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n > 0 && msg[n - 1] == '\n')
		msg[--n] = '\0';
	log_debug("mhd message=\"%s\"", log_safe(msg, safe, sizeof(safe)));
}

int
bind_socket(const char *host, unsigned port, char *shown, size_t shown_len)
{
	struct addrinfo hints, *ai = NULL;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char portstr[16], addr[INET6_ADDRSTRLEN];
	int fd, one = 1, rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(portstr, sizeof(portstr), "%u", port);
	if ((rc = getaddrinfo(host, portstr, &hints, &ai)) != 0) {
		log_error("listen: resolve host='%s' error=\"%s\"", host,
		    gai_strerror(rc));
		return -1;
	}
	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, ai->ai_protocol);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
	    sizeof(one)) != 0 || bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 ||
	    listen(fd, 1024) != 0) {
		log_error("listen: host=%s port=%u error=\"%s\"", host, port,
		    strerror(errno));
		if (fd >= 0)
			close(fd);
		freeaddrinfo(ai);
		return -1;
	}
	freeaddrinfo(ai);
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0) {
		close(fd);
		return -1;
	}
	if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		inet_ntop(AF_INET6, &s6->sin6_addr, addr, sizeof(addr));
		snprintf(shown, shown_len, "[%s]:%u", addr,
		    ntohs(s6->sin6_port));
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		inet_ntop(AF_INET, &s4->sin_addr, addr, sizeof(addr));
		snprintf(shown, shown_len, "%s:%u", addr, ntohs(s4->sin_port));
	}
	return fd;
}
