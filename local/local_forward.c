/*
 * local_forward: sending a recipient's mail on to the addresses its
 * aliases or .forward file name outside the local domains. One new queue
 * file in incoming/ holds them all (one recipient record each), with the
 * content of this message after a "Delivered-To:" line for the recipient,
 * so the copy is caught if it comes back. The sender is owner-NAME when
 * the alias has an owner (owner_request_special), else the original one.
 * The file is written as mail_owner, the owner qmgr expects, and qmgr is
 * woken; the recipient's result is "forwarded as NEWID".
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "local_expand.h"
#include "log.h"
#include "queue_dirs.h"
#include "trigger.h"

#define LOCAL_COPY_CHUNK 65536

static int local_forward_content(const local_expand_t *ex, queue_writer_t *qw)
{
	const queue_msg_t *qm = ex->msg->qm;
	char buf[LOCAL_COPY_CHUNK];
	off_t done = 0;
	ssize_t got;

	if (queue_content_begin(qw) < 0
	    || queue_content_write(qw, "Delivered-To: ", strlen("Delivered-To: ")) < 0
	    || queue_content_write(qw, ex->rcpt, strlen(ex->rcpt)) < 0
	    || queue_content_write(qw, "\n", 1) < 0)
		return -1;
	while (done < qm->content_size) {
		size_t want = qm->content_size - done < (off_t)sizeof(buf)
				      ? (size_t)(qm->content_size - done) : sizeof(buf);

		if ((got = pread(ex->msg->fd, buf, want, qm->content_offset + done)) <= 0) {
			if (got == 0)
				errno = EIO;	/* the file is shorter than it says */
			return -1;
		}
		if (queue_content_write(qw, buf, (size_t)got) < 0)
			return -1;
		done += got;
	}
	return 0;
}

/* Write the queue file; its ID in id, or -1 with errno. */
static int local_forward_write(const local_expand_t *ex, char *id, size_t idsize)
{
	const char *body_type = queue_msg_attr(ex->msg->qm, "body_type");
	const char *sender = ex->owner_sender ? ex->owner_sender : ex->msg->qm->sender;
	queue_writer_t *qw = queue_create(QUEUE_INCOMING);
	size_t i;
	int err;

	if (qw == NULL)
		return -1;
	snprintf(id, idsize, "%s", queue_writer_id(qw));
	if (queue_put_sender(qw, sender) < 0
	    || (body_type && queue_put_attr(qw, "body_type", body_type) < 0))
		goto fail;
	for (i = 0; i < ex->forward.count; i++)
		if (queue_put_rcpt(qw, ex->forward.items[i]) < 0)
			goto fail;
	if (local_forward_content(ex, qw) < 0)
		goto fail;
	return queue_commit(qw);
fail:
	err = errno;
	queue_abort(qw);
	errno = err;
	return -1;
}

void local_forward_flush(local_expand_t *ex)
{
	char id[QUEUE_ID_SIZE];
	uid_t owner;
	gid_t group;
	int rc, err;

	if (ex->forward.count == 0)
		return;
	queue_dirs_owner(&owner, &group);
	if (local_privs_enter(ex->ctx, owner, group) < 0) {
		local_expand_note(ex, "4.3.0", "cannot switch to uid %ld: %s", (long)owner,
				  strerror(errno));
		return;
	}
	rc = local_forward_write(ex, id, sizeof(id));
	err = errno;
	local_privs_leave(ex->ctx);
	if (rc < 0) {
		log_warning("%s: cannot forward mail for %s: %s", ex->msg->qm->id, ex->rcpt,
			    strerror(err));
		local_expand_note(ex, "4.3.0", "cannot forward mail: %s", strerror(err));
		return;
	}
	if (trigger_wakeup(TRIGGER_QMGR_PATH) < 0)
		log_warning("%s: cannot wake qmgr: %m", id);
	local_expand_note(ex, "2.0.0", "forwarded as %s", id);
}
