/*
 * local_pipe: delivery of one message to an external command (a "|command"
 * alias or forward, mailbox_command), as Postfix's local(8) does it.
 */
#ifndef POCHTA_LOCAL_PIPE_H
#define POCHTA_LOCAL_PIPE_H

#include <sys/types.h>

#include "local.h"

/* run command (execve of /bin/sh -c only because the alias owner wrote a shell command line) with the message on stdin, as uid/gid, with env SENDER RECIPIENT USER EXTENSION DOMAIN LOCAL HOME; sets st per sysexits */
void local_pipe_deliver(const local_ctx_t *ctx, const local_msg_t *msg, const char *rcpt,
			const char *command, uid_t uid, gid_t gid, const char *home,
			local_status_t *st);

/* default_privs's uid and gid, for mail to uid 0: 0, or -1 (logged). */
int local_pipe_default_privs(uid_t *uid, gid_t *gid);

#endif
