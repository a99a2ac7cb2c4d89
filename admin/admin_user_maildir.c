/*
 * admin_user_maildir: the Maildirs of virtual users, under
 * virtual_mailbox_base. "pochta user add" makes one (so that POP3 and
 * IMAP find it before the first message arrives); "del --remove-mail"
 * counts and removes one.
 *
 * As root, every directory made belongs to the mailbox owner, found the
 * way local finds it: virtual_uid_maps and virtual_gid_maps looked up with
 * the full address, then with "@domain", a uid below virtual_minimum_uid
 * refused. Otherwise everything belongs to the user running the command.
 * A mailbox path from the table must stay below the base: no absolute
 * path and no ".." component.
 */
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admin_user.h"
#include "conf.h"
#include "dict.h"

#define ADMIN_VUSER_MAILDIR_MODE 0700
#define ADMIN_VUSER_PARENT_MODE 0711	/* a domain directory: others pass through, not list */
#define ADMIN_VUSER_NFTW_FDS 16		/* directory descriptors nftw may hold open */

static const char *const admin_vuser_subdirs[] = { "cur", "new", "tmp", NULL };

static int admin_vuser_path_safe(const char *mailbox)
{
	const char *p = mailbox;

	if (*p == 0 || *p == '/')
		return 0;
	while (*p) {
		size_t len = strcspn(p, "/");

		if (len == 2 && p[0] == '.' && p[1] == '.')
			return 0;
		p += len + (p[len] == '/');
	}
	return 1;
}

/* virtual_mailbox_base/mailbox without a trailing "/"; fatal when it could leave the base. */
static void admin_vuser_maildir_path(const char *mailbox, str_t *path)
{
	const char *base = conf_str("virtual_mailbox_base");

	if (*base == 0)
		admin_fatal("virtual_mailbox_base is not set: there is no place for Maildirs");
	if (!admin_vuser_path_safe(mailbox))
		admin_fatal("mailbox \"%s\" is not a path below virtual_mailbox_base", mailbox);
	str_reset(path);
	str_printf(path, "%s/%s", base, mailbox);
	while (path->len > 1 && path->data[path->len - 1] == '/')
		str_truncate(path, path->len - 1);
}

/* A numeric id from param for address (then "@domain"); fatal when missing or bad. */
static long admin_vuser_id(const char *param, admin_vuser_t *user)
{
	str_t err = STR_INIT;
	str_t value = STR_INIT;
	str_t domain_key = STR_INIT;
	dict_t *dict;
	char *end;
	long id;
	int found;

	if (*conf_str(param) == 0)
		admin_fatal("%s is not set: cannot tell who owns %s's Maildir", param,
			    str_cstr(&user->address));
	if ((dict = dict_open(conf_str(param), &err)) == NULL)
		admin_fatal("%s: %s", param, str_cstr(&err));
	str_printf(&domain_key, "@%s", str_cstr(&user->domain));
	found = dict_lookup(dict, str_cstr(&user->address), &value);
	if (found == 0)
		found = dict_lookup(dict, str_cstr(&domain_key), &value);
	id = found > 0 ? strtol(str_cstr(&value), &end, 10) : -1;
	if (found <= 0 || value.len == 0 || *end != 0 || id < 0)
		admin_fatal("%s has no usable id for %s", param, str_cstr(&user->address));
	dict_close(dict);
	str_free(&err);
	str_free(&value);
	str_free(&domain_key);
	return id;
}

static void admin_vuser_owner(admin_vuser_t *user, uid_t *uid, gid_t *gid)
{
	long u, minimum = conf_int("virtual_minimum_uid");

	*uid = ADMIN_NO_OWNER;
	*gid = 0;
	if (geteuid() != 0)
		return;
	u = admin_vuser_id("virtual_uid_maps", user);
	if (u < minimum)
		admin_fatal("virtual_uid_maps gives %s uid %ld, below virtual_minimum_uid %ld",
			    str_cstr(&user->address), u, minimum);
	*uid = (uid_t)u;
	*gid = (gid_t)admin_vuser_id("virtual_gid_maps", user);
}

void admin_vuser_maildir_create(admin_vuser_t *user)
{
	str_t path = STR_INIT;
	str_t sub = STR_INIT;
	size_t base_len = strlen(conf_str("virtual_mailbox_base"));
	struct stat base;
	uid_t uid;
	gid_t gid;

	admin_vuser_owner(user, &uid, &gid);
	if (stat(conf_str("virtual_mailbox_base"), &base) != 0)
		admin_fatal("virtual_mailbox_base %s: %s", conf_str("virtual_mailbox_base"),
			    strerror(errno));
	admin_vuser_maildir_path(str_cstr(&user->mailbox), &path);
	/* Each directory below the base: those above the Maildir (a domain,
	 * shared with other users) only when missing and owned like the base,
	 * so no user's add takes one over; the Maildir, then its own three. */
	for (size_t i = base_len + 1; i <= path.len; i++) {
		if (i < path.len && path.data[i] != '/')
			continue;
		str_set(&sub, path.data);
		str_truncate(&sub, i);
		if (i < path.len)
			admin_mkdir_missing(str_cstr(&sub), ADMIN_VUSER_PARENT_MODE,
					    base.st_uid, base.st_gid);
		else
			admin_mkdir(str_cstr(&sub), ADMIN_VUSER_MAILDIR_MODE, uid, gid);
	}
	for (const char *const *d = admin_vuser_subdirs; *d; d++) {
		str_reset(&sub);
		str_printf(&sub, "%s/%s", str_cstr(&path), *d);
		admin_mkdir(str_cstr(&sub), ADMIN_VUSER_MAILDIR_MODE, uid, gid);
	}
	str_free(&path);
	str_free(&sub);
}

static long admin_vuser_count_dir(const char *path)
{
	DIR *dir = opendir(path);
	struct dirent *d;
	long count = 0;

	if (dir == NULL) {
		if (errno != ENOENT)
			admin_fatal("open directory %s: %s", path, strerror(errno));
		return 0;
	}
	while ((d = readdir(dir)) != NULL)
		count += d->d_name[0] != '.';
	closedir(dir);
	return count;
}

long admin_vuser_maildir_count(const char *mailbox)
{
	str_t path = STR_INIT;
	str_t sub = STR_INIT;
	long count = 0;

	admin_vuser_maildir_path(mailbox, &path);
	for (const char *const *d = admin_vuser_subdirs; *d; d++) {
		if (strcmp(*d, "tmp") == 0)
			continue;	/* deliveries in progress, not messages */
		str_reset(&sub);
		str_printf(&sub, "%s/%s", str_cstr(&path), *d);
		count += admin_vuser_count_dir(str_cstr(&sub));
	}
	str_free(&path);
	str_free(&sub);
	return count;
}

static int admin_vuser_unlink(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if ((type == FTW_DP ? rmdir(path) : unlink(path)) != 0 && errno != ENOENT)
		admin_fatal("remove %s: %s", path, strerror(errno));
	return 0;
}

void admin_vuser_maildir_remove(const char *mailbox)
{
	str_t path = STR_INIT;

	admin_vuser_maildir_path(mailbox, &path);
	if (nftw(str_cstr(&path), admin_vuser_unlink, ADMIN_VUSER_NFTW_FDS,
		 FTW_DEPTH | FTW_PHYS) != 0 && errno != ENOENT)
		admin_fatal("remove %s: %s", str_cstr(&path), strerror(errno));
	str_free(&path);
}
