/*
 * test_addr_list: addresses found in RFC 5322 address lists - display
 * names, comments, groups, quoted local parts, domain literals and source
 * routes - and the lists that are refused because something is not closed.
 */
#include <check.h>
#include <string.h>

#include "addr_list.h"

/* The addresses of text joined by "|", or "ERROR". */
static void found(const char *text, str_t *joined)
{
	str_t out = STR_INIT;
	size_t count = 0;

	str_reset(joined);
	if (addr_list_parse(text, &out, &count) < 0) {
		str_append_cstr(joined, "ERROR");
		ck_assert_uint_eq(out.len, 0);
	} else {
		const char *a = out.data;

		for (size_t i = 0; i < count; i++, a += strlen(a) + 1)
			str_printf(joined, "%s%s", i ? "|" : "", a);
	}
	str_free(&out);
}

START_TEST(test_lists)
{
	static const char *const cases[][2] = {
		{ "bob@example.org", "bob@example.org" },
		{ "  bob@example.org  ,  ann@example.org ", "bob@example.org|ann@example.org" },
		{ "Bob Smith <bob@example.org>", "bob@example.org" },
		{ "\"Doe, Jane\" <jane@example.org>, x@y", "jane@example.org|x@y" },
		{ "bob@example.org (Bob, the builder)", "bob@example.org" },
		{ "(a (nested) comment) bob@example.org", "bob@example.org" },
		{ "team: ann@example.org, <joe@example.org>; z@y", "ann@example.org|joe@example.org|z@y" },
		{ "undisclosed-recipients:;", "" },
		{ "<>", "" },
		{ "", "" },
		{ ",,", "" },
		{ "\"john doe\"@example.org", "\"john doe\"@example.org" },
		{ "x@[192.0.2.1]", "x@[192.0.2.1]" },
		{ "<@relay.example,@b.example:joe@example.org>", "joe@example.org" },
		{ "demo", "demo" },
		{ "Joe <joe@example.org>\r\n\t, ann@example.org", "joe@example.org|ann@example.org" },
		{ "\"a\\\"b\"@x", "\"a\\\"b\"@x" },
	};
	str_t joined = STR_INIT;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		found(cases[i][0], &joined);
		ck_assert_msg(strcmp(joined.data ? joined.data : "", cases[i][1]) == 0,
			      "%s: got %s, want %s", cases[i][0], str_cstr(&joined), cases[i][1]);
	}
	str_free(&joined);
}
END_TEST

START_TEST(test_refuses_unclosed)
{
	static const char *const bad[] = {
		"\"no end@x", "bob@x (no end", "Bob <bob@x", "x@[192.0.2.1",
		"<\"q@x>", "((((((((((((((((((((((((((((((((((deep))))))))))))))))))))))))))))))))))",
	};
	str_t joined = STR_INIT;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		found(bad[i], &joined);
		ck_assert_msg(strcmp(str_cstr(&joined), "ERROR") == 0, "accepted %s", bad[i]);
	}
	str_free(&joined);
}
END_TEST

START_TEST(test_counts_add_up)
{
	str_t out = STR_INIT;
	size_t count = 0;

	ck_assert_int_eq(addr_list_parse("a@x, b@x", &out, &count), 0);
	ck_assert_int_eq(addr_list_parse("c@x", &out, &count), 0);
	ck_assert_int_eq(addr_list_parse("\"bad", &out, &count), -1);
	ck_assert_uint_eq(count, 3);
	ck_assert_uint_eq(out.len, strlen("a@x") * 3 + 3);
	str_free(&out);
}
END_TEST

Suite *suite_addr_list(void)
{
	Suite *s = suite_create("addr_list");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_lists);
	tcase_add_test(tc, test_refuses_unclosed);
	tcase_add_test(tc, test_counts_add_up);
	suite_add_tcase(s, tc);
	return s;
}
