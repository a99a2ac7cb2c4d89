/*
 * test_access: access(5) results - OK, digits, DUNNO, REJECT and DEFER
 * with and without text and enhanced status codes, "4NN/5NN text", and
 * values that are no action at all.
 */
#include <check.h>
#include <string.h>

#include "access.h"

#define TEST_ACCESS_REJECT 554
#define TEST_ACCESS_DEFER 450

static access_result_t test_access(const char *value)
{
	access_result_t res;

	access_parse(value, TEST_ACCESS_REJECT, TEST_ACCESS_DEFER, &res);
	return res;
}

static void test_access_reject(const char *value, int code, const char *dsn, const char *text)
{
	access_result_t res = test_access(value);

	ck_assert_int_eq(res.action, ACCESS_REJECT);
	ck_assert_int_eq(res.code, code);
	ck_assert_str_eq(res.dsn, dsn);
	ck_assert_str_eq(res.text, text);
}

START_TEST(test_access_permit)
{
	ck_assert_int_eq(test_access("OK").action, ACCESS_OK);
	ck_assert_int_eq(test_access("  ok").action, ACCESS_OK);
	ck_assert_int_eq(test_access("12345").action, ACCESS_OK);
	ck_assert_int_eq(test_access("550").action, ACCESS_OK);	/* all digits, no text */
	ck_assert_int_eq(test_access("DUNNO").action, ACCESS_DUNNO);
	ck_assert_int_eq(test_access("dunno").action, ACCESS_DUNNO);
}
END_TEST

START_TEST(test_access_rejects)
{
	test_access_reject("REJECT", 554, "5.7.1", ACCESS_DEFAULT_TEXT);
	test_access_reject("reject go away", 554, "5.7.1", "go away");
	test_access_reject("REJECT 5.7.0 no spam", 554, "5.7.0", "no spam");
	test_access_reject("DEFER", 450, "4.7.1", ACCESS_DEFAULT_TEXT);
	test_access_reject("DEFER busy now", 450, "4.7.1", "busy now");
	test_access_reject("550 not here", 550, "5.7.1", "not here");
	test_access_reject("421 4.4.5 later", 421, "4.4.5", "later");
	/* a DSN of the other class is text */
	test_access_reject("550 4.1.1 odd", 550, "5.7.1", "4.1.1 odd");
}
END_TEST

START_TEST(test_access_unknown)
{
	ck_assert_int_eq(test_access("").action, ACCESS_UNKNOWN);
	ck_assert_int_eq(test_access("OKAY").action, ACCESS_UNKNOWN);
	ck_assert_int_eq(test_access("OK then").action, ACCESS_UNKNOWN);
	ck_assert_int_eq(test_access("250 fine").action, ACCESS_UNKNOWN);
	ck_assert_int_eq(test_access("5500 x").action, ACCESS_UNKNOWN);
	ck_assert_int_eq(test_access("REJECTED").action, ACCESS_UNKNOWN);
	ck_assert_int_eq(test_access("HOLD").action, ACCESS_UNKNOWN);
}
END_TEST

Suite *suite_access(void)
{
	Suite *s = suite_create("access");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, test_access_permit);
	tcase_add_test(tc, test_access_rejects);
	tcase_add_test(tc, test_access_unknown);
	suite_add_tcase(s, tc);
	return s;
}
