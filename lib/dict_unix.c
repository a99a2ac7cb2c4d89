/*
 * dict_unix: unix:passwd.byname, the system's user database through
 * getpwnam(3), as in Postfix. The key is a user name (folded to lower case
 * like every key); the value is the passwd(5) line
 * "name:passwd:uid:gid:gecos:home:shell". A failure of the lookup itself
 * (NSS unreachable, out of file descriptors) is a temporary error, never
 * "no such user". It cannot list keys.
 */
#include <errno.h>
#include <pwd.h>
#include <string.h>

#include "dict_type.h"

#define DICT_UNIX_PASSWD "passwd.byname"

/* getpwnam(3) reports "no such entry" in several ways. */
static int dict_unix_not_found(int err)
{
	return err == 0 || err == ENOENT || err == ESRCH || err == EBADF || err == EPERM;
}

static int dict_unix_lookup(dict_t *dict, const char *key, str_t *value)
{
	struct passwd *pw;

	(void)dict;
	errno = 0;
	if ((pw = getpwnam(key)) == NULL) {
		if (dict_unix_not_found(errno))
			return 0;
		str_reset(value);
		str_printf(value, "unix:%s lookup for \"%s\": %s", DICT_UNIX_PASSWD, key,
			   strerror(errno));
		return -1;
	}
	str_reset(value);
	str_printf(value, "%s:%s:%ld:%ld:%s:%s:%s", pw->pw_name, pw->pw_passwd,
		   (long)pw->pw_uid, (long)pw->pw_gid, pw->pw_gecos, pw->pw_dir, pw->pw_shell);
	return 1;
}

dict_t *dict_unix_open(const char *name, str_t *err)
{
	dict_t *dict;

	if (strcmp(name, DICT_UNIX_PASSWD) != 0) {
		str_printf(err, "unknown table: unix:%s", name);
		return NULL;
	}
	dict = dict_alloc(sizeof(*dict));
	dict->lookup = dict_unix_lookup;
	return dict;
}
