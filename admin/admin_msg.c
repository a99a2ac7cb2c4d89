/*
 * admin_msg: what the pochta command tells the administrator.
 *
 * Messages go to stderr as "pochta: text" (usermsg.h), the way Postfix's
 * own administration command talks, so that scripts can tell them from the
 * data a subcommand prints on stdout (init's summary, later conf values).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "admin.h"
#include "usermsg.h"

void admin_say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	usermsg_vsay("", fmt, ap);
	va_end(ap);
}

_Noreturn void admin_fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	usermsg_vsay("fatal: ", fmt, ap);
	va_end(ap);
	exit(1);
}

_Noreturn void admin_usage(const char *synopsis)
{
	fprintf(stderr, "usage: %s [-c config_dir] %s\n", ADMIN_PROG, synopsis);
	exit(ADMIN_EXIT_USAGE);
}
