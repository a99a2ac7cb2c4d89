/*
 * local_expand: what the files that expand a local recipient share
 * (local_recipient.c, local_alias.c, local_dotforward.c, local_forward.c,
 * local_expand.c, local_privs.c).
 *
 * A recipient in a local domain (mydestination) is looked up in
 * alias_maps, then (for a system user) in ~/.forward, and each target is
 * delivered: a local name in a mailbox (or expanded again), a command or
 * file through local_pipe.h, another address by forwarding (one new queue
 * file per recipient, written at the end). The recipient's status is the
 * worst of its targets': deferred, then bounced, then sent.
 */
#ifndef POCHTA_LOCAL_EXPAND_H
#define POCHTA_LOCAL_EXPAND_H

#include <pwd.h>
#include <sys/stat.h>

#include "alias.h"
#include "local.h"

#define LOCAL_EXPAND_DEPTH_MAX 100	/* nested aliases, :include: and .forward files */
#define LOCAL_EXPAND_TARGETS_MAX 1000	/* targets handled for one recipient */
#define LOCAL_TARGET_FILE_MAX (1 << 20)	/* a .forward or :include: file */

/* Where a target came from, for allow_mail_to_commands/files. */
enum local_source { LOCAL_FROM_ALIAS = 1, LOCAL_FROM_FORWARD = 2, LOCAL_FROM_INCLUDE = 4 };

/* Who runs a command or owns a file target, and why it may. */
typedef struct local_privs {
	uid_t uid;
	gid_t gid;
	const char *home;
	enum local_source source;
} local_privs_t;

/* A list of strings, each once. */
typedef struct local_names {
	char **items;
	size_t count;
} local_names_t;

typedef struct local_expand {
	const local_ctx_t *ctx;
	const local_msg_t *msg;
	const char *rcpt;		/* the recipient being delivered */
	const char *domain;		/* its domain (folded) */
	const char *sender;		/* of forwarded copies */
	char *owner_sender;		/* owner-NAME@domain when that alias exists */
	local_names_t forward;		/* addresses to send the message on to */
	local_names_t done;		/* names delivered or expanded (the dup filter) */
	local_names_t stack;		/* alias names being expanded now (loop check) */
	size_t targets;
	int depth;
	int have_status;
	local_status_t *st;		/* the worst result so far */
} local_expand_t;

/* local_expand.c */
/* 1 when name was already in names, else 0 and it is added. */
int local_names_add(local_names_t *names, const char *name);
int local_names_has(const local_names_t *names, const char *name);
void local_names_free(local_names_t *names);
/* Count one target's result into the recipient's. */
void local_expand_result(local_expand_t *ex, const local_status_t *st);
void local_expand_note(local_expand_t *ex, const char *dsn, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Deliver every target; self is the name whose mailbox "self" means. */
void local_expand_list(local_expand_t *ex, const alias_list_t *list, const local_privs_t *privs,
		       const char *self);
/* A local name (a local part, extension included): alias, .forward, mailbox. */
void local_expand_local(local_expand_t *ex, const char *local_part);
/* The mailbox of system user name, without aliases or .forward. */
void local_expand_mailbox(local_expand_t *ex, const char *user);

/* local_alias.c: 1 when alias_maps has the name (its targets delivered),
 * 0 when not, -1 when the result is already counted (lookup error). */
int local_alias(local_expand_t *ex, const char *local_part);
/* Does alias_maps have name? 1, 0, -1 on a lookup error. */
int local_alias_exists(const char *name);

/* local_dotforward.c: 1 when the user's .forward was used (its targets
 * delivered, or an error counted), 0 when the mailbox is meant. */
int local_dotforward(local_expand_t *ex, const struct passwd *pw, const char *extension);
/* Read a .forward or :include: file as uid/gid: 1 with its targets added
 * to list (st describes the file), 0 when it does not exist, -1 with the
 * result counted. */
int local_read_targets(local_expand_t *ex, const char *path, uid_t uid, gid_t gid,
		       alias_list_t *list, struct stat *st);

/* local_forward.c: write the collected addresses into a new queue file. */
void local_forward_flush(local_expand_t *ex);

/* local_privs.c: may local act for uid? Always when root; otherwise only
 * for the instance's own user. */
int local_privs_may_act_as(const local_ctx_t *ctx, uid_t uid);
/* Take uid/gid as effective ids (only when local is root); 0, or -1 with
 * errno (EPERM: not allowed to act for uid); local_privs_leave goes back. */
int local_privs_enter(const local_ctx_t *ctx, uid_t uid, gid_t gid);
void local_privs_leave(const local_ctx_t *ctx);
/* default_privs's uid and gid (what root-owned aliases run as); 0, or -1 (logged). */
int local_privs_default(uid_t *uid, gid_t *gid);
/* Who acts for a file owned by owner: default_privs when root owns it,
 * else the owner (home kept in home). 0, or -1 (logged). */
int local_privs_of_owner(uid_t owner, enum local_source source, local_privs_t *privs,
			 str_t *home);

#endif
