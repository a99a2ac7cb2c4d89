/*
 * local_maildir: write one message into a recipient's Maildir. Adds the
 * Return-Path: and Delivered-To: lines, and when local runs as root it
 * takes the mailbox owner's uid and gid for the delivery only, so every
 * file and directory it creates belongs to that owner. A Maildir under
 * virtual_mailbox_base is a virtual mailbox: with virtual_mailbox_limit
 * set, a message that would make it bigger bounces (5.2.2 mailbox full),
 * as the owner reads its Maildir++ maildirsize.
 */
#include <errno.h>
#include <string.h>

#include "conf.h"
#include "local_expand.h"
#include "log.h"
#include "maildir.h"

/* Envelope text goes into a header line: a CR or LF must not split it. */
static void local_append_field(str_t *out, const char *text)
{
	for (; *text; text++)
		str_putc(out, *text == '\r' || *text == '\n' ? ' ' : *text);
}

void local_envelope_headers(str_t *out, const char *sender, const char *rcpt)
{
	str_append_cstr(out, "Return-Path: <");
	local_append_field(out, sender);
	str_append_cstr(out, ">\nDelivered-To: ");
	local_append_field(out, rcpt);
	str_putc(out, '\n');
}

static void local_maildir_error(const local_msg_t *msg, const char *rcpt,
				const local_target_t *target, int err, local_status_t *st)
{
	if (err == EDQUOT || err == EFBIG) {
		local_status_set(st, "4.2.2", "maildir delivery failed: mailbox full");
		return;
	}
	log_warning("%s: maildir delivery to %s (%s) failed: %s", msg->qm->id, rcpt,
		    target->path, strerror(err));
	local_status_set(st, "4.3.0", "maildir delivery failed: %s", strerror(err));
}

/* The quota of the target Maildir in bytes, 0 for none. */
static off_t local_maildir_limit(const local_ctx_t *ctx, const local_target_t *target)
{
	if (ctx->base_fd < 0 || target->base_fd != ctx->base_fd)
		return 0;
	return (off_t)conf_int("virtual_mailbox_limit");
}

/* Deliver as the owner (already switched to): quota, then the Maildir.
 * 0, 1 when over quota, or -1 with errno. */
static int local_maildir_write(const local_ctx_t *ctx, const local_target_t *target,
			       const maildir_msg_t *mm)
{
	off_t limit = local_maildir_limit(ctx, target);
	off_t size = (off_t)mm->prefix_len + mm->size;
	int rc;

	if (limit > 0 && (rc = maildir_quota_check(target->base_fd, target->path, limit,
						    size)) != 0)
		return rc;
	if (maildir_deliver(target->base_fd, target->path, mm, NULL) < 0)
		return -1;
	if (limit > 0)
		maildir_quota_add(target->base_fd, target->path, size);
	return 0;
}

void local_maildir(const local_ctx_t *ctx, const local_msg_t *msg, const char *rcpt,
		   const local_target_t *target, local_status_t *st)
{
	str_t prefix = STR_INIT;
	maildir_msg_t mm;
	int rc, err;

	local_envelope_headers(&prefix, msg->qm->sender, rcpt);
	mm.prefix = prefix.data;
	mm.prefix_len = prefix.len;
	mm.fd = msg->fd;
	mm.offset = msg->qm->content_offset;
	mm.size = msg->qm->content_size;
	if (local_privs_enter(ctx, target->uid, target->gid) < 0) {
		err = errno;
		local_status_set(st, "4.3.0", "cannot switch to uid %ld: %s",
				 (long)target->uid, strerror(err));
		str_free(&prefix);
		return;
	}
	rc = local_maildir_write(ctx, target, &mm);
	err = errno;
	local_privs_leave(ctx);
	if (rc == 0)
		local_status_set(st, "2.0.0", "delivered to maildir");
	else if (rc > 0)
		local_status_set(st, "5.2.2", "maildir delivery failed: mailbox full");
	else
		local_maildir_error(msg, rcpt, target, err, st);
	str_free(&prefix);
}
