/*
 * qmgr_dest: per-destination queues. A destination is a transport and a
 * next hop ("smtp" and "example.org", "local" and "localhost"), as in
 * Postfix's queue manager; it lives while it has requests in flight,
 * waiting messages, a holder (routing), or a dead state, so one that runs
 * out of work starts afresh next time, as in Postfix.
 *
 * Concurrency: a destination starts with a window of
 * initial_destination_concurrency requests in flight (at most
 * NAME_destination_concurrency_limit). Each request that reached the
 * destination counts 1/window toward one more slot, so the window grows
 * by one after as many successes as it is wide, up to the limit (slow
 * start, Postfix's default positive feedback). Each request that could not
 * reach it (qmgr_reply.c says which) takes one slot away, down to one.
 *
 * Dead destinations: failures also add up in pseudo-cohorts, 1/window
 * each, reset by any success. When they reach
 * NAME_destination_concurrency_failed_cohort_limit (default 1; 0 turns
 * this off) the destination is dead: its waiting messages, and every
 * message routed to it later, are deferred without a new connection,
 * "delivery temporarily suspended: REASON" with the failure that killed
 * it, until minimal_backoff_time has passed (or a request still in flight
 * gets through, or a flush request comes); then it starts again at the
 * initial window. From the
 * default window of 5 that is the fourth connection failure in a row
 * (0.2 + 0.25 + 0.33 + 0.5); with a window of 1, the first.
 *
 * Waiting: a message whose destination has no free slot waits on it,
 * parked (qmgr_active_park). qmgr_dest_pump gives free slots to the
 * destinations with waiting messages in turn, one message each per turn,
 * so a slow destination that keeps its window full never holds back the
 * others (they have windows of their own), and destinations that share a
 * transport at its process limit take turns.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "mem.h"
#include "qmgr.h"

#define QMGR_DEST_BUCKETS 4096		/* hash chains of the destination table */

struct qmgr_dest {
	qmgr_transport_t *tr;
	const qmgr_dest_limits_t *limits;	/* the transport's */
	char *nexthop;
	size_t window;			/* requests allowed in flight now */
	size_t busy;			/* requests in flight */
	size_t holds;			/* qmgr_dest_get without qmgr_dest_put */
	double credit;			/* successes toward a wider window, in windows */
	double failed_cohorts;		/* failures since the last success, in windows */
	int dead;
	double dead_until;		/* when a dead destination gets another chance */
	qmgr_hop_t hop;			/* why it died */
	qmgr_message_t *waiting;	/* parked messages, linked by next */
	qmgr_message_t *waiting_tail;
	struct qmgr_dest *chain;	/* the next in its hash bucket */
	struct qmgr_dest *ring_prev;	/* destinations with waiting messages */
	struct qmgr_dest *ring_next;
	struct qmgr_dest *dead_next;	/* the dead ones */
};

static qmgr_dest_t *qmgr_dest_table[QMGR_DEST_BUCKETS];
static qmgr_dest_t *qmgr_dest_ring;	/* the next one to serve, NULL when none waits */
static size_t qmgr_dest_ring_len;
static qmgr_dest_t *qmgr_dest_dead_list;

/* FNV-1a over the transport's address and the next hop. */
static size_t qmgr_dest_bucket(const qmgr_transport_t *tr, const char *nexthop)
{
	uint64_t h = 14695981039346656037ULL ^ (uint64_t)(uintptr_t)tr;

	for (; *nexthop; nexthop++)
		h = (h ^ (unsigned char)*nexthop) * 1099511628211ULL;
	return (size_t)(h % QMGR_DEST_BUCKETS);
}

qmgr_dest_t *qmgr_dest_get(qmgr_transport_t *tr, const char *nexthop)
{
	size_t b = qmgr_dest_bucket(tr, nexthop);
	qmgr_dest_t *dest;

	for (dest = qmgr_dest_table[b]; dest; dest = dest->chain)
		if (dest->tr == tr && strcmp(dest->nexthop, nexthop) == 0)
			break;
	if (dest == NULL) {
		dest = mem_calloc(1, sizeof(*dest));
		dest->tr = tr;
		dest->limits = qmgr_transport_limits(tr);
		dest->nexthop = mem_strdup(nexthop);
		dest->window = dest->limits->initial;
		dest->chain = qmgr_dest_table[b];
		qmgr_dest_table[b] = dest;
	}
	dest->holds++;
	return dest;
}

/* Forget a destination that has nothing left to remember. */
static void qmgr_dest_maybe_free(qmgr_dest_t *dest)
{
	qmgr_dest_t **link = &qmgr_dest_table[qmgr_dest_bucket(dest->tr, dest->nexthop)];

	if (dest->holds || dest->busy || dest->waiting || dest->dead)
		return;
	while (*link != dest)
		link = &(*link)->chain;
	*link = dest->chain;
	mem_free(dest->nexthop);
	mem_free(dest);
}

void qmgr_dest_put(qmgr_dest_t *dest)
{
	dest->holds--;
	qmgr_dest_maybe_free(dest);
}

qmgr_transport_t *qmgr_dest_transport(const qmgr_dest_t *dest)
{
	return dest->tr;
}

const char *qmgr_dest_nexthop(const qmgr_dest_t *dest)
{
	return dest->nexthop;
}

size_t qmgr_dest_recipient_limit(const qmgr_dest_t *dest)
{
	return dest->limits->recipients;
}

int qmgr_dest_has_slot(const qmgr_dest_t *dest)
{
	return !dest->dead && dest->busy < dest->window && qmgr_transport_has_slot(dest->tr);
}

const qmgr_hop_t *qmgr_dest_dead(const qmgr_dest_t *dest)
{
	return dest->dead ? &dest->hop : NULL;
}

void qmgr_dest_begin(qmgr_dest_t *dest)
{
	dest->busy++;
}

/* Back to life at the initial window (a success, or its time came). */
static void qmgr_dest_revive(qmgr_dest_t *dest)
{
	qmgr_dest_t **link = &qmgr_dest_dead_list;

	while (*link != dest)
		link = &(*link)->dead_next;
	*link = dest->dead_next;
	dest->dead = 0;
	dest->window = dest->limits->initial;
	dest->credit = 0;
	dest->failed_cohorts = 0;
}

static void qmgr_dest_success(qmgr_dest_t *dest)
{
	dest->failed_cohorts = 0;
	if (dest->dead) {
		qmgr_dest_revive(dest);
		return;
	}
	if (dest->window >= dest->limits->concurrency)
		return;
	dest->credit += 1.0 / (double)dest->window;
	if (dest->credit >= 1) {
		dest->window++;
		dest->credit = 0;
	}
}

static void qmgr_dest_failure(qmgr_dest_t *dest, const qmgr_hop_t *hop)
{
	if (dest->dead)
		return;			/* the first reason stands */
	dest->credit = 0;
	dest->failed_cohorts += 1.0 / (double)dest->window;
	if (dest->limits->failed_cohorts > 0
	    && dest->failed_cohorts >= (double)dest->limits->failed_cohorts) {
		dest->dead = 1;
		dest->dead_until = qmgr_now() + (double)qmgr_conf.min_backoff;
		dest->hop = *hop;
		dest->dead_next = qmgr_dest_dead_list;
		qmgr_dest_dead_list = dest;
	} else if (dest->window > 1) {
		dest->window--;
	}
}

void qmgr_dest_end(qmgr_dest_t *dest, const qmgr_hop_t *hop)
{
	dest->busy--;
	if (hop->feedback == QMGR_FEEDBACK_OK)
		qmgr_dest_success(dest);
	else if (hop->feedback == QMGR_FEEDBACK_FAILED)
		qmgr_dest_failure(dest, hop);
	qmgr_dest_maybe_free(dest);
}

/* Join the ring at its end: just before the next one to serve. */
static void qmgr_dest_ring_join(qmgr_dest_t *dest)
{
	if (qmgr_dest_ring == NULL) {
		dest->ring_prev = dest->ring_next = dest;
		qmgr_dest_ring = dest;
	} else {
		dest->ring_next = qmgr_dest_ring;
		dest->ring_prev = qmgr_dest_ring->ring_prev;
		dest->ring_prev->ring_next = dest;
		qmgr_dest_ring->ring_prev = dest;
	}
	qmgr_dest_ring_len++;
}

static void qmgr_dest_ring_leave(qmgr_dest_t *dest)
{
	if (dest->ring_next == dest) {
		qmgr_dest_ring = NULL;
	} else {
		dest->ring_prev->ring_next = dest->ring_next;
		dest->ring_next->ring_prev = dest->ring_prev;
		if (qmgr_dest_ring == dest)
			qmgr_dest_ring = dest->ring_next;
	}
	dest->ring_prev = dest->ring_next = NULL;
	qmgr_dest_ring_len--;
}

void qmgr_dest_wait(qmgr_dest_t *dest, qmgr_message_t *msg)
{
	msg->next = NULL;
	if (dest->waiting_tail) {
		dest->waiting_tail->next = msg;
	} else {
		dest->waiting = msg;
		qmgr_dest_ring_join(dest);
	}
	dest->waiting_tail = msg;
}

static qmgr_message_t *qmgr_dest_pop(qmgr_dest_t *dest)
{
	qmgr_message_t *msg = dest->waiting;

	if ((dest->waiting = msg->next) == NULL) {
		dest->waiting_tail = NULL;
		qmgr_dest_ring_leave(dest);
	}
	msg->next = NULL;
	return msg;
}

/*
 * Each turn serves the next destination of the ring: one waiting message
 * goes back to routing when the destination has a free slot (or is dead,
 * which defers it). A whole round with nothing to release ends it. Every
 * release either takes a slot or leaves the destination for good, so the
 * rounds end.
 */
void qmgr_dest_pump(void)
{
	size_t idle_turns = 0;
	qmgr_dest_t *dest;

	while (qmgr_dest_ring != NULL && idle_turns < qmgr_dest_ring_len) {
		dest = qmgr_dest_ring;
		qmgr_dest_ring = dest->ring_next;
		if (!dest->dead && !qmgr_dest_has_slot(dest)) {
			idle_turns++;
			continue;
		}
		idle_turns = 0;
		dest->holds++;		/* routing must not free it under us */
		qmgr_active_resume(qmgr_dest_pop(dest));
		qmgr_dest_put(dest);
	}
}

void qmgr_dest_timers(void)
{
	double now = qmgr_now();
	qmgr_dest_t *dest, *next;

	for (dest = qmgr_dest_dead_list; dest; dest = next) {
		next = dest->dead_next;
		if (now < dest->dead_until)
			continue;
		qmgr_dest_revive(dest);
		qmgr_dest_maybe_free(dest);
	}
}

void qmgr_dest_revive_all(void)
{
	qmgr_dest_t *dest;

	while ((dest = qmgr_dest_dead_list) != NULL) {
		qmgr_dest_revive(dest);
		qmgr_dest_maybe_free(dest);
	}
}
