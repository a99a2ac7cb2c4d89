/*
 * admin_user: "pochta user", virtual mailbox users (see admin_user.h).
 *
 *   pochta [-c config_dir] user add ADDRESS
 *   pochta [-c config_dir] user passwd ADDRESS
 *   pochta [-c config_dir] user del ADDRESS [--remove-mail [--yes]]
 *   pochta [-c config_dir] user list
 *   pochta [-c config_dir] user check ADDRESS
 *
 * add makes the Maildir, stores the password and then adds the table
 * line, so that an address that fails half way is not yet a user; it
 * refuses an address the table has (exit 73). passwd changes the password
 * of an address in the table, or of a system user (user@ a domain of
 * mydestination), whose mail is in ~/Maildir. check tells whether a password is accepted
 * by the SASL database, as SMTP AUTH, POP3 and IMAP will ask it: exit 0
 * yes, 1 no. list prints the table's addresses, sorted, marking those
 * without a password. Passwords come from the terminal or from the first
 * line of stdin, never from argv. An address that is not a user is exit
 * 67 (EX_NOUSER); one that cannot be a user's is exit 65 (EX_DATAERR).
 *
 * The table is the first one in virtual_mailbox_maps; its text source is
 * edited, and for hash: and btree: its NAME.db rebuilt as "pochta map"
 * does. One "pochta user" runs at a time per instance (a lock on the
 * configuration directory). Running daemons notice the replaced table
 * file and restart (dict_changed), so no reload is needed.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "addr.h"
#include "admin_user.h"
#include "conf.h"
#include "mem.h"
#include "resolve.h"

typedef struct admin_vuser_sub {
	const char *name;
	int (*run)(int argc, char **argv);
} admin_vuser_sub_t;

/* Why arg cannot be a mailbox user's address, or NULL when it can be. */
static const char *admin_vuser_check(const char *arg, admin_vuser_t *user)
{
	const char *rest, *why = NULL;
	str_t quoted = STR_INIT;

	if (addr_parse_path(arg, ADDR_ALLOW_NOBRACKETS, &user->address, &rest, &why) < 0)
		return why;
	if (*rest)
		return "unexpected text after the address";
	addr_split(str_cstr(&user->address), &user->local, &user->domain);
	addr_quote(str_cstr(&user->address), &quoted);
	if (strcmp(str_cstr(&quoted), str_cstr(&user->address)) != 0)
		why = "a quoted local part cannot name a Maildir";
	else if (user->local.len == 0 || user->domain.len == 0)
		why = "expected user@domain";
	else if (user->domain.data[0] == '[')
		why = "an address literal is not a mail domain";
	else if (strchr(user->local.data, '/') || user->local.data[0] == '#')
		why = "the local part cannot start with # or contain /";
	str_free(&quoted);
	return why;
}

static void admin_vuser_fold(str_t *s)
{
	for (size_t i = 0; i < s->len; i++)
		s->data[i] = (char)tolower((unsigned char)s->data[i]);
}

void admin_vuser_parse(int argc, char **argv, admin_vuser_t *user)
{
	const char *why;

	if (argc - optind != 1)
		admin_usage(ADMIN_VUSER_SYNOPSIS);
	memset(user, 0, sizeof(*user));
	if ((why = admin_vuser_check(argv[optind], user)) != NULL) {
		admin_say("bad address \"%s\": %s", argv[optind], why);
		exit(ADMIN_EXIT_DATAERR);
	}
	admin_vuser_fold(&user->address);
	admin_vuser_fold(&user->local);
	admin_vuser_fold(&user->domain);
	str_printf(&user->mailbox, "%s/%s/", str_cstr(&user->domain), str_cstr(&user->local));
}

void admin_vuser_free(admin_vuser_t *user)
{
	str_free(&user->address);
	str_free(&user->local);
	str_free(&user->domain);
	str_free(&user->mailbox);
}

int admin_vuser_has_password(const char *local, const char *domain)
{
	str_t err = STR_INIT;
	int found = admin_sasl_exists(conf_str("sasldb_path"), local, domain, &err);

	if (found < 0)
		admin_fatal("%s: %s", conf_str("sasldb_path"), str_cstr(&err));
	str_free(&err);
	return found;
}

/* Store user's password and give the database the owner and mode init gives it. */
static void admin_vuser_setpass(admin_vuser_t *user, const char *password)
{
	const char *sasldb = conf_str("sasldb_path");
	admin_user_t owner = { 0 };
	str_t err = STR_INIT;

	if (admin_sasl_setpass(sasldb, str_cstr(&user->local), str_cstr(&user->domain), password,
			       &err) != 0)
		admin_fatal("%s: %s", sasldb, str_cstr(&err));
	if (geteuid() == 0 && !admin_user_lookup(conf_str("mail_owner"), &owner))
		admin_fatal("mail_owner %s is not a user", conf_str("mail_owner"));
	admin_sasl_protect(sasldb, geteuid() == 0 ? &owner : NULL);
	admin_user_free(&owner);
	str_free(&err);
}

/* No options: only the ADDRESS (so no password can be given in argv). */
static void admin_vuser_address_only(int argc, char **argv, admin_vuser_t *user)
{
	static const struct option none[] = { { NULL, 0, NULL, 0 } };

	if (getopt_long(argc, argv, "", none, NULL) != -1)
		admin_usage(ADMIN_VUSER_SYNOPSIS);
	admin_vuser_parse(argc, argv, user);
}

static int admin_vuser_add(int argc, char **argv)
{
	admin_vuser_t user;
	admin_vuser_table_t table;
	str_t password = STR_INIT;

	admin_vuser_address_only(argc, argv, &user);
	admin_vuser_table_find(&table);
	if (admin_vuser_table_lookup(&table, str_cstr(&user.address), NULL)) {
		admin_say("%s exists already in %s", str_cstr(&user.address), table.spec);
		exit(ADMIN_EXIT_CANTCREAT);
	}
	admin_password_read(1, &password);
	admin_vuser_maildir_create(&user);
	admin_vuser_setpass(&user, str_cstr(&password));
	admin_password_forget(&password);
	admin_vuser_table_add(&table, str_cstr(&user.address), str_cstr(&user.mailbox));
	admin_say("added %s, Maildir %s/%s", str_cstr(&user.address),
		  conf_str("virtual_mailbox_base"), str_cstr(&user.mailbox));
	admin_vuser_table_free(&table);
	admin_vuser_free(&user);
	return 0;
}

/* Is the address a system user's, in a domain of mydestination? */
static int admin_vuser_system(admin_vuser_t *user)
{
	resolve_result_t res;
	str_t err = STR_INIT;
	int system;

	if (resolve_init(&err) != 0)
		admin_fatal("%s", str_cstr(&err));
	resolve_result_init(&res);
	system = resolve_address(str_cstr(&user->address), &res) == 0 && res.cls == RESOLVE_LOCAL
		 && getpwnam(str_cstr(&res.mailbox)) != NULL;
	resolve_result_free(&res);
	resolve_close();
	str_free(&err);
	return system;
}

/* The user must be in the table or a system user (whose password POP3
 * and SMTP AUTH use); otherwise say so and exit EX_NOUSER. */
static void admin_vuser_known(admin_vuser_t *user)
{
	admin_vuser_table_t table;
	int found;

	admin_vuser_table_find(&table);
	found = admin_vuser_table_lookup(&table, str_cstr(&user->address), NULL);
	admin_vuser_table_free(&table);
	if (!found && !admin_vuser_system(user)) {
		admin_say("%s: no such user", str_cstr(&user->address));
		exit(ADMIN_EXIT_NOUSER);
	}
}

static int admin_vuser_passwd(int argc, char **argv)
{
	admin_vuser_t user;
	str_t password = STR_INIT;

	admin_vuser_address_only(argc, argv, &user);
	admin_vuser_known(&user);
	admin_password_read(1, &password);
	admin_vuser_setpass(&user, str_cstr(&password));
	admin_password_forget(&password);
	admin_say("changed the password of %s", str_cstr(&user.address));
	admin_vuser_free(&user);
	return 0;
}

static int admin_vuser_check_cmd(int argc, char **argv)
{
	admin_vuser_t user;
	str_t password = STR_INIT;
	str_t err = STR_INIT;
	int ok;

	admin_vuser_address_only(argc, argv, &user);
	if (!admin_vuser_has_password(str_cstr(&user.local), str_cstr(&user.domain))) {
		admin_say("%s: no such user in %s", str_cstr(&user.address), conf_str("sasldb_path"));
		exit(ADMIN_EXIT_NOUSER);
	}
	admin_password_read(0, &password);
	ok = admin_sasl_checkpass(conf_str("sasldb_path"), str_cstr(&user.local),
				  str_cstr(&user.domain), str_cstr(&password), &err);
	admin_password_forget(&password);
	if (ok < 0)
		admin_fatal("%s: %s", conf_str("sasldb_path"), str_cstr(&err));
	admin_say("%s: password %s", str_cstr(&user.address), ok ? "accepted" : "refused");
	str_free(&err);
	admin_vuser_free(&user);
	return ok ? 0 : 1;
}

static int admin_vuser_list(int argc, char **argv)
{
	admin_vuser_table_t table;
	size_t count;
	char **addresses;
	str_t local = STR_INIT;
	str_t domain = STR_INIT;

	if (getopt(argc, argv, "") != -1 || optind != argc)
		admin_usage(ADMIN_VUSER_SYNOPSIS);
	admin_vuser_table_find(&table);
	addresses = admin_vuser_table_addresses(&table, &count);
	for (size_t i = 0; i < count; i++) {
		addr_split(addresses[i], &local, &domain);
		printf("%s%s\n", addresses[i],
		       admin_vuser_has_password(str_cstr(&local), str_cstr(&domain))
		       ? "" : " (no password)");
		mem_free(addresses[i]);
	}
	mem_free(addresses);
	str_free(&local);
	str_free(&domain);
	admin_vuser_table_free(&table);
	return fflush(stdout) == 0 ? 0 : 1;
}

static const admin_vuser_sub_t admin_vuser_subs[] = {
	{ "add", admin_vuser_add },
	{ "passwd", admin_vuser_passwd },
	{ "del", admin_vuser_del },
	{ "list", admin_vuser_list },
	{ "check", admin_vuser_check_cmd },
	{ NULL, NULL },
};

/* Held until the command exits: one "pochta user" at a time per instance. */
static void admin_vuser_lock(const char *config_dir)
{
	int fd = open(config_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || flock(fd, LOCK_EX) != 0)
		admin_fatal("lock %s: %s", config_dir, strerror(errno));
}

int admin_user_cmd(int argc, char **argv, const char *config_dir)
{
	const admin_vuser_sub_t *sub;

	if (argc < 2)
		admin_usage(ADMIN_VUSER_SYNOPSIS);
	for (sub = admin_vuser_subs; sub->name; sub++)
		if (strcmp(sub->name, argv[1]) == 0)
			break;
	if (sub->name == NULL)
		admin_usage(ADMIN_VUSER_SYNOPSIS);
	admin_conf_load(config_dir);
	admin_vuser_lock(config_dir);
	optind = 0;		/* glibc: getopt afresh for the user subcommand */
	return sub->run(argc - 1, argv + 1);
}
