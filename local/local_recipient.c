/*
 * local_recipient: one recipient of a message. The address is resolved
 * again (the tables may have changed since qmgr looked), checked for a
 * mail forwarding loop, and turned into a Maildir target: a path under
 * virtual_mailbox_base for virtual domains, ~/Maildir/ for system users.
 * Aliases, .forward files and other mailbox forms slot in here later.
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <string.h>

#include "delivered.h"
#include "local.h"
#include "log.h"
#include "resolve.h"

#define LOCAL_MAILDIR_SUFFIX "/Maildir/"

static void local_virtual(const local_ctx_t *ctx, const local_msg_t *msg, const char *rcpt,
			  const resolve_result_t *res, local_status_t *st)
{
	const char *path = res->mailbox.data ? res->mailbox.data : "";
	local_target_t target;

	while (*path == '/')
		path++;		/* the table names a path below virtual_mailbox_base */
	if (*path == 0 || path[strlen(path) - 1] != '/') {
		local_status_set(st, "5.3.5", "unsupported mailbox format");
		return;
	}
	if (ctx->base_fd < 0) {
		log_warning("%s: virtual_mailbox_base is not set: cannot deliver to %s",
			    msg->qm->id, rcpt);
		local_status_set(st, "4.3.5", "mail system configuration error");
		return;
	}
	if (local_virtual_owner(ctx, rcpt, &target.uid, &target.gid, st) < 0)
		return;
	target.base_fd = ctx->base_fd;
	target.path = path;
	local_maildir(ctx, msg, rcpt, &target, st);
}

static void local_system_user(const local_ctx_t *ctx, const local_msg_t *msg,
			      const char *rcpt, const char *user, local_status_t *st)
{
	struct passwd *pw;
	local_target_t target;
	str_t path = STR_INIT;

	errno = 0;
	if ((pw = getpwnam(user)) == NULL) {
		local_status_set(st, "4.3.0", "cannot find user %s: %s", user,
				 errno ? strerror(errno) : "no such user");
		return;
	}
	if (!ctx->am_root && pw->pw_uid != ctx->self_uid) {
		local_status_set(st, "4.3.0",
				 "cannot deliver to system user %s: the mail system does not run as root",
				 user);
		return;
	}
	str_printf(&path, "%s%s", pw->pw_dir, LOCAL_MAILDIR_SUFFIX);
	target.base_fd = AT_FDCWD;
	target.path = path.data;
	target.uid = pw->pw_uid;
	target.gid = pw->pw_gid;
	local_maildir(ctx, msg, rcpt, &target, st);
	str_free(&path);
}

void local_recipient(const local_ctx_t *ctx, const local_msg_t *msg, const char *rcpt,
		     local_status_t *st)
{
	resolve_result_t res;

	resolve_result_init(&res);
	if (resolve_address(rcpt, &res) < 0)
		local_status_set(st, "4.3.0", "temporary lookup failure: %s",
				 str_cstr(&res.mailbox));
	else if (res.cls == RESOLVE_RELAY)
		local_status_set(st, "4.3.5",
				 "mail system configuration error: %s is not a local address", rcpt);
	else if (!res.found)
		local_status_set(st, "5.1.1", "unknown user: \"%s\"", rcpt);
	else if (delivered_to_seen(msg->header, msg->header_len, rcpt))
		local_status_set(st, "5.4.6", "mail forwarding loop for %s", rcpt);
	else if (res.cls == RESOLVE_VIRTUAL)
		local_virtual(ctx, msg, rcpt, &res, st);
	else
		local_system_user(ctx, msg, rcpt, str_cstr(&res.mailbox), st);
	resolve_result_free(&res);
}
