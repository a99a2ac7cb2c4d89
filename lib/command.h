/*
 * command: the pure parts of delivering mail to an external command, as
 * Postfix's local(8) does it.
 *
 * A command line with only plain characters (letters, digits, white space
 * and !@%-_=+:,./) is split at white space into an argument vector and
 * executed directly; anything else (quotes, $, ;, |, redirections ...) goes
 * to /bin/sh -c, because the administrator wrote a shell command line.
 * Envelope data never becomes part of the command line: it reaches the
 * command only through the environment and standard input.
 *
 * The exit status follows <sysexits.h>: EX_TEMPFAIL and EX_OSERR mean
 * "try again later" (4.x.x), the other codes 64..78 have their own
 * permanent status (EX_NOUSER 5.1.1, EX_NOPERM 5.7.0, ...), and any other
 * non-zero status is a permanent 5.3.0. A command whose output starts
 * with an RFC 3463 status ("5.2.2 text") chooses its own status.
 */
#ifndef POCHTA_COMMAND_H
#define POCHTA_COMMAND_H

#include <stddef.h>

#define COMMAND_SHELL "/bin/sh"
#define COMMAND_PATH "/usr/bin:/bin"	/* PATH of every command */
#define COMMAND_ARGS_MAX 256		/* words of a command run without a shell */
#define COMMAND_DSN_MAX 16

/* 1 when the command line needs /bin/sh -c (or is blank), else 0. */
int command_needs_shell(const char *command);
/* Split a command line without shell characters at spaces and tabs into
 * a NULL-terminated vector (free with command_free_argv); NULL when it has
 * no words or more than COMMAND_ARGS_MAX. */
char **command_split(const char *command);
void command_free_argv(char **argv);

/* The status and text for an exit status that is not 0. */
typedef struct command_exit {
	const char *dsn;	/* "4.3.0", "5.1.1", ... */
	const char *text;	/* "temporary failure", ... or NULL when not a sysexits code */
} command_exit_t;

command_exit_t command_exit_status(int status);

/* When text starts with "D.S.N " (class 2, 4 or 5) copy the code into dsn
 * and return a pointer to the text after it; else NULL. */
const char *command_output_dsn(const char *text, char dsn[COMMAND_DSN_MAX]);

/* One "NAME=value" string per variable: the caller builds the vector. */
char *command_env_entry(const char *name, const char *value);

#endif
