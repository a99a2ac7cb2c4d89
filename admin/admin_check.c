/*
 * admin_check: "pochta check", as postfix check: is this installation
 * fit to run? Silent when it is; otherwise one line per problem, "error:"
 * for what stops the mail system or weakens it, "warning:" for the rest,
 * and exit status 1 when there was an error.
 *
 *   main.cf parses (a bad value names file:line); names no program knows
 *     are warned about as the file is read (conf_load)
 *   master.cf parses, and each service's program is in daemon_directory
 *   mail_owner exists and is not root; setgid_group exists (when root;
 *     a warning: only a postdrop installed setgid needs it)
 *   main.cf and master.cf are not writable by group or others
 *   the queue: every directory master makes, with the owner and mode
 *     master gives it; missing ones are created (admin_check_queue.c)
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admin.h"
#include "admin_check.h"
#include "conf.h"

void admin_check_error(admin_check_t *chk, const char *fmt, ...)
{
	va_list ap;
	str_t text = STR_INIT;

	va_start(ap, fmt);
	str_vprintf(&text, fmt, ap);
	va_end(ap);
	admin_say("error: %s", str_cstr(&text));
	str_free(&text);
	chk->errors++;
}

static void admin_check_main_cf(admin_check_t *chk, const char *config_dir)
{
	str_t err = STR_INIT;

	if (conf_load(config_dir, &err) != 0)
		admin_check_error(chk, "%s", str_cstr(&err));
	str_free(&err);
	admin_conf_overrides();
}

static void admin_check_programs(admin_check_t *chk, const conf_service_t *services, size_t n)
{
	const char *dir = conf_str("daemon_directory");
	str_t path = STR_INIT;

	for (size_t i = 0; i < n; i++) {
		str_reset(&path);
		str_printf(&path, "%s/%s", dir, services[i].command);
		if (access(str_cstr(&path), X_OK) != 0)
			admin_check_error(chk, "master.cf, line %d: service %s: cannot execute %s: %s",
					  services[i].line, services[i].name, str_cstr(&path),
					  strerror(errno));
	}
	str_free(&path);
}

static void admin_check_master_cf(admin_check_t *chk, const char *config_dir)
{
	conf_service_t *services;
	size_t count;
	str_t path = STR_INIT, err = STR_INIT;

	str_printf(&path, "%s/master.cf", config_dir);
	if (conf_master_load(str_cstr(&path), &services, &count, &err) != 0) {
		admin_check_error(chk, "%s", str_cstr(&err));
	} else {
		admin_check_programs(chk, services, count);
		conf_master_free(services, count);
	}
	str_free(&path);
	str_free(&err);
}

/* 1 when the mail owner is usable, so that the queue can be checked. */
static int admin_check_users(admin_check_t *chk)
{
	const char *owner = conf_str("mail_owner");
	const char *group = conf_str("setgid_group");
	struct passwd *pw;

	if (geteuid() != 0)
		return 1;	/* the instance runs as its user */
	if ((pw = getpwnam(owner)) == NULL) {
		admin_check_error(chk, "mail_owner %s: no such user", owner);
		return 0;
	}
	if (pw->pw_uid == 0) {
		admin_check_error(chk, "mail_owner %s: has user ID 0 (must be unprivileged)", owner);
		return 0;
	}
	if (getgrnam(group) == NULL)	/* only an installed postdrop needs it */
		admin_say("warning: setgid_group %s: no such group", group);
	return 1;
}

static void admin_check_conf_file(const char *config_dir, const char *name)
{
	str_t path = STR_INIT;
	struct stat st;

	str_printf(&path, "%s/%s", config_dir, name);
	if (stat(str_cstr(&path), &st) == 0 && (st.st_mode & (S_IWGRP | S_IWOTH)))
		admin_say("warning: %s: writable by group or others", str_cstr(&path));
	str_free(&path);
}

int admin_check_cmd(int argc, char **argv, const char *config_dir)
{
	admin_check_t chk = { 0 };

	(void)argv;
	if (argc != 1)
		admin_usage("check");
	admin_check_main_cf(&chk, config_dir);
	admin_check_master_cf(&chk, config_dir);
	admin_check_conf_file(config_dir, "main.cf");
	admin_check_conf_file(config_dir, "master.cf");
	if (admin_check_users(&chk))
		admin_check_queue(&chk, conf_str("queue_directory"));
	return chk.errors ? 1 : 0;
}
