/*
 * admin_queue_showq: the listing through the showq service, for a user
 * whom authorized_mailq_users lets list the queue but who cannot read the
 * queue directories (in a root instance only mail_owner can). showq
 * decides again who the caller is (by the socket's peer credentials) and
 * sends the listing, which this copies to stdout. Filters need the queue
 * itself: they are refused here. A service that does not answer is
 * EX_UNAVAILABLE, a refusal EX_NOPERM.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sysexits.h>
#include <unistd.h>

#include "admin.h"
#include "admin_queue.h"
#include "conf.h"
#include "showq_proto.h"
#include "stream.h"

#define ADMIN_SHOWQ_CHUNK 8192

static int admin_showq_filtered(const admin_qfilter_t *f)
{
	return f->queues[0] || f->sender || f->recipient || f->domain
	       || f->older_than >= 0 || f->newer_than >= 0;
}

static _Noreturn void admin_showq_down(const char *what)
{
	admin_say("fatal: cannot list the mail queue: %s %s/%s: %s (is Pochta running?)", what,
		  conf_str("queue_directory"), SHOWQ_SOCKET, strerror(errno));
	exit(EX_UNAVAILABLE);
}

static stream_t *admin_showq_connect(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	stream_t *st;

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", SHOWQ_SOCKET);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0)
		admin_showq_down("connect to");
	st = stream_open(fd);
	stream_set_timeout(st, SHOWQ_TIMEOUT);
	return st;
}

/* The status line: returns when it is "ok", exits otherwise. */
static void admin_showq_status(stream_t *st)
{
	str_t line = STR_INIT;
	const char *text;

	if (stream_getline(st, &line, SHOWQ_LINE_MAX) < 0) {
		errno = errno ? errno : ECONNRESET;
		admin_showq_down("no answer from");
	}
	str_cstr(&line);		/* terminates line.data */
	text = str_trim(line.data);
	if (strcmp(text, SHOWQ_REPLY_OK) == 0) {
		str_free(&line);
		return;
	}
	if (strncmp(text, SHOWQ_REPLY_REFUSED " ", strlen(SHOWQ_REPLY_REFUSED) + 1) == 0) {
		admin_say("fatal: permission denied: %s", text + strlen(SHOWQ_REPLY_REFUSED) + 1);
		exit(ADMIN_EXIT_NOPERM);
	}
	admin_say("fatal: cannot list the mail queue: unexpected answer from showq");
	exit(EX_UNAVAILABLE);
}

int admin_queue_showq(const admin_list_opts_t *opts)
{
	str_t chunk = STR_INIT;
	stream_t *st;
	int rc;

	if (admin_showq_filtered(&opts->filter))
		admin_fatal("list filters need read access to the queue directories "
			    "(run as root or %s)", conf_str("mail_owner"));
	st = admin_showq_connect();
	if (stream_printf(st, "%s\n", opts->json ? SHOWQ_REQUEST_JSON : SHOWQ_REQUEST_TEXT) < 0
	    || stream_flush(st) < 0)
		admin_showq_down("cannot send to");
	admin_showq_status(st);
	do {
		rc = stream_read_exact(st, &chunk, ADMIN_SHOWQ_CHUNK);
		fwrite(chunk.data, 1, chunk.len, stdout);
		str_reset(&chunk);
	} while (rc == STREAM_OK);
	str_free(&chunk);
	stream_close(st);
	if (rc != STREAM_EOF) {
		errno = rc == STREAM_TIMEOUT ? ETIMEDOUT : errno;
		admin_showq_down("listing cut short by");
	}
	return fflush(stdout) == 0 ? 0 : EX_IOERR;
}
