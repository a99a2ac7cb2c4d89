/*
 * qmgr_active: the active queue in memory. A message enters when its file
 * is moved into active/ and waits on the ready list as a bare ID; it is
 * read (queue_read) only when dispatched, so a large active queue costs a
 * few bytes per message and open files only for deliveries in flight.
 * A finished file goes to recycle/ for smtpd to reuse (queue.h), up to
 * QUEUE_RECYCLE_MAX files.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "mem.h"
#include "qmgr.h"

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
	queue_msg_free(&msg->qm);
	mem_free(msg->state);
	mem_free(msg);
	qmgr_nactive--;
}

static int qmgr_active_load(qmgr_message_t *msg)
{
	char path[QMGR_PATH_MAX];
	str_t err = STR_INIT;

	qmgr_active_path(path, msg->id);
	if ((msg->fd = open(path, O_RDWR | O_CLOEXEC)) < 0) {
		log_warning("%s: open %s: %m", msg->id, path);
		/* out of descriptors or the like: the next scan of incoming/ tries again */
		if (errno != ENOENT && queue_move(msg->id, QUEUE_ACTIVE, QUEUE_INCOMING) < 0)
			log_warning("%s: cannot return it to %s: %m", msg->id, QUEUE_INCOMING);
		return -1;
	}
	if (queue_read(msg->fd, msg->id, &msg->qm, &err) < 0) {
		close(msg->fd);
		msg->fd = -1;
		queue_corrupt(msg->id, QUEUE_ACTIVE, str_cstr(&err));
		str_free(&err);
		return -1;
	}
	str_free(&err);
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
	if (qmgr_active_any_deferred(msg))
		qmgr_defer_file(msg);
	else if (queue_remove(&qmgr_recycler, msg->id, QUEUE_ACTIVE, msg->qm.file_size) < 0)
		log_warning("%s: remove %s/%s: %m", msg->id, QUEUE_ACTIVE, msg->id);
	else
		log_info("%s: removed", msg->id);
	qmgr_active_forget(msg);
}
