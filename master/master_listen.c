/*
 * master_listen: open and close the listening socket of a service
 * instance. Listeners are non-blocking (children that lose the race for a
 * client get EAGAIN) and close-on-exec (master hands each child its own
 * on DAEMON_LISTEN_FD). Without a host an inet service takes one
 * dual-stack socket on [::], or 0.0.0.0 where IPv6 is missing.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "master.h"
#include "queue_dirs.h"

static int master_listen_socket(int family, str_t *err)
{
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (fd < 0)
		str_printf(err, "socket: %s", strerror(errno));
	return fd;
}

static int master_listen_bind(int fd, const struct sockaddr *sa, socklen_t len,
			      const master_service_t *s, str_t *err)
{
	if (bind(fd, sa, len) != 0 || listen(fd, MASTER_LISTEN_BACKLOG) != 0) {
		int saved_errno = errno;

		str_printf(err, "bind %s: %s", s->key, strerror(errno));
		close(fd);
		errno = saved_errno;
		return -1;
	}
	return fd;
}

static void master_listen_option(int fd, int level, int name, int value)
{
	/* best effort: a missing option only changes how the port is shared */
	(void)setsockopt(fd, level, name, &value, sizeof(value));
}

/* [::] accepting IPv4 too; -1 with errno when IPv6 is unusable here. */
static int master_listen_any6(const master_service_t *s, str_t *err)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_ANY_INIT,
				     .sin6_port = htons((unsigned short)s->port) };
	int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (fd < 0)
		return -1;
	master_listen_option(fd, SOL_SOCKET, SO_REUSEADDR, 1);
	master_listen_option(fd, IPPROTO_IPV6, IPV6_V6ONLY, 0);
	return master_listen_bind(fd, (struct sockaddr *)&sin6, sizeof(sin6), s, err);
}

static int master_listen_any(const master_service_t *s, str_t *err)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_ANY),
				   .sin_port = htons((unsigned short)s->port) };
	size_t mark = err->len;
	int fd = master_listen_any6(s, err);

	if (fd >= 0 || (errno != EAFNOSUPPORT && errno != EADDRNOTAVAIL))
		return fd;
	str_truncate(err, mark);
	if ((fd = master_listen_socket(AF_INET, err)) < 0)
		return -1;
	master_listen_option(fd, SOL_SOCKET, SO_REUSEADDR, 1);
	return master_listen_bind(fd, (struct sockaddr *)&sin, sizeof(sin), s, err);
}

static int master_listen_inet(const master_service_t *s, str_t *err)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE };
	struct addrinfo *ai;
	char port[sizeof("65535")];
	int fd, rc;

	if (s->host == NULL)
		return master_listen_any(s, err);
	snprintf(port, sizeof(port), "%d", s->port);
	if ((rc = getaddrinfo(s->host, port, &hints, &ai)) != 0) {
		str_printf(err, "%s: %s", s->key, gai_strerror(rc));
		return -1;
	}
	fd = master_listen_socket(ai->ai_family, err);
	if (fd >= 0) {
		master_listen_option(fd, SOL_SOCKET, SO_REUSEADDR, 1);
		if (ai->ai_family == AF_INET6)
			master_listen_option(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1);
		fd = master_listen_bind(fd, ai->ai_addr, ai->ai_addrlen, s, err);
	}
	freeaddrinfo(ai);
	return fd;
}

/* The socket file belongs to mail_owner so unprivileged daemons can reach it. */
static int master_listen_unix(const master_service_t *s, str_t *err)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	uid_t uid;
	gid_t gid;
	int fd;

	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", s->path);
	if (unlink(s->path) != 0 && errno != ENOENT) {
		str_printf(err, "remove stale socket %s: %s", s->path, strerror(errno));
		return -1;
	}
	if ((fd = master_listen_socket(AF_UNIX, err)) < 0)
		return -1;
	if (master_listen_bind(fd, (struct sockaddr *)&addr, sizeof(addr), s, err) < 0)
		return -1;
	queue_dirs_owner(&uid, &gid);
	if (chmod(s->path, MASTER_SOCKET_MODE) != 0
	    || (geteuid() == 0 && chown(s->path, uid, gid) != 0)) {
		str_printf(err, "set owner and mode of %s: %s", s->path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

int master_listen_open(master_service_t *s, str_t *err)
{
	s->listen_fd = s->path ? master_listen_unix(s, err) : master_listen_inet(s, err);
	return s->listen_fd < 0 ? -1 : 0;
}

void master_listen_close(master_service_t *s)
{
	if (s->listen_fd >= 0)
		close(s->listen_fd);
	s->listen_fd = -1;
}
