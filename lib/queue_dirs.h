/*
 * queue_dirs: the queue directory tree, with its owners and modes.
 *
 * queue_directory holds incoming/ active/ deferred/ hold/ corrupt/ (queue
 * files, mail_owner only), recycle/ (finished queue files kept for reuse,
 * see queue.h), defer/ (why deferred recipients wait, see queue_reason.h;
 * mail_owner only), maildrop/ (sendmail's drop box: mode 1730, group
 * setgid_group, so the setgid drop helper may add files and nothing
 * more), private/ and public/ (service sockets; public/ is open to the
 * drop group), and pid/ (master's
 * pid file, root's). master creates what is missing at every start, and
 * "pochta init" at instance creation. When not run as root everything
 * belongs to the current user and nothing is chown'ed.
 */
#ifndef POCHTA_QUEUE_DIRS_H
#define POCHTA_QUEUE_DIRS_H

#include <sys/types.h>

#define QUEUE_DIRS_PRIVATE "private"	/* sockets of internal services */
#define QUEUE_DIRS_PUBLIC "public"	/* sockets local users may reach */
#define QUEUE_DIRS_PID "pid"
#define QUEUE_DIRS_MASTER_PID "pid/master.pid"	/* relative to queue_directory */

/*
 * The owner of the queue and of unprivileged daemons: mail_owner's uid and
 * gid when running as root (fatal when the user is missing or is root
 * itself), else the current user's.
 */
void queue_dirs_owner(uid_t *uid, gid_t *gid);

/* Create queue_directory (not its parents) and every missing
 * subdirectory with its owner and mode. Any failure is fatal (logged). */
void queue_dirs_ensure(const char *queue_directory);

#endif
