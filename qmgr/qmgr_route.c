/*
 * qmgr_route: which transport and next hop deliver each recipient, with
 * Postfix's names and order (transport(5)):
 *
 *   virtual and local domains     local (Pochta's local agent serves both)
 *   relay_domains                 $relay_transport (relay)
 *   any other domain              $default_transport (smtp)
 *
 * The next hop of the last two is the one written in the parameter
 * ("smtp:[gw.example]:587"), else relayhost, else the recipient domain.
 * transport_maps overrides all of them: the full address, the domain,
 * then ".parent" keys for each parent domain, then "*"; a result
 * "transport:nexthop" replaces both, "transport:" resets the next hop to
 * the recipient domain, ":nexthop" keeps the transport, ":" keeps both.
 * The transport is a master.cf service (qmgr_deliver.c), except for two
 * handled here as Postfix's agents would:
 *
 *   error:5.1.1 text    bounces with the text (dsn 5.0.0 unless it starts
 *                       with one; a 4.x.y one defers)
 *   discard:text        "delivers" by doing nothing, status=sent (text)
 *
 * An address of a virtual alias domain that reached the queue unrewritten
 * has no mailbox and bounces, as Postfix's error transport does with it.
 * Recipients are grouped by destination, a transport and next hop
 * (qmgr_dest.c), and each group goes out in requests of at most the
 * destination's recipient limit while it has free slots; the rest wait
 * for a slot there (the message waits on the destination when it has no
 * request in flight). A dead destination's recipients are deferred at
 * once, as Postfix does: "delivery temporarily suspended: REASON".
 */
#include <stdio.h>
#include <string.h>

#include "conf.h"
#include "dict.h"
#include "log.h"
#include "maps.h"
#include "mem.h"
#include "qmgr.h"
#include "resolve.h"

#define QMGR_LOCAL_TRANSPORT "local"
#define QMGR_ERROR_TRANSPORT "error"
#define QMGR_DISCARD_TRANSPORT "discard"
#define QMGR_WILDCARD_KEY "*"
#define QMGR_ROUTE_DSN_MIN 5		/* "5.1.1" */
#define QMGR_ROUTE_DSN_MAX 16		/* "5.123.123" and its NUL, with room */

static maps_t *qmgr_transport_maps;

/* A recipient's route: a transport and next hop, or (transport empty)
 * the status to settle it with now. */
typedef struct qmgr_route {
	str_t transport;
	str_t nexthop;
	const char *dsn;
	char dsn_buf[QMGR_ROUTE_DSN_MAX];	/* the one an error: text gave */
	const char *status;
	str_t reason;
} qmgr_route_t;

/* Recipients of one message bound for one destination (held). */
typedef struct qmgr_batch {
	qmgr_dest_t *dest;
	size_t *rcpts;
	size_t count;
} qmgr_batch_t;

void qmgr_route_init(void)
{
	str_t err = STR_INIT;

	if ((qmgr_transport_maps = maps_open("transport_maps", &err)) == NULL)
		log_fatal("%s", str_cstr(&err));
	str_free(&err);
}

/* "transport:nexthop" into its parts; either may be empty. */
static void qmgr_route_split(const char *value, str_t *transport, str_t *nexthop)
{
	const char *colon = strchr(value, ':');

	str_set(transport, "");
	str_append(transport, value, colon ? (size_t)(colon - value) : strlen(value));
	str_set(nexthop, colon ? colon + 1 : "");
}

/* The first table that knows key: 1 (value set), 0, -1 (why in value). */
static int qmgr_route_find(const char *key, str_t *value)
{
	int found = 0;

	for (size_t i = 0; i < qmgr_transport_maps->count && found == 0; i++)
		found = dict_lookup(qmgr_transport_maps->tables[i], key, value);
	return found;
}

/* transport_maps in transport(5)'s order: 1 found, 0 not, -1 error. */
static int qmgr_route_table(const char *addr, const char *domain, str_t *value)
{
	int found = qmgr_route_find(addr, value);

	if (found == 0 && *domain)
		found = qmgr_route_find(domain, value);
	for (const char *dot = strchr(domain, '.'); found == 0 && dot; dot = strchr(dot + 1, '.'))
		found = qmgr_route_find(dot, value);
	if (found == 0)
		found = qmgr_route_find(QMGR_WILDCARD_KEY, value);
	return found;
}

/* The default transport and next hop of an address class. */
static void qmgr_route_default(resolve_result_t *res, qmgr_route_t *route)
{
	const char *relayhost = conf_str("relayhost");

	if (res->cls == RESOLVE_VIRTUAL || res->cls == RESOLVE_LOCAL) {
		str_set(&route->transport, QMGR_LOCAL_TRANSPORT);
		str_set(&route->nexthop, str_cstr(&res->domain));
		return;
	}
	qmgr_route_split(conf_str(res->cls == RESOLVE_RELAY_DOMAIN ? "relay_transport"
								     : "default_transport"),
			 &route->transport, &route->nexthop);
	if (route->nexthop.len == 0)
		str_set(&route->nexthop, *relayhost ? relayhost : str_cstr(&res->domain));
}

/* transport_maps over the default; -1 (route settled) on a lookup error. */
static int qmgr_route_override(const char *addr, resolve_result_t *res,
			       qmgr_route_t *route)
{
	str_t value = STR_INIT, transport = STR_INIT, nexthop = STR_INIT;
	int found = qmgr_route_table(addr, str_cstr(&res->domain), &value);

	if (found < 0) {
		str_printf(&route->reason, "transport_maps lookup failure: %s", str_cstr(&value));
	} else if (found > 0) {
		qmgr_route_split(str_cstr(&value), &transport, &nexthop);
		if (transport.len > 0) {
			str_set(&route->transport, transport.data);
			str_set(&route->nexthop, nexthop.len ? nexthop.data : str_cstr(&res->domain));
		} else if (nexthop.len > 0) {
			str_set(&route->nexthop, nexthop.data);
		}
	}
	str_free(&value);
	str_free(&transport);
	str_free(&nexthop);
	return found < 0 ? -1 : 0;
}

/* "5.1.1" at the start of text (then a space or the end): its length, else 0. */
static size_t qmgr_route_dsn_len(const char *text)
{
	size_t len = strcspn(text, " ");

	if ((text[0] != '4' && text[0] != '5') || text[1] != '.' || len < QMGR_ROUTE_DSN_MIN
	    || len >= QMGR_ROUTE_DSN_MAX || strspn(text, "0123456789.") != len)
		return 0;
	return len;
}

/* error: and discard: settle the recipient here, as Postfix's error and
 * discard agents do with their next hop as the text. */
static void qmgr_route_pseudo(qmgr_route_t *route)
{
	const char *text = str_cstr(&route->nexthop);
	int is_error = strcmp(str_cstr(&route->transport), QMGR_ERROR_TRANSPORT) == 0;
	size_t code_len = is_error ? qmgr_route_dsn_len(text) : 0;

	if (!is_error && strcmp(str_cstr(&route->transport), QMGR_DISCARD_TRANSPORT) != 0)
		return;
	snprintf(route->dsn_buf, sizeof(route->dsn_buf), "%.*s", (int)code_len, text);
	route->dsn = code_len ? route->dsn_buf : is_error ? "5.0.0" : "2.0.0";
	route->status = !is_error ? "sent" : route->dsn[0] == '4' ? "deferred" : "bounced";
	text += code_len + strspn(text + code_len, " ");
	str_set(&route->reason, text);
	str_reset(&route->transport);
}

static void qmgr_route_rcpt(const char *addr, qmgr_route_t *route)
{
	resolve_result_t res;

	str_reset(&route->transport);
	str_reset(&route->nexthop);
	str_reset(&route->reason);
	route->dsn = "4.3.0";
	route->status = "deferred";
	resolve_result_init(&res);
	if (resolve_address(addr, &res) < 0) {
		str_printf(&route->reason, "temporary lookup failure: %s", str_cstr(&res.mailbox));
	} else if (res.cls == RESOLVE_ALIAS) {
		route->dsn = "5.1.1";
		route->status = "bounced";
		str_set(&route->reason, "User unknown in virtual alias table");
	} else {
		qmgr_route_default(&res, route);
		if (qmgr_route_override(addr, &res, route) < 0)
			str_reset(&route->transport);
		else
			qmgr_route_pseudo(route);
	}
	resolve_result_free(&res);
}

/* The batch for this transport and next hop, made on first use. */
static qmgr_batch_t *qmgr_batch_for(qmgr_batch_t **batches, size_t *nbatches,
				    qmgr_transport_t *tr, const char *nexthop, size_t nrcpts)
{
	qmgr_dest_t *dest = qmgr_dest_get(tr, nexthop);

	for (size_t i = 0; i < *nbatches; i++) {
		if ((*batches)[i].dest == dest) {
			qmgr_dest_put(dest);	/* the batch holds it already */
			return &(*batches)[i];
		}
	}
	*batches = mem_realloc(*batches, (*nbatches + 1) * sizeof(**batches));
	(*batches)[*nbatches] = (qmgr_batch_t){ .dest = dest,
						 .rcpts = mem_alloc(nrcpts * sizeof(size_t)) };
	return &(*batches)[(*nbatches)++];
}

/* Route every recipient still to do: settle it now, or add it to a batch. */
static size_t qmgr_route_batches(qmgr_message_t *msg, qmgr_batch_t **batches)
{
	qmgr_route_t route = { .transport = STR_INIT, .nexthop = STR_INIT, .reason = STR_INIT };
	size_t nbatches = 0;
	qmgr_times_t now;
	qmgr_transport_t *tr;
	qmgr_batch_t *batch;

	now.start = now.connected = now.done = qmgr_now();
	for (size_t i = 0; i < msg->qm.nrcpts; i++) {
		if (msg->state[i] != QMGR_RCPT_TODO)
			continue;
		qmgr_route_rcpt(msg->qm.rcpts[i].addr, &route);
		tr = route.transport.len ? qmgr_transport_get(str_cstr(&route.transport)) : NULL;
		if (tr == NULL && route.transport.len) {
			route.dsn = "4.3.0";
			route.status = "deferred";
			str_set(&route.reason, "mail transport unavailable");
		}
		if (tr == NULL) {
			qmgr_rcpt_result(msg, i, "none", &now, route.dsn, route.status,
					 str_cstr(&route.reason));
			continue;
		}
		batch = qmgr_batch_for(batches, &nbatches, tr, str_cstr(&route.nexthop),
				       msg->qm.nrcpts);
		batch->rcpts[batch->count++] = i;
	}
	str_free(&route.transport);
	str_free(&route.nexthop);
	str_free(&route.reason);
	return nbatches;
}

/* A dead destination's recipients are deferred with its reason. */
static void qmgr_route_suspended(qmgr_message_t *msg, const qmgr_batch_t *batch,
				 const qmgr_hop_t *hop)
{
	str_t reason = STR_INIT;
	qmgr_times_t now;

	now.start = now.connected = now.done = qmgr_now();
	str_printf(&reason, "delivery temporarily suspended: %s", hop->reason);
	qmgr_rcpt_defer_all(msg, batch->rcpts, batch->count, "none", &now, hop->dsn,
			    str_cstr(&reason));
	str_free(&reason);
}

/* Requests of at most the recipient limit while the destination has
 * slots; -1 when some recipients are left to do for lack of one. */
static int qmgr_route_send(qmgr_message_t *msg, const qmgr_batch_t *batch)
{
	const qmgr_hop_t *dead = qmgr_dest_dead(batch->dest);
	size_t limit = qmgr_dest_recipient_limit(batch->dest), n;

	if (dead != NULL) {
		qmgr_route_suspended(msg, batch, dead);
		return 0;
	}
	for (size_t done = 0; done < batch->count; done += n) {
		if (!qmgr_dest_has_slot(batch->dest))
			return -1;
		n = batch->count - done < limit ? batch->count - done : limit;
		qmgr_deliver(batch->dest, msg, batch->rcpts + done, n);
	}
	return 0;
}

void qmgr_route_message(qmgr_message_t *msg)
{
	qmgr_batch_t *batches = NULL;
	qmgr_dest_t *full = NULL;
	size_t nbatches = qmgr_route_batches(msg, &batches);

	for (size_t i = 0; i < nbatches; i++)
		if (qmgr_route_send(msg, &batches[i]) < 0 && full == NULL)
			full = batches[i].dest;
	if (msg->requests > 0) {
		/* the last reply routes what is left */
	} else if (full != NULL) {
		qmgr_active_park(msg);
		qmgr_dest_wait(full, msg);
	} else {
		qmgr_active_finish(msg);
	}
	for (size_t i = 0; i < nbatches; i++) {
		qmgr_dest_put(batches[i].dest);
		mem_free(batches[i].rcpts);
	}
	mem_free(batches);
}
