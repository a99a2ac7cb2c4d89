/*
 * showq: the mail queue listing for local users, as Postfix's showq(8).
 *
 * In a root instance only mail_owner can read the queue directories, and
 * public/ (mode 0710, group setgid_group) is reachable only by the setgid
 * drop helper, so "pochta queue -p" (and mailq, sendmail -bp) run by an
 * ordinary user cannot list the queue itself. Pochta has no setgid
 * postqueue; instead showq listens on queue_directory/showq (master.cf
 * names it "../showq", one level above public/), a socket of mode 0666 in
 * a directory every user may traverse. That is safe because the service
 * can do nothing but list: a client sends one word, "-p" or "-j"
 * (showq_proto.h); showq takes the client's uid from the kernel
 * (SO_PEERCRED), not from anything the client says, lets root, mail_owner
 * and those authorized_mailq_users allows (lib/mailq_access.c) have the
 * listing and tells everyone else "refused".
 *
 * The listing is the pochta command's own: showq runs, as mail_owner,
 * "pochta -c CONFIG queue -p|-j" with the client socket as its stdout,
 * so the command and the service print one and the same format. The
 * socket's send timeout (SHOWQ_TIMEOUT) keeps a client that stops reading
 * from holding the process.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "conf.h"
#include "daemon.h"
#include "log.h"
#include "mailq_access.h"
#include "showq_proto.h"

#define SHOWQ_POCHTA "pochta"		/* in daemon_directory, else command_directory */
#define SHOWQ_EXIT_EXEC 127

/* The pochta command: beside the daemons in a build tree, else installed. */
static void showq_pochta_path(str_t *path)
{
	str_set(path, conf_str("daemon_directory"));
	str_printf(path, "/%s", SHOWQ_POCHTA);
	if (access(str_cstr(path), X_OK) == 0)
		return;
	str_set(path, conf_str("command_directory"));
	str_printf(path, "/%s", SHOWQ_POCHTA);
}

static _Noreturn void showq_child(int client_fd, const char *path, const char *format)
{
	const char *argv[] = { SHOWQ_POCHTA, "-c", conf_config_dir(), "queue", format, NULL };
	struct timeval tv = { .tv_sec = SHOWQ_TIMEOUT };
	int null_fd = open("/dev/null", O_RDONLY);

	setsockopt(client_fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (null_fd < 0 || dup2(null_fd, STDIN_FILENO) < 0 || dup2(client_fd, STDOUT_FILENO) < 0)
		_exit(SHOWQ_EXIT_EXEC);
	/* master's status pipe and listening socket are not the command's */
	close(DAEMON_STATUS_FD);
	close(DAEMON_LISTEN_FD);
	execv(path, (char *const *)argv);
	log_warning("cannot run %s: %m", path);
	_exit(SHOWQ_EXIT_EXEC);
}

/* Run the listing into the client socket and wait for it. */
static void showq_list(int client_fd, const char *format)
{
	str_t path = STR_INIT;
	int status;
	pid_t pid;

	showq_pochta_path(&path);
	if ((pid = fork()) < 0) {
		log_warning("fork: %m");
	} else if (pid == 0) {
		showq_child(client_fd, str_cstr(&path), format);
	} else {
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			log_warning("%s queue %s failed (status 0x%x)", str_cstr(&path), format,
				    (unsigned)status);
	}
	str_free(&path);
}

/* The format a request names, or NULL. */
static const char *showq_format(str_t *line)
{
	const char *word;

	str_cstr(line);			/* terminates line->data */
	word = str_trim(line->data);
	if (strcmp(word, SHOWQ_REQUEST_TEXT) == 0)
		return SHOWQ_REQUEST_TEXT;
	if (strcmp(word, SHOWQ_REQUEST_JSON) == 0)
		return SHOWQ_REQUEST_JSON;
	return NULL;
}

static void showq_serve(stream_t *client)
{
	struct ucred peer;
	socklen_t len = sizeof(peer);
	char user[MAILQ_ACCESS_NAME_MAX];
	str_t line = STR_INIT;
	const char *format = NULL;

	stream_set_timeout(client, SHOWQ_TIMEOUT);
	if (getsockopt(stream_fd(client), SOL_SOCKET, SO_PEERCRED, &peer, &len) != 0)
		log_warning("cannot tell who the client is: %m");
	else if (stream_getline(client, &line, SHOWQ_LINE_MAX) != STREAM_OK
		 || (format = showq_format(&line)) == NULL)
		log_warning("bad request from uid %ld", (long)peer.uid);
	else if (!mailq_access_allows(peer.uid, user, sizeof(user))) {
		log_warning("refusing the queue listing to user %s (uid %ld)", user,
			    (long)peer.uid);
		stream_printf(client, "%s user %s (uid %ld) may not view the mail queue "
			      "(authorized_mailq_users)\n", SHOWQ_REPLY_REFUSED, user, (long)peer.uid);
		stream_flush(client);
	} else if (stream_printf(client, "%s\n", SHOWQ_REPLY_OK) == 0 && stream_flush(client) == 0)
		showq_list(stream_fd(client), format);
	str_free(&line);
}

int main(int argc, char **argv)
{
	daemon_init(argc, argv, "showq", NULL);
	daemon_single_server(showq_serve);
}
