/*
 * qmgr_reply: a delivery agent's answer to one request: a group of
 * "offset", "dsn", "status", "reason" attributes per recipient (and
 * "diagnostic", the remote server's reply, and "dsn_passed", the next hop
 * took the DSN request, from smtp). Each
 * group settles the recipient whose record sits at that offset; a
 * recipient the agent said nothing about, or a malformed status, is
 * deferred so that nothing is lost.
 *
 * The reply also tells how the destination fared, for its concurrency
 * and dead state (qmgr_dest.c). smtp says so itself ("hop_status":
 * "reached" once a session was set up; "failed" when none could be: no
 * connection, a 421 greeting, a failed TLS handshake or login). For an
 * agent that does not, the destination could not be reached when every
 * recipient came back deferred with a network and routing status (4.4.x,
 * RFC 3463) that is not a server's reply; anything else means it was.
 */
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "qmgr.h"

typedef struct qmgr_status {
	const char *offset;
	const char *dsn;
	const char *status;
	const char *reason;
	const char *diagnostic;		/* the remote server's reply (smtp) */
	int dsn_passed;			/* the next hop took the DSN request (smtp) */
} qmgr_status_t;

/* Read the group that starts at *index; *index moves past it. */
static void qmgr_reply_group(const ipc_msg_t *reply, size_t *index, qmgr_status_t *st)
{
	size_t count = ipc_count(reply);

	memset(st, 0, sizeof(*st));
	st->offset = ipc_value(reply, (*index)++, NULL);
	for (; *index < count && strcmp(ipc_name(reply, *index), "offset") != 0; (*index)++) {
		const char *name = ipc_name(reply, *index);
		const char *value = ipc_value(reply, *index, NULL);

		if (strcmp(name, "dsn") == 0)
			st->dsn = value;
		else if (strcmp(name, "status") == 0)
			st->status = value;
		else if (strcmp(name, "reason") == 0)
			st->reason = value;
		else if (strcmp(name, "diagnostic") == 0)
			st->diagnostic = value;
		else if (strcmp(name, "dsn_passed") == 0)
			st->dsn_passed = strcmp(value, "yes") == 0;
	}
}

/* The dsn class must agree with the status: 2 sent, 4 deferred, 5 bounced. */
static int qmgr_reply_valid(const qmgr_status_t *st)
{
	static const char *const statuses[] = { "sent", "deferred", "bounced" };
	static const char classes[] = "245";

	if (st->dsn == NULL || st->status == NULL)
		return 0;
	for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
		if (strcmp(st->status, statuses[i]) == 0)
			return st->dsn[0] == classes[i] && st->dsn[1] == '.';
	return 0;
}

/* The request's recipient at offset that still waits for its status. */
static int qmgr_reply_find(const qmgr_message_t *msg, const size_t *rcpts, size_t n,
			   const char *offset_text, size_t *rcpt)
{
	const queue_rcpt_t *found = queue_msg_rcpt_at(&msg->qm, offset_text);

	if (found == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (&msg->qm.rcpts[rcpts[i]] == found && msg->state[rcpts[i]] == QMGR_RCPT_BUSY) {
			*rcpt = rcpts[i];
			return 0;
		}
	}
	return -1;
}

/* Did this status come from not reaching the destination at all? */
static int qmgr_reply_unreached(const qmgr_status_t *st)
{
	return strcmp(st->status, "deferred") == 0 && strncmp(st->dsn, "4.4.", 4) == 0
	    && st->diagnostic == NULL;
}

/* One recipient's status into the destination's verdict; the first
 * deferral's status and reason are why it failed. */
static void qmgr_reply_hop(qmgr_hop_t *hop, const qmgr_status_t *st, int *failed_seen)
{
	if (!qmgr_reply_unreached(st))
		hop->feedback = QMGR_FEEDBACK_OK;
	else if (hop->feedback == QMGR_FEEDBACK_NONE)
		hop->feedback = QMGR_FEEDBACK_FAILED;
	if (strcmp(st->status, "deferred") == 0 && !(*failed_seen)++) {
		snprintf(hop->dsn, sizeof(hop->dsn), "%s", st->dsn);
		snprintf(hop->reason, sizeof(hop->reason), "%s", st->reason ? st->reason : "");
	}
}

/* The agent's own verdict, where it gives one, overrides the guess. */
static void qmgr_reply_hop_status(qmgr_hop_t *hop, const ipc_msg_t *reply, int failed_seen)
{
	const char *said = ipc_get(reply, "hop_status");

	if (said == NULL)
		return;
	if (strcmp(said, "reached") == 0)
		hop->feedback = QMGR_FEEDBACK_OK;
	else if (strcmp(said, "failed") == 0 && failed_seen)
		hop->feedback = QMGR_FEEDBACK_FAILED;
}

void qmgr_reply_apply(qmgr_message_t *msg, const size_t *rcpts, size_t n,
		      const ipc_msg_t *reply, const char *relay, const qmgr_times_t *times,
		      qmgr_hop_t *hop)
{
	size_t i = 0, count = ipc_count(reply), rcpt;
	qmgr_status_t st;
	int failed_seen = 0;

	hop->feedback = QMGR_FEEDBACK_NONE;

	while (i < count) {
		if (strcmp(ipc_name(reply, i), "offset") != 0) {
			i++;
			continue;
		}
		qmgr_reply_group(reply, &i, &st);
		if (qmgr_reply_find(msg, rcpts, n, st.offset, &rcpt) < 0) {
			log_warning("%s: %s sent a status for unknown recipient offset %s", msg->id,
				    relay, st.offset);
		} else if (!qmgr_reply_valid(&st)) {
			log_warning("%s: %s sent a malformed delivery status", msg->id, relay);
			qmgr_rcpt_result(msg, rcpt, relay, times, "4.3.0", "deferred",
					 "malformed delivery status");
		} else {
			qmgr_rcpt_result(msg, rcpt, relay, times, st.dsn, st.status,
					 st.reason ? st.reason : "");
			qmgr_reply_hop(hop, &st, &failed_seen);
			qmgr_bounce_remote(msg, rcpt, st.diagnostic, st.dsn_passed);
		}
	}
	qmgr_reply_hop_status(hop, reply, failed_seen);
	for (i = 0; i < n; i++)
		if (msg->state[rcpts[i]] == QMGR_RCPT_BUSY)
			qmgr_rcpt_result(msg, rcpts[i], relay, times, "4.3.0", "deferred",
					 "no delivery status from the delivery agent");
}
