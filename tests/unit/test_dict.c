/*
 * test_dict: texthash: sources in postmap syntax (comments, continuation
 * lines, case folding, duplicates, malformed lines), static:, listing keys,
 * and the errors for unknown types and missing files.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dict.h"
#include "log.h"

#define TEST_DICT_PATH_MAX 256
#define TEST_DICT_MANY 5000

static char test_dict_dir[TEST_DICT_PATH_MAX];
static char test_dict_file[TEST_DICT_PATH_MAX + 16];
static char test_dict_log[TEST_DICT_PATH_MAX + 16];

static void test_dict_setup(void)
{
	snprintf(test_dict_dir, sizeof(test_dict_dir), "/tmp/pochta-test-dict-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(test_dict_dir));
	snprintf(test_dict_file, sizeof(test_dict_file), "%s/table", test_dict_dir);
	snprintf(test_dict_log, sizeof(test_dict_log), "%s/log", test_dict_dir);
	ck_assert_int_eq(log_open_file(test_dict_log), 0);
}

static void test_dict_teardown(void)
{
	log_to_stderr();
	unlink(test_dict_file);
	unlink(test_dict_log);
	rmdir(test_dict_dir);
}

static dict_t *test_dict_texthash(const char *text)
{
	char spec[TEST_DICT_PATH_MAX + 32];
	str_t err = STR_INIT;
	FILE *fp = fopen(test_dict_file, "w");
	dict_t *dict;

	ck_assert_ptr_nonnull(fp);
	fputs(text, fp);
	ck_assert_int_eq(fclose(fp), 0);
	snprintf(spec, sizeof(spec), "texthash:%s", test_dict_file);
	dict = dict_open(spec, &err);
	ck_assert_msg(dict != NULL, "dict_open: %s", str_cstr(&err));
	ck_assert_str_eq(dict_name(dict), spec);
	str_free(&err);
	return dict;
}

/* Expect key to find want (NULL: not found). */
static void test_dict_expect(dict_t *dict, const char *key, const char *want)
{
	str_t value = STR_INIT;
	int found = dict_lookup(dict, key, &value);

	if (want == NULL) {
		ck_assert_msg(found == 0, "%s found as \"%s\"", key, str_cstr(&value));
	} else {
		ck_assert_msg(found == 1, "%s not found", key);
		ck_assert_str_eq(str_cstr(&value), want);
	}
	str_free(&value);
}

static const char *test_dict_log_text(void)
{
	static char text[8192];
	FILE *fp = fopen(test_dict_log, "r");
	size_t n;

	ck_assert_ptr_nonnull(fp);
	n = fread(text, 1, sizeof(text) - 1, fp);
	text[n] = 0;
	fclose(fp);
	return text;
}

START_TEST(test_texthash)
{
	dict_t *dict = test_dict_texthash(
		"# virtual mailboxes\n"
		"demo@localhost     localhost/demo/\n"
		"\n"
		"  # indented comment\n"
		"Mixed@Example.COM\tExample/Mixed/  \n"
		"long@example.com first\n"
		"   second\n"
		"\tthird\n"
		"spaces@example.com  a value with  spaces\n"
		"demo@localhost     duplicate/\n"
		"lonelykey\n"
		"last@example.com no-newline-at-end");

	test_dict_expect(dict, "demo@localhost", "localhost/demo/");
	test_dict_expect(dict, "DEMO@LocalHost", "localhost/demo/");
	test_dict_expect(dict, "mixed@example.com", "Example/Mixed/");
	test_dict_expect(dict, "long@example.com", "first second third");
	test_dict_expect(dict, "spaces@example.com", "a value with  spaces");
	test_dict_expect(dict, "last@example.com", "no-newline-at-end");
	test_dict_expect(dict, "lonelykey", NULL);
	test_dict_expect(dict, "nobody@localhost", NULL);
	test_dict_expect(dict, "", NULL);
	test_dict_expect(dict, "#", NULL);
	dict_close(dict);
	ck_assert_ptr_nonnull(strstr(test_dict_log_text(),
				     "line 10: duplicate entry: \"demo@localhost\""));
	ck_assert_ptr_nonnull(strstr(test_dict_log_text(),
				     "line 11: expected format: key whitespace value"));
}
END_TEST

START_TEST(test_texthash_many_and_long_keys)
{
	FILE *fp = fopen(test_dict_file, "w");
	char spec[TEST_DICT_PATH_MAX + 32];
	char key[64], want[64];
	char *huge = malloc(DICT_KEY_MAX + 2);
	str_t err = STR_INIT;
	dict_t *dict;
	int i;

	ck_assert_ptr_nonnull(fp);
	for (i = 0; i < TEST_DICT_MANY; i++)
		fprintf(fp, "user%d@example.com mailbox%d/\n", i, i);
	fclose(fp);
	snprintf(spec, sizeof(spec), "texthash:%s", test_dict_file);
	dict = dict_open(spec, &err);
	ck_assert_ptr_nonnull(dict);
	for (i = 0; i < TEST_DICT_MANY; i += 7) {
		snprintf(key, sizeof(key), "USER%d@example.com", i);
		snprintf(want, sizeof(want), "mailbox%d/", i);
		test_dict_expect(dict, key, want);
	}
	test_dict_expect(dict, "user5000@example.com", NULL);
	memset(huge, 'a', DICT_KEY_MAX + 1);
	huge[DICT_KEY_MAX + 1] = 0;
	test_dict_expect(dict, huge, NULL);
	free(huge);
	dict_close(dict);
	str_free(&err);
}
END_TEST

static int test_dict_count(const char *key, const char *value, void *ctx)
{
	(void)key;
	(void)value;
	++*(int *)ctx;
	return 0;
}

START_TEST(test_walk)
{
	dict_t *dict = test_dict_texthash("a x\nb y\nA z\nc w\n");
	str_t err = STR_INIT;
	int count = 0;

	ck_assert_int_eq(dict_walk(dict, test_dict_count, &count), 0);
	ck_assert_int_eq(count, 3);	/* "A" duplicates "a" once folded */
	dict_close(dict);
	dict = dict_open("static:x", &err);
	ck_assert_int_eq(dict_walk(dict, test_dict_count, &count), -1);
	dict_close(dict);
	str_free(&err);
}
END_TEST

START_TEST(test_static)
{
	str_t err = STR_INIT;
	dict_t *dict = dict_open("static:OK", &err);

	ck_assert_ptr_nonnull(dict);
	test_dict_expect(dict, "anything", "OK");
	test_dict_expect(dict, "", "OK");
	ck_assert_str_eq(dict_name(dict), "static:OK");
	dict_close(dict);
	dict = dict_open("static:{ 550 no such user }", &err);
	ck_assert_ptr_nonnull(dict);
	test_dict_expect(dict, "x", "550 no such user");
	dict_close(dict);
	str_free(&err);
}
END_TEST

START_TEST(test_open_errors)
{
	str_t err = STR_INIT;

	ck_assert_ptr_null(dict_open("nosuchtype:/etc/passwd", &err));
	ck_assert_str_eq(str_cstr(&err), "unsupported dictionary type: nosuchtype");
	str_reset(&err);
	ck_assert_ptr_null(dict_open("/etc/aliases", &err));
	ck_assert_ptr_nonnull(strstr(str_cstr(&err), "expected type:name"));
	str_reset(&err);
	ck_assert_ptr_null(dict_open("texthash:/nonexistent/table", &err));
	ck_assert_ptr_nonnull(strstr(str_cstr(&err), "/nonexistent/table: No such file"));
	str_free(&err);
}
END_TEST

Suite *suite_dict(void)
{
	Suite *s = suite_create("dict");
	TCase *tc = tcase_create("dict");

	tcase_add_checked_fixture(tc, test_dict_setup, test_dict_teardown);
	tcase_add_test(tc, test_texthash);
	tcase_add_test(tc, test_texthash_many_and_long_keys);
	tcase_add_test(tc, test_walk);
	tcase_add_test(tc, test_static);
	tcase_add_test(tc, test_open_errors);
	suite_add_tcase(s, tc);
	return s;
}
