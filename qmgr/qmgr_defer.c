/*
 * qmgr_defer: keep a message for a later attempt. Recipients settled in
 * this attempt are marked done in the file, and the delay warning when it
 * went out in this attempt (one fdatasync for all the marks), the file's
 * mtime becomes the next retry time, and the file moves to deferred/,
 * where qmgr_scan_deferred finds it when that time comes. Before the
 * move, defer/ID is replaced with the reasons of the recipients still
 * pending (queue_reason.h), for "pochta queue" to list. A file qmgr
 * could not even open goes there too, due after minimal_backoff_time.
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "backoff.h"
#include "log.h"
#include "mem.h"
#include "qmgr.h"
#include "queue_reason.h"

#define QMGR_DEFER_PATH_MAX 256		/* "active/ID" */

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
	if (msg->warned_now) {
		if (queue_mark_warned(msg->fd, msg->qm.warn_offset) < 0)
			log_warning("%s: mark the delay warning sent: %m", msg->id);
		else
			marked++;
	}
	if (marked > 0 && fdatasync(msg->fd) < 0)
		log_warning("%s: fdatasync: %m", msg->id);
}

/* The recipients still pending and the reasons logged for them. */
static void qmgr_defer_save_reasons(const qmgr_message_t *msg)
{
	queue_reason_t *items = mem_alloc((msg->qm.nrcpts + 1) * sizeof(*items));
	size_t n = 0;

	for (size_t i = 0; i < msg->qm.nrcpts; i++) {
		if (msg->state[i] != QMGR_RCPT_DEFERRED || msg->reasons == NULL
		    || msg->reasons[i] == NULL)
			continue;
		items[n].offset = msg->qm.rcpts[i].offset;
		items[n++].text = msg->reasons[i];
	}
	if (queue_reason_save(msg->id, items, n) < 0)
		log_warning("%s: save deferral reasons in %s/: %m", msg->id, QUEUE_REASON_DIR);
	mem_free(items);
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
	qmgr_defer_save_reasons(msg);
	if (queue_move(msg->id, QUEUE_ACTIVE, QUEUE_DEFERRED) < 0)
		log_warning("%s: move from %s to %s: %m", msg->id, QUEUE_ACTIVE, QUEUE_DEFERRED);
}

void qmgr_defer_unopened(const char *id)
{
	struct timespec times[2] = { { .tv_nsec = UTIME_NOW }, { .tv_sec = 0 } };
	char path[QMGR_DEFER_PATH_MAX];

	times[1].tv_sec = time(NULL) + qmgr_conf.min_backoff;
	snprintf(path, sizeof(path), "%s/%s", QUEUE_ACTIVE, id);
	if (utimensat(AT_FDCWD, path, times, 0) < 0)
		log_warning("%s: set retry time: %m", id);
	if (queue_move(id, QUEUE_ACTIVE, QUEUE_DEFERRED) < 0)
		log_warning("%s: move from %s to %s: %m", id, QUEUE_ACTIVE, QUEUE_DEFERRED);
}
