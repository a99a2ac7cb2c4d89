/*
 * test_smtp_bdat: BDAT content line ends - CR LF to LF, also across chunk
 * boundaries, no dot-unstuffing and no terminator, bare LF / bare CR
 * stored as line ends and flagged, any byte kept - with the same result
 * however the octets are cut into chunks.
 */
#include <check.h>
#include <string.h>

#include "smtp_bdat.h"
#include "str.h"

/* Feed in as chunks of at most step octets (0: one chunk), then end. */
static int bdat_run(const char *in, size_t len, size_t step, str_t *out)
{
	smtp_bdat_t sb;
	size_t pos = 0;

	smtp_bdat_init(&sb);
	str_append(out, "", 0);
	do {
		size_t piece = step && len - pos > step ? step : len - pos;

		smtp_bdat_feed(&sb, in + pos, piece, out);
		pos += piece;
	} while (pos < len);
	smtp_bdat_end(&sb, out);
	return sb.flags;
}

static void bdat_expect(const str_t *out, const char *want, size_t want_len, const char *how)
{
	int same = out->len == want_len && memcmp(out->data, want, want_len) == 0;

	ck_assert_msg(same, "%s: got %zu bytes \"%s\"", how, out->len, out->data);
}

/*
 * Check in (len octets) against want and the flags: as one chunk, octet
 * by octet, and cut in two chunks at every position.
 */
static void bdat_check(const char *in, size_t len, const char *want, size_t want_len, int want_flags)
{
	for (size_t step = 0; step <= 1; step++) {
		str_t out = STR_INIT;

		ck_assert_int_eq(bdat_run(in, len, step, &out), want_flags);
		bdat_expect(&out, want, want_len, step ? "octet by octet" : "one chunk");
		str_free(&out);
	}
	for (size_t cut = 1; cut < len; cut++) {
		smtp_bdat_t sb;
		str_t out = STR_INIT;

		smtp_bdat_init(&sb);
		str_append(&out, "", 0);
		smtp_bdat_feed(&sb, in, cut, &out);
		smtp_bdat_feed(&sb, in + cut, len - cut, &out);
		smtp_bdat_end(&sb, &out);
		bdat_expect(&out, want, want_len, "two chunks");
		ck_assert_int_eq(sb.flags, want_flags);
		str_free(&out);
	}
}

#define BDAT_CHECK(in, want, flags) bdat_check(in, sizeof(in) - 1, want, sizeof(want) - 1, flags)

START_TEST(test_crlf_becomes_lf)
{
	BDAT_CHECK("Subject: hi\r\n\r\nbody\r\n", "Subject: hi\n\nbody\n", 0);
}
END_TEST

START_TEST(test_empty_content)
{
	BDAT_CHECK("", "", 0);
}
END_TEST

START_TEST(test_dot_lines_are_content)
{
	BDAT_CHECK("a\r\n.\r\n..b\r\n.\r\n", "a\n.\n..b\n.\n", 0);
}
END_TEST

START_TEST(test_no_final_line_end)
{
	BDAT_CHECK("a\r\nno end", "a\nno end", 0);
}
END_TEST

START_TEST(test_bare_lf)
{
	BDAT_CHECK("a\nb\r\n", "a\nb\n", SMTP_DATA_BARE_LF);
}
END_TEST

START_TEST(test_bare_cr)
{
	BDAT_CHECK("a\rb\r\n", "a\nb\n", SMTP_DATA_BARE_CR);
}
END_TEST

START_TEST(test_cr_cr_lf)
{
	BDAT_CHECK("a\r\r\nb", "a\n\nb", SMTP_DATA_BARE_CR);
}
END_TEST

START_TEST(test_cr_at_the_end_is_bare)
{
	BDAT_CHECK("a\r\nb\r", "a\nb\n", SMTP_DATA_BARE_CR);
}
END_TEST

START_TEST(test_lf_cr_both_bare)
{
	BDAT_CHECK("a\n\rb", "a\n\nb", SMTP_DATA_BARE_LF | SMTP_DATA_BARE_CR);
}
END_TEST

START_TEST(test_any_byte_kept)
{
	BDAT_CHECK("\0\x01\xff\xc3\xa9\r\n\0", "\0\x01\xff\xc3\xa9\n\0", 0);
}
END_TEST

START_TEST(test_cr_pending_across_empty_chunk)
{
	smtp_bdat_t sb;
	str_t out = STR_INIT;

	smtp_bdat_init(&sb);
	str_append(&out, "", 0);
	smtp_bdat_feed(&sb, "x\r", 2, &out);
	smtp_bdat_feed(&sb, "", 0, &out);
	smtp_bdat_feed(&sb, "\ny", 2, &out);
	smtp_bdat_end(&sb, &out);
	ck_assert_str_eq(out.data, "x\ny");
	ck_assert_int_eq(sb.flags, 0);
	str_free(&out);
}
END_TEST

Suite *suite_smtp_bdat(void)
{
	Suite *s = suite_create("smtp_bdat");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_crlf_becomes_lf);
	tcase_add_test(tc, test_empty_content);
	tcase_add_test(tc, test_dot_lines_are_content);
	tcase_add_test(tc, test_no_final_line_end);
	tcase_add_test(tc, test_bare_lf);
	tcase_add_test(tc, test_bare_cr);
	tcase_add_test(tc, test_cr_cr_lf);
	tcase_add_test(tc, test_cr_at_the_end_is_bare);
	tcase_add_test(tc, test_lf_cr_both_bare);
	tcase_add_test(tc, test_any_byte_kept);
	tcase_add_test(tc, test_cr_pending_across_empty_chunk);
	suite_add_tcase(s, tc);
	return s;
}
