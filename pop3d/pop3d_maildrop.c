/*
 * pop3d_maildrop: the TRANSACTION commands that look at the listing made
 * at login: STAT, LIST, UIDL, DELE, RSET. Message numbers count from 1;
 * a message marked by DELE is left out of every answer until RSET.
 */
#include <ctype.h>
#include <stdlib.h>

#include "pop3d.h"

#define POP3D_MSGNUM_DIGITS_MAX 9	/* a number longer than this names no message */

/* The index of the message arg names; -1 after a reply when none. */
int pop3d_msg_index(pop3d_session_t *s, const char *arg)
{
	size_t digits = 0;
	long n;

	while (isdigit((unsigned char)arg[digits]))
		digits++;
	if (digits == 0 || arg[digits] != 0 || digits > POP3D_MSGNUM_DIGITS_MAX) {
		pop3d_err(s, "Invalid message number: %.*s", POP3D_MSGNUM_DIGITS_MAX, arg);
		s->errors++;
		return -1;
	}
	n = strtol(arg, NULL, 10);
	if (n < 1 || (size_t)n > s->list.count) {
		pop3d_err(s, "There's no message %ld", n);
		return -1;
	}
	if (s->deleted[n - 1]) {
		pop3d_err(s, "Message is deleted");
		return -1;
	}
	return (int)(n - 1);
}

static int pop3d_no_argument(pop3d_session_t *s, const char *arg)
{
	if (*arg == 0)
		return 1;
	pop3d_err(s, "Too many arguments");
	s->errors++;
	return 0;
}

void pop3d_cmd_stat(pop3d_session_t *s, const char *arg)
{
	size_t count = 0;
	long long size = 0;

	if (!pop3d_no_argument(s, arg))
		return;
	for (size_t i = 0; i < s->list.count; i++)
		if (!s->deleted[i]) {
			count++;
			size += s->list.items[i].size;
		}
	pop3d_ok(s, "%zu %lld", count, size);
}

/* LIST and UIDL: one message's line, or every undeleted one. */
static void pop3d_scan(pop3d_session_t *s, const char *arg, int uidl)
{
	int i;

	if (*arg) {
		if ((i = pop3d_msg_index(s, arg)) < 0)
			return;
		if (uidl)
			pop3d_ok(s, "%d %s", i + 1, s->list.items[i].uid);
		else
			pop3d_ok(s, "%d %lld", i + 1, s->list.items[i].size);
		return;
	}
	pop3d_ok(s, "%s", uidl ? "Unique ids follow" : "Scan list follows");
	for (size_t n = 0; n < s->list.count; n++) {
		if (s->deleted[n])
			continue;
		if (uidl)
			stream_printf(s->client, "%zu %s\r\n", n + 1, s->list.items[n].uid);
		else
			stream_printf(s->client, "%zu %lld\r\n", n + 1, s->list.items[n].size);
	}
	stream_puts(s->client, ".\r\n");
}

void pop3d_cmd_list(pop3d_session_t *s, const char *arg)
{
	pop3d_scan(s, arg, 0);
}

void pop3d_cmd_uidl(pop3d_session_t *s, const char *arg)
{
	pop3d_scan(s, arg, 1);
}

void pop3d_cmd_dele(pop3d_session_t *s, const char *arg)
{
	int i = pop3d_msg_index(s, arg);

	if (i < 0)
		return;
	s->deleted[i] = 1;
	s->stats.del_count++;
	s->stats.del_bytes += s->list.items[i].size;
	pop3d_ok(s, "Marked to be deleted");
}

void pop3d_cmd_rset(pop3d_session_t *s, const char *arg)
{
	if (!pop3d_no_argument(s, arg))
		return;
	for (size_t i = 0; i < s->list.count; i++)
		s->deleted[i] = 0;
	s->stats.del_count = 0;
	s->stats.del_bytes = 0;
	pop3d_ok(s, "%zu messages", s->list.count);
}
