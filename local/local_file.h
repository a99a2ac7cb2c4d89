/*
 * local_file: delivery of one message to a file named by an alias,
 * a .forward file or home_mailbox: appended in mbox format, or, when the
 * name ends in "/", written into that Maildir.
 */
#ifndef POCHTA_LOCAL_FILE_H
#define POCHTA_LOCAL_FILE_H

#include <sys/types.h>

#include "local.h"

/* Deliver to path as uid/gid (uid 0 becomes default_privs); sets st. */
void local_file_deliver(const local_ctx_t *ctx, const local_msg_t *msg, const char *rcpt,
			const char *path, uid_t uid, gid_t gid, local_status_t *st);

#endif
