/*
 * pop3d_reply: the status line of a reply, "+OK text" or "-ERR text" with
 * CR LF, buffered on the client's stream (flushed before the next read).
 */
#include <stdarg.h>

#include "pop3d.h"

static void pop3d_vreply(pop3d_session_t *s, const char *status, const char *fmt, va_list ap)
{
	str_t line = STR_INIT;

	str_append_cstr(&line, status);
	str_vprintf(&line, fmt, ap);
	str_append_cstr(&line, "\r\n");
	stream_write(s->client, line.data, line.len);
	str_free(&line);
}

void pop3d_ok(pop3d_session_t *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pop3d_vreply(s, "+OK ", fmt, ap);
	va_end(ap);
}

void pop3d_err(pop3d_session_t *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pop3d_vreply(s, "-ERR ", fmt, ap);
	va_end(ap);
}
