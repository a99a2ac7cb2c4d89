/*
 * smtpd_log: smtpd's log lines, in Postfix's words:
 *
 *   ID: reject: RCPT from name[addr]: 550 5.1.1 ...; from=<s> to=<r> proto=ESMTP helo=<h>
 *   NOQUEUE: reject: CONNECT from name[addr]: 554 5.7.1 ...; proto=SMTP
 *   ID: hold: RCPT from name[addr]: <r>: Recipient address triggers HOLD action; from=<s> to=<r> ...
 *   lost connection after DATA (120 bytes) from name[addr]
 *   timeout after RCPT from name[addr]
 *   disconnect from name[addr] ehlo=1 mail=1 rcpt=0/1 quit=1 commands=3/4
 */
#include <ctype.h>
#include <string.h>

#include "addr.h"
#include "log.h"
#include "smtpd.h"

#define SMTPD_LOG_SNIPPET 30		/* bytes of an over-long request shown */

void smtpd_log_action(smtpd_session_t *s, const char *action, const char *what, const char *text,
		      const char *sender, const char *rcpt)
{
	str_t line = STR_INIT;

	str_printf(&line, "%s: %s: %s from %s: %s;", s->qw ? queue_writer_id(s->qw) : "NOQUEUE",
		   action, what, s->peer.namaddr, text);
	if (sender != NULL) {
		str_append_cstr(&line, " from=<");
		addr_quote(sender, &line);
		str_append_cstr(&line, ">");
	}
	if (rcpt != NULL) {
		str_append_cstr(&line, " to=<");
		addr_quote(rcpt, &line);
		str_append_cstr(&line, ">");
	}
	str_printf(&line, " proto=%s", s->esmtp ? "ESMTP" : "SMTP");
	if (s->helo.len)
		str_printf(&line, " helo=<%s>", s->helo.data);
	log_info("%s", line.data);
	str_free(&line);
}

void smtpd_log_reject(smtpd_session_t *s, const char *what, const char *reply, const char *rcpt)
{
	smtpd_log_action(s, "reject", what, reply, str_cstr(&s->sender), rcpt);
}

const char *smtpd_log_protocol(const smtpd_session_t *s)
{
	static const char *const names[3][2][2] = {	/* [SMTP, ESMTP, UTF8SMTP][tls][auth] */
		{ { "SMTP", "SMTPA" }, { "SMTPS", "SMTPSA" } },
		{ { "ESMTP", "ESMTPA" }, { "ESMTPS", "ESMTPSA" } },
		{ { "UTF8SMTP", "UTF8SMTPA" }, { "UTF8SMTPS", "UTF8SMTPSA" } },
	};
	int kind = s->smtputf8 ? 2 : s->esmtp != 0;

	return names[kind][s->tls != NULL][s->sasl_username.len > 0];
}

/* EOF, I/O error or timeout while reading from the client. */
void smtpd_log_lost(smtpd_session_t *s, int status)
{
	if (status == STREAM_TIMEOUT) {
		log_info("timeout after %s from %s", s->where, s->peer.namaddr);
		smtpd_reply_timeout(s);
	} else {
		log_info("lost connection after %s from %s", s->where, s->peer.namaddr);
	}
	s->failed = 1;
	s->done = 1;
}

static void smtpd_log_count(str_t *line, const char *name, const smtpd_count_t *count)
{
	if (count->total == 0)
		return;
	str_printf(line, " %s=", name);
	if (count->ok != count->total)
		str_printf(line, "%u/", count->ok);
	str_printf(line, "%u", count->total);
}

void smtpd_log_disconnect(smtpd_session_t *s)
{
	str_t line = STR_INIT;
	smtpd_count_t all = { 0, 0 };

	str_printf(&line, "disconnect from %s", s->peer.namaddr);
	for (size_t i = 0; i <= SMTPD_VERB_COUNT; i++) {
		char name[SMTP_CMD_VERB_MAX + 1] = "unknown";

		if (i < SMTPD_VERB_COUNT) {
			for (size_t j = 0; smtpd_verbs[i].name[j]; j++)
				name[j] = (char)tolower((unsigned char)smtpd_verbs[i].name[j]);
			name[strlen(smtpd_verbs[i].name)] = 0;
		}
		smtpd_log_count(&line, name, &s->counts[i]);
		all.ok += s->counts[i].ok;
		all.total += s->counts[i].total;
	}
	smtpd_log_count(&line, "commands", &all);
	if (all.total == 0)
		str_append_cstr(&line, " commands=0");
	log_info("%s", line.data);
	str_free(&line);
}

/* An over-long command: warn with its start, made printable. */
void smtpd_log_long_request(smtpd_session_t *s, const str_t *start, size_t limit)
{
	char snippet[SMTPD_LOG_SNIPPET + 1];
	size_t len = start->len < SMTPD_LOG_SNIPPET ? start->len : SMTPD_LOG_SNIPPET;

	for (size_t i = 0; i < len; i++)
		snippet[i] = isprint((unsigned char)start->data[i]) ? start->data[i] : '?';
	snippet[len] = 0;
	log_warning("%s: request longer than %zu: %s...", s->peer.namaddr, limit, snippet);
}
