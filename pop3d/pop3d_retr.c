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
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "pop3d.h"

#define POP3D_TOP_LINES_DIGITS_MAX 9	/* more body lines than this: the whole body */
#define POP3D_COPY_CHUNK 65536		/* bytes of a message read at a time */

/* How the copy goes: lines of the body still to send (-1: all). */
typedef struct pop3d_copy {
	long body_lines;
	int in_body;
	int fresh;			/* the next byte starts a line */
	size_t line_chars;		/* of the current line, its LF not counted */
	int prev;			/* the last byte sent */
	long long sent;			/* octets without the stuffing */
} pop3d_copy_t;

static char pop3d_copy_buf[POP3D_COPY_CHUNK];

/* A line starts with first: 0 when TOP has sent its lines. */
static int pop3d_copy_line_start(pop3d_session_t *s, pop3d_copy_t *cp, int first)
{
	if (cp->in_body && cp->body_lines >= 0 && cp->body_lines-- == 0)
		return 0;
	cp->fresh = 0;
	if (first == '.')
		stream_write(s->client, ".", 1);
	return 1;
}

static void pop3d_copy_text(pop3d_session_t *s, pop3d_copy_t *cp, const char *text, size_t len)
{
	if (len == 0)
		return;
	stream_write(s->client, text, len);
	cp->sent += (long long)len;
	cp->line_chars += len;
	cp->prev = (unsigned char)text[len - 1];
}

/* An LF in the file: CR LF on the wire (one CR, whether or not the file
 * has it); an empty line ends the header. */
static void pop3d_copy_line_end(pop3d_session_t *s, pop3d_copy_t *cp)
{
	int has_cr = cp->line_chars > 0 && cp->prev == '\r';

	stream_write(s->client, has_cr ? "\n" : "\r\n", has_cr ? 1 : 2);
	cp->sent += has_cr ? 1 : 2;
	if (cp->line_chars == (size_t)has_cr)
		cp->in_body = 1;
	cp->line_chars = 0;
	cp->fresh = 1;
	cp->prev = '\n';
}

/* One block of the file; 0 when the copy should stop. */
static int pop3d_copy_block(pop3d_session_t *s, pop3d_copy_t *cp, const char *data, size_t len)
{
	while (len > 0) {
		const char *nl;
		size_t run;

		if (cp->fresh && !pop3d_copy_line_start(s, cp, data[0]))
			return 0;
		nl = memchr(data, '\n', len);
		run = nl ? (size_t)(nl - data) : len;
		pop3d_copy_text(s, cp, data, run);
		if (nl == NULL)
			break;
		pop3d_copy_line_end(s, cp);
		data += run + 1;
		len -= run + 1;
	}
	return 1;
}

static long long pop3d_copy(pop3d_session_t *s, int fd, long body_lines)
{
	pop3d_copy_t cp = { .body_lines = body_lines, .fresh = 1 };
	ssize_t n;

	while ((n = read(fd, pop3d_copy_buf, sizeof(pop3d_copy_buf))) > 0
	       && pop3d_copy_block(s, &cp, pop3d_copy_buf, (size_t)n))
		;
	if (!cp.fresh)
		stream_write(s->client, "\r\n", 2);	/* the terminator needs a line of its own */
	stream_write(s->client, ".\r\n", 3);
	return cp.sent;
}

/* Send message i with at most body_lines lines of body (-1: all). */
static int pop3d_send(pop3d_session_t *s, int i, long body_lines, long long *sent)
{
	maildir_list_item_t *item = &s->list.items[i];
	int fd = openat(s->dir_fd, item->name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0) {
		log_warning("user %s: open %s: %m", s->user.data, item->name);
		pop3d_err(s, "[SYS/TEMP] Message %d is gone", i + 1);
		return -1;
	}
	pop3d_ok(s, "%lld octets", item->size);
	*sent = pop3d_copy(s, fd, body_lines);
	close(fd);
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
