/*
 * sendmail_smtp: sendmail -bs, a plain RFC 5321 dialogue on stdin and
 * stdout for a local program: HELO, EHLO, MAIL, RCPT, DATA, RSET, NOOP
 * and QUIT (VRFY and the rest are refused). Each message goes through
 * postdrop like any other submission, so the same rules apply: the user
 * must be in authorized_submit_users (checked before the greeting) and
 * MAIL FROM must be a sender local_login_sender_maps allows. Commands
 * end with CR LF or LF; the session is the user's own, so it has no
 * timeout and no error limit.
 */
#include <stdarg.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>

#include "addr.h"
#include "conf.h"
#include "sendmail.h"
#include "smtp_cmd.h"
#include "submit.h"

typedef struct sendmail_session {
	const sendmail_opts_t *opts;
	stream_t *in, *out;
	maildrop_env_t env;
	int in_mail;		/* MAIL was accepted */
	int quit;
} sendmail_session_t;

static void sendmail_reply(sendmail_session_t *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void sendmail_reply(sendmail_session_t *s, const char *fmt, ...)
{
	str_t line = STR_INIT;
	va_list ap;

	va_start(ap, fmt);
	str_vprintf(&line, fmt, ap);
	va_end(ap);
	str_append_cstr(&line, "\r\n");
	stream_write(s->out, line.data, line.len);
	stream_flush(s->out);
	str_free(&line);
}

static void sendmail_reset(sendmail_session_t *s)
{
	maildrop_env_free(&s->env);
	s->in_mail = 0;
}

static void sendmail_helo(sendmail_session_t *s, const smtp_cmd_t *cmd)
{
	const char *host = conf_str("myhostname");

	if (cmd->arg.len == 0) {
		sendmail_reply(s, "501 Syntax: %s hostname", cmd->verb.data);
		return;
	}
	sendmail_reset(s);
	if (strcmp(cmd->verb.data, "HELO") == 0)
		sendmail_reply(s, "250 %s", host);
	else
		sendmail_reply(s, "250-%s\r\n250-SIZE %ld\r\n250-8BITMIME\r\n"
			       "250 ENHANCEDSTATUSCODES", host, conf_int("message_size_limit"));
}

/* MAIL FROM's SIZE and BODY; 0, or -1 after a reply. */
static int sendmail_mail_params(sendmail_session_t *s, const char *text)
{
	smtp_params_t params;
	str_t bad = STR_INIT;
	const char *why;
	int status;

	smtp_params_init(&params);
	if ((status = smtp_params_parse(text, &params, &bad, &why)) < 0)
		sendmail_reply(s, "501 5.5.4 Error: %s %s", why, bad.data);
	for (size_t i = 0; status == 0 && i < params.count; i++) {
		const smtp_param_t *p = &params.items[i];
		unsigned long long size;
		long limit = conf_int("message_size_limit");

		if (strcasecmp(p->name, "BODY") == 0 && p->value
		    && maildrop_env_set_attr(&s->env, MAILDROP_ATTR_BODY_TYPE, p->value) == 0)
			continue;
		if (strcasecmp(p->name, "SIZE") == 0 && p->value
		    && smtp_param_number(p->value, &size) == 0) {
			if (limit > 0 && size > (unsigned long long)limit) {
				sendmail_reply(s, "552 5.3.4 Message size exceeds fixed limit");
				status = -1;
			}
			continue;
		}
		sendmail_reply(s, "555 5.5.4 Unsupported option: %s", p->name);
		status = -1;
	}
	smtp_params_free(&params);
	str_free(&bad);
	return status;
}

static void sendmail_mail(sendmail_session_t *s, const char *arg)
{
	const char *path = smtp_cmd_path(arg, "FROM:"), *rest, *why;
	str_t sender = STR_INIT, err = STR_INIT;

	if (s->in_mail) {
		sendmail_reply(s, "503 5.5.1 Error: nested MAIL command");
	} else if (path == NULL) {
		sendmail_reply(s, "501 5.5.4 Syntax: MAIL FROM:<address>");
	} else if (addr_parse_path(path, ADDR_ALLOW_NULL | ADDR_ALLOW_NOBRACKETS | ADDR_ALLOW_8BIT,
				   &sender, &rest, &why) < 0
		   || addr_charset(sender.data) == ADDR_NOT_UTF8) {
		sendmail_reply(s, "501 5.1.7 Bad sender address syntax");
	} else if (submit_sender_allowed(sendmail_login(), sender.data, &err) == SUBMIT_DENIED) {
		sendmail_reply(s, "553 5.7.1 <%s>: Sender address rejected: not owned by user %s",
			       sender.data, sendmail_login());
	} else {
		maildrop_env_init(&s->env);
		str_set(&s->env.sender, sender.data);
		if (sendmail_mail_params(s, rest) < 0) {
			sendmail_reset(s);
		} else {
			s->in_mail = 1;
			sendmail_reply(s, "250 2.1.0 Ok");
		}
	}
	str_free(&sender);
	str_free(&err);
}

static void sendmail_rcpt(sendmail_session_t *s, const char *arg)
{
	const char *path = smtp_cmd_path(arg, "TO:"), *rest, *why;
	str_t rcpt = STR_INIT;

	if (!s->in_mail)
		sendmail_reply(s, "503 5.5.1 Error: need MAIL command");
	else if (path == NULL)
		sendmail_reply(s, "501 5.5.4 Syntax: RCPT TO:<address>");
	else if (addr_parse_path(path, ADDR_ALLOW_NOBRACKETS | ADDR_ALLOW_8BIT, &rcpt, &rest,
				 &why) < 0 || addr_charset(rcpt.data) == ADDR_NOT_UTF8)
		sendmail_reply(s, "501 5.1.3 Bad recipient address syntax");
	else if (*rest)
		sendmail_reply(s, "555 5.5.4 Unsupported option: %s", rest);
	else if (s->env.nrcpts >= MAILDROP_RCPT_MAX)
		sendmail_reply(s, "452 4.5.3 Error: too many recipients");
	else {
		maildrop_env_add_rcpt(&s->env, rcpt.data);
		sendmail_reply(s, "250 2.1.5 Ok");
	}
	str_free(&rcpt);
}

static void sendmail_data(sendmail_session_t *s, const char *arg)
{
	sendmail_input_t si;
	str_t why = STR_INIT, rest = STR_INIT;
	int status;

	if (*arg) {
		sendmail_reply(s, "501 5.5.4 Syntax: DATA");
		return;
	}
	if (!s->in_mail || s->env.nrcpts == 0) {
		sendmail_reply(s, "%s", s->in_mail ? "554 5.5.1 Error: no valid recipients"
			       : "503 5.5.1 Error: need RCPT command");
		return;
	}
	sendmail_reply(s, "354 End data with <CR><LF>.<CR><LF>");
	sendmail_input_init(&si, s->in, SENDMAIL_DOTS_SMTP);
	status = sendmail_submit(s->opts, &s->env, &si, 0, &why);
	while (status != EX_IOERR && sendmail_input_read(&si, &rest) > 0)
		;	/* the rest of a refused message */
	if (status == EX_OK)
		sendmail_reply(s, "250 2.0.0 Ok: queued");
	else if (status == EX_DATAERR)
		sendmail_reply(s, "552 5.3.4 Message size exceeds fixed limit");
	else if (status == EX_IOERR)
		s->quit = 1;	/* the client went away */
	else
		sendmail_reply(s, "451 4.3.0 Error: queue file write error");
	sendmail_reset(s);
	str_free(&why);
	str_free(&rest);
}

static void sendmail_command(sendmail_session_t *s, const smtp_cmd_t *cmd)
{
	const char *verb = cmd->verb.data;

	if (strcmp(verb, "HELO") == 0 || strcmp(verb, "EHLO") == 0)
		sendmail_helo(s, cmd);
	else if (strcmp(verb, "MAIL") == 0)
		sendmail_mail(s, cmd->arg.data ? cmd->arg.data : "");
	else if (strcmp(verb, "RCPT") == 0)
		sendmail_rcpt(s, cmd->arg.data ? cmd->arg.data : "");
	else if (strcmp(verb, "DATA") == 0)
		sendmail_data(s, cmd->arg.data ? cmd->arg.data : "");
	else if (strcmp(verb, "RSET") == 0 || strcmp(verb, "NOOP") == 0) {
		if (verb[0] == 'R')
			sendmail_reset(s);
		sendmail_reply(s, "250 2.0.0 Ok");
	} else if (strcmp(verb, "QUIT") == 0) {
		sendmail_reply(s, "221 2.0.0 Bye");
		s->quit = 1;
	} else if (strcmp(verb, "VRFY") == 0) {
		sendmail_reply(s, "502 5.5.1 VRFY command is disabled");
	} else {
		sendmail_reply(s, "500 5.5.2 Error: command not recognized");
	}
}

int sendmail_smtp(const sendmail_opts_t *opts)
{
	sendmail_session_t s = { .opts = opts, .in = stream_open(0), .out = stream_open(1) };
	size_t limit = (size_t)conf_int("line_length_limit");
	str_t line = STR_INIT;
	smtp_cmd_t cmd;
	const char *why;

	sendmail_check_user(sendmail_login());
	maildrop_env_init(&s.env);
	smtp_cmd_init(&cmd);
	sendmail_reply(&s, "220 %s", conf_str("smtpd_banner"));
	while (!s.quit) {
		int status = stream_getline(s.in, &line, limit);

		if (status == STREAM_TOOLONG) {
			while ((status = stream_getline(s.in, &line, limit)) == STREAM_TOOLONG)
				;
			sendmail_reply(&s, "500 5.5.2 Error: line too long");
		} else if (status != STREAM_OK) {
			break;
		} else if (smtp_cmd_parse(line.data, line.len, &cmd, &why) < 0) {
			sendmail_reply(&s, "500 5.5.2 Error: bad syntax");
		} else {
			sendmail_command(&s, &cmd);
		}
	}
	sendmail_reset(&s);
	smtp_cmd_free(&cmd);
	str_free(&line);
	stream_close(s.in);
	stream_close(s.out);
	return EX_OK;
}
