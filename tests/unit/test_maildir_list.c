/*
 * test_maildir_list: a Maildir as POP3 lists it: messages of new/ and cur/
 * in delivery order, CR LF sizes, ids that survive marking a message seen.
 */
#include <check.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "maildir.h"
#include "maildir_list.h"

static char test_base[64];
static int test_dir_fd = -1;

static int test_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

static void test_setup(void)
{
	int base_fd;

	snprintf(test_base, sizeof(test_base), "/tmp/pochta-mdlist-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(test_base));
	base_fd = open(test_base, O_PATH | O_DIRECTORY);
	ck_assert_int_ge(base_fd, 0);
	ck_assert_int_eq(maildir_create(base_fd, "md/"), 0);
	test_dir_fd = openat(base_fd, "md", O_PATH | O_DIRECTORY);
	ck_assert_int_ge(test_dir_fd, 0);
	close(base_fd);
}

static void test_teardown(void)
{
	close(test_dir_fd);
	nftw(test_base, test_rm, 16, FTW_DEPTH | FTW_PHYS);
}

static void test_file(const char *name, const char *content)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/md/%s", test_base, name);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs(content, f);
	fclose(f);
}

static int test_exists(const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/md/%s", test_base, name);
	return access(path, F_OK) == 0;
}

START_TEST(crlf_sizes_count_bare_lf_twice)
{
	maildir_list_t list;

	test_file("new/200.M1P1Q1.host,S=6", "a\nb\r\nc");
	ck_assert_int_eq(maildir_list_read(test_dir_fd, &list), 0);
	ck_assert_uint_eq(list.count, 1);
	ck_assert_int_eq(list.items[0].size, 7);
	ck_assert_int_eq(list.total, 7);
	maildir_list_free(&list);
}
END_TEST

START_TEST(order_is_delivery_time_across_new_and_cur)
{
	maildir_list_t list;

	test_file("new/300.M1P1Q1.host", "x\n");
	test_file("cur/100.M1P1Q1.host:2,S", "y\n");
	test_file("new/1000.M1P1Q1.host", "z\n");
	test_file("new/.hidden", "z\n");
	ck_assert_int_eq(maildir_list_read(test_dir_fd, &list), 0);
	ck_assert_uint_eq(list.count, 3);
	ck_assert_str_eq(list.items[0].uid, "100.M1P1Q1.host");
	ck_assert_str_eq(list.items[1].uid, "300.M1P1Q1.host");
	ck_assert_str_eq(list.items[2].uid, "1000.M1P1Q1.host");
	ck_assert_int_eq(list.total, 9);
	maildir_list_free(&list);
}
END_TEST

START_TEST(seen_moves_new_to_cur_keeping_the_uid)
{
	maildir_list_t list;

	test_file("new/5.M1P1Q1.host,S=2", "x\n");
	ck_assert_int_eq(maildir_list_read(test_dir_fd, &list), 0);
	ck_assert_int_eq(maildir_list_seen(test_dir_fd, &list.items[0]), 0);
	ck_assert_str_eq(list.items[0].name, "cur/5.M1P1Q1.host,S=2:2,S");
	ck_assert(test_exists("cur/5.M1P1Q1.host,S=2:2,S"));
	ck_assert(!test_exists("new/5.M1P1Q1.host,S=2"));
	maildir_list_free(&list);
	ck_assert_int_eq(maildir_list_read(test_dir_fd, &list), 0);
	ck_assert_str_eq(list.items[0].uid, "5.M1P1Q1.host,S=2");
	maildir_list_free(&list);
}
END_TEST

START_TEST(seen_adds_s_to_flags_in_order)
{
	maildir_list_t list;

	test_file("cur/6.M1P1Q1.host:2,FT", "x\n");
	test_file("cur/7.M1P1Q1.host:2,RS", "x\n");
	ck_assert_int_eq(maildir_list_read(test_dir_fd, &list), 0);
	ck_assert_int_eq(maildir_list_seen(test_dir_fd, &list.items[0]), 0);
	ck_assert_str_eq(list.items[0].name, "cur/6.M1P1Q1.host:2,FST");
	ck_assert_int_eq(maildir_list_seen(test_dir_fd, &list.items[1]), 0);
	ck_assert_str_eq(list.items[1].name, "cur/7.M1P1Q1.host:2,RS");
	maildir_list_free(&list);
}
END_TEST

START_TEST(missing_subdirectories_are_empty)
{
	maildir_list_t list;
	char path[256];

	snprintf(path, sizeof(path), "%s/md/new", test_base);
	ck_assert_int_eq(rmdir(path), 0);
	ck_assert_int_eq(maildir_list_read(test_dir_fd, &list), 0);
	ck_assert_uint_eq(list.count, 0);
	ck_assert_int_eq(list.total, 0);
	maildir_list_free(&list);
}
END_TEST

Suite *suite_maildir_list(void)
{
	Suite *s = suite_create("maildir_list");
	TCase *tc = tcase_create("maildir_list");

	tcase_add_checked_fixture(tc, test_setup, test_teardown);
	tcase_add_test(tc, crlf_sizes_count_bare_lf_twice);
	tcase_add_test(tc, order_is_delivery_time_across_new_and_cur);
	tcase_add_test(tc, seen_moves_new_to_cur_keeping_the_uid);
	tcase_add_test(tc, seen_adds_s_to_flags_in_order);
	tcase_add_test(tc, missing_subdirectories_are_empty);
	suite_add_tcase(s, tc);
	return s;
}
