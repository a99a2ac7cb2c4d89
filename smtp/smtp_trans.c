/*
 * smtp_trans: one mail transaction: MAIL FROM, one RCPT TO per recipient,
 * DATA, the content, and the server's verdict per recipient:
 *
 *   2xx to the end of DATA    sent, for every recipient whose RCPT was accepted
 *   4xx                       deferred, with the server's words
 *   5xx                       bounced, with the server's words
 *
 * A refused MAIL FROM or DATA settles every recipient it covers; a
 * connection lost or timed out before the server's verdict on the content
 * defers them all.
 *
 * With PIPELINING (RFC 2920) the commands go out together, MAIL, the
 * RCPTs and DATA in one write, and the replies are read in the same order
 * afterwards; at most SMTP_TRANS_WINDOW commands wait for their replies at
 * once, so neither side's socket buffer can fill up with unread replies.
 * Without it the window is one: each command waits for its reply, and
 * DATA is sent only when a recipient was accepted.
 *
 * MAIL FROM carries SIZE= when the server offers SIZE, BODY=8BITMIME
 * when the message is 8-bit and the server offers 8BITMIME (a server
 * without it gets the message as it is, and the log says so, as Postfix
 * does by default), SMTPUTF8 when the message came with it and the server
 * offers it (a message whose addresses need it bounces with 5.6.7 when
 * the server does not), and the DSN parameters through smtp_dsn.
 */
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "log.h"
#include "smtp.h"

#define SMTP_TRANS_WINDOW 100		/* commands sent before their replies are read */

/* What a reply answers. */
enum smtp_trans_cmd { SMTP_TRANS_MAIL, SMTP_TRANS_RCPT, SMTP_TRANS_DATA };

typedef struct smtp_trans_pending {
	enum smtp_trans_cmd cmd;
	size_t rcpt;			/* SMTP_TRANS_RCPT: its index */
} smtp_trans_pending_t;

typedef struct smtp_trans_state {
	smtp_session_t *s;
	smtp_request_t *req;
	smtp_trans_pending_t pending[SMTP_TRANS_WINDOW];
	size_t head, count;		/* a ring of commands awaiting replies */
	size_t window;
	int mail_refused;
	int data_ok;			/* DATA got 354 */
	size_t accepted;
	smtp_reply_t reply;
	smtp_status_t st;
} smtp_trans_state_t;

static void smtp_trans_push(smtp_trans_state_t *t, enum smtp_trans_cmd cmd, size_t rcpt)
{
	t->pending[(t->head + t->count++) % SMTP_TRANS_WINDOW] =
		(smtp_trans_pending_t){ .cmd = cmd, .rcpt = rcpt };
}

static void smtp_trans_mail_reply(smtp_trans_state_t *t)
{
	if (t->reply.code / 100 == 2)
		return;
	t->mail_refused = 1;
	smtp_chat_said(t->s, &t->reply, "MAIL FROM", &t->st);
	smtp_rcpt_settle_all(t->req, &t->st, 0);
}

static void smtp_trans_rcpt_reply(smtp_trans_state_t *t, size_t i)
{
	smtp_rcpt_t *rcpt = &t->req->rcpts[i];

	if (rcpt->settled)		/* MAIL was refused */
		return;
	if (t->reply.code / 100 == 2) {
		rcpt->accepted = 1;
		t->accepted++;
		return;
	}
	smtp_chat_said(t->s, &t->reply, "RCPT TO", &t->st);
	smtp_rcpt_settle(t->req, rcpt, &t->st);
}

static void smtp_trans_data_reply(smtp_trans_state_t *t)
{
	t->data_ok = t->reply.code == 354;
	if (t->data_ok || t->mail_refused)
		return;
	smtp_chat_said(t->s, &t->reply, "DATA", &t->st);
	smtp_rcpt_settle_all(t->req, &t->st, 1);
}

/* Read the oldest pending reply and apply it; -1 when the session broke. */
static int smtp_trans_read_one(smtp_trans_state_t *t)
{
	smtp_trans_pending_t p = t->pending[t->head];
	int rc;

	t->head = (t->head + 1) % SMTP_TRANS_WINDOW;
	t->count--;
	if (p.cmd == SMTP_TRANS_MAIL)
		rc = smtp_chat_reply(t->s, &t->reply, smtp_conf.mail_timeout, "sending MAIL FROM");
	else if (p.cmd == SMTP_TRANS_RCPT)
		rc = smtp_chat_reply(t->s, &t->reply, smtp_conf.rcpt_timeout, "sending RCPT TO");
	else
		rc = smtp_chat_reply(t->s, &t->reply, smtp_conf.data_init_timeout,
				     "sending DATA command");
	if (rc < 0)
		return -1;
	if (p.cmd == SMTP_TRANS_MAIL)
		smtp_trans_mail_reply(t);
	else if (p.cmd == SMTP_TRANS_RCPT)
		smtp_trans_rcpt_reply(t, p.rcpt);
	else
		smtp_trans_data_reply(t);
	return 0;
}

static int smtp_trans_read_all(smtp_trans_state_t *t)
{
	while (t->count > 0)
		if (smtp_trans_read_one(t) < 0)
			return -1;
	return 0;
}

/* Room for one more command: read replies until the window has it. */
static int smtp_trans_room(smtp_trans_state_t *t)
{
	while (t->count >= t->window)
		if (smtp_trans_read_one(t) < 0)
			return -1;
	return 0;
}

/* SMTPUTF8 is needed when the message came with it and an address is not ASCII. */
static int smtp_trans_needs_utf8(const smtp_request_t *req)
{
	if (queue_msg_attr(&req->qm, "smtputf8") == NULL)
		return 0;
	if (addr_charset(req->qm.sender) != ADDR_ASCII)
		return 1;
	for (size_t i = 0; i < req->nrcpts; i++)
		if (!req->rcpts[i].settled && addr_charset(req->rcpts[i].qr->addr) != ADDR_ASCII)
			return 1;
	return 0;
}

/* The MAIL FROM command; -1 (recipients settled) when it cannot be sent. */
static int smtp_trans_mail(smtp_trans_state_t *t)
{
	const smtp_request_t *req = t->req;
	const char *body = queue_msg_attr(&req->qm, "body_type");
	int eight_bit = body != NULL && strcmp(body, "8BITMIME") == 0;
	str_t cmd = STR_INIT;

	if (!(t->s->features & SMTP_FEATURE_SMTPUTF8) && smtp_trans_needs_utf8(req)) {
		smtp_status_set(&t->st, "5.6.7", "SMTPUTF8 is required, but was not offered by "
				"host %s", t->s->namaddr);
		smtp_rcpt_settle_all(t->req, &t->st, 0);
		return -1;
	}
	str_append_cstr(&cmd, "MAIL FROM:<");
	addr_quote(req->qm.sender, &cmd);
	str_putc(&cmd, '>');
	if (t->s->features & SMTP_FEATURE_SIZE)
		str_printf(&cmd, " SIZE=%lld", (long long)req->qm.content_size);
	if (eight_bit && (t->s->features & SMTP_FEATURE_8BITMIME))
		str_append_cstr(&cmd, " BODY=8BITMIME");
	else if (eight_bit)
		log_info("%s: host %s does not offer 8BITMIME: the 8-bit message is sent as it is",
			 req->id, t->s->namaddr);
	if ((t->s->features & SMTP_FEATURE_SMTPUTF8) && queue_msg_attr(&req->qm, "smtputf8"))
		str_append_cstr(&cmd, " SMTPUTF8");
	smtp_dsn_mail(t->s, req, &cmd);
	smtp_chat_cmd(t->s, smtp_conf.mail_timeout, "%s", cmd.data);
	smtp_trans_push(t, SMTP_TRANS_MAIL, 0);
	str_free(&cmd);
	return 0;
}

static void smtp_trans_rcpt(smtp_trans_state_t *t, size_t i)
{
	smtp_rcpt_t *rcpt = &t->req->rcpts[i];
	str_t cmd = STR_INIT;

	str_append_cstr(&cmd, "RCPT TO:<");
	addr_quote(rcpt->qr->addr, &cmd);
	str_putc(&cmd, '>');
	smtp_dsn_rcpt(t->s, rcpt->qr, &cmd);
	rcpt->dsn_passed = (t->s->features & SMTP_FEATURE_DSN) != 0;
	smtp_chat_cmd(t->s, smtp_conf.rcpt_timeout, "%s", cmd.data);
	smtp_trans_push(t, SMTP_TRANS_RCPT, i);
	str_free(&cmd);
}

/* MAIL, the RCPTs and DATA, and their replies; -1 when the session broke. */
static int smtp_trans_envelope(smtp_trans_state_t *t)
{
	if (smtp_trans_mail(t) < 0)
		return 0;
	for (size_t i = 0; i < t->req->nrcpts && !t->mail_refused; i++) {
		if (t->req->rcpts[i].settled)
			continue;
		if (smtp_trans_room(t) < 0)
			return -1;
		if (!t->mail_refused)
			smtp_trans_rcpt(t, i);
	}
	if (t->window == 1 && smtp_trans_read_all(t) < 0)
		return -1;
	if (smtp_trans_room(t) < 0)
		return -1;
	if (!t->mail_refused && (t->window > 1 || t->accepted > 0)) {
		smtp_chat_cmd(t->s, smtp_conf.data_init_timeout, "DATA");
		smtp_trans_push(t, SMTP_TRANS_DATA, 0);
	}
	return smtp_trans_read_all(t);
}

/* After 354: the content and the verdict on it; -1 when the session broke. */
static int smtp_trans_content(smtp_trans_state_t *t)
{
	static const char *const doing = "sending end of data -- message may be sent more than once";

	if (t->accepted == 0) {		/* DATA accepted without recipients: send nothing */
		smtp_chat_cmd(t->s, smtp_conf.data_xfer_timeout, ".");
		return smtp_chat_reply(t->s, &t->reply, smtp_conf.data_done_timeout, doing);
	}
	if (smtp_body_send(t->s, t->req) < 0
	    || smtp_chat_reply(t->s, &t->reply, smtp_conf.data_done_timeout, doing) < 0)
		return -1;
	if (t->reply.code / 100 == 2) {
		str_reset(&t->st.reason);
		smtp_reply_text(&t->reply, &t->st.reason);
		snprintf(t->st.dsn, sizeof(t->st.dsn), "%s", t->reply.dsn);
	} else {
		smtp_chat_said(t->s, &t->reply, "end of DATA", &t->st);
	}
	smtp_rcpt_settle_all(t->req, &t->st, 1);
	return 0;
}

void smtp_trans(smtp_session_t *s, smtp_request_t *req)
{
	smtp_trans_state_t t = { .s = s, .req = req, .st = { .reason = STR_INIT } };

	t.window = (s->features & SMTP_FEATURE_PIPELINING) ? SMTP_TRANS_WINDOW : 1;
	smtp_reply_init(&t.reply);
	s->transactions++;
	if (smtp_trans_envelope(&t) < 0 || (t.data_ok && smtp_trans_content(&t) < 0))
		smtp_rcpt_settle_all(req, &s->fail, 0);
	smtp_reply_free(&t.reply);
	str_free(&t.st.reason);
}
