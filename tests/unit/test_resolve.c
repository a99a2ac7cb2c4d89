/*
 * test_resolve: recipient classes as smtpd and qmgr see them: virtual
 * mailboxes found or not, local system users ("root"), relay for other
 * domains, case and trailing-dot insensitivity, and the default
 * virtual_mailbox_domains = $virtual_mailbox_maps, and temporary errors
 * from a table that cannot be read; the virtual alias and relay_domains
 * classes and which class wins, recipient_delimiter and catch-all keys in
 * virtual_mailbox_maps, local_recipient_maps (empty: every local part).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "resolve.h"

#define TEST_RESOLVE_PATH_MAX 256

static char test_resolve_dir[TEST_RESOLVE_PATH_MAX];

static void test_resolve_write(const char *name, const char *text)
{
	char path[TEST_RESOLVE_PATH_MAX + 32];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", test_resolve_dir, name);
	fp = fopen(path, "w");
	ck_assert_ptr_nonnull(fp);
	fputs(text, fp);
	ck_assert_int_eq(fclose(fp), 0);
}

static void test_resolve_setup(void)
{
	snprintf(test_resolve_dir, sizeof(test_resolve_dir), "/tmp/pochta-test-resolve-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(test_resolve_dir));
	test_resolve_write("vmailbox",
			   "demo@localhost      localhost/demo/\n"
			   "User@Virt.Example   virt/user/\n"
			   "tabledomain.example this key makes the domain virtual\n"
			   "@catch.example      catch/\n");
	test_resolve_write("valias",
			   "info@alias.example  someone@elsewhere.org\n"
			   "@catchall.example   someone@elsewhere.org\n"
			   "alias-only.example  this key makes the domain an alias domain\n"
			   "postmaster@localhost demo@localhost\n");
}

static void test_resolve_teardown(void)
{
	char path[TEST_RESOLVE_PATH_MAX + 32];

	resolve_close();
	conf_unload();
	snprintf(path, sizeof(path), "%s/vmailbox", test_resolve_dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/main.cf", test_resolve_dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/valias", test_resolve_dir);
	unlink(path);
	rmdir(test_resolve_dir);
}

/* main.cf from extra lines (with @DIR@ standing for the test directory). */
static void test_resolve_init(const char *lines)
{
	char text[2048];
	char *at;
	str_t err = STR_INIT;

	snprintf(text, sizeof(text), "myhostname = mail.example.com\n%s", lines);
	while ((at = strstr(text, "@DIR@")) != NULL) {
		char rest[2048];

		snprintf(rest, sizeof(rest), "%s", at + 5);
		snprintf(at, sizeof(text) - (size_t)(at - text), "%s%s", test_resolve_dir, rest);
	}
	test_resolve_write("main.cf", text);
	ck_assert_msg(conf_load(test_resolve_dir, &err) == 0, "conf_load: %s", str_cstr(&err));
	ck_assert_msg(resolve_init(&err) == 0, "resolve_init: %s", str_cstr(&err));
	str_free(&err);
}

static void test_resolve_expect(const char *addr, enum resolve_class cls, int found,
				const char *mailbox, const char *domain)
{
	resolve_result_t res;

	resolve_result_init(&res);
	ck_assert_int_eq(resolve_address(addr, &res), 0);
	ck_assert_msg(res.cls == cls, "%s: class %d, expected %d", addr, res.cls, cls);
	ck_assert_msg(res.found == found, "%s: found %d, expected %d", addr, res.found, found);
	ck_assert_str_eq(str_cstr(&res.mailbox), mailbox);
	ck_assert_str_eq(str_cstr(&res.domain), domain);
	resolve_result_free(&res);
}

START_TEST(test_classes)
{
	test_resolve_init("mydestination = $myhostname, localhost.localdomain\n"
			  "local_recipient_maps = unix:passwd.byname\n"
			  "virtual_mailbox_maps = texthash:@DIR@/vmailbox\n"
			  "virtual_mailbox_domains = $virtual_mailbox_maps, Virt2.Example.\n");

	test_resolve_expect("demo@localhost", RESOLVE_VIRTUAL, 1, "localhost/demo/", "localhost");
	test_resolve_expect("DEMO@LocalHost.", RESOLVE_VIRTUAL, 1, "localhost/demo/", "localhost");
	test_resolve_expect("nobody@localhost", RESOLVE_VIRTUAL, 0, "", "localhost");
	test_resolve_expect("user@virt.example", RESOLVE_VIRTUAL, 1, "virt/user/", "virt.example");
	test_resolve_expect("user@virt2.example", RESOLVE_VIRTUAL, 0, "", "virt2.example");
	test_resolve_expect("any@tabledomain.example", RESOLVE_VIRTUAL, 0, "", "tabledomain.example");

	test_resolve_expect("root@mail.example.com", RESOLVE_LOCAL, 1, "root", "mail.example.com");
	test_resolve_expect("ROOT@Mail.Example.COM", RESOLVE_LOCAL, 1, "root", "mail.example.com");
	test_resolve_expect("root", RESOLVE_LOCAL, 1, "root", "mail.example.com");	/* @$myorigin */
	test_resolve_expect("no-such-user-4711@localhost.localdomain", RESOLVE_LOCAL, 0,
			    "no-such-user-4711", "localhost.localdomain");
	test_resolve_expect("@mail.example.com", RESOLVE_LOCAL, 0, "", "mail.example.com");

	test_resolve_expect("someone@elsewhere.org", RESOLVE_RELAY, 1, "", "elsewhere.org");
	test_resolve_expect("demo@localhost.org", RESOLVE_RELAY, 1, "", "localhost.org");
	test_resolve_expect("demo@sub.localhost", RESOLVE_RELAY, 1, "", "sub.localhost");
}
END_TEST

START_TEST(test_default_virtual_domains)
{
	/* virtual_mailbox_domains left at its default, $virtual_mailbox_maps;
	 * mydestination's default includes localhost, and virtual wins. */
	test_resolve_init("virtual_mailbox_maps = texthash:@DIR@/vmailbox\n"
			  "local_recipient_maps = unix:passwd.byname\n");
	test_resolve_expect("demo@localhost", RESOLVE_VIRTUAL, 1, "localhost/demo/", "localhost");
	test_resolve_expect("root@mail.example.com", RESOLVE_LOCAL, 1, "root", "mail.example.com");
	test_resolve_expect("x@example.net", RESOLVE_RELAY, 1, "", "example.net");
}
END_TEST

START_TEST(test_no_virtual)
{
	test_resolve_init("virtual_mailbox_maps =\nlocal_recipient_maps = unix:passwd.byname\n");
	test_resolve_expect("root@localhost", RESOLVE_LOCAL, 1, "root", "localhost");
	test_resolve_expect("demo@localhost", RESOLVE_LOCAL, 0, "demo", "localhost");
	test_resolve_expect("root@localhost.example.com", RESOLVE_LOCAL, 1, "root",
			    "localhost.example.com");	/* localhost.$mydomain */
}
END_TEST

START_TEST(test_init_errors)
{
	str_t err = STR_INIT;

	test_resolve_write("main.cf", "virtual_mailbox_maps = nosuch:/x\n");
	ck_assert_int_eq(conf_load(test_resolve_dir, &err), 0);
	ck_assert_int_eq(resolve_init(&err), -1);
	ck_assert_str_eq(str_cstr(&err), "unsupported dictionary type: nosuch (in virtual_mailbox_maps)");
	str_reset(&err);
	str_free(&err);
}
END_TEST

/* A table file that cannot be read now makes lookups fail for now. */
START_TEST(test_table_unavailable)
{
	str_t err = STR_INIT;
	resolve_result_t res;

	test_resolve_write("main.cf", "mydestination = texthash:/nonexistent/x\n");
	ck_assert_int_eq(conf_load(test_resolve_dir, &err), 0);
	ck_assert_int_eq(resolve_init(&err), 0);
	resolve_result_init(&res);
	ck_assert_int_eq(resolve_address("user@example.com", &res), -1);
	ck_assert_ptr_nonnull(strstr(str_cstr(&res.mailbox), "/nonexistent/x"));
	resolve_result_free(&res);
	resolve_close();
	str_free(&err);
}
END_TEST

START_TEST(test_alias_and_relay_domains)
{
	str_t why = STR_INIT;

	test_resolve_init("mydestination = localhost.localdomain\n"
			  "virtual_mailbox_maps = texthash:@DIR@/vmailbox\n"
			  "virtual_alias_maps = texthash:@DIR@/valias\n"
			  "relay_domains = Relay.Example\n");
	test_resolve_expect("info@alias.example", RESOLVE_ALIAS, 0, "", "alias.example");
	test_resolve_expect("nobody@alias.example", RESOLVE_ALIAS, 0, "", "alias.example");
	test_resolve_expect("x@catchall.example", RESOLVE_ALIAS, 0, "", "catchall.example");
	test_resolve_expect("x@alias-only.example", RESOLVE_ALIAS, 0, "", "alias-only.example");
	/* an alias in a mailbox domain leaves the domain's mailboxes alone */
	test_resolve_expect("demo@localhost", RESOLVE_VIRTUAL, 1, "localhost/demo/", "localhost");
	test_resolve_expect("x@relay.example", RESOLVE_RELAY_DOMAIN, 1, "", "relay.example");
	test_resolve_expect("x@sub.relay.example", RESOLVE_RELAY, 1, "", "sub.relay.example");
	test_resolve_expect("x@elsewhere.org", RESOLVE_RELAY, 1, "", "elsewhere.org");

	ck_assert_int_eq(resolve_domain_local("LocalHost.LocalDomain.", &why), 1);
	ck_assert_int_eq(resolve_domain_local("mail.example.com", &why), 1);	/* $myorigin */
	ck_assert_int_eq(resolve_domain_local("localhost", &why), 0);
	str_free(&why);
}
END_TEST

START_TEST(test_delimiter_and_catchall)
{
	test_resolve_init("recipient_delimiter = +\n"
			  "virtual_mailbox_maps = texthash:@DIR@/vmailbox\n"
			  "virtual_mailbox_domains = localhost, catch.example\n");
	test_resolve_expect("demo+tag@localhost", RESOLVE_VIRTUAL, 1, "localhost/demo/", "localhost");
	test_resolve_expect("Demo+Tag+More@localhost", RESOLVE_VIRTUAL, 1, "localhost/demo/",
			    "localhost");
	test_resolve_expect("nobody+demo@localhost", RESOLVE_VIRTUAL, 0, "", "localhost");
	test_resolve_expect("anyone@catch.example", RESOLVE_VIRTUAL, 1, "catch/", "catch.example");
}
END_TEST

START_TEST(test_local_recipient_maps)
{
	test_resolve_init("mydestination = $myhostname\n"
			  "recipient_delimiter = +\n"
			  "local_recipient_maps = inline:{alice=yes}\n");
	test_resolve_expect("alice@mail.example.com", RESOLVE_LOCAL, 1, "alice", "mail.example.com");
	test_resolve_expect("alice+tag@mail.example.com", RESOLVE_LOCAL, 1, "alice+tag",
			    "mail.example.com");
	test_resolve_expect("root@mail.example.com", RESOLVE_LOCAL, 0, "root", "mail.example.com");
	resolve_close();
	conf_unload();
	test_resolve_init("mydestination = $myhostname\nlocal_recipient_maps =\n");
	test_resolve_expect("anyone@mail.example.com", RESOLVE_LOCAL, 1, "anyone",
			    "mail.example.com");
}
END_TEST

Suite *suite_resolve(void)
{
	Suite *s = suite_create("resolve");
	TCase *tc = tcase_create("resolve");

	tcase_add_checked_fixture(tc, test_resolve_setup, test_resolve_teardown);
	tcase_add_test(tc, test_classes);
	tcase_add_test(tc, test_default_virtual_domains);
	tcase_add_test(tc, test_no_virtual);
	tcase_add_test(tc, test_init_errors);
	tcase_add_test(tc, test_table_unavailable);
	tcase_add_test(tc, test_alias_and_relay_domains);
	tcase_add_test(tc, test_delimiter_and_catchall);
	tcase_add_test(tc, test_local_recipient_maps);
	suite_add_tcase(s, tc);
	return s;
}
