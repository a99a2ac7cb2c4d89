/*
 * local_pipe: delivery to an external command, as Postfix's local(8)
 * does it (see command.h for the shell decision and the exit statuses).
 *
 * The command gets the message on standard input: a "From SENDER DATE"
 * line, Return-Path: and Delivered-To:, then the message as queued. Its
 * environment is exactly SENDER, RECIPIENT, USER, EXTENSION, DOMAIN,
 * LOCAL, HOME, SHELL, LOGNAME and PATH=/usr/bin:/bin; nothing of local's
 * own environment. The child makes itself a session (so a time-out can
 * kill everything it started), takes the user's groups, gid and uid
 * (mail for uid 0 runs as default_privs), changes to
 * command_execution_directory or the home directory (else "/"), closes
 * every other descriptor and executes the command.
 *
 * local never waits on the command without a bound: feeding its input,
 * reading its output (the first LOCAL_PIPE_OUTPUT_MAX bytes are kept for
 * the reason text) and waiting for it to exit all share one deadline,
 * command_time_limit. Past it the session is killed and the mail bounces
 * with "5.3.0 Command time limit exceeded", as Postfix does.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "command.h"
#include "conf.h"
#include "local_expand.h"
#include "local_pipe.h"
#include "log.h"
#include "mbox.h"
#include "mem.h"

#define LOCAL_PIPE_REAP_POLL_MS 10	/* reaping without a pidfd */
#define LOCAL_PIPE_OUTPUT_MAX 512	/* command output kept for the reason */
#define LOCAL_PIPE_CHUNK 65536		/* bytes of the message per write */
#define LOCAL_PIPE_GROUPS_MAX 64	/* supplementary groups of the user */
#define LOCAL_PIPE_ENV_MAX 12
#define LOCAL_PIPE_MSG_MAX 512		/* the child's own error message */

/* Everything the child needs, prepared before the fork. */
typedef struct local_pipe_run {
	const char *command;
	char **argv;			/* NULL: /bin/sh -c command */
	char *env[LOCAL_PIPE_ENV_MAX];
	uid_t uid;
	gid_t gid;
	gid_t groups[LOCAL_PIPE_GROUPS_MAX];
	int ngroups;
	int switch_ids;
	const char *exec_dir;		/* command_execution_directory, "" if unset */
	const char *home;
} local_pipe_run_t;

/* The input the command reads and the output it writes. */
typedef struct local_pipe_io {
	int in_fd, out_fd;
	str_t head;			/* From line and envelope headers */
	size_t head_off;
	int queue_fd;
	off_t off, left;		/* content still to send */
	char buf[LOCAL_PIPE_CHUNK];
	size_t buf_len, buf_off;
	int read_error;			/* errno of a failed queue file read */
	char output[LOCAL_PIPE_OUTPUT_MAX + 1];
	size_t output_len;
} local_pipe_io_t;

/* Split rcpt into LOCAL, DOMAIN, USER and EXTENSION and add the rest. */
static void local_pipe_env(local_pipe_run_t *run, const local_msg_t *msg, const char *rcpt,
			   const char *shell)
{
	const char *at = strrchr(rcpt, '@');
	const char *delim = conf_str("recipient_delimiter");
	char *local = at ? mem_strndup(rcpt, (size_t)(at - rcpt)) : mem_strdup(rcpt);
	size_t user_len = *delim ? strcspn(local, delim) : strlen(local);
	char *user = mem_strndup(local, user_len == 0 ? strlen(local) : user_len);
	const char *ext = user_len > 0 && local[user_len] ? local + user_len + 1 : "";
	int n = 0;

	run->env[n++] = command_env_entry("SENDER", msg->qm->sender);
	run->env[n++] = command_env_entry("RECIPIENT", rcpt);
	run->env[n++] = command_env_entry("USER", user);
	run->env[n++] = command_env_entry("EXTENSION", ext);
	run->env[n++] = command_env_entry("DOMAIN", at ? at + 1 : "");
	run->env[n++] = command_env_entry("LOCAL", local);
	run->env[n++] = command_env_entry("HOME", run->home);
	run->env[n++] = command_env_entry("SHELL", shell);
	run->env[n++] = command_env_entry("LOGNAME", user);
	run->env[n++] = command_env_entry("PATH", COMMAND_PATH);
	run->env[n] = NULL;
	mem_free(local);
	mem_free(user);
}

static void local_pipe_run_free(local_pipe_run_t *run)
{
	command_free_argv(run->argv);
	for (int i = 0; run->env[i]; i++)
		mem_free(run->env[i]);
}

int local_pipe_default_privs(uid_t *uid, gid_t *gid)
{
	local_privs_t privs;
	str_t home = STR_INIT;
	int rc = local_privs_of_owner(0, LOCAL_FROM_ALIAS, &privs, &home);

	str_free(&home);
	if (rc == 0) {
		*uid = privs.uid;
		*gid = privs.gid;
	}
	return rc;
}

/* Who runs the command: root's mail runs as default_privs. 0 or -1 with st. */
static int local_pipe_ids(const local_ctx_t *ctx, local_pipe_run_t *run, local_status_t *st)
{
	struct passwd *pw;

	run->switch_ids = ctx->am_root;
	if (!local_privs_may_act_as(ctx, run->uid)) {
		local_status_set(st, "4.3.0", "cannot run a command as uid %ld: "
				 "the mail system does not run as root", (long)run->uid);
		return -1;
	}
	if (!ctx->am_root)
		return 0;
	if (run->uid == 0 && local_pipe_default_privs(&run->uid, &run->gid) < 0) {
		local_status_set(st, "4.3.5", "mail system configuration error");
		return -1;
	}
	run->ngroups = LOCAL_PIPE_GROUPS_MAX;
	if ((pw = getpwuid(run->uid)) == NULL ||
	    getgrouplist(pw->pw_name, run->gid, run->groups, &run->ngroups) < 0) {
		run->groups[0] = run->gid;
		run->ngroups = 1;
	}
	return 0;
}

/* Tell local what went wrong through the output pipe, and exit. */
static _Noreturn void local_pipe_child_fail(int status, const char *what, const char *arg)
{
	char text[LOCAL_PIPE_MSG_MAX];
	int len = snprintf(text, sizeof(text), "%s %s: %s", what, arg, strerror(errno));

	if (len > 0)
		(void)!write(STDOUT_FILENO, text, (size_t)len < sizeof(text) ? (size_t)len
									 : sizeof(text) - 1);
	_exit(status);
}

/* execve argv[0], searching COMMAND_PATH when it names no directory. */
static void local_pipe_exec_argv(const local_pipe_run_t *run)
{
	char path[PATH_MAX];
	const char *dir = COMMAND_PATH;
	size_t len;

	if (strchr(run->argv[0], '/')) {
		execve(run->argv[0], run->argv, run->env);
		local_pipe_child_fail(EX_UNAVAILABLE, "execve", run->argv[0]);
	}
	while (*dir) {
		len = strcspn(dir, ":");
		snprintf(path, sizeof(path), "%.*s/%s", (int)len, dir, run->argv[0]);
		execve(path, run->argv, run->env);
		dir += len + (dir[len] == ':');
	}
	/* Not found: perhaps a shell built-in; the shell says so otherwise. */
}

static _Noreturn void local_pipe_child(const local_pipe_run_t *run, int in_fd, int out_fd)
{
	sigset_t none;
	char *sh_argv[] = { "sh", "-c", (char *)run->command, NULL };

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	if (dup2(in_fd, STDIN_FILENO) < 0 || dup2(out_fd, STDOUT_FILENO) < 0 ||
	    dup2(out_fd, STDERR_FILENO) < 0)
		_exit(EX_OSERR);
	if (setsid() < 0)
		local_pipe_child_fail(EX_TEMPFAIL, "setsid", "");
	if (run->switch_ids &&
	    (setgroups((size_t)run->ngroups, run->groups) < 0 || setgid(run->gid) < 0 ||
	     setuid(run->uid) < 0))
		local_pipe_child_fail(EX_TEMPFAIL, "cannot switch to uid", "");
	if (*run->exec_dir && chdir(run->exec_dir) < 0)
		local_pipe_child_fail(EX_TEMPFAIL, "chdir", run->exec_dir);
	if (!*run->exec_dir && chdir(run->home) < 0 && chdir("/") < 0)
		local_pipe_child_fail(EX_TEMPFAIL, "chdir", "/");
	closefrom(STDERR_FILENO + 1);
	if (run->argv)
		local_pipe_exec_argv(run);
	execve(COMMAND_SHELL, sh_argv, run->env);
	local_pipe_child_fail(EX_OSERR, "execve", COMMAND_SHELL);
}

static long local_pipe_ms_left(const struct timespec *deadline)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (deadline->tv_sec - now.tv_sec) * 1000 +
	       (deadline->tv_nsec - now.tv_nsec) / 1000000;
}

/* Next bytes for the command's input into buf; 0 when all is sent. */
static size_t local_pipe_fill(local_pipe_io_t *io)
{
	size_t want;
	ssize_t n;

	if (io->buf_off < io->buf_len)
		return io->buf_len - io->buf_off;
	io->buf_off = io->buf_len = 0;
	if (io->head_off < io->head.len) {
		want = io->head.len - io->head_off;
		want = want < sizeof(io->buf) ? want : sizeof(io->buf);
		memcpy(io->buf, io->head.data + io->head_off, want);
		io->head_off += want;
	} else if (io->left > 0) {
		want = io->left < (off_t)sizeof(io->buf) ? (size_t)io->left : sizeof(io->buf);
		if ((n = pread(io->queue_fd, io->buf, want, io->off)) <= 0) {
			io->read_error = n < 0 ? errno : EIO;
			return 0;
		}
		want = (size_t)n;
		io->off += n;
		io->left -= n;
	} else {
		return 0;
	}
	io->buf_len = want;
	return want;
}

static void local_pipe_close(int *fd)
{
	close(*fd);
	*fd = -1;
}

static void local_pipe_write(local_pipe_io_t *io)
{
	size_t len = local_pipe_fill(io);
	ssize_t n;

	if (len == 0) {
		local_pipe_close(&io->in_fd);
		return;
	}
	n = write(io->in_fd, io->buf + io->buf_off, len);
	if (n > 0)
		io->buf_off += (size_t)n;
	else if (n < 0 && errno != EAGAIN && errno != EINTR)
		local_pipe_close(&io->in_fd);	/* EPIPE: it read what it wanted */
}

static void local_pipe_read(local_pipe_io_t *io)
{
	char buf[LOCAL_PIPE_CHUNK];
	ssize_t n = read(io->out_fd, buf, sizeof(buf));
	size_t keep;

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		local_pipe_close(&io->out_fd);
		return;
	}
	keep = LOCAL_PIPE_OUTPUT_MAX - io->output_len;
	keep = (size_t)n < keep ? (size_t)n : keep;
	memcpy(io->output + io->output_len, buf, keep);
	io->output_len += keep;
}

/* Feed input and collect output until both are done; 0, or -1 at the deadline. */
static int local_pipe_talk(local_pipe_io_t *io, const struct timespec *deadline)
{
	struct pollfd pfd[2];
	long left;

	while (io->in_fd >= 0 || io->out_fd >= 0) {
		if ((left = local_pipe_ms_left(deadline)) <= 0)
			return -1;
		pfd[0] = (struct pollfd){ .fd = io->in_fd, .events = POLLOUT };
		pfd[1] = (struct pollfd){ .fd = io->out_fd, .events = POLLIN };
		if (poll(pfd, 2, (int)(left < INT_MAX ? left : INT_MAX)) < 0) {
			if (errno == EINTR)
				continue;
			log_fatal("poll: %m");
		}
		if (io->in_fd >= 0 && pfd[0].revents)
			local_pipe_write(io);
		if (io->out_fd >= 0 && pfd[1].revents)
			local_pipe_read(io);
	}
	return 0;
}

/* Without a pidfd (out of descriptors): look every LOCAL_PIPE_REAP_POLL_MS. */
static int local_pipe_wait_polling(pid_t pid, const struct timespec *deadline, int *status)
{
	struct timespec step = { 0, LOCAL_PIPE_REAP_POLL_MS * 1000000L };
	pid_t got;

	while ((got = waitpid(pid, status, WNOHANG)) == 0 || (got < 0 && errno == EINTR)) {
		if (local_pipe_ms_left(deadline) <= 0)
			return -1;
		nanosleep(&step, NULL);
	}
	return got == pid ? 0 : -1;
}

/* Wait for the child until the deadline; 0 with its status, -1 timed out. */
static int local_pipe_wait(pid_t pid, const struct timespec *deadline, int *status)
{
	int fd = pidfd_open(pid, 0);
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	long left;
	int rc = 0;

	if (fd < 0)
		return local_pipe_wait_polling(pid, deadline, status);
	while ((left = local_pipe_ms_left(deadline)) > 0 &&
	       (rc = poll(&pfd, 1, (int)(left < INT_MAX ? left : INT_MAX))) < 0 &&
	       errno == EINTR)
		;
	close(fd);
	if (rc <= 0)
		return -1;
	while (waitpid(pid, status, 0) < 0)
		if (errno != EINTR)
			log_fatal("waitpid: %m");
	return 0;
}

static void local_pipe_kill(pid_t pid)
{
	int status;

	kill(-pid, SIGKILL);
	kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
}

/* Output as one printable line: tabs and line ends become spaces. */
static void local_pipe_printable(local_pipe_io_t *io)
{
	io->output[io->output_len] = 0;
	for (size_t i = 0; i < io->output_len; i++) {
		unsigned char c = (unsigned char)io->output[i];

		if (c == '\t' || c == '\n' || c == '\r')
			io->output[i] = ' ';
		else if (c < 0x20 || c >= 0x7f)
			io->output[i] = '_';
	}
	while (io->output_len > 0 && io->output[io->output_len - 1] == ' ')
		io->output[--io->output_len] = 0;
}

static void local_pipe_exit_status(const char *command, int code, const char *out,
				   local_status_t *st)
{
	command_exit_t ex = command_exit_status(code);
	const char *sep = *out ? ". Command output: " : "";
	char dsn[COMMAND_DSN_MAX];
	const char *text;

	if ((text = command_output_dsn(out, dsn)) != NULL && dsn[0] != '2')
		local_status_set(st, dsn, "%s", text);
	else if (ex.text)
		local_status_set(st, ex.dsn, "%s%s%s", ex.text, sep, out);
	else
		local_status_set(st, ex.dsn, "Command died with status %d: \"%s\"%s%s", code,
				 command, sep, out);
}

static void local_pipe_result(const char *command, int timed_out, int status,
			      local_pipe_io_t *io, local_status_t *st)
{
	const char *out = io->output;
	const char *sep = *out ? ". Command output: " : "";

	if (timed_out)
		local_status_set(st, "5.3.0", "Command time limit exceeded: \"%s\"%s%s", command,
				 sep, out);
	else if (WIFSIGNALED(status))
		local_status_set(st, "4.3.0", "Command died with signal %d: \"%s\"%s%s",
				 WTERMSIG(status), command, sep, out);
	else if (WEXITSTATUS(status) != 0)
		local_pipe_exit_status(command, WEXITSTATUS(status), out, st);
	else if (io->read_error)
		local_status_set(st, "4.3.0", "cannot read queue file: %s",
				 strerror(io->read_error));
	else
		local_status_set(st, "2.0.0", "delivered to command: %s", command);
}

/* Two pipes, local's ends non-blocking and not inherited. */
static int local_pipe_open(int in[2], int out[2])
{
	if (pipe2(in, O_CLOEXEC) < 0)
		return -1;
	if (pipe2(out, O_CLOEXEC) < 0) {
		close(in[0]);
		close(in[1]);
		return -1;
	}
	fcntl(in[1], F_SETFL, O_NONBLOCK);
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	return 0;
}

static void local_pipe_io_init(local_pipe_io_t *io, const local_msg_t *msg, const char *rcpt)
{
	memset(io, 0, sizeof(*io));
	mbox_from_line(&io->head, msg->qm->sender, time(NULL));
	local_envelope_headers(&io->head, msg->qm->sender, rcpt);
	io->queue_fd = msg->fd;
	io->off = msg->qm->content_offset;
	io->left = msg->qm->content_size;
}

static void local_pipe_spawn(const local_pipe_run_t *run, const local_msg_t *msg,
			     const char *rcpt, local_status_t *st)
{
	local_pipe_io_t *io = mem_alloc(sizeof(*io));
	struct timespec deadline;
	int in[2], out[2], status = 0, timed_out;
	pid_t pid;

	if (local_pipe_open(in, out) < 0) {
		local_status_set(st, "4.3.0", "cannot run command: %s", strerror(errno));
		mem_free(io);
		return;
	}
	if ((pid = fork()) < 0) {
		local_status_set(st, "4.3.0", "cannot run command: %s", strerror(errno));
		local_pipe_close(&in[0]);
		local_pipe_close(&in[1]);
		local_pipe_close(&out[0]);
		local_pipe_close(&out[1]);
		mem_free(io);
		return;
	}
	if (pid == 0)
		local_pipe_child(run, in[0], out[1]);
	close(in[0]);
	close(out[1]);
	local_pipe_io_init(io, msg, rcpt);
	io->in_fd = in[1];
	io->out_fd = out[0];
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += conf_time("command_time_limit");
	timed_out = local_pipe_talk(io, &deadline) < 0 || local_pipe_wait(pid, &deadline,
									   &status) < 0;
	if (timed_out)
		local_pipe_kill(pid);
	if (io->in_fd >= 0)
		close(io->in_fd);
	if (io->out_fd >= 0)
		close(io->out_fd);
	local_pipe_printable(io);
	local_pipe_result(run->command, timed_out, status, io, st);
	str_free(&io->head);
	mem_free(io);
}

void local_pipe_deliver(const local_ctx_t *ctx, const local_msg_t *msg, const char *rcpt,
			const char *command, uid_t uid, gid_t gid, const char *home,
			local_status_t *st)
{
	local_pipe_run_t run;
	struct passwd *pw;

	memset(&run, 0, sizeof(run));
	run.command = command;
	run.uid = uid;
	run.gid = gid;
	run.exec_dir = conf_str("command_execution_directory");
	if (local_pipe_ids(ctx, &run, st) < 0)
		return;
	pw = getpwuid(run.uid);
	run.home = home && *home ? home : pw ? pw->pw_dir : "/";
	if (!command_needs_shell(command) && (run.argv = command_split(command)) == NULL) {
		local_status_set(st, "5.3.5", "mail system configuration error: bad command");
		return;
	}
	local_pipe_env(&run, msg, rcpt, pw && *pw->pw_shell ? pw->pw_shell : COMMAND_SHELL);
	local_pipe_spawn(&run, msg, rcpt, st);
	local_pipe_run_free(&run);
}
