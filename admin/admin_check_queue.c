/*
 * admin_check_queue: does the queue tree have every directory, with the
 * owner and mode the privilege separation relies on?
 *
 * What is right is what master makes at start: queue_dirs_ensure, from
 * the one table of directories, owners and modes in lib/queue_dirs.c.
 * check lets it build a reference tree in a private temporary directory
 * and compares the real queue_directory with it entry by entry, so the
 * two can never disagree. Other entries (the TLS key directory master
 * adds, files) are not the table's and are left alone.
 *
 * As postfix check does, missing directories are then created the way
 * master would create them (queue_directory itself too, not its
 * parents), and each is reported; "make install" lays out the queue so.
 * A directory with the wrong owner or mode is an error, left as it is.
 */
#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admin.h"
#include "admin_check.h"
#include "queue_dirs.h"

#define ADMIN_CHECK_REF_TEMPLATE "/tmp/pochta-check-XXXXXX"
#define ADMIN_CHECK_REF_QUEUE "queue"
#define ADMIN_CHECK_NAME_MAX 64		/* a user or group name as shown */

static void admin_check_user_name(uid_t uid, char *out)
{
	struct passwd *pw = getpwuid(uid);

	if (pw)
		snprintf(out, ADMIN_CHECK_NAME_MAX, "%s", pw->pw_name);
	else
		snprintf(out, ADMIN_CHECK_NAME_MAX, "#%ld", (long)uid);
}

static void admin_check_group_name(gid_t gid, char *out)
{
	struct group *gr = getgrgid(gid);

	if (gr)
		snprintf(out, ADMIN_CHECK_NAME_MAX, "%s", gr->gr_name);
	else
		snprintf(out, ADMIN_CHECK_NAME_MAX, "#%ld", (long)gid);
}

/* Compare one entry of the real tree with the reference's; 1 when it is
 * missing. */
static int admin_check_entry(admin_check_t *chk, const char *path, const struct stat *want)
{
	char have_user[ADMIN_CHECK_NAME_MAX], have_group[ADMIN_CHECK_NAME_MAX];
	char want_user[ADMIN_CHECK_NAME_MAX], want_group[ADMIN_CHECK_NAME_MAX];
	struct stat st;

	if (lstat(path, &st) != 0) {
		if (errno != ENOENT)
			admin_check_error(chk, "%s: %s", path, strerror(errno));
		else
			admin_say("warning: %s: missing: creating it", path);
		return errno == ENOENT;
	}
	if (!S_ISDIR(st.st_mode)) {
		admin_check_error(chk, "%s: not a directory", path);
		return 0;
	}
	if (st.st_uid != want->st_uid || st.st_gid != want->st_gid) {
		admin_check_user_name(st.st_uid, have_user);
		admin_check_group_name(st.st_gid, have_group);
		admin_check_user_name(want->st_uid, want_user);
		admin_check_group_name(want->st_gid, want_group);
		admin_check_error(chk, "%s: owner %s:%s, should be %s:%s", path, have_user,
				  have_group, want_user, want_group);
	}
	if ((st.st_mode & 07777) != (want->st_mode & 07777))
		admin_check_error(chk, "%s: mode %04o, should be %04o", path,
				  (unsigned)(st.st_mode & 07777), (unsigned)(want->st_mode & 07777));
	return 0;
}

/* Walk the reference queue: compare each directory, then remove it.
 * Returns how many are missing in the real one. */
static int admin_check_against(admin_check_t *chk, const char *ref, const char *real)
{
	str_t ref_path = STR_INIT, real_path = STR_INIT;
	struct dirent *de;
	struct stat want, st;
	DIR *dp = opendir(ref);
	int missing, fresh = lstat(real, &st) != 0 && errno == ENOENT;

	if (dp == NULL || stat(ref, &want) != 0)
		admin_fatal("reference queue %s: %s", ref, strerror(errno));
	if (fresh)
		admin_say("warning: %s: missing: creating it and its directories", real);
	missing = fresh || admin_check_entry(chk, real, &want);
	while ((de = readdir(dp)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		str_reset(&ref_path);
		str_reset(&real_path);
		str_printf(&ref_path, "%s/%s", ref, de->d_name);
		str_printf(&real_path, "%s/%s", real, de->d_name);
		if (!fresh && stat(str_cstr(&ref_path), &want) == 0)
			missing += admin_check_entry(chk, str_cstr(&real_path), &want);
		if (rmdir(str_cstr(&ref_path)) != 0)
			admin_say("warning: remove %s: %s", str_cstr(&ref_path), strerror(errno));
	}
	closedir(dp);
	str_free(&ref_path);
	str_free(&real_path);
	return missing;
}

void admin_check_queue(admin_check_t *chk, const char *queue_directory)
{
	char top[] = ADMIN_CHECK_REF_TEMPLATE;
	str_t ref = STR_INIT;
	int missing;

	if (mkdtemp(top) == NULL)
		admin_fatal("create %s: %s", top, strerror(errno));
	str_printf(&ref, "%s/%s", top, ADMIN_CHECK_REF_QUEUE);
	queue_dirs_ensure(str_cstr(&ref));
	missing = admin_check_against(chk, str_cstr(&ref), queue_directory);
	if (rmdir(str_cstr(&ref)) != 0 || rmdir(top) != 0)
		admin_say("warning: remove %s: %s", top, strerror(errno));
	str_free(&ref);
	if (missing)
		queue_dirs_ensure(queue_directory);	/* fatal (logged) when it cannot */
}
