/*
 * qmgr_deliver: requests to delivery agents over their Unix sockets.
 *
 * A transport is a master.cf service that delivers: qmgr connects to
 * private/NAME. Transports are made on first use with their settings
 * (qmgr_transport.c); each request goes to one destination of the
 * transport (qmgr_dest.c), which hears how it went when it ends.
 *
 * A transport holds up to its process limit of connections; each
 * carries one request at a time and stays open for the next, so one local
 * process serves many messages without a fork each. An idle connection
 * that last served the same next hop is preferred, since the smtp agent
 * behind it may still have that server's session open. The event loop's
 * poll drives everything: a request is written at once (it fits in the
 * socket buffer), and whatever part of the reply has arrived is read
 * without blocking into the connection's own buffer whenever the socket
 * turns readable; the reply is applied once it is complete. So neither a
 * slow delivery nor an agent that stalls halfway through its reply holds
 * up the others; the request's ipc_timeout ends a reply that never
 * completes.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "mem.h"
#include "qmgr.h"
#include "queue_dirs.h"

#define QMGR_REASON_MAX 128
#define QMGR_TRANSPORTS_MAX 32		/* distinct transports in use */
#define QMGR_READ_CHUNK 16384		/* bytes of a reply read at one readable event */

/* What one look at a connection's socket found. */
enum qmgr_input {
	QMGR_INPUT_NONE,		/* nothing new yet */
	QMGR_INPUT_MORE,		/* bytes appended to the reply */
	QMGR_INPUT_EOF,			/* the agent closed the connection */
	QMGR_INPUT_ERROR,
};

typedef struct qmgr_conn {
	qmgr_transport_t *tr;
	stream_t *st;			/* NULL: the slot is free */
	int uses;			/* requests sent over this connection */
	double idle_since;
	qmgr_message_t *msg;		/* the request in flight, NULL when idle */
	qmgr_dest_t *dest;		/* its destination */
	char *last_nexthop;		/* of the last request, NULL before any */
	str_t reply;			/* its reply so far, at most IPC_WIRE_MAX bytes */
	size_t *rcpts;			/* its recipients (indexes) */
	size_t nrcpts;
	qmgr_times_t times;
} qmgr_conn_t;

struct qmgr_transport {
	char *name;			/* relay= in the log unless the agent names one */
	char *socket_path;		/* relative to queue_directory */
	qmgr_dest_limits_t limits;	/* of each of its destinations */
	size_t limit;			/* requests in flight at once, all destinations */
	size_t busy;
	qmgr_conn_t *conns;		/* limit slots */
};

static qmgr_transport_t *qmgr_transports[QMGR_TRANSPORTS_MAX];
static size_t qmgr_ntransports;
static size_t qmgr_nconns;		/* slots of every transport, at most QMGR_CONNS_MAX */

static qmgr_conn_t *qmgr_polled[QMGR_POLLFD_MAX];	/* conns behind the last pollfds */

/* A master.cf service name that makes a safe socket path. */
static int qmgr_transport_name_ok(const char *name)
{
	size_t len = strlen(name);

	return len > 0 && len < CONF_NAME_MAX && name[0] != '.'
	    && strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == len;
}

/* The transport's process limit, within what is left of QMGR_CONNS_MAX. */
static size_t qmgr_transport_limit(const char *name)
{
	size_t limit = qmgr_transport_process_limit(name);

	return limit < QMGR_CONNS_MAX - qmgr_nconns ? limit : QMGR_CONNS_MAX - qmgr_nconns;
}

qmgr_transport_t *qmgr_transport_get(const char *name)
{
	str_t path = STR_INIT;
	qmgr_transport_t *tr;
	size_t limit;

	for (size_t i = 0; i < qmgr_ntransports; i++)
		if (strcmp(qmgr_transports[i]->name, name) == 0)
			return qmgr_transports[i];
	if (!qmgr_transport_name_ok(name) || qmgr_ntransports == QMGR_TRANSPORTS_MAX
	    || (limit = qmgr_transport_limit(name)) == 0) {
		log_warning("transport %s is not available", name);
		return NULL;
	}
	tr = mem_calloc(1, sizeof(*tr));
	tr->name = mem_strdup(name);
	str_printf(&path, "%s/%s", QUEUE_DIRS_PRIVATE, name);
	tr->socket_path = str_steal(&path);
	tr->limit = limit;
	qmgr_transport_limits_read(name, &tr->limits);
	tr->conns = mem_calloc(limit, sizeof(*tr->conns));
	for (size_t i = 0; i < limit; i++)
		tr->conns[i].tr = tr;
	qmgr_nconns += limit;
	qmgr_transports[qmgr_ntransports++] = tr;
	return tr;
}

const qmgr_dest_limits_t *qmgr_transport_limits(const qmgr_transport_t *tr)
{
	return &tr->limits;
}

int qmgr_transport_has_slot(const qmgr_transport_t *tr)
{
	return tr->busy < tr->limit;
}

static stream_t *qmgr_connect(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	stream_t *st;
	int fd, saved;

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0)
		return NULL;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		saved = errno;
		close(fd);
		errno = saved;
		return NULL;
	}
	st = stream_open(fd);
	stream_set_timeout(st, QMGR_IO_TIMEOUT);
	return st;
}

static void qmgr_conn_close(qmgr_conn_t *conn)
{
	stream_close(conn->st);
	conn->st = NULL;
	str_free(&conn->reply);
	mem_free(conn->last_nexthop);
	conn->last_nexthop = NULL;
}

/* An idle connection (one that last went to nexthop first), else a new
 * one in a free slot; NULL when it fails. */
static qmgr_conn_t *qmgr_conn_get(qmgr_transport_t *tr, const char *nexthop)
{
	qmgr_conn_t *slot = NULL, *idle = NULL;

	for (size_t i = 0; i < tr->limit; i++) {
		qmgr_conn_t *conn = &tr->conns[i];

		if (conn->st != NULL && conn->msg == NULL) {
			if (conn->last_nexthop && strcmp(conn->last_nexthop, nexthop) == 0)
				return conn;
			if (idle == NULL)
				idle = conn;
		}
		if (conn->st == NULL && slot == NULL)
			slot = conn;
	}
	if (idle != NULL)
		return idle;
	if (slot == NULL)
		log_panic("qmgr_deliver: no free %s slot", tr->name);
	if ((slot->st = qmgr_connect(tr->socket_path)) == NULL) {
		log_warning("connect to %s: %m", tr->socket_path);
		return NULL;
	}
	slot->uses = 0;
	return slot;
}

static int qmgr_conn_send(qmgr_conn_t *conn, const qmgr_message_t *msg, const char *nexthop,
			  const size_t *rcpts, size_t n)
{
	ipc_msg_t *req = ipc_new();
	int rc;

	ipc_add(req, "queue_id", msg->id);
	ipc_add(req, "queue_dir", QUEUE_ACTIVE);
	ipc_add(req, "sender", msg->qm.sender);
	ipc_add(req, "nexthop", nexthop);
	for (size_t i = 0; i < n; i++) {
		ipc_add(req, "rcpt", msg->qm.rcpts[rcpts[i]].addr);
		ipc_add_int(req, "offset", (long long)msg->qm.rcpts[rcpts[i]].offset);
	}
	if ((rc = ipc_write(conn->st, req)) == 0)
		rc = stream_flush(conn->st);
	ipc_free(req);
	conn->uses++;
	return rc;
}

static void qmgr_conn_begin(qmgr_conn_t *conn, qmgr_dest_t *dest, qmgr_message_t *msg,
			    const size_t *rcpts, size_t n, const qmgr_times_t *times)
{
	conn->msg = msg;
	conn->dest = dest;
	qmgr_dest_begin(dest);
	mem_free(conn->last_nexthop);
	conn->last_nexthop = mem_strdup(qmgr_dest_nexthop(dest));
	conn->rcpts = mem_alloc(n * sizeof(*rcpts));
	memcpy(conn->rcpts, rcpts, n * sizeof(*rcpts));
	conn->nrcpts = n;
	conn->times = *times;
	conn->tr->busy++;
	msg->requests++;
	for (size_t i = 0; i < n; i++)
		msg->state[rcpts[i]] = QMGR_RCPT_BUSY;
}

void qmgr_deliver(qmgr_dest_t *dest, qmgr_message_t *msg, const size_t *rcpts, size_t n)
{
	qmgr_transport_t *tr = qmgr_dest_transport(dest);
	const char *nexthop = qmgr_dest_nexthop(dest);
	qmgr_times_t times = { .start = qmgr_now() };
	qmgr_conn_t *conn;
	int reused;

	/* A reused connection may have been closed by its agent (reload):
	 * drop it and take the next; a fresh one that fails is final. */
	while ((conn = qmgr_conn_get(tr, nexthop)) != NULL) {
		times.connected = qmgr_now();
		if (qmgr_conn_send(conn, msg, nexthop, rcpts, n) == 0) {
			qmgr_conn_begin(conn, dest, msg, rcpts, n, &times);
			return;
		}
		reused = conn->uses > 1;
		qmgr_conn_close(conn);
		if (!reused) {
			log_warning("%s: cannot send delivery request to %s", msg->id,
				    tr->socket_path);
			break;
		}
	}
	times.connected = times.done = qmgr_now();
	qmgr_rcpt_defer_all(msg, rcpts, n, tr->name, &times, "4.3.0",
			    "mail transport unavailable");
}

static int qmgr_any_todo(const qmgr_message_t *msg)
{
	for (size_t i = 0; i < msg->qm.nrcpts; i++)
		if (msg->state[i] == QMGR_RCPT_TODO)
			return 1;
	return 0;
}

int qmgr_deliver_can_dispatch(void)
{
	for (size_t t = 0; t < qmgr_ntransports; t++)
		if (qmgr_transports[t]->busy < qmgr_transports[t]->limit)
			return 1;
	return qmgr_ntransports == 0;
}

/* The request on conn is over (its recipients are settled or back to
 * TODO); hop tells its destination how it went. */
static void qmgr_request_end(qmgr_conn_t *conn, const qmgr_hop_t *hop)
{
	qmgr_message_t *msg = conn->msg;

	conn->msg = NULL;
	str_reset(&conn->reply);
	mem_free(conn->rcpts);
	conn->rcpts = NULL;
	conn->tr->busy--;
	conn->idle_since = qmgr_now();
	qmgr_dest_end(conn->dest, hop);
	conn->dest = NULL;
	if (--msg->requests > 0)
		return;
	if (qmgr_any_todo(msg))
		qmgr_active_retry(msg);
	else
		qmgr_active_finish(msg);
}

static void qmgr_conn_fail(qmgr_conn_t *conn, const char *dsn, const char *what)
{
	char reason[QMGR_REASON_MAX];

	snprintf(reason, sizeof(reason), "%s %s", what, conn->tr->name);
	log_warning("%s: %s", conn->msg->id, reason);
	qmgr_rcpt_defer_all(conn->msg, conn->rcpts, conn->nrcpts, conn->tr->name, &conn->times,
			    dsn, reason);
	qmgr_conn_close(conn);
}

/* One non-blocking read of what the agent has sent; never more than a
 * whole message can take (a longer reply is malformed, and ipc_parse
 * says so before the buffer is full). The stream only writes requests,
 * so no reply byte waits in its buffer. */
static enum qmgr_input qmgr_conn_input(qmgr_conn_t *conn)
{
	char chunk[QMGR_READ_CHUNK];
	size_t room = IPC_WIRE_MAX - conn->reply.len;
	ssize_t n = read(stream_fd(conn->st), chunk, room < sizeof(chunk) ? room : sizeof(chunk));

	if (n > 0) {
		str_append(&conn->reply, chunk, (size_t)n);
		return QMGR_INPUT_MORE;
	}
	if (n == 0)
		return QMGR_INPUT_EOF;
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
		return QMGR_INPUT_NONE;
	return QMGR_INPUT_ERROR;
}

/* The reply is complete: settle its recipients. Bytes after it mean the
 * agent is out of step: the connection is not used again. */
static void qmgr_conn_done(qmgr_conn_t *conn, const ipc_msg_t *reply, size_t used,
			   qmgr_hop_t *hop)
{
	const char *relay = ipc_get(reply, "relay");	/* the smtp agent's host[addr]:port */

	qmgr_reply_apply(conn->msg, conn->rcpts, conn->nrcpts, reply,
			 relay && *relay ? relay : conn->tr->name, &conn->times, hop);
	if (conn->uses >= QMGR_CONN_USE_MAX || used < conn->reply.len)
		qmgr_conn_close(conn);
}

/* The socket is readable: take what arrived; the request ends when its
 * reply is complete, malformed, or cut off. */
static void qmgr_conn_reply(qmgr_conn_t *conn)
{
	enum qmgr_input input = qmgr_conn_input(conn);
	qmgr_hop_t hop = { .feedback = QMGR_FEEDBACK_NONE };
	ipc_msg_t *reply;
	size_t used = 0;
	int rc = IPC_BAD;

	if (input == QMGR_INPUT_NONE)
		return;
	reply = ipc_new();
	if (input == QMGR_INPUT_MORE &&
	    (rc = ipc_parse(conn->reply.data, conn->reply.len, reply, &used)) == IPC_INCOMPLETE) {
		ipc_free(reply);
		return;
	}
	conn->times.done = qmgr_now();
	if (rc == 0) {
		qmgr_conn_done(conn, reply, used, &hop);
	} else if (input == QMGR_INPUT_EOF && conn->reply.len == 0 && conn->uses > 1) {
		/* The agent closed a reused connection before reading the
		 * request (it was reloading): send it again elsewhere. */
		qmgr_conn_close(conn);
		for (size_t i = 0; i < conn->nrcpts; i++)
			conn->msg->state[conn->rcpts[i]] = QMGR_RCPT_TODO;
	} else {
		qmgr_conn_fail(conn, "4.3.0", "lost connection with");
	}
	ipc_free(reply);
	qmgr_request_end(conn, &hop);
}

size_t qmgr_deliver_in_flight(void)
{
	size_t busy = 0;

	for (size_t t = 0; t < qmgr_ntransports; t++)
		busy += qmgr_transports[t]->busy;
	return busy;
}

size_t qmgr_deliver_pollfds(struct pollfd *fds, size_t max)
{
	size_t n = 0;

	for (size_t t = 0; t < qmgr_ntransports; t++) {
		qmgr_transport_t *tr = qmgr_transports[t];

		for (size_t i = 0; i < tr->limit && n < max; i++) {
			if (tr->conns[i].st == NULL)
				continue;
			fds[n] = (struct pollfd){ .fd = stream_fd(tr->conns[i].st), .events = POLLIN };
			qmgr_polled[n++] = &tr->conns[i];
		}
	}
	return n;
}

void qmgr_deliver_events(const struct pollfd *fds, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		qmgr_conn_t *conn = qmgr_polled[i];

		if (fds[i].revents == 0 || conn->st == NULL)
			continue;
		if (conn->msg != NULL)
			qmgr_conn_reply(conn);
		else
			qmgr_conn_close(conn);	/* an idle agent went away */
	}
}

void qmgr_deliver_timers(void)
{
	static const qmgr_hop_t none = { .feedback = QMGR_FEEDBACK_NONE };
	double now = qmgr_now();

	for (size_t t = 0; t < qmgr_ntransports; t++) {
		qmgr_transport_t *tr = qmgr_transports[t];

		for (size_t i = 0; i < tr->limit; i++) {
			qmgr_conn_t *conn = &tr->conns[i];

			if (conn->st == NULL)
				continue;
			if (conn->msg != NULL && now - conn->times.start > (double)qmgr_conf.ipc_timeout) {
				conn->times.done = now;
				qmgr_conn_fail(conn, "4.4.2", "timeout waiting for");
				qmgr_request_end(conn, &none);
			} else if (conn->msg == NULL && now - conn->idle_since > QMGR_CONN_IDLE_MAX) {
				qmgr_conn_close(conn);
			}
		}
	}
}
