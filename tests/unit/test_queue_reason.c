/*
 * test_queue_reason: the side files that say why deferred recipients
 * wait: what is kept of a reason, the line format, a save read back, and
 * that a missing or damaged file only means "no reason known".
 */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "queue_reason.h"

#define TEST_REASON_ID "00000000100000z1A"
#define TEST_REASON_PATH "defer/" TEST_REASON_ID
#define TEST_REASON_DIR_MAX 64

static char test_reason_dir[TEST_REASON_DIR_MAX];
static char test_reason_old_cwd[4096];

static void test_reason_setup(void)
{
	ck_assert_ptr_nonnull(getcwd(test_reason_old_cwd, sizeof(test_reason_old_cwd)));
	snprintf(test_reason_dir, sizeof(test_reason_dir), "/tmp/pochta-test-reason-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(test_reason_dir));
	ck_assert_int_eq(chdir(test_reason_dir), 0);
	ck_assert_int_eq(mkdir(QUEUE_REASON_DIR, 0700), 0);
}

static void test_reason_teardown(void)
{
	unlink(TEST_REASON_PATH);
	rmdir(QUEUE_REASON_DIR);
	ck_assert_int_eq(chdir(test_reason_old_cwd), 0);
	rmdir(test_reason_dir);
}

static void test_reason_write(const char *content)
{
	FILE *fp = fopen(TEST_REASON_PATH, "w");

	ck_assert_ptr_nonnull(fp);
	fputs(content, fp);
	fclose(fp);
}

START_TEST(test_clean_replaces_control_characters)
{
	str_t out = STR_INIT;

	queue_reason_clean(&out, "host said:\r\n 450\tbusy\x7f");
	ck_assert_str_eq(str_cstr(&out), "host said:?? 450?busy?");
	str_free(&out);
}
END_TEST

START_TEST(test_clean_bounds_the_length)
{
	char *longer = malloc(QUEUE_REASON_MAX * 2 + 1);
	str_t out = STR_INIT;

	memset(longer, 'x', QUEUE_REASON_MAX * 2);
	longer[QUEUE_REASON_MAX * 2] = 0;
	queue_reason_clean(&out, longer);
	ck_assert_uint_eq(out.len, QUEUE_REASON_MAX);
	str_free(&out);
	free(longer);
}
END_TEST

START_TEST(test_parse_good_and_bad_lines)
{
	const char *text;
	off_t offset;

	ck_assert_int_eq(queue_reason_parse("1234 connect to x: refused", &offset, &text), 0);
	ck_assert_int_eq(offset, 1234);
	ck_assert_str_eq(text, "connect to x: refused");
	ck_assert_int_eq(queue_reason_parse("12 ", &offset, &text), 0);
	ck_assert_str_eq(text, "");
	ck_assert_int_eq(queue_reason_parse("", &offset, &text), -1);
	ck_assert_int_eq(queue_reason_parse("-5 negative", &offset, &text), -1);
	ck_assert_int_eq(queue_reason_parse("12x reason", &offset, &text), -1);
	ck_assert_int_eq(queue_reason_parse("12", &offset, &text), -1);
	ck_assert_int_eq(queue_reason_parse("99999999999999999999999 huge", &offset, &text), -1);
}
END_TEST

START_TEST(test_save_and_load)
{
	queue_reason_t items[] = { { 300, "second\nline" }, { 100, "first" } };
	queue_reasons_t r;

	ck_assert_int_eq(queue_reason_save(TEST_REASON_ID, items, 2), 0);
	queue_reason_load(TEST_REASON_ID, &r);
	ck_assert_uint_eq(r.count, 2);
	ck_assert_str_eq(queue_reason_find(&r, 100), "first");
	ck_assert_str_eq(queue_reason_find(&r, 300), "second?line");
	ck_assert_ptr_null(queue_reason_find(&r, 200));
	queue_reason_free(&r);
	ck_assert_int_eq(access("defer/.tmp." TEST_REASON_ID, F_OK), -1);	/* renamed */
}
END_TEST

START_TEST(test_save_of_none_removes_and_remove_is_idempotent)
{
	queue_reason_t item = { 100, "first" };

	ck_assert_int_eq(queue_reason_save(TEST_REASON_ID, &item, 1), 0);
	ck_assert_int_eq(queue_reason_save(TEST_REASON_ID, NULL, 0), 0);
	ck_assert_int_eq(access(TEST_REASON_PATH, F_OK), -1);
	ck_assert_int_eq(queue_reason_remove(TEST_REASON_ID), 0);
	ck_assert_int_eq(queue_reason_remove("../etc/passwd"), -1);
	ck_assert_int_eq(queue_reason_save("not-an-id", &item, 1), -1);
}
END_TEST

START_TEST(test_missing_file_means_no_reason)
{
	queue_reasons_t r;

	queue_reason_load(TEST_REASON_ID, &r);
	ck_assert_uint_eq(r.count, 0);
	ck_assert_ptr_null(queue_reason_find(&r, 100));
	queue_reason_free(&r);
	queue_reason_load("../../etc/passwd", &r);
	ck_assert_uint_eq(r.count, 0);
}
END_TEST

START_TEST(test_damaged_lines_are_left_out)
{
	char *line = malloc(QUEUE_REASON_MAX * 3);
	queue_reasons_t r;

	memset(line, 'y', QUEUE_REASON_MAX * 3 - 1);
	line[QUEUE_REASON_MAX * 3 - 1] = 0;
	memcpy(line, "200 ", 4);
	test_reason_write("garbage\n100 good one\n");
	{
		FILE *fp = fopen(TEST_REASON_PATH, "a");

		fprintf(fp, "%s\n300 after the long line\n400 no newline at the end", line);
		fclose(fp);
	}
	queue_reason_load(TEST_REASON_ID, &r);
	ck_assert_str_eq(queue_reason_find(&r, 100), "good one");
	ck_assert_ptr_null(queue_reason_find(&r, 200));		/* overlong: dropped */
	ck_assert_str_eq(queue_reason_find(&r, 300), "after the long line");
	ck_assert_ptr_null(queue_reason_find(&r, 400));		/* cut short */
	ck_assert_uint_eq(r.count, 2);
	queue_reason_free(&r);
	free(line);
}
END_TEST

Suite *suite_queue_reason(void)
{
	Suite *s = suite_create("queue_reason");
	TCase *tc = tcase_create("queue_reason");

	tcase_add_checked_fixture(tc, test_reason_setup, test_reason_teardown);
	tcase_add_test(tc, test_clean_replaces_control_characters);
	tcase_add_test(tc, test_clean_bounds_the_length);
	tcase_add_test(tc, test_parse_good_and_bad_lines);
	tcase_add_test(tc, test_save_and_load);
	tcase_add_test(tc, test_save_of_none_removes_and_remove_is_idempotent);
	tcase_add_test(tc, test_missing_file_means_no_reason);
	tcase_add_test(tc, test_damaged_lines_are_left_out);
	suite_add_tcase(s, tc);
	return s;
}
