/*
 * test_dict_addr: the order in which an address is looked up. For every
 * subset of the five key forms present in a table, with and without the
 * local-part forms and with no, one and several delimiter characters, the
 * first form in Postfix's order that the table has must win; then the
 * special cases: folding, the first delimiter in the local part, local
 * parts that are never split, addresses without a domain, and temporary
 * errors.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "dict_addr.h"

#define TEST_ADDR_FORMS 5
#define TEST_ADDR_SPEC_MAX 512

/* The forms of "User+Ext@Example.COM", each with itself as the value. */
static const char *const test_addr_forms[TEST_ADDR_FORMS] = {
	"user+ext@example.com", "user@example.com", "user+ext", "user", "@example.com",
};

enum { FULL, BARE, LOCAL_FULL, LOCAL_BARE, CATCH_ALL };

/* The forms tried, in order, written out by hand for each case. */
static const int test_addr_order_ext_local[] = {
	FULL, BARE, LOCAL_FULL, LOCAL_BARE, CATCH_ALL, -1
};
static const int test_addr_order_ext[] = { FULL, BARE, CATCH_ALL, -1 };
static const int test_addr_order_local[] = { FULL, LOCAL_FULL, CATCH_ALL, -1 };
static const int test_addr_order[] = { FULL, CATCH_ALL, -1 };

/* An inline: table holding the forms whose bits are set in mask. */
static dict_t *test_addr_table(unsigned mask)
{
	char spec[TEST_ADDR_SPEC_MAX] = "inline:{";
	str_t err = STR_INIT;
	dict_t *dict;

	for (int i = 0; i < TEST_ADDR_FORMS; i++) {
		if (mask & (1u << i)) {
			strcat(spec, " {");
			strcat(spec, test_addr_forms[i]);
			strcat(spec, "=");
			strcat(spec, test_addr_forms[i]);
			strcat(spec, "}");
		}
	}
	strcat(spec, " }");
	dict = dict_open(spec, &err);
	ck_assert_msg(dict != NULL, "%s: %s", spec, str_cstr(&err));
	str_free(&err);
	return dict;
}

/* Look addr up and expect want (NULL: not found). */
static void test_addr_expect(dict_t *dict, const char *addr, const char *delims, int flags,
			     const char *want)
{
	str_t value = STR_INIT;
	int found = dict_lookup_addr(dict, addr, delims, flags, &value);

	if (want == NULL) {
		ck_assert_msg(found == 0, "%s (\"%s\", %d) in %s: found \"%s\"", addr, delims,
			      flags, dict_name(dict), str_cstr(&value));
	} else {
		ck_assert_msg(found == 1, "%s (\"%s\", %d) in %s: %d, want %s", addr, delims, flags,
			      dict_name(dict), found, want);
		ck_assert_str_eq(str_cstr(&value), want);
	}
	str_free(&value);
}

static const char *test_addr_first(unsigned mask, const int *order)
{
	for (; *order >= 0; order++)
		if (mask & (1u << *order))
			return test_addr_forms[*order];
	return NULL;
}

START_TEST(test_order_exhaustive)
{
	static const char *const delims[] = { "", "+", "-+", "+-" };
	const int *order;
	dict_t *dict;

	for (unsigned mask = 0; mask < (1u << TEST_ADDR_FORMS); mask++) {
		dict = test_addr_table(mask);
		for (size_t d = 0; d < sizeof(delims) / sizeof(delims[0]); d++) {
			order = *delims[d] ? test_addr_order_ext_local : test_addr_order_local;
			test_addr_expect(dict, "User+Ext@Example.COM", delims[d], DICT_ADDR_LOCAL,
					 test_addr_first(mask, order));
			order = *delims[d] ? test_addr_order_ext : test_addr_order;
			test_addr_expect(dict, "User+Ext@Example.COM", delims[d], 0,
					 test_addr_first(mask, order));
		}
		dict_close(dict);
	}
}
END_TEST

static dict_t *test_addr_open(const char *spec)
{
	str_t err = STR_INIT;
	dict_t *dict = dict_open(spec, &err);

	ck_assert_msg(dict != NULL, "%s: %s", spec, str_cstr(&err));
	str_free(&err);
	return dict;
}

START_TEST(test_delimiters)
{
	dict_t *dict = test_addr_open("inline:{ a@d=a, a-b@d=a-b, x@d=x, {@d=catch} }");

	test_addr_expect(dict, "a+b-c@d", "+-", 0, "a");	/* the first one in the address */
	test_addr_expect(dict, "a+b-c@d", "-+", 0, "a");
	test_addr_expect(dict, "a-b+c@d", "+", 0, "a-b");	/* only "+" is a delimiter */
	test_addr_expect(dict, "a-b+c@d", "-", 0, "a");
	test_addr_expect(dict, "a+@d", "+", 0, "a");		/* an empty extension */
	test_addr_expect(dict, "+a@d", "+", 0, "catch");	/* never an empty user */
	test_addr_expect(dict, "a+b@d", "", 0, "catch");	/* no delimiter: no extension */
	test_addr_expect(dict, "x+y+z@D", "+", 0, "x");
	test_addr_expect(dict, "A@D", "+", 0, "a");
	test_addr_expect(dict, "nobody@other", "+", DICT_ADDR_LOCAL, NULL);
	dict_close(dict);
}
END_TEST

/* Local parts that Postfix never splits. */
START_TEST(test_never_split)
{
	dict_t *dict = test_addr_open("inline:{ owner@d=owner, list@d=list, postmaster@d=pm,"
				      " postmaster=pm-local, mailer@d=mailer, {@d=catch} }");

	test_addr_expect(dict, "owner-list@d", "-", 0, "catch");
	test_addr_expect(dict, "owner-list@d", "+-", 0, "catch");
	test_addr_expect(dict, "list-request@d", "-", 0, "catch");
	test_addr_expect(dict, "list-other@d", "-", 0, "list");
	test_addr_expect(dict, "owner+x@d", "+", 0, "owner");	/* "-" is not a delimiter */
	test_addr_expect(dict, "mailer-daemon@d", "-", 0, "catch");
	test_addr_expect(dict, "MAILER-DAEMON@d", "-", 0, "catch");
	test_addr_expect(dict, "postmaster+x@d", "+", 0, "pm");
	dict_close(dict);
}
END_TEST

START_TEST(test_no_domain)
{
	dict_t *dict = test_addr_open("inline:{ user=u, user+ext=ue, {@=at} }");

	test_addr_expect(dict, "User+Ext", "+", 0, "ue");
	test_addr_expect(dict, "user+other", "+", 0, "u");
	test_addr_expect(dict, "user+other", "", 0, NULL);
	test_addr_expect(dict, "nobody", "+", DICT_ADDR_LOCAL, NULL);
	dict_close(dict);
}
END_TEST

START_TEST(test_temporary_error)
{
	dict_t *dict = test_addr_open("texthash:/nonexistent/table");
	str_t value = STR_INIT;

	ck_assert_int_eq(dict_lookup_addr(dict, "a+b@d", "+", DICT_ADDR_LOCAL, &value), -1);
	ck_assert_ptr_nonnull(strstr(str_cstr(&value), "/nonexistent/table"));
	str_free(&value);
	dict_close(dict);
}
END_TEST

Suite *suite_dict_addr(void)
{
	Suite *s = suite_create("dict_addr");
	TCase *tc = tcase_create("dict_addr");

	tcase_add_test(tc, test_order_exhaustive);
	tcase_add_test(tc, test_delimiters);
	tcase_add_test(tc, test_never_split);
	tcase_add_test(tc, test_no_domain);
	tcase_add_test(tc, test_temporary_error);
	suite_add_tcase(s, tc);
	return s;
}
