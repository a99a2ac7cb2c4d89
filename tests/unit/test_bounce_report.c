/*
 * test_bounce_report: RFC 3464 reports - the header and subject of each
 * kind, the delivery-status fields per recipient, ENVID and ORCPT, 8-bit
 * addresses as utf-8, a hostile diagnostic that cannot add lines, and the
 * header-only copy of the original across any split of its content.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "bounce_report.h"

#define TEST_ARRIVAL 1795000000
#define TEST_NOW (TEST_ARRIVAL + 3600)

static const bounce_rcpt_t test_rcpts[] = {
	{ "bob@example.com", "rfc822;Bob@example.com", BOUNCE_FAILED, "5.1.1", "mx.example.com",
	  "550 5.1.1 <bob@example.com>: User unknown", 1 },
	{ "carol@localhost", NULL, BOUNCE_FAILED, "5.2.2", NULL, "mailbox full", 0 },
};

static bounce_report_t test_report(enum bounce_kind kind)
{
	bounce_report_t r;

	memset(&r, 0, sizeof(r));
	r.kind = kind;
	r.hostname = "mail.example.org";
	r.mail_name = "Pochta";
	r.queue_id = "06B0992EFC187FzA74602";
	r.sender = "alice@example.org";
	r.arrival.tv_sec = TEST_ARRIVAL;
	r.arrival.tv_usec = 123456;
	r.now = TEST_NOW;
	r.rcpts = test_rcpts;
	r.nrcpts = 2;
	return r;
}

/* The whole report for an original of content. */
static void test_compose(bounce_report_t *r, const char *content, str_t *out)
{
	int state = 0;

	bounce_report_head(r, out);
	str_append(out, content, bounce_report_filter(r, &state, content, strlen(content)));
	bounce_report_tail(r, out);
}

START_TEST(test_failure_report)
{
	bounce_report_t r = test_report(BOUNCE_KIND_FAILURE);
	str_t out = STR_INIT;
	char delimiter[BOUNCE_BOUNDARY_MAX + 8];
	const char *text;

	test_compose(&r, "Subject: hi\n\nbody\n", &out);
	text = str_cstr(&out);
	ck_assert_ptr_nonnull(strstr(text, "From: MAILER-DAEMON@mail.example.org (Mail Delivery System)\n"));
	ck_assert_ptr_nonnull(strstr(text, "\nTo: alice@example.org\n"));
	ck_assert_ptr_nonnull(strstr(text, "\nSubject: Undelivered Mail Returned to Sender\n"));
	ck_assert_ptr_nonnull(strstr(text, "\nAuto-Submitted: auto-replied\n"));
	ck_assert_ptr_nonnull(strstr(text, "report-type=delivery-status"));
	ck_assert_ptr_null(strstr(text, "Content-Transfer-Encoding"));
	ck_assert_ptr_nonnull(strstr(text, "\nReporting-MTA: dns; mail.example.org\n"));
	ck_assert_ptr_nonnull(strstr(text, "\nX-Pochta-Queue-ID: 06B0992EFC187FzA74602\n"));
	ck_assert_ptr_null(strstr(text, "Original-Envelope-Id"));
	ck_assert_ptr_nonnull(strstr(text,
		"\n\nFinal-Recipient: rfc822; bob@example.com\n"
		"Original-Recipient: rfc822;Bob@example.com\n"
		"Action: failed\nStatus: 5.1.1\nRemote-MTA: dns; mx.example.com\n"
		"Diagnostic-Code: smtp; 550 5.1.1 <bob@example.com>: User unknown\n"));
	ck_assert_ptr_nonnull(strstr(text,
		"\n\nFinal-Recipient: rfc822; carol@localhost\n"
		"Action: failed\nStatus: 5.2.2\nDiagnostic-Code: x-unix; mailbox full\n"));
	ck_assert_ptr_nonnull(strstr(text, "<carol@localhost>: mailbox full\n"));
	ck_assert_ptr_nonnull(strstr(text, "Content-Type: message/rfc822\n\nSubject: hi\n\nbody\n\n--"));
	snprintf(delimiter, sizeof(delimiter), "\n--%s--\n", r.boundary);
	ck_assert_str_eq(text + out.len - strlen(delimiter), delimiter);
	str_free(&out);
}
END_TEST

START_TEST(test_kinds_and_envid)
{
	bounce_report_t r = test_report(BOUNCE_KIND_DELAY);
	str_t out = STR_INIT;

	r.envid = "QQ314159";
	r.headers_only = 1;
	test_compose(&r, "Subject: hi\n\nbody\n", &out);
	ck_assert_ptr_nonnull(strstr(str_cstr(&out), "\nSubject: Delayed Mail (still being retried)\n"));
	ck_assert_ptr_nonnull(strstr(str_cstr(&out), "\nOriginal-Envelope-Id: QQ314159\n"));
	ck_assert_ptr_nonnull(strstr(str_cstr(&out),
		"Content-Type: text/rfc822-headers\n\nSubject: hi\n\n\n--"));
	ck_assert_ptr_null(strstr(str_cstr(&out), "body"));
	str_reset(&out);
	r = test_report(BOUNCE_KIND_SUCCESS);
	test_compose(&r, "", &out);
	ck_assert_ptr_nonnull(strstr(str_cstr(&out), "\nSubject: Successful Mail Delivery Report\n"));
	str_free(&out);
}
END_TEST

START_TEST(test_eight_bit)
{
	static const bounce_rcpt_t rcpt = {
		"j\xc3\xb6rg@example.de", NULL, BOUNCE_DELIVERED, "2.0.0", NULL, "delivered", 0
	};
	bounce_report_t r = test_report(BOUNCE_KIND_SUCCESS);
	str_t out = STR_INIT;

	r.rcpts = &rcpt;
	r.nrcpts = 1;
	r.eight_bit = 1;
	test_compose(&r, "Subject: \xc3\xa9t\xc3\xa9\n\n", &out);
	ck_assert_ptr_nonnull(strstr(str_cstr(&out), "Final-Recipient: utf-8; j\xc3\xb6rg@example.de\n"));
	ck_assert_ptr_nonnull(strstr(str_cstr(&out), "charset=utf-8"));
	ck_assert_ptr_nonnull(strstr(str_cstr(&out), "\nContent-Transfer-Encoding: 8bit\n"));
	ck_assert_ptr_nonnull(strstr(str_cstr(&out), "Action: delivered\n"));
	str_free(&out);
}
END_TEST

START_TEST(test_hostile_diagnostic)
{
	char huge[4000];
	bounce_rcpt_t rcpts[2] = { test_rcpts[0], test_rcpts[1] };
	bounce_report_t r = test_report(BOUNCE_KIND_FAILURE);
	str_t out = STR_INIT;
	const char *field;

	memset(huge, 'x', sizeof(huge) - 1);
	huge[sizeof(huge) - 1] = 0;
	rcpts[0].diagnostic = "550 no\r\nAction: delivered\n\n--x";
	rcpts[1].diagnostic = huge;
	r.rcpts = rcpts;
	test_compose(&r, "", &out);
	ck_assert_ptr_null(strstr(str_cstr(&out), "\nAction: delivered"));
	ck_assert_ptr_nonnull(strstr(str_cstr(&out), "smtp; 550 no  Action: delivered  --x\n"));
	field = strstr(str_cstr(&out), "x-unix; x");
	ck_assert_ptr_nonnull(field);
	ck_assert_uint_lt((size_t)(strchr(field, '\n') - field), 998);
	str_free(&out);
}
END_TEST

START_TEST(test_header_filter_any_split)
{
	static const char content[] = "A: 1\nB: 2\n\nbody\n\nmore\n";
	bounce_report_t r = test_report(BOUNCE_KIND_FAILURE);

	r.headers_only = 1;
	for (size_t split = 0; split <= sizeof(content) - 1; split++) {
		int state = 0;
		size_t first = bounce_report_filter(&r, &state, content, split);
		size_t second = bounce_report_filter(&r, &state, content + split,
						     sizeof(content) - 1 - split);

		ck_assert_uint_eq(first + (first == split ? second : 0), strlen("A: 1\nB: 2\n\n"));
	}
}
END_TEST

Suite *suite_bounce_report(void)
{
	Suite *s = suite_create("bounce_report");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_failure_report);
	tcase_add_test(tc, test_kinds_and_envid);
	tcase_add_test(tc, test_eight_bit);
	tcase_add_test(tc, test_hostile_diagnostic);
	tcase_add_test(tc, test_header_filter_any_split);
	suite_add_tcase(s, tc);
	return s;
}
