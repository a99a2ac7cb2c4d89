/*
 * admin_msg: what the pochta command tells the administrator.
 *
 * Messages go to stderr as "pochta: text", the way Postfix's own
 * administration command talks, so that scripts can tell them from the
 * data a subcommand prints on stdout (init's summary, later conf values).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "admin.h"

static void admin_vsay(const char *prefix, const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: %s", ADMIN_PROG, prefix);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void admin_say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	admin_vsay("", fmt, ap);
	va_end(ap);
}

_Noreturn void admin_fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	admin_vsay("fatal: ", fmt, ap);
	va_end(ap);
	exit(1);
}

_Noreturn void admin_usage(const char *synopsis)
{
	fprintf(stderr, "usage: %s [-c config_dir] %s\n", ADMIN_PROG, synopsis);
	exit(ADMIN_EXIT_USAGE);
}
