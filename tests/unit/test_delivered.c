/*
 * test_delivered: the mail forwarding loop check on the message header.
 */
#include <check.h>
#include <string.h>

#include "delivered.h"

static int seen(const char *text, const char *rcpt)
{
	return delivered_to_seen(text, strlen(text), rcpt);
}

START_TEST(test_finds_own_address)
{
	ck_assert(seen("Delivered-To: demo@localhost\nSubject: x\n\nbody\n", "demo@localhost"));
	ck_assert(seen("Subject: x\nDelivered-To: demo@localhost\n\nbody\n", "demo@localhost"));
}
END_TEST

START_TEST(test_ignores_case_and_space)
{
	ck_assert(seen("delivered-to:   Demo@LocalHost  \n\n", "demo@localhost"));
	ck_assert(seen("DELIVERED-TO:\tdemo@localhost\r\n\r\n", "demo@localhost"));
}
END_TEST

START_TEST(test_other_address_is_no_loop)
{
	ck_assert(!seen("Delivered-To: other@localhost\n\n", "demo@localhost"));
	ck_assert(!seen("Delivered-To: demo@localhost.org\n\n", "demo@localhost"));
	ck_assert(!seen("Delivered-To: xdemo@localhost\n\n", "demo@localhost"));
	ck_assert(!seen("X-Delivered-To: demo@localhost\n\n", "demo@localhost"));
}
END_TEST

START_TEST(test_body_does_not_count)
{
	ck_assert(!seen("Subject: x\n\nDelivered-To: demo@localhost\n", "demo@localhost"));
	ck_assert(!seen("\nDelivered-To: demo@localhost\n", "demo@localhost"));
	ck_assert(!seen("Subject: x\n\r\nDelivered-To: demo@localhost\n", "demo@localhost"));
}
END_TEST

START_TEST(test_edges)
{
	ck_assert(!seen("", "demo@localhost"));
	ck_assert(!seen("Delivered-To:", "demo@localhost"));
	/* a header cut off by the caller's read limit, without its last newline */
	ck_assert(seen("Subject: x\nDelivered-To: demo@localhost", "demo@localhost"));
	/* a folded line of another field is not a Delivered-To: field */
	ck_assert(!seen("Subject: a\n Delivered-To: demo@localhost\n\n", "demo@localhost"));
}
END_TEST

Suite *suite_delivered(void)
{
	Suite *s = suite_create("delivered");
	TCase *tc = tcase_create("loop");

	tcase_add_test(tc, test_finds_own_address);
	tcase_add_test(tc, test_ignores_case_and_space);
	tcase_add_test(tc, test_other_address_is_no_loop);
	tcase_add_test(tc, test_body_does_not_count);
	tcase_add_test(tc, test_edges);
	suite_add_tcase(s, tc);
	return s;
}
