/*
 * test_addr: RFC 5321 paths as MAIL FROM and RCPT TO receive them - good
 * forms next to the broken ones, the internal form, where the parameters
 * start, splitting and quoting for the wire, and which addresses are
 * ASCII, UTF-8 or neither.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "str.h"

/* Parse text and expect success with this address and rest. */
static void addr_ok(const char *text, int flags, const char *want, const char *want_rest)
{
	str_t out = STR_INIT;
	const char *rest = NULL;
	const char *why = NULL;

	ck_assert_msg(addr_parse_path(text, flags, &out, &rest, &why) == 0,
		      "\"%s\" refused: %s", text, why);
	ck_assert_str_eq(str_cstr(&out), want);
	ck_assert_str_eq(rest, want_rest);
	str_free(&out);
}

static void addr_bad(const char *text, int flags)
{
	str_t out = STR_INIT;
	const char *rest = NULL;
	const char *why = NULL;

	ck_assert_msg(addr_parse_path(text, flags, &out, &rest, &why) == -1,
		      "\"%s\" accepted as \"%s\"", text, str_cstr(&out));
	ck_assert_ptr_nonnull(why);
	ck_assert_str_eq(str_cstr(&out), "");
	str_free(&out);
}

START_TEST(test_simple)
{
	addr_ok("<user@example.com>", 0, "user@example.com", "");
	addr_ok("  <user@example.com>", 0, "user@example.com", "");
	addr_ok("<first.last+tag@mail.example.com>", 0, "first.last+tag@mail.example.com", "");
	addr_bad("<user@example.com", 0);
	addr_bad("user@example.com>", 0);
	addr_bad("", 0);
	addr_bad("<>", 0);
}
END_TEST

START_TEST(test_null_path)
{
	addr_ok("<>", ADDR_ALLOW_NULL, "", "");
	addr_ok("<> SIZE=10", ADDR_ALLOW_NULL, "", "SIZE=10");
	addr_bad("<", ADDR_ALLOW_NULL);
	addr_bad("<>x", ADDR_ALLOW_NULL);
}
END_TEST

START_TEST(test_parameters_follow)
{
	addr_ok("<a@b.c> SIZE=100 BODY=8BITMIME", 0, "a@b.c", "SIZE=100 BODY=8BITMIME");
	addr_ok("<a@b.c>   X", 0, "a@b.c", "X");
	addr_ok("<a@b.c>  ", 0, "a@b.c", "");
	addr_bad("<a@b.c>SIZE=100", 0);
	addr_bad("<a@b.c>>", 0);
}
END_TEST

START_TEST(test_quoted_local_part)
{
	addr_ok("<\"a b\"@x.org>", 0, "a b@x.org", "");
	addr_ok("<\"ab\"@x.org>", 0, "ab@x.org", "");
	addr_ok("<\"a\\\"b\"@x.org>", 0, "a\"b@x.org", "");
	addr_ok("<\"a@b\"@x.org>", 0, "a@b@x.org", "");
	addr_ok("<\"\"@x.org>", 0, "@x.org", "");
	addr_bad("<\"a b@x.org>", 0);
	addr_bad("<\"a\tb\"@x.org>", 0);
	addr_bad("<\"a\\\"@x.org>", 0);
}
END_TEST

START_TEST(test_source_route)
{
	addr_ok("<@a.org,@b.org:u@d.org>", 0, "u@d.org", "");
	addr_ok("<@a.org:u@d.org>", 0, "u@d.org", "");
	addr_bad("<@a.org,b.org:u@d.org>", 0);
	addr_bad("<@a.org u@d.org>", 0);
	addr_bad("<@:u@d.org>", 0);
}
END_TEST

START_TEST(test_address_literal)
{
	addr_ok("<u@[127.0.0.1]>", 0, "u@[127.0.0.1]", "");
	addr_ok("<u@[IPv6:::1]>", 0, "u@[IPv6:::1]", "");
	addr_ok("<u@[x-tag:stuff]>", 0, "u@[x-tag:stuff]", "");
	addr_bad("<u@[127.0.0.256]>", 0);
	addr_bad("<u@[127.0.0.1>", 0);
	addr_bad("<u@[IPv6:zz]>", 0);
	addr_bad("<u@[a b]>", 0);
	addr_bad("<u@[tag:a@b]>", 0);	/* "u@[tag:a" would be its local part */
}
END_TEST

START_TEST(test_dot_string_rules)
{
	addr_bad("<.a@x.org>", 0);
	addr_bad("<a.@x.org>", 0);
	addr_bad("<a..b@x.org>", 0);
	addr_bad("<a b@x.org>", 0);
	addr_bad("<a(b)@x.org>", 0);
	addr_bad("<a@>", 0);
	addr_bad("<@x.org>", 0);
}
END_TEST

START_TEST(test_domain_rules)
{
	addr_ok("<a@x-y.org>", 0, "a@x-y.org", "");
	addr_bad("<a@-x.org>", 0);
	addr_bad("<a@x-.org>", 0);
	addr_bad("<a@x..org>", 0);
	addr_bad("<a@x.org.>", 0);
	addr_bad("<a@x_y.org>", 0);
}
END_TEST

START_TEST(test_without_domain)
{
	addr_ok("<postmaster>", 0, "postmaster", "");
	addr_bad("<\"a@b.example\">", 0);	/* would read as a@b.example */
	addr_ok("<Postmaster>", 0, "Postmaster", "");
}
END_TEST

START_TEST(test_no_brackets)
{
	addr_bad("a@x.org", 0);
	addr_ok("a@x.org", ADDR_ALLOW_NOBRACKETS, "a@x.org", "");
	addr_ok("a@x.org SIZE=1", ADDR_ALLOW_NOBRACKETS, "a@x.org", "SIZE=1");
	addr_ok("<a@x.org>", ADDR_ALLOW_NOBRACKETS, "a@x.org", "");
	addr_bad("a@x.org>", ADDR_ALLOW_NOBRACKETS);
}
END_TEST

START_TEST(test_lengths)
{
	char text[600];
	char want[200];
	char local[ADDR_LOCAL_MAX + 2];

	memset(local, 'a', sizeof(local) - 1);
	local[ADDR_LOCAL_MAX] = 0;
	snprintf(want, sizeof(want), "%s@x.org", local);
	snprintf(text, sizeof(text), "<%s>", want);
	addr_ok(text, 0, want, "");
	local[ADDR_LOCAL_MAX] = 'a';
	local[ADDR_LOCAL_MAX + 1] = 0;
	snprintf(text, sizeof(text), "<%s@x.org>", local);
	addr_bad(text, 0);

	/* a 63-byte label repeated: past the domain limit */
	strcpy(text, "<a@");
	for (int i = 0; i < 5; i++)
		strcat(text, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.");
	strcat(text, "org>");
	addr_bad(text, 0);
}
END_TEST

START_TEST(test_path_length)
{
	char text[600];

	/* local part 64 + "@" + 250-byte domain: each fine, the path too long */
	strcpy(text, "<");
	for (int i = 0; i < ADDR_LOCAL_MAX; i++)
		strcat(text, "u");
	strcat(text, "@");
	for (int i = 0; i < 5; i++)
		strcat(text, "ddddddddddddddddddddddddddddddddddddddddddddddd.");
	strcat(text, "org>");
	addr_bad(text, 0);
}
END_TEST

START_TEST(test_eight_bit)
{
	addr_bad("<j\xc3\xb6rg@x.org>", 0);
	addr_bad("<jorg@\xc3\xb6.org>", 0);
	addr_bad("<\"j\xc3\xb6rg\"@x.org>", 0);
	addr_ok("<j\xc3\xb6rg@x.org>", ADDR_ALLOW_8BIT, "j\xc3\xb6rg@x.org", "");
	addr_ok("<jorg@\xc3\xb6.org>", ADDR_ALLOW_8BIT, "jorg@\xc3\xb6.org", "");
	addr_ok("<\"j \xc3\xb6\"@x.org> SMTPUTF8", ADDR_ALLOW_8BIT, "j \xc3\xb6@x.org", "SMTPUTF8");
	/* the parser only lets the bytes through: addr_charset judges them */
	addr_ok("<\xff@x.org>", ADDR_ALLOW_8BIT, "\xff@x.org", "");
	addr_bad("<a@[\xc3\xb6]>", ADDR_ALLOW_8BIT);	/* never in an address literal */
}
END_TEST

START_TEST(test_atom)
{
	ck_assert(addr_atom_valid("rfc822", 6));
	ck_assert(addr_atom_valid("utf-8", 5));
	ck_assert(addr_atom_valid("x-Type_1!#$%&'*+/=?^`{|}~", 25));
	ck_assert(addr_atom_valid("rfc822;a@b", 6));	/* only the first len bytes count */
	ck_assert(!addr_atom_valid("", 0));
	ck_assert(!addr_atom_valid("rfc 822", 7));
	ck_assert(!addr_atom_valid("rfc822;", 7));
	ck_assert(!addr_atom_valid("a.b", 3));
	ck_assert(!addr_atom_valid("a@b", 3));
	ck_assert(!addr_atom_valid("\"a\"", 3));
	ck_assert(!addr_atom_valid("\xc3\xb6", 2));	/* ASCII only */
	ck_assert(!addr_atom_valid("a\tb", 3));
}
END_TEST

START_TEST(test_charset_good)
{
	ck_assert_int_eq(addr_charset(""), ADDR_ASCII);
	ck_assert_int_eq(addr_charset("j.random@example.org"), ADDR_ASCII);
	ck_assert_int_eq(addr_charset("j\xc3\xb6rg@x.org"), ADDR_UTF8);		/* U+00F6 */
	ck_assert_int_eq(addr_charset("\xc2\x80@x"), ADDR_UTF8);			/* U+0080, the first */
	ck_assert_int_eq(addr_charset("\xe0\xa0\x80@x"), ADDR_UTF8);		/* U+0800 */
	ck_assert_int_eq(addr_charset("\xe2\x82\xac@x"), ADDR_UTF8);		/* U+20AC */
	ck_assert_int_eq(addr_charset("\xed\x9f\xbf@x"), ADDR_UTF8);		/* U+D7FF */
	ck_assert_int_eq(addr_charset("\xee\x80\x80@x"), ADDR_UTF8);		/* U+E000 */
	ck_assert_int_eq(addr_charset("\xf0\x9f\x98\x80@x"), ADDR_UTF8);	/* U+1F600 */
	ck_assert_int_eq(addr_charset("\xf4\x8f\xbf\xbf@x"), ADDR_UTF8);	/* U+10FFFF, the last */
	ck_assert_int_eq(addr_charset("\xe4\xbe\x8b@\xe4\xbe\x8b.org"), ADDR_UTF8);
}
END_TEST

START_TEST(test_charset_bad)
{
	static const char *const bad[] = {
		"\xff@x", "\xfe@x", "\x80@x",			/* no lead byte */
		"\xc0\xaf@x", "\xc1\xbf@x",			/* overlong 2-byte "/" and DEL */
		"\xe0\x80\xaf@x", "\xe0\x9f\xbf@x",		/* overlong 3-byte */
		"\xf0\x80\x80\xaf@x", "\xf0\x8f\xbf\xbf@x",	/* overlong 4-byte */
		"\xed\xa0\x80@x", "\xed\xbf\xbf@x",		/* surrogates */
		"\xf4\x90\x80\x80@x", "\xf5\x80\x80\x80@x",	/* past U+10FFFF */
		"\xc3@x", "a\xc3", "\xe2\x82@x", "\xf0\x9f\x98",	/* cut short */
		"\xc3\xc3\xb6@x", "\xe2\x82\x41@x",		/* a lead byte where a continuation goes */
		"j\xc3\xb6rg\xff@x",				/* good, then bad */
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(addr_charset(bad[i]) == ADDR_NOT_UTF8, "bad[%zu] taken for UTF-8", i);
}
END_TEST

START_TEST(test_control_and_nul)
{
	const char with_nul[] = "<a\0b@x.org>";

	addr_bad("<a\r@x.org>", 0);
	addr_bad("<a@x.org\n>", 0);
	/* a C string ends at the NUL: what is left is an unclosed path */
	addr_bad(with_nul, 0);
}
END_TEST

START_TEST(test_split)
{
	str_t local = STR_INIT;
	str_t domain = STR_INIT;

	addr_split("a@b@x.org", &local, &domain);
	ck_assert_str_eq(str_cstr(&local), "a@b");
	ck_assert_str_eq(str_cstr(&domain), "x.org");
	addr_split("postmaster", &local, &domain);
	ck_assert_str_eq(str_cstr(&local), "postmaster");
	ck_assert_str_eq(str_cstr(&domain), "");
	str_free(&local);
	str_free(&domain);
}
END_TEST

static void quote_is(const char *addr, const char *want)
{
	str_t out = STR_INIT;

	addr_quote(addr, &out);
	ck_assert_str_eq(str_cstr(&out), want);
	str_free(&out);
}

START_TEST(test_quote)
{
	quote_is("a@x.org", "a@x.org");
	quote_is("a.b@x.org", "a.b@x.org");
	quote_is("a b@x.org", "\"a b\"@x.org");
	quote_is("a\"b@x.org", "\"a\\\"b\"@x.org");
	quote_is("a@b@x.org", "\"a@b\"@x.org");
	quote_is("a..b@x.org", "\"a..b\"@x.org");
	quote_is(".a@x.org", "\".a\"@x.org");
	quote_is("@x.org", "\"\"@x.org");
	quote_is("", "");
	quote_is("postmaster", "postmaster");
}
END_TEST

START_TEST(test_quote_round_trip)
{
	const char *paths[] = { "<\"a b\"@x.org>", "<\"a\\\\b\"@x.org>", "<\"a@b\"@x.org>", "<u@x.org>" };

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		str_t out = STR_INIT;
		str_t wire = STR_INIT;
		const char *rest;
		const char *why;

		ck_assert_int_eq(addr_parse_path(paths[i], 0, &out, &rest, &why), 0);
		str_putc(&wire, '<');
		addr_quote(out.data, &wire);
		str_putc(&wire, '>');
		ck_assert_str_eq(wire.data, paths[i]);
		str_free(&out);
		str_free(&wire);
	}
}
END_TEST

Suite *suite_addr(void)
{
	Suite *s = suite_create("addr");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_simple);
	tcase_add_test(tc, test_null_path);
	tcase_add_test(tc, test_parameters_follow);
	tcase_add_test(tc, test_quoted_local_part);
	tcase_add_test(tc, test_source_route);
	tcase_add_test(tc, test_address_literal);
	tcase_add_test(tc, test_dot_string_rules);
	tcase_add_test(tc, test_domain_rules);
	tcase_add_test(tc, test_without_domain);
	tcase_add_test(tc, test_no_brackets);
	tcase_add_test(tc, test_lengths);
	tcase_add_test(tc, test_path_length);
	tcase_add_test(tc, test_eight_bit);
	tcase_add_test(tc, test_atom);
	tcase_add_test(tc, test_charset_good);
	tcase_add_test(tc, test_charset_bad);
	tcase_add_test(tc, test_control_and_nul);
	tcase_add_test(tc, test_split);
	tcase_add_test(tc, test_quote);
	tcase_add_test(tc, test_quote_round_trip);
	suite_add_tcase(s, tc);
	return s;
}
