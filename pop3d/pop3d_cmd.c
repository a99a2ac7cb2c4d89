/*
 * pop3d_cmd: the command loop of the login and session processes, and one
 * command line: its keyword (case-insensitive, at most POP3D_KEYWORD_MAX
 * characters), the state it is allowed in, and the commands that need no
 * state of their own: CAPA (RFC 2449), NOOP, QUIT. A line holding a NUL
 * byte is refused whole, never cut at the NUL; an overlong line is
 * skipped whole and refused; POP3D_ERROR_LIMIT bad commands end the
 * session.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "pop3d.h"

#define POP3D_KEYWORD_MAX 4		/* RFC 1939 keywords are 3 or 4 characters */

enum pop3d_when { POP3D_WHEN_AUTH, POP3D_WHEN_TRANS, POP3D_WHEN_ANY };

static void pop3d_cmd_capa(pop3d_session_t *s, const char *arg);
static void pop3d_cmd_noop(pop3d_session_t *s, const char *arg);
static void pop3d_cmd_quit(pop3d_session_t *s, const char *arg);

static const struct pop3d_cmd {
	const char *name;
	enum pop3d_when when;
	void (*run)(pop3d_session_t *s, const char *arg);
} pop3d_cmds[] = {
	{ "CAPA", POP3D_WHEN_ANY, pop3d_cmd_capa },
	{ "QUIT", POP3D_WHEN_ANY, pop3d_cmd_quit },
	{ "USER", POP3D_WHEN_AUTH, pop3d_cmd_user },
	{ "PASS", POP3D_WHEN_AUTH, pop3d_cmd_pass },
	{ "AUTH", POP3D_WHEN_AUTH, pop3d_cmd_auth },
	{ "STLS", POP3D_WHEN_AUTH, pop3d_cmd_stls },
	{ "STAT", POP3D_WHEN_TRANS, pop3d_cmd_stat },
	{ "LIST", POP3D_WHEN_TRANS, pop3d_cmd_list },
	{ "UIDL", POP3D_WHEN_TRANS, pop3d_cmd_uidl },
	{ "RETR", POP3D_WHEN_TRANS, pop3d_cmd_retr },
	{ "TOP", POP3D_WHEN_TRANS, pop3d_cmd_top },
	{ "DELE", POP3D_WHEN_TRANS, pop3d_cmd_dele },
	{ "RSET", POP3D_WHEN_TRANS, pop3d_cmd_rset },
	{ "NOOP", POP3D_WHEN_TRANS, pop3d_cmd_noop },
};

#define POP3D_CMD_COUNT (sizeof(pop3d_cmds) / sizeof(pop3d_cmds[0]))

static void pop3d_cmd_capa(pop3d_session_t *s, const char *arg)
{
	(void)arg;
	pop3d_ok(s, "Capability list follows");
	stream_puts(s->client, "TOP\r\nUIDL\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\nPIPELINING\r\n");
	if (s->state == POP3D_AUTHORIZATION && pop3d_auth_plaintext_ok(s))
		stream_puts(s->client, "USER\r\n");
	if (s->state == POP3D_AUTHORIZATION)
		pop3d_auth_capa(s);
	if (s->state == POP3D_AUTHORIZATION && !s->secured && pop3d_conf.tls != NULL)
		stream_puts(s->client, "STLS\r\n");
	stream_puts(s->client, "IMPLEMENTATION Pochta\r\n.\r\n");
}

static void pop3d_cmd_noop(pop3d_session_t *s, const char *arg)
{
	(void)arg;
	pop3d_ok(s, "NOOP");
}

static void pop3d_cmd_quit(pop3d_session_t *s, const char *arg)
{
	(void)arg;
	if (s->state == POP3D_TRANSACTION)
		pop3d_mailbox_update(s);	/* replies */
	else
		pop3d_ok(s, "Logging out");
	s->done = 1;
	s->quit = 1;
}

static const struct pop3d_cmd *pop3d_cmd_find(const char *name, size_t len)
{
	for (size_t i = 0; i < POP3D_CMD_COUNT; i++)
		if (strlen(pop3d_cmds[i].name) == len && strncasecmp(pop3d_cmds[i].name, name, len) == 0)
			return &pop3d_cmds[i];
	return NULL;
}

static int pop3d_cmd_allowed(const pop3d_session_t *s, const struct pop3d_cmd *cmd)
{
	return cmd->when == POP3D_WHEN_ANY
	    || (cmd->when == POP3D_WHEN_AUTH) == (s->state == POP3D_AUTHORIZATION);
}

void pop3d_cmd_run(pop3d_session_t *s, const char *line, size_t len)
{
	size_t name_len = strcspn(line, " ");
	const struct pop3d_cmd *cmd = NULL;
	const char *arg = line + name_len;

	if (memchr(line, 0, len) != NULL) {
		pop3d_err(s, "Command contains a NUL byte");
		s->errors++;
		return;
	}
	if (name_len <= POP3D_KEYWORD_MAX)
		cmd = pop3d_cmd_find(line, name_len);
	if (*arg == ' ')
		arg++;
	if (cmd == NULL) {
		pop3d_err(s, "Unknown command");
		s->errors++;
	} else if (!pop3d_cmd_allowed(s, cmd)) {
		pop3d_err(s, s->state == POP3D_AUTHORIZATION ? "Not logged in" : "Already logged in");
		s->errors++;
	} else {
		cmd->run(s, arg);
	}
}

/* Read one command line into line without its line end: STREAM_OK, or
 * STREAM_TOOLONG after skipping the rest of an overlong line. The whole
 * line must come within pop3d_timeout (a client trickling bytes is cut
 * off); replies, RETR's above all, keep the limit per write. */
static int pop3d_cmd_read(pop3d_session_t *s, str_t *line)
{
	str_t rest = STR_INIT;
	int status;

	stream_set_deadline(s->client, 1);
	status = stream_getline(s->client, line, POP3D_LINE_MAX);
	if (status == STREAM_TOOLONG) {
		while ((status = stream_getline(s->client, &rest, POP3D_LINE_MAX)) == STREAM_TOOLONG)
			;
		if (status == STREAM_OK)
			status = STREAM_TOOLONG;
	}
	stream_set_deadline(s->client, 0);
	if (status == STREAM_OK && (line->len == 0 || line->data[line->len - 1] != '\n'))
		status = STREAM_EOF;	/* the client closed in the middle of a line */
	while (status == STREAM_OK && line->len > 0
	       && (line->data[line->len - 1] == '\n' || line->data[line->len - 1] == '\r'))
		str_truncate(line, line->len - 1);
	str_free(&rest);
	return status;
}

int pop3d_cmd_loop(pop3d_session_t *s)
{
	str_t line = STR_INIT;
	int status = STREAM_OK;

	while (!s->done) {
		status = pop3d_cmd_read(s, &line);
		if (status == STREAM_TOOLONG)
			pop3d_err(s, "Command line too long");
		else if (status != STREAM_OK)
			break;
		else
			pop3d_cmd_run(s, line.data, line.len);
		if (s->errors >= POP3D_ERROR_LIMIT) {
			pop3d_err(s, "Too many bad commands");
			s->done = 1;
		}
	}
	stream_flush(s->client);
	str_free(&line);
	return status;
}
