/*
 * local_system: the mailbox of a system user (a passwd entry), as
 * Postfix's local(8) delivers it once aliases and .forward are done with.
 */
#ifndef POCHTA_LOCAL_SYSTEM_H
#define POCHTA_LOCAL_SYSTEM_H

#include <pwd.h>

#include "local.h"

/* mailbox_command when set, else home_mailbox below the user's home
 * (mail_spool_directory/USER when home_mailbox is empty); sets st. */
void local_system_deliver(const local_ctx_t *ctx, const local_msg_t *msg, const char *rcpt,
			  const struct passwd *pw, const char *extension, local_status_t *st);

#endif
