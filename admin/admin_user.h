/*
 * admin_user: the parts of "pochta user", which manages virtual mailbox
 * users (admin_user.c: the subcommands; admin_user_del.c: removal;
 * admin_user_table.c: the virtual_mailbox_maps source file;
 * admin_user_maildir.c: the Maildirs). Names start with admin_vuser_ to
 * keep them apart from the system users of admin_users.c.
 *
 * A virtual user user@domain is three things kept in step: the line
 * "user@domain domain/user/" in the virtual_mailbox_maps table (which
 * makes the address, and so its domain, ours), the entry "user" in realm
 * "domain" of the SASL database at sasldb_path (its password), and the
 * Maildir virtual_mailbox_base/domain/user/.
 */
#ifndef POCHTA_ADMIN_USER_H
#define POCHTA_ADMIN_USER_H

#include <stddef.h>

#include "admin.h"
#include "str.h"

#define ADMIN_VUSER_SYNOPSIS \
	"user {add|passwd|check} ADDRESS | user del ADDRESS [--remove-mail [--yes]] | user list"

/* One address as the command line named it, checked and folded to lower case. */
typedef struct admin_vuser {
	str_t address;		/* local@domain */
	str_t local;
	str_t domain;
	str_t mailbox;		/* its Maildir under virtual_mailbox_base: "domain/local/" */
} admin_vuser_t;

/* The table users are written to: the first table in virtual_mailbox_maps,
 * of a type with a text source (texthash:, hash:, btree:). */
typedef struct admin_vuser_table {
	char *spec;		/* "type:/path" */
	const char *path;	/* the text source, inside spec */
	int built;		/* hash:, btree: path.db is built from the source */
} admin_vuser_table_t;

/* admin_user.c */
/* Parse argv[optind] as the one ADDRESS argument (exit ADMIN_EXIT_DATAERR
 * when it cannot be a mailbox user's address). */
void admin_vuser_parse(int argc, char **argv, admin_vuser_t *user);
void admin_vuser_free(admin_vuser_t *user);
/* Does user have a password in the SASL database? (fatal on an error) */
int admin_vuser_has_password(const char *local, const char *domain);

/* admin_user_del.c */
int admin_vuser_del(int argc, char **argv);

/* admin_user_table.c */
/* The table users live in, or fatal. */
void admin_vuser_table_find(admin_vuser_table_t *table);
void admin_vuser_table_free(admin_vuser_table_t *table);
/* 1 and the mailbox (may be NULL) when the table has address, 0 when not. */
int admin_vuser_table_lookup(const admin_vuser_table_t *table, const char *address,
			     str_t *mailbox);
/* Append "address mailbox" (the caller made sure it is not there). */
void admin_vuser_table_add(const admin_vuser_table_t *table, const char *address,
			   const char *mailbox);
/* Remove every entry for address; how many there were. */
int admin_vuser_table_remove(const admin_vuser_table_t *table, const char *address);
/* The "user@domain" keys, sorted (caller frees each and the array). */
char **admin_vuser_table_addresses(const admin_vuser_table_t *table, size_t *count);

/* admin_user_maildir.c */
/* Make the Maildir (and its parents below virtual_mailbox_base), owned by
 * the mailbox owner from virtual_uid_maps/virtual_gid_maps when root. */
void admin_vuser_maildir_create(admin_vuser_t *user);
/* Messages in new/ and cur/ of mailbox (relative to virtual_mailbox_base). */
long admin_vuser_maildir_count(const char *mailbox);
/* Remove the Maildir and everything in it. */
void admin_vuser_maildir_remove(const char *mailbox);

#endif
