/*
 * pop3d_mailbox: the logged-in user's Maildir, found as mail to the login
 * name is delivered (resolve.h): a virtual domain's user has the path
 * from virtual_mailbox_maps below virtual_mailbox_base; a system user
 * (a login without a domain, or in mydestination) has home_mailbox below
 * the home directory, which must name a Maildir (end in "/"). The session
 * process becomes the mailbox owner (pop3d_privs.c), opens the Maildir
 * (making it when missing) and takes an exclusive flock on it, so a
 * second POP3 session for the same mailbox gets "-ERR [IN-USE]". The lock
 * goes with the descriptor, so a killed process leaves no stale lock
 * behind. The listing is made once, at login (RFC 1939: message numbers
 * hold for the session).
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "maildir.h"
#include "mem.h"
#include "pop3d.h"
#include "resolve.h"

/* Where a mailbox is and whose it is. */
typedef struct pop3d_mailbox_place {
	int base_fd;			/* path is relative to it */
	str_t path;
	uid_t uid;
	gid_t gid;
	int system;			/* a system user's */
} pop3d_mailbox_place_t;

static int pop3d_mailbox_base_fd = -1;

void pop3d_mailbox_init(void)
{
	const char *base = conf_str("virtual_mailbox_base");
	str_t err = STR_INIT;

	if (resolve_init(&err) != 0)
		log_fatal("%s", str_cstr(&err));
	if (*base && (pop3d_mailbox_base_fd = open(base, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		log_fatal("open virtual_mailbox_base %s: %m", base);
	str_free(&err);
}

static int pop3d_mailbox_virtual(const char *user, str_t *mailbox,
				 pop3d_mailbox_place_t *place)
{
	const char *p = maildir_below_base(str_cstr(mailbox));

	if (p == NULL || pop3d_mailbox_base_fd < 0) {
		log_warning("user %s: virtual_mailbox_maps names no Maildir below "
			    "virtual_mailbox_base", user);
		return -1;
	}
	place->base_fd = pop3d_mailbox_base_fd;
	str_set(&place->path, p);
	return pop3d_privs_virtual_ids(user, &place->uid, &place->gid);
}

static int pop3d_mailbox_system(const char *user, const char *name, pop3d_mailbox_place_t *place)
{
	const char *mailbox = conf_str("home_mailbox");
	struct passwd *pw = getpwnam(name);

	if (pw == NULL) {
		log_warning("user %s: no system user %s", user, name);
		return -1;
	}
	if (*mailbox == 0 || mailbox[strlen(mailbox) - 1] != '/' || pw->pw_dir[0] != '/') {
		log_warning("user %s: home_mailbox does not name a Maildir in a home directory", user);
		return -1;
	}
	place->base_fd = AT_FDCWD;
	str_printf(&place->path, "%s/%s", pw->pw_dir, mailbox);
	place->uid = pw->pw_uid;
	place->gid = pw->pw_gid;
	place->system = 1;
	return 0;
}

/* Where user's mail goes; -1 (logged) when not to a mailbox pop3d serves. */
static int pop3d_mailbox_find(const char *user, pop3d_mailbox_place_t *place)
{
	resolve_result_t res;
	int rc = -1;

	resolve_result_init(&res);
	if (resolve_address(user, &res) < 0)
		log_warning("user %s: lookup failed: %s", user, str_cstr(&res.mailbox));
	else if (!res.found || (res.cls != RESOLVE_VIRTUAL && res.cls != RESOLVE_LOCAL))
		log_warning("user %s: no mailbox for this address here", user);
	else if (res.cls == RESOLVE_VIRTUAL)
		rc = pop3d_mailbox_virtual(user, &res.mailbox, place);
	else
		rc = pop3d_mailbox_system(user, str_cstr(&res.mailbox), place);
	resolve_result_free(&res);
	return rc;
}

/* Open (making it when missing) and lock the Maildir; -1 with errno. */
static int pop3d_mailbox_lock(const pop3d_mailbox_place_t *place)
{
	int fd = openat(place->base_fd, place->path.data, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 && errno == ENOENT && maildir_create(place->base_fd, place->path.data) == 0)
		fd = openat(place->base_fd, place->path.data, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int err = errno;

		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

/* Become the owner, then lock and list; the reply to the login. */
static void pop3d_mailbox_enter(pop3d_session_t *s, const pop3d_mailbox_place_t *place)
{
	if (pop3d_privs_become(s->user.data, place->uid, place->gid, place->system) < 0) {
		pop3d_err(s, "[SYS/TEMP] Mailbox unavailable");
	} else if ((s->dir_fd = pop3d_mailbox_lock(place)) < 0) {
		if (errno == EWOULDBLOCK) {
			log_info("user=<%s>, rip=%s: mailbox in use by another session",
				 s->user.data, s->rip);
			pop3d_err(s, "[IN-USE] Mailbox is locked by another POP3 session");
		} else {
			log_warning("user %s: open Maildir %s: %m", s->user.data, place->path.data);
			pop3d_err(s, "[SYS/TEMP] Mailbox unavailable");
		}
	} else if (maildir_list_read(s->dir_fd, &s->list) < 0) {
		log_warning("user %s: read Maildir %s: %m", s->user.data, place->path.data);
		pop3d_err(s, "[SYS/TEMP] Mailbox unavailable");
		pop3d_mailbox_close(s);
	} else {
		s->deleted = mem_alloc(s->list.count + 1);
		memset(s->deleted, 0, s->list.count + 1);
		s->state = POP3D_TRANSACTION;
		pop3d_ok(s, "Logged in, %zu messages (%lld octets)", s->list.count, s->list.total);
	}
}

int pop3d_mailbox_open(pop3d_session_t *s)
{
	pop3d_mailbox_place_t place = { .base_fd = -1, .path = STR_INIT };

	if (pop3d_mailbox_find(s->user.data, &place) < 0)
		pop3d_err(s, "[SYS/TEMP] Mailbox unavailable");
	else
		pop3d_mailbox_enter(s, &place);
	str_free(&place.path);
	return s->state == POP3D_TRANSACTION ? 0 : -1;
}

/* Closing the Maildir releases the lock. */
static void pop3d_mailbox_unlock(pop3d_session_t *s)
{
	if (s->dir_fd >= 0)
		close(s->dir_fd);
	s->dir_fd = -1;
}

void pop3d_mailbox_update(pop3d_session_t *s)
{
	size_t failed = 0;

	for (size_t i = 0; i < s->list.count; i++)
		if (s->deleted[i] && unlinkat(s->dir_fd, s->list.items[i].name, 0) < 0 && errno != ENOENT) {
			log_warning("user %s: remove %s: %m", s->user.data, s->list.items[i].name);
			failed++;
		}
	pop3d_mailbox_unlock(s);	/* before the reply: the client may come back at once */
	if (failed > 0)
		pop3d_err(s, "[SYS/TEMP] %zu deleted messages could not be removed", failed);
	else
		pop3d_ok(s, "Logging out");
}

void pop3d_mailbox_close(pop3d_session_t *s)
{
	pop3d_mailbox_unlock(s);
	maildir_list_free(&s->list);
	mem_free(s->deleted);
	s->deleted = NULL;
}
