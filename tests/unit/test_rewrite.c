/*
 * test_rewrite: virtual alias expansion (one-to-many, recursion, an
 * address that expands into itself, a loop, the recursion and expansion
 * limits, a catch-all @domain, user+ext lookups, unqualified values,
 * repeats, the bare "user" key only for local domains, an unreadable
 * table) and the canonical maps (sender and recipient, before aliases).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "resolve.h"
#include "rewrite.h"

#define TEST_REWRITE_PATH_MAX 256
#define TEST_REWRITE_TEXT_MAX 4096

static char test_rewrite_dir[TEST_REWRITE_PATH_MAX];

static const char test_rewrite_virtual[] =
	"team@ex.com        a@ex.com, b@ex.com  c@ex.com\n"
	"x@ex.com           y@ex.com\n"
	"y@ex.com           z@ex.com\n"
	"self@ex.com        self@ex.com, other@ex.com\n"
	"loop1@ex.com       loop2@ex.com\n"
	"loop2@ex.com       loop1@ex.com\n"
	"@catch.example     catcher@ex.com\n"
	"known@catch.example known-box@ex.com\n"
	"user@ex.com        user-box@ex.com\n"
	"user+special@ex.com special-box@ex.com\n"
	"bare@ex.com        bare\n"
	"dup@ex.com         a@ex.com, a@ex.com, team@ex.com\n"
	"new@ex.com         final@ex.com\n"
	"bob                local-bob@ex.com\n"
	"angle@ex.com       <a@ex.com>\n";

static const char test_rewrite_canonical[] =
	"old@ex.com         new@ex.com\n"
	"first@ex.com       second@ex.com, ignored@ex.com\n"
	"second@ex.com      third@ex.com\n"
	"ping@ex.com        pong@ex.com\n"
	"pong@ex.com        ping@ex.com\n";

static void test_rewrite_write(const char *name, const char *text)
{
	char path[TEST_REWRITE_PATH_MAX + 32];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", test_rewrite_dir, name);
	fp = fopen(path, "w");
	ck_assert_ptr_nonnull(fp);
	fputs(text, fp);
	ck_assert_int_eq(fclose(fp), 0);
}

static void test_rewrite_setup(void)
{
	snprintf(test_rewrite_dir, sizeof(test_rewrite_dir), "/tmp/pochta-test-rewrite-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(test_rewrite_dir));
	test_rewrite_write("virtual", test_rewrite_virtual);
	test_rewrite_write("canonical", test_rewrite_canonical);
	test_rewrite_write("sender", "me@ex.com  public@ex.com\n");
}

static void test_rewrite_teardown(void)
{
	static const char *const files[] = { "virtual", "canonical", "sender", "main.cf" };
	char path[TEST_REWRITE_PATH_MAX + 32];

	rewrite_close();
	resolve_close();
	conf_unload();
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", test_rewrite_dir, files[i]);
		unlink(path);
	}
	rmdir(test_rewrite_dir);
}

/* main.cf: the tables in the test directory plus extra lines. */
static void test_rewrite_init(const char *extra)
{
	char text[TEST_REWRITE_TEXT_MAX];
	str_t err = STR_INIT;

	snprintf(text, sizeof(text),
		 "myhostname = mail.ex.com\n"
		 "myorigin = ex.com\n"
		 "mydestination = ex.local\n"
		 "local_recipient_maps =\n"
		 "recipient_delimiter = +\n"
		 "virtual_alias_maps = texthash:%s/virtual\n"
		 "recipient_canonical_maps = texthash:%s/canonical\n"
		 "sender_canonical_maps = texthash:%s/sender\n"
		 "canonical_maps = inline:{public@ex.com=outside@ex.com}\n%s",
		 test_rewrite_dir, test_rewrite_dir, test_rewrite_dir, extra);
	test_rewrite_write("main.cf", text);
	ck_assert_msg(conf_load(test_rewrite_dir, &err) == 0, "conf_load: %s", str_cstr(&err));
	ck_assert_msg(resolve_init(&err) == 0, "resolve_init: %s", str_cstr(&err));
	ck_assert_msg(rewrite_init(&err) == 0, "rewrite_init: %s", str_cstr(&err));
	str_free(&err);
}

/* Expand addr and compare with want, the expected addresses joined by " ". */
static void test_rewrite_expect(const char *addr, const char *want)
{
	str_t out = STR_INIT;
	str_t why = STR_INIT;
	str_t joined = STR_INIT;
	size_t count, i, off;
	int status = rewrite_virtual_alias(addr, &out, &count, &why);

	ck_assert_msg(status == REWRITE_OK, "%s: status %d: %s", addr, status, str_cstr(&why));
	for (i = 0, off = 0; i < count; i++, off += strlen(out.data + off) + 1)
		str_printf(&joined, "%s%s", i ? " " : "", out.data + off);
	ck_assert_uint_eq(off, out.len);
	ck_assert_msg(strcmp(str_cstr(&joined), want) == 0, "%s: got \"%s\", want \"%s\"", addr,
		      str_cstr(&joined), want);
	str_free(&out);
	str_free(&why);
	str_free(&joined);
}

static void test_rewrite_expect_error(const char *addr, int want, const char *why_part)
{
	str_t out = STR_INIT;
	str_t why = STR_INIT;
	size_t count = 99;

	ck_assert_int_eq(rewrite_virtual_alias(addr, &out, &count, &why), want);
	ck_assert_uint_eq(count, 0);
	ck_assert_uint_eq(out.len, 0);
	ck_assert_msg(strstr(str_cstr(&why), why_part) != NULL, "%s: why \"%s\"", addr,
		      str_cstr(&why));
	str_free(&out);
	str_free(&why);
}

START_TEST(test_expansion)
{
	test_rewrite_init("");
	test_rewrite_expect("nobody@ex.com", "nobody@ex.com");
	test_rewrite_expect("team@ex.com", "a@ex.com b@ex.com c@ex.com");
	test_rewrite_expect("Team@EX.com", "a@ex.com b@ex.com c@ex.com");
	test_rewrite_expect("x@ex.com", "z@ex.com");			/* recursion */
	test_rewrite_expect("self@ex.com", "self@ex.com other@ex.com");	/* stops at itself */
	test_rewrite_expect("dup@ex.com", "a@ex.com b@ex.com c@ex.com");	/* no repeats */
	test_rewrite_expect("bare@ex.com", "bare@ex.com");		/* @$myorigin added */
	test_rewrite_expect("angle@ex.com", "a@ex.com");
}
END_TEST

START_TEST(test_lookup_order)
{
	test_rewrite_init("");
	test_rewrite_expect("anyone@catch.example", "catcher@ex.com");
	test_rewrite_expect("known@catch.example", "known-box@ex.com");	/* before @domain */
	test_rewrite_expect("user+tag@ex.com", "user-box@ex.com");
	test_rewrite_expect("user+special@ex.com", "special-box@ex.com");
	test_rewrite_expect("user@ex.com", "user-box@ex.com");
	/* the bare "bob" key: mydestination and $myorigin only */
	test_rewrite_expect("bob@ex.local", "local-bob@ex.com");
	test_rewrite_expect("bob@ex.com", "local-bob@ex.com");
	test_rewrite_expect("bob@elsewhere.example", "bob@elsewhere.example");
}
END_TEST

START_TEST(test_loop_and_limits)
{
	test_rewrite_init("");
	test_rewrite_expect_error("loop1@ex.com", REWRITE_EXPANSION_ERROR,
				  "unreasonable virtual_alias_maps map nesting for loop");
	rewrite_close();
	resolve_close();
	test_rewrite_init("virtual_alias_expansion_limit = 2\n");
	test_rewrite_expect("x@ex.com", "z@ex.com");
	test_rewrite_expect_error("team@ex.com", REWRITE_EXPANSION_ERROR,
				  "unreasonable virtual_alias_maps map expansion size for");
	rewrite_close();
	resolve_close();
	test_rewrite_init("virtual_alias_recursion_limit = 2\n");
	test_rewrite_expect("team@ex.com", "a@ex.com b@ex.com c@ex.com");
	test_rewrite_expect_error("x@ex.com", REWRITE_EXPANSION_ERROR,
				  "unreasonable virtual_alias_maps map nesting for z@ex.com");
}
END_TEST

START_TEST(test_table_unavailable)
{
	test_rewrite_init("virtual_alias_maps = texthash:/nonexistent/virtual\n");
	test_rewrite_expect_error("a@ex.com", REWRITE_LOOKUP_ERROR,
				  "virtual_alias_maps map lookup problem for a@ex.com");
}
END_TEST

static void test_rewrite_expect_canonical(int sender, const char *addr, int want_status,
					  const char *want)
{
	str_t out = STR_INIT;
	str_t why = STR_INIT;
	int status = sender ? rewrite_sender(addr, &out, &why) : rewrite_recipient(addr, &out, &why);

	ck_assert_msg(status == want_status, "%s: status %d (%s)", addr, status, str_cstr(&why));
	if (status == REWRITE_OK)
		ck_assert_str_eq(str_cstr(&out), want);
	else
		ck_assert_ptr_nonnull(strstr(str_cstr(&why), want));
	str_free(&out);
	str_free(&why);
}

START_TEST(test_canonical)
{
	str_t finals = STR_INIT;
	str_t why = STR_INIT;

	test_rewrite_init("");
	test_rewrite_expect_canonical(0, "old@ex.com", REWRITE_OK, "new@ex.com");
	test_rewrite_expect_canonical(0, "first@ex.com", REWRITE_OK, "third@ex.com");
	test_rewrite_expect_canonical(0, "plain@ex.com", REWRITE_OK, "plain@ex.com");
	test_rewrite_expect_canonical(0, "ping@ex.com", REWRITE_EXPANSION_ERROR,
				      "unreasonable recipient_canonical_maps map nesting");
	/* sender: sender_canonical_maps, then canonical_maps */
	test_rewrite_expect_canonical(1, "me@ex.com", REWRITE_OK, "outside@ex.com");
	test_rewrite_expect_canonical(1, "", REWRITE_OK, "");
	test_rewrite_expect_canonical(1, "old@ex.com", REWRITE_OK, "old@ex.com");

	/* canonical first, then the alias of the result */
	ck_assert_int_eq(rewrite_recipient("old@ex.com", &finals, &why), REWRITE_OK);
	test_rewrite_expect(finals.data, "final@ex.com");
	str_free(&finals);
	str_free(&why);
}
END_TEST

Suite *suite_rewrite(void)
{
	Suite *s = suite_create("rewrite");
	TCase *tc = tcase_create("rewrite");

	tcase_add_checked_fixture(tc, test_rewrite_setup, test_rewrite_teardown);
	tcase_add_test(tc, test_expansion);
	tcase_add_test(tc, test_lookup_order);
	tcase_add_test(tc, test_loop_and_limits);
	tcase_add_test(tc, test_table_unavailable);
	tcase_add_test(tc, test_canonical);
	suite_add_tcase(s, tc);
	return s;
}
