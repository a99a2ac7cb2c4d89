/*
 * test_maildir_quota: how full a Maildir is (",S=" sizes, other files by
 * their size, the Maildir++ maildirsize file) and whether a message of a
 * given size still fits under a limit.
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

static char test_base[64];
static int test_base_fd = -1;

static int test_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

static void test_setup(void)
{
	snprintf(test_base, sizeof(test_base), "/tmp/pochta-quota-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(test_base));
	test_base_fd = open(test_base, O_PATH | O_DIRECTORY);
	ck_assert_int_ge(test_base_fd, 0);
	ck_assert_int_eq(maildir_create(test_base_fd, "md/"), 0);
}

static void test_teardown(void)
{
	close(test_base_fd);
	nftw(test_base, test_rm, 16, FTW_DEPTH | FTW_PHYS);
}

static void test_file(const char *name, size_t size)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/md/%s", test_base, name);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	for (size_t i = 0; i < size; i++)
		fputc('x', f);
	fclose(f);
}

static void test_read_sizefile(char *buf, size_t len)
{
	char path[256];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/md/%s", test_base, MAILDIR_QUOTA_FILE);
	ck_assert_ptr_nonnull(f = fopen(path, "r"));
	n = fread(buf, 1, len - 1, f);
	buf[n] = 0;
	fclose(f);
}

START_TEST(test_name_size)
{
	ck_assert_int_eq(maildir_name_size("1.M2P3Q4.host,S=1234"), 1234);
	ck_assert_int_eq(maildir_name_size("1.M2P3Q4.host,S=99:2,S"), 99);
	ck_assert_int_eq(maildir_name_size("1.M2P3Q4.host,S=7,W=9"), 7);
	ck_assert_int_eq(maildir_name_size("1.M2P3Q4.host"), -1);
	ck_assert_int_eq(maildir_name_size("1.host,S="), -1);
	ck_assert_int_eq(maildir_name_size("1.host,S=12x"), -1);
}
END_TEST

START_TEST(test_sizes_from_names_and_files)
{
	char text[256];

	test_file("new/1.a.host,S=4000", 10);	/* the name is believed */
	test_file("cur/2.b.host,S=5000:2,S", 10);
	test_file("cur/3.c.host", 1000);		/* no ,S=: its real size */
	ck_assert_int_eq(maildir_quota_check(test_base_fd, "md/", 20000, 10000), 0);
	ck_assert_int_eq(maildir_quota_check(test_base_fd, "md/", 20000, 10001), 1);
	test_read_sizefile(text, sizeof(text));
	ck_assert_str_eq(text, "20000S\n10000 3\n");
}
END_TEST

START_TEST(test_sizefile_is_used_and_grows)
{
	char text[256];

	test_file("maildirsize", 0);
	ck_assert_int_eq(unlink(strcat(strcpy(text, test_base), "/md/maildirsize")), 0);
	test_file("new/1.a.host,S=100", 1);
	ck_assert_int_eq(maildir_quota_check(test_base_fd, "md/", 1000, 100), 0);
	maildir_quota_add(test_base_fd, "md/", 850);
	test_read_sizefile(text, sizeof(text));
	ck_assert_str_eq(text, "1000S\n100 1\n850 1\n");
	/* 950 used by the file's count, although new/ holds only 100 */
	ck_assert_int_eq(maildir_quota_check(test_base_fd, "md/", 1000, 50), 0);
	ck_assert_int_eq(maildir_quota_check(test_base_fd, "md/", 1000, 51), 1);
}
END_TEST

START_TEST(test_damaged_sizefile_is_recomputed)
{
	char text[256];

	test_file("new/1.a.host,S=300", 1);
	ck_assert_int_eq(maildir_quota_check(test_base_fd, "md/", 1000, 1), 0);
	test_file("maildirsize", 0);	/* empty: damaged */
	ck_assert_int_eq(maildir_quota_check(test_base_fd, "md/", 1000, 700), 0);
	test_read_sizefile(text, sizeof(text));
	ck_assert_str_eq(text, "1000S\n300 1\n");
}
END_TEST

/* Sums that overflow or go below zero are damage: recomputed, never believed. */
START_TEST(test_absurd_sizefile_is_recomputed)
{
	static const char *const bad[] = {
		"1000S\n9223372036854775807 1\n9223372036854775807 1\n",
		"1000S\n-100000 -1\n",
	};
	char path[256];
	FILE *f;

	test_file("new/1.a.host,S=900", 1);
	snprintf(path, sizeof(path), "%s/md/%s", test_base, MAILDIR_QUOTA_FILE);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_ptr_nonnull(f = fopen(path, "w"));
		fputs(bad[i], f);
		fclose(f);
		/* 900 really used: 101 more does not fit */
		ck_assert_int_eq(maildir_quota_check(test_base_fd, "md/", 1000, 101), 1);
	}
}
END_TEST

START_TEST(test_missing_maildir_is_empty)
{
	ck_assert_int_eq(maildir_quota_check(test_base_fd, "none/", 1000, 1000), 0);
	ck_assert_int_eq(maildir_quota_check(test_base_fd, "none/", 1000, 1001), 1);
	maildir_quota_add(test_base_fd, "none/", 5);	/* nothing to record in */
}
END_TEST

Suite *suite_maildir_quota(void)
{
	Suite *s = suite_create("maildir_quota");
	TCase *tc = tcase_create("maildir_quota");

	tcase_add_checked_fixture(tc, test_setup, test_teardown);
	tcase_add_test(tc, test_name_size);
	tcase_add_test(tc, test_sizes_from_names_and_files);
	tcase_add_test(tc, test_sizefile_is_used_and_grows);
	tcase_add_test(tc, test_damaged_sizefile_is_recomputed);
	tcase_add_test(tc, test_absurd_sizefile_is_recomputed);
	tcase_add_test(tc, test_missing_maildir_is_empty);
	suite_add_tcase(s, tc);
	return s;
}
