/*
 * smtpd_data: the DATA command. After "354" the message is read through
 * the smtp_data state machine (end of data only at CR LF "." CR LF), a
 * Received: header is put in front, and the content goes into the queue
 * file in batches. A message over message_size_limit is read to its end
 * and discarded. "250 Ok: queued as ID" is sent only after queue_commit
 * has made the file durable; then qmgr is woken (at most once per
 * TRIGGER_COALESCE_MS, see trigger.h).
 */
#include <errno.h>
#include <stdio.h>
#include <ctype.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "addr.h"
#include "log.h"
#include "smtp_data.h"
#include "smtpd.h"
#include "trigger.h"

#define SMTPD_DATA_PIECE_MAX 65536	/* bytes read from the client at a time */
#define SMTPD_DATA_BATCH 65536		/* content bytes gathered per queue write */
#define SMTPD_DATE_MAX 64
#define SMTPD_MESSAGE_ID_MAX 256		/* bytes of a Message-ID logged */
#define SMTPD_NSEC_PER_MSEC 1000000LL
#define SMTPD_NSEC_PER_SEC 1000000000LL

/* One message being received. */
typedef struct smtpd_data_job {
	smtp_data_t sd;
	str_t in;			/* a piece of client input */
	str_t out;			/* content not yet written */
	long long received;		/* raw bytes from the client */
	long long stored;		/* content bytes, Received: included */
	int too_big;
	int write_errno;		/* first queue write error, or 0 */
	int line_start;			/* the next piece starts an input line */
	int in_headers;			/* no empty line seen yet */
	str_t message_id;		/* for the log, "" when there is none */
} smtpd_data_job_t;

/* RFC 5322 date of the arrival, in local time. */
static void smtpd_data_date(const smtpd_session_t *s, char *buf, size_t size)
{
	time_t when = queue_writer_arrival(s->qw).tv_sec;
	struct tm tm;

	localtime_r(&when, &tm);
	strftime(buf, size, "%a, %d %b %Y %H:%M:%S %z (%Z)", &tm);
}

static void smtpd_data_received(const smtpd_session_t *s, str_t *out)
{
	char date[SMTPD_DATE_MAX];
	const smtpd_peer_t *peer = &s->peer;

	smtpd_data_date(s, date, sizeof(date));
	str_printf(out, "Received: from %s (%s [%s%s])\n\tby %s (%s) with %s id %s",
		   s->helo.len ? s->helo.data : peer->name, peer->name,
		   strchr(peer->addr, ':') ? "IPv6:" : "", peer->addr,
		   smtpd_conf.myhostname, smtpd_conf.mail_name,
		   smtpd_log_protocol(s), queue_writer_id(s->qw));
	if (s->rcpt_count == 1) {
		str_append_cstr(out, "\n\tfor <");
		addr_quote(s->rcpts.data, out);
		str_printf(out, ">; %s\n", date);
	} else {
		str_printf(out, ";\n\t%s\n", date);
	}
}

/* Write the gathered content, or only count it once past the size limit. */
static void smtpd_data_store(smtpd_session_t *s, smtpd_data_job_t *job)
{
	long long limit = smtpd_conf.message_size_limit;

	job->stored += (long long)job->out.len;
	if (limit > 0 && job->stored > limit)
		job->too_big = 1;
	if (!job->too_big && !job->write_errno && job->out.len > 0
	    && queue_content_write(s->qw, job->out.data, job->out.len) < 0)
		job->write_errno = errno;
	str_reset(&job->out);
}

/* Note the Message-ID header (unfolded ones only) for the log. */
static void smtpd_data_header(smtpd_data_job_t *job)
{
	const char *line = job->in.data;
	size_t len = job->in.len;

	if (job->line_start && job->in_headers) {
		if ((len == 1 && line[0] == '\n') || (len == 2 && line[0] == '\r' && line[1] == '\n'))
			job->in_headers = 0;
		else if (len > 11 && strncasecmp(line, "Message-ID:", 11) == 0 && job->message_id.len == 0)
			for (size_t i = 11; i < len && job->message_id.len < SMTPD_MESSAGE_ID_MAX; i++)
				if (isgraph((unsigned char)line[i]))
					str_putc(&job->message_id, line[i]);
	}
	job->line_start = len > 0 && line[len - 1] == '\n';
}

/* Read until the end of data; STREAM_OK, or how the client was lost. */
static int smtpd_data_read(smtpd_session_t *s, smtpd_data_job_t *job)
{
	while (!job->sd.done) {
		int status = stream_getline(s->client, &job->in, SMTPD_DATA_PIECE_MAX);

		if (status != STREAM_OK && status != STREAM_TOOLONG)
			return status;
		job->received += (long long)job->in.len;
		smtpd_data_header(job);
		/* A piece ends at its first LF, so the terminator is never in the middle. */
		smtp_data_feed(&job->sd, job->in.data, job->in.len, &job->out);
		if (job->out.len >= SMTPD_DATA_BATCH)
			smtpd_data_store(s, job);
	}
	smtpd_data_store(s, job);
	return STREAM_OK;
}

/* Wake qmgr, unless this process did less than TRIGGER_COALESCE_MS ago:
 * qmgr scans again that long after taking the earlier wake-up, and this
 * message is already committed, so that scan finds it (trigger.h). A
 * failed wake-up is not counted, so the next message tries again. */
static void smtpd_data_wake_qmgr(void)
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

/* Commit the queue file and give the verdict: 250 only once it is durable. */
static void smtpd_data_commit(smtpd_session_t *s, const str_t *message_id)
{
	char id[QUEUE_ID_SIZE];
	queue_writer_t *qw = s->qw;

	snprintf(id, sizeof(id), "%s", queue_writer_id(qw));
	s->qw = NULL;		/* queue_commit frees it, success or not */
	if (queue_commit(qw) < 0) {
		int err = errno;

		log_warning("%s: cannot commit queue file: %m", id);
		smtpd_reply_write_error(s, err);
		return;
	}
	if (message_id->len)
		log_info("%s: message-id=%s", id, message_id->data);
	smtpd_reply(s, "250 2.0.0 Ok: queued as %s", id);
	s->error_count = 0;	/* the limits count errors without delivering mail */
	s->junk_count = 0;
	smtpd_data_wake_qmgr();	/* qmgr also scans on a timer */
}

static void smtpd_data_refuse(smtpd_session_t *s, const char *reply)
{
	smtpd_reply(s, "%s", reply);
	smtpd_log_reject(s, "END-OF-MESSAGE", reply, NULL);
}

static void smtpd_data_finish(smtpd_session_t *s, smtpd_data_job_t *job)
{
	int bare = smtpd_conf.reject_bare_newline ? job->sd.flags : 0;

	snprintf(s->where, sizeof(s->where), "END-OF-MESSAGE");
	if (job->too_big)
		smtpd_data_refuse(s, "552 5.3.4 Message size exceeds fixed limit");
	else if (bare & SMTP_DATA_BARE_LF)
		smtpd_data_refuse(s, "550 5.5.2 Error: bare <LF> received");
	else if (bare & SMTP_DATA_BARE_CR)
		smtpd_data_refuse(s, "550 5.5.2 Error: bare <CR> received");
	else if (job->write_errno)
		smtpd_reply_write_error(s, job->write_errno);
	else
		smtpd_data_commit(s, &job->message_id);
	smtpd_trans_reset(s);
	smtpd_reply_flush(s);
}

/* smtpd_data_restrictions: -1 after a reject (the transaction stays). */
static int smtpd_data_restrict(smtpd_session_t *s)
{
	str_t reply = STR_INIT;
	int status = 0;

	if (smtpd_restrict_data(s, &reply) != 0) {
		smtpd_reply(s, "%s", reply.data);
		smtpd_log_reject(s, "DATA", reply.data, NULL);
		status = -1;
	}
	str_free(&reply);
	return status;
}

/* May DATA start? Reply and return -1 when not. */
static int smtpd_data_allowed(smtpd_session_t *s, const char *arg)
{
	if (*arg) {
		smtpd_reply(s, "501 5.5.4 Syntax: DATA");
		return -1;
	}
	if (s->qw == NULL) {
		smtpd_reply(s, "503 5.5.1 Error: need RCPT command");
		return -1;
	}
	if (s->rcpt_count == 0) {
		smtpd_reply(s, "554 5.5.1 Error: no valid recipients");
		return -1;
	}
	if (smtpd_data_restrict(s) < 0)
		return -1;
	if (queue_content_begin(s->qw) < 0) {
		smtpd_reply_write_error(s, errno);
		smtpd_trans_reset(s);
		return -1;
	}
	return 0;
}

void smtpd_cmd_data(smtpd_session_t *s, const char *arg)
{
	smtpd_data_job_t job;
	int status;

	if (smtpd_data_allowed(s, arg) < 0)
		return;
	memset(&job, 0, sizeof(job));
	job.line_start = 1;
	job.in_headers = 1;
	smtp_data_init(&job.sd);
	smtpd_data_received(s, &job.out);
	smtpd_reply(s, "354 End data with <CR><LF>.<CR><LF>");
	smtpd_reply_flush(s);
	status = smtpd_data_read(s, &job);
	if (status == STREAM_OK) {
		smtpd_data_finish(s, &job);
	} else {
		snprintf(s->where, sizeof(s->where), "DATA (%lld bytes)", job.received);
		smtpd_log_lost(s, status);
		smtpd_trans_reset(s);
	}
	str_free(&job.in);
	str_free(&job.out);
	str_free(&job.message_id);
}
