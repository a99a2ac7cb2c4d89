/*
 * usermsg: messages of the user commands on stderr (see usermsg.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "usermsg.h"

static const char *usermsg_prog = "pochta";

void usermsg_init(const char *prog)
{
	usermsg_prog = prog;
}

void usermsg_vsay(const char *prefix, const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: %s", usermsg_prog, prefix);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void usermsg_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	usermsg_vsay("warning: ", fmt, ap);
	va_end(ap);
}

_Noreturn void usermsg_fatal(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	usermsg_vsay("fatal: ", fmt, ap);
	va_end(ap);
	exit(status);
}
