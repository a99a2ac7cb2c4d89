/*
 * qmgr_deliver: requests to delivery agents over their Unix sockets.
 *
 * A transport holds up to its concurrency limit of connections; each
 * carries one request at a time and stays open for the next, so one local
 * process serves many messages without a fork each. The event loop's
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

#include "log.h"
#include "mem.h"
#include "qmgr.h"

#define QMGR_REASON_MAX 128
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
	str_t reply;			/* its reply so far, at most IPC_WIRE_MAX bytes */
	size_t *rcpts;			/* its recipients (indexes) */
	size_t nrcpts;
	qmgr_times_t times;
} qmgr_conn_t;

struct qmgr_transport {
	const char *name;		/* relay= in the log */
	const char *socket_path;	/* relative to queue_directory */
	size_t limit;			/* requests in flight at once */
	size_t busy;
	qmgr_conn_t *conns;		/* limit slots */
};

static qmgr_transport_t qmgr_local = { .name = "local", .socket_path = "private/local" };
static qmgr_transport_t *const qmgr_transports[] = { &qmgr_local };
#define QMGR_NTRANSPORTS (sizeof(qmgr_transports) / sizeof(qmgr_transports[0]))

static qmgr_conn_t *qmgr_polled[QMGR_POLLFD_MAX];	/* conns behind the last pollfds */

static void qmgr_transport_setup(qmgr_transport_t *tr, long limit)
{
	if (tr->conns != NULL)
		return;
	tr->limit = (size_t)limit;
	tr->conns = mem_calloc(tr->limit, sizeof(*tr->conns));
	for (size_t i = 0; i < tr->limit; i++)
		tr->conns[i].tr = tr;
}

qmgr_transport_t *qmgr_transport_local(void)
{
	qmgr_transport_setup(&qmgr_local, qmgr_conf.local_limit);
	return &qmgr_local;
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
}

/* An idle connection, else a new one in a free slot; NULL when it fails. */
static qmgr_conn_t *qmgr_conn_get(qmgr_transport_t *tr)
{
	qmgr_conn_t *slot = NULL;

	for (size_t i = 0; i < tr->limit; i++) {
		qmgr_conn_t *conn = &tr->conns[i];

		if (conn->st != NULL && conn->msg == NULL)
			return conn;
		if (conn->st == NULL && slot == NULL)
			slot = conn;
	}
	if (slot == NULL)
		log_panic("qmgr_deliver: no free %s slot", tr->name);
	if ((slot->st = qmgr_connect(tr->socket_path)) == NULL) {
		log_warning("connect to %s: %m", tr->socket_path);
		return NULL;
	}
	slot->uses = 0;
	return slot;
}

static int qmgr_conn_send(qmgr_conn_t *conn, const qmgr_message_t *msg, const size_t *rcpts,
			  size_t n)
{
	ipc_msg_t *req = ipc_new();
	int rc;

	ipc_add(req, "queue_id", msg->id);
	ipc_add(req, "queue_dir", QUEUE_ACTIVE);
	ipc_add(req, "sender", msg->qm.sender);
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

static void qmgr_conn_begin(qmgr_conn_t *conn, qmgr_message_t *msg, const size_t *rcpts,
			    size_t n, const qmgr_times_t *times)
{
	conn->msg = msg;
	conn->rcpts = mem_alloc(n * sizeof(*rcpts));
	memcpy(conn->rcpts, rcpts, n * sizeof(*rcpts));
	conn->nrcpts = n;
	conn->times = *times;
	conn->tr->busy++;
	msg->requests++;
	for (size_t i = 0; i < n; i++)
		msg->state[rcpts[i]] = QMGR_RCPT_BUSY;
}

void qmgr_deliver(qmgr_transport_t *tr, qmgr_message_t *msg, const size_t *rcpts, size_t n)
{
	qmgr_times_t times = { .start = qmgr_now() };
	qmgr_conn_t *conn;
	int reused;

	/* A reused connection may have been closed by its agent (reload):
	 * drop it and take the next; a fresh one that fails is final. */
	while ((conn = qmgr_conn_get(tr)) != NULL) {
		times.connected = qmgr_now();
		if (qmgr_conn_send(conn, msg, rcpts, n) == 0) {
			qmgr_conn_begin(conn, msg, rcpts, n, &times);
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

/* The request on conn is over (its recipients are settled or back to TODO). */
static void qmgr_request_end(qmgr_conn_t *conn)
{
	qmgr_message_t *msg = conn->msg;

	conn->msg = NULL;
	str_reset(&conn->reply);
	mem_free(conn->rcpts);
	conn->rcpts = NULL;
	conn->tr->busy--;
	conn->idle_since = qmgr_now();
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
static void qmgr_conn_done(qmgr_conn_t *conn, const ipc_msg_t *reply, size_t used)
{
	qmgr_reply_apply(conn->msg, conn->rcpts, conn->nrcpts, reply, conn->tr->name,
			 &conn->times);
	if (conn->uses >= QMGR_CONN_USE_MAX || used < conn->reply.len)
		qmgr_conn_close(conn);
}

/* The socket is readable: take what arrived; the request ends when its
 * reply is complete, malformed, or cut off. */
static void qmgr_conn_reply(qmgr_conn_t *conn)
{
	enum qmgr_input input = qmgr_conn_input(conn);
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
		qmgr_conn_done(conn, reply, used);
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
	qmgr_request_end(conn);
}

size_t qmgr_deliver_in_flight(void)
{
	size_t busy = 0;

	for (size_t t = 0; t < QMGR_NTRANSPORTS; t++)
		busy += qmgr_transports[t]->busy;
	return busy;
}

size_t qmgr_deliver_pollfds(struct pollfd *fds, size_t max)
{
	size_t n = 0;

	for (size_t t = 0; t < QMGR_NTRANSPORTS; t++) {
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
	double now = qmgr_now();

	for (size_t t = 0; t < QMGR_NTRANSPORTS; t++) {
		qmgr_transport_t *tr = qmgr_transports[t];

		for (size_t i = 0; i < tr->limit; i++) {
			qmgr_conn_t *conn = &tr->conns[i];

			if (conn->st == NULL)
				continue;
			if (conn->msg != NULL && now - conn->times.start > (double)qmgr_conf.ipc_timeout) {
				conn->times.done = now;
				qmgr_conn_fail(conn, "4.4.2", "timeout waiting for");
				qmgr_request_end(conn);
			} else if (conn->msg == NULL && now - conn->idle_since > QMGR_CONN_IDLE_MAX) {
				qmgr_conn_close(conn);
			}
		}
	}
}
