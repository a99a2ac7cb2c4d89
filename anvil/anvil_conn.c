/*
 * anvil_conn: one client socket of anvil (an smtpd process). Requests
 * arrive as lib/ipc messages, several at once when the client pipelines;
 * each gets its reply, and the replies go out together.
 *
 * The socket remembers the connections registered over it: a disconnect
 * counts only for one of them (a stray or repeated one changes nothing),
 * and closing the socket, which is what happens when the smtpd exits or
 * dies, releases those still open.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "anvil.h"
#include "anvil_proto.h"
#include "ipc.h"
#include "log.h"
#include "mem.h"

/* The requests that count one event and answer with its rate. */
static const struct anvil_rate_request {
	const char *name;
	enum anvil_event event;
} anvil_rate_requests[] = {
	{ ANVIL_REQ_MESSAGE, ANVIL_EVENT_MESSAGE },
	{ ANVIL_REQ_RECIPIENT, ANVIL_EVENT_RECIPIENT },
	{ ANVIL_REQ_AUTH, ANVIL_EVENT_AUTH },
};

#define ANVIL_RATE_REQUESTS (sizeof(anvil_rate_requests) / sizeof(anvil_rate_requests[0]))

void anvil_conn_init(anvil_conn_t *conn, int fd)
{
	memset(conn, 0, sizeof(*conn));
	conn->st = stream_open(fd);
	stream_set_timeout(conn->st, ANVIL_WRITE_TIMEOUT);
}

/* Printable, no spaces, and not too long: idents end up in the log. */
static int anvil_conn_ident_ok(const char *ident)
{
	size_t len = ident ? strlen(ident) : 0;

	if (len == 0 || len > ANVIL_IDENT_MAX)
		return 0;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)ident[i] <= ' ' || (unsigned char)ident[i] >= 0x7f)
			return 0;
	return 1;
}

static int anvil_conn_hold(anvil_conn_t *conn, const char *ident)
{
	if (conn->nheld >= ANVIL_CONN_HOLD_MAX)
		return -1;
	conn->held[conn->nheld++] = mem_strdup(ident);
	return 0;
}

/* 0 when the socket held a connection of ident (now let go), else -1. */
static int anvil_conn_unhold(anvil_conn_t *conn, const char *ident)
{
	for (size_t i = 0; i < conn->nheld; i++) {
		if (strcmp(conn->held[i], ident) == 0) {
			mem_free(conn->held[i]);
			conn->held[i] = conn->held[--conn->nheld];
			return 0;
		}
	}
	return -1;
}

static int anvil_conn_connect(anvil_conn_t *conn, const char *ident, ipc_msg_t *reply)
{
	long count, rate;

	if (anvil_conn_hold(conn, ident) < 0)
		return -1;
	anvil_table_connect(anvil_table, ident, anvil_now(), &count, &rate);
	ipc_add_int(reply, ANVIL_ATTR_COUNT, count);
	ipc_add_int(reply, ANVIL_ATTR_RATE, rate);
	return 0;
}

static void anvil_conn_disconnect(anvil_conn_t *conn, const char *ident)
{
	if (anvil_conn_unhold(conn, ident) == 0)
		anvil_table_disconnect(anvil_table, ident, anvil_now());
}

static int anvil_conn_rate(const char *request, const char *ident, ipc_msg_t *reply)
{
	for (size_t i = 0; i < ANVIL_RATE_REQUESTS; i++) {
		if (strcmp(request, anvil_rate_requests[i].name) == 0) {
			ipc_add_int(reply, ANVIL_ATTR_RATE,
				    anvil_table_event(anvil_table, ident, anvil_rate_requests[i].event,
						      anvil_now()));
			return 0;
		}
	}
	return -1;
}

/* The reply to one request: its numbers, and its status. */
static void anvil_conn_request(anvil_conn_t *conn, const ipc_msg_t *req, ipc_msg_t *reply)
{
	const char *request = ipc_get(req, ANVIL_ATTR_REQUEST);
	const char *ident = ipc_get(req, ANVIL_ATTR_IDENT);
	int status = -1;

	ipc_clear(reply);
	if (request != NULL && anvil_conn_ident_ok(ident)) {
		if (strcmp(request, ANVIL_REQ_CONNECT) == 0) {
			status = anvil_conn_connect(conn, ident, reply);
		} else if (strcmp(request, ANVIL_REQ_DISCONNECT) == 0) {
			anvil_conn_disconnect(conn, ident);
			status = 0;
		} else {
			status = anvil_conn_rate(request, ident, reply);
		}
	}
	ipc_add_int(reply, ANVIL_ATTR_STATUS, status == 0 ? ANVIL_STATUS_OK : ANVIL_STATUS_FAIL);
}

/* Answer every complete request in the input; -1 on a malformed one. */
static int anvil_conn_answer(anvil_conn_t *conn)
{
	ipc_msg_t *req = ipc_new();
	ipc_msg_t *reply = ipc_new();
	size_t used = 0;
	int status;

	while ((status = ipc_parse(conn->input.data, conn->input.len, req, &used)) == 0) {
		anvil_conn_request(conn, req, reply);
		if (ipc_write(conn->st, reply) != STREAM_OK)
			break;
		memmove(conn->input.data, conn->input.data + used, conn->input.len - used);
		str_truncate(&conn->input, conn->input.len - used);
	}
	ipc_free(req);
	ipc_free(reply);
	if (status == IPC_INCOMPLETE && conn->input.len <= ANVIL_REQUEST_MAX)
		return stream_flush(conn->st) == STREAM_OK ? 0 : -1;
	return -1;
}

int anvil_conn_input(anvil_conn_t *conn)
{
	char buf[ANVIL_READ_CHUNK];
	ssize_t n = recv(stream_fd(conn->st), buf, sizeof(buf), MSG_DONTWAIT);

	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
	if (n == 0)
		return -1;
	str_append(&conn->input, buf, (size_t)n);
	return anvil_conn_answer(conn);
}

void anvil_conn_close(anvil_conn_t *conn)
{
	long now = anvil_now();

	for (size_t i = 0; i < conn->nheld; i++) {
		anvil_table_disconnect(anvil_table, conn->held[i], now);
		mem_free(conn->held[i]);
	}
	conn->nheld = 0;
	str_free(&conn->input);
	stream_close(conn->st);
	conn->st = NULL;
}
