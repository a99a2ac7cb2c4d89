/*
 * test_xtext: RFC 3461 xtext decoding - plain and "+XX" characters, and
 * refusal of bad hex, "=", spaces, and encoded control bytes; the same for
 * RFC 6533's utf-8-addr-xtext with its "\x{HEX}" characters.
 */
#include <check.h>
#include <string.h>

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

START_TEST(test_utf8_decodes)
{
	static const char *const pairs[][2] = {
		{ "demo@localhost", "demo@localhost" },
		{ "j\\x{F6}rg@x", "j\xc3\xb6rg@x" },	/* 2 digits: U+00F6 */
		{ "\\x{2B}\\x{3D}\\x{5C}\\x{20}@x", "+=\\ @x" },	/* not themselves in it */
		{ "\\x{7FF}\\x{800}@x", "\xdf\xbf\xe0\xa0\x80@x" },
		{ "\\x{20AC}\\x{FFFD}@x", "\xe2\x82\xac\xef\xbf\xbd@x" },
		{ "\\x{1F600}\\x{10FFFF}@x", "\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf@x" },
		{ "", "" },
	};
	str_t out = STR_INIT;

	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		ck_assert_msg(xtext_decode_utf8(pairs[i][0], &out) == 0, "refused %s", pairs[i][0]);
		ck_assert_str_eq(str_cstr(&out), pairs[i][1]);
	}
	str_free(&out);
}
END_TEST

START_TEST(test_utf8_refuses)
{
	static const char *const bad[] = {
		"a+2Bb", "a=b", "a b", "a\\b", "a\\", "\\x", "\\x{", "\\x{F6", "\\x{}", "\\x{F}",
		"\\x{f6}", "\\X{F6}", "\\x(F6)", "\\x{0F6}", "\\x{00F6}", "\\x{1000000}",
		"\\x{110000}", "\\x{D800}", "\\x{DFFF}", "\\x{00}", "\\x{0A}", "\\x{7F}",
		"\\x{G0}", "j\xc3\xb6rg@x",	/* raw 8-bit: not the 7-bit form */
	};
	str_t out = STR_INIT;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(xtext_decode_utf8(bad[i], &out) == -1, "accepted %s", bad[i]);
	str_free(&out);
}
END_TEST

START_TEST(test_encode_round_trip)
{
	static const char *const texts[] = { "plain@x", "a+b=c", "sp ace", "\xc3\xa9\x7f~", "" };
	str_t enc = STR_INIT, dec = STR_INIT;

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		str_reset(&enc);
		xtext_encode(texts[i], &enc);
		ck_assert_ptr_null(strpbrk(str_cstr(&enc), " ="));
		if (strchr(texts[i], 0x7f) == NULL) {	/* decoding refuses control bytes */
			ck_assert_int_eq(xtext_decode(str_cstr(&enc), &dec), 0);
			ck_assert_str_eq(str_cstr(&dec), texts[i]);
		}
	}
	str_reset(&enc);
	xtext_encode("a+b=c d", &enc);
	ck_assert_str_eq(str_cstr(&enc), "a+2Bb+3Dc+20d");
	str_free(&enc);
	str_free(&dec);
}
END_TEST

Suite *suite_xtext(void)
{
	Suite *s = suite_create("xtext");
	TCase *tc = tcase_create("xtext");

	tcase_add_test(tc, test_decodes);
	tcase_add_test(tc, test_refuses);
	tcase_add_test(tc, test_utf8_decodes);
	tcase_add_test(tc, test_utf8_refuses);
	tcase_add_test(tc, test_encode_round_trip);
	suite_add_tcase(s, tc);
	return s;
}
