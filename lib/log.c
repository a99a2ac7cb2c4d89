/*
 * log: the mail log in Postfix's line format (see log.h).
 *
 *   Nov  7 09:05:01 HOST SYSLOGNAME/NAME[PID]: text
 *
 * A line is built in a stack buffer and written with one write(2), so
 * processes sharing maillog_file (O_APPEND) never interleave inside a line,
 * and logging never allocates: mem.c reports out-of-memory through here.
 * Control characters in the text become '?' so that client input cannot
 * forge extra log lines.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define LOG_NAME_MAX 128	/* syslog name, program name, or both */
#define LOG_HOST_MAX 256
#define LOG_STAMP_MAX 32	/* "Mmm dd hh:mm:ss" */
#define LOG_FILE_MODE 0644

enum log_target { LOG_TARGET_STDERR, LOG_TARGET_SYSLOG, LOG_TARGET_FILE };

enum log_level { LOG_LEVEL_INFO, LOG_LEVEL_WARNING, LOG_LEVEL_ERROR, LOG_LEVEL_FATAL, LOG_LEVEL_PANIC };

static const struct log_level_info {
	const char *prefix;
	int priority;
} log_levels[] = {
	[LOG_LEVEL_INFO] = { "", LOG_INFO },
	[LOG_LEVEL_WARNING] = { "warning: ", LOG_WARNING },
	[LOG_LEVEL_ERROR] = { "error: ", LOG_ERR },
	[LOG_LEVEL_FATAL] = { "fatal: ", LOG_CRIT },
	[LOG_LEVEL_PANIC] = { "panic: ", LOG_CRIT },
};

static char log_syslog_name[LOG_NAME_MAX] = "pochta";
static char log_prog_name[LOG_NAME_MAX];	/* empty before log_init */
static char log_tag[2 * LOG_NAME_MAX];		/* "pochta/smtpd"; also the openlog ident */
static char log_hostname[LOG_HOST_MAX];
static enum log_target log_target = LOG_TARGET_STDERR;
static int log_file_fd = -1;			/* LOG_TARGET_FILE only */
static int log_dying;				/* fatal or panic in progress */

static void log_make_tag(void)
{
	if (log_prog_name[0])
		snprintf(log_tag, sizeof(log_tag), "%s/%s", log_syslog_name, log_prog_name);
	else
		snprintf(log_tag, sizeof(log_tag), "%s", log_syslog_name);
}

/* openlog keeps the ident pointer, so it must be log_tag itself. */
static void log_reopen_syslog(void)
{
	closelog();
	openlog(log_tag, LOG_PID | LOG_NDELAY, LOG_MAIL);
}

static void log_names_changed(void)
{
	log_make_tag();
	if (log_target == LOG_TARGET_SYSLOG)
		log_reopen_syslog();
}

void log_init(const char *name)
{
	snprintf(log_prog_name, sizeof(log_prog_name), "%s", name);
	log_names_changed();
}

void log_set_syslog_name(const char *syslog_name)
{
	snprintf(log_syslog_name, sizeof(log_syslog_name), "%s", syslog_name);
	log_names_changed();
}

static void log_close_file(void)
{
	if (log_file_fd > STDERR_FILENO)
		close(log_file_fd);
	log_file_fd = -1;
}

static void log_leave_syslog(void)
{
	if (log_target == LOG_TARGET_SYSLOG)
		closelog();
}

int log_open_file(const char *path)
{
	int fd = STDERR_FILENO;

	if (strcmp(path, "/dev/stderr") != 0) {
		fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, LOG_FILE_MODE);
		if (fd < 0)
			return -1;
	}
	log_leave_syslog();
	log_close_file();
	log_file_fd = fd;
	log_target = LOG_TARGET_FILE;
	return 0;
}

void log_to_stderr(void)
{
	log_leave_syslog();
	log_close_file();
	log_target = LOG_TARGET_STDERR;
}

void log_to_syslog(void)
{
	log_close_file();
	log_make_tag();
	log_reopen_syslog();
	log_target = LOG_TARGET_SYSLOG;
}

static const char *log_host(void)
{
	if (log_hostname[0] == 0) {
		if (gethostname(log_hostname, sizeof(log_hostname) - 1) != 0)
			snprintf(log_hostname, sizeof(log_hostname), "localhost");
		log_hostname[sizeof(log_hostname) - 1] = 0;
	}
	return log_hostname;
}

/* Appends to buf at *len, keeping it NUL-terminated within size; cuts what does not fit. */
static void log_vappend(char *buf, size_t size, size_t *len, const char *fmt, va_list ap)
{
	size_t room = size - *len;
	int n;

	if (room <= 1)
		return;
	n = vsnprintf(buf + *len, room, fmt, ap);
	if (n > 0)
		*len += (size_t)n < room ? (size_t)n : room - 1;
}

static void log_append(char *buf, size_t size, size_t *len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void log_append(char *buf, size_t size, size_t *len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vappend(buf, size, len, fmt, ap);
	va_end(ap);
}

static void log_sanitize(char *text, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];

		if (c < 0x20 || c == 0x7f)
			text[i] = '?';
	}
}

/* "Mmm dd hh:mm:ss HOST TAG[PID]: " */
static size_t log_line_prefix(char *buf, size_t size)
{
	char stamp[LOG_STAMP_MAX];
	time_t now = time(NULL);
	struct tm tm;
	size_t len = 0;

	if (localtime_r(&now, &tm) == NULL || strftime(stamp, sizeof(stamp), "%b %e %H:%M:%S", &tm) == 0)
		snprintf(stamp, sizeof(stamp), "??? ?? ??:??:??");
	log_append(buf, size, &len, "%s %s %s[%ld]: ", stamp, log_host(), log_tag, (long)getpid());
	return len;
}

static void log_write_all(int fd, const char *buf, size_t len)
{
	while (write(fd, buf, len) < 0 && errno == EINTR)
		continue;
}

/* The line, with its "\n", is at most LOG_LINE_MAX bytes. */
static void log_emit(enum log_level level, const char *fmt, va_list ap)
{
	char line[LOG_LINE_MAX];
	size_t len = 0;
	size_t text;
	int saved_errno = errno;

	if (log_tag[0] == 0)
		log_make_tag();
	if (log_target != LOG_TARGET_SYSLOG)
		len = log_line_prefix(line, sizeof(line));
	text = len;
	log_append(line, sizeof(line), &len, "%s", log_levels[level].prefix);
	log_vappend(line, sizeof(line), &len, fmt, ap);
	log_sanitize(line + text, len - text);
	if (log_target == LOG_TARGET_SYSLOG) {
		syslog(log_levels[level].priority, "%s", line);
	} else {
		line[len++] = '\n';
		log_write_all(log_target == LOG_TARGET_FILE ? log_file_fd : STDERR_FILENO, line, len);
	}
	errno = saved_errno;
}

void log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_LEVEL_INFO, fmt, ap);
	va_end(ap);
}

void log_warning(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_LEVEL_WARNING, fmt, ap);
	va_end(ap);
}

void log_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_LEVEL_ERROR, fmt, ap);
	va_end(ap);
}

/* A second fatal error while dying (e.g. from an exit handler) must not loop. */
static void log_enter_dying(void)
{
	if (log_dying)
		_exit(1);
	log_dying = 1;
}

_Noreturn void log_fatal(const char *fmt, ...)
{
	va_list ap;

	log_enter_dying();
	va_start(ap, fmt);
	log_emit(LOG_LEVEL_FATAL, fmt, ap);
	va_end(ap);
	exit(1);
}

_Noreturn void log_panic(const char *fmt, ...)
{
	va_list ap;

	log_enter_dying();
	va_start(ap, fmt);
	log_emit(LOG_LEVEL_PANIC, fmt, ap);
	va_end(ap);
	abort();
}
