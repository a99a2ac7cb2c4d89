/*
 * master: the Pochta supervisor.
 *
 *   master -c CONFIG_DIR [-f] [-o name=value]...
 *
 * Loads main.cf and master.cf, creates the queue tree, binds every
 * service's listener, locks the pid file and runs the service programs
 * on demand. -o overrides main.cf for master and every child. Without -f
 * it detaches, and the command exits 0 only once master is running (1
 * with the reason on stderr otherwise). Start-up errors go to stderr;
 * once running, master logs to maillog_file or syslog.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "master.h"
#include "mem.h"
#include "queue_dirs.h"

static _Noreturn void master_usage(const char *prog)
{
	log_fatal("usage: %s [-c config_dir] [-f] [-o name=value]...", prog);
}

/* Returns 1 for -f. Children get -c as an absolute path: they run in the queue. */
static int master_args(master_t *m, int argc, char **argv)
{
	const char *config_dir = conf_param_find("config_directory")->dflt;
	char *real;
	int foreground = 0;
	int c;

	m->overrides = mem_calloc((size_t)argc, sizeof(*m->overrides));
	while ((c = getopt(argc, argv, "c:fo:")) != -1) {
		if (c == 'c')
			config_dir = optarg;
		else if (c == 'f')
			foreground = 1;
		else if (c == 'o')
			m->overrides[m->noverrides++] = optarg;
		else
			master_usage(argv[0]);
	}
	if (optind != argc)
		master_usage(argv[0]);
	if ((real = realpath(config_dir, NULL)) == NULL)
		log_fatal("configuration directory %s: %m", config_dir);
	m->config_dir = mem_strdup(real);
	free(real);
	return foreground;
}

static void master_load(master_t *m)
{
	str_t err = STR_INIT;

	if (master_conf_main(m, &err) != 0 || master_conf_services(m, &m->services, &err) != 0)
		log_fatal("%s", str_cstr(&err));
	str_free(&err);
}

static void master_open_listeners(master_t *m)
{
	str_t err = STR_INIT;

	for (master_service_t *s = m->services; s; s = s->next)
		if (master_listen_open(s, &err) != 0)
			log_fatal("%s", str_cstr(&err));
	str_free(&err);
}

static void master_status_pipe(master_t *m)
{
	if (pipe2(m->status_fd, O_CLOEXEC) != 0)
		log_fatal("pipe: %m");
	if (fcntl(m->status_fd[0], F_SETFL, O_NONBLOCK) != 0)
		log_fatal("fcntl: %m");
}

int main(int argc, char **argv)
{
	master_t m = { .status_fd = { -1, -1 }, .pid_fd = -1 };
	const char *queue_dir;
	int foreground, ready_fd = -1;

	log_init("master");
	log_to_stderr();
	foreground = master_args(&m, argc, argv);
	master_load(&m);
	queue_dir = conf_str("queue_directory");
	queue_dirs_ensure(queue_dir);
	if (chdir(queue_dir) != 0)
		log_fatal("chdir %s: %m", queue_dir);
	/* before binding: another master's sockets must not be replaced */
	master_pid_check(QUEUE_DIRS_MASTER_PID);
	master_open_listeners(&m);
	master_status_pipe(&m);
	if (!foreground)
		ready_fd = master_detach();
	m.pid_fd = master_pid_acquire(QUEUE_DIRS_MASTER_PID);
	master_sig_init();
	master_log_target();
	log_info("daemon started -- version %s, configuration %s",
		 conf_str("mail_version"), m.config_dir);
	if (!foreground)
		master_detach_done(ready_fd);
	master_tls_init(&m);
	master_loop(&m);
}
