/*
 * test_ipc: the daemon-to-daemon attribute format - round trips with
 * binary values, lookups, and every way a malformed message is refused,
 * by the stream reader (ipc_read) and the buffer parser (ipc_parse):
 * every proper prefix of a message is incomplete, never malformed, and a
 * piece that is over its bound is malformed before the rest arrives.
 */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ipc.h"
#include "log.h"
#include "str.h"
#include "stream.h"

#define TEST_BINARY "a\0b\nc\r\n"
#define TEST_BINARY_LEN (sizeof(TEST_BINARY) - 1)

/* A stream that reads exactly these bytes, then EOF. */
static stream_t *test_stream_of(const void *data, size_t len)
{
	char path[] = "/tmp/pochta-test-ipc-XXXXXX";
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	unlink(path);
	ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	return stream_open(fd);
}

static int test_read_text(const char *text, ipc_msg_t *msg)
{
	stream_t *st = test_stream_of(text, strlen(text));
	int status = ipc_read(st, msg);

	stream_close(st);
	return status;
}

static ipc_msg_t *test_sample(void)
{
	ipc_msg_t *msg = ipc_new();

	ipc_add(msg, "sender", "alice@example.org");
	ipc_add(msg, "rcpt", "bob@example.org");
	ipc_add(msg, "rcpt", "carol@example.org");
	ipc_add_len(msg, "body_part", TEST_BINARY, TEST_BINARY_LEN);
	ipc_add_int(msg, "size", -4242);
	ipc_add(msg, "empty", "");
	return msg;
}

/* The sample message encoded, for feeding the reader damaged copies. */
static void test_encode(const ipc_msg_t *msg, str_t *out)
{
	int fds[2];
	stream_t *writer;
	stream_t *reader;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
	writer = stream_open(fds[0]);
	reader = stream_open(fds[1]);
	ck_assert_int_eq(ipc_write(writer, msg), STREAM_OK);
	ck_assert_int_eq(stream_flush(writer), STREAM_OK);
	stream_close(writer);
	str_reset(out);
	while (stream_read_exact(reader, out, 1) == STREAM_OK)
		continue;
	stream_close(reader);
}

START_TEST(test_round_trip)
{
	ipc_msg_t *sent = test_sample();
	ipc_msg_t *got = ipc_new();
	str_t wire = STR_INIT;
	stream_t *st;
	size_t len;

	test_encode(sent, &wire);
	ck_assert_mem_eq(wire.data, "P1 6\nsender 17:alice@example.org\n", 33);
	st = test_stream_of(wire.data, wire.len);
	ck_assert_int_eq(ipc_read(st, got), STREAM_OK);
	ck_assert_uint_eq(ipc_count(got), 6);
	for (size_t i = 0; i < ipc_count(sent); i++) {
		size_t want_len;
		const char *want = ipc_value(sent, i, &want_len);

		ck_assert_str_eq(ipc_name(got, i), ipc_name(sent, i));
		ck_assert_ptr_nonnull(ipc_value(got, i, NULL));
		ck_assert_mem_eq(ipc_value(got, i, &len), want, want_len + 1);
		ck_assert_uint_eq(len, want_len);
	}
	ck_assert_int_eq(ipc_read(st, got), STREAM_EOF);
	ck_assert_uint_eq(ipc_count(got), 0);
	str_free(&wire);
	stream_close(st);
	ipc_free(sent);
	ipc_free(got);
}
END_TEST

START_TEST(test_two_messages_in_a_row)
{
	const char *text = "P1 0\nP1 1\nstatus 1:0\n";
	stream_t *st = test_stream_of(text, strlen(text));
	ipc_msg_t *msg = ipc_new();

	ck_assert_int_eq(ipc_read(st, msg), STREAM_OK);
	ck_assert_uint_eq(ipc_count(msg), 0);
	ck_assert_int_eq(ipc_read(st, msg), STREAM_OK);
	ck_assert_uint_eq(ipc_count(msg), 1);
	ck_assert_int_eq(ipc_get_int(msg, "status", -1), 0);
	ck_assert_int_eq(ipc_read(st, msg), STREAM_EOF);
	stream_close(st);
	ipc_free(msg);
}
END_TEST

START_TEST(test_lookups)
{
	ipc_msg_t *msg = ipc_new();

	ck_assert_int_eq(test_read_text("P1 5\nfuture_field 3:xyz\nrcpt 3:b@c\nrcpt 3:d@e\n"
					"size 4:1234\nbad_int 3:12x\n", msg), STREAM_OK);
	ck_assert_str_eq(ipc_get(msg, "rcpt"), "b@c");
	ck_assert_ptr_null(ipc_get(msg, "sender"));
	ck_assert_int_eq(ipc_get_int(msg, "size", -1), 1234);
	ck_assert_int_eq(ipc_get_int(msg, "bad_int", -1), -1);
	ck_assert_int_eq(ipc_get_int(msg, "rcpt", 7), 7);
	ck_assert_int_eq(ipc_get_int(msg, "absent", 99), 99);
	ck_assert_str_eq(ipc_name(msg, 2), "rcpt");
	ck_assert_str_eq(ipc_value(msg, 2, NULL), "d@e");
	ipc_clear(msg);
	ck_assert_uint_eq(ipc_count(msg), 0);
	ck_assert_ptr_null(ipc_get(msg, "rcpt"));
	ipc_free(msg);
}
END_TEST

START_TEST(test_int_extremes)
{
	ipc_msg_t *msg = ipc_new();

	ipc_add_int(msg, "max", 9223372036854775807LL);
	ipc_add_int(msg, "min", -9223372036854775807LL - 1);
	ipc_add(msg, "over", "9223372036854775808");
	ipc_add(msg, "space", " 5");
	ck_assert_int_eq(ipc_get_int(msg, "max", 0), 9223372036854775807LL);
	ck_assert_int_eq(ipc_get_int(msg, "min", 0), -9223372036854775807LL - 1);
	ck_assert_int_eq(ipc_get_int(msg, "over", 3), 3);
	ck_assert_int_eq(ipc_get_int(msg, "space", 3), 3);
	ipc_free(msg);
}
END_TEST

/* Every proper prefix of a valid message is refused without a crash. */
START_TEST(test_truncated_input)
{
	ipc_msg_t *sent = test_sample();
	ipc_msg_t *got = ipc_new();
	str_t wire = STR_INIT;

	test_encode(sent, &wire);
	for (size_t cut = 0; cut < wire.len; cut++) {
		stream_t *st = test_stream_of(wire.data, cut);
		int status = ipc_read(st, got);

		ck_assert_msg(status == (cut == 0 ? STREAM_EOF : IPC_BAD),
			      "cut at %zu: status %d", cut, status);
		ck_assert_uint_eq(ipc_count(got), 0);
		stream_close(st);
	}
	str_free(&wire);
	ipc_free(sent);
	ipc_free(got);
}
END_TEST

START_TEST(test_value_size_limit)
{
	ipc_msg_t *msg = ipc_new();
	str_t wire = STR_INIT;
	stream_t *st;
	char header[64];

	ck_assert_int_eq(test_read_text("P1 1\nbody 1048577:x\n", msg), IPC_BAD);
	ck_assert_int_eq(test_read_text("P1 1\nbody 99999999:x\n", msg), IPC_BAD);
	ck_assert_int_eq(test_read_text("P1 1\nbody 01:x\n", msg), IPC_BAD);
	snprintf(header, sizeof(header), "P1 1\nbody %d:", IPC_VALUE_MAX);
	str_append_cstr(&wire, header);
	for (int i = 0; i < IPC_VALUE_MAX; i++)
		str_putc(&wire, 'v');
	str_putc(&wire, '\n');
	st = test_stream_of(wire.data, wire.len);
	ck_assert_int_eq(ipc_read(st, msg), STREAM_OK);
	ck_assert_uint_eq(strlen(ipc_get(msg, "body")), IPC_VALUE_MAX);
	stream_close(st);
	str_free(&wire);
	ipc_free(msg);
}
END_TEST

/* Values that fit one by one but not together: the message is refused. */
START_TEST(test_message_size_limit)
{
	const int values = IPC_MSG_MAX / IPC_VALUE_MAX + 1;
	ipc_msg_t *msg = ipc_new();
	str_t wire = STR_INIT;
	str_t value = STR_INIT;
	stream_t *st;

	for (int i = 0; i < IPC_VALUE_MAX; i++)
		str_putc(&value, 'v');
	for (int n = values - 1; n <= values; n++) {
		str_reset(&wire);
		str_printf(&wire, "P1 %d\n", n);
		for (int i = 0; i < n; i++) {
			str_printf(&wire, "part %d:", IPC_VALUE_MAX);
			str_append(&wire, value.data, value.len);
			str_putc(&wire, '\n');
		}
		st = test_stream_of(wire.data, wire.len);
		ck_assert_int_eq(ipc_read(st, msg), n < values ? STREAM_OK : IPC_BAD);
		stream_close(st);
	}
	str_free(&value);
	str_free(&wire);
	ipc_free(msg);
}
END_TEST

START_TEST(test_bad_header)
{
	ipc_msg_t *msg = ipc_new();

	ck_assert_int_eq(test_read_text("P1 0\n", msg), STREAM_OK);
	ck_assert_int_eq(test_read_text("P2 0\n", msg), IPC_BAD);
	ck_assert_int_eq(test_read_text("P0 0\n", msg), IPC_BAD);
	ck_assert_int_eq(test_read_text("P01 0\n", msg), IPC_BAD);
	ck_assert_int_eq(test_read_text("Q1 0\n", msg), IPC_BAD);
	ck_assert_int_eq(test_read_text("P1 -1\n", msg), IPC_BAD);
	ck_assert_int_eq(test_read_text("P1 0 \n", msg), IPC_BAD);
	ck_assert_int_eq(test_read_text("P1 0\r\n", msg), IPC_BAD);
	ck_assert_int_eq(test_read_text("P1\n", msg), IPC_BAD);
	ck_assert_int_eq(test_read_text("P1 000000000000000000000000000000000000\n", msg), IPC_BAD);
	ck_assert_int_eq(test_read_text("hello there\n", msg), IPC_BAD);
	ipc_free(msg);
}
END_TEST

START_TEST(test_attr_count_limit)
{
	ipc_msg_t *msg = ipc_new();
	char header[32];

	snprintf(header, sizeof(header), "P1 %d\n", IPC_ATTR_MAX + 1);
	ck_assert_int_eq(test_read_text(header, msg), IPC_BAD);
	ck_assert_int_eq(test_read_text("P1 99999999999\n", msg), IPC_BAD);
	ipc_free(msg);
}
END_TEST

START_TEST(test_attr_count_at_limit)
{
	ipc_msg_t *msg = ipc_new();
	str_t wire = STR_INIT;
	stream_t *st;

	str_printf(&wire, "P1 %d\n", IPC_ATTR_MAX);
	for (int i = 0; i < IPC_ATTR_MAX; i++)
		str_append_cstr(&wire, "rcpt 1:x\n");
	st = test_stream_of(wire.data, wire.len);
	ck_assert_int_eq(ipc_read(st, msg), STREAM_OK);
	ck_assert_uint_eq(ipc_count(msg), IPC_ATTR_MAX);
	stream_close(st);
	str_free(&wire);
	ipc_free(msg);
}
END_TEST

START_TEST(test_bad_names)
{
	ipc_msg_t *msg = ipc_new();
	str_t text = STR_INIT;
	char name[IPC_NAME_MAX + 2];

	ck_assert_int_eq(test_read_text("P1 1\nok_name9 1:x\n", msg), STREAM_OK);
	ck_assert_int_eq(test_read_text("P1 1\nSender 1:x\n", msg), IPC_BAD);
	ck_assert_int_eq(test_read_text("P1 1\nse-nder 1:x\n", msg), IPC_BAD);
	ck_assert_int_eq(test_read_text("P1 1\n 1:x\n", msg), IPC_BAD);
	ck_assert_int_eq(test_read_text("P1 1\nname1:x\n", msg), IPC_BAD);
	ck_assert_int_eq(test_read_text("P1 1\nname  1:x\n", msg), IPC_BAD);
	ck_assert_int_eq(test_read_text("P1 1\nname 1 :x\n", msg), IPC_BAD);
	ck_assert_int_eq(test_read_text("P1 1\nname :x\n", msg), IPC_BAD);
	memset(name, 'n', IPC_NAME_MAX);
	name[IPC_NAME_MAX] = 0;
	str_printf(&text, "P1 1\n%s 1:x\n", name);
	ck_assert_int_eq(test_read_text(str_cstr(&text), msg), STREAM_OK);
	ck_assert_str_eq(ipc_get(msg, name), "x");
	strcat(name, "n");
	str_reset(&text);
	str_printf(&text, "P1 1\n%s 1:x\n", name);
	ck_assert_int_eq(test_read_text(str_cstr(&text), msg), IPC_BAD);
	ck_assert_uint_eq(ipc_count(msg), 0);
	str_free(&text);
	ipc_free(msg);
}
END_TEST

START_TEST(test_value_terminator_required)
{
	ipc_msg_t *msg = ipc_new();

	ck_assert_int_eq(test_read_text("P1 1\nname 2:ab\n", msg), STREAM_OK);
	ck_assert_int_eq(test_read_text("P1 1\nname 1:ab\n", msg), IPC_BAD);
	ck_assert_int_eq(test_read_text("P1 1\nname 2:ab\r\n", msg), IPC_BAD);
	ck_assert_int_eq(test_read_text("P1 2\nname 2:ab\n", msg), IPC_BAD);
	ipc_free(msg);
}
END_TEST

/* ipc_parse on text; *used is set only on success. */
static int test_parse_text(const char *text, ipc_msg_t *msg, size_t *used)
{
	return ipc_parse(text, strlen(text), msg, used);
}

START_TEST(test_parse_complete)
{
	ipc_msg_t *sent = test_sample();
	ipc_msg_t *got = ipc_new();
	str_t wire = STR_INIT;
	size_t used = 0, len;

	test_encode(sent, &wire);
	ck_assert_int_eq(ipc_parse(wire.data, wire.len, got, &used), 0);
	ck_assert_uint_eq(used, wire.len);
	ck_assert_uint_eq(ipc_count(got), ipc_count(sent));
	for (size_t i = 0; i < ipc_count(sent); i++) {
		size_t want_len;
		const char *want = ipc_value(sent, i, &want_len);

		ck_assert_str_eq(ipc_name(got, i), ipc_name(sent, i));
		ck_assert_mem_eq(ipc_value(got, i, &len), want, want_len + 1);
		ck_assert_uint_eq(len, want_len);
	}
	str_free(&wire);
	ipc_free(sent);
	ipc_free(got);
}
END_TEST

/* Every proper prefix, the empty one too, asks for more and leaves msg empty. */
START_TEST(test_parse_every_truncation)
{
	ipc_msg_t *sent = test_sample();
	ipc_msg_t *got = ipc_new();
	str_t wire = STR_INIT;
	size_t used = 12345;

	test_encode(sent, &wire);
	for (size_t cut = 0; cut < wire.len; cut++) {
		ipc_add(got, "stale", "x");
		ck_assert_msg(ipc_parse(wire.data, cut, got, &used) == IPC_INCOMPLETE,
			      "cut at %zu", cut);
		ck_assert_uint_eq(ipc_count(got), 0);
	}
	ck_assert_uint_eq(used, 12345);
	str_free(&wire);
	ipc_free(sent);
	ipc_free(got);
}
END_TEST

START_TEST(test_parse_back_to_back)
{
	const char *text = "P1 0\nP1 2\nstatus 1:0\nbody 3:a\nb\nP1";
	ipc_msg_t *msg = ipc_new();
	size_t used = 0, at;

	ck_assert_int_eq(test_parse_text(text, msg, &used), 0);
	ck_assert_uint_eq(used, 5);
	ck_assert_uint_eq(ipc_count(msg), 0);
	at = used;
	ck_assert_int_eq(test_parse_text(text + at, msg, &used), 0);
	ck_assert_uint_eq(used, strlen("P1 2\nstatus 1:0\nbody 3:a\nb\n"));
	ck_assert_int_eq(ipc_get_int(msg, "status", -1), 0);
	ck_assert_str_eq(ipc_get(msg, "body"), "a\nb");
	at += used;
	ck_assert_int_eq(test_parse_text(text + at, msg, &used), IPC_INCOMPLETE);
	ipc_free(msg);
}
END_TEST

/* Malformed input is refused alike by both readers. */
START_TEST(test_parse_malformed)
{
	static const char *const bad[] = {
		"P2 0\n", "P01 0\n", "Q1 0\n", "P1 -1\n", "P1 0 \n", "P1 0\r\n", "P1\n",
		"P1 10001\n", "hello there\n", "P1 1\nSender 1:x\n", "P1 1\n 1:x\n",
		"P1 1\nname1:x\n", "P1 1\nname  1:x\n", "P1 1\nname :x\n", "P1 1\nname 01:x\n",
		"P1 1\nname 1:ab\n", "P1 1\nname 2:ab\r\n", "P1 2\nname 1:a\nna-me 1:b\n",
	};
	ipc_msg_t *msg = ipc_new();
	size_t used = 0;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(test_parse_text(bad[i], msg, &used) == IPC_BAD, "parse %s", bad[i]);
		ck_assert_msg(test_read_text(bad[i], msg) == IPC_BAD, "read %s", bad[i]);
		ck_assert_uint_eq(ipc_count(msg), 0);
	}
	ipc_free(msg);
}
END_TEST

/* A header, a "name LEN:" or a value over its bound is malformed as soon
 * as the bound is passed, without waiting for the rest. */
START_TEST(test_parse_piece_bounds)
{
	ipc_msg_t *msg = ipc_new();
	str_t text = STR_INIT;
	size_t used;

	str_append_cstr(&text, "P1 ");
	while (text.len < IPC_HEADER_MAX - 1)
		str_putc(&text, '0');
	ck_assert_int_eq(ipc_parse(text.data, text.len, msg, &used), IPC_INCOMPLETE);
	str_putc(&text, '0');
	ck_assert_int_eq(ipc_parse(text.data, text.len, msg, &used), IPC_BAD);
	str_set(&text, "P1 1\n");
	while (text.len < strlen("P1 1\n") + IPC_PREFIX_MAX - 1)
		str_putc(&text, 'n');
	ck_assert_int_eq(ipc_parse(text.data, text.len, msg, &used), IPC_INCOMPLETE);
	str_putc(&text, 'n');
	ck_assert_int_eq(ipc_parse(text.data, text.len, msg, &used), IPC_BAD);
	str_reset(&text);
	str_printf(&text, "P1 1\nbody %d:", IPC_VALUE_MAX);
	ck_assert_int_eq(ipc_parse(text.data, text.len, msg, &used), IPC_INCOMPLETE);
	str_reset(&text);
	str_printf(&text, "P1 1\nbody %d:", IPC_VALUE_MAX + 1);
	ck_assert_int_eq(ipc_parse(text.data, text.len, msg, &used), IPC_BAD);
	str_free(&text);
	ipc_free(msg);
}
END_TEST

/* Values that together pass IPC_MSG_MAX: refused at the prefix of the one
 * that does, before its bytes arrive. */
START_TEST(test_parse_message_bound)
{
	const int full = IPC_MSG_MAX / IPC_VALUE_MAX;
	ipc_msg_t *msg = ipc_new();
	str_t wire = STR_INIT;
	size_t used;

	str_printf(&wire, "P1 %d\n", full + 1);
	for (int i = 0; i < full; i++) {
		str_printf(&wire, "part %d:", IPC_VALUE_MAX);
		for (int j = 0; j < IPC_VALUE_MAX; j++)
			str_putc(&wire, 'v');
		str_putc(&wire, '\n');
	}
	str_append_cstr(&wire, "more 0:");
	ck_assert_int_eq(ipc_parse(wire.data, wire.len, msg, &used), IPC_INCOMPLETE);
	str_truncate(&wire, wire.len - strlen("more 0:"));
	str_append_cstr(&wire, "more 1:");
	ck_assert_int_eq(ipc_parse(wire.data, wire.len, msg, &used), IPC_BAD);
	str_free(&wire);
	ipc_free(msg);
}
END_TEST

/* The biggest message the format allows fits in IPC_WIRE_MAX bytes, so a
 * reader that buffers that much never refuses a valid one. */
START_TEST(test_parse_wire_max)
{
	const int full = IPC_MSG_MAX / IPC_VALUE_MAX;
	ipc_msg_t *msg = ipc_new();
	str_t wire = STR_INIT;
	char name[IPC_NAME_MAX + 1];
	size_t used = 0;

	memset(name, 'n', IPC_NAME_MAX);
	name[IPC_NAME_MAX] = 0;
	str_printf(&wire, "P1 %d\n", IPC_ATTR_MAX);
	for (int i = 0; i < IPC_ATTR_MAX; i++) {
		int len = i < full ? IPC_VALUE_MAX : 0;

		str_printf(&wire, "%s %d:", name, len);
		for (int j = 0; j < len; j++)
			str_putc(&wire, 'v');
		str_putc(&wire, '\n');
	}
	ck_assert_uint_le(wire.len, IPC_WIRE_MAX);
	ck_assert_int_eq(ipc_parse(wire.data, wire.len - 1, msg, &used), IPC_INCOMPLETE);
	ck_assert_int_eq(ipc_parse(wire.data, wire.len, msg, &used), 0);
	ck_assert_uint_eq(used, wire.len);
	ck_assert_uint_eq(ipc_count(msg), IPC_ATTR_MAX);
	str_free(&wire);
	ipc_free(msg);
}
END_TEST

START_TEST(test_writer_refuses_bad_name)
{
	ipc_msg_t *msg = ipc_new();

	log_open_file("/dev/null");	/* the panic line is expected */
	ipc_add(msg, "Bad Name", "x");
}
END_TEST

Suite *suite_ipc(void)
{
	Suite *suite = suite_create("ipc");
	TCase *good = tcase_create("good");
	TCase *bad = tcase_create("bad");
	TCase *parse = tcase_create("parse");

	tcase_add_test(good, test_round_trip);
	tcase_add_test(good, test_two_messages_in_a_row);
	tcase_add_test(good, test_lookups);
	tcase_add_test(good, test_int_extremes);
	tcase_add_test(bad, test_truncated_input);
	tcase_add_test(bad, test_value_size_limit);
	tcase_add_test(bad, test_message_size_limit);
	tcase_add_test(bad, test_bad_header);
	tcase_add_test(bad, test_attr_count_limit);
	tcase_add_test(bad, test_attr_count_at_limit);
	tcase_add_test(bad, test_bad_names);
	tcase_add_test(bad, test_value_terminator_required);
	tcase_add_test_raise_signal(bad, test_writer_refuses_bad_name, SIGABRT);
	tcase_add_test(parse, test_parse_complete);
	tcase_add_test(parse, test_parse_every_truncation);
	tcase_add_test(parse, test_parse_back_to_back);
	tcase_add_test(parse, test_parse_malformed);
	tcase_add_test(parse, test_parse_piece_bounds);
	tcase_add_test(parse, test_parse_message_bound);
	tcase_add_test(parse, test_parse_wire_max);
	suite_add_tcase(suite, good);
	suite_add_tcase(suite, bad);
	suite_add_tcase(suite, parse);
	return suite;
}
