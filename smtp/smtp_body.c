/*
 * smtp_body: the message content on the wire. The queue file holds it
 * with LF line ends; the server gets CR LF, a "." doubled at the start of
 * every line that has one (RFC 5321 4.5.2), a line end after a last line
 * that lacks one, and "." alone to end it. A bare CR (smtpd never queues
 * one, but a local submission may carry it) goes out as a line end too,
 * and a CR LF as one: the server sees no bare CR or LF at all, so one that
 * takes either for a line end finds no end of data before ours (SMTP
 * smuggling through this client). The file is read in chunks of
 * SMTP_BODY_CHUNK bytes, so a message of any size costs the same memory.
 * A read error on the queue file leaves the data unfinished: the session
 * is dropped without the final "." and the server discards the message.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "smtp.h"

#define SMTP_BODY_CHUNK 65536

typedef struct smtp_body_state {
	stream_t *st;
	int at_line_start;
	int cr_pending;		/* the last line end sent was a CR: an LF next is part of it */
} smtp_body_state_t;

/* The length of the run of bytes that are neither CR nor LF. */
static size_t smtp_body_span(const char *data, size_t len)
{
	size_t n = 0;

	while (n < len && data[n] != '\r' && data[n] != '\n')
		n++;
	return n;
}

/* One chunk of content, converted. */
static void smtp_body_chunk(smtp_body_state_t *b, const char *data, size_t len)
{
	while (len > 0) {
		size_t run;

		if (b->cr_pending && data[0] == '\n') {
			b->cr_pending = 0;
			data++;
			len--;
			continue;
		}
		b->cr_pending = 0;
		run = smtp_body_span(data, len);
		if (b->at_line_start && run > 0 && data[0] == '.')
			(void)stream_write(b->st, ".", 1);
		(void)stream_write(b->st, data, run);	/* errors are sticky: checked at the end */
		if (run > 0)
			b->at_line_start = 0;
		if (run < len) {
			(void)stream_write(b->st, "\r\n", 2);
			b->at_line_start = 1;
			b->cr_pending = data[run] == '\r';
			run++;
		}
		data += run;
		len -= run;
	}
}

int smtp_body_send(smtp_session_t *s, const smtp_request_t *req)
{
	static char chunk[SMTP_BODY_CHUNK];
	smtp_body_state_t b = { .st = s->st, .at_line_start = 1 };
	off_t offset = req->qm.content_offset, end = offset + req->qm.content_size;

	stream_set_timeout(s->st, smtp_conf.data_xfer_timeout);
	while (offset < end && stream_error(s->st) == 0) {
		size_t want = end - offset < SMTP_BODY_CHUNK ? (size_t)(end - offset) : SMTP_BODY_CHUNK;
		ssize_t got = pread(req->fd, chunk, want, offset);

		if (got <= 0) {
			log_warning("%s: read queue file: %s", req->id, got < 0 ? strerror(errno)
									 : "unexpected end");
			smtp_status_set(&s->fail, "4.3.0", "error reading queue file");
			s->broken = 1;
			return -1;
		}
		smtp_body_chunk(&b, chunk, (size_t)got);
		offset += got;
	}
	if (!b.at_line_start)
		(void)stream_write(s->st, "\r\n", 2);
	(void)stream_write(s->st, ".\r\n", 3);
	return smtp_chat_flush(s, smtp_conf.data_xfer_timeout, "sending message body");
}
