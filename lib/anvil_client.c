/*
 * anvil_client: requests to the anvil service over one kept connection,
 * failing open (see anvil_client.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "anvil_client.h"
#include "anvil_proto.h"
#include "ipc.h"
#include "log.h"
#include "mem.h"
#include "str.h"
#include "stream.h"

struct anvil_client {
	char *path;
	stream_t *st;			/* NULL until opened, and after a failure */
	time_t retry_after;		/* monotonic seconds; 0 when anvil may be asked */
};

anvil_client_t *anvil_client_new(const char *socket_path)
{
	anvil_client_t *c = mem_calloc(1, sizeof(*c));

	c->path = mem_strdup(socket_path);
	return c;
}

static void anvil_client_close(anvil_client_t *c)
{
	if (c->st != NULL)
		stream_close(c->st);
	c->st = NULL;
}

void anvil_client_free(anvil_client_t *c)
{
	if (c == NULL)
		return;
	anvil_client_close(c);
	mem_free(c->path);
	mem_free(c);
}

static time_t anvil_client_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* Connect to anvil's socket; 0, or -1 with the reason in why. */
static int anvil_client_open(anvil_client_t *c, str_t *why)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(c->path) >= sizeof(sun.sun_path)) {
		str_printf(why, "socket path too long");
		return -1;
	}
	strcpy(sun.sun_path, c->path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		str_printf(why, "connect: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	c->st = stream_open(fd);
	stream_set_timeout(c->st, ANVIL_CLIENT_TIMEOUT);
	return 0;
}

static const char *anvil_client_status_text(int status)
{
	switch (status) {
	case STREAM_EOF:
		return "connection closed";
	case STREAM_TIMEOUT:
		return "timeout";
	case IPC_BAD:
		return "malformed reply";
	default:
		return strerror(errno);
	}
}

/* One request and its reply over the open connection: a stream status or
 * IPC_BAD, with the reason in why. */
static int anvil_client_exchange(anvil_client_t *c, const ipc_msg_t *req, ipc_msg_t *reply,
				 str_t *why)
{
	int status = ipc_write(c->st, req);

	if (status == STREAM_OK)
		status = stream_flush(c->st);
	if (status == STREAM_OK)
		status = ipc_read(c->st, reply);
	if (status != STREAM_OK)
		str_printf(why, "%s", anvil_client_status_text(status));
	return status;
}

/* Send req and read the reply, on a fresh connection again when a kept
 * one turns out to be broken; 0, or -1 with the reason in why. */
static int anvil_client_send(anvil_client_t *c, const ipc_msg_t *req, ipc_msg_t *reply,
			     str_t *why)
{
	int kept = c->st != NULL;
	int status;

	if (!kept && anvil_client_open(c, why) < 0)
		return -1;
	status = anvil_client_exchange(c, req, reply, why);
	if (status != STREAM_OK && kept && status != STREAM_TIMEOUT) {
		anvil_client_close(c);
		str_reset(why);
		if (anvil_client_open(c, why) < 0)
			return -1;
		status = anvil_client_exchange(c, req, reply, why);
	}
	if (status != STREAM_OK) {
		anvil_client_close(c);
		return -1;
	}
	if (ipc_get_int(reply, ANVIL_ATTR_STATUS, ANVIL_STATUS_FAIL) != ANVIL_STATUS_OK) {
		str_printf(why, "request refused");
		return -1;
	}
	return 0;
}

/* Ask anvil; 0 with the reply, or -1 after a warning (or while anvil is
 * left alone after an earlier failure). */
static int anvil_client_call(anvil_client_t *c, const char *request, const char *service,
			     const char *addr, ipc_msg_t *reply)
{
	ipc_msg_t *req;
	str_t ident = STR_INIT;
	str_t why = STR_INIT;
	int status = -1;

	if (c->retry_after != 0 && anvil_client_now() < c->retry_after)
		return -1;
	c->retry_after = 0;
	str_printf(&ident, "%s:%s", service, addr);
	if (ident.len > ANVIL_IDENT_MAX) {
		log_warning("anvil: client identity too long: %.*s...", ANVIL_IDENT_MAX, ident.data);
		str_free(&ident);
		return -1;
	}
	req = ipc_new();
	ipc_add(req, ANVIL_ATTR_REQUEST, request);
	ipc_add(req, ANVIL_ATTR_IDENT, ident.data);
	if ((status = anvil_client_send(c, req, reply, &why)) < 0) {
		log_warning("problem talking to service %s: %s; client limits are off for %d seconds",
			    c->path, str_cstr(&why), ANVIL_CLIENT_RETRY_DELAY);
		c->retry_after = anvil_client_now() + ANVIL_CLIENT_RETRY_DELAY;
	}
	ipc_free(req);
	str_free(&ident);
	str_free(&why);
	return status;
}

int anvil_client_connect(anvil_client_t *c, const char *service, const char *addr,
			 long *count, long *rate)
{
	ipc_msg_t *reply = ipc_new();
	int status = anvil_client_call(c, ANVIL_REQ_CONNECT, service, addr, reply);

	*count = ipc_get_int(reply, ANVIL_ATTR_COUNT, 0);
	*rate = ipc_get_int(reply, ANVIL_ATTR_RATE, 0);
	ipc_free(reply);
	return status;
}

int anvil_client_disconnect(anvil_client_t *c, const char *service, const char *addr)
{
	ipc_msg_t *reply = ipc_new();
	int status = anvil_client_call(c, ANVIL_REQ_DISCONNECT, service, addr, reply);

	ipc_free(reply);
	return status;
}

int anvil_client_rate(anvil_client_t *c, const char *request, const char *service,
		      const char *addr, long *rate)
{
	ipc_msg_t *reply = ipc_new();
	int status = anvil_client_call(c, request, service, addr, reply);

	*rate = ipc_get_int(reply, ANVIL_ATTR_RATE, 0);
	ipc_free(reply);
	return status;
}
