/*
 * usermsg: what the commands that users run (sendmail, postdrop, pochta)
 * tell them: "sendmail: text" and "sendmail: fatal: text" on stderr, as
 * Postfix's commands talk, with a sysexits.h exit status for fatal ones,
 * which is what the programs that call sendmail look at.
 */
#ifndef POCHTA_USERMSG_H
#define POCHTA_USERMSG_H

#include <stdarg.h>

/* The program name in front of every message. */
void usermsg_init(const char *prog);
/* "prog: " prefix text, on stderr */
void usermsg_vsay(const char *prefix, const char *fmt, va_list ap);
void usermsg_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void usermsg_fatal(int status, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
