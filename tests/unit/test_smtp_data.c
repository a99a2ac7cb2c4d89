/*
 * test_smtp_data: the DATA state machine - end of data only at CR LF "."
 * CR LF, dot-unstuffing, bare LF / bare CR handling (the SMTP smuggling
 * variants), long lines, and the same results however the input is split.
 */
#include <check.h>
#include <string.h>

#include "smtp_data.h"
#include "str.h"


/* What one run of the machine produced. */
typedef struct data_result {
	str_t out;
	size_t used;		/* input bytes consumed */
	int done;
	int flags;
} data_result_t;

/* Feed in as pieces of at most step bytes (0: all at once). */
static void data_run(const char *in, size_t len, size_t step, data_result_t *res)
{
	smtp_data_t sd;

	smtp_data_init(&sd);
	str_init(&res->out);
	str_append(&res->out, "", 0);
	res->used = 0;
	while (res->used < len && !sd.done) {
		size_t piece = step && len - res->used > step ? step : len - res->used;
		size_t used = smtp_data_feed(&sd, in + res->used, piece, &res->out);

		res->used += used;
		if (used < piece)
			ck_assert(sd.done);
	}
	res->done = sd.done;
	res->flags = sd.flags;
}

/*
 * Check one input against the expected content, consumed length, done and
 * flags, fed at once, byte by byte, and split in two at every position.
 */
static void data_check(const char *in, const char *want, size_t want_used, int want_done, int want_flags)
{
	size_t len = strlen(in);
	data_result_t res;

	for (size_t step = 0; step <= 1; step++) {
		data_run(in, len, step, &res);
		ck_assert_str_eq(res.out.data, want);
		ck_assert_uint_eq(res.used, want_used);
		ck_assert_int_eq(res.done, want_done);
		ck_assert_int_eq(res.flags, want_flags);
		str_free(&res.out);
	}
	for (size_t cut = 1; cut < len; cut++) {
		smtp_data_t sd;
		str_t out = STR_INIT;
		size_t used;

		smtp_data_init(&sd);
		str_append(&out, "", 0);
		used = smtp_data_feed(&sd, in, cut, &out);
		if (!sd.done)
			used += smtp_data_feed(&sd, in + cut, len - cut, &out);
		ck_assert_msg(strcmp(out.data, want) == 0, "split at %zu: got \"%s\"", cut, out.data);
		ck_assert_uint_eq(used, want_used);
		ck_assert_int_eq(sd.done, want_done);
		str_free(&out);
	}
}

START_TEST(test_plain_message)
{
	data_check("Subject: hi\r\n\r\nbody\r\n.\r\n", "Subject: hi\n\nbody\n", 24, 1, 0);
}
END_TEST

START_TEST(test_empty_message)
{
	data_check(".\r\n", "", 3, 1, 0);
}
END_TEST

START_TEST(test_one_empty_line)
{
	data_check("\r\n.\r\n", "\n", 5, 1, 0);
}
END_TEST

START_TEST(test_rest_is_next_command)
{
	data_check("a\r\n.\r\nQUIT\r\n", "a\n", 6, 1, 0);
}
END_TEST

START_TEST(test_dot_unstuffing)
{
	data_check("..\r\n...\r\n.x\r\nx.\r\n.\r\n", ".\n..\nx\nx.\n", 20, 1, 0);
}
END_TEST

START_TEST(test_dot_not_at_line_start)
{
	data_check("a.\r\n a\r\n.\r\n", "a.\n a\n", 11, 1, 0);
}
END_TEST

START_TEST(test_no_terminator_yet)
{
	data_check("a\r\n.", "a\n", 4, 0, 0);
	data_check("a\r\n.\r", "a\n", 5, 0, 0);
	data_check("a\r\n", "a\n", 3, 0, 0);
}
END_TEST

START_TEST(test_smuggle_lf_dot_crlf)
{
	data_check("a\n.\r\nMAIL FROM:<x>\r\n.\r\n", "a\n.\nMAIL FROM:<x>\n", 23, 1, SMTP_DATA_BARE_LF);
}
END_TEST

START_TEST(test_smuggle_crlf_dot_lf)
{
	data_check("a\r\n.\nRCPT\r\n.\r\n", "a\n.\nRCPT\n", 14, 1, SMTP_DATA_BARE_LF);
}
END_TEST

START_TEST(test_smuggle_lf_dot_lf)
{
	data_check("a\n.\nb\r\n.\r\n", "a\n.\nb\n", 10, 1, SMTP_DATA_BARE_LF);
}
END_TEST

START_TEST(test_smuggle_cr_dot_crlf)
{
	data_check("a\r.\r\nb\r\n.\r\n", "a\n.\nb\n", 11, 1, SMTP_DATA_BARE_CR);
}
END_TEST

START_TEST(test_smuggle_crlf_dot_cr)
{
	data_check("a\r\n.\rb\r\n.\r\n", "a\n.\nb\n", 11, 1, SMTP_DATA_BARE_CR);
}
END_TEST

START_TEST(test_bare_lf_is_a_line_end)
{
	data_check("a\nb\r\n.\r\n", "a\nb\n", 8, 1, SMTP_DATA_BARE_LF);
}
END_TEST

START_TEST(test_bare_cr_is_a_line_end)
{
	data_check("a\rb\r\r\n.\r\n", "a\nb\n\n", 9, 1, SMTP_DATA_BARE_CR);
}
END_TEST

START_TEST(test_bare_lf_first)
{
	data_check("\n.\r\n.\r\n", "\n.\n", 7, 1, SMTP_DATA_BARE_LF);
}
END_TEST

START_TEST(test_stuffed_line_after_bare_lf)
{
	/* dots are still unstuffed on lines after a bare LF */
	data_check("a\n..b\r\n.\r\n", "a\n.b\n", 10, 1, SMTP_DATA_BARE_LF);
}
END_TEST

START_TEST(test_binary_bytes_kept)
{
	const char in[] = "a\0b\xff\r\n.\r\n";
	data_result_t res;

	data_run(in, sizeof(in) - 1, 1, &res);
	ck_assert(res.done);
	ck_assert_uint_eq(res.out.len, 5);
	ck_assert_mem_eq(res.out.data, "a\0b\xff\n", 5);
	str_free(&res.out);
}
END_TEST

START_TEST(test_long_line_is_kept_whole)
{
	char in[3 * 4096 + 6];
	data_result_t res;

	memset(in, 'x', 3 * 4096);
	memcpy(in + 3 * 4096, ".\r\n.\r\n", 6);
	for (size_t step = 0; step <= 3; step++) {
		data_run(in, sizeof(in), step == 3 ? 1000 : step, &res);
		ck_assert(res.done);
		ck_assert_uint_eq(res.out.len, 3 * 4096 + 2);
		ck_assert_mem_eq(res.out.data + 3 * 4096, ".\n", 2);
		ck_assert_ptr_null(memchr(res.out.data, '\n', 3 * 4096));
		str_free(&res.out);
	}
}
END_TEST

START_TEST(test_feed_after_done)
{
	smtp_data_t sd;
	str_t out = STR_INIT;

	smtp_data_init(&sd);
	ck_assert_uint_eq(smtp_data_feed(&sd, ".\r\nNOOP\r\n", 9, &out), 3);
	ck_assert(sd.done);
	ck_assert_uint_eq(smtp_data_feed(&sd, "NOOP\r\n", 6, &out), 0);
	ck_assert_uint_eq(out.len, 0);
	str_free(&out);
}
END_TEST

Suite *suite_smtp_data(void)
{
	Suite *s = suite_create("smtp_data");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_plain_message);
	tcase_add_test(tc, test_empty_message);
	tcase_add_test(tc, test_one_empty_line);
	tcase_add_test(tc, test_rest_is_next_command);
	tcase_add_test(tc, test_dot_unstuffing);
	tcase_add_test(tc, test_dot_not_at_line_start);
	tcase_add_test(tc, test_no_terminator_yet);
	tcase_add_test(tc, test_smuggle_lf_dot_crlf);
	tcase_add_test(tc, test_smuggle_crlf_dot_lf);
	tcase_add_test(tc, test_smuggle_lf_dot_lf);
	tcase_add_test(tc, test_smuggle_cr_dot_crlf);
	tcase_add_test(tc, test_smuggle_crlf_dot_cr);
	tcase_add_test(tc, test_bare_lf_is_a_line_end);
	tcase_add_test(tc, test_bare_cr_is_a_line_end);
	tcase_add_test(tc, test_bare_lf_first);
	tcase_add_test(tc, test_stuffed_line_after_bare_lf);
	tcase_add_test(tc, test_binary_bytes_kept);
	tcase_add_test(tc, test_long_line_is_kept_whole);
	tcase_add_test(tc, test_feed_after_done);
	suite_add_tcase(s, tc);
	return s;
}
