/*
 * test_smtp_cmd: command lines (verb, argument, case, NUL and control
 * bytes), the MAIL/RCPT keyword, and ESMTP parameter lists (syntax,
 * duplicates, bounds, numbers).
 */
#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "smtp_cmd.h"
#include "str.h"

static void cmd_ok(const char *line, size_t len, const char *verb, const char *arg)
{
	smtp_cmd_t cmd;
	const char *why = NULL;

	smtp_cmd_init(&cmd);
	ck_assert_msg(smtp_cmd_parse(line, len, &cmd, &why) == 0, "refused: %s", why);
	ck_assert_str_eq(cmd.verb.data, verb);
	ck_assert_str_eq(cmd.arg.data, arg);
	smtp_cmd_free(&cmd);
}

static void cmd_bad(const char *line, size_t len)
{
	smtp_cmd_t cmd;
	const char *why = NULL;

	smtp_cmd_init(&cmd);
	ck_assert_int_eq(smtp_cmd_parse(line, len, &cmd, &why), -1);
	ck_assert_ptr_nonnull(why);
	smtp_cmd_free(&cmd);
}

#define CMD(text) text, sizeof(text) - 1

START_TEST(test_verb_and_arg)
{
	cmd_ok(CMD("MAIL FROM:<a@b.c>\r\n"), "MAIL", "FROM:<a@b.c>");
	cmd_ok(CMD("mail from:<a@b.c> SIZE=10\r\n"), "MAIL", "from:<a@b.c> SIZE=10");
	cmd_ok(CMD("QUIT\r\n"), "QUIT", "");
	cmd_ok(CMD("QUIT"), "QUIT", "");
	cmd_ok(CMD("noop\n"), "NOOP", "");
	cmd_ok(CMD("EhLo  client.example  \r\n"), "EHLO", "client.example");
	cmd_ok(CMD("  HELO x\r\n"), "HELO", "x");
	cmd_ok(CMD("HELO\tx\r\n"), "HELO", "x");
}
END_TEST

START_TEST(test_empty_lines)
{
	cmd_bad(CMD("\r\n"));
	cmd_bad(CMD("\n"));
	cmd_bad(CMD(""));
	cmd_bad(CMD("   \r\n"));
}
END_TEST

START_TEST(test_nul_is_an_error)
{
	cmd_bad(CMD("RCPT TO:<a@b.c>\0<evil@x>\r\n"));
	cmd_bad(CMD("\0QUIT\r\n"));
	cmd_bad(CMD("QUIT\0\r\n"));
}
END_TEST

START_TEST(test_control_bytes)
{
	cmd_bad(CMD("MAIL FROM:<a@b.c>\rRCPT TO:<x@y>\r\n"));
	cmd_bad(CMD("NOOP \x1b[1m\r\n"));
	cmd_bad(CMD("NOOP \x7f\r\n"));
	cmd_bad(CMD("NOOP\r\r\n"));
	/* 8-bit bytes are left to the address parser */
	cmd_ok(CMD("NOOP \xc3\xa9\r\n"), "NOOP", "\xc3\xa9");
}
END_TEST

START_TEST(test_verb_length)
{
	char line[64];

	memset(line, 'X', SMTP_CMD_VERB_MAX);
	line[SMTP_CMD_VERB_MAX] = 0;
	cmd_ok(line, strlen(line), line, "");
	strcat(line, "X");
	cmd_bad(line, strlen(line));
}
END_TEST

START_TEST(test_path_keyword)
{
	ck_assert_str_eq(smtp_cmd_path("FROM:<a@b>", "FROM:"), "<a@b>");
	ck_assert_str_eq(smtp_cmd_path("from: <a@b>", "FROM:"), " <a@b>");
	ck_assert_str_eq(smtp_cmd_path("To:<a@b>", "TO:"), "<a@b>");
	ck_assert_ptr_null(smtp_cmd_path("FROM <a@b>", "FROM:"));
	ck_assert_ptr_null(smtp_cmd_path("FRO", "FROM:"));
	ck_assert_ptr_null(smtp_cmd_path("", "TO:"));
}
END_TEST

START_TEST(test_params_good)
{
	smtp_params_t params;
	str_t bad = STR_INIT;
	const char *why = NULL;
	const smtp_param_t *p;

	smtp_params_init(&params);
	ck_assert_int_eq(smtp_params_parse("SIZE=1000  body=8BITMIME X-FLAG", &params, &bad, &why), 0);
	ck_assert_uint_eq(params.count, 3);
	p = smtp_params_find(&params, "size");
	ck_assert_ptr_nonnull(p);
	ck_assert_str_eq(p->value, "1000");
	p = smtp_params_find(&params, "BODY");
	ck_assert_str_eq(p->name, "body");
	ck_assert_str_eq(p->value, "8BITMIME");
	p = smtp_params_find(&params, "X-FLAG");
	ck_assert_ptr_null(p->value);
	ck_assert_ptr_null(smtp_params_find(&params, "RET"));
	ck_assert_int_eq(smtp_params_parse("", &params, &bad, &why), 0);
	ck_assert_uint_eq(params.count, 0);
	smtp_params_free(&params);
	str_free(&bad);
}
END_TEST

static void params_bad(const char *text, const char *want_bad)
{
	smtp_params_t params;
	str_t bad = STR_INIT;
	const char *why = NULL;

	smtp_params_init(&params);
	ck_assert_msg(smtp_params_parse(text, &params, &bad, &why) == -1, "\"%s\" accepted", text);
	ck_assert_ptr_nonnull(why);
	ck_assert_str_eq(str_cstr(&bad), want_bad);
	ck_assert_uint_eq(params.count, 0);
	smtp_params_free(&params);
	str_free(&bad);
}

START_TEST(test_params_bad)
{
	params_bad("=1", "");
	params_bad("-X=1", "-X");
	params_bad("SI_ZE=1", "SI_ZE");
	params_bad("SIZE=", "SIZE");
	params_bad("SIZE=1=2", "SIZE");
	params_bad("SIZE=1 size=2", "size");
	params_bad("BODY=8BITMIME SIZE=\x80", "SIZE");
	params_bad("SIZE=1\t", "SIZE");
}
END_TEST

START_TEST(test_params_bounded)
{
	char text[SMTP_PARAMS_MAX * 8 + 16] = "";
	char name[SMTP_PARAM_NAME_MAX + 8];

	for (int i = 0; i < SMTP_PARAMS_MAX; i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text), "P%d ", i);
	{
		smtp_params_t params;
		str_t bad = STR_INIT;
		const char *why;

		smtp_params_init(&params);
		ck_assert_int_eq(smtp_params_parse(text, &params, &bad, &why), 0);
		ck_assert_uint_eq(params.count, SMTP_PARAMS_MAX);
		smtp_params_free(&params);
		str_free(&bad);
	}
	strcat(text, "ONEMORE");
	params_bad(text, "ONEMORE");

	memset(name, 'N', SMTP_PARAM_NAME_MAX + 1);
	name[SMTP_PARAM_NAME_MAX + 1] = 0;
	params_bad(name, name);
}
END_TEST

START_TEST(test_number)
{
	unsigned long long n = 0;

	ck_assert_int_eq(smtp_param_number("0", &n), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(smtp_param_number("10240000", &n), 0);
	ck_assert_uint_eq(n, 10240000);
	ck_assert_int_eq(smtp_param_number("99999999999999999999999", &n), 0);
	ck_assert_uint_eq(n, ULLONG_MAX);
	ck_assert_int_eq(smtp_param_number("", &n), -1);
	ck_assert_int_eq(smtp_param_number(NULL, &n), -1);
	ck_assert_int_eq(smtp_param_number("12k", &n), -1);
	ck_assert_int_eq(smtp_param_number("-1", &n), -1);
	ck_assert_int_eq(smtp_param_number("+1", &n), -1);
}
END_TEST

Suite *suite_smtp_cmd(void)
{
	Suite *s = suite_create("smtp_cmd");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_verb_and_arg);
	tcase_add_test(tc, test_empty_lines);
	tcase_add_test(tc, test_nul_is_an_error);
	tcase_add_test(tc, test_control_bytes);
	tcase_add_test(tc, test_verb_length);
	tcase_add_test(tc, test_path_keyword);
	tcase_add_test(tc, test_params_good);
	tcase_add_test(tc, test_params_bad);
	tcase_add_test(tc, test_params_bounded);
	tcase_add_test(tc, test_number);
	suite_add_tcase(s, tc);
	return s;
}
