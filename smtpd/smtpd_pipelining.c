/*
 * smtpd_pipelining: what reject_unauth_pipelining judges. A client may
 * send commands without waiting for each reply only after EHLO offered
 * PIPELINING (RFC 2920), and even then HELO, EHLO, STARTTLS, DATA, NOOP
 * and VRFY must end a group of commands, since what may follow depends on
 * their reply. Input already waiting when such a command is about to run,
 * or when the greeting is about to be sent, is improper pipelining. It is
 * noted once per session for the restriction, which rejects the command
 * it is listed for, and logged as Postfix does, with the waiting bytes
 * escaped (at most SMTPD_PIPELINING_SHOW_MAX of them):
 *
 *   improper command pipelining after HELO from name[addr]: MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\n
 *
 * Under TLS only bytes already decrypted can be shown; that more records
 * wait is enough to count.
 */
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "log.h"
#include "smtpd.h"

#define SMTPD_PIPELINING_SHOW_MAX 100	/* waiting bytes shown in the log */

static const char *const smtpd_pipelining_group_end[] = {
	"HELO", "EHLO", "STARTTLS", "DATA", "NOOP", "VRFY", NULL
};

static int smtpd_pipelining_ends_group(const char *verb)
{
	for (size_t i = 0; smtpd_pipelining_group_end[i]; i++)
		if (strcmp(smtpd_pipelining_group_end[i], verb) == 0)
			return 1;
	return 0;
}

/* The bytes as Postfix logs them, at most SMTPD_PIPELINING_SHOW_MAX. */
static void smtpd_pipelining_escape(const char *data, size_t len, str_t *out)
{
	str_append_escaped(out, data, len < SMTPD_PIPELINING_SHOW_MAX ? len
							      : SMTPD_PIPELINING_SHOW_MAX);
}

/* Bytes that the stream has not read yet: 1 when some wait. */
static int smtpd_pipelining_socket(smtpd_session_t *s, str_t *shown)
{
	char buf[SMTPD_PIPELINING_SHOW_MAX];
	struct pollfd pfd = { .fd = stream_fd(s->client), .events = POLLIN | POLLRDHUP };
	ssize_t n;

	if (s->tls != NULL)
		return poll(&pfd, 1, 0) > 0 && (pfd.revents & (POLLIN | POLLRDHUP)) == POLLIN;
	n = recv(pfd.fd, buf, sizeof(buf), MSG_PEEK | MSG_DONTWAIT);
	if (n <= 0)
		return 0;
	smtpd_pipelining_escape(buf, (size_t)n, shown);
	return 1;
}

void smtpd_pipelining_check(smtpd_session_t *s, const char *verb)
{
	str_t shown = STR_INIT;
	const char *data;
	size_t len;
	int waiting;

	if (s->pipelining_abused || (s->esmtp && !smtpd_pipelining_ends_group(verb)))
		return;
	len = stream_peek(s->client, &data);
	smtpd_pipelining_escape(data, len, &shown);
	waiting = len > 0 || smtpd_pipelining_socket(s, &shown);
	if (waiting) {
		log_info("improper command pipelining after %s from %s: %s", verb, s->peer.namaddr,
			 str_cstr(&shown));
		s->pipelining_abused = 1;
	}
	str_free(&shown);
}
