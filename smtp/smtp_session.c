/*
 * smtp_session: the parts of an SMTP session around mail transactions:
 * the server's greeting, EHLO (HELO when the server refuses EHLO with a
 * 5xx, as RFC 5321 4.1.4 allows) and the keywords it offers, RSET before
 * a session is reused, and QUIT at the end.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "mem.h"
#include "smtp.h"
#include "smtp_cmd.h"

smtp_session_t *smtp_session_new(int fd, const smtp_target_t *t, const char *port,
				 const char *nexthop)
{
	smtp_session_t *s = mem_calloc(1, sizeof(*s));

	s->st = stream_open(fd);
	stream_no_delay(s->st);		/* the end of the data must not wait for an ACK */
	s->nexthop = mem_strdup(nexthop);
	snprintf(s->host, sizeof(s->host), "%s", t->host);
	snprintf(s->namaddr, sizeof(s->namaddr), "%s[%s]", t->host, t->addr);
	snprintf(s->relay, sizeof(s->relay), "%s:%s", s->namaddr, port);
	str_init(&s->auth_mechs);
	str_init(&s->fail.reason);
	s->opened = s->idle_since = smtp_now();
	return s;
}

int smtp_session_greet(smtp_session_t *s)
{
	smtp_reply_t r;
	str_t text = STR_INIT;
	int rc = -1;

	smtp_reply_init(&r);
	if (smtp_chat_reply(s, &r, smtp_conf.helo_timeout,
			    "receiving the initial server greeting") < 0) {
		/* s->fail says why */
	} else if (r.code / 100 == 2) {
		rc = 0;
	} else {
		smtp_reply_text(&r, &text);
		smtp_status_set(&s->fail, r.code >= 400 ? r.dsn : "4.5.0",
				"host %s refused to talk to me: %s", s->namaddr, str_cstr(&text));
	}
	str_free(&text);
	smtp_reply_free(&r);
	return rc;
}

/* The keyword that starts an EHLO line: its flag, and its argument. */
static unsigned smtp_session_keyword(const char *line, size_t len, const char **arg,
				     size_t *arg_len)
{
	static const struct {
		const char *name;
		unsigned flag;
	} keywords[] = {
		{ "PIPELINING", SMTP_FEATURE_PIPELINING }, { "SIZE", SMTP_FEATURE_SIZE },
		{ "8BITMIME", SMTP_FEATURE_8BITMIME }, { "STARTTLS", SMTP_FEATURE_STARTTLS },
		{ "AUTH", SMTP_FEATURE_AUTH }, { "DSN", SMTP_FEATURE_DSN },
		{ "SMTPUTF8", SMTP_FEATURE_SMTPUTF8 },
	};
	size_t word = strcspn(line, " =");

	if (word > len)
		word = len;
	*arg = line + word + (word < len);
	*arg_len = len - word - (word < len);
	for (size_t i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
		if (strlen(keywords[i].name) == word && strncasecmp(line, keywords[i].name, word) == 0)
			return keywords[i].flag;
	return 0;
}

/* What the EHLO reply offers (its first line is the server's name). */
static void smtp_session_features(smtp_session_t *s, const smtp_reply_t *r)
{
	str_t size = STR_INIT;

	s->features = 0;
	s->size_max = 0;
	str_reset(&s->auth_mechs);
	for (size_t i = 1; i < r->nlines; i++) {
		size_t len, arg_len;
		const char *arg, *line = smtp_reply_line_text(r, i, &len);
		unsigned flag = smtp_session_keyword(line, len, &arg, &arg_len);

		s->features |= flag;
		if (flag == SMTP_FEATURE_SIZE && arg_len > 0) {
			str_set(&size, "");
			str_append(&size, arg, arg_len);
			if (smtp_param_number(size.data, &s->size_max) < 0)
				s->size_max = 0;
		} else if (flag == SMTP_FEATURE_AUTH && arg_len > 0) {
			str_putc(&s->auth_mechs, ' ');
			str_append(&s->auth_mechs, arg, arg_len);
		}
	}
	str_free(&size);
}

int smtp_session_ehlo(smtp_session_t *s)
{
	static const char *const doing = "performing the EHLO handshake";
	smtp_reply_t r;
	int rc = -1;

	smtp_reply_init(&r);
	smtp_chat_cmd(s, smtp_conf.helo_timeout, "EHLO %s", smtp_conf.helo_name);
	if (smtp_chat_reply(s, &r, smtp_conf.helo_timeout, doing) == 0) {
		if (r.code / 100 == 2) {
			smtp_session_features(s, &r);
			rc = 0;
		} else if (r.code / 100 != 5) {
			smtp_chat_said(s, &r, "EHLO", &s->fail);
		} else {
			smtp_chat_cmd(s, smtp_conf.helo_timeout, "HELO %s", smtp_conf.helo_name);
			if (smtp_chat_reply(s, &r, smtp_conf.helo_timeout, doing) == 0) {
				s->features = 0;
				if (r.code / 100 == 2)
					rc = 0;
				else
					smtp_chat_said(s, &r, "HELO", &s->fail);
			}
		}
	}
	smtp_reply_free(&r);
	return rc;
}

int smtp_session_rset(smtp_session_t *s)
{
	smtp_reply_t r;
	int rc = -1;

	smtp_reply_init(&r);
	smtp_chat_cmd(s, smtp_conf.rset_timeout, "RSET");
	if (smtp_chat_reply(s, &r, smtp_conf.rset_timeout, "sending RSET") == 0)
		rc = r.code / 100 == 2 ? 0 : -1;
	smtp_reply_free(&r);
	return rc;
}

void smtp_session_close(smtp_session_t *s)
{
	smtp_reply_t r;

	if (s == NULL)
		return;
	if (!s->broken) {
		smtp_reply_init(&r);
		smtp_chat_cmd(s, smtp_conf.quit_timeout, "QUIT");
		(void)smtp_chat_reply(s, &r, smtp_conf.quit_timeout, "sending QUIT");
		smtp_reply_free(&r);
	}
	tls_conn_close(s->tls, s->st);
	stream_close(s->st);
	str_free(&s->auth_mechs);
	str_free(&s->fail.reason);
	mem_free(s->nexthop);
	mem_free(s);
}
