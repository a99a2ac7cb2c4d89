/*
 * sendmail_drop: postdrop as a child with a pipe on its stdin. sendmail
 * writes the maildrop file into the pipe as it reads the message; only
 * the end record makes postdrop keep it, so a submission that goes wrong
 * midway is stopped (sendmail_drop_abort) and leaves nothing behind.
 * postdrop's own messages reach the user on the shared stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#include "fdio.h"
#include "sendmail.h"
#include "usermsg.h"

#define SENDMAIL_DROP_BATCH 65536	/* bytes gathered before a write */

void sendmail_drop_open(sendmail_drop_t *drop, const char *config_dir)
{
	str_t path = STR_INIT;
	int pipefd[2];

	sendmail_self_dir(&path);
	str_printf(&path, "/%s", SENDMAIL_POSTDROP);
	fflush(NULL);		/* nothing buffered is written twice by a child that fails */
	if (pipe2(pipefd, O_CLOEXEC) != 0 || (drop->pid = fork()) < 0)
		usermsg_fatal(EX_OSERR, "cannot run %s: %m", path.data);
	if (drop->pid == 0) {
		char *const argv[] = { SENDMAIL_POSTDROP, "-c", (char *)config_dir, NULL };

		if (dup2(pipefd[0], STDIN_FILENO) < 0)
			_exit(EX_OSERR);
		execv(path.data, argv);
		usermsg_fatal(EX_UNAVAILABLE, "cannot run %s: %m", path.data);
	}
	close(pipefd[0]);
	drop->fd = pipefd[1];
	str_init(&drop->buf);
	str_free(&path);
}

void sendmail_drop_write(sendmail_drop_t *drop, const str_t *data, int flush)
{
	str_append(&drop->buf, data->data, data->len);
	if (!flush && drop->buf.len < SENDMAIL_DROP_BATCH)
		return;
	/* postdrop gone (EPIPE): its exit status will say why */
	if (drop->fd >= 0 && fdio_write_all(drop->fd, drop->buf.data, drop->buf.len) < 0) {
		close(drop->fd);
		drop->fd = -1;
	}
	str_reset(&drop->buf);
}

static int sendmail_drop_wait(sendmail_drop_t *drop)
{
	int status;

	while (waitpid(drop->pid, &status, 0) < 0)
		if (errno != EINTR)
			return EX_OSERR;
	str_free(&drop->buf);
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return EX_TEMPFAIL;	/* killed: nothing was queued */
}

int sendmail_drop_close(sendmail_drop_t *drop)
{
	str_t none = STR_INIT;

	sendmail_drop_write(drop, &none, 1);
	if (drop->fd >= 0)
		close(drop->fd);
	return sendmail_drop_wait(drop);
}

void sendmail_drop_abort(sendmail_drop_t *drop)
{
	kill(drop->pid, SIGKILL);
	if (drop->fd >= 0)
		close(drop->fd);
	sendmail_drop_wait(drop);
}
