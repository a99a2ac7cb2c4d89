/*
 * qmgr_log: settle one recipient and write its line to the mail log:
 *
 *   ID: to=<rcpt>, orig_to=<alias>, relay=local, delay=0.12,
 *       delays=a/b/c/d, dsn=2.0.0, status=sent (delivered to maildir)
 *
 * orig_to is there when the recipient was rewritten from another address
 * (a virtual alias, a canonical map) as the message was queued.
 *
 * delay is the time since arrival; delays splits it into before the
 * active queue (a), in the active queue (b), connection setup (c) and the
 * delivery itself (d).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "mem.h"
#include "qmgr.h"

#define QMGR_SECS_MAX 32		/* one formatted duration */

/* Like the mail log has always shown them: "0", "0.06", "1.3", "26". */
static void qmgr_log_secs(char *out, double secs)
{
	char *end;

	if (secs < 0.01)
		secs = 0;
	snprintf(out, QMGR_SECS_MAX, "%.*f", secs < 1 ? 2 : secs < 10 ? 1 : 0, secs);
	if (strchr(out, '.') == NULL)
		return;
	end = out + strlen(out);
	while (end[-1] == '0')
		*--end = 0;
	if (end[-1] == '.')
		end[-1] = 0;
}

/* What the sender may hear of the result (qmgr_bounce.c). */
static enum bounce_action qmgr_log_action(enum qmgr_rcpt_state state, const char *relay)
{
	if (state == QMGR_RCPT_BOUNCED)
		return BOUNCE_FAILED;
	if (state == QMGR_RCPT_DEFERRED)
		return BOUNCE_DELAYED;
	return strcmp(relay, "local") == 0 ? BOUNCE_DELIVERED : BOUNCE_RELAYED;
}

static enum qmgr_rcpt_state qmgr_log_state(const char *status)
{
	if (strcmp(status, "sent") == 0)
		return QMGR_RCPT_SENT;
	if (strcmp(status, "bounced") == 0)
		return QMGR_RCPT_BOUNCED;
	return QMGR_RCPT_DEFERRED;
}

/* What listings show under a recipient that is still waiting (qmgr_defer.c). */
static void qmgr_log_keep_reason(qmgr_message_t *msg, size_t rcpt, const char *reason)
{
	if (msg->reasons == NULL)
		msg->reasons = mem_calloc(msg->qm.nrcpts, sizeof(*msg->reasons));
	mem_free(msg->reasons[rcpt]);
	msg->reasons[rcpt] = mem_strdup(reason);
}

void qmgr_rcpt_result(qmgr_message_t *msg, size_t rcpt, const char *relay,
		      const qmgr_times_t *times, const char *dsn, const char *status,
		      const char *reason)
{
	double arrival = (double)msg->qm.arrival.tv_sec + (double)msg->qm.arrival.tv_usec / 1e6;
	char total[QMGR_SECS_MAX], a[QMGR_SECS_MAX], b[QMGR_SECS_MAX], c[QMGR_SECS_MAX],
		d[QMGR_SECS_MAX];
	const queue_rcpt_t *r = &msg->qm.rcpts[rcpt];
	int show_orig = r->orig != NULL && strcasecmp(r->orig, r->addr) != 0;

	msg->state[rcpt] = (unsigned char)qmgr_log_state(status);
	if (msg->state[rcpt] != QMGR_RCPT_SENT)
		qmgr_log_keep_reason(msg, rcpt, reason);
	qmgr_bounce_note(msg, rcpt, qmgr_log_action(msg->state[rcpt], relay), dsn, relay, reason);
	qmgr_log_secs(total, times->done - arrival);
	qmgr_log_secs(a, msg->active_time - arrival);
	qmgr_log_secs(b, times->start - msg->active_time);
	qmgr_log_secs(c, times->connected - times->start);
	qmgr_log_secs(d, times->done - times->connected);
	log_info("%s: to=<%s>%s%s%s, relay=%s, delay=%s, delays=%s/%s/%s/%s, dsn=%s, status=%s (%s)",
		 msg->id, r->addr, show_orig ? ", orig_to=<" : "", show_orig ? r->orig : "",
		 show_orig ? ">" : "", relay, total, a, b, c, d, dsn, status, reason);
}

void qmgr_rcpt_defer_all(qmgr_message_t *msg, const size_t *rcpts, size_t n,
			  const char *relay, const qmgr_times_t *times, const char *dsn,
			  const char *reason)
{
	for (size_t i = 0; i < n; i++)
		qmgr_rcpt_result(msg, rcpts[i], relay, times, dsn, "deferred", reason);
}
