/*
 * smtpd_msg: the message content shared by DATA and BDAT (see
 * smtpd_msg.h): the Received: header in front, the size accounting
 * against message_size_limit, the queue writes, the Message-ID for the
 * log, and the commit whose "250 Ok: queued as ID" is sent only after
 * queue_commit has made the file durable; then qmgr is woken (at most once
 * per TRIGGER_COALESCE_MS, see trigger.h).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "addr.h"
#include "log.h"
#include "smtp_data.h"
#include "smtpd.h"
#include "trigger.h"

#define SMTPD_MSG_DATE_MAX 64
#define SMTPD_NSEC_PER_MSEC 1000000LL
#define SMTPD_NSEC_PER_SEC 1000000000LL

static const char smtpd_msg_id_name[] = "Message-ID:";
#define SMTPD_MSG_ID_NAME_LEN ((int)sizeof(smtpd_msg_id_name) - 1)

/* RFC 5322 date of the arrival, in local time. */
static void smtpd_msg_date(const smtpd_session_t *s, char *buf, size_t size)
{
	time_t when = queue_writer_arrival(s->qw).tv_sec;
	struct tm tm;

	localtime_r(&when, &tm);
	strftime(buf, size, "%a, %d %b %Y %H:%M:%S %z (%Z)", &tm);
}

static void smtpd_msg_received(const smtpd_session_t *s, str_t *out)
{
	char date[SMTPD_MSG_DATE_MAX];
	const smtpd_peer_t *peer = &s->peer;

	smtpd_msg_date(s, date, sizeof(date));
	str_printf(out, "Received: from %s (%s [%s%s])\n\t",
		   s->helo.len ? s->helo.data : peer->name, peer->name,
		   strchr(peer->addr, ':') ? "IPv6:" : "", peer->addr);
	/* smtpd_sasl_authenticated_header: the login, for all to see */
	if (smtpd_conf.sasl_authenticated_header && s->sasl_username.len > 0)
		str_printf(out, "(Authenticated sender: %s)\n\t", s->sasl_username.data);
	str_printf(out, "by %s (%s) with %s id %s", smtpd_conf.myhostname, smtpd_conf.mail_name,
		   smtpd_log_protocol(s), queue_writer_id(s->qw));
	if (s->rcpt_count == 1) {
		str_append_cstr(out, "\n\tfor <");
		addr_quote(s->rcpts.data, out);
		str_printf(out, ">; %s\n", date);
	} else {
		str_printf(out, ";\n\t%s\n", date);
	}
}

int smtpd_msg_begin(smtpd_session_t *s, smtpd_msg_t *msg)
{
	memset(msg, 0, sizeof(*msg));
	msg->in_headers = 1;
	msg->line_start = 1;
	if (queue_content_begin(s->qw) < 0) {
		msg->write_errno = errno;
		return -1;
	}
	smtpd_msg_received(s, &msg->out);
	return 0;
}

/* One header byte other than LF: follow "Message-ID:" and copy its value. */
static void smtpd_msg_id_byte(smtpd_msg_t *msg, char c)
{
	if (msg->in_id) {
		if (isgraph((unsigned char)c) && msg->id_len < SMTPD_MSG_ID_MAX)
			msg->message_id[msg->id_len++] = c;
	} else if (msg->id_match >= 0) {
		unsigned char want = (unsigned char)smtpd_msg_id_name[msg->id_match];

		if (tolower((unsigned char)c) != tolower(want))
			msg->id_match = -1;
		else if (++msg->id_match == SMTPD_MSG_ID_NAME_LEN)
			msg->in_id = msg->id_len == 0;	/* the first one counts */
	}
}

/* Look at the header part of new content for the Message-ID. */
static void smtpd_msg_scan(smtpd_msg_t *msg, const char *data, size_t len)
{
	for (size_t i = 0; i < len && msg->in_headers; i++) {
		if (data[i] == '\n') {
			msg->in_headers = !msg->line_start;	/* an empty line ends them */
			msg->line_start = 1;
			msg->id_match = 0;
			msg->in_id = 0;
			continue;
		}
		msg->line_start = 0;
		smtpd_msg_id_byte(msg, data[i]);
	}
}

void smtpd_msg_store(smtpd_session_t *s, smtpd_msg_t *msg)
{
	long long limit = smtpd_conf.message_size_limit;

	smtpd_msg_scan(msg, msg->out.data, msg->out.len);
	msg->stored += (long long)msg->out.len;
	if (limit > 0 && msg->stored > limit)
		msg->too_big = 1;
	if (!msg->too_big && !msg->write_errno && msg->out.len > 0
	    && queue_content_write(s->qw, msg->out.data, msg->out.len) < 0)
		msg->write_errno = errno;
	str_reset(&msg->out);
}

const char *smtpd_msg_bare_reply(int flags)
{
	if (!smtpd_conf.reject_bare_newline)
		return NULL;
	if (flags & SMTP_DATA_BARE_LF)
		return "550 5.5.2 Error: bare <LF> received";
	if (flags & SMTP_DATA_BARE_CR)
		return "550 5.5.2 Error: bare <CR> received";
	return NULL;
}

/* Wake qmgr, unless this process did less than TRIGGER_COALESCE_MS ago:
 * qmgr scans again that long after taking the earlier wake-up, and this
 * message is already committed, so that scan finds it (trigger.h). A
 * failed wake-up is not counted, so the next message tries again. */
static void smtpd_msg_wake_qmgr(void)
{
	static struct timespec last;	/* the last wake-up sent; 0: none */
	struct timespec now;
	long long ns;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ns = (long long)(now.tv_sec - last.tv_sec) * SMTPD_NSEC_PER_SEC
	     + (now.tv_nsec - last.tv_nsec);
	if ((last.tv_sec != 0 || last.tv_nsec != 0)
	    && ns < TRIGGER_COALESCE_MS * SMTPD_NSEC_PER_MSEC)
		return;
	last = now;
	if (trigger_wakeup(TRIGGER_QMGR_PATH) < 0)
		last = (struct timespec){ 0 };
}

void smtpd_msg_commit(smtpd_session_t *s, smtpd_msg_t *msg)
{
	char id[QUEUE_ID_SIZE];
	queue_writer_t *qw = s->qw;

	snprintf(id, sizeof(id), "%s", queue_writer_id(qw));
	/* before the commit, as Postfix's cleanup does: once the file is in
	 * incoming/, qmgr may log its first line for it at once */
	if (msg->id_len)
		log_info("%s: message-id=%.*s", id, (int)msg->id_len, msg->message_id);
	s->qw = NULL;		/* queue_commit frees it, success or not */
	if (queue_commit(qw) < 0) {
		int err = errno;

		log_warning("%s: cannot commit queue file: %m", id);
		smtpd_reply_write_error(s, err);
		return;
	}
	smtpd_reply(s, "250 2.0.0 Ok: queued as %s", id);
	s->error_count = 0;	/* the limits count errors without delivering mail */
	s->junk_count = 0;
	smtpd_msg_wake_qmgr();	/* qmgr also scans on a timer */
}

void smtpd_msg_free(smtpd_msg_t *msg)
{
	str_free(&msg->out);
}
