/*
 * smtp_reply: SMTP replies as a client reads them (RFC 5321 4.2), with
 * enhanced status codes (RFC 3463, RFC 2034).
 *
 *   250-mx.example.org
 *   250-PIPELINING
 *   250 SIZE 10240000
 *
 * Every line starts with the same three-digit code (2yz to 5yz), then "-"
 * when more lines follow, or " " (or nothing) on the last one. The parser
 * is strict about that shape and bounded: at most SMTP_REPLY_LINES_MAX
 * lines of at most SMTP_REPLY_LINE_MAX bytes, no NUL, CR or other control
 * byte inside a line (a tab is allowed). Bytes above 127 are kept as "?"
 * so the text is safe to log. Anything else makes the reply malformed,
 * which the caller treats as a temporary error.
 *
 * The enhanced status code is taken from the first line when it is there
 * and has the reply's class ("550 5.1.1 ..."); otherwise it is "C.0.0"
 * with C the class of the reply code.
 *
 *   smtp_reply_t r;
 *   smtp_reply_init(&r);
 *   if (smtp_reply_read(stream, &r, &why) == 0) ... r.code, r.dsn ...
 *   smtp_reply_free(&r);
 */
#ifndef POCHTA_SMTP_REPLY_H
#define POCHTA_SMTP_REPLY_H

#include <stddef.h>

#include "str.h"
#include "stream.h"

#define SMTP_REPLY_LINE_MAX 2048	/* bytes of one line with its CR LF */
#define SMTP_REPLY_LINES_MAX 100	/* lines of one reply */
#define SMTP_REPLY_DSN_MAX 16		/* "5.123.123" and its NUL, with room */

/* smtp_reply_feed results; smtp_reply_read returns SMTP_REPLY_MALFORMED
 * beside 0 and the stream's own (negative) statuses. */
enum smtp_reply_status {
	SMTP_REPLY_DONE = 0,		/* the last line: the reply is complete */
	SMTP_REPLY_MORE = 1,		/* a "250-" line: more follow */
	SMTP_REPLY_MALFORMED = -20,	/* not a valid reply; *why says how */
};

typedef struct smtp_reply {
	int code;			/* 250; 0 before the first line */
	char dsn[SMTP_REPLY_DSN_MAX];	/* "2.0.0" */
	str_t lines;			/* the lines as received, without CR LF, "\n" between */
	size_t nlines;
	size_t start[SMTP_REPLY_LINES_MAX];	/* offset of each line in lines */
} smtp_reply_t;

void smtp_reply_init(smtp_reply_t *r);
void smtp_reply_free(smtp_reply_t *r);
void smtp_reply_reset(smtp_reply_t *r);

/* Take the next line of len bytes (a CR LF or LF at its end is dropped).
 * SMTP_REPLY_MORE, SMTP_REPLY_DONE, or SMTP_REPLY_MALFORMED with a short
 * reason in *why; after DONE or MALFORMED, reset before the next reply. */
int smtp_reply_feed(smtp_reply_t *r, const char *line, size_t len, const char **why);

/* Read one whole reply from st (reset first), each line within the
 * stream's timeout. 0; STREAM_EOF when the peer closed before its end;
 * STREAM_TIMEOUT or STREAM_ERROR; SMTP_REPLY_MALFORMED with *why. */
int smtp_reply_read(stream_t *st, smtp_reply_t *r, const char **why);

/* Line i's text after the code and its "-" or " " ("PIPELINING"). */
const char *smtp_reply_line_text(const smtp_reply_t *r, size_t i, size_t *len);

/* Append the whole reply as one line, the lines joined by spaces:
 * "550-5.7.1 first 550 5.7.1 second", as the mail log shows it. */
void smtp_reply_text(const smtp_reply_t *r, str_t *out);

#endif
