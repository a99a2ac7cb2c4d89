/*
 * test_alias: the aliases(5) parser: name lines, target lists with
 * quoting and continuations, target kinds, and aliases files built into
 * tables (comments, case, bad lines named by file and line).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alias.h"
#include "dict.h"

static int split(const char *text, char *name, char *value)
{
	char buf[256], *n, *v;
	const char *why;

	snprintf(buf, sizeof(buf), "%s", text);
	if (alias_split_line(buf, &n, &v, &why) < 0)
		return -1;
	strcpy(name, n);
	strcpy(value, v);
	return 0;
}

START_TEST(test_split_line)
{
	char name[256], value[256];

	ck_assert_int_eq(split("Root:  admin, other  ", name, value), 0);
	ck_assert_str_eq(name, "root");
	ck_assert_str_eq(value, "admin, other");
	ck_assert_int_eq(split("\"Two Words\": x", name, value), 0);
	ck_assert_str_eq(name, "two words");
	ck_assert_int_eq(split("nocolon value", name, value), -1);
	ck_assert_int_eq(split("empty:", name, value), -1);
	ck_assert_int_eq(split(": value", name, value), -1);
}
END_TEST

START_TEST(test_targets_and_kinds)
{
	alias_list_t l = { NULL, 0 };
	const char *why;

	ck_assert_int_eq(alias_parse_targets("demo@localhost, \"|/bin/cat -n, x\",/var/x ,"
					     " :INCLUDE: /etc/list, \"a b\"@x, ,", &l, &why), 0);
	ck_assert_uint_eq(l.count, 5);
	ck_assert_int_eq(l.items[0].kind, ALIAS_ADDRESS);
	ck_assert_str_eq(l.items[0].text, "demo@localhost");
	ck_assert_int_eq(l.items[1].kind, ALIAS_COMMAND);
	ck_assert_str_eq(l.items[1].text, "/bin/cat -n, x");
	ck_assert_int_eq(l.items[2].kind, ALIAS_FILE);
	ck_assert_str_eq(l.items[2].text, "/var/x");
	ck_assert_int_eq(l.items[3].kind, ALIAS_INCLUDE);
	ck_assert_str_eq(l.items[3].text, "/etc/list");
	ck_assert_str_eq(l.items[4].text, "a b@x");
	alias_list_free(&l);
	ck_assert_int_eq(alias_parse_targets("\"|unbalanced", &l, &why), -1);
	ck_assert_str_eq(why, "unbalanced quote");
	alias_list_free(&l);
}
END_TEST

START_TEST(test_file_text)
{
	const char *text = "# a comment\n  one@x\n\ntwo, \"|cmd arg\"\n  # indented comment\n/f";
	alias_list_t l = { NULL, 0 };
	const char *why;

	ck_assert_int_eq(alias_parse_file_text(text, strlen(text), &l, &why), 0);
	ck_assert_uint_eq(l.count, 4);
	ck_assert_str_eq(l.items[0].text, "one@x");
	ck_assert_str_eq(l.items[1].text, "two");
	ck_assert_int_eq(l.items[2].kind, ALIAS_COMMAND);
	ck_assert_str_eq(l.items[2].text, "cmd arg");
	ck_assert_int_eq(l.items[3].kind, ALIAS_FILE);
	alias_list_free(&l);
}
END_TEST

/* An aliases file built into a table: continuation lines, comments, case, bad lines. */
START_TEST(test_build_aliases_file)
{
	char dir[] = "/tmp/test_alias.XXXXXX", path[300], spec[320], errfile[320];
	str_t err = STR_INIT, value = STR_INIT;
	FILE *f;
	dict_t *d;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/aliases", dir);
	f = fopen(path, "w");
	fputs("# comment\nTeam: demo@localhost,\n  other@localhost\nbad line\n"
	      "cmd: \"|/bin/cat > /dev/null\"\n", f);
	fclose(f);
	snprintf(spec, sizeof(spec), "hash:%s", path);
	ck_assert_int_eq(dict_build(spec, DICT_BUILD_ALIAS, &err), 0);
	d = dict_open(spec, &err);
	ck_assert_int_eq(dict_lookup(d, "TEAM", &value), 1);
	ck_assert_str_eq(str_cstr(&value), "demo@localhost, other@localhost");
	ck_assert_int_eq(dict_lookup(d, "cmd", &value), 1);
	ck_assert_str_eq(str_cstr(&value), "\"|/bin/cat > /dev/null\"");
	ck_assert_int_eq(dict_lookup(d, "bad", &value), 0);
	dict_close(d);
	snprintf(errfile, sizeof(errfile), "%s.db", path);
	unlink(errfile);
	unlink(path);
	rmdir(dir);
	str_free(&err);
	str_free(&value);
}
END_TEST

Suite *suite_alias(void)
{
	Suite *s = suite_create("alias");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_split_line);
	tcase_add_test(tc, test_targets_and_kinds);
	tcase_add_test(tc, test_file_text);
	tcase_add_test(tc, test_build_aliases_file);
	suite_add_tcase(s, tc);
	return s;
}
