/*
 * smtp_chat: commands out, replies in, and the words for what went wrong,
 * in Postfix's phrasing:
 *
 *   host mx.example.org[192.0.2.1] said: 550 5.1.1 ... (in reply to RCPT TO command)
 *   lost connection with mx.example.org[192.0.2.1] while sending message body
 *   conversation with mx.example.org[192.0.2.1] timed out while sending MAIL FROM
 *
 * Commands are buffered; the read of the next reply sends them, so
 * pipelined commands leave in one write. Each command and reply runs
 * under its stage's timeout. A lost connection, a timeout or a malformed
 * reply breaks the session: the first reason is kept, and nothing more is
 * sent or read on it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "smtp.h"

#define SMTP_CHAT_SAID_MAX 2000		/* bytes of a server's reply quoted in a reason */

void smtp_chat_lost(smtp_session_t *s, int status, const char *why, const char *doing)
{
	if (s->broken)
		return;
	s->broken = 1;
	if (status == STREAM_TIMEOUT)
		smtp_status_set(&s->fail, "4.4.2", "conversation with %s timed out while %s",
				s->namaddr, doing);
	else if (status == SMTP_REPLY_MALFORMED)
		smtp_status_set(&s->fail, "4.5.0", "malformed reply from %s while %s: %s",
				s->namaddr, doing, why);
	else
		smtp_status_set(&s->fail, "4.4.2", "lost connection with %s while %s", s->namaddr,
				doing);
}

void smtp_chat_cmd(smtp_session_t *s, int timeout, const char *fmt, ...)
{
	str_t line = STR_INIT;
	va_list ap;

	va_start(ap, fmt);
	str_vprintf(&line, fmt, ap);
	va_end(ap);
	if (memchr(line.data, '\r', line.len) || memchr(line.data, '\n', line.len)) {
		/* an address with a line break would smuggle in a command of its own */
		log_warning("refusing to send a command with a line break to %s", s->namaddr);
		if (!s->broken)
			smtp_status_set(&s->fail, "4.3.0", "refusing to send a command with a line break");
		s->broken = 1;
		str_free(&line);
		return;
	}
	str_append(&line, "\r\n", 2);
	stream_set_timeout(s->st, timeout);
	(void)stream_write(s->st, line.data, line.len);	/* errors are sticky: the next read sees them */
	str_free(&line);
}

int smtp_chat_flush(smtp_session_t *s, int timeout, const char *doing)
{
	int status;

	if (s->broken)
		return -1;
	stream_set_timeout(s->st, timeout);
	if ((status = stream_flush(s->st)) == STREAM_OK)
		return 0;
	smtp_chat_lost(s, status, NULL, doing);
	return -1;
}

int smtp_chat_reply(smtp_session_t *s, smtp_reply_t *r, int timeout, const char *doing)
{
	const char *why = NULL;
	int status;

	if (s->broken)
		return -1;
	stream_set_timeout(s->st, timeout);
	if ((status = smtp_reply_read(s->st, r, &why)) == 0)
		return 0;
	smtp_chat_lost(s, status, why, doing);
	return -1;
}

void smtp_chat_said(const smtp_session_t *s, const smtp_reply_t *r, const char *command,
		    smtp_status_t *st)
{
	str_t text = STR_INIT;

	smtp_reply_text(r, &text);
	if (text.len > SMTP_CHAT_SAID_MAX)
		str_truncate(&text, SMTP_CHAT_SAID_MAX);
	/* a reply of an unexpected class (a 250 where 354 was due) is a protocol error */
	smtp_status_set(st, r->code >= 400 ? r->dsn : "4.5.0",
			"host %s said: %s (in reply to %s command)", s->namaddr, str_cstr(&text),
			command);
	snprintf(st->diagnostic, sizeof(st->diagnostic), "%s", str_cstr(&text));
	str_free(&text);
}
