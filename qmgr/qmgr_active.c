/*
 * qmgr_active: the active queue in memory. A message enters when its file
 * is moved into active/ and waits on the ready list as a bare ID; it is
 * read (queue_read) only when dispatched, so a large active queue costs a
 * few bytes per message and open files only for deliveries in flight: a
 * message that waits on a busy destination (qmgr_dest.c) keeps its parsed
 * recipients and their state, and closes its file until it is resumed.
 * A finished file goes to recycle/ for smtpd to reuse (queue.h), up to
 * QUEUE_RECYCLE_MAX files.
 *
 * New mail that smtpd's access tables marked (the "access_action"
 * attribute, smtpd_access.c) is never delivered: DISCARD removes it
 * ("ID: removed"), HOLD moves it to hold/ ("ID: placed on hold", as
 * postsuper says). Only files taken from incoming/ are looked at, so a
 * message released from hold/ into deferred/ (postsuper -H) is delivered.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "log.h"
#include "mem.h"
#include "qmgr.h"
#include "queue_reason.h"

#define QMGR_PATH_MAX 256

static qmgr_message_t *qmgr_ready_head;
static qmgr_message_t *qmgr_ready_tail;
static size_t qmgr_nready;
static size_t qmgr_nactive;
static queue_recycler_t qmgr_recycler;

void qmgr_active_init(void)
{
	queue_recycler_init(&qmgr_recycler, QUEUE_RECYCLE_MAX);
}

static void qmgr_active_path(char *path, const char *id)
{
	snprintf(path, QMGR_PATH_MAX, "%s/%s", QUEUE_ACTIVE, id);
}

int qmgr_active_add(const char *id, const char *from)
{
	qmgr_message_t *msg;

	if (queue_move(id, from, QUEUE_ACTIVE) < 0) {
		if (errno != ENOENT)	/* ENOENT: removed meanwhile (pochta queue -d) */
			log_warning("%s: move from %s to %s: %m", id, from, QUEUE_ACTIVE);
		return -1;
	}
	msg = mem_calloc(1, sizeof(*msg));
	snprintf(msg->id, sizeof(msg->id), "%s", id);
	msg->fd = -1;
	msg->active_time = qmgr_now();
	msg->from_incoming = strcmp(from, QUEUE_INCOMING) == 0;
	if (qmgr_ready_tail)
		qmgr_ready_tail->next = msg;
	else
		qmgr_ready_head = msg;
	qmgr_ready_tail = msg;
	qmgr_nready++;
	qmgr_nactive++;
	return 0;
}

size_t qmgr_active_count(void)
{
	return qmgr_nactive;
}

size_t qmgr_active_ready(void)
{
	return qmgr_nready;
}

static void qmgr_active_forget(qmgr_message_t *msg)
{
	if (msg->fd >= 0)
		close(msg->fd);
	for (size_t i = 0; msg->reasons && i < msg->qm.nrcpts; i++)
		mem_free(msg->reasons[i]);
	mem_free(msg->reasons);
	queue_msg_free(&msg->qm);
	qmgr_bounce_free(msg);
	mem_free(msg->state);
	mem_free(msg);
	qmgr_nactive--;
}

/* The message is gone: so are the reasons its recipients waited. */
static void qmgr_active_removed(const char *id)
{
	if (queue_reason_remove(id) < 0)
		log_warning("%s: remove %s/%s: %m", id, QUEUE_REASON_DIR, id);
	log_info("%s: removed", id);
}

/* smtpd's HOLD or DISCARD: 1 when the message left active/ for it. A
 * file that cannot be moved to hold/ stays in active/, undelivered, until
 * qmgr starts again. */
static int qmgr_active_divert(qmgr_message_t *msg)
{
	const char *action = msg->from_incoming ? queue_msg_attr(&msg->qm, QUEUE_ATTR_ACCESS_ACTION) : NULL;

	if (action == NULL)
		return 0;
	if (strcmp(action, "discard") == 0) {
		if (queue_remove(&qmgr_recycler, msg->id, QUEUE_ACTIVE, msg->qm.file_size) < 0)
			log_warning("%s: remove %s/%s: %m", msg->id, QUEUE_ACTIVE, msg->id);
		else
			qmgr_active_removed(msg->id);
	} else if (strcmp(action, "hold") == 0) {
		if (queue_move(msg->id, QUEUE_ACTIVE, QUEUE_HOLD) < 0)
			log_warning("%s: move from %s to %s: %m", msg->id, QUEUE_ACTIVE, QUEUE_HOLD);
		else
			log_info("%s: placed on hold", msg->id);
	} else {
		log_warning("%s: unknown %s %s: delivering it", msg->id, QUEUE_ATTR_ACCESS_ACTION, action);
		return 0;
	}
	return 1;
}

/* Open the message's file in active/; -1 (logged) when that fails. */
static int qmgr_active_open(qmgr_message_t *msg)
{
	char path[QMGR_PATH_MAX];

	qmgr_active_path(path, msg->id);
	if ((msg->fd = open(path, O_RDWR | O_CLOEXEC)) < 0) {
		log_warning("%s: open %s: %m", msg->id, path);
		/* out of descriptors, or a file qmgr may not open: tried again
		 * later, not at once (that would spin) */
		if (errno != ENOENT)
			qmgr_defer_unopened(msg->id);
		return -1;
	}
	return 0;
}

/* A delivery agent of an earlier qmgr (killed) may still be delivering
 * this message: it holds a shared lock on the file until it is done. The
 * message waits rather than go out twice at once. */
static int qmgr_active_in_use(qmgr_message_t *msg)
{
	if (flock(msg->fd, LOCK_EX | LOCK_NB) == 0) {
		(void)flock(msg->fd, LOCK_UN);
		return 0;
	}
	if (errno != EWOULDBLOCK)
		return 0;
	log_info("%s: a delivery agent still has it open: tried again later", msg->id);
	close(msg->fd);
	msg->fd = -1;
	qmgr_defer_unopened(msg->id);
	return 1;
}

static int qmgr_active_load(qmgr_message_t *msg)
{
	str_t err = STR_INIT;

	if (qmgr_active_open(msg) < 0 || qmgr_active_in_use(msg))
		return -1;
	if (queue_read(msg->fd, msg->id, &msg->qm, &err) < 0) {
		close(msg->fd);
		msg->fd = -1;
		queue_corrupt(msg->id, QUEUE_ACTIVE, str_cstr(&err));
		str_free(&err);
		return -1;
	}
	str_free(&err);
	if (qmgr_active_divert(msg))
		return -1;
	msg->state = mem_calloc(msg->qm.nrcpts, sizeof(*msg->state));
	for (size_t i = 0; i < msg->qm.nrcpts; i++)
		msg->state[i] = msg->qm.rcpts[i].done ? QMGR_RCPT_DONE : QMGR_RCPT_TODO;
	log_info("%s: from=<%s>, size=%lld, nrcpt=%zu (queue active)", msg->id,
		 msg->qm.sender, (long long)msg->qm.content_size, msg->qm.nrcpts);
	return 0;
}

qmgr_message_t *qmgr_active_next(void)
{
	qmgr_message_t *msg = qmgr_ready_head;

	if (msg == NULL)
		return NULL;
	if ((qmgr_ready_head = msg->next) == NULL)
		qmgr_ready_tail = NULL;
	msg->next = NULL;
	qmgr_nready--;
	if (msg->fd < 0 && qmgr_active_load(msg) < 0) {
		qmgr_active_forget(msg);
		return NULL;
	}
	return msg;
}

void qmgr_active_park(qmgr_message_t *msg)
{
	close(msg->fd);
	msg->fd = -1;
}

void qmgr_active_resume(qmgr_message_t *msg)
{
	if (qmgr_active_open(msg) < 0)
		qmgr_active_forget(msg);
	else
		qmgr_route_message(msg);
}

void qmgr_active_retry(qmgr_message_t *msg)
{
	msg->next = qmgr_ready_head;
	qmgr_ready_head = msg;
	if (qmgr_ready_tail == NULL)
		qmgr_ready_tail = msg;
	qmgr_nready++;
}

static int qmgr_active_any_deferred(const qmgr_message_t *msg)
{
	for (size_t i = 0; i < msg->qm.nrcpts; i++)
		if (msg->state[i] != QMGR_RCPT_SENT && msg->state[i] != QMGR_RCPT_BOUNCED &&
		    msg->state[i] != QMGR_RCPT_DONE)
			return 1;
	return 0;
}

void qmgr_active_finish(qmgr_message_t *msg)
{
	qmgr_bounce_flush(msg);
	if (qmgr_active_any_deferred(msg))
		qmgr_defer_file(msg);
	else if (queue_remove(&qmgr_recycler, msg->id, QUEUE_ACTIVE, msg->qm.file_size) < 0)
		log_warning("%s: remove %s/%s: %m", msg->id, QUEUE_ACTIVE, msg->id);
	else
		qmgr_active_removed(msg->id);
	qmgr_active_forget(msg);
}
