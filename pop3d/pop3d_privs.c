/*
 * pop3d_privs: whose rights each pop3d process has. The pop3d process
 * master starts keeps the ids it was started with (root in a root-started
 * instance) and never reads from a client. The login process it forks
 * becomes mail_owner for good (real, effective and saved ids) before its
 * first byte from the client. The session process becomes the mailbox
 * owner for good: a virtual user's ids from virtual_uid_maps and
 * virtual_gid_maps (full address, then "@domain", as local does), at least
 * virtual_minimum_uid; a system user's own ids, at least first_valid_uid.
 * Never root. Not started as root (a user's instance), nothing changes and
 * only that user's system mailbox can be served.
 */
#include <grp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "conf.h"
#include "daemon.h"
#include "dict.h"
#include "log.h"
#include "pop3d.h"
#include "queue_dirs.h"

static int pop3d_privs_am_root;
static pid_t pop3d_privs_parent;		/* the pop3d process */
static uid_t pop3d_privs_owner_uid;	/* mail_owner */
static gid_t pop3d_privs_owner_gid;
static dict_t *pop3d_privs_uid_map;
static dict_t *pop3d_privs_gid_map;

static dict_t *pop3d_privs_map(const char *param)
{
	const char *spec = conf_str(param);
	str_t err = STR_INIT;
	dict_t *dict = NULL;

	if (*spec && (dict = dict_open(spec, &err)) == NULL)
		log_fatal("%s: %s", param, str_cstr(&err));
	str_free(&err);
	return dict;
}

void pop3d_privs_init(void)
{
	pop3d_privs_am_root = geteuid() == 0;
	pop3d_privs_parent = getpid();
	queue_dirs_owner(&pop3d_privs_owner_uid, &pop3d_privs_owner_gid);
	pop3d_privs_uid_map = pop3d_privs_map("virtual_uid_maps");
	pop3d_privs_gid_map = pop3d_privs_map("virtual_gid_maps");
}

void pop3d_privs_child(void)
{
	daemon_child_detach();
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0)
		log_fatal("prctl PR_SET_PDEATHSIG: %m");
	if (getppid() != pop3d_privs_parent)
		exit(0);	/* the parent went first */
}

/* Set all ids to uid/gid and check that root cannot come back. */
static void pop3d_privs_set(uid_t uid, gid_t gid)
{
	if (setgroups(1, &gid) != 0 || setgid(gid) != 0 || setuid(uid) != 0)
		log_fatal("cannot switch to uid %ld gid %ld: %m", (long)uid, (long)gid);
	if (setuid(0) == 0 || geteuid() != uid || getegid() != gid)
		log_fatal("privileges were not dropped to uid %ld", (long)uid);
}

void pop3d_privs_drop_login(void)
{
	if (pop3d_privs_am_root)
		pop3d_privs_set(pop3d_privs_owner_uid, pop3d_privs_owner_gid);
}

/* One numeric id for user from map; -1 (logged) when missing or bad. */
static long pop3d_privs_id(dict_t *map, const char *param, const char *user)
{
	const char *at = strrchr(user, '@');
	str_t value = STR_INIT;
	char *end = NULL;
	long id = -1;
	int rc = map == NULL ? 0 : dict_lookup(map, user, &value);

	if (rc == 0 && map != NULL && at != NULL)
		rc = dict_lookup(map, at, &value);
	if (rc > 0)
		id = strtol(str_cstr(&value), &end, 10);
	if (rc <= 0 || value.len == 0 || *end != 0 || id < 0) {
		log_warning("user %s: no usable %s entry", user, param);
		id = -1;
	}
	str_free(&value);
	return id;
}

int pop3d_privs_virtual_ids(const char *user, uid_t *uid, gid_t *gid)
{
	long u = pop3d_privs_id(pop3d_privs_uid_map, "virtual_uid_maps", user);
	long g = pop3d_privs_id(pop3d_privs_gid_map, "virtual_gid_maps", user);

	if (u < 0 || g < 0)
		return -1;
	if (u < conf_int("virtual_minimum_uid")) {
		log_warning("user %s: uid %ld is below virtual_minimum_uid", user, u);
		return -1;
	}
	*uid = (uid_t)u;
	*gid = (gid_t)g;
	return 0;
}

int pop3d_privs_become(const char *user, uid_t uid, gid_t gid, int system)
{
	if (!pop3d_privs_am_root) {
		if (!system || uid == getuid())
			return 0;
		log_warning("user %s: only uid %ld's own mailbox is served by this instance",
			    user, (long)getuid());
		return -1;
	}
	if (uid == 0 || (system && (long)uid < conf_int("first_valid_uid"))) {
		log_warning("user %s: uid %ld is below first_valid_uid", user, (long)uid);
		return -1;
	}
	pop3d_privs_set(uid, gid);
	return 0;
}
