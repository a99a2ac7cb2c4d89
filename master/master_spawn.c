/*
 * master_spawn: children. Starts a service program with its listener and
 * the status pipe on the descriptors lib/daemon.h promises, follows the
 * children's available/taken reports, and reaps them: an abnormal exit is
 * logged, and one before any status report means the program cannot start,
 * so its service is throttled for service_throttle_time. So does a fatal
 * error (non-zero exit, not a signal) before the first client, or for a
 * resident service soon after its start: otherwise one that dies in its
 * own set-up would be restarted in a tight loop. A child killed by a
 * signal once running is simply replaced, unless its service's children
 * die that way MASTER_CRASH_MAX times within MASTER_CRASH_WINDOW seconds:
 * one that crashes on every client, or right after reporting ready, is
 * throttled too rather than restarted in a loop that fills the log. The busy-answering child of a
 * service at its limit (master_spawn_stress) runs the service's argv with
 * "-o stress=yes"; its status reports never make it an available process.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "conf.h"
#include "daemon.h"
#include "log.h"
#include "master.h"
#include "mem.h"

#define MASTER_STATUS_BATCH 64		/* status records read at once */
#define MASTER_RESIDENT_STARTUP 10	/* seconds in which a resident service's exit is a failed start */
#define MASTER_CRASH_MAX 5		/* abnormal exits of one service that make a crash loop */
#define MASTER_CRASH_WINDOW 10		/* seconds in which they must happen */
#define MASTER_CHILD_FD_MIN (DAEMON_LISTEN_FD + 1)	/* above what a child keeps */

/* In the new child: never returns. */
static _Noreturn void master_child_exec(const master_t *m, const master_service_t *s, char **argv,
					pid_t master)
{
	int status_fd, listen_fd;

	master_sig_child_reset();
	/* Ctrl-C in the terminal of "start -f" is for master, which stops its
	 * children in order; they must not die of it on their own */
	(void)setpgid(0, 0);
	/* a safety net: a child must not outlive master */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != master)
		_exit(1);
	/* move both out of the way first: either may sit on fd 3 or 4 */
	status_fd = fcntl(m->status_fd[1], F_DUPFD, MASTER_CHILD_FD_MIN);
	listen_fd = fcntl(s->listen_fd, F_DUPFD, MASTER_CHILD_FD_MIN);
	if (status_fd < 0 || listen_fd < 0
	    || dup2(status_fd, DAEMON_STATUS_FD) < 0 || dup2(listen_fd, DAEMON_LISTEN_FD) < 0)
		log_fatal("%s: set up descriptors: %m", s->program);
	/* close-on-exec rather than close, so a failed exec can still log */
	if (close_range(MASTER_CHILD_FD_MIN, ~0U, CLOSE_RANGE_CLOEXEC) != 0)
		log_fatal("close_range: %m");
	execv(s->program, argv);
	log_fatal("execute %s: %m", s->program);
}

static void master_throttle(master_service_t *s)
{
	log_warning("%s: bad command startup -- throttling", s->program);
	s->throttle_until = master_now() + conf_time("service_throttle_time");
}

/* A new child running argv; NULL when fork failed (the service is throttled). */
static master_child_t *master_fork(master_t *m, master_service_t *s, char **argv)
{
	master_child_t *c;
	sigset_t all, old;
	pid_t master = getpid();
	pid_t pid;

	/* no handler may run in the child before it resets them */
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	pid = fork();
	if (pid == 0)
		master_child_exec(m, s, argv, master);
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (pid < 0) {
		log_warning("fork: %m");
		master_throttle(s);
		return NULL;
	}
	c = mem_calloc(1, sizeof(*c));
	c->pid = pid;
	c->serv = s;
	c->started = master_now();
	c->next = m->children;
	m->children = c;
	return c;
}

void master_spawn(master_t *m, master_service_t *s)
{
	master_child_t *c = master_fork(m, s, s->argv);

	if (c == NULL)
		return;
	c->avail = 1;		/* until it reports otherwise */
	s->children++;
	s->avail++;
}

/* Outside the service's counts: it never takes a process slot. */
void master_spawn_stress(master_t *m, master_service_t *s)
{
	master_child_t *c = master_fork(m, s, s->stress_argv);

	if (c == NULL)
		return;
	c->stress = 1;
	s->stress = 1;
}

static master_child_t *master_child_find(master_t *m, pid_t pid)
{
	for (master_child_t *c = m->children; c; c = c->next)
		if (c->pid == pid)
			return c;
	return NULL;
}

static void master_status_apply(master_t *m, const daemon_status_t *st)
{
	master_child_t *c = master_child_find(m, st->pid);
	int avail = st->avail != 0;

	if (c == NULL)
		return;		/* reaped already, or not ours */
	c->reported = 1;
	if (!avail)
		c->taken = 1;
	if (c->stress)
		return;		/* never one of the service's available processes */
	if (c->avail != avail) {
		c->avail = avail;
		c->serv->avail += avail ? 1 : -1;
	}
}

void master_status_read(master_t *m)
{
	daemon_status_t batch[MASTER_STATUS_BATCH];
	ssize_t n;

	while ((n = read(m->status_fd[0], batch, sizeof(batch))) > 0) {
		for (size_t i = 0; i < (size_t)n / sizeof(batch[0]); i++)
			master_status_apply(m, &batch[i]);
		if ((size_t)n % sizeof(batch[0]))
			log_warning("short status message on the status pipe");
	}
}

/*
 * Did the child fail to start? It never reported, or it exited non-zero
 * before taking a client. A resident service (qmgr) takes no clients in
 * that sense, so for it only an exit within MASTER_RESIDENT_STARTUP counts:
 * a qmgr that ran for days and then failed is restarted at once. A child
 * that master itself signalled has not failed.
 */
static int master_child_failed_startup(const master_child_t *c, int status)
{
	if (c->signalled)
		return 0;
	if (!c->reported)
		return 1;
	if (!WIFEXITED(status) || c->taken)
		return 0;
	return c->serv->wakeup == 0 || master_now() - c->started < MASTER_RESIDENT_STARTUP;
}

/* One more abnormal exit of the service: 1 when they make a crash loop. */
static int master_crash_loop(master_service_t *s)
{
	time_t now = master_now();

	if (now - s->crash_since >= MASTER_CRASH_WINDOW) {
		s->crash_since = now;
		s->crashes = 0;
	}
	return ++s->crashes >= MASTER_CRASH_MAX;
}

static void master_report_exit(master_child_t *c, int status)
{
	if (WIFEXITED(status))
		log_warning("process %s pid %ld exit status %d",
			    c->serv->program, (long)c->pid, WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		log_warning("process %s pid %ld killed by signal %d",
			    c->serv->program, (long)c->pid, WTERMSIG(status));
	if (c->serv->throttle_until > master_now())
		return;
	if (master_child_failed_startup(c, status)) {
		master_throttle(c->serv);
	} else if (!c->signalled && master_crash_loop(c->serv)) {
		log_warning("service %s: %d abnormal exits within %d seconds: not restarted for %lds",
			    c->serv->name, c->serv->crashes, MASTER_CRASH_WINDOW,
			    conf_time("service_throttle_time"));
		master_throttle(c->serv);
	}
}

static void master_forget_retired(master_t *m, master_service_t *s)
{
	for (master_service_t **pp = &m->retired; *pp; pp = &(*pp)->next) {
		if (*pp == s) {
			*pp = s->next;
			master_service_free(s);
			return;
		}
	}
}

static void master_child_gone(master_t *m, master_child_t *c, int status, int logging)
{
	master_service_t *s = c->serv;

	for (master_child_t **pp = &m->children; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	if (c->stress) {
		s->stress = 0;
	} else {
		s->children--;
		if (c->avail)
			s->avail--;
	}
	if (logging && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
		master_report_exit(c, status);
	mem_free(c);
	if (s->retired && master_service_idle(s))
		master_forget_retired(m, s);
}

void master_reap(master_t *m, int logging)
{
	master_child_t *c;
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		if ((c = master_child_find(m, pid)) != NULL)
			master_child_gone(m, c, status, logging);
	if (pid < 0 && errno != ECHILD)
		log_warning("waitpid: %m");
}

void master_signal_children(master_t *m, int sig)
{
	for (master_child_t *c = m->children; c; c = c->next) {
		c->signalled = 1;
		if (kill(c->pid, sig) != 0 && errno != ESRCH)
			log_warning("kill %ld: %m", (long)c->pid);
	}
}
