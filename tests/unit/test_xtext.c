/*
 * test_xtext: RFC 3461 xtext decoding - plain and "+XX" characters, and
 * refusal of bad hex, "=", spaces, and encoded control bytes.
 */
#include <check.h>

#include "xtext.h"

START_TEST(test_decodes)
{
	str_t out = STR_INIT;

	ck_assert_int_eq(xtext_decode("demo@localhost", &out), 0);
	ck_assert_str_eq(str_cstr(&out), "demo@localhost");
	ck_assert_int_eq(xtext_decode("a+2Bb+3Dc@x", &out), 0);
	ck_assert_str_eq(str_cstr(&out), "a+b=c@x");
	ck_assert_int_eq(xtext_decode("<>", &out), 0);
	ck_assert_str_eq(str_cstr(&out), "<>");
	ck_assert_int_eq(xtext_decode("", &out), 0);
	ck_assert_str_eq(str_cstr(&out), "");
	str_free(&out);
}
END_TEST

START_TEST(test_refuses)
{
	static const char *const bad[] = {
		"a+2", "a+", "a+2b", "a+G0", "a=b", "a b", "a+00", "a+0D", "a+7F", "a\x01",
	};
	str_t out = STR_INIT;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(xtext_decode(bad[i], &out) == -1, "accepted %s", bad[i]);
	str_free(&out);
}
END_TEST

Suite *suite_xtext(void)
{
	Suite *s = suite_create("xtext");
	TCase *tc = tcase_create("xtext");

	tcase_add_test(tc, test_decodes);
	tcase_add_test(tc, test_refuses);
	suite_add_tcase(s, tc);
	return s;
}
