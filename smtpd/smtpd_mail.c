/*
 * smtpd_mail: the envelope - MAIL opens the transaction and its queue
 * file (envelope sender and client attributes), RCPT checks and adds
 * recipients, and RSET, QUIT, a lost client or a failed write throw the
 * unfinished queue file away.
 *
 * Addresses are rewritten here, as Postfix's cleanup does, so that the
 * queue file holds the final envelope (rewrite.h): the sender through
 * the canonical maps, each recipient through the canonical maps and then
 * virtual_alias_maps. Each final recipient is its own R record, after an
 * O record with the address the client gave and that RCPT's DSN records
 * (smtpd_dsn.c); a final recipient already in the transaction is not
 * written again, so it gets one copy.
 *
 * An address with 8-bit bytes needs SMTPUTF8 on MAIL FROM (RFC 6531) and
 * must then be UTF-8; without it, it gets Postfix's 553 5.6.7, never a
 * quiet pass.
 */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "log.h"
#include "rewrite.h"
#include "smtpd.h"

/* Reply for a queue file that could not be written. */
void smtpd_reply_write_error(smtpd_session_t *s, int err)
{
	if (err == ENOSPC || err == EDQUOT)
		smtpd_reply(s, "452 4.3.1 Insufficient system storage");
	else
		smtpd_reply(s, "451 4.3.0 Error: queue file write error");
}

void smtpd_trans_reset(smtpd_session_t *s)
{
	if (s->qw != NULL)
		queue_abort(s->qw);
	s->qw = NULL;
	str_set(&s->sender, "");
	s->sender_qualified = 0;
	str_reset(&s->rcpts);
	s->rcpt_count = 0;
	s->body_type = NULL;
	str_set(&s->sasl_sender, "");
	s->dsn_ret = NULL;
	str_free(&s->dsn_envid);
	s->smtputf8 = 0;
}

/* "user" alone means user@$myorigin; 1 when that was added. */
static int smtpd_qualify(str_t *addr)
{
	if (addr->len == 0 || strchr(addr->data, '@') != NULL)
		return 0;
	str_printf(addr, "@%s", smtpd_conf.myorigin);
	return 1;
}

/* Parse the ESMTP parameters; on a syntax error reply and return -1. */
static int smtpd_params(smtpd_session_t *s, const char *text, smtp_params_t *params)
{
	str_t bad = STR_INIT;
	const char *why;
	int status = smtp_params_parse(text, params, &bad, &why);

	if (status < 0)
		smtpd_reply(s, "501 5.5.4 Error: %s %s", why, str_cstr(&bad));
	str_free(&bad);
	return status;
}

static int smtpd_mail_size(smtpd_session_t *s, const char *value)
{
	unsigned long long size;

	if (smtp_param_number(value, &size) < 0) {
		smtpd_reply(s, "501 5.5.4 Bad message size syntax");
		return -1;
	}
	if (smtpd_conf.message_size_limit > 0
	    && size > (unsigned long long)smtpd_conf.message_size_limit) {
		smtpd_reply(s, "552 5.3.4 Message size exceeds fixed limit");
		return -1;
	}
	return smtpd_space_check(s, size);
}

static int smtpd_mail_body(smtpd_session_t *s, const char *value)
{
	if (value && strcasecmp(value, "7BIT") == 0) {
		s->body_type = "7BIT";
	} else if (value && strcasecmp(value, "8BITMIME") == 0) {
		s->body_type = "8BITMIME";
	} else {
		smtpd_reply(s, "501 5.5.4 Unsupported BODY parameter");
		return -1;
	}
	return 0;
}

/* RFC 6531: a keyword without a value. */
static int smtpd_mail_smtputf8(smtpd_session_t *s, const char *value)
{
	if (value != NULL) {
		smtpd_reply(s, "501 5.5.4 Bad SMTPUTF8 parameter syntax");
		return -1;
	}
	s->smtputf8 = 1;
	return 0;
}

/* The parameters MAIL FROM takes; each handler returns 0, or -1 after a reply. */
static const struct {
	const char *name;
	int (*handle)(smtpd_session_t *s, const char *value);
} smtpd_mail_param_table[] = {
	{ "SIZE", smtpd_mail_size },
	{ "BODY", smtpd_mail_body },
	{ "AUTH", smtpd_auth_mail_param },
	{ "RET", smtpd_dsn_ret },
	{ "ENVID", smtpd_dsn_envid },
	{ "SMTPUTF8", smtpd_mail_smtputf8 },
};

/* MAIL FROM's parameters; one it does not take is refused. */
static int smtpd_mail_params(smtpd_session_t *s, const smtp_params_t *params)
{
	for (size_t i = 0; i < params->count; i++) {
		const smtp_param_t *p = &params->items[i];
		size_t n = 0;

		while (n < sizeof(smtpd_mail_param_table) / sizeof(smtpd_mail_param_table[0])
		       && strcasecmp(p->name, smtpd_mail_param_table[n].name) != 0)
			n++;
		if (n == sizeof(smtpd_mail_param_table) / sizeof(smtpd_mail_param_table[0])) {
			smtpd_reply(s, "555 5.5.4 Unsupported option: %s", p->name);
			return -1;
		}
		if (smtpd_mail_param_table[n].handle(s, p->value) < 0)
			return -1;
	}
	return 0;
}

/* 8-bit bytes in an address: only UTF-8, only after SMTPUTF8. 0, or -1
 * after a reply (bad_syntax is "5.1.7 Bad sender address syntax" or the
 * recipient's). */
static int smtpd_addr_charset(smtpd_session_t *s, const char *addr, const char *bad_syntax)
{
	enum addr_charset charset = addr_charset(addr);

	if (charset == ADDR_ASCII)
		return 0;
	if (!s->smtputf8) {
		smtpd_reply(s, "553 5.6.7 Must declare SMTPUTF8 to send unicode address");
		return -1;
	}
	if (charset == ADDR_NOT_UTF8) {
		smtpd_reply(s, "553 %s: invalid UTF-8", bad_syntax);
		return -1;
	}
	return 0;
}

/* The canonical sender in out; on a lookup problem reply and return -1. */
static int smtpd_mail_rewrite(smtpd_session_t *s, str_t *out)
{
	str_t why = STR_INIT;
	str_t wire = STR_INIT;
	int status = rewrite_sender(s->sender.data, out, &why);

	if (status != REWRITE_OK) {
		log_warning("%s -- message not accepted, try again later", str_cstr(&why));
		addr_quote(s->sender.data, &wire);
		smtpd_reply(s, "451 4.3.0 <%s>: Temporary lookup failure", str_cstr(&wire));
	}
	str_free(&why);
	str_free(&wire);
	return status == REWRITE_OK ? 0 : -1;
}

/* "ID: client=name[addr]", with the SASL login when there was one. */
static void smtpd_mail_log_client(smtpd_session_t *s)
{
	str_t line = STR_INIT;

	str_printf(&line, "%s: client=%s", queue_writer_id(s->qw), s->peer.namaddr);
	if (s->sasl_username.len > 0)
		str_printf(&line, ", sasl_method=%s, sasl_username=%s", s->sasl_method.data,
			   s->sasl_username.data);
	if (s->sasl_sender.len > 0)
		str_printf(&line, ", sasl_sender=%s", s->sasl_sender.data);
	log_info("%s", line.data);
	str_free(&line);
}

/* The SASL login as queue file attributes (Postfix's names). */
static int smtpd_mail_put_sasl(smtpd_session_t *s)
{
	if (s->sasl_username.len == 0)
		return 0;
	if (queue_put_attr(s->qw, "sasl_method", s->sasl_method.data) < 0
	    || queue_put_attr(s->qw, "sasl_username", s->sasl_username.data) < 0)
		return -1;
	return s->sasl_sender.len > 0 ? queue_put_attr(s->qw, "sasl_sender", s->sasl_sender.data) : 0;
}

/* The envelope sender and the client attributes, in the new queue file. */
static int smtpd_mail_open(smtpd_session_t *s, const char *sender)
{
	queue_writer_t *qw = queue_create(QUEUE_INCOMING);

	if (qw == NULL) {
		int err = errno;

		log_warning("cannot create queue file: %m");
		errno = err;
		return -1;
	}
	s->qw = qw;
	smtpd_mail_log_client(s);
	if (queue_put_sender(qw, sender) < 0
	    || smtpd_mail_put_sasl(s) < 0
	    || queue_put_attr(qw, "client_name", s->peer.name) < 0
	    || queue_put_attr(qw, "client_address", s->peer.addr) < 0
	    || (s->helo.len && queue_put_attr(qw, "helo_name", s->helo.data) < 0)
	    || queue_put_attr(qw, "protocol", s->esmtp ? "ESMTP" : "SMTP") < 0
	    || (s->body_type && queue_put_attr(qw, "body_type", s->body_type) < 0)
	    || (s->smtputf8 && queue_put_attr(qw, "smtputf8", "yes") < 0)
	    || smtpd_dsn_put_mail(s) < 0) {
		int err = errno;

		log_warning("%s: queue file write error: %m", queue_writer_id(qw));
		errno = err;
		return -1;
	}
	return 0;
}

void smtpd_cmd_mail(smtpd_session_t *s, const char *arg)
{
	const char *path = smtp_cmd_path(arg, "FROM:");
	const char *rest;
	const char *why;
	smtp_params_t params;
	str_t sender = STR_INIT;

	if (smtpd_anvil_mail(s) < 0)
		return;
	if (s->qw != NULL) {
		smtpd_reply(s, "503 5.5.1 Error: nested MAIL command");
		return;
	}
	if (path == NULL) {
		smtpd_reply(s, "501 5.5.4 Syntax: MAIL FROM:<address>");
		return;
	}
	if (addr_parse_path(path, ADDR_ALLOW_NULL | ADDR_ALLOW_NOBRACKETS | ADDR_ALLOW_8BIT,
			    &s->sender, &rest, &why) < 0) {
		smtpd_reply(s, "501 5.1.7 Bad sender address syntax");
		return;
	}
	smtp_params_init(&params);
	if (smtpd_params(s, rest, &params) == 0 && smtpd_mail_params(s, &params) == 0
	    && smtpd_addr_charset(s, s->sender.data, "5.1.7 Bad sender address syntax") == 0) {
		s->sender_qualified = smtpd_qualify(&s->sender);
		if (smtpd_space_check(s, 0) < 0 || smtpd_restrict_mail(s) != 0
		    || smtpd_mail_rewrite(s, &sender) < 0) {
			/* replied */
		} else if (smtpd_mail_open(s, sender.data) == 0) {
			smtpd_reply(s, "250 2.1.0 Ok");
		} else {
			smtpd_reply_write_error(s, errno);
			smtpd_trans_reset(s);
		}
	}
	str_free(&sender);
	smtp_params_free(&params);
	if (s->qw == NULL)
		smtpd_trans_reset(s);
}

/* Checks that need no lookup; 0 when the recipient may be looked at. */
static int smtpd_rcpt_syntax(smtpd_session_t *s, const char *arg, str_t *rcpt, smtpd_dsn_rcpt_t *dsn)
{
	const char *path = smtp_cmd_path(arg, "TO:");
	const char *rest;
	const char *why;
	smtp_params_t params;
	int status;

	if (s->qw == NULL) {
		smtpd_reply(s, "503 5.5.1 Error: need MAIL command");
		return -1;
	}
	if (path == NULL) {
		smtpd_reply(s, "501 5.5.4 Syntax: RCPT TO:<address>");
		return -1;
	}
	if (addr_parse_path(path, ADDR_ALLOW_NOBRACKETS | ADDR_ALLOW_8BIT, rcpt, &rest, &why) < 0) {
		smtpd_reply(s, "501 5.1.3 Bad recipient address syntax");
		return -1;
	}
	if (smtpd_addr_charset(s, rcpt->data, "5.1.3 Bad recipient address syntax") < 0)
		return -1;
	smtp_params_init(&params);
	status = smtpd_params(s, rest, &params);
	if (status == 0)
		status = smtpd_dsn_rcpt_params(s, &params, dsn);
	smtp_params_free(&params);
	if (status == 0 && s->rcpt_count >= (size_t)smtpd_conf.recipient_limit) {
		smtpd_reply(s, "452 4.5.3 Error: too many recipients");
		status = -1;
	}
	return status;
}

/* A final recipient already queued in this transaction is not queued again. */
static int smtpd_rcpt_seen(const smtpd_session_t *s, const char *rcpt)
{
	for (size_t off = 0; off < s->rcpts.len; off += strlen(s->rcpts.data + off) + 1)
		if (strcmp(s->rcpts.data + off, rcpt) == 0)
			return 1;
	return 0;
}

/* The final recipients of rcpt (canonical maps, then virtual aliases),
 * each ended by a NUL, and their number; on an error reply and return -1. */
static int smtpd_rcpt_rewrite(smtpd_session_t *s, const char *rcpt, str_t *finals, size_t *count)
{
	str_t canon = STR_INIT;
	str_t why = STR_INIT;
	str_t wire = STR_INIT;
	int status = rewrite_recipient(rcpt, &canon, &why);

	if (status == REWRITE_OK)
		status = rewrite_virtual_alias(canon.data, finals, count, &why);
	if (status != REWRITE_OK) {
		log_warning("%s: %s -- message not accepted, try again later",
			    queue_writer_id(s->qw), str_cstr(&why));
		addr_quote(rcpt, &wire);
		if (status == REWRITE_LOOKUP_ERROR)
			smtpd_reply(s, "451 4.3.0 <%s>: Temporary lookup failure", str_cstr(&wire));
		else
			smtpd_reply(s, "451 4.6.0 <%s>: Alias expansion error", str_cstr(&wire));
	}
	str_free(&canon);
	str_free(&why);
	str_free(&wire);
	return status == REWRITE_OK ? 0 : -1;
}

/* A queue file write failed: reply, end the transaction, return -1. */
static int smtpd_rcpt_write_failed(smtpd_session_t *s)
{
	int err = errno;

	log_warning("%s: queue file write error: %m", queue_writer_id(s->qw));
	smtpd_reply_write_error(s, err);
	smtpd_trans_reset(s);
	return -1;
}

/* The O record and the DSN records that go with it; -1 after a reply. */
static int smtpd_rcpt_put_orig(smtpd_session_t *s, const char *orig, const smtpd_dsn_rcpt_t *dsn)
{
	if (queue_put_orig(s->qw, orig) < 0 || smtpd_dsn_put_rcpt(s, dsn) < 0)
		return smtpd_rcpt_write_failed(s);
	return 0;
}

/* Queue the final recipients not queued yet, after the original's O record
 * and the DSN records of its RCPT. */
static int smtpd_rcpt_store(smtpd_session_t *s, const char *orig, const smtpd_dsn_rcpt_t *dsn,
			    const char *finals, size_t count)
{
	const char *addr = finals;
	int orig_written = 0;

	for (size_t i = 0; i < count; i++, addr += strlen(addr) + 1) {
		if (smtpd_rcpt_seen(s, addr))
			continue;
		if (!orig_written++ && smtpd_rcpt_put_orig(s, orig, dsn) < 0)
			return -1;
		if (queue_put_rcpt(s->qw, addr) < 0)
			return smtpd_rcpt_write_failed(s);
		str_append(&s->rcpts, addr, strlen(addr) + 1);
	}
	return 0;
}

void smtpd_cmd_rcpt(smtpd_session_t *s, const char *arg)
{
	str_t rcpt = STR_INIT;
	str_t reply = STR_INIT;
	str_t finals = STR_INIT;
	str_t given = STR_INIT;
	smtpd_dsn_rcpt_t dsn = { 0, STR_INIT };
	size_t count;

	if (smtpd_anvil_rcpt(s) < 0)
		goto done;
	if (smtpd_rcpt_syntax(s, arg, &rcpt, &dsn) < 0)
		goto done;
	str_set(&given, rcpt.data);
	smtpd_qualify(&rcpt);
	if (smtpd_rcpt_rewrite(s, rcpt.data, &finals, &count) < 0)
		goto done;
	if (smtpd_check_rcpt(s, rcpt.data, given.data, finals.data, count, &reply) != 0) {
		smtpd_reply(s, "%s", reply.data);
		smtpd_log_reject(s, "RCPT", reply.data, rcpt.data);
		goto done;
	}
	if (smtpd_rcpt_store(s, rcpt.data, &dsn, finals.data, count) < 0)
		goto done;
	s->rcpt_count++;
	smtpd_reply(s, "250 2.1.5 Ok");
done:
	str_free(&rcpt);
	str_free(&reply);
	str_free(&finals);
	str_free(&given);
	smtpd_dsn_rcpt_free(&dsn);
}
