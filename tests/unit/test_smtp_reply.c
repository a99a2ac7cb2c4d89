/*
 * test_smtp_reply: SMTP replies as the smtp client reads them - one line
 * and multi-line replies, enhanced status codes (present, absent, of the
 * wrong class, malformed), and every way a reply can be malformed: bad
 * codes, bad separators, mixed codes, control bytes, too many lines, too
 * long a line, a peer that closes or stalls in the middle.
 */
#include <check.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "smtp_reply.h"

#define TEST_TIMEOUT 1			/* seconds the stream waits in the stall test */

/* Feed NUL-free lines; the status of the last. */
static int test_feed(smtp_reply_t *r, const char *const *lines, size_t n, const char **why)
{
	int status = SMTP_REPLY_MALFORMED;

	smtp_reply_reset(r);
	for (size_t i = 0; i < n; i++) {
		status = smtp_reply_feed(r, lines[i], strlen(lines[i]), why);
		if (status != SMTP_REPLY_MORE)
			break;
	}
	return status;
}

static int test_feed_one(smtp_reply_t *r, const char *line, const char **why)
{
	return test_feed(r, &line, 1, why);
}

START_TEST(test_single_line)
{
	smtp_reply_t r;
	const char *why;
	str_t text = STR_INIT;

	smtp_reply_init(&r);
	ck_assert_int_eq(test_feed_one(&r, "250 2.0.0 Ok: queued as 1A2B\r\n", &why), SMTP_REPLY_DONE);
	ck_assert_int_eq(r.code, 250);
	ck_assert_str_eq(r.dsn, "2.0.0");
	smtp_reply_text(&r, &text);
	ck_assert_str_eq(str_cstr(&text), "250 2.0.0 Ok: queued as 1A2B");
	ck_assert_int_eq(test_feed_one(&r, "220 mx.example.org ESMTP\n", &why), SMTP_REPLY_DONE);
	ck_assert_int_eq(r.code, 220);
	ck_assert_str_eq(r.dsn, "2.0.0");
	str_free(&text);
	smtp_reply_free(&r);
}
END_TEST

START_TEST(test_code_alone)
{
	smtp_reply_t r;
	const char *why;
	size_t len;

	smtp_reply_init(&r);
	ck_assert_int_eq(test_feed_one(&r, "354\r\n", &why), SMTP_REPLY_DONE);
	ck_assert_int_eq(r.code, 354);
	ck_assert_str_eq(r.dsn, "3.0.0");
	smtp_reply_line_text(&r, 0, &len);
	ck_assert_uint_eq(len, 0);
	smtp_reply_free(&r);
}
END_TEST

START_TEST(test_multi_line)
{
	static const char *const ehlo[] = {
		"250-mx.example.org\r\n", "250-PIPELINING\r\n", "250-SIZE 10240000\r\n", "250 8BITMIME\r\n",
	};
	smtp_reply_t r;
	const char *why, *line;
	str_t text = STR_INIT;
	size_t len;

	smtp_reply_init(&r);
	ck_assert_int_eq(smtp_reply_feed(&r, ehlo[0], strlen(ehlo[0]), &why), SMTP_REPLY_MORE);
	ck_assert_int_eq(test_feed(&r, ehlo, 4, &why), SMTP_REPLY_DONE);
	ck_assert_uint_eq(r.nlines, 4);
	line = smtp_reply_line_text(&r, 1, &len);
	ck_assert_int_eq((int)len, 10);
	ck_assert(memcmp(line, "PIPELINING", len) == 0);
	line = smtp_reply_line_text(&r, 3, &len);
	ck_assert(len == 8 && memcmp(line, "8BITMIME", len) == 0);
	smtp_reply_text(&r, &text);
	ck_assert_str_eq(str_cstr(&text),
			 "250-mx.example.org 250-PIPELINING 250-SIZE 10240000 250 8BITMIME");
	str_free(&text);
	smtp_reply_free(&r);
}
END_TEST

START_TEST(test_enhanced_codes)
{
	static const struct {
		const char *line;
		const char *dsn;
	} cases[] = {
		{ "550 5.1.1 <x@y>: Recipient address rejected", "5.1.1" },
		{ "451 4.7.1", "4.7.1" },
		{ "552 5.3.4 Message size exceeds fixed limit", "5.3.4" },
		{ "250 2.123.456 Ok", "2.123.456" },
		{ "550-5.7.1 first line", "5.7.1" },
		{ "550 No such user", "5.0.0" },
		{ "550 2.1.1 wrong class", "5.0.0" },
		{ "550 5.1 too short", "5.0.0" },
		{ "550 5.1.1234 too long", "5.0.0" },
		{ "550 5.1.1x glued", "5.0.0" },
		{ "550 5..1 empty", "5.0.0" },
		{ "421", "4.0.0" },
	};
	smtp_reply_t r;
	const char *why;

	smtp_reply_init(&r);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		smtp_reply_reset(&r);
		ck_assert_int_ne(smtp_reply_feed(&r, cases[i].line, strlen(cases[i].line), &why),
				 SMTP_REPLY_MALFORMED);
		ck_assert_msg(strcmp(r.dsn, cases[i].dsn) == 0, "%s: got %s", cases[i].line, r.dsn);
	}
	smtp_reply_free(&r);
}
END_TEST

START_TEST(test_malformed_lines)
{
	static const char *const bad[] = {
		"", "25", "abc", "2x0 Ok", "199 too low", "650 too high", "260 bad middle digit",
		"250x Ok", "250_Ok", "250 tab\tok but \001 not", "250 a\rb", "250 del \177",
	};
	smtp_reply_t r;
	const char *why;

	smtp_reply_init(&r);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		ck_assert_msg(test_feed_one(&r, bad[i], &why) == SMTP_REPLY_MALFORMED, "accepted %s",
			      bad[i]);
		ck_assert_ptr_nonnull(why);
	}
	ck_assert_int_eq(test_feed_one(&r, "250 tab\there", &why), SMTP_REPLY_DONE);
	smtp_reply_free(&r);
}
END_TEST

START_TEST(test_nul_inside)
{
	smtp_reply_t r;
	const char *why;

	smtp_reply_init(&r);
	ck_assert_int_eq(smtp_reply_feed(&r, "250 a\0b\r\n", 9, &why), SMTP_REPLY_MALFORMED);
	ck_assert_str_eq(why, "control character in reply");
	smtp_reply_free(&r);
}
END_TEST

START_TEST(test_mixed_codes)
{
	static const char *const lines[] = { "250-first\r\n", "251 second\r\n" };
	smtp_reply_t r;
	const char *why;

	smtp_reply_init(&r);
	ck_assert_int_eq(test_feed(&r, lines, 2, &why), SMTP_REPLY_MALFORMED);
	ck_assert_str_eq(why, "reply lines with different codes");
	smtp_reply_free(&r);
}
END_TEST

START_TEST(test_too_many_lines)
{
	smtp_reply_t r;
	const char *why = NULL;
	int status = SMTP_REPLY_MORE;
	size_t fed = 0;

	smtp_reply_init(&r);
	while (status == SMTP_REPLY_MORE && fed < 10 * SMTP_REPLY_LINES_MAX) {
		status = smtp_reply_feed(&r, "250-more\r\n", 10, &why);
		fed++;
	}
	ck_assert_int_eq(status, SMTP_REPLY_MALFORMED);
	ck_assert_uint_eq(fed, SMTP_REPLY_LINES_MAX + 1);
	ck_assert_str_eq(why, "reply has too many lines");
	smtp_reply_free(&r);
}
END_TEST

START_TEST(test_too_long_line)
{
	char line[SMTP_REPLY_LINE_MAX + 1];
	smtp_reply_t r;
	const char *why;

	memset(line, 'x', sizeof(line));
	memcpy(line, "250 ", 4);
	smtp_reply_init(&r);
	ck_assert_int_eq(smtp_reply_feed(&r, line, SMTP_REPLY_LINE_MAX - 2, &why), SMTP_REPLY_DONE);
	smtp_reply_reset(&r);
	ck_assert_int_eq(smtp_reply_feed(&r, line, SMTP_REPLY_LINE_MAX - 1, &why),
			 SMTP_REPLY_MALFORMED);
	ck_assert_str_eq(why, "reply line too long");
	smtp_reply_free(&r);
}
END_TEST

START_TEST(test_high_bytes_shown_safely)
{
	smtp_reply_t r;
	const char *why;
	str_t text = STR_INIT;

	smtp_reply_init(&r);
	ck_assert_int_eq(test_feed_one(&r, "550 5.1.1 \xd0\xbd\xd0\xb5\xd1\x82 user\r\n", &why),
			 SMTP_REPLY_DONE);
	smtp_reply_text(&r, &text);
	ck_assert_str_eq(str_cstr(&text), "550 5.1.1 ?????? user");
	str_free(&text);
	smtp_reply_free(&r);
}
END_TEST

/* smtp_reply_read on a stream whose peer sends what the test says. */
static stream_t *test_peer(const char *sent, int *peer)
{
	int fds[2];
	stream_t *st;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
	if (sent)
		ck_assert_int_eq(write(fds[1], sent, strlen(sent)), (ssize_t)strlen(sent));
	*peer = fds[1];
	st = stream_open(fds[0]);
	stream_set_timeout(st, TEST_TIMEOUT);
	return st;
}

static int test_read(const char *sent, int close_after, smtp_reply_t *r, const char **why)
{
	int peer;
	stream_t *st = test_peer(sent, &peer);
	int status;

	if (close_after)
		close(peer);
	status = smtp_reply_read(st, r, why);
	if (!close_after)
		close(peer);
	stream_close(st);
	return status;
}

START_TEST(test_read_replies)
{
	smtp_reply_t r;
	const char *why;

	smtp_reply_init(&r);
	ck_assert_int_eq(test_read("250-a\r\n250 b\r\n354 go\r\n", 1, &r, &why), 0);
	ck_assert_int_eq(r.code, 250);
	ck_assert_uint_eq(r.nlines, 2);
	ck_assert_int_eq(test_read("250-a\r\n250-b\r\n", 1, &r, &why), STREAM_EOF);
	ck_assert_int_eq(test_read("250 no line end", 1, &r, &why), STREAM_EOF);
	ck_assert_int_eq(test_read("", 1, &r, &why), STREAM_EOF);
	ck_assert_int_eq(test_read("HTTP/1.0 200 OK\r\n", 1, &r, &why), SMTP_REPLY_MALFORMED);
	ck_assert_int_eq(test_read("250-a\r\n", 0, &r, &why), STREAM_TIMEOUT);
	smtp_reply_free(&r);
}
END_TEST

START_TEST(test_read_bounded)
{
	str_t sent = STR_INIT;
	smtp_reply_t r;
	const char *why;

	smtp_reply_init(&r);
	for (size_t i = 0; i < SMTP_REPLY_LINE_MAX; i++)
		str_putc(&sent, i < 4 ? "250 "[i] : 'x');
	str_append_cstr(&sent, "\r\n");
	ck_assert_int_eq(test_read(sent.data, 1, &r, &why), SMTP_REPLY_MALFORMED);
	ck_assert_str_eq(why, "reply line too long");
	str_reset(&sent);
	for (size_t i = 0; i < 2 * SMTP_REPLY_LINES_MAX; i++)
		str_append_cstr(&sent, "250-endless\r\n");
	ck_assert_int_eq(test_read(sent.data, 1, &r, &why), SMTP_REPLY_MALFORMED);
	ck_assert_str_eq(why, "reply has too many lines");
	str_free(&sent);
	smtp_reply_free(&r);
}
END_TEST

Suite *suite_smtp_reply(void)
{
	Suite *s = suite_create("smtp_reply");
	TCase *tc = tcase_create("smtp_reply");

	tcase_add_test(tc, test_single_line);
	tcase_add_test(tc, test_code_alone);
	tcase_add_test(tc, test_multi_line);
	tcase_add_test(tc, test_enhanced_codes);
	tcase_add_test(tc, test_malformed_lines);
	tcase_add_test(tc, test_nul_inside);
	tcase_add_test(tc, test_mixed_codes);
	tcase_add_test(tc, test_too_many_lines);
	tcase_add_test(tc, test_too_long_line);
	tcase_add_test(tc, test_high_bytes_shown_safely);
	tcase_add_test(tc, test_read_replies);
	tcase_add_test(tc, test_read_bounded);
	suite_add_tcase(s, tc);
	return s;
}
