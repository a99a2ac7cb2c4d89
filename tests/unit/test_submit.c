/*
 * test_submit: authorized_submit_users (names, "!name", tables, the
 * default static:anyone, an empty list, a table that cannot be read) and
 * local_login_sender_maps (the default "*", a login's own address,
 * "<>", "@domain", plain addresses, a login the table does not know).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "conf.h"
#include "submit.h"

static void test_submit_teardown(void)
{
	conf_unload();
}

static int user_allowed(const char *list, const char *login)
{
	str_t why = STR_INIT;
	int status;

	conf_set("authorized_submit_users", list);
	status = submit_user_allowed(login, &why);
	str_free(&why);
	return status;
}

static int sender_allowed(const char *maps, const char *login, const char *sender)
{
	str_t why = STR_INIT;
	int status;

	conf_set("myorigin", "host.example");
	conf_set("local_login_sender_maps", maps);
	status = submit_sender_allowed(login, sender, &why);
	str_free(&why);
	return status;
}

START_TEST(test_submit_users)
{
	ck_assert_int_eq(user_allowed("static:anyone", "bob"), SUBMIT_ALLOWED);
	ck_assert_int_eq(user_allowed("", "bob"), SUBMIT_DENIED);
	ck_assert_int_eq(user_allowed("root, bob", "bob"), SUBMIT_ALLOWED);
	ck_assert_int_eq(user_allowed("root, alice", "bob"), SUBMIT_DENIED);
	ck_assert_int_eq(user_allowed("!bob, static:anyone", "bob"), SUBMIT_DENIED);
	ck_assert_int_eq(user_allowed("!bob, static:anyone", "ann"), SUBMIT_ALLOWED);
	ck_assert_int_eq(user_allowed("inline:{ann=yes}", "ann"), SUBMIT_ALLOWED);
	ck_assert_int_eq(user_allowed("inline:{ann=yes}", "bob"), SUBMIT_DENIED);
	ck_assert_int_eq(user_allowed("texthash:/nonexistent/users", "bob"), SUBMIT_ERROR);
	ck_assert_int_eq(user_allowed("nosuchtype:x", "bob"), SUBMIT_ERROR);
}
END_TEST

START_TEST(test_submit_senders)
{
	char path[] = "/tmp/test_submit_XXXXXX";
	char table[sizeof(path) + 16];
	int fd = mkstemp(path);
	FILE *fp = fdopen(fd, "w");

	ck_assert_ptr_nonnull(fp);
	fputs("bob <>, @lists.example, ann, x@y.example\n", fp);
	ck_assert_int_eq(fclose(fp), 0);
	snprintf(table, sizeof(table), "texthash:%s", path);

	ck_assert_int_eq(sender_allowed("static:*", "bob", "anyone@else.example"), SUBMIT_ALLOWED);
	ck_assert_int_eq(sender_allowed("", "bob", "bob"), SUBMIT_ALLOWED);
	ck_assert_int_eq(sender_allowed("", "bob", "BOB@host.example"), SUBMIT_ALLOWED);
	ck_assert_int_eq(sender_allowed("", "bob", "ann"), SUBMIT_DENIED);
	ck_assert_int_eq(sender_allowed("", "bob", ""), SUBMIT_DENIED);
	ck_assert_int_eq(sender_allowed(table, "bob", ""), SUBMIT_ALLOWED);
	ck_assert_int_eq(sender_allowed(table, "bob", "news@lists.example"), SUBMIT_ALLOWED);
	ck_assert_int_eq(sender_allowed(table, "bob", "news@other.example"), SUBMIT_DENIED);
	ck_assert_int_eq(sender_allowed(table, "bob", "ann@host.example"), SUBMIT_ALLOWED);
	ck_assert_int_eq(sender_allowed(table, "bob", "X@Y.example"), SUBMIT_ALLOWED);
	ck_assert_int_eq(sender_allowed(table, "carl", "news@lists.example"), SUBMIT_DENIED);
	ck_assert_int_eq(sender_allowed("texthash:/nonexistent/maps", "bob", "x@z"), SUBMIT_ERROR);
	unlink(path);
}
END_TEST

Suite *suite_submit(void)
{
	Suite *s = suite_create("submit");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, NULL, test_submit_teardown);
	tcase_add_test(tc, test_submit_users);
	tcase_add_test(tc, test_submit_senders);
	suite_add_tcase(s, tc);
	return s;
}
