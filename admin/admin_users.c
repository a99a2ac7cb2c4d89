/*
 * admin_users: the system users a root-run Pochta needs.
 *
 * mail_owner ("pochta") runs the daemons that parse network input; a
 * separate user ("pochta-vmail") owns the virtual mailboxes, so that a
 * compromised smtpd cannot read stored mail. Both are created on demand
 * as system users without a home or a login shell, and so is the group
 * of the setgid drop helper ("pochta-drop", setgid_group), the only one
 * that may write into maildrop/. Commands run with an argument vector,
 * never through a shell.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "admin.h"
#include "mem.h"

#define ADMIN_USERADD "/usr/sbin/useradd"
#define ADMIN_GROUPADD "/usr/sbin/groupadd"

int admin_user_lookup(const char *name, admin_user_t *user)
{
	struct passwd *pw;

	errno = 0;
	pw = getpwnam(name);
	if (pw == NULL) {
		if (errno != 0)
			admin_fatal("look up user %s: %s", name, strerror(errno));
		return 0;
	}
	user->name = mem_strdup(pw->pw_name);
	user->uid = pw->pw_uid;
	user->gid = pw->pw_gid;
	return 1;
}

/* Run argv (a system tool) and insist that it succeeds. */
static void admin_run_tool(char *const argv[], const char *name)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		admin_fatal("fork: %s", strerror(errno));
	if (pid == 0) {
		execv(argv[0], argv);
		admin_say("execute %s: %s", argv[0], strerror(errno));
		_exit(1);	/* not exit(): the parent's stdio buffers are not ours */
	}
	if (waitpid(pid, &status, 0) < 0)
		admin_fatal("wait for %s: %s", argv[0], strerror(errno));
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		admin_fatal("%s %s failed", argv[0], name);
}

static void admin_useradd(const char *name)
{
	char *argv[] = { ADMIN_USERADD, "--system", "--no-create-home", "--home-dir",
			 "/nonexistent", "--shell", "/usr/sbin/nologin", "--user-group",
			 (char *)name, NULL };

	admin_run_tool(argv, name);
}

void admin_group_ensure(const char *name)
{
	char *argv[] = { ADMIN_GROUPADD, "--system", (char *)name, NULL };

	errno = 0;
	if (getgrnam(name) != NULL)
		return;
	if (errno != 0)
		admin_fatal("look up group %s: %s", name, strerror(errno));
	admin_run_tool(argv, name);
	if (getgrnam(name) == NULL)
		admin_fatal("group %s is still missing after %s", name, ADMIN_GROUPADD);
	admin_say("created system group %s", name);
}

void admin_user_ensure(const char *name, admin_user_t *user)
{
	if (admin_user_lookup(name, user))
		return;
	if (geteuid() != 0)
		admin_fatal("user %s does not exist, and only root can create it", name);
	admin_useradd(name);
	if (!admin_user_lookup(name, user))
		admin_fatal("user %s is still missing after %s", name, ADMIN_USERADD);
	admin_say("created system user %s (uid %ld)", name, (long)user->uid);
}

void admin_user_self(admin_user_t *user)
{
	struct passwd *pw = getpwuid(getuid());

	if (pw == NULL)
		admin_fatal("the current user (uid %ld) has no passwd entry", (long)getuid());
	user->name = mem_strdup(pw->pw_name);
	user->uid = pw->pw_uid;
	user->gid = pw->pw_gid;
}

void admin_user_free(admin_user_t *user)
{
	mem_free(user->name);
	user->name = NULL;
}
