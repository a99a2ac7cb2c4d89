/*
 * admin_pid: is the Pochta mail system running? master write-locks its
 * pid file (QUEUE_DIRS_MASTER_PID under queue_directory) for its whole
 * life, so the answer is the lock, not the file: a pid file left behind
 * by a crash or kill -9 is stale and means "not running", and a recycled
 * pid cannot be mistaken for master.
 */
#include <fcntl.h>
#include <unistd.h>

#include "admin.h"
#include "queue_dirs.h"

static pid_t admin_pid_locker(int fd)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };

	if (fcntl(fd, F_GETLK, &fl) != 0 || fl.l_type == F_UNLCK)
		return 0;
	return fl.l_pid;
}

pid_t admin_master_pid(const char *queue_directory)
{
	str_t path = STR_INIT;
	pid_t pid = 0;
	int fd;

	str_printf(&path, "%s/%s", queue_directory, QUEUE_DIRS_MASTER_PID);
	fd = open(str_cstr(&path), O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		pid = admin_pid_locker(fd);
		close(fd);
	}
	str_free(&path);
	return pid;
}
