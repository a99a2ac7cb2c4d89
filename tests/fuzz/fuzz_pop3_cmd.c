/*
 * fuzz_pop3_cmd: the input as the bytes a POP3 client sends, through
 * pop3d's command loop (pop3d_cmd_loop) once in each state:
 *
 *   AUTHORIZATION  CAPA, USER, PASS, AUTH with its "+ " exchange, STLS,
 *                  QUIT, unknown and misplaced commands, NUL bytes,
 *                  overlong lines, the error and auth failure limits.
 *                  libsasl2 is replaced (linked with --wrap) by a fake
 *                  database of one user, FUZZ_POP3_USER with password
 *                  FUZZ_POP3_PASS, offering PLAIN and LOGIN; an exchange
 *                  logs in when a response is the password, continues
 *                  on "more", fails temporarily on "temp". A login writes
 *                  the hand-over message, which pop3d_handoff_read must
 *                  then accept.
 *   TRANSACTION    STAT, LIST, UIDL, RETR, TOP, DELE, RSET, NOOP, CAPA and
 *                  QUIT with the UPDATE state, over a Maildir made once in
 *                  a private temporary directory and listed once
 *                  (maildir_list_read; each run borrows the listing):
 *                  dot lines, bare LF and no final newline, a line longer
 *                  than pop3d's output buffer, an empty message. All are
 *                  in cur/ and seen, so RETR renames nothing. Only QUIT
 *                  may remove files, and exactly those DELE marked
 *                  (checked); they are written again after the run, so
 *                  every run starts alike.
 *
 * Not covered: TLS (no certificate, so STLS is "not available"), the real
 * libsasl2 and its base64, pop3d_disable_plaintext_auth = yes (plaintext
 * is allowed so that USER and PASS are reached), the processes around the
 * loop (forks, privileges, greeting, log lines), finding and locking the
 * mailbox (pop3d_mailbox_open). The
 * client's stream reads the input FUZZ_POP3_READ_MAX bytes at a time
 * through transport hooks and discards what pop3d writes: no descriptor,
 * no network.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fdio.h"
#include "harness.h"
#include "log.h"
#include "maildir.h"
#include "mem.h"
#include "pop3d.h"
#include "sasl_server.h"

#define FUZZ_POP3_READ_MAX 256		/* bytes per transport read: lines span reads */
#define FUZZ_POP3_LONG_LINE (STREAM_BUF_SIZE + 100)	/* more than one output buffer */
#define FUZZ_POP3_PATH_SIZE 256
#define FUZZ_POP3_USER "fuzz@localhost"
#define FUZZ_POP3_PASS "secret"
#define FUZZ_POP3_RIP "127.0.0.1"

/* A stream's transport: the bytes it reads; what it writes is kept in
 * kept, or discarded when kept is NULL. */
typedef struct fuzz_io {
	const char *data;
	size_t size;
	size_t used;
	str_t *kept;
} fuzz_io_t;

static const struct fuzz_pop3_msg {
	const char *name;
	const char *text;
	int long_line;			/* FUZZ_POP3_LONG_LINE bytes follow the text */
} fuzz_pop3_msgs[] = {
	{ "cur/1700000001.M1P1.fuzz:2,S",
	  "From: a@example.org\r\nSubject: dots\r\n\r\n.\r\n..two\r\n.x\r\nlast\r\n", 0 },
	{ "cur/1700000002.M2P1.fuzz:2,S", "Subject: bare\n\nline one\n.\nno final newline", 0 },
	{ "cur/1700000003.M3P1.fuzz:2,FS", "Subject: long\r\n\r\n", 1 },
	{ "cur/1700000004.M4P1.fuzz:2,S", "", 0 },
};

#define FUZZ_POP3_MSG_COUNT (sizeof(fuzz_pop3_msgs) / sizeof(fuzz_pop3_msgs[0]))

static char fuzz_dir[FUZZ_POP3_PATH_SIZE];
static int fuzz_dir_fd = -1;
static maildir_list_t fuzz_list;	/* read once, lent to every run */
static char fuzz_sasl_conn;		/* what the fake connection points to */

/* The fake libsasl2 (see the top of the file). */
sasl_server_t *__wrap_sasl_server_open(const char *service, const char *hostname, int flags,
				       str_t *err);
void __wrap_sasl_server_close(sasl_server_t *sp);
int __wrap_sasl_server_mechs(sasl_server_t *sp, str_t *out);
enum sasl_server_status __wrap_sasl_server_begin(sasl_server_t *sp, const char *mech,
						 const char *response, str_t *reply);
enum sasl_server_status __wrap_sasl_server_next(sasl_server_t *sp, const char *response,
						str_t *reply);
enum sasl_server_status __wrap_sasl_server_checkpass(sasl_server_t *sp, const char *user,
						     const char *pass, str_t *reply);
const char *__wrap_sasl_server_username(sasl_server_t *sp);

sasl_server_t *__wrap_sasl_server_open(const char *service, const char *hostname, int flags,
				       str_t *err)
{
	(void)service, (void)hostname, (void)flags, (void)err;
	return (sasl_server_t *)&fuzz_sasl_conn;
}

void __wrap_sasl_server_close(sasl_server_t *sp)
{
	(void)sp;
}

int __wrap_sasl_server_mechs(sasl_server_t *sp, str_t *out)
{
	(void)sp;
	str_set(out, "PLAIN LOGIN");
	return 0;
}

enum sasl_server_status __wrap_sasl_server_next(sasl_server_t *sp, const char *response,
						str_t *reply)
{
	(void)sp;
	str_set(reply, "");
	if (strcmp(response, FUZZ_POP3_PASS) == 0)
		return SASL_SERVER_DONE;
	if (strcmp(response, "more") == 0) {
		str_set(reply, "bW9yZQ==");
		return SASL_SERVER_MORE;
	}
	str_set(reply, "fake failure");
	return strcmp(response, "temp") == 0 ? SASL_SERVER_TEMP : SASL_SERVER_FAIL;
}

enum sasl_server_status __wrap_sasl_server_begin(sasl_server_t *sp, const char *mech,
						 const char *response, str_t *reply)
{
	if (strcmp(mech, "PLAIN") != 0 && strcmp(mech, "LOGIN") != 0) {
		str_set(reply, "no such mechanism");
		return SASL_SERVER_FAIL;
	}
	if (response == NULL) {
		str_set(reply, "");
		return SASL_SERVER_MORE;
	}
	return __wrap_sasl_server_next(sp, response, reply);
}

enum sasl_server_status __wrap_sasl_server_checkpass(sasl_server_t *sp, const char *user,
						     const char *pass, str_t *reply)
{
	if (strcmp(user, FUZZ_POP3_USER) != 0) {
		str_set(reply, "fake failure");
		return SASL_SERVER_FAIL;
	}
	return __wrap_sasl_server_next(sp, pass, reply);
}

const char *__wrap_sasl_server_username(sasl_server_t *sp)
{
	(void)sp;
	return FUZZ_POP3_USER;
}

/* The transport hooks over a fuzz_io_t. */
static ssize_t fuzz_read(void *ctx, void *buf, size_t len, int *want)
{
	fuzz_io_t *io = ctx;
	size_t n = io->size - io->used;

	(void)want;
	if (n > len)
		n = len;
	if (n > FUZZ_POP3_READ_MAX)
		n = FUZZ_POP3_READ_MAX;
	if (n > 0)
		memcpy(buf, io->data + io->used, n);
	io->used += n;
	return (ssize_t)n;
}

static ssize_t fuzz_write(void *ctx, const void *buf, size_t len, int *want)
{
	fuzz_io_t *io = ctx;

	(void)want;
	if (io->kept != NULL)
		str_append(io->kept, buf, len);
	return (ssize_t)len;
}

/* A stream on the hooks; no descriptor (-1), as the hooks never wait. */
static stream_t *fuzz_stream(fuzz_io_t *io)
{
	stream_t *st = stream_open(-1);

	stream_set_io(st, fuzz_read, fuzz_write, io);
	return st;
}

static void fuzz_maildir_remove(void)
{
	static const char *const subdirs[] = { "cur", "new", "tmp" };
	size_t i;

	for (i = 0; i < FUZZ_POP3_MSG_COUNT; i++)
		unlinkat(fuzz_dir_fd, fuzz_pop3_msgs[i].name, 0);
	for (i = 0; i < sizeof(subdirs) / sizeof(subdirs[0]); i++)
		unlinkat(fuzz_dir_fd, subdirs[i], AT_REMOVEDIR);
	close(fuzz_dir_fd);
	rmdir(fuzz_dir);
	maildir_list_free(&fuzz_list);
}

/* Write every message that is not there. */
static void fuzz_maildir_fill(void)
{
	static char line[FUZZ_POP3_LONG_LINE];

	memset(line, 'x', sizeof(line));
	for (size_t i = 0; i < FUZZ_POP3_MSG_COUNT; i++) {
		const struct fuzz_pop3_msg *m = &fuzz_pop3_msgs[i];
		int fd = openat(fuzz_dir_fd, m->name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

		if (fd < 0 && errno == EEXIST)
			continue;	/* still there */
		if (fd < 0 || fdio_write_all(fd, m->text, strlen(m->text)) < 0
		    || (m->long_line && fdio_write_all(fd, line, sizeof(line)) < 0) || close(fd) < 0)
			log_panic("fuzz_pop3_cmd: cannot write %s/%s", fuzz_dir, m->name);
	}
}

static void fuzz_maildir_make(void)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(fuzz_dir, sizeof(fuzz_dir), "%s/pochta-fuzz-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(fuzz_dir) == NULL || maildir_create(AT_FDCWD, fuzz_dir) < 0
	    || (fuzz_dir_fd = open(fuzz_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		log_panic("fuzz_pop3_cmd: cannot make a Maildir in %s", fuzz_dir);
	atexit(fuzz_maildir_remove);
	fuzz_maildir_fill();
	if (maildir_list_read(fuzz_dir_fd, &fuzz_list) < 0 || fuzz_list.count != FUZZ_POP3_MSG_COUNT)
		log_panic("fuzz_pop3_cmd: cannot list %s", fuzz_dir);
}

static void fuzz_conf(void)
{
	pop3d_conf.myhostname = "localhost";
	pop3d_conf.timeout = 600;
	pop3d_conf.auth_failure_delay = 0;	/* no sleeping between failures */
	pop3d_conf.auth_failure_limit = 3;
	pop3d_conf.disable_plaintext_auth = 0;
	pop3d_conf.sasl_service = "pop";
}

/* A login's hand-over message must be one the pop3d process accepts. */
static void fuzz_check_handoff(const str_t *sent)
{
	fuzz_io_t io = { sent->data, sent->len, 0, NULL };
	stream_t *st = fuzz_stream(&io);
	pop3d_handoff_t h = { STR_INIT, STR_INIT, 0, STR_INIT };

	if (pop3d_handoff_read(st, &h) != 0 || strcmp(h.user.data, FUZZ_POP3_USER) != 0)
		abort();
	pop3d_handoff_free(&h);
	stream_close(st);
}

static void fuzz_authorization(const uint8_t *data, size_t size)
{
	str_t sent = STR_INIT;
	fuzz_io_t client = { (const char *)data, size, 0, NULL };
	fuzz_io_t handoff = { "", 0, 0, &sent };
	pop3d_session_t s;

	pop3d_session_init(&s, fuzz_stream(&client), FUZZ_POP3_RIP);
	s.handoff = fuzz_stream(&handoff);
	(void)pop3d_cmd_loop(&s);
	if (s.handed_off)
		fuzz_check_handoff(&sent);
	stream_close(s.handoff);
	stream_close(s.client);
	pop3d_session_free(&s);
	str_free(&sent);
}

/* DELE only marks: a message is gone after the run exactly when QUIT
 * ended a session that had marked it. */
static void fuzz_check_removed(const pop3d_session_t *s)
{
	for (size_t i = 0; i < s->list.count; i++) {
		int gone = faccessat(fuzz_dir_fd, s->list.items[i].name, F_OK, 0) != 0;

		if (gone != (s->quit && s->deleted[i]))
			abort();
	}
}

static void fuzz_transaction(const uint8_t *data, size_t size)
{
	fuzz_io_t client = { (const char *)data, size, 0, NULL };
	pop3d_session_t s;

	pop3d_session_init(&s, fuzz_stream(&client), FUZZ_POP3_RIP);
	str_set(&s.user, FUZZ_POP3_USER);
	if ((s.dir_fd = dup(fuzz_dir_fd)) < 0)
		log_panic("fuzz_pop3_cmd: dup: %m");
	s.list = fuzz_list;
	s.deleted = mem_calloc(s.list.count + 1, 1);
	s.state = POP3D_TRANSACTION;
	(void)pop3d_cmd_loop(&s);
	fuzz_check_removed(&s);
	if (s.quit)
		fuzz_maildir_fill();
	stream_close(s.client);
	memset(&s.list, 0, sizeof(s.list));	/* lent: not the session's to free */
	pop3d_session_free(&s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	harness_quiet();
	if (fuzz_dir_fd < 0) {
		fuzz_conf();
		fuzz_maildir_make();
	}
	fuzz_authorization(data, size);
	fuzz_transaction(data, size);
	return 0;
}
