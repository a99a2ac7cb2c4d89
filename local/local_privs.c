/*
 * local_privs: effective ids for the parts of a delivery that act for
 * someone (reading a .forward or :include: file as its user, writing a
 * forwarded queue file as mail_owner). Only a root local switches; a
 * local that runs as the instance's user acts for that user alone, and
 * refuses to run or write anything for another (whose .forward it may
 * read, but must not obey with the instance user's rights).
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include "conf.h"
#include "daemon.h"
#include "local_expand.h"
#include "log.h"

int local_privs_may_act_as(const local_ctx_t *ctx, uid_t uid)
{
	return ctx->am_root || uid == ctx->self_uid;
}

int local_privs_enter(const local_ctx_t *ctx, uid_t uid, gid_t gid)
{
	int err;

	if (!local_privs_may_act_as(ctx, uid)) {
		errno = EPERM;
		return -1;
	}
	if (!ctx->am_root)
		return 0;
	if (setgroups(1, &gid) < 0 || setegid(gid) < 0 || seteuid(uid) < 0) {
		err = errno;
		local_privs_leave(ctx);
		errno = err;
		return -1;
	}
	return 0;
}

void local_privs_leave(const local_ctx_t *ctx)
{
	if (!ctx->am_root)
		return;
	if (seteuid(0) < 0 || setegid(0) < 0 || setgroups(0, NULL) < 0)
		log_fatal("cannot regain root privileges: %m");
	daemon_watch_master();
}

/* default_privs's passwd entry, or NULL (logged). */
static struct passwd *local_privs_default_user(void)
{
	const char *name = conf_str("default_privs");
	struct passwd *pw = getpwnam(name);

	if (pw == NULL || pw->pw_uid == 0) {
		log_warning("default_privs: %s: unknown user, or root", name);
		return NULL;
	}
	return pw;
}

int local_privs_default(uid_t *uid, gid_t *gid)
{
	struct passwd *pw = local_privs_default_user();

	if (pw == NULL)
		return -1;
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	return 0;
}

/* Who acts for a file owned by owner: default_privs for root's files. */
static struct passwd *local_privs_user(uid_t owner)
{
	struct passwd *pw;

	if (owner == 0)
		return local_privs_default_user();
	if ((pw = getpwuid(owner)) == NULL)
		log_warning("no user has uid %ld", (long)owner);
	return pw;
}

int local_privs_of_owner(uid_t owner, enum local_source source, local_privs_t *privs,
			 str_t *home)
{
	struct passwd *pw = local_privs_user(owner);

	if (pw == NULL)
		return -1;
	privs->source = source;
	privs->uid = pw->pw_uid;
	privs->gid = pw->pw_gid;
	str_set(home, pw->pw_dir);
	privs->home = str_cstr(home);
	return 0;
}
