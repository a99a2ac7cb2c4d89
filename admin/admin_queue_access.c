/*
 * admin_queue_access: who may use "pochta queue", as postqueue and
 * postsuper decide.
 *
 * root and mail_owner may do everything. Anyone else may list envelopes
 * when authorized_mailq_users says so (lib/mailq_access.c). Showing a
 * message's content and changing the queue need root or mail_owner. A user
 * who may list but cannot read the queue directories (in a root instance
 * only mail_owner can) gets the listing from the showq service
 * (admin_queue_showq.c), which decides the same way.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admin.h"
#include "admin_queue.h"
#include "conf.h"
#include "mailq_access.h"
#include "queue_dirs.h"

static void admin_access_deny(const char *user, uid_t uid, enum admin_queue_need need)
{
	admin_say("fatal: permission denied: user %s (uid %ld) may not %s", user, (long)uid,
		  need == ADMIN_QUEUE_LIST ? "view the mail queue (authorized_mailq_users)"
		  : "read messages or change the mail queue: only root and mail_owner may");
	exit(ADMIN_EXIT_NOPERM);
}

static void admin_access_check(enum admin_queue_need need)
{
	uid_t uid = getuid();
	char user[MAILQ_ACCESS_NAME_MAX];

	if (mailq_access_privileged(uid))
		return;
	if (need == ADMIN_QUEUE_MANAGE) {
		mailq_access_user(uid, user, sizeof(user));
		admin_access_deny(user, uid, need);
	}
	if (!mailq_access_allows(uid, user, sizeof(user)))
		admin_access_deny(user, uid, need);
}

uid_t admin_queue_owner(void)
{
	uid_t uid;
	gid_t gid;

	queue_dirs_owner(&uid, &gid);
	return uid;
}

void admin_queue_enter(const char *config_dir, enum admin_queue_need need)
{
	const char *dir;

	admin_conf_load(config_dir);
	admin_access_check(need);
	dir = conf_str("queue_directory");
	if (chdir(dir) != 0)
		admin_fatal("queue_directory %s: %s", dir, strerror(errno));
}
