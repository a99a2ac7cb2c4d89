/*
 * test_maildir: Maildir delivery as a mail reader would see the result:
 * the directory tree, the files in new/, their names, sizes and content,
 * and that a failed delivery leaves nothing behind.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "maildir.h"

#define TEST_MANY 300			/* deliveries for the uniqueness test */
#define TEST_NAMES_MAX (TEST_MANY + 8)

static char test_base[64];
static int test_base_fd = -1;
static int test_src_fd = -1;

static const char test_prefix[] = "Return-Path: <a@example.org>\nDelivered-To: demo@localhost\n";
static const char test_junk[] = "QUEUE-RECORDS";	/* before the content, must not be copied */
static const char test_content[] = "Subject: hi\n\nhello\n";

static void test_setup(void)
{
	char src[] = "/tmp/pochta-msrc-XXXXXX";

	snprintf(test_base, sizeof(test_base), "/tmp/pochta-maildir-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(test_base));
	test_base_fd = open(test_base, O_PATH | O_DIRECTORY);
	ck_assert_int_ge(test_base_fd, 0);
	test_src_fd = mkstemp(src);
	ck_assert_int_ge(test_src_fd, 0);
	unlink(src);
	ck_assert_int_eq(write(test_src_fd, test_junk, strlen(test_junk)), (ssize_t)strlen(test_junk));
	ck_assert_int_eq(write(test_src_fd, test_content, strlen(test_content)),
			 (ssize_t)strlen(test_content));
}

static int test_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

static void test_teardown(void)
{
	close(test_base_fd);
	close(test_src_fd);
	nftw(test_base, test_rm, 16, FTW_DEPTH | FTW_PHYS);
}

static maildir_msg_t test_msg(void)
{
	maildir_msg_t msg = { test_prefix, strlen(test_prefix), test_src_fd,
			      (off_t)strlen(test_junk), (off_t)strlen(test_content) };
	return msg;
}

/* Names of the entries in base/sub (no dot entries); returns the count. */
static size_t test_list(const char *sub, char names[][256], size_t max)
{
	char path[512];
	struct dirent *de;
	size_t n = 0;
	DIR *dir;

	snprintf(path, sizeof(path), "%s/%s", test_base, sub);
	dir = opendir(path);
	ck_assert_msg(dir != NULL, "cannot open %s", path);
	while ((de = readdir(dir)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (n < max)
			snprintf(names[n], 256, "%s", de->d_name);
		n++;
	}
	closedir(dir);
	return n;
}

static void test_read(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	ck_assert_int_ge(fd, 0);
	n = read(fd, buf, size - 1);
	ck_assert_int_ge(n, 0);
	buf[n] = 0;
	close(fd);
}

START_TEST(test_deliver_creates_tree)
{
	maildir_msg_t msg = test_msg();
	char names[4][256], path[1024], body[1024], want[1024];
	str_t name = STR_INIT;
	struct stat st;

	ck_assert_int_eq(maildir_deliver(test_base_fd, "localhost/demo/", &msg, &name), 0);
	snprintf(path, sizeof(path), "%s/localhost/demo/cur", test_base);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
	ck_assert_int_eq(st.st_mode & 0777, 0700);
	ck_assert_uint_eq(test_list("localhost/demo/tmp", names, 4), 0);
	ck_assert_uint_eq(test_list("localhost/demo/new", names, 4), 1);
	ck_assert_str_eq(names[0], name.data);

	snprintf(path, sizeof(path), "%s/localhost/demo/new/%s", test_base, name.data);
	test_read(path, body, sizeof(body));
	snprintf(want, sizeof(want), "%s%s", test_prefix, test_content);
	ck_assert_str_eq(body, want);
	str_free(&name);
}
END_TEST

START_TEST(test_name_format_and_size)
{
	maildir_msg_t msg = test_msg();
	str_t name = STR_INIT;
	char path[1024];
	struct stat st;
	regex_t re;
	const char *s;

	ck_assert_int_eq(maildir_deliver(test_base_fd, "m", &msg, &name), 0);
	ck_assert_int_eq(regcomp(&re, "^[0-9]+\\.M[0-9]+P[0-9]+Q[0-9]+\\.[^/:]+,S=[0-9]+$",
				 REG_EXTENDED | REG_NOSUB), 0);
	ck_assert_msg(regexec(&re, name.data, 0, NULL, 0) == 0, "bad name %s", name.data);
	regfree(&re);
	snprintf(path, sizeof(path), "%s/m/new/%s", test_base, name.data);
	ck_assert_int_eq(stat(path, &st), 0);
	s = strstr(name.data, ",S=");
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(atoll(s + 3), (long long)st.st_size);
	ck_assert_int_eq(st.st_size, (off_t)(strlen(test_prefix) + strlen(test_content)));
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	str_free(&name);
}
END_TEST

START_TEST(test_unique_across_many)
{
	static char names[TEST_NAMES_MAX][256];
	maildir_msg_t msg = test_msg();
	size_t i, j, n;

	for (i = 0; i < TEST_MANY; i++)
		ck_assert_int_eq(maildir_deliver(test_base_fd, "u/", &msg, NULL), 0);
	n = test_list("u/new", names, TEST_NAMES_MAX);
	ck_assert_uint_eq(n, TEST_MANY);
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			ck_assert_str_ne(names[i], names[j]);
	ck_assert_uint_eq(test_list("u/tmp", names, TEST_NAMES_MAX), 0);
}
END_TEST

START_TEST(test_absolute_path_and_existing_tree)
{
	maildir_msg_t msg = test_msg();
	char path[512], names[4][256];

	snprintf(path, sizeof(path), "%s/home/Maildir/", test_base);
	ck_assert_int_eq(maildir_create(AT_FDCWD, path), 0);
	ck_assert_int_eq(maildir_create(AT_FDCWD, path), 0);	/* again: no error */
	ck_assert_int_eq(maildir_deliver(AT_FDCWD, path, &msg, NULL), 0);
	ck_assert_uint_eq(test_list("home/Maildir/new", names, 4), 1);
}
END_TEST

START_TEST(test_unique_escapes_host)
{
	struct timeval tv = { 1700000000, 42 };
	str_t out = STR_INIT;

	maildir_unique(&out, &tv, 1234, 7, "mx/1:a.example");
	ck_assert_str_eq(out.data, "1700000000.M42P1234Q7.mx\\0571\\072a.example");
	maildir_unique(&out, &tv, 1, 8, "plain");
	ck_assert_str_eq(out.data, "1700000000.M42P1Q8.plain");
	str_free(&out);
}
END_TEST

START_TEST(test_bad_dirfd_fails)
{
	maildir_msg_t msg = test_msg();

	errno = 0;
	ck_assert_int_eq(maildir_deliver(-1, "x/", &msg, NULL), -1);
	ck_assert_int_eq(errno, EBADF);
}
END_TEST

START_TEST(test_file_in_place_of_new_leaves_nothing)
{
	maildir_msg_t msg = test_msg();
	char path[512], names[4][256];
	int fd;

	ck_assert_int_eq(mkdirat(test_base_fd, "b", 0700), 0);
	ck_assert_int_eq(mkdirat(test_base_fd, "b/tmp", 0700), 0);
	ck_assert_int_eq(mkdirat(test_base_fd, "b/cur", 0700), 0);
	snprintf(path, sizeof(path), "%s/b/new", test_base);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	ck_assert_int_ge(fd, 0);
	close(fd);
	errno = 0;
	ck_assert_int_eq(maildir_deliver(test_base_fd, "b/", &msg, NULL), -1);
	ck_assert_int_eq(errno, ENOTDIR);
	ck_assert_uint_eq(test_list("b/tmp", names, 4), 0);
}
END_TEST

START_TEST(test_short_source_leaves_nothing)
{
	maildir_msg_t msg = test_msg();
	char names[4][256];

	msg.size += 100;	/* more than the file holds */
	ck_assert_int_eq(maildir_deliver(test_base_fd, "s/", &msg, NULL), -1);
	ck_assert_int_eq(errno, EIO);
	ck_assert_uint_eq(test_list("s/new", names, 4), 0);
	ck_assert_uint_eq(test_list("s/tmp", names, 4), 0);
}
END_TEST

START_TEST(test_path_too_long)
{
	maildir_msg_t msg = test_msg();
	char *path = malloc(MAILDIR_PATH_MAX + 10);

	memset(path, 'a', MAILDIR_PATH_MAX + 9);
	path[MAILDIR_PATH_MAX + 9] = 0;
	ck_assert_int_eq(maildir_deliver(test_base_fd, path, &msg, NULL), -1);
	ck_assert_int_eq(errno, ENAMETOOLONG);
	free(path);
}
END_TEST

START_TEST(test_below_base_takes_maildir_paths_inside_the_base)
{
	ck_assert_str_eq(maildir_below_base("example.org/joe/"), "example.org/joe/");
	ck_assert_str_eq(maildir_below_base("//example.org/joe/"), "example.org/joe/");
	ck_assert_str_eq(maildir_below_base("a/..b/c../"), "a/..b/c../");
}
END_TEST

START_TEST(test_below_base_refuses_files_and_climbing)
{
	ck_assert_ptr_null(maildir_below_base(""));
	ck_assert_ptr_null(maildir_below_base("/"));
	ck_assert_ptr_null(maildir_below_base("example.org/joe"));
	ck_assert_ptr_null(maildir_below_base("../x/"));
	ck_assert_ptr_null(maildir_below_base("example.org/../../x/"));
	ck_assert_ptr_null(maildir_below_base("a/b/../"));
}
END_TEST

Suite *suite_maildir(void)
{
	Suite *s = suite_create("maildir");
	TCase *tc = tcase_create("deliver");

	tcase_add_checked_fixture(tc, test_setup, test_teardown);
	tcase_add_test(tc, test_deliver_creates_tree);
	tcase_add_test(tc, test_name_format_and_size);
	tcase_add_test(tc, test_unique_across_many);
	tcase_add_test(tc, test_absolute_path_and_existing_tree);
	tcase_add_test(tc, test_unique_escapes_host);
	tcase_add_test(tc, test_bad_dirfd_fails);
	tcase_add_test(tc, test_file_in_place_of_new_leaves_nothing);
	tcase_add_test(tc, test_below_base_takes_maildir_paths_inside_the_base);
	tcase_add_test(tc, test_below_base_refuses_files_and_climbing);
	tcase_add_test(tc, test_short_source_leaves_nothing);
	tcase_add_test(tc, test_path_too_long);
	suite_add_tcase(s, tc);
	return s;
}
