/*
 * smtpd_reply: replies to the client, buffered so that a pipelined batch
 * of commands gets its replies in one write (the caller flushes when no
 * more input is waiting). Every 4xx/5xx counts as a client error; past
 * smtpd_soft_error_limit errors each reply is delayed by
 * smtpd_error_sleep_time to slow down run-away clients.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "smtpd.h"

#define SMTPD_REPLY_MAX 4096		/* one reply, all its lines */

/* Sending the replies waiting is one request (smtpd_per_request_deadline). */
void smtpd_reply_flush(smtpd_session_t *s)
{
	stream_start_request(s->client);
	stream_flush(s->client);
}

/* Slow down a client that keeps making errors (not for a goodbye). */
static void smtpd_reply_tarpit(smtpd_session_t *s, const char *text)
{
	if (s->error_count <= smtpd_conf.soft_error_limit || smtpd_conf.error_sleep_time == 0
	    || strncmp(text, "421", 3) == 0)
		return;
	smtpd_reply_flush(s);
	sleep((unsigned)smtpd_conf.error_sleep_time);
}

/*
 * Send one reply; fmt may make several lines separated by "\r\n" (EHLO),
 * each already carrying its "250-" prefix.
 */
void smtpd_reply(smtpd_session_t *s, const char *fmt, ...)
{
	char text[SMTPD_REPLY_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	smtpd_reply_tarpit(s, text);
	if (text[0] == '4' || text[0] == '5') {
		s->error_count++;
		s->failed = 1;
	}
	stream_puts(s->client, text);
	stream_puts(s->client, "\r\n");
}

/*
 * The 421 after a read timeout. The stream's timeout error is sticky, so
 * the reply goes straight to the socket, without waiting: a client that
 * stopped reading simply does not get it. Under TLS the socket carries
 * records, not text, so there the client is just disconnected.
 */
void smtpd_reply_timeout(smtpd_session_t *s)
{
	char text[SMTPD_REPLY_MAX];
	int len = snprintf(text, sizeof(text), "421 4.4.2 %s Error: timeout exceeded\r\n",
			   smtpd_conf.myhostname);

	s->error_count++;
	if (s->tls == NULL && len > 0 && (size_t)len < sizeof(text))
		(void)send(stream_fd(s->client), text, (size_t)len, MSG_DONTWAIT | MSG_NOSIGNAL);
}
