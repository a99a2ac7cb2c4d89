/*
 * stream: buffered, bounded, timed I/O on a descriptor.
 *
 * Every read waits at most the stream's timeout (poll before read/write);
 * every line read is bounded by the caller's limit. Errors are sticky:
 * after one, later calls fail fast and stream_error() says which.
 * The byte transport can be replaced (stream_set_io) so that TLS can be
 * slid under an open stream after STARTTLS.
 * Reading with nothing buffered first flushes pending output, so a
 * request/reply exchange cannot deadlock on an unflushed request.
 *
 * Per-request deadline (stream_set_deadline, off by default): the timeout
 * then bounds the time all reads and writes of one request spend waiting
 * together, from stream_start_request to the next call of it, so a peer
 * trickling one byte at a time cannot hold the stream. While a minimum
 * data rate is set (stream_set_min_rate, for message content), each read
 * of N bytes gives the request N/rate seconds more, never more than the
 * timeout in all. Bytes already buffered are taken without any wait.
 */
#ifndef POCHTA_STREAM_H
#define POCHTA_STREAM_H

#include <stddef.h>
#include <sys/types.h>
#include "str.h"

enum stream_status {
	STREAM_OK = 0,
	STREAM_EOF = -1,	/* the peer closed before any byte of the request */
	STREAM_TIMEOUT = -2,
	STREAM_ERROR = -3,	/* I/O error (errno kept) or earlier sticky error */
	STREAM_TOOLONG = -4,	/* line longer than the limit: see stream_getline */
};

#define STREAM_BUF_SIZE 8192

typedef struct stream stream_t;

/* Transport hooks: return bytes moved, 0 for EOF, -1 with errno on error.
 * EAGAIN/EWOULDBLOCK from a hook makes the stream poll the descriptor for
 * the direction given in *want (POLLIN or POLLOUT) and retry.
 * A replaced transport is called before any poll (it may hold bytes the
 * descriptor cannot show), so it must not block: use a non-blocking fd.
 * stream_set_io(st, NULL, NULL, NULL) restores the plain transport:
 * read(2), and for sockets send(2) without blocking or SIGPIPE. */
typedef ssize_t (*stream_read_fn)(void *ctx, void *buf, size_t len, int *want);
typedef ssize_t (*stream_write_fn)(void *ctx, const void *buf, size_t len, int *want);

stream_t *stream_open(int fd);			/* takes ownership of fd */
void stream_close(stream_t *st);		/* flushes nothing; closes fd */
int stream_fd(const stream_t *st);
/* Send each flush at once (TCP_NODELAY; no harm on other descriptors):
 * the stream already sends whole buffers, and Nagle's algorithm would hold
 * the last short write of a reply for the peer's delayed ACK (40 ms). */
void stream_no_delay(stream_t *st);
void stream_set_timeout(stream_t *st, int seconds);	/* 0: wait forever */
void stream_set_deadline(stream_t *st, int on);	/* per request, not per call */
void stream_start_request(stream_t *st);	/* the whole timeout again */
void stream_set_min_rate(stream_t *st, int bytes_per_second);	/* 0: none */
void stream_set_io(stream_t *st, stream_read_fn rd, stream_write_fn wr, void *ctx);
int stream_error(const stream_t *st);		/* 0 or the sticky enum stream_status */

/*
 * Read one line into line (reset first), including its "\n" and any "\r"
 * before it. Returns STREAM_OK with a complete line; STREAM_EOF when the
 * peer closed before any byte (a last line without "\n" is returned as
 * STREAM_OK without "\n"); STREAM_TOOLONG when limit bytes arrived without
 * a "\n": line holds those limit bytes and the next call continues the same
 * line. STREAM_TIMEOUT or STREAM_ERROR otherwise.
 */
int stream_getline(stream_t *st, str_t *line, size_t limit);
/* Read exactly len bytes (appended to out). STREAM_EOF when the peer
 * closes first; out then holds the bytes that did arrive. */
int stream_read_exact(stream_t *st, str_t *out, size_t len);
size_t stream_pending(const stream_t *st);	/* bytes buffered but unread */
/* The buffered unread bytes, without taking them: their count, and where
 * they start in *data (valid until the next call on st). */
size_t stream_peek(const stream_t *st, const char **data);
void stream_discard_pending(stream_t *st);	/* drop them (STARTTLS) */
/* Put len bytes before the unread ones, as if they had just arrived (a
 * session handed to another process brings what its client sent ahead).
 * 0, or -1 when they do not fit in the buffer. */
int stream_preload(stream_t *st, const void *data, size_t len);
/* Up to len bytes to be had without waiting: buffered ones first, else one
 * transport read. Bytes moved, 0 when none are ready, or a status
 * (STREAM_EOF when the peer closed). For relaying between descriptors. */
ssize_t stream_read_ready(stream_t *st, void *buf, size_t len);

int stream_write(stream_t *st, const void *data, size_t len);
int stream_puts(stream_t *st, const char *s);
int stream_printf(stream_t *st, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int stream_flush(stream_t *st);

#endif
