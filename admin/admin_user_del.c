/*
 * admin_user_del: "pochta user del ADDRESS [--remove-mail [--yes]]".
 *
 * Removes the address from the virtual_mailbox_maps table (so mail to it
 * is refused once the daemons read the table again) and its entry from
 * the SASL database. An address in either one is a user; in neither, the
 * answer is exit 67 (EX_NOUSER). The Maildir stays unless --remove-mail:
 * then, on a terminal, the administrator confirms after seeing how many
 * messages go with it; without a terminal, --yes must say so beforehand
 * (exit 64 otherwise), so that no script deletes mail by accident.
 * Everything is checked before anything is changed.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "admin_user.h"
#include "conf.h"

#define ADMIN_VUSER_ANSWER_MAX 64	/* the y/N answer line */

enum { ADMIN_VUSER_OPT_REMOVE_MAIL = 1, ADMIN_VUSER_OPT_YES };

typedef struct admin_vuser_del_opts {
	int remove_mail;
	int yes;
} admin_vuser_del_opts_t;

static void admin_vuser_del_args(int argc, char **argv, admin_vuser_del_opts_t *opts)
{
	static const struct option longopts[] = {
		{ "remove-mail", no_argument, NULL, ADMIN_VUSER_OPT_REMOVE_MAIL },
		{ "yes", no_argument, NULL, ADMIN_VUSER_OPT_YES },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (opt == ADMIN_VUSER_OPT_REMOVE_MAIL)
			opts->remove_mail = 1;
		else if (opt == ADMIN_VUSER_OPT_YES)
			opts->yes = 1;
		else
			admin_usage(ADMIN_VUSER_SYNOPSIS);
	}
}

/* May the mail go? --yes, or a "y" typed on the terminal. */
static int admin_vuser_confirm(const admin_vuser_del_opts_t *opts, long count,
			       const char *address)
{
	char answer[ADMIN_VUSER_ANSWER_MAX];

	if (opts->yes)
		return 1;
	if (!isatty(STDIN_FILENO)) {
		admin_say("--remove-mail without a terminal needs --yes: nothing was changed");
		exit(ADMIN_EXIT_USAGE);
	}
	fprintf(stderr, "remove %ld messages of %s? [y/N] ", count, address);
	fflush(stderr);
	if (fgets(answer, sizeof(answer), stdin) == NULL)
		return 0;
	return answer[0] == 'y' || answer[0] == 'Y';
}

static void admin_vuser_del_password(admin_vuser_t *user)
{
	str_t err = STR_INIT;

	if (admin_sasl_delete(conf_str("sasldb_path"), str_cstr(&user->local),
			      str_cstr(&user->domain), &err) != 0)
		admin_fatal("%s: %s", conf_str("sasldb_path"), str_cstr(&err));
	str_free(&err);
}

/* What del does once it may: the table line, then the password, then the mail. */
static void admin_vuser_del_all(admin_vuser_t *user, const admin_vuser_table_t *table,
				int in_table, const char *mailbox)
{
	if (in_table)
		admin_vuser_table_remove(table, str_cstr(&user->address));
	admin_vuser_del_password(user);
	if (mailbox) {
		admin_vuser_maildir_remove(mailbox);
		admin_say("removed %s and its mail", str_cstr(&user->address));
	} else {
		admin_say("removed %s; its Maildir %s stays in %s", str_cstr(&user->address),
			  str_cstr(&user->mailbox), conf_str("virtual_mailbox_base"));
	}
}

int admin_vuser_del(int argc, char **argv)
{
	admin_vuser_del_opts_t opts = { 0, 0 };
	admin_vuser_t user;
	admin_vuser_table_t table;
	int in_table, ret = 0;

	admin_vuser_del_args(argc, argv, &opts);
	admin_vuser_parse(argc, argv, &user);
	admin_vuser_table_find(&table);
	/* the table's mailbox path wins over the one add would have made */
	in_table = admin_vuser_table_lookup(&table, str_cstr(&user.address), &user.mailbox);
	if (!in_table && !admin_vuser_has_password(str_cstr(&user.local), str_cstr(&user.domain))) {
		admin_say("%s: no such user", str_cstr(&user.address));
		ret = ADMIN_EXIT_NOUSER;
	} else if (opts.remove_mail
		   && !admin_vuser_confirm(&opts, admin_vuser_maildir_count(str_cstr(&user.mailbox)),
					   str_cstr(&user.address))) {
		admin_say("nothing was changed");
		ret = 1;
	} else {
		admin_vuser_del_all(&user, &table, in_table,
				    opts.remove_mail ? str_cstr(&user.mailbox) : NULL);
	}
	admin_vuser_table_free(&table);
	admin_vuser_free(&user);
	return ret;
}
