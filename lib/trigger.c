/*
 * trigger: wake a resident service with one request byte on its Unix
 * socket (see trigger.h).
 *
 * The socket is non-blocking from the start: a full listen queue (EAGAIN)
 * or a full socket buffer means the service already has work waiting and
 * will scan anyway, so that counts as success. Nothing here can block.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "trigger.h"

static int trigger_busy(int err)
{
	return err == EAGAIN || err == EWOULDBLOCK || err == EINPROGRESS;
}

int trigger_send(const char *socket_path, char request)
{
	struct sockaddr_un sun;
	int fd;
	int saved;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(socket_path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sun.sun_path, socket_path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		if (!trigger_busy(errno))
			goto fail;
	} else if (send(fd, &request, 1, MSG_NOSIGNAL) < 0 && !trigger_busy(errno)) {
		goto fail;
	}
	close(fd);
	return 0;
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

int trigger_wakeup(const char *socket_path)
{
	return trigger_send(socket_path, TRIGGER_WAKEUP);
}
