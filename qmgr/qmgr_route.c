/*
 * qmgr_route: which transport delivers each recipient. This is the one
 * place that decides: virtual and local addresses go to the local
 * delivery agent; remote domains (relay_domains or elsewhere) wait until
 * the smtp transport exists; an address of a virtual alias domain that
 * reached the queue unrewritten has no mailbox and bounces, as Postfix's
 * error transport does with it.
 * Recipients are grouped so that each transport gets one request per
 * message.
 */
#include "log.h"
#include "mem.h"
#include "qmgr.h"
#include "resolve.h"

#define QMGR_TRANSPORTS_MAX 4		/* distinct transports one message can need */

/* A transport, or NULL with the status to settle the recipient with now. */
typedef struct qmgr_route {
	qmgr_transport_t *transport;
	const char *dsn;
	const char *status;
	str_t reason;
} qmgr_route_t;

/* Recipients of one message bound for one transport. */
typedef struct qmgr_batch {
	qmgr_transport_t *transport;
	size_t *rcpts;
	size_t count;
} qmgr_batch_t;

static void qmgr_route_rcpt(const char *addr, qmgr_route_t *route)
{
	resolve_result_t res;

	route->transport = NULL;
	route->dsn = "4.3.0";
	route->status = "deferred";
	str_reset(&route->reason);
	resolve_result_init(&res);
	if (resolve_address(addr, &res) < 0) {
		str_printf(&route->reason, "temporary lookup failure: %s", str_cstr(&res.mailbox));
	} else if (res.cls == RESOLVE_RELAY || res.cls == RESOLVE_RELAY_DOMAIN) {
		str_set(&route->reason, "delivery to remote domains is not available yet");
	} else if (res.cls == RESOLVE_ALIAS) {
		route->dsn = "5.1.1";
		route->status = "bounced";
		str_set(&route->reason, "User unknown in virtual alias table");
	} else {
		route->transport = qmgr_transport_local();
	}
	resolve_result_free(&res);
}

static qmgr_batch_t *qmgr_batch_for(qmgr_batch_t *batches, size_t *nbatches,
				    qmgr_transport_t *tr, size_t nrcpts)
{
	size_t i;

	for (i = 0; i < *nbatches; i++)
		if (batches[i].transport == tr)
			return &batches[i];
	if (*nbatches == QMGR_TRANSPORTS_MAX)
		log_panic("more than %d transports for one message", QMGR_TRANSPORTS_MAX);
	batches[i].transport = tr;
	batches[i].rcpts = mem_alloc(nrcpts * sizeof(size_t));
	batches[i].count = 0;
	(*nbatches)++;
	return &batches[i];
}

void qmgr_route_message(qmgr_message_t *msg)
{
	qmgr_batch_t batches[QMGR_TRANSPORTS_MAX];
	qmgr_route_t route = { .reason = STR_INIT };
	size_t nbatches = 0, i;
	qmgr_batch_t *batch;
	qmgr_times_t now;

	now.start = now.connected = now.done = qmgr_now();
	for (i = 0; i < msg->qm.nrcpts; i++) {
		if (msg->state[i] != QMGR_RCPT_TODO)
			continue;
		qmgr_route_rcpt(msg->qm.rcpts[i].addr, &route);
		if (route.transport == NULL) {
			qmgr_rcpt_result(msg, i, "none", &now, route.dsn, route.status,
					 str_cstr(&route.reason));
			continue;
		}
		batch = qmgr_batch_for(batches, &nbatches, route.transport, msg->qm.nrcpts);
		batch->rcpts[batch->count++] = i;
	}
	str_free(&route.reason);
	for (i = 0; i < nbatches; i++) {
		qmgr_deliver(batches[i].transport, msg, batches[i].rcpts, batches[i].count);
		mem_free(batches[i].rcpts);
	}
	if (msg->requests == 0)
		qmgr_active_finish(msg);
}
