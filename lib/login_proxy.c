/*
 * login_proxy: relay a TLS client to its session process (see
 * login_proxy.h). Bytes the TLS layer has already decrypted are relayed
 * before waiting, since poll(2) cannot see them. Each direction writes
 * what it read in full before reading more, so a side that stops reading
 * holds the other one back instead of filling memory.
 */
#include <errno.h>
#include <poll.h>
#include <unistd.h>

#include "fdio.h"
#include "login_proxy.h"

#define LOGIN_PROXY_CHUNK 16384		/* bytes relayed per read */
#define LOGIN_PROXY_MS_PER_SEC 1000

/* Client to session: what is ready now. 1 moved some, 0 none, -1 over. */
static int login_proxy_from_client(stream_t *client, int session_fd, char *buf)
{
	ssize_t n = stream_read_ready(client, buf, LOGIN_PROXY_CHUNK);

	if (n < 0)
		return -1;
	if (n > 0 && fdio_write_all(session_fd, buf, (size_t)n) < 0)
		return -1;
	return n > 0;
}

/* Session to client: one read. -1 when the session is over. */
static int login_proxy_to_client(stream_t *client, int session_fd, char *buf)
{
	ssize_t n = read(session_fd, buf, LOGIN_PROXY_CHUNK);

	if (n < 0 && errno == EINTR)
		return 0;
	if (n <= 0 || stream_write(client, buf, (size_t)n) != STREAM_OK
	    || stream_flush(client) != STREAM_OK)
		return -1;
	return 0;
}

void login_proxy_run(stream_t *client, int session_fd, int timeout)
{
	char buf[LOGIN_PROXY_CHUNK];
	struct pollfd fds[2] = {
		{ .fd = stream_fd(client), .events = POLLIN },
		{ .fd = session_fd, .events = POLLIN },
	};
	int moved;

	for (;;) {
		while ((moved = login_proxy_from_client(client, session_fd, buf)) > 0)
			;
		if (moved < 0)
			return;
		fds[0].revents = fds[1].revents = 0;
		if (poll(fds, 2, timeout > 0 ? timeout * LOGIN_PROXY_MS_PER_SEC : -1) == 0)
			return;
		if (fds[1].revents && login_proxy_to_client(client, session_fd, buf) < 0)
			return;
	}
}
