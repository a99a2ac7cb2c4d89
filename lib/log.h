/*
 * log: the mail log, in Postfix's line format.
 *
 *   Nov 27 11:46:34 host pochta/smtpd[4242]: 1A2B3C4D5E6F7z89: client=...
 *
 * Messages about a queue file start with its queue ID. Output goes to
 * syslog (facility mail), to maillog_file (one write(2) per line, O_APPEND,
 * so many processes can share it), or to stderr in the foreground.
 * log_fatal exits with status 1; log_panic aborts.
 */
#ifndef POCHTA_LOG_H
#define POCHTA_LOG_H

#define LOG_LINE_MAX 4096	/* longer messages are truncated */

/* name is the program's part after the syslog name: "smtpd" -> "pochta/smtpd" */
void log_init(const char *name);
void log_set_syslog_name(const char *syslog_name);	/* default "pochta" */
int log_open_file(const char *path);	/* -1 with errno; keeps the old target */
void log_to_stderr(void);
void log_to_syslog(void);

void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void log_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void log_panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
