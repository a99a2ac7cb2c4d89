/*
 * local_system: the mailbox of a system user, after aliases and .forward.
 *
 * With mailbox_command set, the message goes to that command, run as the
 * user (root's mail as default_privs) with the user's home as HOME.
 * Otherwise home_mailbox names the mailbox below the user's home: ending
 * in "/" a Maildir (Pochta's default "Maildir/"), else an mbox file; an
 * empty home_mailbox means the file mail_spool_directory/USER, as in
 * Postfix. A user whose home is missing or belongs to someone else
 * (system accounts with /nonexistent, "/") gets no mailbox created in an
 * odd place: the mail waits (4.3.0) and the log says why. Only a root
 * local can deliver to users other than itself.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "conf.h"
#include "local_file.h"
#include "local_pipe.h"
#include "local_system.h"
#include "log.h"

/* Is the home directory a place to make a mailbox in? */
static int local_system_home_ok(const struct passwd *pw)
{
	struct stat sb;

	return pw->pw_dir[0] == '/' && pw->pw_dir[1] != 0 && stat(pw->pw_dir, &sb) == 0 &&
	       S_ISDIR(sb.st_mode) && sb.st_uid == pw->pw_uid;
}

static void local_system_mailbox(const local_ctx_t *ctx, const local_msg_t *msg,
				 const char *rcpt, const struct passwd *pw, local_status_t *st)
{
	const char *mailbox = conf_str("home_mailbox");
	local_target_t target = { .base_fd = AT_FDCWD, .uid = pw->pw_uid, .gid = pw->pw_gid };
	str_t path = STR_INIT;

	if (*mailbox == 0) {
		str_printf(&path, "%s/%s", conf_str("mail_spool_directory"), pw->pw_name);
		local_file_deliver(ctx, msg, rcpt, path.data, pw->pw_uid, pw->pw_gid, st);
	} else if (!local_system_home_ok(pw)) {
		log_warning("%s: cannot deliver to %s: home directory %s of user %s is missing "
			    "or not owned by the user", msg->qm->id, rcpt, pw->pw_dir, pw->pw_name);
		local_status_set(st, "4.3.0", "home directory of user %s is not usable",
				 pw->pw_name);
	} else if (mailbox[strlen(mailbox) - 1] == '/') {
		str_printf(&path, "%s/%s", pw->pw_dir, mailbox);
		target.path = path.data;
		local_maildir(ctx, msg, rcpt, &target, st);
	} else {
		str_printf(&path, "%s/%s", pw->pw_dir, mailbox);
		local_file_deliver(ctx, msg, rcpt, path.data, pw->pw_uid, pw->pw_gid, st);
	}
	str_free(&path);
}

void local_system_deliver(const local_ctx_t *ctx, const local_msg_t *msg, const char *rcpt,
			  const struct passwd *pw, const char *extension, local_status_t *st)
{
	const char *command = conf_str("mailbox_command");

	(void)extension;	/* the command finds it in rcpt (EXTENSION) */
	if (!ctx->am_root && pw->pw_uid != ctx->self_uid) {
		local_status_set(st, "4.3.0",
				 "cannot deliver to system user %s: the mail system does not run as root",
				 pw->pw_name);
		return;
	}
	if (*command)
		local_pipe_deliver(ctx, msg, rcpt, command, pw->pw_uid, pw->pw_gid, pw->pw_dir, st);
	else
		local_system_mailbox(ctx, msg, rcpt, pw, st);
}
