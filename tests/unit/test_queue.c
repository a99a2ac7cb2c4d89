/*
 * test_queue: queue files written and read back, queue IDs (valid, unique,
 * sorted by arrival), in-place recipient marks, moves between queues, and
 * refusal of every kind of damaged file with a reason; recycling of
 * finished files (reused in place, bounded, strict about what it reuses);
 * and the qmgr trigger that follows a commit (one byte, never blocking);
 * original recipient (O) records and the DSN records (N, Q) that go with
 * them: which recipients they apply to, files without them, and damaged
 * ones; the delay warning (W) record and its in-place mark.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "queue.h"
#include "trigger.h"

#define TEST_QUEUE_PATH_MAX 256
#define TEST_QUEUE_FILE_MAX (1 << 20)
#define TEST_QUEUE_MANY 300
#define TEST_QUEUE_BIG_CONTENT (200 * 1024)	/* more than the writer's buffer */
#define TEST_TRIGGER_FLOOD 64		/* wake-ups sent at a full listen queue */
#define TEST_RECYCLE_LIMIT 3		/* pool bound for the bound test */
#define TEST_RECYCLE_OLD 5000		/* content of the file to recycle */
#define TEST_RECYCLE_NEW 10		/* content of the message that reuses it */

static char test_queue_dir[TEST_QUEUE_PATH_MAX];
static char test_queue_old_cwd[TEST_QUEUE_PATH_MAX];

static void test_queue_rmtree(const char *path)
{
	char cmd[TEST_QUEUE_PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	ck_assert_int_eq(system(cmd), 0);
}

/* A fresh queue_directory with its subdirectories, as the cwd. */
static void test_queue_setup(void)
{
	static const char *const subdirs[] = { QUEUE_INCOMING, QUEUE_ACTIVE, QUEUE_CORRUPT,
					       QUEUE_RECYCLE, NULL };
	const char *const *d;

	ck_assert_ptr_nonnull(getcwd(test_queue_old_cwd, sizeof(test_queue_old_cwd)));
	snprintf(test_queue_dir, sizeof(test_queue_dir), "/tmp/pochta-test-queue-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(test_queue_dir));
	ck_assert_int_eq(chdir(test_queue_dir), 0);
	for (d = subdirs; *d; d++)
		ck_assert_int_eq(mkdir(*d, 0700), 0);
	log_open_file("log");
}

static void test_queue_teardown(void)
{
	log_to_stderr();
	ck_assert_int_eq(chdir(test_queue_old_cwd), 0);
	test_queue_rmtree(test_queue_dir);
}

static void test_queue_content_byte(size_t i, char *c)
{
	*c = (i % 80 == 79) ? '\n' : (char)('a' + i % 26);
}

/* Write a message with n recipients and len content bytes; its ID in id. */
static void test_queue_write(const char *dir, int nrcpts, size_t len, char *id)
{
	queue_writer_t *qw = queue_create(dir);
	char rcpt[64];
	char chunk[4096];
	size_t done, i, piece;
	int r;

	ck_assert_ptr_nonnull(qw);
	ck_assert(queue_id_valid(queue_writer_id(qw)));
	ck_assert_int_eq(queue_put_sender(qw, "sender@example.com"), 0);
	ck_assert_int_eq(queue_put_attr(qw, "client_address", "127.0.0.1"), 0);
	ck_assert_int_eq(queue_put_attr(qw, "helo", "a=b"), 0);
	for (r = 0; r < nrcpts; r++) {
		snprintf(rcpt, sizeof(rcpt), "user%d@example.org", r);
		ck_assert_int_eq(queue_put_rcpt(qw, rcpt), 0);
	}
	ck_assert_int_eq(queue_content_begin(qw), 0);
	for (done = 0; done < len; done += piece) {
		piece = len - done < sizeof(chunk) ? len - done : sizeof(chunk);
		for (i = 0; i < piece; i++)
			test_queue_content_byte(done + i, &chunk[i]);
		ck_assert_int_eq(queue_content_write(qw, chunk, piece), 0);
	}
	ck_assert_int_eq(queue_content_size(qw), (off_t)len);
	snprintf(id, QUEUE_ID_SIZE, "%s", queue_writer_id(qw));
	ck_assert_int_eq(queue_commit(qw), 0);
}

static int test_queue_open(const char *dir, const char *id, int flags)
{
	char path[TEST_QUEUE_PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, id);
	fd = open(path, flags);
	ck_assert_msg(fd >= 0, "open %s: %s", path, strerror(errno));
	return fd;
}

/* Entries of dir that start with a dot (temporary files left behind). */
static int test_queue_dot_files(const char *dir)
{
	DIR *dp = opendir(dir);
	struct dirent *de;
	int n = 0;

	ck_assert_ptr_nonnull(dp);
	while ((de = readdir(dp)) != NULL)
		n += de->d_name[0] == '.' && strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
	closedir(dp);
	return n;
}

START_TEST(test_round_trip)
{
	char id[QUEUE_ID_SIZE];
	char expect_id[QUEUE_ID_SIZE];
	char *expect = malloc(TEST_QUEUE_BIG_CONTENT);
	char *content = malloc(TEST_QUEUE_BIG_CONTENT);
	queue_msg_t msg;
	str_t err = STR_INIT;
	size_t i;
	int fd;

	test_queue_write(QUEUE_INCOMING, 3, TEST_QUEUE_BIG_CONTENT, id);
	ck_assert_int_eq(test_queue_dot_files(QUEUE_INCOMING), 0);
	fd = test_queue_open(QUEUE_INCOMING, id, O_RDONLY);
	ck_assert_msg(queue_read(fd, id, &msg, &err) == 0, "queue_read: %s", str_cstr(&err));
	ck_assert_str_eq(msg.id, id);
	ck_assert_str_eq(msg.sender, "sender@example.com");
	ck_assert_int_eq(msg.nattrs, 2);
	ck_assert_str_eq(queue_msg_attr(&msg, "client_address"), "127.0.0.1");
	ck_assert_str_eq(queue_msg_attr(&msg, "helo"), "a=b");
	ck_assert_ptr_null(queue_msg_attr(&msg, "missing"));
	ck_assert_int_eq(msg.nrcpts, 3);
	ck_assert_str_eq(msg.rcpts[0].addr, "user0@example.org");
	ck_assert_str_eq(msg.rcpts[2].addr, "user2@example.org");
	ck_assert_ptr_null(msg.rcpts[0].orig);	/* no O record */
	ck_assert_int_eq(msg.rcpts[0].dsn_notify, 0);	/* nor DSN records */
	ck_assert_ptr_null(msg.rcpts[0].dsn_orcpt);
	ck_assert_int_eq(msg.rcpts[1].done, 0);
	snprintf(expect_id, sizeof(expect_id), "%lld", (long long)msg.rcpts[2].offset);
	ck_assert_ptr_eq(queue_msg_rcpt_at(&msg, expect_id), &msg.rcpts[2]);
	ck_assert_ptr_null(queue_msg_rcpt_at(&msg, "1"));
	ck_assert_ptr_null(queue_msg_rcpt_at(&msg, ""));
	ck_assert_ptr_null(queue_msg_rcpt_at(&msg, "12x"));
	ck_assert_ptr_null(queue_msg_rcpt_at(&msg, "99999999999999999999999"));
	ck_assert_int_eq(msg.content_size, TEST_QUEUE_BIG_CONTENT);
	ck_assert_int_gt(msg.arrival.tv_sec, 0);
	/* The ID starts with the arrival time: 9 hex digits of seconds, 5 of microseconds. */
	snprintf(expect_id, sizeof(expect_id), "%09llX%05X", (unsigned long long)msg.arrival.tv_sec,
		 (unsigned)msg.arrival.tv_usec);
	ck_assert_int_eq(strncmp(id, expect_id, 14), 0);
	ck_assert_int_eq(id[14], 'z');
	ck_assert_int_eq(pread(fd, content, TEST_QUEUE_BIG_CONTENT, msg.content_offset),
			 TEST_QUEUE_BIG_CONTENT);
	for (i = 0; i < TEST_QUEUE_BIG_CONTENT; i++)
		test_queue_content_byte(i, &expect[i]);
	ck_assert(memcmp(content, expect, TEST_QUEUE_BIG_CONTENT) == 0);
	ck_assert_int_eq(msg.file_size, lseek(fd, 0, SEEK_END));
	queue_msg_free(&msg);
	close(fd);
	free(expect);
	free(content);
	str_free(&err);
}
END_TEST

START_TEST(test_empty_content_and_null_sender)
{
	queue_writer_t *qw = queue_create(QUEUE_INCOMING);
	char id[QUEUE_ID_SIZE];
	queue_msg_t msg;
	str_t err = STR_INIT;
	int fd;

	ck_assert_ptr_nonnull(qw);
	ck_assert_int_eq(queue_put_sender(qw, ""), 0);
	ck_assert_int_eq(queue_put_rcpt(qw, "a@b"), 0);
	snprintf(id, sizeof(id), "%s", queue_writer_id(qw));
	ck_assert_int_eq(queue_commit(qw), 0);	/* no content_begin: empty content */
	fd = test_queue_open(QUEUE_INCOMING, id, O_RDONLY);
	ck_assert_msg(queue_read(fd, id, &msg, &err) == 0, "queue_read: %s", str_cstr(&err));
	ck_assert_str_eq(msg.sender, "");
	ck_assert_int_eq(msg.content_size, 0);
	queue_msg_free(&msg);
	close(fd);
	str_free(&err);
}
END_TEST

static int test_queue_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

START_TEST(test_ids_unique_and_sorted)
{
	static char ids[TEST_QUEUE_MANY][QUEUE_ID_SIZE];
	int i;

	for (i = 0; i < TEST_QUEUE_MANY; i++) {
		test_queue_write(QUEUE_INCOMING, 1, 10, ids[i]);
		ck_assert(queue_id_valid(ids[i]));
		/* Arrival order: the 14 time digits never go backwards. */
		if (i > 0)
			ck_assert_int_le(strncmp(ids[i - 1], ids[i], 14), 0);
	}
	qsort(ids, TEST_QUEUE_MANY, QUEUE_ID_SIZE, test_queue_cmp);
	for (i = 1; i < TEST_QUEUE_MANY; i++)
		ck_assert_str_ne(ids[i - 1], ids[i]);
	ck_assert_int_eq(test_queue_dot_files(QUEUE_INCOMING), 0);
}
END_TEST

START_TEST(test_id_valid)
{
	ck_assert(queue_id_valid("0674A1B2C0001Fz1A2B"));
	ck_assert(queue_id_valid("0674A1B2C0001Fz1"));
	ck_assert(!queue_id_valid("0674A1B2C0001Fz"));		/* too short */
	ck_assert(!queue_id_valid("0674a1B2C0001Fz1A2B"));	/* lower case */
	ck_assert(!queue_id_valid("0674A1B2C0001F1A2B"));	/* no z */
	ck_assert(!queue_id_valid("0674A1B2Cz0001Fz1A2B"));	/* two z */
	ck_assert(!queue_id_valid("../active/0674A1B2Cz1"));
	ck_assert(!queue_id_valid(""));
	ck_assert(!queue_id_valid("0123456789ABCDEFz0123456789ABCDEF0123456"));	/* 40 */
	ck_assert(queue_id_valid("0123456789ABCDEFz0123456789ABCDEF012345"));	/* 39 */
}
END_TEST

START_TEST(test_mark_done)
{
	char id[QUEUE_ID_SIZE];
	queue_msg_t msg;
	str_t err = STR_INIT;
	int fd;

	test_queue_write(QUEUE_INCOMING, 3, 100, id);
	fd = test_queue_open(QUEUE_INCOMING, id, O_RDWR);
	ck_assert_int_eq(queue_read(fd, id, &msg, &err), 0);
	ck_assert_int_eq(queue_mark_done(fd, msg.rcpts[1].offset), 0);
	ck_assert_int_eq(queue_mark_done(fd, msg.rcpts[1].offset), 0);	/* again: harmless */
	ck_assert_int_eq(queue_mark_done(fd, 0), -1);			/* the V record */
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(queue_mark_done(fd, msg.file_size + 10), -1);
	queue_msg_free(&msg);
	ck_assert_int_eq(queue_read(fd, id, &msg, &err), 0);
	ck_assert_int_eq(msg.nrcpts, 3);
	ck_assert_int_eq(msg.rcpts[0].done, 0);
	ck_assert_int_eq(msg.rcpts[1].done, 1);
	ck_assert_str_eq(msg.rcpts[1].addr, "user1@example.org");
	ck_assert_int_eq(msg.rcpts[2].done, 0);
	queue_msg_free(&msg);
	close(fd);
	str_free(&err);
}
END_TEST

START_TEST(test_move_and_corrupt)
{
	char id[QUEUE_ID_SIZE];
	char path[TEST_QUEUE_PATH_MAX];
	char log_text[4096] = "";
	FILE *fp;

	test_queue_write(QUEUE_INCOMING, 1, 10, id);
	ck_assert_int_eq(queue_move(id, QUEUE_INCOMING, QUEUE_ACTIVE), 0);
	snprintf(path, sizeof(path), "%s/%s", QUEUE_ACTIVE, id);
	ck_assert_int_eq(access(path, F_OK), 0);
	ck_assert_int_eq(queue_move(id, QUEUE_INCOMING, QUEUE_ACTIVE), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(queue_move("../log", QUEUE_INCOMING, QUEUE_ACTIVE), -1);
	ck_assert_int_eq(errno, EINVAL);
	queue_corrupt(id, QUEUE_ACTIVE, "no end record");
	snprintf(path, sizeof(path), "%s/%s", QUEUE_CORRUPT, id);
	ck_assert_int_eq(access(path, F_OK), 0);
	fp = fopen("log", "r");
	ck_assert_ptr_nonnull(fp);
	ck_assert_int_gt(fread(log_text, 1, sizeof(log_text) - 1, fp), 0);
	fclose(fp);
	snprintf(path, sizeof(path), "warning: %s: moved to corrupt queue: no end record\n", id);
	ck_assert_ptr_nonnull(strstr(log_text, path));
}
END_TEST

START_TEST(test_writer_misuse_and_abort)
{
	queue_writer_t *qw = queue_create(QUEUE_INCOMING);

	ck_assert_ptr_nonnull(qw);
	ck_assert_int_eq(queue_content_write(qw, "x", 1), -1);	/* before content_begin */
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(queue_put_attr(qw, "bad=name", "v"), -1);
	ck_assert_int_eq(queue_content_begin(qw), 0);
	ck_assert_int_eq(queue_put_rcpt(qw, "late@example.org"), -1);	/* would land in content */
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(test_queue_dot_files(QUEUE_INCOMING), 1);
	queue_abort(qw);
	ck_assert_int_eq(test_queue_dot_files(QUEUE_INCOMING), 0);
	ck_assert_ptr_null(queue_create("no-such-dir"));
	ck_assert_int_eq(errno, ENOENT);
}
END_TEST

/* The bytes of a freshly written good file. */
static size_t test_queue_good_bytes(char *buf, size_t size)
{
	char id[QUEUE_ID_SIZE];
	int fd;
	ssize_t n;

	test_queue_write(QUEUE_INCOMING, 2, 300, id);
	fd = test_queue_open(QUEUE_INCOMING, id, O_RDONLY);
	n = read(fd, buf, size);
	ck_assert_int_gt(n, 0);
	close(fd);
	return (size_t)n;
}

/* queue_read of these bytes must fail with a reason containing want. */
static void test_queue_refuse(const char *bytes, size_t len, const char *want)
{
	static const char id[] = "0674A1B2C0001Fz1";
	queue_msg_t msg;
	str_t err = STR_INIT;
	int fd = open("damaged", O_RDWR | O_CREAT | O_TRUNC, 0600);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, bytes, len), (ssize_t)len);
	ck_assert_int_eq(queue_read(fd, id, &msg, &err), -1);
	ck_assert_msg(err.len > 0, "no reason for damage (len %zu)", len);
	if (want)
		ck_assert_msg(strstr(str_cstr(&err), want) != NULL, "reason \"%s\" lacks \"%s\"",
			      str_cstr(&err), want);
	ck_assert_int_eq(msg.nrcpts, 0);
	ck_assert_ptr_null(msg.sender);
	close(fd);
	str_free(&err);
}

START_TEST(test_truncated_everywhere)
{
	static char good[8192];
	size_t len = test_queue_good_bytes(good, sizeof(good));
	size_t cut;

	for (cut = 0; cut < len; cut++)
		test_queue_refuse(good, cut, NULL);
	test_queue_refuse(good, len - 4, "no end record");
	test_queue_refuse(good, len - 2, "truncated record at offset");
	test_queue_refuse(good, 0, "no end record");
}
END_TEST

static void test_queue_refuse_text(const char *text, const char *want)
{
	test_queue_refuse(text, strlen(text), want);
}

/* Replace the first occurrence of from with to (same length) and refuse it. */
static void test_queue_refuse_edit(const char *good, size_t len, const char *from,
				   const char *to, const char *want)
{
	char copy[8192];
	char *at;

	memcpy(copy, good, len);
	at = memmem(copy, len, from, strlen(from));
	ck_assert_msg(at != NULL, "\"%s\" not in the file", from);
	memcpy(at, to, strlen(from));	/* to may hold a NUL: same length as from */
	test_queue_refuse(copy, len, want);
}

START_TEST(test_damage_kinds)
{
	static char good[8192];
	char copy[8192 + 16];
	size_t len = test_queue_good_bytes(good, sizeof(good));

	/* Extra bytes after the end record. */
	memcpy(copy, good, len);
	memcpy(copy + len, "X", 1);
	test_queue_refuse(copy, len + 1, "data after the end record");
	memcpy(copy + len, "E0:\n", 4);
	test_queue_refuse(copy, len + 4, "data after the end record");

	test_queue_refuse_edit(good, len, "S18:", "Sx8:", "bad record length at offset");
	test_queue_refuse_edit(good, len, "S18:", "S-8:", "bad record length at offset");
	test_queue_refuse_edit(good, len, "S18:", "S19:", "does not end with a newline");
	test_queue_refuse_edit(good, len, "S18:", "S99:", "does not end with a newline");
	test_queue_refuse_edit(good, len, "V1:1", "V1:2", "version record");
	test_queue_refuse_edit(good, len, "V1:1", "S1:1", "before the version record");
	test_queue_refuse_edit(good, len, "R17:", "X17:", "unknown record type 0x58 at offset");
	test_queue_refuse_edit(good, len, "A24:client", "S24:client", "repeated sender");
	test_queue_refuse_edit(good, len, "A24:client_", "A24:=lient_", "bad attribute record");
	test_queue_refuse_edit(good, len, "M00000000000000000300", "M00000000000000000301",
			       "does not end with a newline");
	test_queue_refuse_edit(good, len, "M00000000000000000300", "M00000000000000099999",
			       "truncated record");
	test_queue_refuse_edit(good, len, "M00000000000000000300:", "M0000000000000000300::",
			       "bad record length");
	test_queue_refuse_edit(good, len, "M00000000000000000300", "M99999999999999999999",
			       "bad record length");
	test_queue_refuse_edit(good, len, "E0:", "E1:", "truncated record");
	test_queue_refuse_edit(good, len, "user0", "us\0r0", "NUL byte");
	/* A record length over the limit is refused before reading the data. */
	test_queue_refuse_text("V1:1\nS99999999:x\n", "bad record length at offset 5");
	test_queue_refuse_text("V1:1\nS1:x\n", "no end record");
	test_queue_refuse_text("V1:1\nS1:x\nE0:\n", "missing arrival time record");
	test_queue_refuse_text("E0:\n", "missing version record");
}
END_TEST

/* An O record applies to the recipients after it, up to the next one. */
START_TEST(test_orig_records)
{
	static const char *const want_orig[] = { NULL, "team@example.org", "team@example.org",
						 "x@example.org" };
	static const char *const want_addr[] = { "plain@example.org", "a@example.org",
						 "b@example.org", "y@example.org" };
	queue_writer_t *qw = queue_create(QUEUE_INCOMING);
	char id[QUEUE_ID_SIZE];
	queue_msg_t msg;
	str_t err = STR_INIT;
	int fd;

	ck_assert_ptr_nonnull(qw);
	ck_assert_int_eq(queue_put_sender(qw, ""), 0);
	ck_assert_int_eq(queue_put_rcpt(qw, "plain@example.org"), 0);
	ck_assert_int_eq(queue_put_orig(qw, ""), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(queue_put_orig(qw, "team@example.org"), 0);
	ck_assert_int_eq(queue_put_rcpt(qw, "a@example.org"), 0);
	ck_assert_int_eq(queue_put_rcpt(qw, "b@example.org"), 0);
	ck_assert_int_eq(queue_put_orig(qw, "x@example.org"), 0);
	ck_assert_int_eq(queue_put_rcpt(qw, "y@example.org"), 0);
	snprintf(id, sizeof(id), "%s", queue_writer_id(qw));
	ck_assert_int_eq(queue_commit(qw), 0);

	fd = test_queue_open(QUEUE_INCOMING, id, O_RDWR);
	ck_assert_msg(queue_read(fd, id, &msg, &err) == 0, "queue_read: %s", str_cstr(&err));
	ck_assert_int_eq(msg.nrcpts, 4);
	ck_assert_int_eq(queue_mark_done(fd, msg.rcpts[2].offset), 0);
	queue_msg_free(&msg);
	ck_assert_msg(queue_read(fd, id, &msg, &err) == 0, "queue_read: %s", str_cstr(&err));
	for (size_t i = 0; i < 4; i++) {
		ck_assert_str_eq(msg.rcpts[i].addr, want_addr[i]);
		if (want_orig[i] == NULL)
			ck_assert_ptr_null(msg.rcpts[i].orig);
		else
			ck_assert_str_eq(msg.rcpts[i].orig, want_orig[i]);
	}
	ck_assert_int_eq(msg.rcpts[2].done, 1);
	/* the done mark never touches an O record */
	ck_assert_int_eq(queue_mark_done(fd, msg.rcpts[1].offset - 20), -1);
	queue_msg_free(&msg);
	close(fd);
	str_free(&err);
}
END_TEST

START_TEST(test_orig_damage)
{
	static const char nul[] = "V1:1\nT8:1.000001\nS0:\nO3:a\0b\nR3:a@b\n"
				  "M00000000000000000000:\nE0:\n";

	test_queue_refuse(nul, sizeof(nul) - 1, "NUL byte");
	test_queue_refuse_text("V1:1\nT8:1.000001\nS0:\nO0:\nR3:a@b\n"
			       "M00000000000000000000:\nE0:\n",
			       "empty original recipient record at offset");
	test_queue_refuse_text("V1:1\nT8:1.000001\nS0:\nR3:a@b\nO1:ab\nE0:\n",
			       "does not end with a newline");
}
END_TEST

/* What one recipient of test_dsn_records reads back as. */
typedef struct test_dsn_want {
	const char *addr;
	const char *orig;
	int notify;
	const char *orcpt;
} test_dsn_want_t;

static void test_queue_check_dsn(const queue_msg_t *msg, const test_dsn_want_t *want, size_t n)
{
	ck_assert_int_eq(msg->nrcpts, n);
	for (size_t i = 0; i < n; i++) {
		const queue_rcpt_t *r = &msg->rcpts[i];

		ck_assert_str_eq(r->addr, want[i].addr);
		if (want[i].orig)
			ck_assert_str_eq(r->orig, want[i].orig);
		else
			ck_assert_ptr_null(r->orig);
		ck_assert_int_eq(r->dsn_notify, want[i].notify);
		if (want[i].orcpt)
			ck_assert_str_eq(r->dsn_orcpt, want[i].orcpt);
		else
			ck_assert_ptr_null(r->dsn_orcpt);
	}
}

/* N and Q apply with their O record: to the recipients after it, up to
 * the next O, which ends them; done marks leave them alone. */
START_TEST(test_dsn_records)
{
	static const test_dsn_want_t want[] = {
		{ "plain@example.org", NULL, 0, NULL },
		{ "a@example.org", "team@example.org", QUEUE_NOTIFY_SUCCESS | QUEUE_NOTIFY_FAILURE,
		  "rfc822;team+x@example.org" },
		{ "b@example.org", "team@example.org", QUEUE_NOTIFY_SUCCESS | QUEUE_NOTIFY_FAILURE,
		  "rfc822;team+x@example.org" },
		{ "y@example.org", "x@example.org", 0, NULL },
		{ "w@example.org", "w@example.org", QUEUE_NOTIFY_NEVER, NULL },
		{ "v@example.org", "v@example.org", 0, "utf-8;j\xc3\xb6rg@example.org" },
	};
	queue_writer_t *qw = queue_create(QUEUE_INCOMING);
	char id[QUEUE_ID_SIZE];
	queue_msg_t msg;
	str_t err = STR_INIT;
	int fd;

	ck_assert_ptr_nonnull(qw);
	ck_assert_int_eq(queue_put_sender(qw, "s@example.org"), 0);
	ck_assert_int_eq(queue_put_attr(qw, "dsn_ret", "HDRS"), 0);
	ck_assert_int_eq(queue_put_attr(qw, "dsn_envid", "QQ+xx"), 0);
	ck_assert_int_eq(queue_put_rcpt(qw, "plain@example.org"), 0);
	ck_assert_int_eq(queue_put_orig(qw, "team@example.org"), 0);
	ck_assert_int_eq(queue_put_notify(qw, QUEUE_NOTIFY_SUCCESS | QUEUE_NOTIFY_FAILURE), 0);
	ck_assert_int_eq(queue_put_orcpt(qw, "rfc822;team+x@example.org"), 0);
	ck_assert_int_eq(queue_put_rcpt(qw, "a@example.org"), 0);
	ck_assert_int_eq(queue_put_rcpt(qw, "b@example.org"), 0);
	ck_assert_int_eq(queue_put_orig(qw, "x@example.org"), 0);
	ck_assert_int_eq(queue_put_rcpt(qw, "y@example.org"), 0);
	ck_assert_int_eq(queue_put_orig(qw, "w@example.org"), 0);
	ck_assert_int_eq(queue_put_notify(qw, QUEUE_NOTIFY_NEVER), 0);
	ck_assert_int_eq(queue_put_rcpt(qw, "w@example.org"), 0);
	ck_assert_int_eq(queue_put_orig(qw, "v@example.org"), 0);
	ck_assert_int_eq(queue_put_orcpt(qw, "utf-8;j\xc3\xb6rg@example.org"), 0);
	ck_assert_int_eq(queue_put_rcpt(qw, "v@example.org"), 0);
	snprintf(id, sizeof(id), "%s", queue_writer_id(qw));
	ck_assert_int_eq(queue_commit(qw), 0);

	fd = test_queue_open(QUEUE_INCOMING, id, O_RDWR);
	ck_assert_msg(queue_read(fd, id, &msg, &err) == 0, "queue_read: %s", str_cstr(&err));
	ck_assert_str_eq(queue_msg_attr(&msg, "dsn_ret"), "HDRS");
	ck_assert_str_eq(queue_msg_attr(&msg, "dsn_envid"), "QQ+xx");
	test_queue_check_dsn(&msg, want, sizeof(want) / sizeof(want[0]));
	ck_assert_int_eq(queue_mark_done(fd, msg.rcpts[1].offset), 0);
	/* never on an N or Q record: those sit just before a recipient */
	ck_assert_int_eq(queue_mark_done(fd, msg.rcpts[4].offset - 5), -1);
	ck_assert_int_eq(queue_mark_done(fd, msg.rcpts[1].offset - 30), -1);
	queue_msg_free(&msg);
	ck_assert_msg(queue_read(fd, id, &msg, &err) == 0, "queue_read: %s", str_cstr(&err));
	test_queue_check_dsn(&msg, want, sizeof(want) / sizeof(want[0]));
	ck_assert_int_eq(msg.rcpts[1].done, 1);
	queue_msg_free(&msg);
	close(fd);
	str_free(&err);
}
END_TEST

START_TEST(test_dsn_writer_refuses)
{
	static const int bad_flags[] = { 0, -1, 16, 17, QUEUE_NOTIFY_NEVER | QUEUE_NOTIFY_SUCCESS,
					 QUEUE_NOTIFY_NEVER | QUEUE_NOTIFY_DELAY };
	static const char *const bad_orcpt[] = { "", "rfc822", ";a@b", "rfc822;" };
	queue_writer_t *qw = queue_create(QUEUE_INCOMING);

	ck_assert_ptr_nonnull(qw);
	for (size_t i = 0; i < sizeof(bad_flags) / sizeof(bad_flags[0]); i++) {
		errno = 0;
		ck_assert_msg(queue_put_notify(qw, bad_flags[i]) == -1, "flags %d taken", bad_flags[i]);
		ck_assert_int_eq(errno, EINVAL);
	}
	for (size_t i = 0; i < sizeof(bad_orcpt) / sizeof(bad_orcpt[0]); i++) {
		errno = 0;
		ck_assert_msg(queue_put_orcpt(qw, bad_orcpt[i]) == -1, "\"%s\" taken", bad_orcpt[i]);
		ck_assert_int_eq(errno, EINVAL);
	}
	ck_assert_int_eq(queue_put_notify(qw, QUEUE_NOTIFY_ALL & ~QUEUE_NOTIFY_NEVER), 0);
	ck_assert_int_eq(queue_put_orcpt(qw, "x-type;;"), 0);	/* the address may hold ";" */
	queue_abort(qw);
}
END_TEST

/* Read a file given as text; it must parse. */
static void test_queue_read_text(const char *text, queue_msg_t *msg)
{
	static const char id[] = "0674A1B2C0001Fz1";
	str_t err = STR_INIT;
	int fd = open("handmade", O_RDWR | O_CREAT | O_TRUNC, 0600);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	ck_assert_msg(queue_read(fd, id, msg, &err) == 0, "queue_read: %s", str_cstr(&err));
	close(fd);
	str_free(&err);
}

/* A file from before the DSN records, and N/Q ahead of any O record. */
START_TEST(test_dsn_old_and_early)
{
	queue_msg_t msg;

	test_queue_read_text("V1:1\nT8:1.000001\nS0:\nO1:a\nR3:a@b\nR3:c@d\n"
			     "M00000000000000000000:\nE0:\n", &msg);
	ck_assert_int_eq(msg.nrcpts, 2);
	for (size_t i = 0; i < 2; i++) {
		ck_assert_str_eq(msg.rcpts[i].orig, "a");
		ck_assert_int_eq(msg.rcpts[i].dsn_notify, 0);
		ck_assert_ptr_null(msg.rcpts[i].dsn_orcpt);
	}
	queue_msg_free(&msg);
	test_queue_read_text("V1:1\nT8:1.000001\nS0:\nN1:4\nQ8:rfc822;a\nR3:a@b\nO1:c\nR3:c@d\n"
			     "M00000000000000000000:\nE0:\n", &msg);
	ck_assert_int_eq(msg.nrcpts, 2);
	ck_assert_ptr_null(msg.rcpts[0].orig);
	ck_assert_int_eq(msg.rcpts[0].dsn_notify, QUEUE_NOTIFY_DELAY);
	ck_assert_str_eq(msg.rcpts[0].dsn_orcpt, "rfc822;a");
	ck_assert_int_eq(msg.rcpts[1].dsn_notify, 0);
	ck_assert_ptr_null(msg.rcpts[1].dsn_orcpt);
	queue_msg_free(&msg);
}
END_TEST

/* "V1:1 ... S0:" RECORD "R3:a@b" content end, refused with want. */
static void test_queue_refuse_rcpt_data(const char *records, const char *want)
{
	str_t text = STR_INIT;

	str_printf(&text, "V1:1\nT8:1.000001\nS0:\nO1:a\n%sR3:a@b\nM00000000000000000000:\nE0:\n",
		   records);
	test_queue_refuse_text(text.data, want);
	str_free(&text);
}

START_TEST(test_dsn_damage)
{
	static const char *const bad_notify[] = { "N0:\n", "N1:0\n", "N2:16\n", "N1:3\n",
						  "N1:x\n", "N2:08\n", "N3:100\n", "N2:-2\n",
						  "N2:1 \n", "N1:9\n" };
	static const char *const bad_orcpt[] = { "Q0:\n", "Q6:rfc822\n", "Q4:;a@b\n",
						 "Q7:rfc822;\n" };
	static const char nul[] = "V1:1\nT8:1.000001\nS0:\nQ8:rfc822;\0\nR3:a@b\n"
				  "M00000000000000000000:\nE0:\n";

	for (size_t i = 0; i < sizeof(bad_notify) / sizeof(bad_notify[0]); i++)
		test_queue_refuse_rcpt_data(bad_notify[i], "bad or repeated notify record at offset");
	for (size_t i = 0; i < sizeof(bad_orcpt) / sizeof(bad_orcpt[0]); i++)
		test_queue_refuse_rcpt_data(bad_orcpt[i], "bad or repeated ORCPT record at offset");
	/* one of each per O record */
	test_queue_refuse_rcpt_data("N1:2\nN1:2\n", "bad or repeated notify record at offset 31");
	test_queue_refuse_rcpt_data("Q3:a;b\nR3:a@b\nQ3:a;b\n",
				    "bad or repeated ORCPT record at offset 40");
	test_queue_refuse(nul, sizeof(nul) - 1, "NUL byte");
	test_queue_refuse_rcpt_data("N1:2\nO1:b\nN1:4\nQ3:a;b\nO1:c\nQ3:a;b\nN1:2\nQ3:a;b\n",
				    "bad or repeated ORCPT record at offset 65");
}
END_TEST

/* Every new file has a W record, patched in place once the delay warning
 * is out; the mark lands on that byte only. */
START_TEST(test_warn_record)
{
	char id[QUEUE_ID_SIZE];
	queue_msg_t msg;
	str_t err = STR_INIT;
	int fd;

	test_queue_write(QUEUE_INCOMING, 2, 100, id);
	fd = test_queue_open(QUEUE_INCOMING, id, O_RDWR);
	ck_assert_int_eq(queue_read(fd, id, &msg, &err), 0);
	ck_assert_int_gt(msg.warn_offset, 0);
	ck_assert_int_eq(msg.warned, 0);
	ck_assert_int_eq(queue_mark_warned(fd, 0), -1);			/* the V record */
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(queue_mark_warned(fd, msg.rcpts[0].offset), -1);	/* a recipient */
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(queue_mark_warned(fd, msg.file_size + 10), -1);
	ck_assert_int_eq(queue_mark_warned(fd, msg.warn_offset), 0);
	ck_assert_int_eq(queue_mark_warned(fd, msg.warn_offset), 0);	/* again: harmless */
	queue_msg_free(&msg);
	ck_assert_int_eq(queue_read(fd, id, &msg, &err), 0);
	ck_assert_int_eq(msg.warned, 1);
	ck_assert_int_eq(msg.nrcpts, 2);
	ck_assert_int_eq(msg.rcpts[0].done, 0);
	queue_msg_free(&msg);
	close(fd);
	str_free(&err);
}
END_TEST

/* A file from before the W record reads as one with nothing to mark. */
START_TEST(test_warn_old_and_damaged)
{
	queue_msg_t msg;

	test_queue_read_text("V1:1\nT8:1.000001\nS0:\nR3:a@b\nM00000000000000000000:\nE0:\n", &msg);
	ck_assert_int_eq(msg.warn_offset, 0);
	ck_assert_int_eq(msg.warned, 0);
	queue_msg_free(&msg);
	test_queue_read_text("V1:1\nT8:1.000001\nW1:1\nS0:\nR3:a@b\nM00000000000000000000:\nE0:\n",
			     &msg);
	ck_assert_int_eq(msg.warn_offset, 20);
	ck_assert_int_eq(msg.warned, 1);
	queue_msg_free(&msg);
	test_queue_refuse_text("V1:1\nT8:1.000001\nW1:2\nS0:\nM00000000000000000000:\nE0:\n",
			       "bad or repeated delay warning record at offset 17");
	test_queue_refuse_text("V1:1\nT8:1.000001\nW2:00\nS0:\nM00000000000000000000:\nE0:\n",
			       "bad or repeated delay warning record at offset 17");
	test_queue_refuse_text("V1:1\nT8:1.000001\nW0:\nS0:\nM00000000000000000000:\nE0:\n",
			       "bad or repeated delay warning record at offset 17");
	test_queue_refuse_text("V1:1\nT8:1.000001\nW1:0\nW1:0\nS0:\nM00000000000000000000:\nE0:\n",
			       "bad or repeated delay warning record at offset 22");
}
END_TEST

/* ENOSPC reaches the caller and leaves no file (needs root for the mount). */
START_TEST(test_disk_full)
{
	static char block[64 * 1024];
	queue_writer_t *qw;
	int ret = 0;
	int i;

	ck_assert_int_eq(mkdir("small", 0700), 0);
	if (mount("pochta-test", "small", "tmpfs", 0, "size=128k") < 0)
		return;	/* not permitted here: nothing to test */
	qw = queue_create("small");
	ck_assert_ptr_nonnull(qw);
	ck_assert_int_eq(queue_put_sender(qw, "a@b"), 0);
	ck_assert_int_eq(queue_content_begin(qw), 0);
	for (i = 0; i < 8 && ret == 0; i++)
		ret = queue_content_write(qw, block, sizeof(block));
	if (ret == 0)
		ret = queue_commit(qw);
	else
		queue_abort(qw);
	ck_assert_int_eq(ret, -1);
	ck_assert_int_eq(errno, ENOSPC);
	ck_assert_int_eq(test_queue_dot_files("small"), 0);
	ck_assert_int_eq(umount("small"), 0);
}
END_TEST

/* Entries of dir that do not start with a dot. */
static int test_queue_files(const char *dir)
{
	DIR *dp = opendir(dir);
	struct dirent *de;
	int n = 0;

	ck_assert_ptr_nonnull(dp);
	while ((de = readdir(dp)) != NULL)
		n += de->d_name[0] != '.';
	closedir(dp);
	return n;
}

static ino_t test_queue_inode(const char *dir, const char *id)
{
	char path[TEST_QUEUE_PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, id);
	ck_assert_int_eq(stat(path, &st), 0);
	return st.st_ino;
}

static off_t test_queue_size(const char *dir, const char *id)
{
	char path[TEST_QUEUE_PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, id);
	ck_assert_int_eq(stat(path, &st), 0);
	return st.st_size;
}

/* A finished file in recycle/: longer than what will reuse it, and junk. */
static ino_t test_queue_put_recycled(const char *id)
{
	static char junk[TEST_RECYCLE_OLD];
	char path[TEST_QUEUE_PATH_MAX];
	struct stat st;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", QUEUE_RECYCLE, id);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	ck_assert_int_ge(fd, 0);
	memset(junk, 'X', sizeof(junk));
	ck_assert_int_eq(write(fd, junk, sizeof(junk)), (ssize_t)sizeof(junk));
	ck_assert_int_eq(fstat(fd, &st), 0);
	close(fd);
	return st.st_ino;
}

START_TEST(test_recycle_reuses_file)
{
	static const char old_id[] = "0674A1B2C0001Fz1";
	char new_id[QUEUE_ID_SIZE];
	char content[TEST_RECYCLE_NEW], expect[TEST_RECYCLE_NEW];
	queue_msg_t msg;
	str_t err = STR_INIT;
	ino_t ino = test_queue_put_recycled(old_id);
	size_t i;
	int fd;

	test_queue_write(QUEUE_INCOMING, 1, TEST_RECYCLE_NEW, new_id);
	ck_assert_int_eq(test_queue_files(QUEUE_RECYCLE), 0);
	ck_assert_int_eq(test_queue_dot_files(QUEUE_INCOMING), 0);
	ck_assert_uint_eq(test_queue_inode(QUEUE_INCOMING, new_id), ino);
	ck_assert_int_gt(strcmp(new_id, old_id), 0);	/* a new ID, sorting by the new arrival */
	/* Exactly the new message: the longer old file's tail is gone. */
	fd = test_queue_open(QUEUE_INCOMING, new_id, O_RDONLY);
	ck_assert_msg(queue_read(fd, new_id, &msg, &err) == 0, "queue_read: %s", str_cstr(&err));
	ck_assert_int_eq(msg.nrcpts, 1);
	ck_assert_int_eq(msg.rcpts[0].done, 0);
	ck_assert_int_eq(msg.content_size, TEST_RECYCLE_NEW);
	ck_assert_int_eq(msg.file_size, lseek(fd, 0, SEEK_END));
	ck_assert_int_eq(pread(fd, content, sizeof(content), msg.content_offset), TEST_RECYCLE_NEW);
	for (i = 0; i < TEST_RECYCLE_NEW; i++)
		test_queue_content_byte(i, &expect[i]);
	ck_assert(memcmp(content, expect, sizeof(content)) == 0);
	queue_msg_free(&msg);
	close(fd);
	str_free(&err);
}
END_TEST

START_TEST(test_recycle_empty_pool_creates)
{
	char first[QUEUE_ID_SIZE], second[QUEUE_ID_SIZE];

	test_queue_write(QUEUE_INCOMING, 1, 10, first);
	test_queue_write(QUEUE_INCOMING, 1, 10, second);
	ck_assert_uint_ne(test_queue_inode(QUEUE_INCOMING, first),
			  test_queue_inode(QUEUE_INCOMING, second));
	ck_assert_int_eq(test_queue_files(QUEUE_INCOMING), 2);
	ck_assert_int_eq(test_queue_dot_files(QUEUE_INCOMING), 0);
}
END_TEST

/* What is not a plain 0600 file of ours with one name is never reused. */
START_TEST(test_recycle_refuses_strangers)
{
	static const char *const bad[] = { "recycle/0674A1B2C0001Fz1", "recycle/0674A1B2C0001Fz2",
					   "recycle/0674A1B2C0001Fz3" };
	char id[QUEUE_ID_SIZE];
	struct stat st;
	int fd;

	fd = open(bad[0], O_WRONLY | O_CREAT, 0644);	/* wrong mode */
	ck_assert_int_ge(fd, 0);
	close(fd);
	fd = open(bad[1], O_WRONLY | O_CREAT, 0600);	/* a second name elsewhere */
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(link(bad[1], "kept"), 0);
	ck_assert_int_eq(symlink("kept", bad[2]), 0);	/* not a regular file */
	test_queue_write(QUEUE_INCOMING, 1, 10, id);
	ck_assert_int_eq(test_queue_files(QUEUE_RECYCLE), 0);	/* dropped from the pool */
	ck_assert_int_eq(test_queue_dot_files(QUEUE_INCOMING), 0);
	ck_assert_int_eq(stat("kept", &st), 0);
	ck_assert_int_eq(st.st_size, 0);	/* untouched */
	ck_assert_int_eq(st.st_nlink, 1);
	ck_assert_uint_ne(test_queue_inode(QUEUE_INCOMING, id), st.st_ino);
}
END_TEST

/* A file a delivery agent still reads is never rewritten for another
 * message, even once it has gone to recycle/ (its qmgr died meanwhile). */
START_TEST(test_recycle_skips_file_being_delivered)
{
	static const char old_id[] = "0674A1B2C0001Fz1";
	char next_id[QUEUE_ID_SIZE];
	ino_t held = test_queue_put_recycled(old_id);
	struct stat st;
	int fd = queue_open_delivery(QUEUE_RECYCLE, old_id, geteuid());

	ck_assert_int_ge(fd, 0);
	test_queue_write(QUEUE_INCOMING, 1, 10, next_id);
	ck_assert_uint_ne(test_queue_inode(QUEUE_INCOMING, next_id), held);
	ck_assert_int_eq(test_queue_dot_files(QUEUE_INCOMING), 0);
	ck_assert_int_eq(fstat(fd, &st), 0);
	ck_assert_int_eq(st.st_size, TEST_RECYCLE_OLD);	/* still the old message */
	close(fd);
}
END_TEST

/* What delivery opens: a plain file of the queue owner, not being rewritten. */
START_TEST(test_open_delivery_refuses)
{
	char id[QUEUE_ID_SIZE];
	char path[TEST_QUEUE_PATH_MAX];
	int writer, fd;

	test_queue_write(QUEUE_INCOMING, 1, 10, id);
	fd = queue_open_delivery(QUEUE_INCOMING, id, geteuid() + 1);
	ck_assert_int_eq(fd, -1);
	ck_assert_int_eq(errno, EPERM);
	snprintf(path, sizeof(path), "%s/%s", QUEUE_INCOMING, id);
	writer = open(path, O_RDONLY);
	ck_assert_int_eq(flock(writer, LOCK_EX), 0);
	fd = queue_open_delivery(QUEUE_INCOMING, id, geteuid());
	ck_assert_int_eq(fd, -1);
	ck_assert_int_eq(errno, EWOULDBLOCK);
	close(writer);
	ck_assert_int_eq(rename(path, "elsewhere"), 0);
	ck_assert_int_eq(symlink("../elsewhere", path), 0);
	ck_assert_int_eq(queue_open_delivery(QUEUE_INCOMING, id, geteuid()), -1);
	ck_assert_int_eq(errno, ELOOP);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(rename("elsewhere", path), 0);
	fd = queue_open_delivery(QUEUE_INCOMING, id, geteuid());
	ck_assert_int_ge(fd, 0);
	close(fd);
}
END_TEST

START_TEST(test_recycle_bound)
{
	char ids[TEST_RECYCLE_LIMIT + 2][QUEUE_ID_SIZE];
	char big[QUEUE_ID_SIZE];
	queue_recycler_t rc;
	int i;

	/* Written first (the first create finds the pool empty and the next
	 * ones skip it), so none of them reuses another. */
	for (i = 0; i < TEST_RECYCLE_LIMIT + 2; i++)
		test_queue_write(QUEUE_INCOMING, 1, 10, ids[i]);
	queue_recycler_init(&rc, TEST_RECYCLE_LIMIT);
	for (i = 0; i < TEST_RECYCLE_LIMIT + 2; i++)
		ck_assert_int_eq(queue_remove(&rc, ids[i], QUEUE_INCOMING,
					      test_queue_size(QUEUE_INCOMING, ids[i])), 0);
	ck_assert_int_eq(test_queue_files(QUEUE_INCOMING), 0);
	ck_assert_int_eq(test_queue_files(QUEUE_RECYCLE), TEST_RECYCLE_LIMIT);
	for (i = 0; i < TEST_RECYCLE_LIMIT; i++)	/* kept under their IDs */
		test_queue_inode(QUEUE_RECYCLE, ids[i]);
	/* A new recycler counts what is there. */
	queue_recycler_init(&rc, TEST_RECYCLE_LIMIT + 1);
	ck_assert_uint_eq(rc.estimate, TEST_RECYCLE_LIMIT);
	/* A big file is never kept, even with room. */
	ck_assert_int_eq(rename("recycle", "recycle.off"), 0);	/* so big is created fresh */
	test_queue_write(QUEUE_INCOMING, 1, QUEUE_RECYCLE_SIZE_MAX, big);
	ck_assert_int_eq(rename("recycle.off", "recycle"), 0);
	ck_assert_int_eq(queue_remove(&rc, big, QUEUE_INCOMING,
				      test_queue_size(QUEUE_INCOMING, big)), 0);
	ck_assert_int_eq(test_queue_files(QUEUE_INCOMING), 0);
	ck_assert_int_eq(test_queue_files(QUEUE_RECYCLE), TEST_RECYCLE_LIMIT);
	ck_assert_int_eq(queue_remove(&rc, big, QUEUE_INCOMING, 0), -1);	/* gone */
	ck_assert_int_eq(errno, ENOENT);
}
END_TEST

/* A listening socket at public/qmgr, relative to the queue directory. */
static int test_trigger_listen(int backlog)
{
	struct sockaddr_un sun;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(mkdir("public", 0700), 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", TRIGGER_QMGR_PATH);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	ck_assert_int_eq(listen(fd, backlog), 0);
	return fd;
}

START_TEST(test_trigger_wakes)
{
	int lfd = test_trigger_listen(16);
	int cfd;
	char c = 0;

	ck_assert_int_eq(trigger_wakeup(TRIGGER_QMGR_PATH), 0);
	cfd = accept(lfd, NULL, NULL);
	ck_assert_int_ge(cfd, 0);
	ck_assert_int_eq(read(cfd, &c, 1), 1);
	ck_assert_int_eq(c, TRIGGER_WAKEUP);
	ck_assert_int_eq(read(cfd, &c, 1), 0);	/* one byte, then closed */
	close(cfd);
	close(lfd);
}
END_TEST

START_TEST(test_trigger_never_blocks)
{
	int lfd = test_trigger_listen(0);
	int i;

	/* Nobody accepts: the listen queue fills, and every call still returns at once. */
	for (i = 0; i < TEST_TRIGGER_FLOOD; i++)
		ck_assert_int_eq(trigger_wakeup(TRIGGER_QMGR_PATH), 0);
	close(lfd);
	ck_assert_int_eq(trigger_wakeup(TRIGGER_QMGR_PATH), -1);	/* nobody listens */
	ck_assert_int_eq(errno, ECONNREFUSED);
	ck_assert_int_eq(trigger_wakeup("public/nonexistent"), -1);
	ck_assert_int_eq(errno, ENOENT);
}
END_TEST

Suite *suite_queue(void)
{
	Suite *s = suite_create("queue");
	TCase *tc = tcase_create("queue");

	tcase_add_checked_fixture(tc, test_queue_setup, test_queue_teardown);
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_empty_content_and_null_sender);
	tcase_add_test(tc, test_ids_unique_and_sorted);
	tcase_add_test(tc, test_id_valid);
	tcase_add_test(tc, test_mark_done);
	tcase_add_test(tc, test_move_and_corrupt);
	tcase_add_test(tc, test_writer_misuse_and_abort);
	tcase_add_test(tc, test_truncated_everywhere);
	tcase_add_test(tc, test_damage_kinds);
	tcase_add_test(tc, test_orig_records);
	tcase_add_test(tc, test_orig_damage);
	tcase_add_test(tc, test_dsn_records);
	tcase_add_test(tc, test_dsn_writer_refuses);
	tcase_add_test(tc, test_dsn_old_and_early);
	tcase_add_test(tc, test_dsn_damage);
	tcase_add_test(tc, test_warn_record);
	tcase_add_test(tc, test_warn_old_and_damaged);
	tcase_add_test(tc, test_disk_full);
	tcase_add_test(tc, test_recycle_reuses_file);
	tcase_add_test(tc, test_recycle_empty_pool_creates);
	tcase_add_test(tc, test_recycle_refuses_strangers);
	tcase_add_test(tc, test_recycle_bound);
	tcase_add_test(tc, test_recycle_skips_file_being_delivered);
	tcase_add_test(tc, test_open_delivery_refuses);
	tcase_add_test(tc, test_trigger_wakes);
	tcase_add_test(tc, test_trigger_never_blocks);
	suite_add_tcase(s, tc);
	return s;
}
