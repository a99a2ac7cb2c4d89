/*
 * qmgr_defer: keep a message for a later attempt. Recipients settled in
 * this attempt are marked done in the file (one fdatasync for the whole
 * batch), the file's mtime becomes the next retry time, and the file moves
 * to deferred/, where qmgr_scan_deferred finds it when that time comes.
 */
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "backoff.h"
#include "log.h"
#include "qmgr.h"

/* When a mark fails the rest stay unmarked: those recipients are tried
 * again, a duplicate rather than a loss. */
static void qmgr_defer_mark_done(qmgr_message_t *msg)
{
	size_t marked = 0;

	for (size_t i = 0; i < msg->qm.nrcpts; i++) {
		if (msg->state[i] != QMGR_RCPT_SENT && msg->state[i] != QMGR_RCPT_BOUNCED)
			continue;
		if (queue_mark_done(msg->fd, msg->qm.rcpts[i].offset) < 0) {
			log_warning("%s: mark recipient done: %m", msg->id);
			break;
		}
		marked++;
	}
	if (marked > 0 && fdatasync(msg->fd) < 0)
		log_warning("%s: fdatasync: %m", msg->id);
}

void qmgr_defer_file(qmgr_message_t *msg)
{
	time_t now = time(NULL);
	struct timespec times[2] = { { .tv_sec = now }, { .tv_sec = 0 } };

	qmgr_defer_mark_done(msg);
	times[1].tv_sec = backoff_next_retry(now, msg->qm.arrival.tv_sec, qmgr_conf.min_backoff,
					     qmgr_conf.max_backoff);
	if (futimens(msg->fd, times) < 0)
		log_warning("%s: set retry time: %m", msg->id);
	if (queue_move(msg->id, QUEUE_ACTIVE, QUEUE_DEFERRED) < 0)
		log_warning("%s: move from %s to %s: %m", msg->id, QUEUE_ACTIVE, QUEUE_DEFERRED);
}
