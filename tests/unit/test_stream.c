/*
 * test_stream: buffered streams over a socketpair - line reading with
 * limits, EOF, timeouts, exact reads, pipelining counts, bytes put back
 * (preload) and taken without waiting (read_ready), write buffering,
 * sticky errors, replaced transports, and per-request deadlines against a
 * peer that trickles bytes.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "str.h"
#include "stream.h"

#define TEST_LIMIT 10
#define TEST_BIG (3 * STREAM_BUF_SIZE + 5)
#define TEST_WRITE_ROUNDS_MAX 1000	/* TEST_BIG each: far beyond any socket buffer */

/* One end as a stream, the other as a raw descriptor for the test to drive. */
static stream_t *test_pair(int *peer)
{
	int fds[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
	*peer = fds[1];
	return stream_open(fds[0]);
}

static void test_send(int fd, const char *text)
{
	size_t len = strlen(text);

	ck_assert_int_eq(write(fd, text, len), (ssize_t)len);
}

/* Reads what the stream side sent, waiting at most a second. */
static size_t test_receive(int fd, char *buf, size_t size)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	size_t got = 0;

	while (got < size && poll(&pfd, 1, 1000) == 1) {
		ssize_t n = read(fd, buf + got, size - got);

		if (n <= 0)
			break;
		got += (size_t)n;
	}
	return got;
}

static int test_peer_has_data(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	return poll(&pfd, 1, 0) == 1;
}

START_TEST(test_crlf_and_bare_lf_lines)
{
	int peer;
	stream_t *st = test_pair(&peer);
	str_t line = STR_INIT;

	test_send(peer, "HELO client\r\nMAIL FROM:<a@b>\nRCPT\r\n");
	ck_assert_int_eq(stream_getline(st, &line, 512), STREAM_OK);
	ck_assert_str_eq(str_cstr(&line), "HELO client\r\n");
	ck_assert_int_eq(stream_getline(st, &line, 512), STREAM_OK);
	ck_assert_str_eq(str_cstr(&line), "MAIL FROM:<a@b>\n");
	ck_assert_int_eq(stream_getline(st, &line, 512), STREAM_OK);
	ck_assert_str_eq(str_cstr(&line), "RCPT\r\n");
	str_free(&line);
	stream_close(st);
	close(peer);
}
END_TEST

START_TEST(test_line_at_limit_and_one_over)
{
	int peer;
	stream_t *st = test_pair(&peer);
	str_t line = STR_INIT;

	test_send(peer, "123456789\n" "1234567890\n" "next\n");
	ck_assert_int_eq(stream_getline(st, &line, TEST_LIMIT), STREAM_OK);
	ck_assert_str_eq(str_cstr(&line), "123456789\n");
	ck_assert_int_eq(stream_getline(st, &line, TEST_LIMIT), STREAM_TOOLONG);
	ck_assert_str_eq(str_cstr(&line), "1234567890");
	ck_assert_int_eq(stream_getline(st, &line, TEST_LIMIT), STREAM_OK);
	ck_assert_str_eq(str_cstr(&line), "\n");
	ck_assert_int_eq(stream_getline(st, &line, TEST_LIMIT), STREAM_OK);
	ck_assert_str_eq(str_cstr(&line), "next\n");
	ck_assert_int_eq(stream_error(st), 0);
	str_free(&line);
	stream_close(st);
	close(peer);
}
END_TEST

START_TEST(test_long_line_continues_across_calls)
{
	int peer;
	stream_t *st = test_pair(&peer);
	str_t line = STR_INIT;

	test_send(peer, "aaaaaaaaaabbbbbbbbbbcc\r\n");
	ck_assert_int_eq(stream_getline(st, &line, TEST_LIMIT), STREAM_TOOLONG);
	ck_assert_str_eq(str_cstr(&line), "aaaaaaaaaa");
	ck_assert_int_eq(stream_getline(st, &line, TEST_LIMIT), STREAM_TOOLONG);
	ck_assert_str_eq(str_cstr(&line), "bbbbbbbbbb");
	ck_assert_int_eq(stream_getline(st, &line, TEST_LIMIT), STREAM_OK);
	ck_assert_str_eq(str_cstr(&line), "cc\r\n");
	str_free(&line);
	stream_close(st);
	close(peer);
}
END_TEST

START_TEST(test_line_split_across_packets)
{
	int peer;
	stream_t *st = test_pair(&peer);
	str_t line = STR_INIT;
	str_t big = STR_INIT;

	for (int i = 0; i < TEST_BIG; i++)
		str_putc(&big, 'x');
	str_putc(&big, '\n');
	ck_assert_int_eq(write(peer, big.data, big.len), (ssize_t)big.len);
	ck_assert_int_eq(stream_getline(st, &line, TEST_BIG + 1), STREAM_OK);
	ck_assert_uint_eq(line.len, big.len);
	ck_assert_mem_eq(line.data, big.data, big.len);
	str_free(&big);
	str_free(&line);
	stream_close(st);
	close(peer);
}
END_TEST

START_TEST(test_eof_mid_line_then_eof)
{
	int peer;
	stream_t *st = test_pair(&peer);
	str_t line = STR_INIT;

	test_send(peer, "QUIT\r\npartial");
	close(peer);
	ck_assert_int_eq(stream_getline(st, &line, 512), STREAM_OK);
	ck_assert_str_eq(str_cstr(&line), "QUIT\r\n");
	ck_assert_int_eq(stream_getline(st, &line, 512), STREAM_OK);
	ck_assert_str_eq(str_cstr(&line), "partial");
	ck_assert_int_eq(stream_getline(st, &line, 512), STREAM_EOF);
	ck_assert_str_eq(str_cstr(&line), "");
	str_free(&line);
	stream_close(st);
}
END_TEST

START_TEST(test_eof_at_start)
{
	int peer;
	stream_t *st = test_pair(&peer);
	str_t line = STR_INIT;

	close(peer);
	ck_assert_int_eq(stream_getline(st, &line, 512), STREAM_EOF);
	ck_assert_int_eq(stream_error(st), 0);
	str_free(&line);
	stream_close(st);
}
END_TEST

START_TEST(test_timeout_is_bounded_and_sticky)
{
	int peer;
	stream_t *st = test_pair(&peer);
	str_t line = STR_INIT;
	time_t start = time(NULL);

	stream_set_timeout(st, 1);
	ck_assert_int_eq(stream_getline(st, &line, 512), STREAM_TIMEOUT);
	ck_assert_int_le(time(NULL) - start, 3);
	ck_assert_int_eq(stream_error(st), STREAM_TIMEOUT);
	/* Data arriving later does not undo the error. */
	test_send(peer, "late\r\n");
	ck_assert_int_eq(stream_getline(st, &line, 512), STREAM_TIMEOUT);
	ck_assert_int_eq(stream_write(st, "x", 1), STREAM_TIMEOUT);
	str_free(&line);
	stream_close(st);
	close(peer);
}
END_TEST

START_TEST(test_timeout_not_hit_when_data_arrives)
{
	int peer;
	stream_t *st = test_pair(&peer);
	str_t line = STR_INIT;

	stream_set_timeout(st, 1);
	test_send(peer, "220 ready\r\n");
	ck_assert_int_eq(stream_getline(st, &line, 512), STREAM_OK);
	ck_assert_str_eq(str_cstr(&line), "220 ready\r\n");
	ck_assert_int_eq(stream_error(st), 0);
	str_free(&line);
	stream_close(st);
	close(peer);
}
END_TEST

START_TEST(test_preload_goes_before_buffered_bytes)
{
	int peer;
	stream_t *st = test_pair(&peer);
	str_t line = STR_INIT;
	static char too_big[STREAM_BUF_SIZE];

	test_send(peer, "USER a\r\nSTAT\r\n");
	ck_assert_int_eq(stream_getline(st, &line, 512), STREAM_OK);
	ck_assert_int_eq(stream_preload(st, "LIST\r\n", 6), 0);
	ck_assert_int_eq(stream_getline(st, &line, 512), STREAM_OK);
	ck_assert_str_eq(str_cstr(&line), "LIST\r\n");
	ck_assert_int_eq(stream_getline(st, &line, 512), STREAM_OK);
	ck_assert_str_eq(str_cstr(&line), "STAT\r\n");
	/* what does not fit beside the unread bytes is refused, nothing lost */
	test_send(peer, "QUIT\r\n");
	ck_assert_int_eq(stream_read_exact(st, &line, 1), STREAM_OK);
	ck_assert_int_eq(stream_preload(st, too_big, sizeof(too_big)), -1);
	ck_assert_int_eq(stream_getline(st, &line, 512), STREAM_OK);
	ck_assert_str_eq(str_cstr(&line), "UIT\r\n");
	str_free(&line);
	stream_close(st);
	close(peer);
}
END_TEST

START_TEST(test_read_ready_never_waits)
{
	int peer;
	stream_t *st = test_pair(&peer);
	str_t line = STR_INIT;
	char buf[16];

	stream_set_timeout(st, 5);
	ck_assert_int_eq(stream_read_ready(st, buf, sizeof(buf)), 0);	/* nothing yet */
	test_send(peer, "A\r\nBC");
	ck_assert_int_eq(stream_getline(st, &line, 512), STREAM_OK);
	ck_assert_int_eq(stream_read_ready(st, buf, sizeof(buf)), 2);	/* buffered first */
	ck_assert_int_eq(memcmp(buf, "BC", 2), 0);
	test_send(peer, "DEF");
	ck_assert_int_eq(stream_read_ready(st, buf, sizeof(buf)), 3);
	ck_assert_int_eq(memcmp(buf, "DEF", 3), 0);
	close(peer);
	ck_assert_int_eq(stream_read_ready(st, buf, sizeof(buf)), STREAM_EOF);
	str_free(&line);
	stream_close(st);
}
END_TEST

START_TEST(test_read_exact_binary_chunks)
{
	int peer;
	stream_t *st = test_pair(&peer);
	str_t out = STR_INIT;
	str_t line = STR_INIT;

	ck_assert_int_eq(write(peer, "ab\0\r\ncd" "QUIT\r\n", 13), 13);
	ck_assert_int_eq(stream_read_exact(st, &out, 3), STREAM_OK);
	ck_assert_int_eq(stream_read_exact(st, &out, 4), STREAM_OK);
	ck_assert_uint_eq(out.len, 7);
	ck_assert_mem_eq(out.data, "ab\0\r\ncd", 7);
	ck_assert_int_eq(stream_read_exact(st, &out, 0), STREAM_OK);
	ck_assert_int_eq(stream_getline(st, &line, 512), STREAM_OK);
	ck_assert_str_eq(str_cstr(&line), "QUIT\r\n");
	str_free(&line);
	str_free(&out);
	stream_close(st);
	close(peer);
}
END_TEST

START_TEST(test_read_exact_larger_than_buffer)
{
	int peer;
	stream_t *st = test_pair(&peer);
	str_t out = STR_INIT;
	static char data[TEST_BIG];

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (char)(i * 7);
	ck_assert_int_eq(write(peer, data, sizeof(data)), (ssize_t)sizeof(data));
	ck_assert_int_eq(stream_read_exact(st, &out, sizeof(data)), STREAM_OK);
	ck_assert_uint_eq(out.len, sizeof(data));
	ck_assert_mem_eq(out.data, data, sizeof(data));
	str_free(&out);
	stream_close(st);
	close(peer);
}
END_TEST

START_TEST(test_read_exact_eof_short)
{
	int peer;
	stream_t *st = test_pair(&peer);
	str_t out = STR_INIT;

	test_send(peer, "abc");
	close(peer);
	ck_assert_int_eq(stream_read_exact(st, &out, 10), STREAM_EOF);
	ck_assert_str_eq(str_cstr(&out), "abc");
	str_free(&out);
	stream_close(st);
}
END_TEST

START_TEST(test_pending_after_pipelined_burst)
{
	int peer;
	stream_t *st = test_pair(&peer);
	str_t line = STR_INIT;

	ck_assert_uint_eq(stream_pending(st), 0);
	test_send(peer, "MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n");
	ck_assert_int_eq(stream_getline(st, &line, 512), STREAM_OK);
	ck_assert_uint_eq(stream_pending(st), strlen("RCPT TO:<c@d>\r\nDATA\r\n"));
	ck_assert_int_eq(stream_getline(st, &line, 512), STREAM_OK);
	ck_assert_uint_eq(stream_pending(st), strlen("DATA\r\n"));
	ck_assert_int_eq(stream_getline(st, &line, 512), STREAM_OK);
	ck_assert_uint_eq(stream_pending(st), 0);
	str_free(&line);
	stream_close(st);
	close(peer);
}
END_TEST

START_TEST(test_peek_leaves_pending_bytes)
{
	int peer;
	stream_t *st = test_pair(&peer);
	str_t line = STR_INIT;
	const char *data;

	ck_assert_uint_eq(stream_peek(st, &data), 0);
	test_send(peer, "HELO x\r\nMAIL FROM:<a@b>\r\n");
	ck_assert_int_eq(stream_getline(st, &line, 512), STREAM_OK);
	ck_assert_uint_eq(stream_peek(st, &data), strlen("MAIL FROM:<a@b>\r\n"));
	ck_assert_int_eq(memcmp(data, "MAIL FROM:<a@b>\r\n", strlen("MAIL FROM:<a@b>\r\n")), 0);
	ck_assert_int_eq(stream_getline(st, &line, 512), STREAM_OK);
	ck_assert_str_eq(str_cstr(&line), "MAIL FROM:<a@b>\r\n");
	ck_assert_uint_eq(stream_peek(st, &data), 0);
	str_free(&line);
	stream_close(st);
	close(peer);
}
END_TEST

START_TEST(test_discard_pending)
{
	int peer;
	stream_t *st = test_pair(&peer);
	str_t line = STR_INIT;

	test_send(peer, "STARTTLS\r\nMAIL FROM:<injected@example>\r\n");
	ck_assert_int_eq(stream_getline(st, &line, 512), STREAM_OK);
	ck_assert_str_eq(str_cstr(&line), "STARTTLS\r\n");
	stream_discard_pending(st);
	ck_assert_uint_eq(stream_pending(st), 0);
	test_send(peer, "EHLO again\r\n");
	ck_assert_int_eq(stream_getline(st, &line, 512), STREAM_OK);
	ck_assert_str_eq(str_cstr(&line), "EHLO again\r\n");
	str_free(&line);
	stream_close(st);
	close(peer);
}
END_TEST

START_TEST(test_writes_are_buffered_until_flush)
{
	int peer;
	stream_t *st = test_pair(&peer);
	char buf[64];

	ck_assert_int_eq(stream_puts(st, "250-first\r\n"), STREAM_OK);
	ck_assert_int_eq(stream_printf(st, "250 %s %d\r\n", "second", 2), STREAM_OK);
	ck_assert(!test_peer_has_data(peer));
	ck_assert_int_eq(stream_flush(st), STREAM_OK);
	ck_assert_uint_eq(test_receive(peer, buf, 22), 22);
	ck_assert_mem_eq(buf, "250-first\r\n250 second 2\r\n", 22);
	stream_close(st);
	close(peer);
}
END_TEST

START_TEST(test_large_write_arrives_whole)
{
	int peer;
	stream_t *st = test_pair(&peer);
	static char data[TEST_BIG];
	static char got[TEST_BIG];

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (char)(i * 13);
	stream_set_timeout(st, 5);
	ck_assert_int_eq(stream_write(st, data, sizeof(data)), STREAM_OK);
	ck_assert_int_eq(stream_flush(st), STREAM_OK);
	ck_assert_uint_eq(test_receive(peer, got, sizeof(got)), sizeof(got));
	ck_assert_mem_eq(got, data, sizeof(data));
	stream_close(st);
	close(peer);
}
END_TEST

START_TEST(test_read_flushes_pending_output)
{
	int peer;
	stream_t *st = test_pair(&peer);
	str_t line = STR_INIT;
	char buf[16];

	test_send(peer, "reply\n");
	ck_assert_int_eq(stream_puts(st, "request\n"), STREAM_OK);
	ck_assert_int_eq(stream_getline(st, &line, 512), STREAM_OK);
	ck_assert_str_eq(str_cstr(&line), "reply\n");
	ck_assert_uint_eq(test_receive(peer, buf, 8), 8);
	ck_assert_mem_eq(buf, "request\n", 8);
	str_free(&line);
	stream_close(st);
	close(peer);
}
END_TEST

/* Fills the stream's output until it fails; the status of the failure. */
static int test_write_until_failure(stream_t *st)
{
	static char data[TEST_BIG];
	int status = STREAM_OK;

	memset(data, 'x', sizeof(data));
	for (int i = 0; i < TEST_WRITE_ROUNDS_MAX && status == STREAM_OK; i++) {
		status = stream_write(st, data, sizeof(data));
		if (status == STREAM_OK)
			status = stream_flush(st);
	}
	return status;
}

/* SIGPIPE is left at its default: a socket peer's close must not kill us. */
START_TEST(test_write_to_closed_peer_is_sticky)
{
	int peer;
	stream_t *st = test_pair(&peer);
	str_t line = STR_INIT;

	close(peer);
	ck_assert_int_eq(test_write_until_failure(st), STREAM_ERROR);
	ck_assert_int_eq(errno, EPIPE);
	ck_assert_int_eq(stream_error(st), STREAM_ERROR);
	ck_assert_int_eq(stream_puts(st, "more"), STREAM_ERROR);
	ck_assert_int_eq(stream_flush(st), STREAM_ERROR);
	ck_assert_int_eq(stream_getline(st, &line, 512), STREAM_ERROR);
	str_free(&line);
	stream_close(st);
}
END_TEST

START_TEST(test_write_to_closed_pipe)
{
	int fds[2];
	stream_t *st;

	signal(SIGPIPE, SIG_IGN);
	ck_assert_int_eq(pipe(fds), 0);
	close(fds[0]);
	st = stream_open(fds[1]);
	ck_assert_int_eq(test_write_until_failure(st), STREAM_ERROR);
	ck_assert_int_eq(errno, EPIPE);
	stream_close(st);
}
END_TEST

/* A peer that never reads cannot hold a write past the timeout. */
START_TEST(test_write_timeout_when_peer_stops_reading)
{
	int peer;
	stream_t *st = test_pair(&peer);
	time_t start = time(NULL);

	stream_set_timeout(st, 1);
	ck_assert_int_eq(test_write_until_failure(st), STREAM_TIMEOUT);
	ck_assert_int_le(time(NULL) - start, 3);
	ck_assert_int_eq(stream_error(st), STREAM_TIMEOUT);
	stream_close(st);
	close(peer);
}
END_TEST

/* A transport that first claims it must wait, as TLS does mid-record. */
struct test_io {
	int fd;
	int read_calls;
	int write_calls;
	int always_again;
};

static ssize_t test_io_read(void *ctx, void *buf, size_t len, int *want)
{
	struct test_io *io = ctx;

	if (io->read_calls++ == 0 || io->always_again) {
		*want = POLLIN;
		errno = EAGAIN;
		return -1;
	}
	return read(io->fd, buf, len);
}

static ssize_t test_io_write(void *ctx, const void *buf, size_t len, int *want)
{
	struct test_io *io = ctx;

	if (io->write_calls++ == 0) {
		*want = POLLOUT;
		errno = EWOULDBLOCK;
		return -1;
	}
	return write(io->fd, buf, len);
}

START_TEST(test_replaced_transport_retries_after_wait)
{
	int peer;
	stream_t *st = test_pair(&peer);
	struct test_io io = { .fd = stream_fd(st) };
	str_t line = STR_INIT;
	char buf[8];

	stream_set_timeout(st, 2);
	stream_set_io(st, test_io_read, test_io_write, &io);
	test_send(peer, "hello\n");
	ck_assert_int_eq(stream_getline(st, &line, 512), STREAM_OK);
	ck_assert_str_eq(str_cstr(&line), "hello\n");
	ck_assert_int_eq(io.read_calls, 2);
	ck_assert_int_eq(stream_puts(st, "bye\n"), STREAM_OK);
	ck_assert_int_eq(stream_flush(st), STREAM_OK);
	ck_assert_int_eq(io.write_calls, 2);
	ck_assert_uint_eq(test_receive(peer, buf, 4), 4);
	ck_assert_mem_eq(buf, "bye\n", 4);
	stream_set_io(st, NULL, NULL, NULL);
	test_send(peer, "plain\n");
	ck_assert_int_eq(stream_getline(st, &line, 512), STREAM_OK);
	ck_assert_str_eq(str_cstr(&line), "plain\n");
	ck_assert_int_eq(io.read_calls, 2);
	str_free(&line);
	stream_close(st);
	close(peer);
}
END_TEST

START_TEST(test_replaced_transport_times_out)
{
	int peer;
	stream_t *st = test_pair(&peer);
	struct test_io io = { .fd = stream_fd(st), .always_again = 1 };
	str_t line = STR_INIT;
	time_t start = time(NULL);

	stream_set_timeout(st, 1);
	stream_set_io(st, test_io_read, test_io_write, &io);
	test_send(peer, "x");	/* readable, yet the transport never delivers */
	ck_assert_int_eq(stream_getline(st, &line, 512), STREAM_TIMEOUT);
	ck_assert_int_le(time(NULL) - start, 3);
	str_free(&line);
	stream_close(st);
	close(peer);
}
END_TEST

/* A peer that trickles: each call moves one byte, after pause_ms. */
struct test_trickle {
	const char *text;	/* what the peer sends; then EOF */
	size_t pos;
	long pause_ms;
	size_t taken;		/* bytes the peer accepted */
};

#define TEST_TRICKLE_MS 30	/* per byte: 20 bytes take 0.6 s, 40 bytes 1.2 s */

static void test_pause(long ms)
{
	struct timespec ts = { .tv_sec = 0, .tv_nsec = ms * 1000000L };

	nanosleep(&ts, NULL);
}

static ssize_t test_trickle_read(void *ctx, void *buf, size_t len, int *want)
{
	struct test_trickle *t = ctx;

	(void)len;
	(void)want;
	if (t->text[t->pos] == 0)
		return 0;
	test_pause(t->pause_ms);
	*(char *)buf = t->text[t->pos++];
	return 1;
}

static ssize_t test_trickle_write(void *ctx, const void *buf, size_t len, int *want)
{
	struct test_trickle *t = ctx;

	(void)buf;
	(void)len;
	(void)want;
	test_pause(t->pause_ms);
	t->taken++;
	return 1;
}

static stream_t *test_trickle_stream(struct test_trickle *t, int *peer)
{
	stream_t *st = test_pair(peer);

	stream_set_io(st, test_trickle_read, test_trickle_write, t);
	stream_set_timeout(st, 1);
	stream_set_deadline(st, 1);
	return st;
}

#define TEST_LINE20 "1234567890123456789\n"

START_TEST(test_deadline_per_request_cuts_trickle)
{
	struct test_trickle t = { .text = TEST_LINE20 TEST_LINE20 TEST_LINE20,
				  .pause_ms = TEST_TRICKLE_MS };
	int peer;
	stream_t *st = test_trickle_stream(&t, &peer);
	str_t line = STR_INIT;
	time_t start = time(NULL);

	/* each line is well within a request of its own */
	ck_assert_int_eq(stream_getline(st, &line, 512), STREAM_OK);
	ck_assert_str_eq(str_cstr(&line), TEST_LINE20);
	stream_start_request(st);
	ck_assert_int_eq(stream_getline(st, &line, 512), STREAM_OK);
	ck_assert_str_eq(str_cstr(&line), TEST_LINE20);
	/* two lines in one request are not */
	ck_assert_int_eq(stream_getline(st, &line, 512), STREAM_TIMEOUT);
	ck_assert_int_eq(stream_error(st), STREAM_TIMEOUT);
	ck_assert_int_le(time(NULL) - start, 3);
	str_free(&line);
	stream_close(st);
	close(peer);
}
END_TEST

START_TEST(test_deadline_min_rate_earns_time)
{
	struct test_trickle t = { .text = TEST_LINE20 TEST_LINE20, .pause_ms = TEST_TRICKLE_MS };
	int peer;
	stream_t *st = test_trickle_stream(&t, &peer);
	str_t content = STR_INIT;

	/* 1.2 s for 40 bytes at a timeout of 1 s: each byte earns 100 ms */
	stream_set_min_rate(st, 10);
	ck_assert_int_eq(stream_read_exact(st, &content, 40), STREAM_OK);
	ck_assert_str_eq(str_cstr(&content), TEST_LINE20 TEST_LINE20);
	ck_assert_int_eq(stream_error(st), 0);
	str_free(&content);
	stream_close(st);
	close(peer);
}
END_TEST

START_TEST(test_deadline_earned_time_capped_at_timeout)
{
	int peer;
	stream_t *st = test_pair(&peer);
	str_t line = STR_INIT;
	time_t start = time(NULL);

	stream_set_timeout(st, 1);
	stream_set_deadline(st, 1);
	stream_set_min_rate(st, 1);	/* these bytes would earn 10 s... */
	test_send(peer, "0123456789");
	/* ...but a silent peer is still cut off after the timeout */
	ck_assert_int_eq(stream_getline(st, &line, 512), STREAM_TIMEOUT);
	ck_assert_int_le(time(NULL) - start, 2);
	str_free(&line);
	stream_close(st);
	close(peer);
}
END_TEST

START_TEST(test_deadline_cuts_slow_reader)
{
	struct test_trickle t = { .text = "", .pause_ms = TEST_TRICKLE_MS };
	int peer;
	stream_t *st = test_trickle_stream(&t, &peer);

	ck_assert_int_eq(stream_puts(st, TEST_LINE20 TEST_LINE20), STREAM_OK);
	ck_assert_int_eq(stream_flush(st), STREAM_TIMEOUT);
	ck_assert_uint_lt(t.taken, 40);
	stream_close(st);
	close(peer);
}
END_TEST

Suite *suite_stream(void)
{
	Suite *suite = suite_create("stream");
	TCase *lines = tcase_create("lines");
	TCase *exact = tcase_create("exact");
	TCase *output = tcase_create("output");
	TCase *transport = tcase_create("transport");
	TCase *deadline = tcase_create("deadline");

	tcase_add_test(lines, test_crlf_and_bare_lf_lines);
	tcase_add_test(lines, test_line_at_limit_and_one_over);
	tcase_add_test(lines, test_long_line_continues_across_calls);
	tcase_add_test(lines, test_line_split_across_packets);
	tcase_add_test(lines, test_eof_mid_line_then_eof);
	tcase_add_test(lines, test_eof_at_start);
	tcase_add_test(lines, test_timeout_is_bounded_and_sticky);
	tcase_add_test(lines, test_timeout_not_hit_when_data_arrives);
	tcase_add_test(lines, test_pending_after_pipelined_burst);
	tcase_add_test(lines, test_peek_leaves_pending_bytes);
	tcase_add_test(lines, test_discard_pending);
	tcase_add_test(lines, test_preload_goes_before_buffered_bytes);
	tcase_add_test(lines, test_read_ready_never_waits);
	tcase_add_test(exact, test_read_exact_binary_chunks);
	tcase_add_test(exact, test_read_exact_larger_than_buffer);
	tcase_add_test(exact, test_read_exact_eof_short);
	tcase_add_test(output, test_writes_are_buffered_until_flush);
	tcase_add_test(output, test_large_write_arrives_whole);
	tcase_add_test(output, test_read_flushes_pending_output);
	tcase_add_test(output, test_write_to_closed_peer_is_sticky);
	tcase_add_test(output, test_write_to_closed_pipe);
	tcase_add_test(output, test_write_timeout_when_peer_stops_reading);
	tcase_add_test(transport, test_replaced_transport_retries_after_wait);
	tcase_add_test(transport, test_replaced_transport_times_out);
	tcase_add_test(deadline, test_deadline_per_request_cuts_trickle);
	tcase_add_test(deadline, test_deadline_min_rate_earns_time);
	tcase_add_test(deadline, test_deadline_earned_time_capped_at_timeout);
	tcase_add_test(deadline, test_deadline_cuts_slow_reader);
	suite_add_tcase(suite, lines);
	suite_add_tcase(suite, exact);
	suite_add_tcase(suite, output);
	suite_add_tcase(suite, transport);
	suite_add_tcase(suite, deadline);
	return suite;
}
