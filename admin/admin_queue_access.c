/*
 * admin_queue_access: who may use "pochta queue", as postqueue and
 * postsuper decide.
 *
 * root and mail_owner may do everything. Anyone else may list envelopes
 * when authorized_mailq_users says so (default static:anyone, as in
 * Postfix): a list of user names, "!name" to exclude one, and type:table
 * lookups that match a name they find (the value does not matter),
 * matched left to right, first match wins. Showing a message's content and
 * changing the queue need root or mail_owner. A user who is allowed to
 * list still needs to be able to read the queue directories, which in a
 * root instance only mail_owner can (Pochta has no showq service yet).
 */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admin.h"
#include "admin_queue.h"
#include "conf.h"
#include "dict.h"
#include "queue_dirs.h"

#define ADMIN_USER_NAME_MAX 256	/* a login name, or "#" and a uid */

/* Does the list item match the user? 1 yes, 0 no, -1 cannot tell. */
static int admin_acl_item(const char *item, const char *user)
{
	str_t value = STR_INIT, err = STR_INIT;
	dict_t *dict;
	int found;

	if (strchr(item, ':') == NULL)
		return strcmp(item, user) == 0;
	if ((dict = dict_open(item, &err)) == NULL) {
		admin_say("warning: authorized_mailq_users: %s", str_cstr(&err));
		str_free(&err);
		return -1;
	}
	if ((found = dict_lookup(dict, user, &value)) < 0)
		admin_say("warning: authorized_mailq_users: %s: %s", item, str_cstr(&value));
	dict_close(dict);
	str_free(&value);
	str_free(&err);
	return found;
}

/* 1 when authorized_mailq_users lets user list the queue. */
static int admin_acl_allows(const char *user)
{
	size_t count;
	char **items = conf_split_list(conf_str("authorized_mailq_users"), &count);
	int verdict = 0, negate, match;

	for (size_t i = 0; i < count; i++) {
		negate = items[i][0] == '!';
		match = admin_acl_item(items[i] + negate, user);
		if (match < 0)
			break;		/* not knowing is no permission */
		if (match) {
			verdict = !negate;
			break;
		}
	}
	conf_free_list(items, count);
	return verdict;
}

static int admin_access_privileged(uid_t uid)
{
	struct passwd *pw;

	if (uid == 0)
		return 1;
	pw = getpwnam(conf_str("mail_owner"));
	return pw != NULL && pw->pw_uid == uid;
}

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
	struct passwd *pw;
	char user[ADMIN_USER_NAME_MAX];

	if (admin_access_privileged(uid))
		return;
	/* a copy: table lookups may reuse getpwuid's buffer */
	if ((pw = getpwuid(uid)) != NULL)
		snprintf(user, sizeof(user), "%s", pw->pw_name);
	else
		snprintf(user, sizeof(user), "#%ld", (long)uid);
	if (need == ADMIN_QUEUE_MANAGE || pw == NULL || !admin_acl_allows(user))
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
