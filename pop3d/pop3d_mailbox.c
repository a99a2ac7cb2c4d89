/*
 * pop3d_mailbox: the logged-in user's Maildir. The user is looked up in
 * virtual_mailbox_maps (a path below virtual_mailbox_base ending in "/");
 * the process becomes the mailbox owner (pop3d_privs.c), opens the Maildir
 * and takes an exclusive flock on it, so a second POP3 session for the
 * same mailbox gets "-ERR [IN-USE]". The lock goes with the descriptor,
 * so a killed process leaves no stale lock behind. The listing is made
 * once, at login (RFC 1939: message numbers hold for the session).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "maildir.h"
#include "maps.h"
#include "mem.h"
#include "pop3d.h"

static maps_t *pop3d_mailbox_maps;
static int pop3d_mailbox_base_fd = -1;

void pop3d_mailbox_init(void)
{
	const char *base = conf_str("virtual_mailbox_base");
	str_t err = STR_INIT;

	if ((pop3d_mailbox_maps = maps_open("virtual_mailbox_maps", &err)) == NULL)
		log_fatal("%s", str_cstr(&err));
	if (*base && (pop3d_mailbox_base_fd = open(base, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		log_fatal("open virtual_mailbox_base %s: %m", base);
	str_free(&err);
}

/* The Maildir of user below virtual_mailbox_base; -1 (logged) if none. */
static int pop3d_mailbox_path(const char *user, str_t *path)
{
	str_t value = STR_INIT;
	const char *p;
	int rc = maps_lookup_addr(pop3d_mailbox_maps, user, "", 0, &value);

	for (p = str_cstr(&value); *p == '/'; p++)
		;
	if (rc < 0)
		log_warning("virtual_mailbox_maps lookup for %s: %s", user, str_cstr(&value));
	else if (rc == 0 || *p == 0 || p[strlen(p) - 1] != '/' || pop3d_mailbox_base_fd < 0)
		log_warning("user %s has no Maildir in virtual_mailbox_maps", user);
	else
		str_set(path, p);
	str_free(&value);
	return rc > 0 && path->len > 0 ? 0 : -1;
}

/* Open (making it when missing) and lock the Maildir; -1 with errno. */
static int pop3d_mailbox_lock(const char *path)
{
	int fd = openat(pop3d_mailbox_base_fd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 && errno == ENOENT && maildir_create(pop3d_mailbox_base_fd, path) == 0)
		fd = openat(pop3d_mailbox_base_fd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int err = errno;

		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

int pop3d_mailbox_open(pop3d_session_t *s)
{
	str_t path = STR_INIT;

	if (pop3d_mailbox_path(s->user.data, &path) < 0 || pop3d_privs_become_owner(s->user.data) < 0) {
		pop3d_err(s, "[SYS/TEMP] Mailbox unavailable");
	} else if ((s->dir_fd = pop3d_mailbox_lock(path.data)) < 0) {
		if (errno == EWOULDBLOCK)
			pop3d_err(s, "[IN-USE] Mailbox is locked by another POP3 session");
		else
			pop3d_err(s, "[SYS/TEMP] Mailbox unavailable");
		if (errno != EWOULDBLOCK)
			log_warning("open Maildir %s: %m", path.data);
	} else if (maildir_list_read(s->dir_fd, &s->list) < 0) {
		log_warning("read Maildir %s: %m", path.data);
		pop3d_err(s, "[SYS/TEMP] Mailbox unavailable");
		pop3d_mailbox_close(s);
	} else {
		s->deleted = mem_alloc(s->list.count + 1);
		memset(s->deleted, 0, s->list.count + 1);
		s->state = POP3D_TRANSACTION;
		pop3d_ok(s, "Logged in, %zu messages (%lld octets)", s->list.count, s->list.total);
	}
	str_free(&path);
	return s->state == POP3D_TRANSACTION ? 0 : -1;
}

void pop3d_mailbox_update(pop3d_session_t *s)
{
	size_t failed = 0;

	for (size_t i = 0; i < s->list.count; i++)
		if (s->deleted[i] && unlinkat(s->dir_fd, s->list.items[i].name, 0) < 0 && errno != ENOENT) {
			log_warning("user %s: remove %s: %m", s->user.data, s->list.items[i].name);
			failed++;
		}
	if (failed > 0)
		pop3d_err(s, "[SYS/TEMP] %zu deleted messages could not be removed", failed);
	else
		pop3d_ok(s, "Logging out");
}

void pop3d_mailbox_close(pop3d_session_t *s)
{
	if (s->dir_fd >= 0)
		close(s->dir_fd);	/* releases the lock */
	s->dir_fd = -1;
	maildir_list_free(&s->list);
	mem_free(s->deleted);
	s->deleted = NULL;
}
