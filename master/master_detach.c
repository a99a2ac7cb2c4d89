/*
 * master_detach: run master in the background. The original process waits
 * on a pipe and exits 0 only when the daemon says it is fully running
 * (listeners bound, pid file locked), else 1; the daemon's start-up errors
 * still reach the caller's stderr because it keeps stderr until ready.
 * After that, stderr is the mail log (when maillog_file is set), so that a
 * child that fails before it has read main.cf still leaves a line there.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"

#include "log.h"
#include "master.h"

#define MASTER_READY 'R'
#define MASTER_LOG_MODE 0644

static _Noreturn void master_detach_wait(int ready_fd)
{
	char byte;
	ssize_t n;

	while ((n = read(ready_fd, &byte, 1)) < 0 && errno == EINTR)
		continue;
	_exit(n == 1 && byte == MASTER_READY ? 0 : 1);
}

/* Returns, in the daemon, the descriptor for master_detach_done. */
int master_detach(void)
{
	int ready[2];
	pid_t pid;

	if (pipe2(ready, O_CLOEXEC) != 0)
		log_fatal("pipe: %m");
	if ((pid = fork()) < 0)
		log_fatal("fork: %m");
	if (pid > 0) {
		close(ready[1]);
		master_detach_wait(ready[0]);
	}
	close(ready[0]);
	if (setsid() < 0)
		log_fatal("setsid: %m");
	return ready[1];
}

/* What stderr becomes: the mail log file, else /dev/null. */
static int master_detach_stderr(int null)
{
	const char *file = conf_str("maillog_file");
	int fd = -1;

	if (*file && strcmp(file, "/dev/stderr") != 0)
		fd = open(file, O_WRONLY | O_APPEND | O_CREAT, MASTER_LOG_MODE);
	return fd >= 0 ? fd : null;
}

/* Let go of the terminal and release the waiting parent. */
void master_detach_done(int ready_fd)
{
	char byte = MASTER_READY;
	int null = open("/dev/null", O_RDWR);
	int err;

	if (null < 0)
		log_fatal("open /dev/null: %m");
	err = master_detach_stderr(null);
	if (dup2(null, STDIN_FILENO) < 0 || dup2(null, STDOUT_FILENO) < 0
	    || dup2(err, STDERR_FILENO) < 0)
		log_fatal("dup2: %m");
	if (err > STDERR_FILENO && err != null)
		close(err);
	if (null > STDERR_FILENO)
		close(null);
	if (write(ready_fd, &byte, 1) != 1)
		log_fatal("report readiness: %m");
	close(ready_fd);
}
