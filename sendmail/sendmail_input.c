/*
 * sendmail_input: the message as a user's program writes it to sendmail
 * (or an SMTP client to sendmail -bs), taken in bounded pieces. Line
 * ends become LF (CR LF and LF are both taken, as Postfix's sendmail
 * does), a last line without one gets it, and the end is the end of
 * input (-i), a line of one "." (the default), or that line with the
 * SMTP rule that a leading "." of any other line is removed (-bs).
 */
#include <string.h>

#include "sendmail.h"

void sendmail_input_init(sendmail_input_t *si, stream_t *in, enum sendmail_dots dots)
{
	memset(si, 0, sizeof(*si));
	si->in = in;
	si->dots = dots;
	si->at_line_start = 1;
}

/* A whole line (or its last piece): the line end made LF. */
static void sendmail_input_eol(str_t *piece)
{
	if (piece->len > 0 && piece->data[piece->len - 1] != '\n') {
		str_putc(piece, '\n');	/* the input's last line */
	} else if (piece->len >= 2 && piece->data[piece->len - 2] == '\r') {
		piece->data[piece->len - 2] = '\n';
		str_truncate(piece, piece->len - 1);
	}
}

/* Dot rules for a piece that starts a line (whole when complete); 1 when
 * it ends the message. */
static int sendmail_input_dot(sendmail_input_t *si, str_t *piece, int complete)
{
	if (si->dots == SENDMAIL_DOTS_NONE || piece->len == 0 || piece->data[0] != '.')
		return 0;
	if (complete && piece->len == 2 && piece->data[1] == '\n')
		return 1;
	if (si->dots == SENDMAIL_DOTS_SMTP) {
		memmove(piece->data, piece->data + 1, piece->len);	/* with its NUL */
		str_truncate(piece, piece->len - 1);
	}
	return 0;
}

int sendmail_input_read(sendmail_input_t *si, str_t *piece)
{
	int status, line_start = si->at_line_start;

	if (si->done)
		return 0;
	status = stream_getline(si->in, piece, SENDMAIL_PIECE_MAX);
	if (status == STREAM_EOF) {
		si->done = 1;
		/* an SMTP client must send the "." */
		return si->dots == SENDMAIL_DOTS_SMTP ? -1 : 0;
	}
	if (status != STREAM_OK && status != STREAM_TOOLONG)
		return -1;
	si->at_line_start = status == STREAM_OK;
	if (status == STREAM_OK)
		sendmail_input_eol(piece);
	if (line_start && sendmail_input_dot(si, piece, status == STREAM_OK)) {
		si->done = 1;
		return 0;
	}
	return 1;
}
