/*
 * smtp_reply: the strict, bounded parser of SMTP replies (see
 * smtp_reply.h). A line is checked whole before any of it is kept, so a
 * malformed reply leaves nothing half-stored that a caller could act on.
 */
#include <stdio.h>
#include <string.h>

#include "smtp_reply.h"

#define SMTP_REPLY_CODE_LEN 3
#define SMTP_REPLY_DSN_PART_MAX 3	/* digits of the subject and the detail */
#define SMTP_REPLY_DSN_MIN 5		/* "5.1.1" */
#define SMTP_REPLY_HIGH_BYTE_SHOWN '?'

void smtp_reply_init(smtp_reply_t *r)
{
	memset(r, 0, sizeof(*r));
	str_init(&r->lines);
}

void smtp_reply_free(smtp_reply_t *r)
{
	str_free(&r->lines);
	r->code = 0;
	r->nlines = 0;
}

void smtp_reply_reset(smtp_reply_t *r)
{
	str_reset(&r->lines);
	r->code = 0;
	r->nlines = 0;
	r->dsn[0] = 0;
}

/* 2yz to 5yz with y at most 5 (RFC 5321 4.2.1); the code or -1. */
static int smtp_reply_code(const char *line)
{
	if (line[0] < '2' || line[0] > '5' || line[1] < '0' || line[1] > '5'
	    || line[2] < '0' || line[2] > '9')
		return -1;
	return (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
}

/* 1 to SMTP_REPLY_DSN_PART_MAX digits at *p before end; advances *p past them. */
static int smtp_reply_dsn_part(const char **p, const char *end)
{
	size_t n = 0;

	while (*p + n < end && n <= SMTP_REPLY_DSN_PART_MAX && (*p)[n] >= '0' && (*p)[n] <= '9')
		n++;
	*p += n;
	return n >= 1 && n <= SMTP_REPLY_DSN_PART_MAX;
}

/* "C.SSS.DDD" at the start of text, C the reply's class, then a space or
 * the end: copied into r->dsn; otherwise r->dsn is "C.0.0". */
static void smtp_reply_set_dsn(smtp_reply_t *r, const char *text, size_t len)
{
	const char *p = text + 1;
	const char *end = text + len;

	snprintf(r->dsn, sizeof(r->dsn), "%d.0.0", r->code / 100);
	if (len < SMTP_REPLY_DSN_MIN || text[0] != r->dsn[0] || *p++ != '.'
	    || !smtp_reply_dsn_part(&p, end) || p >= end || *p++ != '.'
	    || !smtp_reply_dsn_part(&p, end) || (p < end && *p != ' '))
		return;
	snprintf(r->dsn, sizeof(r->dsn), "%.*s", (int)(p - text), text);
}

/* No NUL, CR, LF or other control byte but a tab inside the line. */
static int smtp_reply_bytes_ok(const char *line, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];

		if ((c < ' ' && c != '\t') || c == 127)
			return 0;
	}
	return 1;
}

/* Keep the line, bytes above 127 shown as "?". */
static void smtp_reply_keep(smtp_reply_t *r, const char *line, size_t len)
{
	if (r->nlines > 0)
		str_putc(&r->lines, '\n');
	r->start[r->nlines++] = r->lines.len;
	for (size_t i = 0; i < len; i++)
		str_putc(&r->lines, (unsigned char)line[i] > 127 ? SMTP_REPLY_HIGH_BYTE_SHOWN : line[i]);
}

int smtp_reply_feed(smtp_reply_t *r, const char *line, size_t len, const char **why)
{
	int code = 0;

	if (len > 0 && line[len - 1] == '\n')
		len--;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (len + 2 > SMTP_REPLY_LINE_MAX)
		*why = "reply line too long";
	else if (len < SMTP_REPLY_CODE_LEN || (code = smtp_reply_code(line)) < 0)
		*why = "reply does not start with a reply code";
	else if (len > SMTP_REPLY_CODE_LEN && line[3] != ' ' && line[3] != '-')
		*why = "reply code not followed by a space or hyphen";
	else if (r->nlines > 0 && code != r->code)
		*why = "reply lines with different codes";
	else if (r->nlines == SMTP_REPLY_LINES_MAX)
		*why = "reply has too many lines";
	else if (!smtp_reply_bytes_ok(line, len))
		*why = "control character in reply";
	else
		*why = NULL;
	if (*why)
		return SMTP_REPLY_MALFORMED;
	if (r->nlines == 0) {
		r->code = code;
		smtp_reply_set_dsn(r, line + SMTP_REPLY_CODE_LEN + (len > SMTP_REPLY_CODE_LEN),
				   len - SMTP_REPLY_CODE_LEN - (len > SMTP_REPLY_CODE_LEN));
	}
	smtp_reply_keep(r, line, len);
	return len > SMTP_REPLY_CODE_LEN && line[3] == '-' ? SMTP_REPLY_MORE : SMTP_REPLY_DONE;
}

int smtp_reply_read(stream_t *st, smtp_reply_t *r, const char **why)
{
	str_t line = STR_INIT;
	int status;

	smtp_reply_reset(r);
	do {
		status = stream_getline(st, &line, SMTP_REPLY_LINE_MAX);
		if (status == STREAM_OK && (line.len == 0 || line.data[line.len - 1] != '\n'))
			status = STREAM_EOF;	/* closed in the middle of a line */
		if (status == STREAM_TOOLONG) {
			*why = "reply line too long";
			status = SMTP_REPLY_MALFORMED;
		}
		if (status == STREAM_OK)
			status = smtp_reply_feed(r, line.data, line.len, why);
	} while (status == SMTP_REPLY_MORE);
	str_free(&line);
	return status;
}

const char *smtp_reply_line_text(const smtp_reply_t *r, size_t i, size_t *len)
{
	size_t start = r->start[i];
	size_t end = i + 1 < r->nlines ? r->start[i + 1] - 1 : r->lines.len;
	size_t skip = end - start > SMTP_REPLY_CODE_LEN ? SMTP_REPLY_CODE_LEN + 1 : end - start;

	*len = end - start - skip;
	return r->lines.data + start + skip;
}

void smtp_reply_text(const smtp_reply_t *r, str_t *out)
{
	for (size_t i = 0; i < r->lines.len; i++)
		str_putc(out, r->lines.data[i] == '\n' ? ' ' : r->lines.data[i]);
}
