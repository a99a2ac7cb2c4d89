/*
 * local_maildir: write one message into a recipient's Maildir. Adds the
 * Return-Path: and Delivered-To: lines, and when local runs as root it
 * takes the mailbox owner's uid and gid for the delivery only, so every
 * file and directory it creates belongs to that owner.
 */
#include <errno.h>
#include <grp.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "local.h"
#include "log.h"
#include "maildir.h"

/* Envelope text goes into a header line: a CR or LF must not split it. */
static void local_append_field(str_t *out, const char *text)
{
	for (; *text; text++)
		str_putc(out, *text == '\r' || *text == '\n' ? ' ' : *text);
}

static void local_prefix(str_t *out, const char *sender, const char *rcpt)
{
	str_append_cstr(out, "Return-Path: <");
	local_append_field(out, sender);
	str_append_cstr(out, ">\nDelivered-To: ");
	local_append_field(out, rcpt);
	str_putc(out, '\n');
}

static int local_become(const local_target_t *target)
{
	if (setgroups(1, &target->gid) < 0 || setegid(target->gid) < 0 ||
	    seteuid(target->uid) < 0)
		return -1;
	return 0;
}

static void local_become_root(void)
{
	if (seteuid(0) < 0 || setegid(0) < 0 || setgroups(0, NULL) < 0)
		log_fatal("cannot regain root privileges: %m");
	daemon_watch_master();
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

void local_maildir(const local_ctx_t *ctx, const local_msg_t *msg, const char *rcpt,
		   const local_target_t *target, local_status_t *st)
{
	str_t prefix = STR_INIT;
	maildir_msg_t mm;
	int rc, err;

	local_prefix(&prefix, msg->qm->sender, rcpt);
	mm.prefix = prefix.data;
	mm.prefix_len = prefix.len;
	mm.fd = msg->fd;
	mm.offset = msg->qm->content_offset;
	mm.size = msg->qm->content_size;
	if (ctx->am_root && local_become(target) < 0) {
		err = errno;
		local_become_root();
		local_status_set(st, "4.3.0", "cannot switch to uid %ld: %s",
				 (long)target->uid, strerror(err));
		str_free(&prefix);
		return;
	}
	rc = maildir_deliver(target->base_fd, target->path, &mm, NULL);
	err = errno;
	if (ctx->am_root)
		local_become_root();
	if (rc == 0)
		local_status_set(st, "2.0.0", "delivered to maildir");
	else
		local_maildir_error(msg, rcpt, target, err, st);
	str_free(&prefix);
}
