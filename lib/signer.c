/*
 * signer.c - signatures on the other core (see signer.h)
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

#include "ledger/keys.h"
#include "signer.h"

struct ledger_signer {
	pthread_t tid;
	pthread_mutex_t mu;
	pthread_cond_t work, done;
	const struct ledger_key *key;
	/* the current batch: set under mu, then read-only for the thread */
	const uint8_t (*leaves)[LEDGER_HASH_BYTES];
	uint8_t (*sigs)[LEDGER_SIG_BYTES];
	size_t n;
	uint64_t gen;			/* batches handed out */
	bool busy, quit;
	atomic_size_t signed_n;		/* sigs[0 .. signed_n) are ready */
};

static void *
signer_main(void *arg)
{
	struct ledger_signer *g = arg;
	uint64_t seen = 0;
	size_t i;

	pthread_mutex_lock(&g->mu);
	for (;;) {
		while (!g->quit && g->gen == seen)
			pthread_cond_wait(&g->work, &g->mu);
		if (g->quit)
			break;
		seen = g->gen;
		pthread_mutex_unlock(&g->mu);
		for (i = 0; i < g->n; i++) {
			ledger_key_sign_leaf(g->key, g->leaves[i], g->sigs[i]);
			atomic_store_explicit(&g->signed_n, i + 1,
			    memory_order_release);
		}
		pthread_mutex_lock(&g->mu);
		g->busy = false;
		pthread_cond_broadcast(&g->done);
	}
	pthread_mutex_unlock(&g->mu);
	return NULL;
}

struct ledger_signer *
ledger_signer_start(const struct ledger_key *key)
{
	struct ledger_signer *g;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2 ||
	    (g = calloc(1, sizeof(*g))) == NULL)
		return NULL;
	g->key = key;
	atomic_init(&g->signed_n, 0);
	if (pthread_mutex_init(&g->mu, NULL) != 0) {
		free(g);
		return NULL;
	}
	if (pthread_cond_init(&g->work, NULL) != 0 ||
	    pthread_cond_init(&g->done, NULL) != 0 ||
	    pthread_create(&g->tid, NULL, signer_main, g) != 0) {
		/* a cond that failed to init is never used: destroy is
		 * harmless on the zeroed other one */
		pthread_mutex_destroy(&g->mu);
		free(g);
		return NULL;
	}
	return g;
}

void
ledger_signer_submit(struct ledger_signer *g, const uint8_t (*leaves)[32],
    uint8_t (*sigs)[LEDGER_SIG_BYTES], size_t n)
{
	pthread_mutex_lock(&g->mu);
	g->leaves = leaves;
	g->sigs = sigs;
	g->n = n;
	atomic_store_explicit(&g->signed_n, 0, memory_order_relaxed);
	g->busy = true;
	g->gen++;
	pthread_cond_signal(&g->work);
	pthread_mutex_unlock(&g->mu);
}

void
ledger_signer_wait_for(struct ledger_signer *g, size_t i)
{
	int spins;

	for (spins = 0; spins < 2000; spins++)
		if (atomic_load_explicit(&g->signed_n, memory_order_acquire) >
		    i)
			return;
	pthread_mutex_lock(&g->mu);
	while (g->busy)
		pthread_cond_wait(&g->done, &g->mu);
	pthread_mutex_unlock(&g->mu);
}

void
ledger_signer_finish(struct ledger_signer *g)
{
	pthread_mutex_lock(&g->mu);
	while (g->busy)
		pthread_cond_wait(&g->done, &g->mu);
	pthread_mutex_unlock(&g->mu);
}

void
ledger_signer_stop(struct ledger_signer *g)
{
	if (g == NULL)
		return;
	pthread_mutex_lock(&g->mu);
	g->quit = true;
	pthread_cond_signal(&g->work);
	pthread_mutex_unlock(&g->mu);
	pthread_join(g->tid, NULL);
	pthread_cond_destroy(&g->work);
	pthread_cond_destroy(&g->done);
	pthread_mutex_destroy(&g->mu);
	free(g);
}
