/*
 * test_str: growable strings - growth, printf, set, truncate, steal.
 */
#include <check.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "mem.h"
#include "str.h"

#define TEST_STR_GROWTH_BYTES 100000

START_TEST(test_empty_is_usable)
{
	str_t s = STR_INIT;

	ck_assert_str_eq(str_cstr(&s), "");
	ck_assert_uint_eq(s.len, 0);
	str_reset(&s);
	str_truncate(&s, 0);
	ck_assert_str_eq(str_cstr(&s), "");
	str_free(&s);
	ck_assert_ptr_null(s.data);
}
END_TEST

START_TEST(test_growth_keeps_bytes)
{
	str_t s;

	str_init(&s);
	for (int i = 0; i < TEST_STR_GROWTH_BYTES; i++)
		str_putc(&s, 'a' + i % 26);
	ck_assert_uint_eq(s.len, TEST_STR_GROWTH_BYTES);
	ck_assert_uint_gt(s.cap, s.len);
	ck_assert_int_eq(s.data[s.len], 0);
	for (int i = 0; i < TEST_STR_GROWTH_BYTES; i++)
		ck_assert_int_eq(s.data[i], 'a' + i % 26);
	str_free(&s);
}
END_TEST

START_TEST(test_binary_append)
{
	str_t s = STR_INIT;

	str_append(&s, "a\0b", 3);
	str_append_cstr(&s, "cd");
	ck_assert_uint_eq(s.len, 5);
	ck_assert_mem_eq(s.data, "a\0bcd", 6);
	str_free(&s);
}
END_TEST

START_TEST(test_append_from_itself)
{
	str_t s = STR_INIT;

	str_set(&s, "abc");
	for (int i = 0; i < 10; i++)
		str_append(&s, s.data, s.len);
	ck_assert_uint_eq(s.len, 3 * 1024);
	ck_assert_mem_eq(s.data + 3 * 1023, "abc", 4);
	str_set(&s, s.data + 3 * 1023 + 1);
	ck_assert_str_eq(str_cstr(&s), "bc");
	str_free(&s);
}
END_TEST

START_TEST(test_printf_appends)
{
	str_t s = STR_INIT;
	char big[5000];

	str_set(&s, "250 ");
	str_printf(&s, "%s %d", "ok", 42);
	ck_assert_str_eq(str_cstr(&s), "250 ok 42");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	str_printf(&s, "<%s>", big);
	ck_assert_uint_eq(s.len, strlen("250 ok 42") + 2 + sizeof(big) - 1);
	ck_assert_int_eq(s.data[s.len - 1], '>');
	ck_assert_int_eq(s.data[s.len], 0);
	str_free(&s);
}
END_TEST

START_TEST(test_set_truncate_reset)
{
	str_t s = STR_INIT;

	str_set(&s, "hello world");
	str_truncate(&s, 5);
	ck_assert_str_eq(str_cstr(&s), "hello");
	str_set(&s, "x");
	ck_assert_str_eq(str_cstr(&s), "x");
	str_reset(&s);
	ck_assert_str_eq(str_cstr(&s), "");
	ck_assert_ptr_nonnull(s.data);
	str_free(&s);
}
END_TEST

START_TEST(test_truncate_beyond_length_panics)
{
	str_t s = STR_INIT;

	log_open_file("/dev/null");	/* the panic line is expected */
	str_set(&s, "abc");
	str_truncate(&s, 4);
}
END_TEST

START_TEST(test_steal)
{
	str_t s = STR_INIT;
	char *owned = str_steal(&s);

	ck_assert_str_eq(owned, "");
	mem_free(owned);
	str_set(&s, "mail");
	owned = str_steal(&s);
	ck_assert_str_eq(owned, "mail");
	ck_assert_ptr_null(s.data);
	ck_assert_uint_eq(s.len, 0);
	ck_assert_str_eq(str_cstr(&s), "");
	mem_free(owned);
}
END_TEST

START_TEST(test_append_escaped)
{
	str_t s = STR_INIT;

	str_append_escaped(&s, "EHLO x\r\n\\\t\0\377~", 13);
	ck_assert_str_eq(str_cstr(&s), "EHLO x\\r\\n\\\\\\t\\000\\377~");
	str_free(&s);
}
END_TEST

Suite *suite_str(void)
{
	Suite *suite = suite_create("str");
	TCase *tc = tcase_create("str");

	tcase_add_test(tc, test_empty_is_usable);
	tcase_add_test(tc, test_growth_keeps_bytes);
	tcase_add_test(tc, test_binary_append);
	tcase_add_test(tc, test_append_from_itself);
	tcase_add_test(tc, test_printf_appends);
	tcase_add_test(tc, test_set_truncate_reset);
	tcase_add_test_raise_signal(tc, test_truncate_beyond_length_panics, SIGABRT);
	tcase_add_test(tc, test_steal);
	tcase_add_test(tc, test_append_escaped);
	suite_add_tcase(suite, tc);
	return suite;
}
