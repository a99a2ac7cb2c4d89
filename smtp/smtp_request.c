/*
 * smtp_request: one request from qmgr. Opens the queue file it names,
 * finds each listed recipient by its record offset (so the agent sends
 * only what the queue holds), delivers, and answers with the relay and
 * one status group per recipient. A recipient accepted by the server is
 * marked done in the queue file at once, without an fsync, as local does:
 * if the agent or qmgr is killed before qmgr has the reply, the mark
 * still keeps the recipient from a second delivery.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "mem.h"
#include "smtp.h"

void smtp_rcpt_settle(smtp_request_t *req, smtp_rcpt_t *rcpt, const smtp_status_t *st)
{
	smtp_status_copy(&rcpt->st, st);
	rcpt->settled = 1;
	if (st->dsn[0] == '2' && !rcpt->qr->done && queue_mark_done(req->fd, rcpt->qr->offset) < 0)
		log_warning("%s: cannot mark %s done: %m", req->id, rcpt->qr->addr);
}

void smtp_rcpt_settle_all(smtp_request_t *req, const smtp_status_t *st, int accepted_only)
{
	for (size_t i = 0; i < req->nrcpts; i++)
		if (!req->rcpts[i].settled && (!accepted_only || req->rcpts[i].accepted))
			smtp_rcpt_settle(req, &req->rcpts[i], st);
}

size_t smtp_rcpt_unsettled(const smtp_request_t *req)
{
	size_t n = 0;

	for (size_t i = 0; i < req->nrcpts; i++)
		n += !req->rcpts[i].settled;
	return n;
}

/* The "offset" attributes of the request, in order. */
static void smtp_request_rcpts(const ipc_msg_t *request, smtp_request_t *req)
{
	size_t count = ipc_count(request);

	req->rcpts = mem_calloc(count ? count : 1, sizeof(*req->rcpts));
	for (size_t i = 0; i < count; i++) {
		if (strcmp(ipc_name(request, i), "offset") != 0)
			continue;
		req->rcpts[req->nrcpts].offset = ipc_value(request, i, NULL);
		str_init(&req->rcpts[req->nrcpts].st.reason);
		req->nrcpts++;
	}
}

static int smtp_request_open(smtp_request_t *req, const char *dir, smtp_status_t *why)
{
	str_t err = STR_INIT;

	if ((req->fd = queue_open_delivery(dir, req->id, smtp_conf.queue_owner)) < 0) {
		smtp_status_set(why, "4.3.0", "cannot open queue file: %s", strerror(errno));
		log_warning("%s: open %s/%s: %m", req->id, dir, req->id);
		return -1;
	}
	if (queue_read(req->fd, req->id, &req->qm, &err) < 0) {
		smtp_status_set(why, "4.3.0", "queue file is damaged");
		log_warning("%s: %s", req->id, str_cstr(&err));
		str_free(&err);
		close(req->fd);
		req->fd = -1;
		return -1;
	}
	str_free(&err);
	return 0;
}

/* Match the offsets with the file's recipients; settle those that are
 * not there or were done already. */
static void smtp_request_match(smtp_request_t *req)
{
	static const queue_rcpt_t missing = { .addr = "" };
	smtp_status_t st = { .reason = STR_INIT };

	for (size_t i = 0; i < req->nrcpts; i++) {
		smtp_rcpt_t *rcpt = &req->rcpts[i];

		rcpt->qr = queue_msg_rcpt_at(&req->qm, rcpt->offset);
		if (rcpt->qr == NULL) {
			rcpt->qr = &missing;
			smtp_status_set(&st, "4.3.0", "recipient not found in queue file");
			rcpt->settled = 1;
			smtp_status_copy(&rcpt->st, &st);
		} else if (rcpt->qr->done) {
			smtp_status_set(&st, "2.0.0", "already delivered");
			smtp_rcpt_settle(req, rcpt, &st);
		}
	}
	str_free(&st.reason);
}

static void smtp_request_reply(const smtp_request_t *req, ipc_msg_t *reply)
{
	ipc_add(reply, "relay", req->relay);
	if (req->hop_status)
		ipc_add(reply, "hop_status", req->hop_status);
	for (size_t i = 0; i < req->nrcpts; i++) {
		const smtp_rcpt_t *rcpt = &req->rcpts[i];
		const char *dsn = rcpt->st.dsn;

		ipc_add(reply, "offset", rcpt->offset);
		ipc_add(reply, "dsn", dsn);
		ipc_add(reply, "status", dsn[0] == '2' ? "sent" : dsn[0] == '5' ? "bounced"
									 : "deferred");
		ipc_add(reply, "reason", rcpt->st.reason.len ? rcpt->st.reason.data : "");
		if (rcpt->st.diagnostic[0])
			ipc_add(reply, "diagnostic", rcpt->st.diagnostic);
		if (dsn[0] == '2' && rcpt->dsn_passed)
			ipc_add(reply, "dsn_passed", "yes");
	}
}

static void smtp_request_free(smtp_request_t *req)
{
	for (size_t i = 0; i < req->nrcpts; i++)
		str_free(&req->rcpts[i].st.reason);
	mem_free(req->rcpts);
	queue_msg_free(&req->qm);
	if (req->fd >= 0)
		close(req->fd);
}

void smtp_request(const ipc_msg_t *request, ipc_msg_t *reply)
{
	const char *dir = ipc_get(request, "queue_dir");
	smtp_request_t req = { .id = ipc_get(request, "queue_id"), .fd = -1, .relay = "none" };
	smtp_status_t why = { .reason = STR_INIT };

	req.nexthop = ipc_get(request, "nexthop");
	smtp_request_rcpts(request, &req);
	if (req.id == NULL || !queue_id_valid(req.id) || dir == NULL
	    || strcmp(dir, QUEUE_ACTIVE) != 0 || req.nexthop == NULL || *req.nexthop == 0) {
		log_warning("malformed delivery request: queue_id=%s queue_dir=%s nexthop=%s",
			    req.id ? req.id : "(none)", dir ? dir : "(none)",
			    req.nexthop ? req.nexthop : "(none)");
		req.id = "(none)";
		smtp_status_set(&why, "4.3.0", "malformed delivery request");
		for (size_t i = 0; i < req.nrcpts; i++)
			smtp_status_copy(&req.rcpts[i].st, &why);
	} else if (smtp_request_open(&req, dir, &why) < 0) {
		for (size_t i = 0; i < req.nrcpts; i++)
			smtp_status_copy(&req.rcpts[i].st, &why);
	} else {
		smtp_request_match(&req);
		if (smtp_rcpt_unsettled(&req) > 0)
			smtp_deliver(&req);
	}
	smtp_request_reply(&req, reply);
	str_free(&why.reason);
	smtp_request_free(&req);
}
