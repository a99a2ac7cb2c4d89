/*
 * test_command: which command lines need a shell, how the others are
 * split, and what each exit status and "D.S.N" output means for the mail.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "command.h"
#include "mem.h"
#include "str.h"

START_TEST(test_plain_commands_run_without_shell)
{
	ck_assert_int_eq(command_needs_shell("/usr/bin/procmail -a x"), 0);
	ck_assert_int_eq(command_needs_shell("deliver -m INBOX user@example.org"), 0);
	ck_assert_int_eq(command_needs_shell("a\tb  c"), 0);
}
END_TEST

START_TEST(test_shell_characters_need_shell)
{
	static const char *const lines[] = {
		"cat > /tmp/x", "a | b", "a; b", "echo $HOME", "a && b", "echo 'q'", "echo \"q\"",
		"a `b`", "a *", "a ~", "a\nb", "",  "   ",
	};

	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		ck_assert_msg(command_needs_shell(lines[i]) == 1, "no shell for %s", lines[i]);
}
END_TEST

START_TEST(test_split_words)
{
	char **argv = command_split("  /usr/bin/prog -x\t arg  ");

	ck_assert_ptr_nonnull(argv);
	ck_assert_str_eq(argv[0], "/usr/bin/prog");
	ck_assert_str_eq(argv[1], "-x");
	ck_assert_str_eq(argv[2], "arg");
	ck_assert_ptr_null(argv[3]);
	command_free_argv(argv);
	ck_assert_ptr_null(command_split(" \t "));
}
END_TEST

START_TEST(test_split_too_many_words)
{
	str_t line = STR_INIT;
	char *text;

	for (int i = 0; i <= COMMAND_ARGS_MAX; i++)
		str_append_cstr(&line, "w ");
	text = str_steal(&line);
	ck_assert_ptr_null(command_split(text));
	mem_free(text);
}
END_TEST

START_TEST(test_exit_status_sysexits)
{
	command_exit_t ex = command_exit_status(EX_TEMPFAIL);

	ck_assert_str_eq(ex.dsn, "4.3.0");
	ck_assert_str_eq(ex.text, "temporary failure");
	ck_assert_str_eq(command_exit_status(EX_OSERR).dsn, "4.3.0");
	ck_assert_str_eq(command_exit_status(EX_NOUSER).dsn, "5.1.1");
	ck_assert_str_eq(command_exit_status(EX_NOPERM).dsn, "5.7.0");
	ck_assert_str_eq(command_exit_status(EX_CONFIG).dsn, "5.3.5");
	ck_assert_str_eq(command_exit_status(EX_UNAVAILABLE).dsn, "5.3.0");
}
END_TEST

START_TEST(test_exit_status_other_codes_bounce)
{
	command_exit_t ex = command_exit_status(1);

	ck_assert_str_eq(ex.dsn, "5.3.0");
	ck_assert_ptr_null(ex.text);
	ck_assert_str_eq(command_exit_status(63).dsn, "5.3.0");
	ck_assert_str_eq(command_exit_status(79).dsn, "5.3.0");
}
END_TEST

START_TEST(test_output_dsn)
{
	char dsn[COMMAND_DSN_MAX];
	const char *text = command_output_dsn("5.2.2 over quota", dsn);

	ck_assert_ptr_nonnull(text);
	ck_assert_str_eq(dsn, "5.2.2");
	ck_assert_str_eq(text, "over quota");
	ck_assert_ptr_nonnull(command_output_dsn("4.123.45", dsn));
	ck_assert_str_eq(dsn, "4.123.45");
	ck_assert_ptr_null(command_output_dsn("3.1.1 no", dsn));
	ck_assert_ptr_null(command_output_dsn("5.1234.1 no", dsn));
	ck_assert_ptr_null(command_output_dsn("5.1.1x no", dsn));
	ck_assert_ptr_null(command_output_dsn("error 5.1.1", dsn));
	ck_assert_ptr_null(command_output_dsn("", dsn));
}
END_TEST

START_TEST(test_env_entry)
{
	char *e = command_env_entry("SENDER", "a@example.org");

	ck_assert_str_eq(e, "SENDER=a@example.org");
	mem_free(e);
	e = command_env_entry("EXTENSION", NULL);
	ck_assert_str_eq(e, "EXTENSION=");
	mem_free(e);
}
END_TEST

Suite *suite_command(void)
{
	Suite *s = suite_create("command");
	TCase *tc = tcase_create("command");

	tcase_add_test(tc, test_plain_commands_run_without_shell);
	tcase_add_test(tc, test_shell_characters_need_shell);
	tcase_add_test(tc, test_split_words);
	tcase_add_test(tc, test_split_too_many_words);
	tcase_add_test(tc, test_exit_status_sysexits);
	tcase_add_test(tc, test_exit_status_other_codes_bounce);
	tcase_add_test(tc, test_output_dsn);
	tcase_add_test(tc, test_env_entry);
	suite_add_tcase(s, tc);
	return s;
}
