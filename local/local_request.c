/*
 * local_request: one request from qmgr. Opens the queue file it names,
 * delivers each listed recipient, and adds one status group per recipient
 * to the reply. Addresses are taken from the queue file itself (found by
 * their record offset), so local delivers only what the queue holds.
 * A delivered recipient is marked done in the queue file at once, without
 * an fsync: if local or qmgr is killed before qmgr has the reply, the mark
 * (in the page cache) still keeps the recipient from a second delivery;
 * only a crash of the machine can repeat it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "local.h"
#include "log.h"
#include "mem.h"

static void local_reply(ipc_msg_t *reply, const char *offset, local_status_t *st)
{
	ipc_add(reply, "offset", offset);
	ipc_add(reply, "dsn", st->dsn);
	ipc_add(reply, "status", st->status);
	ipc_add(reply, "reason", str_cstr(&st->reason));
}

/* The request cannot be served at all: every recipient gets st. */
static void local_reply_all(const ipc_msg_t *req, ipc_msg_t *reply, local_status_t *st)
{
	for (size_t i = 0; i < ipc_count(req); i++)
		if (strcmp(ipc_name(req, i), "offset") == 0)
			local_reply(reply, ipc_value(req, i, NULL), st);
}

/* The start of the content, for the loop check. */
static void local_read_header(const local_ctx_t *ctx, local_msg_t *msg)
{
	size_t want = (size_t)msg->qm->content_size < ctx->header_max
			      ? (size_t)msg->qm->content_size : ctx->header_max;
	ssize_t got;

	msg->header = mem_alloc(want + 1);
	got = pread(msg->fd, msg->header, want, msg->qm->content_offset);
	msg->header_len = got > 0 ? (size_t)got : 0;
}

static int local_open(const local_ctx_t *ctx, const char *dir, const char *id,
		      local_msg_t *msg, queue_msg_t *qm, local_status_t *st)
{
	str_t err = STR_INIT;

	if ((msg->fd = queue_open_delivery(dir, id, ctx->queue_owner)) < 0) {
		local_status_set(st, "4.3.0", "cannot open queue file: %s", strerror(errno));
		log_warning("%s: open %s/%s: %m", id, dir, id);
		return -1;
	}
	if (queue_read(msg->fd, id, qm, &err) < 0) {
		local_status_set(st, "4.3.0", "queue file is damaged");
		log_warning("%s: %s", id, str_cstr(&err));
		str_free(&err);
		close(msg->fd);
		return -1;
	}
	str_free(&err);
	msg->qm = qm;
	local_read_header(ctx, msg);
	return 0;
}

static void local_deliver_one(const local_ctx_t *ctx, const local_msg_t *msg,
			      const queue_rcpt_t *rcpt, local_status_t *st)
{
	local_recipient(ctx, msg, rcpt->addr, st);
	if (strcmp(st->status, "sent") == 0 && queue_mark_done(msg->fd, rcpt->offset) < 0)
		log_warning("%s: cannot mark %s done: %m", msg->qm->id, rcpt->addr);
}

static void local_deliver_all(const local_ctx_t *ctx, const local_msg_t *msg,
			      const ipc_msg_t *req, ipc_msg_t *reply, local_status_t *st)
{
	for (size_t i = 0; i < ipc_count(req); i++) {
		const char *offset = ipc_value(req, i, NULL);
		const queue_rcpt_t *rcpt;

		if (strcmp(ipc_name(req, i), "offset") != 0)
			continue;
		if ((rcpt = queue_msg_rcpt_at(msg->qm, offset)) == NULL)
			local_status_set(st, "4.3.0", "recipient not found in queue file");
		else if (rcpt->done)
			local_status_set(st, "2.0.0", "already delivered");
		else
			local_deliver_one(ctx, msg, rcpt, st);
		local_reply(reply, offset, st);
	}
}

void local_request(const local_ctx_t *ctx, const ipc_msg_t *req, ipc_msg_t *reply)
{
	const char *id = ipc_get(req, "queue_id");
	const char *dir = ipc_get(req, "queue_dir");
	local_status_t st = { .status = "deferred" };
	local_msg_t msg = { .fd = -1 };
	queue_msg_t qm;

	memset(&qm, 0, sizeof(qm));
	if (id == NULL || !queue_id_valid(id) || dir == NULL || strcmp(dir, QUEUE_ACTIVE) != 0) {
		log_warning("malformed delivery request: queue_id=%s queue_dir=%s",
			    id ? id : "(none)", dir ? dir : "(none)");
		local_status_set(&st, "4.3.0", "malformed delivery request");
		local_reply_all(req, reply, &st);
	} else if (local_open(ctx, dir, id, &msg, &qm, &st) < 0) {
		local_reply_all(req, reply, &st);
	} else {
		local_deliver_all(ctx, &msg, req, reply, &st);
		queue_msg_free(&qm);
		mem_free(msg.header);
		close(msg.fd);
	}
	str_free(&st.reason);
}
