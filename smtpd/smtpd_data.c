/*
 * smtpd_data: the DATA command. After "354" the message is read through
 * the smtp_data state machine (end of data only at CR LF "." CR LF) into
 * the message content (smtpd_msg.h: Received: header, size accounting,
 * queue writes, the commit). A message over message_size_limit is read to
 * its end and discarded. DATA is refused in a transaction that BDAT
 * chunks have started (smtpd_bdat.c).
 */
#include <errno.h>
#include <stdio.h>

#include "smtp_data.h"
#include "smtpd.h"

#define SMTPD_DATA_PIECE_MAX 65536	/* bytes read from the client at a time */

/* Read until the end of data; STREAM_OK, or how the client was lost. */
static int smtpd_data_read(smtpd_session_t *s, smtp_data_t *sd, smtpd_msg_t *msg)
{
	str_t in = STR_INIT;

	/* the content is one request, earning time at smtpd_min_data_rate */
	stream_start_request(s->client);
	stream_set_min_rate(s->client, smtpd_conf.min_data_rate);
	while (!sd->done) {
		int status = stream_getline(s->client, &in, SMTPD_DATA_PIECE_MAX);

		if (status != STREAM_OK && status != STREAM_TOOLONG) {
			stream_set_min_rate(s->client, 0);
			str_free(&in);
			return status;
		}
		msg->received += (long long)in.len;
		/* A piece ends at its first LF, so the terminator is never in the middle. */
		smtp_data_feed(sd, in.data, in.len, &msg->out);
		if (msg->out.len >= SMTPD_MSG_BATCH)
			smtpd_msg_store(s, msg);
	}
	stream_set_min_rate(s->client, 0);
	smtpd_msg_store(s, msg);
	str_free(&in);
	return STREAM_OK;
}

static void smtpd_data_refuse(smtpd_session_t *s, const char *reply)
{
	smtpd_reply(s, "%s", reply);
	smtpd_log_reject(s, "END-OF-MESSAGE", reply, NULL);
}

static void smtpd_data_finish(smtpd_session_t *s, const smtp_data_t *sd, smtpd_msg_t *msg)
{
	const char *bare = smtpd_msg_bare_reply(sd->flags);

	snprintf(s->where, sizeof(s->where), "END-OF-MESSAGE");
	if (msg->too_big)
		smtpd_data_refuse(s, "552 5.3.4 Message size exceeds fixed limit");
	else if (bare)
		smtpd_data_refuse(s, bare);
	else if (msg->write_errno)
		smtpd_reply_write_error(s, msg->write_errno);
	else
		smtpd_msg_commit(s, msg);
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
	return smtpd_data_restrict(s);
}

void smtpd_cmd_data(smtpd_session_t *s, const char *arg)
{
	smtpd_msg_t msg;
	smtp_data_t sd;
	int status;

	if (smtpd_data_allowed(s, arg) < 0)
		return;
	if (smtpd_msg_begin(s, &msg) < 0) {
		smtpd_reply_write_error(s, errno);
		smtpd_trans_reset(s);
		return;
	}
	smtp_data_init(&sd);
	smtpd_reply(s, "354 End data with <CR><LF>.<CR><LF>");
	smtpd_reply_flush(s);
	status = smtpd_data_read(s, &sd, &msg);
	if (status == STREAM_OK) {
		smtpd_data_finish(s, &sd, &msg);
	} else {
		snprintf(s->where, sizeof(s->where), "DATA (%lld bytes)", msg.received);
		smtpd_log_lost(s, status);
		smtpd_trans_reset(s);
	}
	smtpd_msg_free(&msg);
}
