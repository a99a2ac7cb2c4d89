/*
 * stream: buffered, bounded, timed I/O on a descriptor (see stream.h).
 *
 * Reads and writes go through two transport hooks, plain read(2) and
 * send(2)/write(2) unless TLS replaces them. With the plain transport and a
 * timeout, the stream polls before every read(2) and write(2); send(2)
 * never blocks, so it polls only when the socket is full. A replaced transport is called
 * first, because it may hold bytes the descriptor cannot show (decrypted
 * TLS records); it must not block, and reports EAGAIN with the direction it
 * needs, which the stream then polls for within the same timeout.
 *
 * Before reading from the descriptor with nothing buffered, the stream
 * flushes its pending output: a peer cannot answer what it has not seen.
 *
 * In per-request deadline mode the request has a budget of waiting time:
 * each transfer may wait only what is left of it, and is charged the time
 * it took; a read under a minimum data rate earns time back.
 */
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "mem.h"
#include "stream.h"

#define STREAM_MS_PER_SEC 1000

struct stream {
	int fd;
	int timeout;		/* seconds; 0 waits forever */
	int per_request;	/* the timeout bounds a request, not a call */
	long long budget_ms;	/* per_request: waiting time left to the request */
	int min_rate;		/* per_request: bytes/s that earn a second; 0: none */
	int error;		/* sticky enum stream_status, or 0 */
	int plain_io;		/* the default hooks are in place */
	int maybe_socket;	/* until send(2) says ENOTSOCK */
	stream_read_fn read_fn;
	stream_write_fn write_fn;
	void *io_ctx;
	size_t read_pos;	/* next unread byte in read_buf */
	size_t read_end;	/* end of the buffered bytes */
	size_t write_len;	/* bytes waiting in write_buf */
	char read_buf[STREAM_BUF_SIZE];
	char write_buf[STREAM_BUF_SIZE];
};

static ssize_t stream_plain_read(void *ctx, void *buf, size_t len, int *want)
{
	const stream_t *st = ctx;

	*want = POLLIN;
	return read(st->fd, buf, len);
}

/*
 * On a socket, send without blocking (a slow reader then cannot hold a
 * write past the timeout) and without SIGPIPE (a vanished peer is an
 * error, not a dead daemon); other descriptors get plain write(2).
 */
static ssize_t stream_plain_write(void *ctx, const void *buf, size_t len, int *want)
{
	stream_t *st = ctx;

	*want = POLLOUT;
	if (st->maybe_socket) {
		ssize_t n = send(st->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n >= 0 || errno != ENOTSOCK)
			return n;
		/* write(2) may block: have the caller poll first from now on */
		st->maybe_socket = 0;
		errno = EAGAIN;
		return -1;
	}
	return write(st->fd, buf, len);
}

stream_t *stream_open(int fd)
{
	stream_t *st = mem_calloc(1, sizeof(*st));

	st->fd = fd;
	st->maybe_socket = 1;
	stream_set_io(st, NULL, NULL, NULL);
	return st;
}

void stream_close(stream_t *st)
{
	if (st == NULL)
		return;
	close(st->fd);
	mem_free(st);
}

void stream_no_delay(stream_t *st)
{
	int on = 1;

	(void)setsockopt(st->fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
}

int stream_fd(const stream_t *st)
{
	return st->fd;
}

void stream_set_timeout(stream_t *st, int seconds)
{
	st->timeout = seconds > 0 ? seconds : 0;
	stream_start_request(st);
}

void stream_set_deadline(stream_t *st, int on)
{
	st->per_request = on;
	stream_start_request(st);
}

void stream_start_request(stream_t *st)
{
	st->budget_ms = (long long)st->timeout * STREAM_MS_PER_SEC;
}

void stream_set_min_rate(stream_t *st, int bytes_per_second)
{
	st->min_rate = bytes_per_second > 0 ? bytes_per_second : 0;
}

/* NULL hooks put the plain descriptor transport back. */
void stream_set_io(stream_t *st, stream_read_fn rd, stream_write_fn wr, void *ctx)
{
	st->plain_io = rd == NULL || wr == NULL;
	st->read_fn = st->plain_io ? stream_plain_read : rd;
	st->write_fn = st->plain_io ? stream_plain_write : wr;
	st->io_ctx = st->plain_io ? st : ctx;
}

int stream_error(const stream_t *st)
{
	return st->error;
}

static int stream_fail(stream_t *st, int status, int err)
{
	st->error = status;
	errno = err;
	return status;
}

static long long stream_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * STREAM_MS_PER_SEC + ts.tv_nsec / 1000000;
}

/* Wait until fd is ready for events or deadline_ms passes (-1: never). */
static int stream_wait(stream_t *st, int events, long long deadline_ms)
{
	struct pollfd pfd = { .fd = st->fd, .events = (short)events };

	for (;;) {
		long long left = deadline_ms < 0 ? -1 : deadline_ms - stream_now_ms();
		int n;

		if (deadline_ms >= 0 && left <= 0)
			return stream_fail(st, STREAM_TIMEOUT, ETIMEDOUT);
		n = poll(&pfd, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (n > 0 && (pfd.revents & POLLNVAL))
			return stream_fail(st, STREAM_ERROR, EBADF);
		if (n > 0)
			return STREAM_OK;
		if (n < 0 && errno != EINTR)
			return stream_fail(st, STREAM_ERROR, errno);
		/* poll timed out or was interrupted: the deadline check decides */
	}
}

/* When a transfer starting at now_ms must be done by (-1: no limit). */
static long long stream_deadline_ms(const stream_t *st, long long now_ms)
{
	if (st->timeout == 0)
		return -1;
	if (st->per_request)
		return now_ms + st->budget_ms;
	return now_ms + (long long)st->timeout * STREAM_MS_PER_SEC;
}

/* Per request: charge a transfer's time to the request, credit what it read. */
static void stream_account(stream_t *st, long long started_ms, ssize_t bytes_read)
{
	long long full_ms = (long long)st->timeout * STREAM_MS_PER_SEC;

	if (!st->per_request)
		return;
	st->budget_ms -= stream_now_ms() - started_ms;
	if (bytes_read > 0 && st->min_rate > 0)
		st->budget_ms += (long long)bytes_read * STREAM_MS_PER_SEC / st->min_rate;
	if (st->budget_ms > full_ms)
		st->budget_ms = full_ms;
}

/* One transfer in direction (POLLIN or POLLOUT) until deadline_ms. */
static ssize_t stream_transfer_until(stream_t *st, int direction, void *buf, size_t len,
				     long long deadline_ms)
{
	/* A read polls first (the next request is rarely there yet); a send
	 * on a socket cannot block, so it goes first and polls on EAGAIN. */
	int must_wait = st->plain_io && st->timeout > 0
			&& !(direction == POLLOUT && st->maybe_socket);
	int want = direction;

	for (;;) {
		ssize_t n;

		if (must_wait) {
			int status = stream_wait(st, want, deadline_ms);

			if (status != STREAM_OK)
				return status;
		}
		want = direction;
		if (direction == POLLIN)
			n = st->read_fn(st->io_ctx, buf, len, &want);
		else
			n = st->write_fn(st->io_ctx, buf, len, &want);
		if (n >= 0)
			return n;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			must_wait = 1;
		else if (errno != EINTR)
			return stream_fail(st, STREAM_ERROR, errno);
	}
}

/* One transfer in direction (POLLIN or POLLOUT): bytes moved (0 = EOF) or
 * a status. A request whose time is used up transfers nothing more, even
 * from a transport that never has to wait. */
static ssize_t stream_transfer(stream_t *st, int direction, void *buf, size_t len)
{
	long long started_ms = stream_now_ms();
	ssize_t n;

	if (st->per_request && st->timeout > 0 && st->budget_ms <= 0)
		return stream_fail(st, STREAM_TIMEOUT, ETIMEDOUT);
	n = stream_transfer_until(st, direction, buf, len, stream_deadline_ms(st, started_ms));
	stream_account(st, started_ms, direction == POLLIN ? n : 0);
	return n;
}

/* Write out the whole output buffer. */
static int stream_drain(stream_t *st)
{
	size_t done = 0;

	while (done < st->write_len) {
		ssize_t n = stream_transfer(st, POLLOUT, st->write_buf + done, st->write_len - done);

		if (n < 0)
			return (int)n;
		if (n == 0)
			return stream_fail(st, STREAM_ERROR, EIO);
		done += (size_t)n;
	}
	st->write_len = 0;
	return STREAM_OK;
}

int stream_flush(stream_t *st)
{
	if (st->error)
		return st->error;
	return stream_drain(st);
}

/* Refill an empty read buffer: bytes read, 0 at EOF, or a status. */
static ssize_t stream_fill(stream_t *st)
{
	ssize_t n;
	int status;

	if (st->error)
		return st->error;
	if ((status = stream_flush(st)) != STREAM_OK)
		return status;
	st->read_pos = st->read_end = 0;
	n = stream_transfer(st, POLLIN, st->read_buf, sizeof(st->read_buf));
	if (n > 0)
		st->read_end = (size_t)n;
	return n;
}

/* Move up to max buffered bytes into out, stopping after stop (if >= 0). */
static size_t stream_take(stream_t *st, str_t *out, size_t max, int stop, int *found)
{
	const char *start = st->read_buf + st->read_pos;
	size_t avail = st->read_end - st->read_pos;
	size_t n = avail < max ? avail : max;
	const char *hit = stop >= 0 ? memchr(start, stop, n) : NULL;

	if (hit)
		n = (size_t)(hit - start) + 1;
	*found = hit != NULL;
	str_append(out, start, n);
	st->read_pos += n;
	return n;
}

int stream_getline(stream_t *st, str_t *line, size_t limit)
{
	int found = 0;

	if (limit == 0)
		log_panic("stream_getline: zero limit");
	str_reset(line);
	if (st->error)
		return st->error;
	for (;;) {
		ssize_t n;

		stream_take(st, line, limit - line->len, '\n', &found);
		if (found)
			return STREAM_OK;
		if (line->len == limit)
			return STREAM_TOOLONG;
		n = stream_fill(st);
		if (n == 0)
			return line->len ? STREAM_OK : STREAM_EOF;
		if (n < 0)
			return (int)n;
	}
}

int stream_read_exact(stream_t *st, str_t *out, size_t len)
{
	size_t got = 0;
	int found;

	if (st->error)
		return st->error;
	while (got < len) {
		ssize_t n;

		got += stream_take(st, out, len - got, -1, &found);
		if (got == len)
			break;
		n = stream_fill(st);
		if (n == 0)
			return STREAM_EOF;
		if (n < 0)
			return (int)n;
	}
	return STREAM_OK;
}

size_t stream_pending(const stream_t *st)
{
	return st->read_end - st->read_pos;
}

size_t stream_peek(const stream_t *st, const char **data)
{
	*data = st->read_buf + st->read_pos;
	return st->read_end - st->read_pos;
}

void stream_discard_pending(stream_t *st)
{
	st->read_pos = st->read_end = 0;
}

int stream_preload(stream_t *st, const void *data, size_t len)
{
	size_t pending = st->read_end - st->read_pos;

	if (len > sizeof(st->read_buf) - pending)
		return -1;
	memmove(st->read_buf + len, st->read_buf + st->read_pos, pending);
	memcpy(st->read_buf, data, len);
	st->read_pos = 0;
	st->read_end = len + pending;
	return 0;
}

ssize_t stream_read_ready(stream_t *st, void *buf, size_t len)
{
	struct pollfd pfd = { .fd = st->fd, .events = POLLIN };
	size_t pending = st->read_end - st->read_pos;
	int want = POLLIN;
	ssize_t n;

	if (st->error)
		return st->error;
	if (pending > 0) {
		n = (ssize_t)(pending < len ? pending : len);
		memcpy(buf, st->read_buf + st->read_pos, (size_t)n);
		st->read_pos += (size_t)n;
		return n;
	}
	if (st->plain_io && poll(&pfd, 1, 0) == 0)
		return 0;
	n = st->read_fn(st->io_ctx, buf, len, &want);
	if (n > 0)
		return n;
	if (n == 0)
		return STREAM_EOF;
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
		return 0;
	return stream_fail(st, STREAM_ERROR, errno);
}

int stream_write(stream_t *st, const void *data, size_t len)
{
	const char *bytes = data;

	if (st->error)
		return st->error;
	while (len > 0) {
		size_t room = sizeof(st->write_buf) - st->write_len;
		size_t n = len < room ? len : room;

		if (room == 0) {
			int status = stream_drain(st);

			if (status != STREAM_OK)
				return status;
			continue;
		}
		memcpy(st->write_buf + st->write_len, bytes, n);
		st->write_len += n;
		bytes += n;
		len -= n;
	}
	return STREAM_OK;
}

int stream_puts(stream_t *st, const char *s)
{
	return stream_write(st, s, strlen(s));
}

int stream_printf(stream_t *st, const char *fmt, ...)
{
	str_t text = STR_INIT;
	va_list ap;
	int status;

	va_start(ap, fmt);
	str_vprintf(&text, fmt, ap);
	va_end(ap);
	status = stream_write(st, text.data, text.len);
	str_free(&text);
	return status;
}
