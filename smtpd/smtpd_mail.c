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
 * O record with the address the client gave; a final recipient already
 * in the transaction is not written again, so it gets one copy.
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

/* SIZE, BODY and AUTH of MAIL FROM; anything else is refused. */
static int smtpd_mail_params(smtpd_session_t *s, const smtp_params_t *params)
{
	for (size_t i = 0; i < params->count; i++) {
		const smtp_param_t *p = &params->items[i];
		unsigned long long size;

		if (strcasecmp(p->name, "SIZE") == 0) {
			if (smtp_param_number(p->value, &size) < 0) {
				smtpd_reply(s, "501 5.5.4 Bad message size syntax");
				return -1;
			}
			if (smtpd_conf.message_size_limit > 0
			    && size > (unsigned long long)smtpd_conf.message_size_limit) {
				smtpd_reply(s, "552 5.3.4 Message size exceeds fixed limit");
				return -1;
			}
		} else if (strcasecmp(p->name, "BODY") == 0 && p->value
			   && (strcasecmp(p->value, "7BIT") == 0 || strcasecmp(p->value, "8BITMIME") == 0)) {
			s->body_type = strcasecmp(p->value, "7BIT") == 0 ? "7BIT" : "8BITMIME";
		} else if (strcasecmp(p->name, "BODY") == 0) {
			smtpd_reply(s, "501 5.5.4 Unsupported BODY parameter");
			return -1;
		} else if (strcasecmp(p->name, "AUTH") == 0) {
			if (smtpd_auth_mail_param(s, p->value) < 0)
				return -1;
		} else {
			smtpd_reply(s, "555 5.5.4 Unsupported option: %s", p->name);
			return -1;
		}
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
	    || (s->body_type && queue_put_attr(qw, "body_type", s->body_type) < 0)) {
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

	if (s->qw != NULL) {
		smtpd_reply(s, "503 5.5.1 Error: nested MAIL command");
		return;
	}
	if (path == NULL) {
		smtpd_reply(s, "501 5.5.4 Syntax: MAIL FROM:<address>");
		return;
	}
	if (addr_parse_path(path, ADDR_ALLOW_NULL | ADDR_ALLOW_NOBRACKETS, &s->sender, &rest, &why) < 0) {
		smtpd_reply(s, "501 5.1.7 Bad sender address syntax");
		return;
	}
	smtp_params_init(&params);
	if (smtpd_params(s, rest, &params) == 0 && smtpd_mail_params(s, &params) == 0) {
		s->sender_qualified = smtpd_qualify(&s->sender);
		if (smtpd_mail_rewrite(s, &sender) < 0) {
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
static int smtpd_rcpt_syntax(smtpd_session_t *s, const char *arg, str_t *rcpt)
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
	if (addr_parse_path(path, ADDR_ALLOW_NOBRACKETS, rcpt, &rest, &why) < 0) {
		smtpd_reply(s, "501 5.1.3 Bad recipient address syntax");
		return -1;
	}
	smtp_params_init(&params);
	status = smtpd_params(s, rest, &params);
	if (status == 0 && params.count > 0) {
		smtpd_reply(s, "555 5.5.4 Unsupported option: %s", params.items[0].name);
		status = -1;
	}
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

/* Write one record; on a failure reply, end the transaction, return -1. */
static int smtpd_rcpt_put(smtpd_session_t *s, int (*put)(queue_writer_t *, const char *),
			  const char *addr)
{
	int err;

	if (put(s->qw, addr) == 0)
		return 0;
	err = errno;
	log_warning("%s: queue file write error: %m", queue_writer_id(s->qw));
	smtpd_reply_write_error(s, err);
	smtpd_trans_reset(s);
	return -1;
}

/* Queue the final recipients not queued yet, after the original's O record. */
static int smtpd_rcpt_store(smtpd_session_t *s, const char *orig, const char *finals,
			    size_t count)
{
	const char *addr = finals;
	int orig_written = 0;

	for (size_t i = 0; i < count; i++, addr += strlen(addr) + 1) {
		if (smtpd_rcpt_seen(s, addr))
			continue;
		if (!orig_written++ && smtpd_rcpt_put(s, queue_put_orig, orig) < 0)
			return -1;
		if (smtpd_rcpt_put(s, queue_put_rcpt, addr) < 0)
			return -1;
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
	size_t count;

	if (smtpd_rcpt_syntax(s, arg, &rcpt) < 0)
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
	if (smtpd_rcpt_store(s, rcpt.data, finals.data, count) < 0)
		goto done;
	s->rcpt_count++;
	smtpd_reply(s, "250 2.1.5 Ok");
done:
	str_free(&rcpt);
	str_free(&reply);
	str_free(&finals);
	str_free(&given);
}
