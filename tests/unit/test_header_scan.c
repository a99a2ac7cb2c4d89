/*
 * test_header_scan: the end of the header section (an empty line, a body
 * line, the end of input, input fed in pieces) and the fields handed
 * over whole with their continuation lines.
 */
#include <check.h>
#include <string.h>

#include "header_scan.h"

/* The fields joined by "|" (LFs shown as "~"), and their names' lengths summed. */
typedef struct seen {
	str_t fields;
	size_t names;
} seen_t;

static void on_field(void *ctx, const char *field, size_t len, size_t name_len)
{
	seen_t *seen = ctx;

	if (seen->fields.len)
		str_putc(&seen->fields, '|');
	for (size_t i = 0; i < len; i++)
		str_putc(&seen->fields, field[i] == '\n' ? '~' : field[i]);
	seen->names += name_len;
}

/* Scan text fed in pieces of step bytes, stopping at its end. */
static header_scan_t scan(const char *text, size_t step, seen_t *seen)
{
	header_scan_t hs;
	str_t buf = STR_INIT;
	size_t len = strlen(text), fed = 0;

	header_scan_init(&hs);
	str_init(&seen->fields);
	seen->names = 0;
	while (!hs.found_end) {
		size_t n = len - fed < step ? len - fed : step;

		str_append(&buf, text + fed, n);
		fed += n;
		header_scan_feed(&hs, &buf, on_field, seen);
		if (fed == len)
			header_scan_stop(&hs, &buf, on_field, seen);
	}
	str_free(&buf);
	return hs;
}

START_TEST(test_sections)
{
	static const struct {
		const char *text;
		size_t end;
		int need_blank;
		const char *fields;
	} cases[] = {
		{ "To: a\nSubject: x\n\nbody\n", 17, 0, "To: a~|Subject: x~" },
		{ "To: a,\n  b\n\tc\nX: y\n\nbody\n", 19, 0, "To: a,~  b~\tc~|X: y~" },
		{ "Subject : spaced\n\n", 17, 0, "Subject : spaced~" },
		{ "hello world\nmore\n", 0, 1, "" },
		{ " leading space\n", 0, 1, "" },
		{ "To: a\nnot a header\n", 6, 1, "To: a~" },
		{ "To: a\nFrom x@y Mon\n", 6, 1, "To: a~" },
		{ "To: a\nSubject: no body\n", 23, 0, "To: a~|Subject: no body~" },
		{ "To: a\nSubject: partial", 6, 1, "To: a~" },
		{ "", 0, 0, "" },
		{ "\nbody only\n", 0, 0, "" },
		{ ": no name\n", 0, 1, "" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (size_t step = 1; step <= 8; step += 7) {
			seen_t seen;
			header_scan_t hs = scan(cases[i].text, step, &seen);

			ck_assert_msg(hs.end == cases[i].end, "#%zu step %zu: end %zu", i, step, hs.end);
			ck_assert_msg(hs.need_blank == cases[i].need_blank, "#%zu: need_blank", i);
			ck_assert_msg(strcmp(str_cstr(&seen.fields), cases[i].fields) == 0,
				      "#%zu: fields %s", i, str_cstr(&seen.fields));
			str_free(&seen.fields);
		}
	}
}
END_TEST

START_TEST(test_names)
{
	seen_t seen;

	scan("Bcc: x\nMessage-ID: <y>\n\n", 64, &seen);
	ck_assert_uint_eq(seen.names, strlen("Bcc") + strlen("Message-ID"));
	ck_assert(header_scan_name_is("BCC: x", 3, "bcc"));
	ck_assert(!header_scan_name_is("Bccx: x", 4, "bcc"));
	ck_assert(!header_scan_name_is("Bc: x", 2, "bcc"));
	str_free(&seen.fields);
}
END_TEST

Suite *suite_header_scan(void)
{
	Suite *s = suite_create("header_scan");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_sections);
	tcase_add_test(tc, test_names);
	suite_add_tcase(s, tc);
	return s;
}
