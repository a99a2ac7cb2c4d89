/*
 * master_sig: master's signals, turned into events for the main loop. A
 * handler only writes the signal number into a self-pipe; the loop polls
 * the pipe's read end and acts outside signal context.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include "log.h"
#include "master.h"

static int master_sig_pipe[2] = { -1, -1 };

static const int master_sig_caught[] = { SIGCHLD, SIGHUP, SIGTERM, SIGINT };

static void master_sig_handler(int sig)
{
	int saved_errno = errno;
	unsigned char byte = (unsigned char)sig;

	if (write(master_sig_pipe[1], &byte, 1) < 0) {
		/* pipe full: enough events are already pending */
	}
	errno = saved_errno;
}

void master_sig_init(void)
{
	struct sigaction sa = { 0 };

	if (pipe2(master_sig_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
		log_fatal("pipe: %m");
	sa.sa_handler = master_sig_handler;
	sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(master_sig_caught) / sizeof(master_sig_caught[0]); i++)
		if (sigaction(master_sig_caught[i], &sa, NULL) != 0)
			log_fatal("sigaction %d: %m", master_sig_caught[i]);
	/* master writes wake-ups to sockets whose reader may be gone */
	signal(SIGPIPE, SIG_IGN);
}

int master_sig_fd(void)
{
	return master_sig_pipe[0];
}

/* Drain the pipe; returns MASTER_SIG_* flags and the stop signal's number. */
int master_sig_take(int *stop_signal)
{
	unsigned char buf[64];
	int flags = 0;
	ssize_t n;

	while ((n = read(master_sig_pipe[0], buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] == SIGCHLD) {
				flags |= MASTER_SIG_CHILD;
			} else if (buf[i] == SIGHUP) {
				flags |= MASTER_SIG_RELOAD;
			} else {
				flags |= MASTER_SIG_STOP;
				*stop_signal = buf[i];
			}
		}
	}
	return flags;
}

/* In a new child before exec: default dispositions, nothing blocked. */
void master_sig_child_reset(void)
{
	sigset_t hup_only;

	for (size_t i = 0; i < sizeof(master_sig_caught) / sizeof(master_sig_caught[0]); i++)
		signal(master_sig_caught[i], SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	/* A reload's SIGHUP waits (blocked across exec) until daemon_init
	 * has a handler for it, instead of killing a child still starting. */
	sigemptyset(&hup_only);
	sigaddset(&hup_only, SIGHUP);
	sigprocmask(SIG_SETMASK, &hup_only, NULL);
}
