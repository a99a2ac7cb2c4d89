/*
 * test_log: the mail log line format, its targets, truncation, and the
 * exit behaviour of fatal and panic.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"

#define TEST_LOG_READ_MAX (1 << 20)
#define TEST_LOG_WRITERS 4
#define TEST_LOG_LINES 200

static char test_log_path[64];
static char test_log_text[TEST_LOG_READ_MAX];

static void test_log_setup(void)
{
	int fd;

	snprintf(test_log_path, sizeof(test_log_path), "/tmp/pochta-test-log-XXXXXX");
	fd = mkstemp(test_log_path);
	ck_assert_int_ge(fd, 0);
	close(fd);
}

static void test_log_teardown(void)
{
	unlink(test_log_path);
}

static const char *test_log_contents(void)
{
	int fd = open(test_log_path, O_RDONLY);
	size_t len = 0;
	ssize_t n;

	ck_assert_int_ge(fd, 0);
	while ((n = read(fd, test_log_text + len, sizeof(test_log_text) - 1 - len)) > 0)
		len += (size_t)n;
	ck_assert_int_eq(n, 0);
	test_log_text[len] = 0;
	close(fd);
	return test_log_text;
}

/* "Mmm dd hh:mm:ss HOST TAG[PID]: TEXT\n", the whole buffer. */
static void test_assert_line(const char *text, const char *tag, const char *message)
{
	char host[256] = "";
	char pattern[1024];
	char escaped[512];
	size_t j = 0;
	regex_t re;

	gethostname(host, sizeof(host) - 1);
	for (const char *p = message; *p && j < sizeof(escaped) - 3; p++) {
		if (strchr(".[]()*+?^$\\|{}", *p))
			escaped[j++] = '\\';
		escaped[j++] = *p;
	}
	escaped[j] = 0;
	snprintf(pattern, sizeof(pattern),
		 "^(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ 123][0-9] "
		 "[0-2][0-9]:[0-5][0-9]:[0-6][0-9] %s %s\\[%ld\\]: %s\n$",
		 host, tag, (long)getpid(), escaped);
	ck_assert_int_eq(regcomp(&re, pattern, REG_EXTENDED), 0);
	ck_assert_msg(regexec(&re, text, 0, NULL, 0) == 0, "line \"%s\" does not match \"%s\"", text, pattern);
	regfree(&re);
}

START_TEST(test_line_format_before_init)
{
	ck_assert_int_eq(log_open_file(test_log_path), 0);
	log_info("starting");
	test_assert_line(test_log_contents(), "pochta", "starting");
}
END_TEST

START_TEST(test_line_format_with_name)
{
	log_init("smtpd");
	ck_assert_int_eq(log_open_file(test_log_path), 0);
	log_info("1A2B3C: client=localhost[127.0.0.1], %d", 7);
	test_assert_line(test_log_contents(), "pochta/smtpd", "1A2B3C: client=localhost[127.0.0.1], 7");
}
END_TEST

START_TEST(test_syslog_name)
{
	log_init("qmgr");
	log_set_syslog_name("pochta-out");
	ck_assert_int_eq(log_open_file(test_log_path), 0);
	log_warning("slow");
	test_assert_line(test_log_contents(), "pochta-out/qmgr", "warning: slow");
}
END_TEST

START_TEST(test_severity_prefixes)
{
	ck_assert_int_eq(log_open_file(test_log_path), 0);
	log_warning("w");
	log_error("e");
	ck_assert_ptr_nonnull(strstr(test_log_contents(), "]: warning: w\n"));
	ck_assert_ptr_nonnull(strstr(test_log_text, "]: error: e\n"));
}
END_TEST

START_TEST(test_control_characters_cannot_forge_lines)
{
	ck_assert_int_eq(log_open_file(test_log_path), 0);
	log_info("reject: %s", "EHLO x\r\nFAKE: line\x7f");
	test_assert_line(test_log_contents(), "pochta", "reject: EHLO x??FAKE: line?");
}
END_TEST

START_TEST(test_long_message_truncated)
{
	static char big[3 * LOG_LINE_MAX];
	const char *text;

	memset(big, 'z', sizeof(big) - 1);
	ck_assert_int_eq(log_open_file(test_log_path), 0);
	log_info("%s", big);
	log_info("after");
	text = test_log_contents();
	ck_assert_ptr_nonnull(strchr(text, '\n'));
	ck_assert_uint_eq((size_t)(strchr(text, '\n') - text) + 1, LOG_LINE_MAX);
	ck_assert_ptr_nonnull(strstr(text, "]: after\n"));
}
END_TEST

START_TEST(test_errno_preserved)
{
	ck_assert_int_eq(log_open_file(test_log_path), 0);
	errno = EPIPE;
	log_info("x");
	ck_assert_int_eq(errno, EPIPE);
}
END_TEST

START_TEST(test_open_failure_keeps_target)
{
	ck_assert_int_eq(log_open_file(test_log_path), 0);
	ck_assert_int_eq(log_open_file("/nonexistent-dir/maillog"), -1);
	ck_assert_int_eq(errno, ENOENT);
	log_info("still here");
	test_assert_line(test_log_contents(), "pochta", "still here");
}
END_TEST

START_TEST(test_dev_stderr_means_fd_2)
{
	int fds[2];
	char buf[512];
	ssize_t n;

	ck_assert_int_eq(pipe(fds), 0);
	ck_assert_int_eq(dup2(fds[1], STDERR_FILENO), STDERR_FILENO);
	close(fds[1]);
	ck_assert_int_eq(log_open_file("/dev/stderr"), 0);
	log_info("to stderr");
	n = read(fds[0], buf, sizeof(buf) - 1);
	ck_assert_int_gt(n, 0);
	buf[n] = 0;
	test_assert_line(buf, "pochta", "to stderr");
}
END_TEST

START_TEST(test_processes_share_a_file)
{
	const char *text;
	int lines = 0;

	ck_assert_int_eq(log_open_file(test_log_path), 0);
	for (int w = 0; w < TEST_LOG_WRITERS; w++) {
		if (fork() == 0) {
			for (int i = 0; i < TEST_LOG_LINES; i++)
				log_info("writer %d line %03d", w, i);
			_exit(0);
		}
	}
	for (int w = 0; w < TEST_LOG_WRITERS; w++)
		ck_assert_int_gt(wait(NULL), 0);
	text = test_log_contents();
	for (const char *p = text; (p = strchr(p, '\n')) != NULL; p++)
		lines++;
	ck_assert_int_eq(lines, TEST_LOG_WRITERS * TEST_LOG_LINES);
	for (const char *line = text; *line; line = strchr(line, '\n') + 1)
		ck_assert_msg(strncmp(strstr(line, "]: ") + 3, "writer ", 7) == 0, "broken line");
}
END_TEST

/* Runs fn in a child that logs to the test file; returns its wait status. */
static int test_log_child(void (*fn)(void))
{
	pid_t pid = fork();
	int status;

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		log_init("local");
		if (log_open_file(test_log_path) != 0)
			_exit(3);
		fn();
		_exit(4);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	return status;
}

static void test_call_fatal(void)
{
	log_fatal("cannot open %s", "queue");
}

static void test_call_panic(void)
{
	log_panic("corrupt state %d", 3);
}

START_TEST(test_fatal_exits_1)
{
	int status = test_log_child(test_call_fatal);

	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 1);
	ck_assert_ptr_nonnull(strstr(test_log_contents(), " pochta/local["));
	ck_assert_ptr_nonnull(strstr(test_log_text, "]: fatal: cannot open queue\n"));
}
END_TEST

START_TEST(test_panic_aborts)
{
	int status = test_log_child(test_call_panic);

	ck_assert(WIFSIGNALED(status));
	ck_assert_int_eq(WTERMSIG(status), SIGABRT);
	ck_assert_ptr_nonnull(strstr(test_log_contents(), "]: panic: corrupt state 3\n"));
}
END_TEST

Suite *suite_log(void)
{
	Suite *suite = suite_create("log");
	TCase *tc = tcase_create("log");

	tcase_add_checked_fixture(tc, test_log_setup, test_log_teardown);
	tcase_add_test(tc, test_line_format_before_init);
	tcase_add_test(tc, test_line_format_with_name);
	tcase_add_test(tc, test_syslog_name);
	tcase_add_test(tc, test_severity_prefixes);
	tcase_add_test(tc, test_control_characters_cannot_forge_lines);
	tcase_add_test(tc, test_long_message_truncated);
	tcase_add_test(tc, test_errno_preserved);
	tcase_add_test(tc, test_open_failure_keeps_target);
	tcase_add_test(tc, test_dev_stderr_means_fd_2);
	tcase_add_test(tc, test_processes_share_a_file);
	tcase_add_test(tc, test_fatal_exits_1);
	tcase_add_test(tc, test_panic_aborts);
	suite_add_tcase(suite, tc);
	return suite;
}
