/*
 * smtp_dsn: delivery status notification requests (RFC 3461) passed on to
 * a server that offers DSN, as the client gave them to smtpd:
 *
 *   MAIL FROM:<a@example.org> RET=HDRS ENVID=QQ314159
 *   RCPT TO:<b@example.net> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;b@example.net
 *
 * ENVID and the ORCPT address are sent as xtext. An ORCPT of another
 * address type with 8-bit bytes would need RFC 6533's own encoding and is
 * left out. A server without DSN gets none of them.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "smtp.h"
#include "xtext.h"

#define SMTP_DSN_RFC822 "rfc822"

static int smtp_dsn_ascii(const char *text)
{
	for (const unsigned char *p = (const unsigned char *)text; *p; p++)
		if (*p > 127)
			return 0;
	return 1;
}

void smtp_dsn_mail(const smtp_session_t *s, const smtp_request_t *req, str_t *cmd)
{
	const char *ret = queue_msg_attr(&req->qm, "dsn_ret");
	const char *envid = queue_msg_attr(&req->qm, "dsn_envid");

	if (!(s->features & SMTP_FEATURE_DSN))
		return;
	if (ret && *ret)
		str_printf(cmd, " RET=%s", ret);
	if (envid && *envid) {
		str_append_cstr(cmd, " ENVID=");
		xtext_encode(envid, cmd);
	}
}

static void smtp_dsn_notify(int flags, str_t *cmd)
{
	static const struct {
		int flag;
		const char *word;
	} words[] = {
		{ QUEUE_NOTIFY_SUCCESS, "SUCCESS" },
		{ QUEUE_NOTIFY_DELAY, "DELAY" },
		{ QUEUE_NOTIFY_FAILURE, "FAILURE" },
	};
	const char *sep = " NOTIFY=";

	if (flags & QUEUE_NOTIFY_NEVER) {
		str_append_cstr(cmd, " NOTIFY=NEVER");
		return;
	}
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		if (flags & words[i].flag) {
			str_printf(cmd, "%s%s", sep, words[i].word);
			sep = ",";
		}
	}
}

void smtp_dsn_rcpt(const smtp_session_t *s, const queue_rcpt_t *qr, str_t *cmd)
{
	const char *semi = qr->dsn_orcpt ? strchr(qr->dsn_orcpt, ';') : NULL;

	if (!(s->features & SMTP_FEATURE_DSN))
		return;
	if (qr->dsn_notify)
		smtp_dsn_notify(qr->dsn_notify, cmd);
	if (semi == NULL)
		return;
	if (strncasecmp(qr->dsn_orcpt, SMTP_DSN_RFC822 ";", strlen(SMTP_DSN_RFC822) + 1) != 0
	    && !smtp_dsn_ascii(semi + 1))
		return;
	str_printf(cmd, " ORCPT=%.*s;", (int)(semi - qr->dsn_orcpt), qr->dsn_orcpt);
	xtext_encode(semi + 1, cmd);
}
