/*
 * pop3d_privs: whose rights pop3d has. Started as root, it parses the
 * protocol with mail_owner's effective ids; after a login it looks up the
 * mailbox owner in virtual_uid_maps and virtual_gid_maps (full address,
 * then "@domain", as local does) and becomes that user for good (real,
 * effective and saved ids), so the process ends with its session. Not
 * started as root (a user's instance), it stays who it is: that user owns
 * every mailbox.
 */
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "daemon.h"
#include "dict.h"
#include "log.h"
#include "pop3d.h"
#include "queue_dirs.h"

static int pop3d_privs_am_root;
static int pop3d_privs_did_switch;
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
	queue_dirs_owner(&pop3d_privs_owner_uid, &pop3d_privs_owner_gid);
	pop3d_privs_uid_map = pop3d_privs_map("virtual_uid_maps");
	pop3d_privs_gid_map = pop3d_privs_map("virtual_gid_maps");
}

void pop3d_privs_unprivileged(void)
{
	if (!pop3d_privs_am_root)
		return;
	if (setgroups(1, &pop3d_privs_owner_gid) < 0 || setegid(pop3d_privs_owner_gid) < 0
	    || seteuid(pop3d_privs_owner_uid) < 0)
		log_fatal("cannot switch to mail_owner: %m");
	daemon_watch_master();
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

int pop3d_privs_become_owner(const char *user)
{
	long uid, gid;
	gid_t group;

	if (!pop3d_privs_am_root)
		return 0;
	if (pop3d_privs_did_switch)
		return -1;	/* already someone's: no second login here */
	uid = pop3d_privs_id(pop3d_privs_uid_map, "virtual_uid_maps", user);
	gid = pop3d_privs_id(pop3d_privs_gid_map, "virtual_gid_maps", user);
	if (uid < 0 || gid < 0)
		return -1;
	if (uid < conf_int("virtual_minimum_uid")) {
		log_warning("user %s: uid %ld is below virtual_minimum_uid", user, uid);
		return -1;
	}
	group = (gid_t)gid;
	if (seteuid(0) < 0 || setgroups(1, &group) < 0 || setgid(group) < 0 || setuid((uid_t)uid) < 0)
		log_fatal("cannot switch to the mailbox owner %ld: %m", uid);
	pop3d_privs_did_switch = 1;
	daemon_watch_master();
	return 0;
}

int pop3d_privs_switched(void)
{
	return pop3d_privs_did_switch;
}
