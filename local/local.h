/*
 * local: declarations shared by the files of the local delivery agent.
 *
 * local takes one request per queue file from qmgr (queue_id, queue_dir,
 * sender, and "rcpt"/"offset" pairs), delivers each recipient and answers
 * with one "offset"/"dsn"/"status"/"reason" group per recipient. Virtual
 * recipients go to a Maildir under virtual_mailbox_base, system users to
 * ~/Maildir/; when running as root the file is written with the mailbox
 * owner's uid and gid.
 */
#ifndef POCHTA_LOCAL_H
#define POCHTA_LOCAL_H

#include <sys/types.h>

#include "dict.h"
#include "ipc.h"
#include "queue.h"
#include "str.h"

#define LOCAL_DSN_MAX 16		/* "4.3.0" and room to spare */
#define LOCAL_HEADER_READ_MAX (1 << 20)	/* bytes read for the loop check */

/* What became of one recipient, as reported to qmgr. */
typedef struct local_status {
	char dsn[LOCAL_DSN_MAX];
	const char *status;		/* "sent", "deferred" or "bounced" */
	str_t reason;
} local_status_t;

/* Set dsn, status (from the dsn's class) and the reason text. */
void local_status_set(local_status_t *st, const char *dsn, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* What local opened and learned before serving anyone. */
typedef struct local_ctx {
	int base_fd;			/* virtual_mailbox_base (O_PATH), -1 if unset */
	dict_t *uid_map;		/* virtual_uid_maps, NULL if unset */
	dict_t *gid_map;
	int am_root;			/* switch to the mailbox owner per delivery */
	uid_t self_uid;
	uid_t queue_owner;		/* mail_owner: who writes queue files */
	long minimum_uid;		/* virtual_minimum_uid */
	size_t header_max;		/* how much of the message the loop check reads */
} local_ctx_t;

/* The message being delivered, shared by its recipients. */
typedef struct local_msg {
	const queue_msg_t *qm;
	int fd;				/* the queue file, shared-locked */
	char *header;			/* the first bytes of the content */
	size_t header_len;
} local_msg_t;

/* Where one recipient's mail goes and as whom. */
typedef struct local_target {
	int base_fd;			/* path is relative to it (or absolute) */
	const char *path;		/* the Maildir, ending in "/" */
	uid_t uid;
	gid_t gid;
} local_target_t;

/* Answer one request from qmgr (reply gets one group per recipient). */
void local_request(const local_ctx_t *ctx, const ipc_msg_t *req, ipc_msg_t *reply);

/* Resolve and deliver one recipient. */
void local_recipient(const local_ctx_t *ctx, const local_msg_t *msg, const char *rcpt,
		     local_status_t *st);

/* The mailbox owner of a virtual recipient; 0, or -1 with st set. */
int local_virtual_owner(const local_ctx_t *ctx, const char *rcpt, uid_t *uid, gid_t *gid,
			local_status_t *st);

/* Write the message into the target Maildir, as the target's owner when root. */
void local_maildir(const local_ctx_t *ctx, const local_msg_t *msg, const char *rcpt,
		   const local_target_t *target, local_status_t *st);

/* Shared by the delivery methods (local_maildir.c): the Return-Path: and
 * Delivered-To: lines every delivery adds. */
void local_envelope_headers(str_t *out, const char *sender, const char *rcpt);

#endif
