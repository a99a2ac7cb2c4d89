/*
 * test_mbox: the envelope line and ">From " quoting of the mbox format,
 * also when a "From " is split between two chunks.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mbox.h"

static void test_quote_chunks(const char *in, size_t chunk, const char *want)
{
	str_t out = STR_INIT;
	mbox_quote_t q;
	size_t len = strlen(in);

	mbox_quote_init(&q);
	for (size_t off = 0; off < len; off += chunk)
		mbox_quote(&q, in + off, len - off < chunk ? len - off : chunk, &out);
	mbox_quote_end(&q, &out);
	ck_assert_msg(strcmp(str_cstr(&out), want) == 0, "chunk %zu: got [%s] want [%s]", chunk,
		      str_cstr(&out), want);
	str_free(&out);
}

START_TEST(test_from_line)
{
	str_t out = STR_INIT;
	time_t when = 0;

	setenv("TZ", "UTC", 1);
	tzset();
	mbox_from_line(&out, "alice@example.org", when);
	ck_assert_str_eq(str_cstr(&out), "From alice@example.org Thu Jan  1 00:00:00 1970\n");
	str_reset(&out);
	mbox_from_line(&out, "", when);
	ck_assert_str_eq(str_cstr(&out), "From MAILER-DAEMON Thu Jan  1 00:00:00 1970\n");
	str_reset(&out);
	mbox_from_line(&out, "a b\n@x", when);
	ck_assert_str_eq(str_cstr(&out), "From a_b_@x Thu Jan  1 00:00:00 1970\n");
	str_free(&out);
}
END_TEST

START_TEST(test_quote_from_lines)
{
	static const char in[] = "From x\nSubject: s\n\nFrom here\n From there\nFromage\n"
				 "FFrom no\n>From kept\nFrom";
	static const char want[] = ">From x\nSubject: s\n\n>From here\n From there\nFromage\n"
				   "FFrom no\n>From kept\nFrom";

	for (size_t chunk = 1; chunk <= sizeof(in); chunk++)
		test_quote_chunks(in, chunk, want);
}
END_TEST

START_TEST(test_quote_nothing_to_do)
{
	test_quote_chunks("", 1, "");
	test_quote_chunks("hello\nworld\n", 3, "hello\nworld\n");
	test_quote_chunks("From", 2, "From");
}
END_TEST

Suite *suite_mbox(void)
{
	Suite *s = suite_create("mbox");
	TCase *tc = tcase_create("mbox");

	tcase_add_test(tc, test_from_line);
	tcase_add_test(tc, test_quote_from_lines);
	tcase_add_test(tc, test_quote_nothing_to_do);
	suite_add_tcase(s, tc);
	return s;
}
