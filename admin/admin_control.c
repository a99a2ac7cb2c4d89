/*
 * admin_control: pochta start, stop, reload and status.
 *
 *   pochta [-c config_dir] start [-f]
 *   pochta [-c config_dir] stop
 *   pochta [-c config_dir] reload
 *   pochta [-c config_dir] status
 *
 * start runs daemon_directory/master, which detaches and exits 0 only once
 * its listeners are bound and its pid file is written, and passes on its
 * exit status. start -f replaces this process with master in the
 * foreground, logging to the terminal, so that Ctrl-C stops everything.
 * stop sends SIGTERM to master and waits until it is gone. reload checks
 * that main.cf and master.cf parse, then sends master SIGHUP, which reads
 * them again and restarts the services whose settings changed.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "admin.h"
#include "conf.h"

#define ADMIN_STOP_WAIT_MS 30000	/* how long stop waits for master to exit */
#define ADMIN_STOP_POLL_MS 50
#define ADMIN_FOREGROUND_LOG "maillog_file=/dev/stderr"

static pid_t admin_running_master(void)
{
	return admin_master_pid(conf_str("queue_directory"));
}

static void admin_master_path(str_t *path)
{
	str_printf(path, "%s/%s", conf_str("daemon_directory"), ADMIN_MASTER_PROG);
	if (access(str_cstr(path), X_OK) != 0)
		admin_fatal("cannot execute %s: %s (check daemon_directory in main.cf)",
			    str_cstr(path), strerror(errno));
}

_Noreturn static void admin_exec_foreground(const char *master, const char *config_dir)
{
	char *argv[] = { (char *)master, "-f", "-c", (char *)config_dir,
			 "-o", ADMIN_FOREGROUND_LOG, NULL };

	execv(master, argv);
	admin_fatal("execute %s: %s", master, strerror(errno));
}

static int admin_run_master(const char *master, const char *config_dir)
{
	char *argv[] = { (char *)master, "-c", (char *)config_dir, NULL };
	int status;
	pid_t pid = fork();

	if (pid < 0)
		admin_fatal("fork: %s", strerror(errno));
	if (pid == 0) {
		execv(master, argv);
		admin_say("execute %s: %s", master, strerror(errno));
		_exit(1);	/* not exit(): the parent's stdio buffers are not ours */
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			admin_fatal("wait for %s: %s", master, strerror(errno));
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

int admin_start_cmd(int argc, char **argv, const char *config_dir)
{
	int foreground = 0;
	str_t master = STR_INIT;
	int opt, status;

	while ((opt = getopt(argc, argv, "+f")) != -1) {
		if (opt != 'f')
			admin_usage("start [-f]");
		foreground = 1;
	}
	if (optind != argc)
		admin_usage("start [-f]");
	admin_conf_load(config_dir);
	if (admin_running_master() > 0) {
		admin_say("the Pochta mail system is already running");
		return 1;
	}
	admin_master_path(&master);
	admin_say("starting the Pochta mail system");
	if (foreground)
		admin_exec_foreground(str_cstr(&master), config_dir);
	status = admin_run_master(str_cstr(&master), config_dir);
	str_free(&master);
	return status;
}

/*
 * Master has stopped when its pid file lock is free: it holds the lock
 * until it exits, after its children. (kill(pid, 0) would also count the
 * time until something reaps the detached master.)
 */
static int admin_wait_stopped(void)
{
	struct timespec step = { 0, ADMIN_STOP_POLL_MS * 1000000L };

	for (int waited = 0; waited < ADMIN_STOP_WAIT_MS; waited += ADMIN_STOP_POLL_MS) {
		if (admin_running_master() <= 0)
			return 0;
		nanosleep(&step, NULL);
	}
	return -1;
}

int admin_stop_cmd(int argc, char **argv, const char *config_dir)
{
	pid_t pid;

	(void)argv;
	if (argc != 1)
		admin_usage("stop");
	admin_conf_load(config_dir);
	pid = admin_running_master();
	if (pid <= 0)
		admin_fatal("the Pochta mail system is not running");
	admin_say("stopping the Pochta mail system");
	if (kill(pid, SIGTERM) != 0)
		admin_fatal("cannot signal master (PID %ld): %s", (long)pid, strerror(errno));
	if (admin_wait_stopped() != 0)
		admin_fatal("master (PID %ld) did not stop within %d seconds",
			    (long)pid, ADMIN_STOP_WAIT_MS / 1000);
	return 0;
}

static void admin_check_master_cf(const char *config_dir)
{
	conf_service_t *services;
	size_t count;
	str_t path = STR_INIT, err = STR_INIT;

	str_printf(&path, "%s/master.cf", config_dir);
	if (conf_master_load(str_cstr(&path), &services, &count, &err) != 0)
		admin_fatal("%s", str_cstr(&err));
	conf_master_free(services, count);
	str_free(&path);
	str_free(&err);
}

int admin_reload_cmd(int argc, char **argv, const char *config_dir)
{
	pid_t pid;

	(void)argv;
	if (argc != 1)
		admin_usage("reload");
	admin_conf_load(config_dir);
	admin_check_master_cf(config_dir);
	pid = admin_running_master();
	if (pid <= 0)
		admin_fatal("the Pochta mail system is not running");
	admin_say("refreshing the Pochta mail system");
	if (kill(pid, SIGHUP) != 0)
		admin_fatal("cannot signal master (PID %ld): %s", (long)pid, strerror(errno));
	return 0;
}

int admin_status_cmd(int argc, char **argv, const char *config_dir)
{
	pid_t pid;

	(void)argv;
	if (argc != 1)
		admin_usage("status");
	admin_conf_load(config_dir);
	pid = admin_running_master();
	if (pid <= 0) {
		admin_say("the Pochta mail system is not running");
		return 1;
	}
	admin_say("the Pochta mail system is running: PID: %ld", (long)pid);
	return 0;
}
