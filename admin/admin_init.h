/*
 * admin_init: the parts of "pochta init" (admin_init.c) that write the
 * new instance's configuration (admin_initconf.c) and its demo mailbox
 * user (admin_demo.c).
 */
#ifndef POCHTA_ADMIN_INIT_H
#define POCHTA_ADMIN_INIT_H

#include "admin.h"
#include "str.h"

#define ADMIN_PORT_OFFSET_DEFAULT 2000
#define ADMIN_PORT_HIGHEST 995		/* the highest standard port (pop3s) */
#define ADMIN_PORT_OFFSET_MAX (65535 - ADMIN_PORT_HIGHEST)
#define ADMIN_PORT_SMTP 25

#define ADMIN_MAIL_OWNER "pochta"	/* runs the daemons (root instances) */
#define ADMIN_VMAIL_USER "pochta-vmail"	/* owns the virtual mailboxes */
#define ADMIN_DROP_GROUP "pochta-drop"	/* setgid_group: the drop helper's */
#define ADMIN_DEMO_USER "demo"
#define ADMIN_DEMO_DOMAIN "localhost"

typedef struct admin_instance {
	char *dir;		/* absolute instance directory */
	long port_offset;
	int root;		/* privilege-separated: run as root */
	admin_user_t owner;	/* mail_owner */
	admin_user_t vmail;	/* owner of DIR/mail */
	char *daemon_dir;	/* where master and the daemons are */
} admin_instance_t;

/* "DIR/rel" into path (reset first). */
void admin_inst_path(const admin_instance_t *inst, const char *rel, str_t *path);
/* A directory or new file under DIR. user is the owner when running as
 * root (NULL: root itself); a non-root instance keeps the caller's ids. */
void admin_inst_mkdir(const admin_instance_t *inst, const char *rel, mode_t mode,
		      const admin_user_t *user);
void admin_inst_write(const admin_instance_t *inst, const char *rel, const char *text,
		      mode_t mode, const admin_user_t *user);

void admin_initconf_main_cf(const admin_instance_t *inst, str_t *text);
void admin_initconf_master_cf(const admin_instance_t *inst, str_t *text);
void admin_initconf_vmailbox(str_t *text);
/* Write DIR/etc/aliases and build its .db (alias_maps of the instance). */
void admin_initconf_aliases(const admin_instance_t *inst, mode_t mode);

/* The demo user's Maildir, password file and sasldb entry; the password
 * is returned in password. */
void admin_demo_create(const admin_instance_t *inst, char password[ADMIN_PASSWORD_LEN + 1]);

#endif
