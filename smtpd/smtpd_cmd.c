/*
 * smtpd_cmd: the command table, dispatch, and the commands outside the
 * mail transaction (HELO, EHLO, RSET, NOOP, VRFY, HELP, QUIT). MAIL and
 * RCPT are in smtpd_mail.c, DATA in smtpd_data.c, BDAT in smtpd_bdat.c,
 * AUTH in smtpd_auth.c, STARTTLS in smtpd_tls.c. Where
 * smtpd_tls_security_level = encrypt, only the pre_tls commands run
 * before STARTTLS; the others get 530 (BDAT too, after its octets).
 *
 * Dispatch counts each command for the "disconnect from" summary, counts
 * junk commands and client errors, and ends the session with 421 once
 * smtpd_hard_error_limit errors were made without delivering mail.
 */
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "smtpd.h"

static void smtpd_cmd_helo(smtpd_session_t *s, const char *arg);
static void smtpd_cmd_ehlo(smtpd_session_t *s, const char *arg);
static void smtpd_cmd_rset(smtpd_session_t *s, const char *arg);
static void smtpd_cmd_noop(smtpd_session_t *s, const char *arg);
static void smtpd_cmd_vrfy(smtpd_session_t *s, const char *arg);
static void smtpd_cmd_help(smtpd_session_t *s, const char *arg);
static void smtpd_cmd_quit(smtpd_session_t *s, const char *arg);

/* In the order of the "disconnect from" summary. */
const smtpd_verb_t smtpd_verbs[SMTPD_VERB_COUNT] = {
	{ "HELO", smtpd_cmd_helo, 0, 1 },
	{ "EHLO", smtpd_cmd_ehlo, 0, 1 },
	{ "STARTTLS", smtpd_cmd_starttls, 0, 1 },
	{ "AUTH", smtpd_cmd_auth, 0, 0 },
	{ "MAIL", smtpd_cmd_mail, 0, 0 },
	{ "RCPT", smtpd_cmd_rcpt, 0, 0 },
	{ "DATA", smtpd_cmd_data, 0, 0 },
	{ "BDAT", smtpd_cmd_bdat, 0, 0 },
	{ "RSET", smtpd_cmd_rset, 1, 1 },
	{ "NOOP", smtpd_cmd_noop, 1, 1 },
	{ "VRFY", smtpd_cmd_vrfy, 1, 0 },
	{ "HELP", smtpd_cmd_help, 0, 0 },
	{ "QUIT", smtpd_cmd_quit, 0, 1 },
};

/* HELO and EHLO: remember the name; like RSET, they end any transaction
 * (RFC 5321 4.1.4). */
static int smtpd_cmd_greet(smtpd_session_t *s, const char *arg, const char *verb)
{
	if (*arg == 0) {
		smtpd_reply(s, "501 Syntax: %s hostname", verb);
		return -1;
	}
	if (smtpd_restrict_helo(s, arg) != 0)
		return -1;
	smtpd_trans_reset(s);
	str_set(&s->helo, arg);
	return 0;
}

static void smtpd_cmd_helo(smtpd_session_t *s, const char *arg)
{
	if (smtpd_cmd_greet(s, arg, "HELO") < 0)
		return;
	s->esmtp = 0;
	smtpd_reply(s, "250 %s", smtpd_conf.myhostname);
}

static void smtpd_cmd_ehlo(smtpd_session_t *s, const char *arg)
{
	char size[32] = "";
	str_t ext = STR_INIT;

	if (smtpd_cmd_greet(s, arg, "EHLO") < 0)
		return;
	s->esmtp = 1;
	if (smtpd_conf.message_size_limit > 0)
		snprintf(size, sizeof(size), " %ld", smtpd_conf.message_size_limit);
	smtpd_tls_ehlo(s, &ext);
	smtpd_auth_ehlo(s, &ext);
	smtpd_reply(s, "250-%s\r\n250-PIPELINING\r\n250-SIZE%s\r\n%s%s"
		    "250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250-DSN\r\n250-SMTPUTF8\r\n"
		    "250 CHUNKING",
		    smtpd_conf.myhostname, size, smtpd_conf.disable_vrfy ? "" : "250-VRFY\r\n",
		    str_cstr(&ext));
	str_free(&ext);
}

static void smtpd_cmd_rset(smtpd_session_t *s, const char *arg)
{
	if (*arg) {
		smtpd_reply(s, "501 5.5.4 Syntax: RSET");
		return;
	}
	smtpd_trans_reset(s);
	smtpd_reply(s, "250 2.0.0 Ok");
}

static void smtpd_cmd_noop(smtpd_session_t *s, const char *arg)
{
	(void)arg;
	smtpd_reply(s, "250 2.0.0 Ok");
}

/* VRFY does not disclose anything: 252 means "try it and see". */
static void smtpd_cmd_vrfy(smtpd_session_t *s, const char *arg)
{
	if (smtpd_conf.disable_vrfy)
		smtpd_reply(s, "502 5.5.1 VRFY command is disabled");
	else if (*arg == 0)
		smtpd_reply(s, "501 5.5.4 Syntax: VRFY address");
	else
		smtpd_reply(s, "252 2.0.0 %s", arg);
}

static void smtpd_cmd_help(smtpd_session_t *s, const char *arg)
{
	(void)arg;
	smtpd_reply(s, "214 2.0.0 Commands: HELO EHLO STARTTLS AUTH MAIL RCPT DATA BDAT RSET NOOP VRFY HELP QUIT");
}

static void smtpd_cmd_quit(smtpd_session_t *s, const char *arg)
{
	(void)arg;
	smtpd_reply(s, "221 2.0.0 Bye");
	s->done = 1;
}

static const smtpd_verb_t *smtpd_cmd_find(const char *verb, size_t *index)
{
	for (size_t i = 0; i < SMTPD_VERB_COUNT; i++) {
		if (strcmp(smtpd_verbs[i].name, verb) == 0) {
			*index = i;
			return &smtpd_verbs[i];
		}
	}
	*index = SMTPD_COUNT_UNKNOWN;
	return NULL;
}

/* smtpd_forbid_bare_newline = reject: a command must end in CR LF. */
int smtpd_cmd_bare_lf(const str_t *line)
{
	return line->len > 0 && line->data[line->len - 1] == '\n'
	    && (line->len < 2 || line->data[line->len - 2] != '\r');
}

static void smtpd_cmd_dispatch(smtpd_session_t *s, size_t *index)
{
	const char *why;
	const smtpd_verb_t *verb;

	*index = SMTPD_COUNT_UNKNOWN;
	if (smtp_cmd_parse(s->line.data, s->line.len, &s->cmd, &why) < 0) {
		snprintf(s->where, sizeof(s->where), "UNKNOWN");
		smtpd_reply(s, "500 5.5.2 Error: bad syntax");
		return;
	}
	verb = smtpd_cmd_find(s->cmd.verb.data, index);
	snprintf(s->where, sizeof(s->where), "%s", verb ? verb->name : "UNKNOWN");
	if (verb == NULL) {
		smtpd_reply(s, "502 5.5.2 Error: command not recognized");
		return;
	}
	/* BDAT's octets follow its line whatever the reply: it checks for itself. */
	if (verb->handler == smtpd_cmd_bdat) {
		smtpd_cmd_bdat(s, s->cmd.arg.data);
		return;
	}
	if (smtpd_restrict_denied(s, verb->name))
		return;
	if (smtpd_conf.reject_bare_newline && smtpd_cmd_bare_lf(&s->line)) {
		smtpd_reply(s, "550 5.5.2 Error: bare <LF> received");
		return;
	}
	if (!verb->pre_tls && smtpd_tls_required(s)) {
		smtpd_reply(s, "530 5.7.0 Must issue a STARTTLS command first");
		return;
	}
	if (verb->junk && ++s->junk_count > smtpd_conf.junk_command_limit)
		s->error_count++;
	if (smtpd_bdat_refuse_verb(s, verb->name))
		return;
	smtpd_pipelining_check(s, verb->name);
	verb->handler(s, s->cmd.arg.data);
}

void smtpd_cmd_run(smtpd_session_t *s)
{
	size_t index;

	s->failed = 0;
	smtpd_cmd_dispatch(s, &index);
	s->counts[index].total++;
	s->counts[index].ok += !s->failed;
	if (!s->done && s->error_count >= smtpd_conf.hard_error_limit) {
		log_info("too many errors after %s from %s", s->where, s->peer.namaddr);
		smtpd_reply(s, "421 4.7.0 %s Error: too many errors", smtpd_conf.myhostname);
		s->done = 1;
	}
}
