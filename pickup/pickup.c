/*
 * pickup: the local submission daemon, as Postfix's pickup(8). sendmail
 * leaves messages in maildrop/ through the setgid postdrop; pickup takes
 * each file, checks it as hostile input, writes a queue file in
 * incoming/ (pickup_file.c), removes the maildrop file only after the
 * queue file is committed, and wakes qmgr.
 *
 * A resident service: master runs one process ("pickup unix n - n 60 1
 * pickup"), unprivileged, and pokes public/pickup every 60 seconds;
 * postdrop pokes it after each submission. pickup scans maildrop/ at
 * start, so mail submitted while the mail system was stopped goes out
 * when it starts. SIGHUP or a rebuilt lookup table: exit between two
 * files; master starts a fresh one.
 */
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conf.h"
#include "daemon.h"
#include "log.h"
#include "pickup.h"
#include "resolve.h"
#include "rewrite.h"

static void pickup_pre_drop(void)
{
	str_t err = STR_INIT;

	if (resolve_init(&err) != 0 || rewrite_init(&err) != 0)
		log_fatal("%s", str_cstr(&err));
	str_free(&err);
}

static int pickup_must_exit(void)
{
	return daemon_reload_requested() || daemon_tables_changed();
}

void pickup_scan(void)
{
	DIR *dp = opendir(QUEUE_MAILDROP);
	struct dirent *de;

	if (dp == NULL) {
		log_warning("open directory %s: %m", QUEUE_MAILDROP);
		return;
	}
	while (!pickup_must_exit() && (de = readdir(dp)) != NULL)
		if (de->d_name[0] != '.')
			pickup_file(de->d_name);
	closedir(dp);
}

/* Wait for a wake-up: 1 when one came. The connection is the news; its
 * byte is taken before closing (briefly waited for), so that the sender's
 * write does not fail on a connection already closed. */
static int pickup_wait(void)
{
	struct pollfd pfd = { .fd = daemon_listen_fd(), .events = POLLIN };
	char byte;
	int fd;

	if (poll(&pfd, 1, PICKUP_POLL_MS) <= 0)
		return 0;
	fd = accept4(daemon_listen_fd(), NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
			log_warning("accept wake-up: %m");
		return 0;
	}
	pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
	if (poll(&pfd, 1, PICKUP_WAKEUP_WAIT_MS) > 0 && read(fd, &byte, 1) < 0) {
		/* the sender is gone: nothing to take */
	}
	close(fd);
	return 1;
}

int main(int argc, char **argv)
{
	static const daemon_hooks_t hooks = { .pre_drop = pickup_pre_drop };

	daemon_init(argc, argv, "pickup", &hooks);
	pickup_scan();
	while (!pickup_must_exit())
		if (pickup_wait())
			pickup_scan();
	return 0;
}
