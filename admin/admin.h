/*
 * admin: what the parts of the `pochta` command share.
 *
 * pochta.c parses the global options and calls one ADMIN_CMD function per
 * subcommand (admin_init.c, admin_control.c, ...). Each returns the exit
 * status. The other declarations are the helpers those subcommands share:
 * messages to the administrator, files and directories created with an
 * owner and mode, system users, the self-signed certificate, the SASL
 * user database, passwords, and the master pid file.
 */
#ifndef POCHTA_ADMIN_H
#define POCHTA_ADMIN_H

#include <sys/types.h>

#include "str.h"

#define ADMIN_PROG "pochta"
#define ADMIN_EXIT_USAGE 64		/* EX_USAGE */
#define ADMIN_EXIT_DATAERR 65		/* EX_DATAERR: bad input (address, password) */
#define ADMIN_EXIT_NOUSER 67		/* EX_NOUSER: no such mailbox user */
#define ADMIN_EXIT_CANTCREAT 73		/* EX_CANTCREAT: the user exists already */
#define ADMIN_MASTER_PROG "master"	/* in daemon_directory */

/* Subcommands: argv[0] is the subcommand name; config_dir is absolute. */
int admin_init_cmd(int argc, char **argv, const char *config_dir);
int admin_start_cmd(int argc, char **argv, const char *config_dir);
int admin_stop_cmd(int argc, char **argv, const char *config_dir);
int admin_reload_cmd(int argc, char **argv, const char *config_dir);
int admin_status_cmd(int argc, char **argv, const char *config_dir);
int admin_check_cmd(int argc, char **argv, const char *config_dir);
int admin_conf_cmd(int argc, char **argv, const char *config_dir);
int admin_queue_cmd(int argc, char **argv, const char *config_dir);
int admin_log_cmd(int argc, char **argv, const char *config_dir);
int admin_user_cmd(int argc, char **argv, const char *config_dir);
int admin_map_cmd(int argc, char **argv, const char *config_dir);
int admin_alias_cmd(int argc, char **argv, const char *config_dir);
int admin_newaliases_cmd(int argc, char **argv, const char *config_dir);

/* Parts of "pochta conf": edit main.cf (name=value pairs, or names to
 * remove), show master.cf services. Each returns the exit status. */
int admin_conf_edit(char **args, int count, int remove, const char *config_dir);
int admin_conf_master(char **selectors, int count, const char *config_dir);

/* Load config_dir/main.cf, then apply the command line's -o overrides;
 * fatal with the parser's reason when it fails. */
void admin_conf_load(const char *config_dir);
/* Apply the -o overrides alone (after a conf_load of one's own). */
void admin_conf_overrides(void);

/* main.cf as written (admin_maincf.c): its definitions in file order,
 * values unexpanded; the last one of a name is the one in force. */
typedef struct admin_def {
	char *name;
	char *value;
	int line;
} admin_def_t;

typedef struct admin_defs {
	admin_def_t *defs;
	size_t count;
} admin_defs_t;

void admin_maincf_path(const char *config_dir, str_t *path);
/* 0, or -1 with "file:line: reason" in err. */
int admin_maincf_read(const char *path, admin_defs_t *defs, str_t *err);
/* The definition in force for name, or NULL. */
const admin_def_t *admin_maincf_find(const admin_defs_t *defs, const char *name);
void admin_maincf_free(admin_defs_t *defs);

/* Messages: "pochta: text" on stderr. admin_fatal adds "fatal: " and exits 1;
 * admin_usage prints "usage: pochta ..." and exits ADMIN_EXIT_USAGE. */
void admin_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void admin_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void admin_usage(const char *synopsis);

/* Files. Owners apply only when uid != (uid_t)-1 (that is, when root). */
#define ADMIN_NO_OWNER ((uid_t)-1)
void admin_mkdir(const char *path, mode_t mode, uid_t uid, gid_t gid);
/* Create path with that owner and mode only if it is missing; an existing
 * directory keeps its owner and mode. */
void admin_mkdir_missing(const char *path, mode_t mode, uid_t uid, gid_t gid);
void admin_mkdir_parents(const char *path, mode_t mode);
/* Create path (it must not exist), write text, fsync; fatal on error. */
void admin_write_file(const char *path, const char *text, mode_t mode, uid_t uid, gid_t gid);
/* Set the owner (when not ADMIN_NO_OWNER) and mode of an existing file. */
void admin_set_mode(const char *path, mode_t mode, uid_t uid, gid_t gid);
/* Replace path with text atomically (temporary file, fsync, rename, fsync
 * of the directory), keeping its mode and, when root, its owner; a path
 * that does not exist yet gets mode. Readers see the old or the new whole. */
void admin_replace_file(const char *path, const char *text, mode_t mode);
int admin_exists(const char *path);

/* System users. */
typedef struct admin_user {
	char *name;
	uid_t uid;
	gid_t gid;
} admin_user_t;

/* Look the user up: 1 found (user filled in), 0 no such user. */
int admin_user_lookup(const char *name, admin_user_t *user);
/* Look the user up; when missing, create it as a system user (root only). */
void admin_user_ensure(const char *name, admin_user_t *user);
/* The same for a system group (root only). */
void admin_group_ensure(const char *name);
/* The user running this command. */
void admin_user_self(admin_user_t *user);
void admin_user_free(admin_user_t *user);

/* Self-signed certificate for CN/SAN localhost, key mode 0600. */
void admin_tls_selfsigned(const char *cert_path, const char *key_path, uid_t uid, gid_t gid);

/* The SASL user database at sasldb_path: user is the local part, realm the
 * domain. Set a password (creating the user when missing) or remove the
 * user (one that is not there is no error): 0, or -1 with a message in
 * err. Look a user up: 1 there, 0 not. Check a password: 1 accepted, 0
 * refused (wrong password or no such user). Both -1 on an error (err). */
int admin_sasl_setpass(const char *sasldb_path, const char *user, const char *realm,
		       const char *password, str_t *err);
int admin_sasl_delete(const char *sasldb_path, const char *user, const char *realm, str_t *err);
int admin_sasl_exists(const char *sasldb_path, const char *user, const char *realm, str_t *err);
int admin_sasl_checkpass(const char *sasldb_path, const char *user, const char *realm,
			 const char *password, str_t *err);
/* The database's owner and mode: reader NULL, private to the user running
 * the instance (0600); otherwise root's, readable by reader's group
 * (mail_owner's, 0640), since the daemons read it after dropping root. */
void admin_sasl_protect(const char *sasldb_path, const admin_user_t *reader);

/* A random password of ADMIN_PASSWORD_LEN characters from a safe alphabet. */
#define ADMIN_PASSWORD_LEN 16
void admin_password_random(char out[ADMIN_PASSWORD_LEN + 1]);
/* A password typed by the administrator: on a terminal, prompted for
 * without echo (twice when confirm, and both must match); otherwise the
 * first line of stdin, so that it never appears in argv. An empty,
 * too long or mismatched password is fatal with ADMIN_EXIT_DATAERR. */
#define ADMIN_PASSWORD_MAX 1024		/* bytes */
void admin_password_read(int confirm, str_t *password);
/* Overwrite a password in memory, then free it. */
void admin_password_forget(str_t *password);

/* The master pid file under queue_directory: the pid of a live master, or 0
 * when there is none (no file, unreadable, or the process is gone). */
pid_t admin_master_pid(const char *queue_directory);

#endif
