/*
 * mailq_access: authorized_mailq_users (see mailq_access.h). Warnings
 * about unreadable tables go to the log (stderr for commands).
 */
#include <pwd.h>
#include <stdio.h>
#include <string.h>

#include "conf.h"
#include "dict.h"
#include "log.h"
#include "mailq_access.h"
#include "str.h"

/* Does the list item match the user? 1 yes, 0 no, -1 cannot tell. */
static int mailq_access_item(const char *item, const char *user)
{
	str_t value = STR_INIT, err = STR_INIT;
	dict_t *dict;
	int found;

	if (strchr(item, ':') == NULL)
		return strcmp(item, user) == 0;
	if ((dict = dict_open(item, &err)) == NULL) {
		log_warning("authorized_mailq_users: %s", str_cstr(&err));
		str_free(&err);
		return -1;
	}
	if ((found = dict_lookup(dict, user, &value)) < 0)
		log_warning("authorized_mailq_users: %s: %s", item, str_cstr(&value));
	dict_close(dict);
	str_free(&value);
	str_free(&err);
	return found;
}

/* 1 when authorized_mailq_users lets the named user list the queue. */
static int mailq_access_listed(const char *user)
{
	size_t count;
	char **items = conf_split_list(conf_str("authorized_mailq_users"), &count);
	int verdict = 0, negate, match;

	for (size_t i = 0; i < count; i++) {
		negate = items[i][0] == '!';
		match = mailq_access_item(items[i] + negate, user);
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

int mailq_access_privileged(uid_t uid)
{
	struct passwd *pw;

	if (uid == 0)
		return 1;
	pw = getpwnam(conf_str("mail_owner"));
	return pw != NULL && pw->pw_uid == uid;
}

int mailq_access_user(uid_t uid, char *user, size_t size)
{
	struct passwd *pw = getpwuid(uid);

	/* a copy: table lookups may reuse getpwuid's buffer */
	if (pw != NULL) {
		snprintf(user, size, "%s", pw->pw_name);
		return 0;
	}
	snprintf(user, size, "#%ld", (long)uid);
	return -1;
}

int mailq_access_allows(uid_t uid, char *user, size_t size)
{
	int known = mailq_access_user(uid, user, size) == 0;

	return mailq_access_privileged(uid) || (known && mailq_access_listed(user));
}
