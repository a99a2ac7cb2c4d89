/*
 * test_dict: the table types that live in memory or in the system:
 * texthash: sources in postmap syntax (comments, continuation lines, case
 * folding, duplicates, malformed lines), inline: syntax, static:,
 * unix:passwd.byname, listing keys, the errors for unknown types and bad
 * names, temporary errors for missing files, and dict_changed() noticing
 * a source that was replaced or edited; hash: and btree: files built
 * through dict_build() as "pochta map" builds them, read in both key forms,
 * temporary errors for missing or damaged files, and readers that never
 * see an error while the file is rebuilt under them. Address lookups are
 * in test_dict_addr.c.
 */
#include <check.h>
#include <db.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dict.h"
#include "log.h"

#define TEST_DICT_PATH_MAX 256
#define TEST_DICT_MANY 5000
#define TEST_DICT_REBUILDS 200		/* rebuilds while a reader reads */

static char test_dict_dir[TEST_DICT_PATH_MAX];
static char test_dict_file[TEST_DICT_PATH_MAX + 16];
static char test_dict_log[TEST_DICT_PATH_MAX + 16];
static char test_dict_db[TEST_DICT_PATH_MAX + 32];	/* test_dict_file.db */
static char test_dict_hash[TEST_DICT_PATH_MAX + 32];	/* "hash:" test_dict_file */

static void test_dict_setup(void)
{
	snprintf(test_dict_dir, sizeof(test_dict_dir), "/tmp/pochta-test-dict-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(test_dict_dir));
	snprintf(test_dict_file, sizeof(test_dict_file), "%s/table", test_dict_dir);
	snprintf(test_dict_log, sizeof(test_dict_log), "%s/log", test_dict_dir);
	snprintf(test_dict_db, sizeof(test_dict_db), "%s.db", test_dict_file);
	snprintf(test_dict_hash, sizeof(test_dict_hash), "hash:%s", test_dict_file);
	ck_assert_int_eq(log_open_file(test_dict_log), 0);
}

static void test_dict_teardown(void)
{
	log_to_stderr();
	unlink(test_dict_file);
	unlink(test_dict_db);
	unlink(test_dict_log);
	rmdir(test_dict_dir);
}

static void test_dict_write(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	ck_assert_ptr_nonnull(fp);
	fputs(text, fp);
	ck_assert_int_eq(fclose(fp), 0);
}

static dict_t *test_dict_open(const char *spec)
{
	str_t err = STR_INIT;
	dict_t *dict = dict_open(spec, &err);

	ck_assert_msg(dict != NULL, "dict_open %s: %s", spec, str_cstr(&err));
	ck_assert_str_eq(dict_name(dict), spec);
	str_free(&err);
	return dict;
}

/* dict_open must refuse spec with an error containing want. */
static void test_dict_refused(const char *spec, const char *want)
{
	str_t err = STR_INIT;

	ck_assert_ptr_null(dict_open(spec, &err));
	ck_assert_msg(strstr(str_cstr(&err), want) != NULL, "%s: \"%s\" lacks \"%s\"", spec,
		      str_cstr(&err), want);
	str_free(&err);
}

static dict_t *test_dict_texthash(const char *text)
{
	char spec[TEST_DICT_PATH_MAX + 32];

	test_dict_write(test_dict_file, text);
	snprintf(spec, sizeof(spec), "texthash:%s", test_dict_file);
	return test_dict_open(spec);
}

/* Expect a temporary error whose message contains want. */
static void test_dict_expect_temp(dict_t *dict, const char *key, const char *want)
{
	str_t value = STR_INIT;

	ck_assert_int_eq(dict_lookup(dict, key, &value), -1);
	ck_assert_msg(strstr(str_cstr(&value), want) != NULL, "\"%s\" lacks \"%s\"",
		      str_cstr(&value), want);
	str_free(&value);
}

/* Expect key to find want (NULL: not found). */
static void test_dict_expect(dict_t *dict, const char *key, const char *want)
{
	str_t value = STR_INIT;
	int found = dict_lookup(dict, key, &value);

	if (want == NULL) {
		ck_assert_msg(found == 0, "%s: %d \"%s\"", key, found, str_cstr(&value));
	} else {
		ck_assert_msg(found == 1, "%s: %d \"%s\"", key, found, str_cstr(&value));
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
	test_dict_refused("nosuchtype:/etc/passwd", "unsupported dictionary type: nosuchtype");
	test_dict_refused("/etc/aliases", "expected type:name");
	test_dict_refused("unix:group.byname", "unknown table: unix:group.byname");
	test_dict_refused("inline:a=b", "need \"inline:{key=value...}\"");
}
END_TEST

static int test_dict_never(const char *key, const char *value, void *ctx)
{
	(void)key;
	(void)value;
	(void)ctx;
	ck_abort_msg("walked a table that cannot be read");
	return 1;
}

/* A source that cannot be read is a temporary error, not a wrong name. */
START_TEST(test_texthash_missing)
{
	dict_t *dict = test_dict_open("texthash:/nonexistent/table");

	ck_assert_ptr_nonnull(strstr(dict_error(dict), "/nonexistent/table: No such file"));
	test_dict_expect_temp(dict, "anything", "/nonexistent/table: No such file");
	ck_assert_int_eq(dict_walk(dict, test_dict_never, NULL), -1);
	dict_close(dict);
	dict = test_dict_open("texthash:/");	/* a directory: reading fails */
	test_dict_expect_temp(dict, "x", "/: ");
	dict_close(dict);
}
END_TEST

START_TEST(test_inline)
{
	dict_t *dict = test_dict_open("inline:{ a=1, B=2 c=3,,d= , { Key = value with, comma } ,"
				      "{k2={nested}}, a=dup }");
	int count = 0;

	test_dict_expect(dict, "a", "1");
	test_dict_expect(dict, "b", "2");
	test_dict_expect(dict, "C", "3");
	test_dict_expect(dict, "d", "");
	test_dict_expect(dict, "key", "value with, comma");
	test_dict_expect(dict, "k2", "{nested}");
	test_dict_expect(dict, "value", NULL);
	ck_assert_int_eq(dict_walk(dict, test_dict_count, &count), 0);
	ck_assert_int_eq(count, 6);
	dict_close(dict);
	ck_assert_ptr_nonnull(strstr(test_dict_log_text(), "duplicate entry: \"a\""));
	dict = test_dict_open("inline:{}");
	test_dict_expect(dict, "a", NULL);
	dict_close(dict);
	dict = test_dict_open("inline:{{ spaced key = v }}");
	test_dict_expect(dict, "spaced key", "v");
	dict_close(dict);
	test_dict_refused("inline:{ a=1, b }", "\"b\": expected key=value");
	test_dict_refused("inline:{ =1 }", "\"=1\": bad key");
	test_dict_refused("inline:{ { a=1 }", "missing '}'");
	test_dict_refused("inline:{ a=1", "need \"inline:{key=value...}\"");
}
END_TEST

START_TEST(test_unix)
{
	dict_t *dict = test_dict_open("unix:passwd.byname");
	struct passwd *pw = getpwnam("root");
	char want[1024];

	ck_assert_ptr_nonnull(pw);
	snprintf(want, sizeof(want), "root:%s:0:%ld:%s:%s:%s", pw->pw_passwd, (long)pw->pw_gid,
		 pw->pw_gecos, pw->pw_dir, pw->pw_shell);
	test_dict_expect(dict, "root", want);
	test_dict_expect(dict, "ROOT", want);
	test_dict_expect(dict, "no-such-user-pochta", NULL);
	test_dict_expect(dict, "", NULL);
	ck_assert_int_eq(dict_walk(dict, test_dict_count, NULL), -1);
	dict_close(dict);
}
END_TEST

/* Replace the source by rename, as an editor or a script does. */
static void test_dict_replace(const char *text)
{
	char tmp[TEST_DICT_PATH_MAX + 32];

	snprintf(tmp, sizeof(tmp), "%s.new", test_dict_file);
	test_dict_write(tmp, text);
	ck_assert_int_eq(rename(tmp, test_dict_file), 0);
}

START_TEST(test_changed_texthash)
{
	dict_t *stat_only = test_dict_open("static:x");
	dict_t *dict = test_dict_texthash("a 1\n");
	struct timespec times[2] = { { 0, UTIME_OMIT }, { 12345, 0 } };

	ck_assert_ptr_null(dict_changed_name());
	ck_assert_int_eq(dict_changed(), 0);
	test_dict_replace("a 2\n");
	ck_assert_int_eq(dict_changed(), 1);
	ck_assert_str_eq(dict_changed_name(), dict_name(dict));
	test_dict_expect(dict, "a", "1");	/* the open table keeps what it read */
	dict_close(dict);
	ck_assert_int_eq(dict_changed(), 0);	/* closed tables are forgotten */

	dict = test_dict_texthash("a 1\n");
	ck_assert_int_eq(utimensat(AT_FDCWD, test_dict_file, times, 0), 0);
	ck_assert_int_eq(dict_changed(), 1);	/* edited in place */
	dict_close(dict);

	dict = test_dict_texthash("a 1\n");
	ck_assert_int_eq(unlink(test_dict_file), 0);
	ck_assert_int_eq(dict_changed(), 1);	/* removed */
	dict_close(dict);

	dict = test_dict_open("texthash:/nonexistent/table");
	ck_assert_int_eq(dict_changed(), 0);	/* still missing */
	dict_close(dict);
	dict_close(stat_only);
}
END_TEST

/* A missing source that appears is a change: the daemon restarts onto it. */
START_TEST(test_changed_appears)
{
	char spec[TEST_DICT_PATH_MAX + 32];
	dict_t *dict;

	snprintf(spec, sizeof(spec), "texthash:%s", test_dict_file);
	dict = test_dict_open(spec);
	ck_assert_ptr_nonnull(dict_error(dict));
	ck_assert_int_eq(dict_changed(), 0);
	test_dict_write(test_dict_file, "a 1\n");
	ck_assert_str_eq(dict_changed_name(), spec);
	dict_close(dict);
}
END_TEST

static void test_dict_build(const char *spec, int flags)
{
	str_t err = STR_INIT;

	ck_assert_msg(dict_build(spec, flags, &err) == 0, "dict_build %s: %s", spec,
		      str_cstr(&err));
	str_free(&err);
}

/* dict_build must fail with an error containing want. */
static void test_dict_build_fails(const char *spec, const char *want)
{
	str_t err = STR_INIT;

	ck_assert_int_eq(dict_build(spec, 0, &err), -1);
	ck_assert_msg(strstr(str_cstr(&err), want) != NULL, "\"%s\" lacks \"%s\"",
		      str_cstr(&err), want);
	str_free(&err);
}

/* Is key stored in NAME.db with its null byte? Asks Berkeley DB directly. */
static int test_dict_stored_with_null(const char *key)
{
	DB *db;
	DBT k = { 0 }, v = { 0 };
	int rc;

	ck_assert_int_eq(db_create(&db, NULL, 0), 0);
	ck_assert_int_eq(db->open(db, NULL, test_dict_db, NULL, DB_UNKNOWN, DB_RDONLY, 0), 0);
	k.data = (void *)key;
	k.size = (u_int32_t)strlen(key) + 1;
	rc = db->get(db, NULL, &k, &v, 0);
	db->close(db, 0);
	return rc == 0;
}

static const char test_dict_source[] =
	"# virtual mailboxes\n"
	"Demo@Localhost  localhost/demo/\n"
	"long@example.com first\n"
	"  second\n"
	"demo@localhost  duplicate/\n"
	"lonelykey\n"
	"@example.com  catch-all/\n";

static void test_dict_db_type(const char *type, int flags)
{
	char spec[TEST_DICT_PATH_MAX + 32];
	dict_t *dict;
	int count = 0;

	snprintf(spec, sizeof(spec), "%s:%s", type, test_dict_file);
	test_dict_write(test_dict_file, test_dict_source);
	test_dict_build(spec, flags);
	ck_assert_int_eq(test_dict_stored_with_null("demo@localhost"), flags == DICT_BUILD_NULL);
	dict = test_dict_open(spec);
	ck_assert_ptr_null(dict_error(dict));
	test_dict_expect(dict, "demo@localhost", "localhost/demo/");
	test_dict_expect(dict, "DEMO@LOCALHOST", "localhost/demo/");
	test_dict_expect(dict, "long@example.com", "first second");
	test_dict_expect(dict, "@example.com", "catch-all/");
	test_dict_expect(dict, "lonelykey", NULL);
	test_dict_expect(dict, "nobody@localhost", NULL);
	test_dict_expect(dict, "", NULL);
	ck_assert_int_eq(dict_walk(dict, test_dict_count, &count), 0);
	ck_assert_int_eq(count, 3);
	dict_close(dict);
	ck_assert_ptr_nonnull(strstr(test_dict_log_text(),
				     "line 5: duplicate entry: \"demo@localhost\""));
	ck_assert_ptr_nonnull(strstr(test_dict_log_text(),
				     "line 6: expected format: key whitespace value"));
}

START_TEST(test_db_types)
{
	test_dict_db_type("hash", 0);
	test_dict_db_type("hash", DICT_BUILD_NULL);
	test_dict_db_type("btree", 0);
	test_dict_db_type("btree", DICT_BUILD_NULL);
}
END_TEST

START_TEST(test_db_many)
{
	FILE *fp = fopen(test_dict_file, "w");
	char key[64], want[64];
	dict_t *dict;
	int i;

	ck_assert_ptr_nonnull(fp);
	for (i = 0; i < TEST_DICT_MANY; i++)
		fprintf(fp, "user%d@example.com mailbox%d/\n", i, i);
	ck_assert_int_eq(fclose(fp), 0);
	test_dict_build(test_dict_hash, 0);
	dict = test_dict_open(test_dict_hash);
	for (i = 0; i < TEST_DICT_MANY; i += 7) {
		snprintf(key, sizeof(key), "USER%d@example.com", i);
		snprintf(want, sizeof(want), "mailbox%d/", i);
		test_dict_expect(dict, key, want);
	}
	test_dict_expect(dict, "user5000@example.com", NULL);
	dict_close(dict);
}
END_TEST

/* The .db takes the source's mode, and as root its owner too. */
START_TEST(test_db_mode_owner)
{
	struct stat st;
	int root = geteuid() == 0;

	test_dict_write(test_dict_file, "a 1\n");
	ck_assert_int_eq(chmod(test_dict_file, 0640), 0);
	if (root)
		ck_assert_int_eq(chown(test_dict_file, 1, 2), 0);
	test_dict_build(test_dict_hash, 0);
	ck_assert_int_eq(stat(test_dict_db, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0640);
	if (root) {
		ck_assert_int_eq(st.st_uid, 1);
		ck_assert_int_eq(st.st_gid, 2);
	}
}
END_TEST

/* A file that cannot be read now is a temporary error, never "not found". */
START_TEST(test_db_unavailable)
{
	char spec[TEST_DICT_PATH_MAX + 32];
	dict_t *dict = test_dict_open(test_dict_hash);

	ck_assert_ptr_nonnull(strstr(dict_error(dict), "open database "));
	test_dict_expect_temp(dict, "a", "table.db: No such file or directory");
	ck_assert_int_eq(dict_walk(dict, test_dict_never, NULL), -1);
	dict_close(dict);

	test_dict_write(test_dict_db, "not a Berkeley DB file, but long enough to look at it\n");
	dict = test_dict_open(test_dict_hash);
	test_dict_expect_temp(dict, "a", "open database ");
	dict_close(dict);

	test_dict_write(test_dict_file, "a 1\n");
	snprintf(spec, sizeof(spec), "btree:%s", test_dict_file);
	test_dict_build(spec, 0);
	dict = test_dict_open(test_dict_hash);	/* a btree file read as hash: */
	test_dict_expect_temp(dict, "a", "open database ");
	dict_close(dict);

	test_dict_build_fails("hash:/nonexistent/source", "/nonexistent/source: No such file");
	test_dict_build_fails("texthash:/etc/passwd", "not built from a file");
	test_dict_build_fails("nosuchtype:/etc/passwd", "unsupported dictionary type");
	snprintf(spec, sizeof(spec), "hash:%s/no/such/dir", test_dict_dir);
	test_dict_build_fails(spec, "No such file");
}
END_TEST

START_TEST(test_db_changed)
{
	dict_t *dict, *fresh;

	test_dict_write(test_dict_file, "a 1\n");
	test_dict_build(test_dict_hash, 0);
	dict = test_dict_open(test_dict_hash);
	ck_assert_int_eq(dict_changed(), 0);
	test_dict_write(test_dict_file, "a 2\n");
	ck_assert_int_eq(dict_changed(), 0);	/* the source alone is not the table */
	test_dict_build(test_dict_hash, 0);
	ck_assert_int_eq(dict_changed(), 1);
	ck_assert_str_eq(dict_changed_name(), test_dict_hash);
	test_dict_expect(dict, "a", "1");	/* the old file, still open */
	fresh = test_dict_open(test_dict_hash);
	test_dict_expect(fresh, "a", "2");
	dict_close(dict);
	ck_assert_int_eq(dict_changed(), 0);
	dict_close(fresh);
	ck_assert_int_eq(unlink(test_dict_db), 0);
	dict = test_dict_open(test_dict_hash);	/* missing, then built */
	ck_assert_int_eq(dict_changed(), 0);
	test_dict_build(test_dict_hash, 0);
	ck_assert_str_eq(dict_changed_name(), test_dict_hash);
	dict_close(dict);
}
END_TEST

/* The rebuilding side: alternate the value, rebuild, TEST_DICT_REBUILDS times. */
static _Noreturn void test_dict_rebuilder(void)
{
	char tmp[TEST_DICT_PATH_MAX + 32];
	str_t err = STR_INIT;
	FILE *fp;

	snprintf(tmp, sizeof(tmp), "%s.new", test_dict_file);
	for (int i = 0; i < TEST_DICT_REBUILDS; i++) {
		if ((fp = fopen(tmp, "w")) == NULL)
			_exit(2);
		fprintf(fp, "other x\nkey %s\n", i % 2 ? "old" : "new");
		if (fclose(fp) != 0 || rename(tmp, test_dict_file) != 0)
			_exit(2);
		if (dict_build(test_dict_hash, 0, &err) != 0)
			_exit(3);
	}
	_exit(0);
}

static void test_dict_read_old_or_new(dict_t *dict)
{
	str_t value = STR_INIT;
	int found = dict_lookup(dict, "key", &value);

	ck_assert_msg(found == 1, "lookup during a rebuild: %d \"%s\"", found, str_cstr(&value));
	ck_assert_msg(strcmp(value.data, "old") == 0 || strcmp(value.data, "new") == 0,
		      "value \"%s\"", value.data);
	str_free(&value);
}

/* Readers that open the table while it is rebuilt see the old file or the
 * new one, never an error or a missing key. */
START_TEST(test_db_rebuild_while_read)
{
	dict_t *held, *dict;
	int status = 0, reads = 0;
	pid_t pid, done = 0;

	test_dict_write(test_dict_file, "key old\n");
	test_dict_build(test_dict_hash, 0);
	held = test_dict_open(test_dict_hash);
	if ((pid = fork()) == 0)
		test_dict_rebuilder();
	ck_assert_int_gt(pid, 0);
	while (done == 0) {
		done = waitpid(pid, &status, WNOHANG);
		dict = test_dict_open(test_dict_hash);
		test_dict_read_old_or_new(dict);
		dict_close(dict);
		test_dict_read_old_or_new(held);
		reads++;
	}
	ck_assert_int_eq(done, pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "rebuilder status %d", status);
	ck_assert_int_gt(reads, 0);
	ck_assert_int_eq(dict_changed(), 1);
	dict_close(held);
}
END_TEST

Suite *suite_dict(void)
{
	Suite *s = suite_create("dict");
	TCase *tc = tcase_create("dict");
	TCase *db = tcase_create("db");

	tcase_add_checked_fixture(tc, test_dict_setup, test_dict_teardown);
	tcase_add_test(tc, test_texthash);
	tcase_add_test(tc, test_texthash_many_and_long_keys);
	tcase_add_test(tc, test_walk);
	tcase_add_test(tc, test_static);
	tcase_add_test(tc, test_open_errors);
	tcase_add_test(tc, test_texthash_missing);
	tcase_add_test(tc, test_inline);
	tcase_add_test(tc, test_unix);
	tcase_add_test(tc, test_changed_texthash);
	tcase_add_test(tc, test_changed_appears);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(db, test_dict_setup, test_dict_teardown);
	tcase_add_test(db, test_db_types);
	tcase_add_test(db, test_db_many);
	tcase_add_test(db, test_db_mode_owner);
	tcase_add_test(db, test_db_unavailable);
	tcase_add_test(db, test_db_changed);
	tcase_add_test(db, test_db_rebuild_while_read);
	suite_add_tcase(s, db);
	return s;
}
