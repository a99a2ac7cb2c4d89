/*
 * test_maildrop: the maildrop file format - what the writer makes reads
 * back the same, and the reader refuses every malformed file: bad record
 * headers, unknown types, records out of order or repeated, oversized or
 * control-laden envelope fields, bad attributes and NOTIFY flags, content
 * past the limit, a missing end record and bytes after it.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "maildrop.h"
#include "queue.h"

#define HEAD "V1:1\nS5:a@b.c\nR3:x@y\n"

typedef struct parsed {
	int status;
	maildrop_env_t env;
	str_t content;
	str_t err;
} parsed_t;

/* Read len bytes of text as a maildrop file with that content limit. */
static void parse(const char *text, size_t len, long long max, parsed_t *p)
{
	FILE *f = tmpfile();
	maildrop_reader_t r;
	str_t piece = STR_INIT;
	stream_t *st;
	int more = 1;

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(text, 1, len, f), len);
	fflush(f);
	st = stream_open(dup(fileno(f)));
	lseek(stream_fd(st), 0, SEEK_SET);
	fclose(f);
	maildrop_env_init(&p->env);
	str_init(&p->content);
	str_init(&p->err);
	maildrop_reader_init(&r, st, max);
	p->status = maildrop_read_envelope(&r, &p->env, &p->err);
	while (p->status == MAILDROP_OK && more) {
		p->status = maildrop_read_content(&r, &piece, &more, &p->err);
		if (p->status == MAILDROP_OK && more)
			str_append(&p->content, piece.data, piece.len);
	}
	str_free(&piece);
	stream_close(st);
}

static void parsed_free(parsed_t *p)
{
	maildrop_env_free(&p->env);
	str_free(&p->content);
	str_free(&p->err);
}

static int status_of(const char *text, long long max)
{
	parsed_t p;
	int status;

	parse(text, strlen(text), max, &p);
	status = p.status;
	parsed_free(&p);
	return status;
}

START_TEST(test_round_trip)
{
	maildrop_env_t env;
	str_t out = STR_INIT;
	parsed_t p;
	str_t big = STR_INIT;

	for (int i = 0; i < MAILDROP_PIECE_MAX + 10; i++)
		str_putc(&big, i % 64 == 63 ? '\n' : 'a');
	maildrop_env_init(&env);
	str_set(&env.sender, "");
	str_set(&env.fullname, "Jo Q. Public");
	ck_assert_int_eq(maildrop_env_set_attr(&env, MAILDROP_ATTR_DSN_RET, "HDRS"), 0);
	ck_assert_int_eq(maildrop_env_set_attr(&env, MAILDROP_ATTR_DSN_ENVID, "QQ314159"), 0);
	ck_assert_int_eq(maildrop_env_set_attr(&env, MAILDROP_ATTR_BODY_TYPE, "8BITMIME"), 0);
	env.notify = QUEUE_NOTIFY_SUCCESS | QUEUE_NOTIFY_FAILURE;
	maildrop_env_add_rcpt(&env, "demo@localhost");
	maildrop_env_add_rcpt(&env, "other@localhost");
	maildrop_put_envelope(&out, &env);
	maildrop_put_content(&out, big.data, big.len);
	maildrop_put_end(&out);
	parse(out.data, out.len, 0, &p);
	ck_assert_msg(p.status == MAILDROP_OK, "%s", str_cstr(&p.err));
	ck_assert_str_eq(str_cstr(&p.env.sender), "");
	ck_assert_str_eq(str_cstr(&p.env.fullname), "Jo Q. Public");
	ck_assert_str_eq(str_cstr(&p.env.dsn_ret), "HDRS");
	ck_assert_str_eq(str_cstr(&p.env.dsn_envid), "QQ314159");
	ck_assert_str_eq(str_cstr(&p.env.body_type), "8BITMIME");
	ck_assert_int_eq(p.env.notify, 10);
	ck_assert_uint_eq(p.env.nrcpts, 2);
	ck_assert_str_eq(p.env.rcpts.data, "demo@localhost");
	ck_assert_str_eq(p.env.rcpts.data + strlen("demo@localhost") + 1, "other@localhost");
	ck_assert_uint_eq(p.content.len, big.len);
	ck_assert_int_eq(memcmp(p.content.data, big.data, big.len), 0);
	parsed_free(&p);
	maildrop_env_free(&env);
	str_free(&out);
	str_free(&big);
}
END_TEST

START_TEST(test_minimal_and_empty_content)
{
	ck_assert_int_eq(status_of(HEAD "E0:\n", 0), MAILDROP_OK);
	ck_assert_int_eq(status_of(HEAD "M3:hi\n\nE0:\n", 0), MAILDROP_OK);
}
END_TEST

/* Files that are not maildrop files at all, or break the record syntax. */
START_TEST(test_refuses_bad_syntax)
{
	static const char *const bad[] = {
		"garbage\n",
		"V1:2\nS0:\nR1:x\nE0:\n",		/* unknown version */
		"V0:\nS0:\nR1:x\nE0:\n",		/* empty version */
		"V01:1\nS0:\nR1:x\nE0:\n",		/* leading zero in a length */
		"V:1\nS0:\nR1:x\nE0:\n",		/* no length */
		"V1x:1\n",				/* not a digit */
		"V1234567:1\n",				/* too many digits */
		"V1:1S0:\nR1:x\nE0:\n",			/* no newline after data */
		"V1:1\nX0:\nS0:\nR1:x\nE0:\n",		/* unknown type */
		HEAD "E1:x\n",				/* end record with data */
		HEAD "E0:\nM1:x\n",			/* data after the end */
		HEAD "E0:\nx",				/* a byte after the end */
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(status_of(bad[i], 0) == MAILDROP_BAD, "accepted #%zu", i);
}
END_TEST

/* Records in the wrong place, missing or repeated. */
START_TEST(test_refuses_bad_order)
{
	static const char *const bad[] = {
		"S5:a@b.c\nV1:1\nR3:x@y\nE0:\n",	/* sender before version */
		"V1:1\nR3:x@y\nS0:\nE0:\n",		/* recipient before sender */
		"V1:1\nS0:\nE0:\n",			/* no recipient */
		"V1:1\nS0:\nM2:hi\nE0:\n",		/* content without recipient */
		"V1:1\nS0:\nS0:\nR1:x\nE0:\n",		/* two senders */
		"V1:1\nV1:1\nS0:\nR1:x\nE0:\n",		/* two versions */
		HEAD "F2:Jo\nE0:\n",			/* full name after a recipient */
		HEAD "M2:hi\nR1:z\nE0:\n",		/* recipient after content */
		"V1:1\nS0:\nF2:Jo\nF2:Al\nR1:x\nE0:\n",	/* two full names */
		"V1:1\nS0:\nF0:\nR1:x\nE0:\n",		/* empty full name */
		"V1:1\nS0:\nN1:2\nN1:8\nR1:x\nE0:\n",	/* two NOTIFY records */
		"V1:1\nS0:\nR0:\nE0:\n",		/* empty recipient */
		HEAD "M0:\n\nE0:\n",			/* empty content piece */
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(status_of(bad[i], 0) == MAILDROP_BAD, "accepted #%zu", i);
}
END_TEST

/* Envelope data: attributes, NOTIFY flags, control bytes, sizes. */
START_TEST(test_refuses_bad_fields)
{
	static const char *const bad[] = {
		"V1:1\nS3:a\tb\nR1:x\nE0:\n",		/* control byte in the sender */
		"V1:1\nS0:\nR3:x\ny\nE0:\n",		/* newline in a recipient */
		"V1:1\nS0:\nR3:x\x7fy\nE0:\n",		/* DEL in a recipient */
		"V1:1\nS0:\nA5:x=yzw\nR1:x\nE0:\n",	/* unknown attribute */
		"V1:1\nS0:\nA4:novl\nR1:x\nE0:\n",	/* no "=" */
		"V1:1\nS0:\nA12:dsn_ret=SOME\nR1:x\nE0:\n",	/* bad RET value */
		"V1:1\nS0:\nA12:dsn_ret=FULL\nA12:dsn_ret=HDRS\nR1:x\nE0:\n",	/* repeated */
		"V1:1\nS0:\nA12:dsn_envid=a b\nR1:x\nE0:\n",	/* space in ENVID */
		"V1:1\nS0:\nA14:body_type=6BIT\nR1:x\nE0:\n",	/* bad body type */
		"V1:1\nS0:\nN1:0\nR1:x\nE0:\n",		/* no flags */
		"V1:1\nS0:\nN1:3\nR1:x\nE0:\n",		/* NEVER with another */
		"V1:1\nS0:\nN2:16\nR1:x\nE0:\n",	/* unknown flag */
		"V1:1\nS0:\nN2:08\nR1:x\nE0:\n",	/* leading zero */
		"V1:1\nS0:\nN1:x\nR1:x\nE0:\n",		/* not a number */
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		parsed_t p;

		parse(bad[i], strlen(bad[i]), 0, &p);
		ck_assert_msg(p.status == MAILDROP_BAD, "accepted #%zu", i);
		parsed_free(&p);
	}
}
END_TEST

/* NUL bytes: as a record type, and inside envelope data. */
START_TEST(test_refuses_nul)
{
	static const char nul_type[] = "V1:1\n\0" "0:\nS0:\nR1:x\nE0:\n";
	static const char nul_sender[] = "V1:1\nS3:a\0b\nR1:x\nE0:\n";
	parsed_t p;

	parse(nul_type, sizeof(nul_type) - 1, 0, &p);
	ck_assert_int_eq(p.status, MAILDROP_BAD);
	parsed_free(&p);
	parse(nul_sender, sizeof(nul_sender) - 1, 0, &p);
	ck_assert_int_eq(p.status, MAILDROP_BAD);
	parsed_free(&p);
}
END_TEST

START_TEST(test_refuses_long_fields)
{
	str_t text = STR_INIT;

	str_printf(&text, "V1:1\nS%d:", MAILDROP_FIELD_MAX + 1);
	for (int i = 0; i <= MAILDROP_FIELD_MAX; i++)
		str_putc(&text, 'a');
	str_append_cstr(&text, "\nR1:x\nE0:\n");
	ck_assert_int_eq(status_of(text.data, 0), MAILDROP_BAD);
	str_reset(&text);
	str_printf(&text, HEAD "M%d:", MAILDROP_PIECE_MAX + 1);
	ck_assert_int_eq(status_of(text.data, 0), MAILDROP_BAD);
	str_free(&text);
	/* an envid longer than RFC 3461 allows */
	ck_assert_int_eq(status_of("V1:1\nS0:\nA111:dsn_envid="
				   "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
				   "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
				   "\nR1:x\nE0:\n", 0), MAILDROP_BAD);
}
END_TEST

START_TEST(test_refuses_too_many_rcpts)
{
	str_t text = STR_INIT;

	str_append_cstr(&text, "V1:1\nS0:\n");
	for (int i = 0; i <= MAILDROP_RCPT_MAX; i++)
		str_append_cstr(&text, "R1:x\n");
	str_append_cstr(&text, "E0:\n");
	ck_assert_int_eq(status_of(text.data, 0), MAILDROP_BAD);
	str_free(&text);
}
END_TEST

START_TEST(test_content_limit)
{
	ck_assert_int_eq(status_of(HEAD "M5:12345\nE0:\n", 5), MAILDROP_OK);
	ck_assert_int_eq(status_of(HEAD "M5:12345\nM1:6\nE0:\n", 5), MAILDROP_TOOBIG);
	ck_assert_int_eq(status_of(HEAD "M6:123456\nE0:\n", 5), MAILDROP_TOOBIG);
}
END_TEST

/* A file cut anywhere before its end record is incomplete. */
START_TEST(test_truncated)
{
	static const char whole[] = HEAD "M5:hello\nE0:\n";

	for (size_t len = 0; len < sizeof(whole) - 1; len++) {
		parsed_t p;

		parse(whole, len, 0, &p);
		ck_assert_msg(p.status == MAILDROP_IO || p.status == MAILDROP_BAD,
			      "accepted a file cut at %zu", len);
		parsed_free(&p);
	}
}
END_TEST

START_TEST(test_name_is_a_queue_id)
{
	char name[MAILDROP_NAME_SIZE];

	maildrop_name(name, sizeof(name), 123456);
	ck_assert(queue_id_valid(name));
	ck_assert_ptr_nonnull(strstr(name, "z1E240"));
}
END_TEST

Suite *suite_maildrop(void)
{
	Suite *s = suite_create("maildrop");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_minimal_and_empty_content);
	tcase_add_test(tc, test_refuses_bad_syntax);
	tcase_add_test(tc, test_refuses_bad_order);
	tcase_add_test(tc, test_refuses_bad_fields);
	tcase_add_test(tc, test_refuses_nul);
	tcase_add_test(tc, test_refuses_long_fields);
	tcase_add_test(tc, test_refuses_too_many_rcpts);
	tcase_add_test(tc, test_content_limit);
	tcase_add_test(tc, test_truncated);
	tcase_add_test(tc, test_name_is_a_queue_id);
	suite_add_tcase(s, tc);
	return s;
}
