/*
 * test_conf: main.cf syntax (comments, continuation, later definitions
 * win), $name expansion and its loops, typed values with units and
 * bounds, overrides, computed defaults, and master.cf services with their
 * error messages.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"

#define TEST_CONF_PATH_MAX 256
#define TEST_CONF_LOG_MAX 65536

static char test_conf_dir[TEST_CONF_PATH_MAX];
static char test_conf_log[TEST_CONF_PATH_MAX + 16];
static char test_conf_log_text[TEST_CONF_LOG_MAX];

static void test_conf_setup(void)
{
	snprintf(test_conf_dir, sizeof(test_conf_dir), "/tmp/pochta-test-conf-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(test_conf_dir));
	snprintf(test_conf_log, sizeof(test_conf_log), "%s/log", test_conf_dir);
	ck_assert_int_eq(log_open_file(test_conf_log), 0);
}

static void test_conf_teardown(void)
{
	char path[TEST_CONF_PATH_MAX + 16];

	conf_unload();
	log_to_stderr();
	snprintf(path, sizeof(path), "%s/main.cf", test_conf_dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/master.cf", test_conf_dir);
	unlink(path);
	unlink(test_conf_log);
	rmdir(test_conf_dir);
}

static void test_conf_write(const char *name, const char *text)
{
	char path[TEST_CONF_PATH_MAX + 16];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", test_conf_dir, name);
	fp = fopen(path, "w");
	ck_assert_ptr_nonnull(fp);
	fputs(text, fp);
	ck_assert_int_eq(fclose(fp), 0);
}

static const char *test_conf_log_read(void)
{
	FILE *fp = fopen(test_conf_log, "r");
	size_t n;

	ck_assert_ptr_nonnull(fp);
	n = fread(test_conf_log_text, 1, sizeof(test_conf_log_text) - 1, fp);
	test_conf_log_text[n] = 0;
	fclose(fp);
	return test_conf_log_text;
}

/* Load main.cf text; expect success. */
static void test_conf_load_ok(const char *text)
{
	str_t err = STR_INIT;

	test_conf_write("main.cf", text);
	ck_assert_msg(conf_load(test_conf_dir, &err) == 0, "conf_load: %s", str_cstr(&err));
	str_free(&err);
}

/* Load main.cf text; expect failure with message containing want. */
static void test_conf_load_bad(const char *text, const char *want)
{
	str_t err = STR_INIT;

	test_conf_write("main.cf", text);
	ck_assert_int_eq(conf_load(test_conf_dir, &err), -1);
	ck_assert_msg(strstr(str_cstr(&err), want) != NULL, "error \"%s\" lacks \"%s\"",
		      str_cstr(&err), want);
	str_free(&err);
}

/* Run fn in a child; return its exit status (-1 if it did not exit). */
static int test_conf_child(void (*fn)(void))
{
	int status;
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		fn();
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* A reload with a bad main.cf keeps what was in force, overrides too. */
START_TEST(test_failed_load_keeps_previous)
{
	test_conf_load_ok("smtpd_timeout = 42s\nmyhostname = mx.example\n");
	conf_set("smtpd_banner", "kept");
	test_conf_load_bad("smtpd_timeout = soon\n", "smtpd_timeout");
	ck_assert_int_eq(conf_time("smtpd_timeout"), 42);
	ck_assert_str_eq(conf_str("myhostname"), "mx.example");
	ck_assert_str_eq(conf_str("smtpd_banner"), "kept");
	test_conf_load_ok("smtpd_timeout = 7\n");
	ck_assert_int_eq(conf_time("smtpd_timeout"), 7);
	ck_assert_str_ne(conf_str("smtpd_banner"), "kept");
	conf_unload();
}
END_TEST

START_TEST(test_syntax)
{
	test_conf_load_ok("# a comment\n"
			  "   # an indented comment\n"
			  "\n"
			  "myhostname=mail.example.com\n"
			  "mydestination = a.example,\n"
			  "    b.example,\n"
			  "# comment inside a continuation\n"
			  "\tc.example   \n"
			  "mail_name = First\n"
			  "mail_name =   Second # not a comment  \n"
			  "smtpd_banner =\n");
	ck_assert_str_eq(conf_get("myhostname"), "mail.example.com");
	ck_assert_str_eq(conf_get("mydestination"), "a.example, b.example, c.example");
	ck_assert_str_eq(conf_get("mail_name"), "Second # not a comment");
	ck_assert_str_eq(conf_get("smtpd_banner"), "");
	ck_assert(conf_is_set("mail_name"));
	ck_assert(!conf_is_set("mail_version"));
	ck_assert_str_eq(conf_get("mail_version"), "0.1");
	ck_assert_ptr_null(conf_get("no_such_parameter"));
	ck_assert_str_eq(conf_config_dir(), test_conf_dir);
	ck_assert_str_eq(conf_get("config_directory"), test_conf_dir);
}
END_TEST

START_TEST(test_syntax_errors)
{
	str_t err = STR_INIT;

	test_conf_load_bad("mail_name = x\nthis line has no equals sign\n", "main.cf:2: missing '='");
	test_conf_load_bad("\n\nbad-name = x\n", "main.cf:3: bad parameter name");
	test_conf_load_bad("= value\n", "main.cf:1: bad parameter name");
	ck_assert_int_eq(conf_load("/nonexistent/pochta", &err), -1);
	ck_assert_ptr_nonnull(strstr(str_cstr(&err), "/nonexistent/pochta/main.cf"));
	str_free(&err);
}
END_TEST

START_TEST(test_expansion)
{
	test_conf_load_ok("myhostname = $first.$second\n"
			  "first = mail\n"
			  "second = ${third}\n"
			  "third = $(fourth)\n"
			  "fourth = example.org\n"
			  "mail_name = ${empty?yes}${first?set}-${empty:fallback}${first:no}\n"
			  "empty =\n"
			  "syslog_name = cost $$5\n"
			  "mail_version = trailing $\n");
	ck_assert_str_eq(conf_get("myhostname"), "mail.example.org");
	ck_assert_str_eq(conf_get("mail_name"), "set-fallback");
	ck_assert_str_eq(conf_get("syslog_name"), "cost $5");
	ck_assert_str_eq(conf_get("mail_version"), "trailing $");
	/* Defaults expand too, and follow the values they name. */
	ck_assert_str_eq(conf_get("smtpd_banner"), "mail.example.org ESMTP set-fallback");
	ck_assert_str_eq(conf_get("myorigin"), "mail.example.org");
	ck_assert_str_eq(conf_get("mydomain"), "example.org");
}
END_TEST

START_TEST(test_unknown_names)
{
	test_conf_load_ok("mail_name = x\nmy_own_thing = hello\nmail_version = [$nowhere]\n");
	ck_assert_str_eq(conf_get("my_own_thing"), "hello");
	ck_assert_str_eq(conf_get("mail_version"), "[]");
	ck_assert_ptr_nonnull(strstr(test_conf_log_read(),
				     "warning: " /* then the file path */));
	ck_assert_ptr_nonnull(strstr(test_conf_log_text,
				     "main.cf, line 2: unknown parameter name: my_own_thing"));
	ck_assert_ptr_nonnull(strstr(test_conf_log_text, "$nowhere"));
	ck_assert_ptr_null(strstr(test_conf_log_text, "line 1:"));
}
END_TEST

static void test_conf_get_loop(void)
{
	conf_get("mail_name");
}

START_TEST(test_expansion_loop_is_fatal)
{
	test_conf_load_ok("mail_name = $a\na = ${b}\nb = $(a)\n");
	ck_assert_int_eq(test_conf_child(test_conf_get_loop), 1);
	ck_assert_ptr_nonnull(strstr(test_conf_log_read(), "fatal: "));
	ck_assert_ptr_nonnull(strstr(test_conf_log_text, "recursion loop"));
}
END_TEST

START_TEST(test_typed_values)
{
	test_conf_load_ok("smtpd_timeout = 5m\n"
			  "maximal_queue_lifetime = 2\n"
			  "max_idle = 1w\n"
			  "smtpd_recipient_limit = 50\n"
			  "disable_vrfy_command = TRUE\n"
			  "default_destination_concurrency_limit = 7\n");
	ck_assert_int_eq(conf_time("smtpd_timeout"), 300);
	ck_assert_int_eq(conf_time("maximal_queue_lifetime"), 2 * 86400);	/* bare number: days */
	ck_assert_int_eq(conf_time("max_idle"), 7 * 86400);
	ck_assert_int_eq(conf_time("queue_run_delay"), 300);
	ck_assert_int_eq(conf_int("smtpd_recipient_limit"), 50);
	ck_assert_int_eq(conf_int("virtual_destination_concurrency_limit"), 7);
	ck_assert_int_eq(conf_bool("disable_vrfy_command"), 1);
	ck_assert_str_eq(conf_str("mail_owner"), "pochta");
	conf_set("disable_vrfy_command", "no");
	ck_assert_int_eq(conf_bool("disable_vrfy_command"), 0);
}
END_TEST

START_TEST(test_bad_typed_values)
{
	test_conf_load_bad("mail_name = x\nsmtpd_timeout = abc\n",
			   "main.cf:2: bad time configuration: smtpd_timeout = abc");
	test_conf_load_bad("smtpd_recipient_limit = 0\n",
			   "main.cf:1: bad numerical configuration: smtpd_recipient_limit = 0");
	test_conf_load_bad("line_length_limit = 12x\n", "bad numerical configuration: line_length_limit");
	test_conf_load_bad("disable_vrfy_command = maybe\n",
			   "main.cf:1: bad boolean configuration: disable_vrfy_command = maybe");
	test_conf_load_bad("limit = 0\nsmtpd_hard_error_limit = $limit\n",
			   "main.cf:2: bad numerical configuration: smtpd_hard_error_limit = 0");
}
END_TEST

static void test_conf_get_bad_override(void)
{
	conf_int("smtpd_recipient_limit");
}

START_TEST(test_bad_override_is_fatal)
{
	test_conf_load_ok("mail_name = x\n");
	ck_assert_int_eq(conf_set_pair("smtpd_recipient_limit=-5"), 0);
	ck_assert_int_eq(test_conf_child(test_conf_get_bad_override), 1);
	ck_assert_ptr_nonnull(strstr(test_conf_log_read(),
				     "fatal: bad numerical configuration: smtpd_recipient_limit = -5"));
}
END_TEST

START_TEST(test_overrides)
{
	test_conf_load_ok("mail_name = x\nmyhostname = one.example\n");
	ck_assert_str_eq(conf_get("mydomain"), "example");
	ck_assert_int_eq(conf_set_pair(" myhostname = two.example.net "), 0);
	ck_assert_str_eq(conf_get("myhostname"), "two.example.net");
	ck_assert_str_eq(conf_get("mydomain"), "example.net");
	conf_set("myhostname", "bare");
	ck_assert_str_eq(conf_get("mydomain"), "localdomain");
	ck_assert_int_eq(conf_set_pair("no equals here"), -1);
	ck_assert_int_eq(conf_set_pair("=value"), -1);
	ck_assert_int_eq(conf_set_pair("bad name=value"), -1);
	conf_set("brand_new", "v");
	ck_assert(conf_is_set("brand_new"));
	ck_assert_str_eq(conf_get("brand_new"), "v");
}
END_TEST

START_TEST(test_computed_hostname)
{
	char host[256];

	test_conf_load_ok("mail_name = x\n");
	ck_assert_int_eq(gethostname(host, sizeof(host)), 0);
	ck_assert_str_eq(conf_get("myhostname"), host);
	ck_assert_str_eq(conf_get("mydomain"), strchr(host, '.') ? strchr(host, '.') + 1 : "localdomain");
}
END_TEST

START_TEST(test_parse_time)
{
	ck_assert_int_eq(conf_parse_time("10", 's'), 10);
	ck_assert_int_eq(conf_parse_time("10", 'h'), 36000);
	ck_assert_int_eq(conf_parse_time("0s", 's'), 0);
	ck_assert_int_eq(conf_parse_time("5m", 's'), 300);
	ck_assert_int_eq(conf_parse_time("2d", 's'), 172800);
	ck_assert_int_eq(conf_parse_time("1w", 's'), 604800);
	ck_assert_int_eq(conf_parse_time("", 's'), -1);
	ck_assert_int_eq(conf_parse_time("s", 's'), -1);
	ck_assert_int_eq(conf_parse_time("5x", 's'), -1);
	ck_assert_int_eq(conf_parse_time("5mm", 's'), -1);
	ck_assert_int_eq(conf_parse_time("-1", 's'), -1);
	ck_assert_int_eq(conf_parse_time(" 5", 's'), -1);
	ck_assert_int_eq(conf_parse_time("99999999999999999999", 's'), -1);
	ck_assert_int_eq(conf_parse_time("999999999999999999w", 's'), -1);
}
END_TEST

START_TEST(test_split_list)
{
	size_t n;
	char **items = conf_split_list(" a.example,b.example ,,\tc.example\n", &n);

	ck_assert_int_eq(n, 3);
	ck_assert_str_eq(items[0], "a.example");
	ck_assert_str_eq(items[1], "b.example");
	ck_assert_str_eq(items[2], "c.example");
	ck_assert_ptr_null(items[3]);
	conf_free_list(items, n);
	items = conf_split_list(" , ", &n);
	ck_assert_int_eq(n, 0);
	conf_free_list(items, n);
}
END_TEST

/* master.cf */

static int test_master_load(const char *text, conf_service_t **svc, size_t *n, str_t *err)
{
	char path[TEST_CONF_PATH_MAX + 16];

	test_conf_write("master.cf", text);
	snprintf(path, sizeof(path), "%s/master.cf", test_conf_dir);
	return conf_master_load(path, svc, n, err);
}

START_TEST(test_master_services)
{
	conf_service_t *svc;
	size_t n;
	str_t err = STR_INIT;

	test_conf_load_ok("default_process_limit = 42\n");
	ck_assert_int_eq(test_master_load(
		"# service type  private unpriv  chroot  wakeup  maxproc command + args\n"
		"smtp      inet  n       -       n       -       -       smtpd\n"
		"submission inet n       -       n       -       10      smtpd\n"
		"  -o smtpd_tls_security_level=encrypt\n"
		"# a comment between continuation lines\n"
		"  -o smtpd_sasl_auth_enable=yes\n"
		"qmgr      unix  n       y       y       300?    1       qmgr\n"
		"local     unix  -       n       -       0       0       local\n",
		&svc, &n, &err), 0);
	ck_assert_int_eq(n, 4);
	ck_assert_str_eq(svc[0].name, "smtp");
	ck_assert_str_eq(svc[0].type, "inet");
	ck_assert_int_eq(svc[0].private_, 0);
	ck_assert_int_eq(svc[0].unpriv, 1);
	ck_assert_int_eq(svc[0].chroot_, 0);
	ck_assert_int_eq(svc[0].wakeup, 0);
	ck_assert_int_eq(svc[0].maxproc, 42);
	ck_assert_str_eq(svc[0].command, "smtpd");
	ck_assert_int_eq(svc[0].nargs, 0);
	ck_assert_int_eq(svc[0].line, 2);
	ck_assert_int_eq(svc[1].maxproc, 10);
	ck_assert_int_eq(svc[1].nargs, 4);
	ck_assert_str_eq(svc[1].args[0], "-o");
	ck_assert_str_eq(svc[1].args[1], "smtpd_tls_security_level=encrypt");
	ck_assert_str_eq(svc[1].args[3], "smtpd_sasl_auth_enable=yes");
	ck_assert_int_eq(svc[1].line, 3);
	ck_assert_int_eq(svc[2].wakeup, 300);
	ck_assert_int_eq(svc[2].maxproc, 1);
	ck_assert_int_eq(svc[2].chroot_, 1);
	ck_assert_int_eq(svc[2].line, 7);
	ck_assert_int_eq(svc[3].private_, 1);
	ck_assert_int_eq(svc[3].unpriv, 0);
	ck_assert_int_eq(svc[3].maxproc, 0);
	conf_master_free(svc, n);
	str_free(&err);
}
END_TEST

/* A bad master.cf: -1, no services, and the message names file:line. */
static void test_master_bad(const char *text, const char *want)
{
	conf_service_t *svc = (conf_service_t *)1;
	size_t n = 99;
	str_t err = STR_INIT;

	ck_assert_int_eq(test_master_load(text, &svc, &n, &err), -1);
	ck_assert_ptr_null(svc);
	ck_assert_int_eq(n, 0);
	ck_assert_msg(strstr(str_cstr(&err), want) != NULL, "error \"%s\" lacks \"%s\"",
		      str_cstr(&err), want);
	str_free(&err);
}

START_TEST(test_master_errors)
{
	static const char good[] = "smtp inet n - n - - smtpd\n";
	char text[512];

	test_conf_load_ok("mail_name = x\n");
	snprintf(text, sizeof(text), "%s\nsmtp fifo n - n - - smtpd\n", good);
	test_master_bad(text, "master.cf:3: service type must be inet or unix");
	snprintf(text, sizeof(text), "%sqmgr unix n - n 300\n", good);
	test_master_bad(text, "master.cf:2: too few fields");
	test_master_bad("x unix maybe - n - - cmd\n", "master.cf:1: private field");
	test_master_bad("x unix - - n soon - cmd\n", "master.cf:1: bad wakeup time");
	test_master_bad("x unix - - n - -3 cmd\n", "master.cf:1: bad process limit");
	test_master_bad("x unix - - n - - cmd -o\n", "master.cf:1: -o needs name=value");
	test_master_bad("x unix - - n - - cmd -o novalue\n", "master.cf:1: -o needs name=value");
	test_master_bad("x unix - - n - - cmd -o bad-name=1\n",
			"master.cf:1: -o has a bad parameter name");
	snprintf(text, sizeof(text), "%s%s", good, good);
	test_master_bad(text, "master.cf:2: duplicate service");
}
END_TEST

START_TEST(test_name_known)
{
	ck_assert(conf_name_known("myhostname"));
	ck_assert(conf_name_known("verify_destination_concurrency_limit"));
	ck_assert(conf_name_known("slow_destination_recipient_limit"));
	ck_assert(conf_name_known("x_destination_concurrency_failed_cohort_limit"));
	ck_assert(!conf_name_known("_destination_concurrency_limit"));
	ck_assert(!conf_name_known("myhostnme"));
	ck_assert(!conf_name_known("verify_destination_concurrency"));
}
END_TEST

Suite *suite_conf(void)
{
	Suite *s = suite_create("conf");
	TCase *tc = tcase_create("conf");

	tcase_add_checked_fixture(tc, test_conf_setup, test_conf_teardown);
	tcase_add_test(tc, test_syntax);
	tcase_add_test(tc, test_failed_load_keeps_previous);
	tcase_add_test(tc, test_syntax_errors);
	tcase_add_test(tc, test_expansion);
	tcase_add_test(tc, test_unknown_names);
	tcase_add_test(tc, test_expansion_loop_is_fatal);
	tcase_add_test(tc, test_typed_values);
	tcase_add_test(tc, test_bad_typed_values);
	tcase_add_test(tc, test_bad_override_is_fatal);
	tcase_add_test(tc, test_overrides);
	tcase_add_test(tc, test_computed_hostname);
	tcase_add_test(tc, test_parse_time);
	tcase_add_test(tc, test_split_list);
	tcase_add_test(tc, test_master_services);
	tcase_add_test(tc, test_master_errors);
	tcase_add_test(tc, test_name_known);
	suite_add_tcase(s, tc);
	return s;
}
