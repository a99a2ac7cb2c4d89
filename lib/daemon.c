/*
 * daemon: the child side of master's contract (see daemon.h). Parses the
 * arguments master passes, loads the configuration, drops privileges,
 * reports availability on the status pipe, and runs the accept loop of a
 * one-client-at-a-time service, which exits when a lookup table it reads
 * was rebuilt, before taking a client and after serving one.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conf.h"
#include "daemon.h"
#include "dict.h"
#include "log.h"
#include "mem.h"
#include "queue_dirs.h"
#include "str.h"

#define DAEMON_OPTIONS "+c:n:t:uo:"	/* "+": stop at the first non-option */
#define DAEMON_POLL_MAX_MS (INT_MAX / 2)	/* poll's timeout is an int */

static const char *daemon_service_name;
static int daemon_nextra;
static char **daemon_extra;
static volatile sig_atomic_t daemon_reload;
static pid_t daemon_master_pid;
static int daemon_wake_pipe[2] = { -1, -1 };	/* SIGHUP wakes the accept poll */

static void daemon_on_hup(int sig)
{
	int saved_errno = errno;

	(void)sig;
	daemon_reload = 1;
	if (write(daemon_wake_pipe[1], "H", 1) < 0) {
		/* the pipe is full: a wake-up is already pending */
	}
	errno = saved_errno;
}

static void daemon_signals(void)
{
	struct sigaction sa = { 0 };
	sigset_t hup;

	if (pipe2(daemon_wake_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
		log_fatal("pipe: %m");
	sa.sa_handler = daemon_on_hup;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGHUP, &sa, NULL) != 0)
		log_fatal("sigaction SIGHUP: %m");
	/* master starts children with SIGHUP blocked: take any pending one now */
	sigemptyset(&hup);
	sigaddset(&hup, SIGHUP);
	sigprocmask(SIG_UNBLOCK, &hup, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* main.cf first, then the -o overrides in the order given. */
static void daemon_load_conf(const char *config_dir, char **overrides, size_t count)
{
	str_t err = STR_INIT;

	if (config_dir == NULL)
		log_fatal("usage: -c config_directory is required");
	if (conf_load(config_dir, &err) != 0)
		log_fatal("%s", str_cstr(&err));
	str_free(&err);
	for (size_t i = 0; i < count; i++)
		if (conf_set_pair(overrides[i]) != 0)
			log_fatal("bad -o argument: %s", overrides[i]);
}

static int daemon_parse_args(int argc, char **argv)
{
	/* static: a fatal error while applying them exits with it still reachable */
	static char **overrides;
	const char *config_dir = NULL;
	size_t count = 0;
	int unpriv = 0;
	int c;

	overrides = mem_calloc((size_t)argc, sizeof(*overrides));
	optind = 1;
	while ((c = getopt(argc, argv, DAEMON_OPTIONS)) != -1) {
		switch (c) {
		case 'c':
			config_dir = optarg;
			break;
		case 'n':
			daemon_service_name = optarg;
			break;
		case 't':
			break;	/* the socket type is implied by the listener */
		case 'u':
			unpriv = 1;
			break;
		case 'o':
			overrides[count++] = optarg;
			break;
		default:
			log_fatal("usage: %s -c config_dir -n service -t type [-u] [-o name=value]... [args]",
				  argv[0]);
		}
	}
	daemon_load_conf(config_dir, overrides, count);
	mem_free(overrides);
	overrides = NULL;
	daemon_nextra = argc - optind;
	daemon_extra = argv + optind;
	return unpriv;
}

static void daemon_log_setup(void)
{
	const char *file = conf_str("maillog_file");

	log_set_syslog_name(conf_str("syslog_name"));
	if (*file == 0)
		log_to_syslog();
	else if (log_open_file(file) != 0)
		log_fatal("open maillog_file %s: %m", file);
}

void daemon_watch_master(void)
{
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0)
		log_fatal("prctl PR_SET_PDEATHSIG: %m");
	if (getppid() != daemon_master_pid)
		exit(0);
}

static void daemon_drop_privileges(void)
{
	uid_t uid;
	gid_t gid;

	queue_dirs_owner(&uid, &gid);
	if (setgroups(1, &gid) != 0)
		log_fatal("setgroups: %m");
	if (setgid(gid) != 0)
		log_fatal("setgid %ld: %m", (long)gid);
	if (setuid(uid) != 0)
		log_fatal("setuid %ld: %m", (long)uid);
	if (setuid(0) == 0 || geteuid() != uid || getegid() != gid)
		log_fatal("privileges were not dropped to user %s", conf_str("mail_owner"));
}

void daemon_init(int argc, char **argv, const char *name, const daemon_hooks_t *hooks)
{
	const char *queue_dir;
	int unpriv;

	daemon_master_pid = getppid();
	log_init(name);
	daemon_signals();
	unpriv = daemon_parse_args(argc, argv);
	daemon_log_setup();
	queue_dir = conf_str("queue_directory");
	if (chdir(queue_dir) != 0)
		log_fatal("chdir %s: %m", queue_dir);
	if (hooks && hooks->pre_drop)
		hooks->pre_drop();
	if (unpriv && getuid() == 0) {
		daemon_drop_privileges();
		daemon_watch_master();
	}
	if (hooks && hooks->post_drop)
		hooks->post_drop();
	daemon_report(1);
}

void daemon_child_detach(void)
{
	close(DAEMON_LISTEN_FD);
	close(DAEMON_STATUS_FD);
	close(daemon_wake_pipe[0]);
	close(daemon_wake_pipe[1]);
	daemon_wake_pipe[0] = daemon_wake_pipe[1] = -1;
}

const char *daemon_service(void)
{
	return daemon_service_name;
}

int daemon_listen_fd(void)
{
	return DAEMON_LISTEN_FD;
}

void daemon_extra_args(int *argc, char ***argv)
{
	*argc = daemon_nextra;
	*argv = daemon_extra;
}

void daemon_report(int avail)
{
	daemon_status_t st = { .pid = (int)getpid(), .avail = avail };
	ssize_t n;

	/* smaller than PIPE_BUF: one write, never interleaved with a sibling's */
	while ((n = write(DAEMON_STATUS_FD, &st, sizeof(st))) < 0 && errno == EINTR)
		continue;
	if (n != (ssize_t)sizeof(st))
		log_fatal("write status to master: %m");
}

int daemon_reload_requested(void)
{
	return daemon_reload;
}

static int daemon_idle_ms(void)
{
	long idle = conf_time("max_idle");

	return idle > DAEMON_POLL_MAX_MS / 1000 ? DAEMON_POLL_MAX_MS : (int)(idle * 1000);
}

/* Wait for a client or a reload; exits when idle for max_idle. 1: a
 * client may be waiting (another child can still take it first). */
static int daemon_wait_client(int idle_ms)
{
	struct pollfd fds[2] = {
		{ .fd = DAEMON_LISTEN_FD, .events = POLLIN },
		{ .fd = daemon_wake_pipe[0], .events = POLLIN },
	};
	char drain[16];
	int n = poll(fds, 2, idle_ms);

	if (n == 0)
		exit(0);
	if (n < 0) {
		if (errno != EINTR)
			log_fatal("poll: %m");
		return 0;
	}
	if (fds[1].revents) {
		while (read(daemon_wake_pipe[0], drain, sizeof(drain)) > 0)
			continue;
		return 0;
	}
	return 1;
}

static int daemon_accept(void)
{
	int fd = accept4(DAEMON_LISTEN_FD, NULL, NULL, SOCK_CLOEXEC);

	if (fd >= 0)
		return fd;
	switch (errno) {
	case EAGAIN:
#if EWOULDBLOCK != EAGAIN
	case EWOULDBLOCK:
#endif
	case EINTR:
	case ECONNABORTED:
	case EPROTO:
		return -1;	/* a sibling took the client, or it left */
	default:
		log_fatal("accept: %m");
	}
}

int daemon_tables_changed(void)
{
	const char *table = dict_changed_name();

	if (table == NULL)
		return 0;
	log_info("table %s has changed -- restarting", table);
	return 1;
}

_Noreturn void daemon_single_server(daemon_serve_fn serve)
{
	long max_use = conf_int("max_use");
	int idle_ms = daemon_idle_ms();
	long uses = 0;
	stream_t *client;
	int fd;

	for (;;) {
		if (daemon_reload)
			exit(0);
		if (!daemon_wait_client(idle_ms))
			continue;
		if (daemon_tables_changed())
			exit(0);	/* the client waits for a fresh process */
		if ((fd = daemon_accept()) < 0)
			continue;
		daemon_report(0);
		client = stream_open(fd);
		serve(client);
		stream_close(client);
		daemon_report(1);
		if (++uses >= max_use || daemon_tables_changed())
			exit(0);
	}
}
