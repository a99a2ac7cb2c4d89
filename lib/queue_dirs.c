/*
 * queue_dirs: create the queue directory tree with the owners and modes
 * the privilege separation relies on (see queue_dirs.h). Directories that
 * exist are left as the administrator made them.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stddef.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "queue.h"
#include "queue_dirs.h"
#include "queue_reason.h"
#include "str.h"

#define QUEUE_DIRS_TOP_MODE 0755

/* mail_owner's (user and group), root's, or mail_owner's with the drop
 * helper's group (setgid_group) */
enum queue_dirs_owner { QUEUE_DIRS_MAIL_OWNER, QUEUE_DIRS_ROOT, QUEUE_DIRS_DROP };

static const struct queue_dirs_entry {
	const char *name;
	mode_t mode;
	enum queue_dirs_owner owner;
} queue_dirs_table[] = {
	{ QUEUE_INCOMING, 0700, QUEUE_DIRS_MAIL_OWNER },
	{ QUEUE_ACTIVE, 0700, QUEUE_DIRS_MAIL_OWNER },
	{ QUEUE_DEFERRED, 0700, QUEUE_DIRS_MAIL_OWNER },
	{ QUEUE_HOLD, 0700, QUEUE_DIRS_MAIL_OWNER },
	{ QUEUE_CORRUPT, 0700, QUEUE_DIRS_MAIL_OWNER },
	{ QUEUE_RECYCLE, 0700, QUEUE_DIRS_MAIL_OWNER },
	{ QUEUE_REASON_DIR, 0700, QUEUE_DIRS_MAIL_OWNER },
	{ QUEUE_DIRS_PRIVATE, 0700, QUEUE_DIRS_MAIL_OWNER },
	/* the drop helper wakes pickup through a socket here */
	{ QUEUE_DIRS_PUBLIC, 0710, QUEUE_DIRS_DROP },
	/* the drop group may add files, not list or read them; sticky: nor
	 * remove another's */
	{ QUEUE_MAILDROP, 01730, QUEUE_DIRS_DROP },
	{ QUEUE_DIRS_PID, 0755, QUEUE_DIRS_ROOT },
};

void queue_dirs_owner(uid_t *uid, gid_t *gid)
{
	const char *name;
	struct passwd *pw;

	if (geteuid() != 0) {
		*uid = getuid();
		*gid = getgid();
		return;
	}
	name = conf_str("mail_owner");
	errno = 0;
	pw = getpwnam(name);
	if (pw == NULL)
		log_fatal("parameter mail_owner: unknown user name value: %s%s",
			  name, errno ? " (user database error)" : "");
	if (pw->pw_uid == 0)
		log_fatal("parameter mail_owner: user %s has privileged user ID 0", name);
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
}

/* mkdir with an exact mode (no umask) and owner; an existing directory is kept. */
static void queue_dirs_make(const char *path, mode_t mode, uid_t uid, gid_t gid)
{
	struct stat st;

	if (mkdir(path, mode) != 0) {
		if (errno != EEXIST)
			log_fatal("create directory %s: %m", path);
		if (stat(path, &st) != 0)
			log_fatal("stat %s: %m", path);
		if (!S_ISDIR(st.st_mode))
			log_fatal("%s exists and is not a directory", path);
		return;
	}
	if (geteuid() == 0 && chown(path, uid, gid) != 0)
		log_fatal("chown %s: %m", path);
	if (chmod(path, mode) != 0)
		log_fatal("chmod %s: %m", path);
}

/* setgid_group's ID; as root only. A missing group leaves the drop
 * directories to mail_owner's group: mail flows, but only root can submit
 * through sendmail until the group exists (pochta init and make install
 * create it). */
static gid_t queue_dirs_drop_group(gid_t fallback)
{
	const char *name = conf_str("setgid_group");
	struct group *gr;

	errno = 0;
	if ((gr = getgrnam(name)) != NULL)
		return gr->gr_gid;
	log_warning("parameter setgid_group: unknown group name: %s%s", name,
		    errno ? " (group database error)" : "");
	return fallback;
}

void queue_dirs_ensure(const char *queue_directory)
{
	str_t path = STR_INIT;
	uid_t uid;
	gid_t gid, drop_gid;

	queue_dirs_owner(&uid, &gid);
	drop_gid = geteuid() == 0 ? queue_dirs_drop_group(gid) : gid;
	queue_dirs_make(queue_directory, QUEUE_DIRS_TOP_MODE, 0, 0);
	for (size_t i = 0; i < sizeof(queue_dirs_table) / sizeof(queue_dirs_table[0]); i++) {
		const struct queue_dirs_entry *e = &queue_dirs_table[i];
		int root = e->owner == QUEUE_DIRS_ROOT;

		str_set(&path, queue_directory);
		str_printf(&path, "/%s", e->name);
		queue_dirs_make(str_cstr(&path), e->mode, root ? 0 : uid,
				root ? 0 : e->owner == QUEUE_DIRS_DROP ? drop_gid : gid);
	}
	str_free(&path);
}
