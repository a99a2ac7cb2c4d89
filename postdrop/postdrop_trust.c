/*
 * postdrop_trust: which configuration a setgid postdrop may read. A user
 * who could hand postdrop a main.cf of their own would choose the queue
 * directory it writes into with the drop group's rights, so only a
 * configuration that root alone can change is taken (see postdrop.h).
 * Every directory on the resolved path is checked, so nothing on the way
 * can be swapped between the check and the read.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>

#include "postdrop.h"
#include "str.h"
#include "usermsg.h"

/* Root's, and writable by nobody else (sticky directories excepted). */
static int postdrop_root_only(const struct stat *st)
{
	if (st->st_uid != 0)
		return 0;
	if ((st->st_mode & (S_IWGRP | S_IWOTH)) == 0)
		return 1;
	return S_ISDIR(st->st_mode) && (st->st_mode & S_ISVTX);
}

static void postdrop_check(const char *path, const char *config_dir)
{
	struct stat st;

	if (lstat(path, &st) != 0 || !postdrop_root_only(&st))
		usermsg_fatal(EX_NOPERM, "refusing configuration directory %s: %s is not root's "
			      "alone", config_dir, path);
}

char *postdrop_trusted_config(const char *config_dir)
{
	char *real = realpath(config_dir, NULL);
	str_t path = STR_INIT;

	if (real == NULL)
		usermsg_fatal(EX_CONFIG, "configuration directory %s: %m", config_dir);
	str_set(&path, "/");
	postdrop_check("/", config_dir);
	for (char *p = real + 1; *p; p++) {
		if (*p == '/') {
			str_truncate(&path, 0);
			str_append(&path, real, (size_t)(p - real));
			postdrop_check(path.data, config_dir);
		}
	}
	postdrop_check(real, config_dir);
	str_set(&path, real);
	str_append_cstr(&path, "/main.cf");
	postdrop_check(path.data, config_dir);
	str_free(&path);
	return real;
}
