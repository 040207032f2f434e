/*
 * refusals.c - a burst of refused credentials from one peer: logged and
 * counted as a possible attack, and, when configured, answered with 429
 * for a while
 *
 * Every refusal of a credential (a bearer token, a webhook signature or
 * token, a client certificate, a binding to a machine) is counted per
 * peer address in a fixed table (PEERS slots, an address hashed to PROBE
 * of them, the least recently refused of those evicted: a flood of
 * addresses cannot grow it, and costs a bounded probe).  A peer
 * that reaches alert_per_minute refusals within a minute is logged once
 * for that minute ("possible attack peer=… refusals=… last=source …") and
 * counted in ledgerd_suspected_attacks_total{source}; with
 * block_per_minute set, a peer that reaches it gets 429 for every request
 * but the probes for block_s seconds.
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ledgerd.h"

#define PEERS 1024
#define PROBE 8
#define WINDOW_MS 60000

struct peer {
	char addr[64];			/* "" = free; IPv6 as its /64 */
	int64_t window_start_ms;
	unsigned count;			/* in the window */
	bool alerted;			/* this window */
	int64_t blocked_until_ms;
	int64_t last_ms;
	char last_what[LEDGER_SOURCE_NAME_MAX + 16];
};

static struct {
	pthread_mutex_t mu;
	struct peer p[PEERS];
	unsigned alert, block, block_s;
} rf = { .mu = PTHREAD_MUTEX_INITIALIZER, .alert = 20 };

void
refusals_set_config(const struct config *c)
{
	pthread_mutex_lock(&rf.mu);
	rf.alert = c->refusal_alert_per_minute;
	rf.block = c->refusal_block_per_minute;
	rf.block_s = c->refusal_block_s;
	pthread_mutex_unlock(&rf.mu);
}

/* An address's PROBE slots start here (FNV-1a). */
static size_t
home(const char *addr)
{
	uint32_t h = 2166136261u;

	for (; *addr != '\0'; addr++)
		h = (h ^ (uint8_t)*addr) * 16777619u;
	return h % PEERS;
}

/* The slot of addr among its PROBE slots; with create, a free one or the
 * least recently refused of them (evicted) when it has none. */
static struct peer *
slot(const char *addr, bool create)
{
	struct peer *p, *oldest = NULL;
	size_t i, h = home(addr);

	for (i = 0; i < PROBE; i++) {
		p = &rf.p[(h + i) % PEERS];
		if (strcmp(p->addr, addr) == 0)
			return p;
		/* a free slot first, else the least recent; never one
		 * still blocked (evicting it would end its block) */
		if (p->blocked_until_ms > ledger_now_ms())
			continue;
		if (oldest == NULL || p->addr[0] == '\0' ||
		    (oldest->addr[0] != '\0' && p->last_ms < oldest->last_ms))
			oldest = p;
	}
	if (!create)
		return NULL;
	if (oldest == NULL)	/* all blocked: the first gives way */
		oldest = &rf.p[h];
	memset(oldest, 0, sizeof(*oldest));
	snprintf(oldest->addr, sizeof(oldest->addr), "%s", addr);
	return oldest;
}

/* The key of a client address: IPv4 as it is, IPv6 by its /64 (one
 * host's share: rotating addresses inside it is one peer). */
static const char *
peer_key(const char *addr, char *out, size_t n)
{
	struct in6_addr a;

	if (strchr(addr, ':') == NULL || inet_pton(AF_INET6, addr, &a) != 1)
		return addr;
	memset(a.s6_addr + 8, 0, 8);
	if (inet_ntop(AF_INET6, &a, out, (socklen_t)n) == NULL)
		return addr;
	strncat(out, "/64", n - strlen(out) - 1);
	return out;
}

void
refusal_note(const char *raw, const char *what)
{
	char keybuf[64];
	const char *addr;
	int64_t now = ledger_now_ms();
	struct peer *p;
	bool alert = false, block = false;
	unsigned count = 0;
	char src[sizeof(p->last_what)];

	if (raw == NULL || raw[0] == '\0')
		return;
	addr = peer_key(raw, keybuf, sizeof(keybuf));
	pthread_mutex_lock(&rf.mu);
	p = slot(addr, true);
	if (now - p->window_start_ms >= WINDOW_MS) {
		p->window_start_ms = now;
		p->count = 0;
		p->alerted = false;
	}
	p->count++;
	p->last_ms = now;
	snprintf(p->last_what, sizeof(p->last_what), "%s", what);
	if (rf.alert > 0 && p->count >= rf.alert && !p->alerted) {
		p->alerted = true;
		alert = true;
	}
	if (rf.block > 0 && p->count >= rf.block &&
	    p->blocked_until_ms <= now) {
		p->blocked_until_ms = now + (int64_t)rf.block_s * 1000;
		block = true;
	}
	count = p->count;
	snprintf(src, sizeof(src), "%s", what);
	pthread_mutex_unlock(&rf.mu);
	if (alert) {
		log_warn("possible attack peer=%s refusals=%u in the last "
		    "minute, last=%s", addr, count, src);
		metrics_suspected_attack(src);
	}
	if (block)
		log_warn("refusing peer=%s for %u s: %u refused credentials in "
		    "a minute (refusals.block_per_minute)", addr, rf.block_s,
		    count);
}

bool
refusal_blocked(const char *raw, unsigned *retry_s)
{
	int64_t now = ledger_now_ms(), until = 0;
	char keybuf[64];
	const char *addr;
	struct peer *p;

	if (raw == NULL || raw[0] == '\0')
		return false;
	addr = peer_key(raw, keybuf, sizeof(keybuf));
	pthread_mutex_lock(&rf.mu);
	if (rf.block > 0 && (p = slot(addr, false)) != NULL)
		until = p->blocked_until_ms;
	pthread_mutex_unlock(&rf.mu);
	if (until <= now)
		return false;
	*retry_s = (unsigned)((until - now + 999) / 1000);
	return true;
}
