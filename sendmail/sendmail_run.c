/*
 * sendmail_run: the programs sendmail runs. postdrop is installed beside
 * it (in daemon_directory), found through /proc/self/exe, which names the
 * real file even when sendmail was started through a link such as
 * /usr/sbin/sendmail or mailq. The pochta command is beside it in a build
 * tree, else in command_directory. mailq, newaliases and -q are the
 * pochta command's queue listing, alias rebuild and flush for the same
 * instance.
 */
#include <limits.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "conf.h"
#include "sendmail.h"
#include "usermsg.h"

#define SENDMAIL_SELF_EXE "/proc/self/exe"
#define SENDMAIL_ARGS_MAX 8		/* of a pochta command line */

void sendmail_self_dir(str_t *dir)
{
	char exe[PATH_MAX];
	ssize_t n = readlink(SENDMAIL_SELF_EXE, exe, sizeof(exe) - 1);
	char *slash;

	if (n <= 0)
		usermsg_fatal(EX_OSERR, "cannot find this program's directory: %m");
	exe[n] = 0;
	slash = strrchr(exe, '/');
	str_reset(dir);
	str_append(dir, exe, slash ? (size_t)(slash - exe) : 0);
}

_Noreturn void sendmail_run_pochta(const char *config_dir, const char *const *args)
{
	const char *argv[SENDMAIL_ARGS_MAX] = { SENDMAIL_POCHTA, "-c", config_dir };
	str_t path = STR_INIT;
	size_t n = 3;

	for (; *args && n < SENDMAIL_ARGS_MAX - 1; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	sendmail_self_dir(&path);
	str_printf(&path, "/%s", SENDMAIL_POCHTA);
	if (access(path.data, X_OK) != 0) {
		str_set(&path, conf_str("command_directory"));
		str_printf(&path, "/%s", SENDMAIL_POCHTA);
	}
	execv(path.data, (char *const *)argv);
	usermsg_fatal(EX_UNAVAILABLE, "cannot run %s: %m", path.data);
}
