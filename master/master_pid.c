/*
 * master_pid: one master per instance. The pid file is write-locked
 * (fcntl) for master's whole life; "pochta stop" reads the pid from it.
 * The lock, not the file's existence, says whether master runs, so a pid
 * file left by a crash does not block a start.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "master.h"

#define MASTER_PID_MODE 0644

static int master_pid_open(const char *path)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, MASTER_PID_MODE);

	if (fd < 0)
		log_fatal("open pid file %s: %m", path);
	return fd;
}

static _Noreturn void master_pid_running(void)
{
	log_fatal("the %s mail system is already running", conf_str("mail_name"));
}

/* Before binding anything: is another master holding the lock? */
void master_pid_check(const char *path)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	int fd = master_pid_open(path);

	if (fcntl(fd, F_GETLK, &fl) != 0)
		log_fatal("lock pid file %s: %m", path);
	close(fd);
	if (fl.l_type != F_UNLCK)
		master_pid_running();
}

/* Lock and write our pid; the descriptor must stay open to keep the lock. */
int master_pid_acquire(const char *path)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	int fd = master_pid_open(path);

	if (fcntl(fd, F_SETLK, &fl) != 0) {
		if (errno == EAGAIN || errno == EACCES)
			master_pid_running();
		log_fatal("lock pid file %s: %m", path);
	}
	if (ftruncate(fd, 0) != 0 || dprintf(fd, "%ld\n", (long)getpid()) < 0)
		log_fatal("write pid file %s: %m", path);
	return fd;
}

void master_pid_remove(const char *path)
{
	if (unlink(path) != 0 && errno != ENOENT)
		log_warning("remove pid file %s: %m", path);
}
