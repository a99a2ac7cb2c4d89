/*
 * qmgr_bounce: delivery status notifications to the sender.
 *
 * qmgr_rcpt_result notes each recipient whose result the sender must hear
 * of (a bounce, or a delivery with NOTIFY=SUCCESS); when the message's
 * attempt is over, qmgr_bounce_flush writes one RFC 3464 report per kind
 * (bounce_report.h) as a new queue file from the null sender and logs
 *
 *   ID: sender non-delivery notification: NEWID
 *
 * before the recipients are marked done, so a crash can repeat a notice
 * but never lose one. When the report cannot be written (a full disk) the
 * bounced recipients are deferred instead, and bounce again next time.
 *
 * Which results the sender hears of follows the recipient's DSN NOTIFY:
 * failures unless NOTIFY leaves FAILURE out (NEVER included), deliveries
 * only with SUCCESS, delays unless NOTIFY leaves DELAY out (RFC 3461 lets
 * the server choose when NOTIFY is absent; Postfix warns, and so does
 * Pochta).
 *
 * Delay warnings: with delay_warning_time set, a message that has waited
 * that long and still has recipients deferred after an attempt gets one
 * "Delayed Mail (still being retried)" notice for them, logged as
 *
 *   ID: sender delay notification: NEWID
 *
 * and marked in its queue file (the W record, queue.h) when the file goes
 * back to deferred/, so neither a later attempt nor a restart sends it
 * again; a crash between the two can send it twice, never lose it. Mail
 * from the null sender, and files without the W record, get none.
 *
 * A message past maximal_queue_lifetime
 * (bounce_queue_lifetime for one from the null sender) is tried once
 * more; the recipients deferred again then bounce with their last reason:
 *
 *   ID: from=<sender>, status=expired, returned to sender
 *
 * A bounce is never bounced: a message from the null sender that fails
 * goes, as a notice from double-bounce@$myorigin, to
 * 2bounce_notice_recipient when notify_classes has "2bounce", and is
 * dropped with a log line otherwise; one from double-bounce that fails is
 * always dropped.
 */
#include <errno.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "bounce_report.h"
#include "conf.h"
#include "log.h"
#include "mem.h"
#include "qmgr.h"

#define QMGR_BOUNCE_COPY_CHUNK 65536

void qmgr_bounce_note(qmgr_message_t *msg, size_t rcpt, enum bounce_action action,
		      const char *dsn, const char *relay, const char *reason)
{
	qmgr_notice_t *n;

	msg->notices = mem_realloc(msg->notices, (msg->nnotices + 1) * sizeof(*msg->notices));
	n = &msg->notices[msg->nnotices++];
	n->rcpt = rcpt;
	n->action = action;
	n->dsn = mem_strdup(dsn);
	n->relay = mem_strdup(relay);
	n->reason = mem_strdup(reason);
	n->diagnostic = NULL;
	n->dsn_passed = 0;
}

void qmgr_bounce_remote(qmgr_message_t *msg, size_t rcpt, const char *reply, int dsn_passed)
{
	for (size_t i = msg->nnotices; i-- > 0;) {
		qmgr_notice_t *note = &msg->notices[i];

		if (note->rcpt == rcpt) {
			mem_free(note->diagnostic);
			note->diagnostic = reply ? mem_strdup(reply) : NULL;
			note->dsn_passed = dsn_passed;
			return;
		}
	}
}

void qmgr_bounce_free(qmgr_message_t *msg)
{
	for (size_t i = 0; i < msg->nnotices; i++) {
		mem_free(msg->notices[i].dsn);
		mem_free(msg->notices[i].relay);
		mem_free(msg->notices[i].reason);
		mem_free(msg->notices[i].diagnostic);
	}
	mem_free(msg->notices);
	msg->notices = NULL;
	msg->nnotices = 0;
}

static int qmgr_bounce_notify_class(const char *cls)
{
	size_t count;
	char **classes = conf_split_list(conf_str("notify_classes"), &count);
	int found = 0;

	for (size_t i = 0; i < count && !found; i++)
		found = strcasecmp(classes[i], cls) == 0;
	conf_free_list(classes, count);
	return found;
}

/* The sender the notice goes to and the one it comes from; 0, or -1 when
 * it is dropped (logged). */
static int qmgr_bounce_parties(const qmgr_message_t *msg, str_t *to, str_t *from)
{
	str_t double_bounce = STR_INIT;
	int rc = 0;

	str_printf(&double_bounce, "double-bounce@%s", conf_str("myorigin"));
	str_set(from, "");
	if (*msg->qm.sender && strcasecmp(msg->qm.sender, double_bounce.data) != 0) {
		str_set(to, msg->qm.sender);
	} else if (*msg->qm.sender == 0 && qmgr_bounce_notify_class("2bounce")) {
		str_set(to, conf_str("2bounce_notice_recipient"));
		if (strchr(to->data, '@') == NULL)
			str_printf(to, "@%s", conf_str("myorigin"));
		str_set(from, double_bounce.data);
	} else {
		log_info("%s: sender non-delivery notification discarded: the sender is <%s>",
			 msg->id, msg->qm.sender);
		rc = -1;
	}
	str_free(&double_bounce);
	return rc;
}

static int qmgr_bounce_copy(const qmgr_message_t *msg, bounce_report_t *r, queue_writer_t *qw)
{
	char buf[QMGR_BOUNCE_COPY_CHUNK];
	off_t done = 0;
	int state = 0;

	while (done < msg->qm.content_size) {
		off_t left = msg->qm.content_size - done;
		size_t want = left < (off_t)sizeof(buf) ? (size_t)left : sizeof(buf);
		ssize_t got = pread(msg->fd, buf, want, msg->qm.content_offset + done);
		size_t keep;

		if (got <= 0) {
			if (got == 0)
				errno = EIO;	/* the file is shorter than it says */
			return -1;
		}
		keep = bounce_report_filter(r, &state, buf, (size_t)got);
		if (keep > 0 && queue_content_write(qw, buf, keep) < 0)
			return -1;
		if (keep < (size_t)got)
			return 0;
		done += got;
	}
	return 0;
}

/* Write the report as a queue file; 0 with its ID, or -1 with errno. */
static int qmgr_bounce_write(const qmgr_message_t *msg, bounce_report_t *r, const char *from,
			     char *id)
{
	queue_writer_t *qw = queue_create(QUEUE_INCOMING);
	str_t head = STR_INIT;
	int err;

	if (qw == NULL)
		return -1;
	memcpy(id, queue_writer_id(qw), QUEUE_ID_SIZE);
	bounce_report_head(r, &head);
	if (queue_put_sender(qw, from) < 0 || queue_put_rcpt(qw, r->sender) < 0
	    || (r->eight_bit && queue_put_attr(qw, "body_type", "8BITMIME") < 0)
	    || queue_content_begin(qw) < 0 || queue_content_write(qw, head.data, head.len) < 0
	    || qmgr_bounce_copy(msg, r, qw) < 0)
		goto fail;
	str_reset(&head);
	bounce_report_tail(r, &head);
	if (queue_content_write(qw, head.data, head.len) < 0)
		goto fail;
	str_free(&head);
	return queue_commit(qw);
fail:
	err = errno;
	str_free(&head);
	queue_abort(qw);
	errno = err;
	return -1;
}

/* Does the recipient's NOTIFY ask for this kind? */
static int qmgr_bounce_wanted(const queue_rcpt_t *rcpt, enum bounce_kind kind)
{
	if (kind == BOUNCE_KIND_FAILURE)
		return rcpt->dsn_notify == 0 || (rcpt->dsn_notify & QUEUE_NOTIFY_FAILURE);
	if (kind == BOUNCE_KIND_DELAY)
		return rcpt->dsn_notify == 0 || (rcpt->dsn_notify & QUEUE_NOTIFY_DELAY);
	return (rcpt->dsn_notify & QUEUE_NOTIFY_SUCCESS) != 0;
}

static int qmgr_bounce_kind_of(const qmgr_notice_t *note, enum bounce_kind kind)
{
	if (kind == BOUNCE_KIND_FAILURE)
		return note->action == BOUNCE_FAILED;
	if (kind == BOUNCE_KIND_DELAY)
		return note->action == BOUNCE_DELAYED;
	return note->action == BOUNCE_DELIVERED
	       || (note->action == BOUNCE_RELAYED && !note->dsn_passed);
}

/* The notes of one kind as report recipients (orcpts holds their
 * Original-Recipient values, mtas their Remote-MTA host names); their
 * number. */
static size_t qmgr_bounce_select(const qmgr_message_t *msg, enum bounce_kind kind,
				 bounce_rcpt_t *out, str_t *orcpts, str_t *mtas)
{
	size_t n = 0;

	for (size_t i = 0; i < msg->nnotices; i++) {
		const qmgr_notice_t *note = &msg->notices[i];
		const queue_rcpt_t *rcpt = &msg->qm.rcpts[note->rcpt];

		if (!qmgr_bounce_kind_of(note, kind) || !qmgr_bounce_wanted(rcpt, kind))
			continue;
		if (rcpt->dsn_orcpt)
			str_set(&orcpts[n], rcpt->dsn_orcpt);
		else if (rcpt->orig)
			str_printf(&orcpts[n], "rfc822;%s", rcpt->orig);
		/* relay= is "host[addr]:port" for a remote server */
		if (strchr(note->relay, '['))
			str_append(&mtas[n], note->relay, strcspn(note->relay, "["));
		out[n] = (bounce_rcpt_t){
			.final = rcpt->addr,
			.orcpt = orcpts[n].len ? orcpts[n].data : NULL,
			.action = note->action,
			.status = note->dsn,
			.remote_mta = mtas[n].len ? mtas[n].data : NULL,
			.diagnostic = note->diagnostic ? note->diagnostic : note->reason,
			.diagnostic_smtp = note->diagnostic != NULL,
		};
		n++;
	}
	return n;
}

static void qmgr_bounce_init_report(const qmgr_message_t *msg, enum bounce_kind kind,
				    bounce_report_t *r)
{
	const char *body_type = queue_msg_attr(&msg->qm, "body_type");
	const char *ret = queue_msg_attr(&msg->qm, "dsn_ret");

	memset(r, 0, sizeof(*r));
	r->kind = kind;
	r->hostname = conf_str("myhostname");
	r->mail_name = conf_str("mail_name");
	r->queue_id = msg->id;
	r->arrival = msg->qm.arrival;
	r->now = time(NULL);
	r->headers_only = kind != BOUNCE_KIND_FAILURE || (ret && strcasecmp(ret, "HDRS") == 0);
	r->envid = queue_msg_attr(&msg->qm, "dsn_envid");
	r->eight_bit = body_type != NULL && strcasecmp(body_type, "8BITMIME") == 0;
}

/* One notice of this kind for the notes that ask for it: 1 written, 0
 * none asked for, -1 when it could not be written. */
static int qmgr_bounce_send(qmgr_message_t *msg, enum bounce_kind kind)
{
	static const char *const what[] = {
		[BOUNCE_KIND_FAILURE] = "non-delivery",
		[BOUNCE_KIND_DELAY] = "delay",
		[BOUNCE_KIND_SUCCESS] = "delivery status",
	};
	bounce_rcpt_t *rcpts = mem_alloc(msg->nnotices * sizeof(*rcpts));
	str_t *orcpts = mem_calloc(msg->nnotices, sizeof(*orcpts));
	str_t *mtas = mem_calloc(msg->nnotices, sizeof(*mtas));
	str_t to = STR_INIT, from = STR_INIT;
	bounce_report_t r;
	char id[QUEUE_ID_SIZE];
	int rc = 0;

	qmgr_bounce_init_report(msg, kind, &r);
	r.rcpts = rcpts;
	r.nrcpts = qmgr_bounce_select(msg, kind, rcpts, orcpts, mtas);
	if (r.nrcpts > 0 && qmgr_bounce_parties(msg, &to, &from) == 0) {
		r.sender = to.data;
		if ((rc = qmgr_bounce_write(msg, &r, from.data, id)) < 0)
			log_warning("%s: cannot write the sender %s notification: %m", msg->id,
				    what[kind]);
		else
			log_info("%s: sender %s notification: %s", msg->id, what[kind], id);
		rc = rc < 0 ? -1 : 1;
	}
	for (size_t i = 0; i < msg->nnotices; i++) {
		str_free(&orcpts[i]);
		str_free(&mtas[i]);
	}
	mem_free(orcpts);
	mem_free(mtas);
	mem_free(rcpts);
	str_free(&to);
	str_free(&from);
	return rc;
}

/* Past its lifetime, the recipients deferred in this attempt bounce. */
static void qmgr_bounce_expire(qmgr_message_t *msg)
{
	long lifetime = conf_time(*msg->qm.sender ? "maximal_queue_lifetime"
						  : "bounce_queue_lifetime");
	int expired = 0;

	if (time(NULL) - msg->qm.arrival.tv_sec < lifetime)
		return;
	for (size_t i = 0; i < msg->nnotices; i++) {
		qmgr_notice_t *note = &msg->notices[i];

		if (note->action == BOUNCE_DELAYED) {
			note->action = BOUNCE_FAILED;
			msg->state[note->rcpt] = QMGR_RCPT_BOUNCED;
			expired = 1;
		}
	}
	if (expired)
		log_info("%s: from=<%s>, status=expired, returned to sender", msg->id,
			 msg->qm.sender);
}

/* Has the message waited long enough for its one delay warning? */
static int qmgr_bounce_delay_due(const qmgr_message_t *msg)
{
	return qmgr_conf.delay_warning > 0 && *msg->qm.sender && msg->qm.warn_offset > 0
	    && !msg->qm.warned && time(NULL) - msg->qm.arrival.tv_sec >= qmgr_conf.delay_warning;
}

void qmgr_bounce_flush(qmgr_message_t *msg)
{
	if (msg->nnotices == 0)
		return;
	qmgr_bounce_expire(msg);
	if (qmgr_bounce_send(msg, BOUNCE_KIND_FAILURE) < 0)
		for (size_t i = 0; i < msg->nnotices; i++)
			if (msg->notices[i].action == BOUNCE_FAILED)
				msg->state[msg->notices[i].rcpt] = QMGR_RCPT_DEFERRED;
	qmgr_bounce_send(msg, BOUNCE_KIND_SUCCESS);
	if (qmgr_bounce_delay_due(msg) && qmgr_bounce_send(msg, BOUNCE_KIND_DELAY) == 1)
		msg->warned_now = msg->qm.warned = 1;
	qmgr_bounce_free(msg);
	qmgr_scan_request();	/* the notices wait in incoming/ */
}
