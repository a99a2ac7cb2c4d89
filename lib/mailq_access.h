/*
 * mailq_access: who may list the mail queue, as Postfix's
 * authorized_mailq_users decides; shared by "pochta queue" and showq.
 *
 * root and mail_owner always may. Anyone else when authorized_mailq_users
 * (default static:anyone) says so: a list of user names, "!name" to
 * exclude one, and type:table lookups that match a name they find (the
 * value does not matter), matched left to right, first match wins. A
 * table that cannot be read grants nothing.
 */
#ifndef POCHTA_MAILQ_ACCESS_H
#define POCHTA_MAILQ_ACCESS_H

#include <stddef.h>
#include <sys/types.h>

#define MAILQ_ACCESS_NAME_MAX 256	/* a login name, or "#" and a uid */

/* 1 for root and mail_owner. */
int mailq_access_privileged(uid_t uid);
/* uid's login name into user ("#uid" when it has none): 0, or -1 when
 * it has none. */
int mailq_access_user(uid_t uid, char *user, size_t size);
/* 1 when uid may list the queue; user gets its name for messages. */
int mailq_access_allows(uid_t uid, char *user, size_t size);

#endif
