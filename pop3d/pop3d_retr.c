/*
 * pop3d_retr: RETR and TOP. A message goes out as RFC 1939 wants it:
 * every line ending in CR LF (a bare LF gets its CR), a line starting
 * with "." gets one more, and "." alone ends it. The octets LIST gave
 * are the message with CR LF line ends, what the client holds once it
 * has undone the dot-stuffing. RETR marks the message seen (new/ ->
 * cur/ with ":2,S"); TOP does not.
 */
#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "pop3d.h"

#define POP3D_TOP_LINES_DIGITS_MAX 9	/* more body lines than this: the whole body */

/* How the copy goes: lines of the body still to send (-1: all). */
typedef struct pop3d_copy {
	long body_lines;
	int in_body;
	int fresh;			/* the next byte starts a line */
	size_t line_chars;		/* of the current line, CR and LF not counted */
	int prev;
	long long sent;			/* octets without the stuffing */
} pop3d_copy_t;

/* One byte of the message into out; 0 when the copy should stop. */
static int pop3d_copy_byte(pop3d_copy_t *cp, int c, str_t *out)
{
	if (cp->fresh && cp->in_body && cp->body_lines >= 0 && cp->body_lines-- == 0)
		return 0;
	if (cp->fresh && c == '.')
		str_putc(out, '.');
	if (c == '\n' && cp->prev != '\r') {
		str_putc(out, '\r');
		cp->sent++;
	}
	str_putc(out, c);
	cp->sent++;
	if (c == '\n' && cp->line_chars == 0)
		cp->in_body = 1;	/* an empty line ends the header */
	if (c == '\n')
		cp->line_chars = 0;
	else if (c != '\r')
		cp->line_chars++;
	cp->fresh = c == '\n';
	cp->prev = c;
	return 1;
}

static long long pop3d_copy(pop3d_session_t *s, FILE *f, long body_lines)
{
	pop3d_copy_t cp = { .body_lines = body_lines, .fresh = 1 };
	str_t out = STR_INIT;
	int c;

	while ((c = getc(f)) != EOF && pop3d_copy_byte(&cp, c, &out)) {
		if (out.len >= STREAM_BUF_SIZE) {
			stream_write(s->client, out.data, out.len);
			str_reset(&out);
		}
	}
	if (!cp.fresh)
		str_append_cstr(&out, "\r\n");	/* the terminator needs a line of its own */
	str_append_cstr(&out, ".\r\n");
	stream_write(s->client, out.data, out.len);
	str_free(&out);
	return cp.sent;
}

/* Send message i with at most body_lines lines of body (-1: all). */
static int pop3d_send(pop3d_session_t *s, int i, long body_lines, long long *sent)
{
	maildir_list_item_t *item = &s->list.items[i];
	int fd = openat(s->dir_fd, item->name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	FILE *f = fd < 0 ? NULL : fdopen(fd, "r");

	if (f == NULL) {
		log_warning("user %s: open %s: %m", s->user.data, item->name);
		pop3d_err(s, "[SYS/TEMP] Message %d is gone", i + 1);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	pop3d_ok(s, "%lld octets", item->size);
	*sent = pop3d_copy(s, f, body_lines);
	fclose(f);
	return 0;
}

void pop3d_cmd_retr(pop3d_session_t *s, const char *arg)
{
	long long sent;
	int i = pop3d_msg_index(s, arg);

	if (i < 0 || pop3d_send(s, i, -1, &sent) < 0)
		return;
	s->stats.retr_count++;
	s->stats.retr_bytes += sent;
	if (maildir_list_seen(s->dir_fd, &s->list.items[i]) < 0)
		log_warning("user %s: mark %s seen: %m", s->user.data, s->list.items[i].name);
}

/* "msg n": the message's argument and the line count; -1 after a reply. */
static int pop3d_top_args(pop3d_session_t *s, const char *arg, str_t *msg, long *lines)
{
	const char *space = strchr(arg, ' ');
	size_t digits = 0;

	if (space != NULL)
		while (isdigit((unsigned char)space[1 + digits]))
			digits++;
	if (space == NULL || digits == 0 || space[1 + digits] != 0) {
		pop3d_err(s, "Syntax: TOP message lines");
		s->errors++;
		return -1;
	}
	str_set(msg, "");
	str_append(msg, arg, (size_t)(space - arg));
	*lines = digits > POP3D_TOP_LINES_DIGITS_MAX ? -1 : strtol(space + 1, NULL, 10);
	return 0;
}

void pop3d_cmd_top(pop3d_session_t *s, const char *arg)
{
	str_t msg = STR_INIT;
	long lines;
	long long sent;
	int i;

	if (pop3d_top_args(s, arg, &msg, &lines) == 0 && (i = pop3d_msg_index(s, msg.data)) >= 0
	    && pop3d_send(s, i, lines, &sent) == 0) {
		s->stats.top_count++;
		s->stats.top_bytes += sent;
	}
	str_free(&msg);
}
