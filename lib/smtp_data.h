/*
 * smtp_data: the DATA phase as a pure state machine over the bytes the
 * client sends, so the end-of-data rule can be tested and fuzzed apart
 * from any socket.
 *
 * Feed the raw input in pieces of any size (a terminator split across
 * reads is found all the same). Out comes the message content as stored:
 * LF line ends, dot-unstuffed, long lines whole (the reader bounds its
 * memory by feeding pieces, never by changing the message). Only CR LF "." CR LF ends the data (the first CR LF may be the
 * DATA command's own); a bare LF or a bare CR counts as a line end when
 * stored, is reported in the flags, and never starts a line that could end
 * the message ("\n.\r\n", "\r\n.\n", "\n.\n", "\r.\r\n" are content).
 *
 *   smtp_data_t sd;
 *   smtp_data_init(&sd);
 *   while (!sd.done) { read; used = smtp_data_feed(&sd, buf, n, &out); }
 */
#ifndef POCHTA_SMTP_DATA_H
#define POCHTA_SMTP_DATA_H

#include <stddef.h>
#include "str.h"

enum smtp_data_flags {
	SMTP_DATA_BARE_LF = 1,	/* an LF without CR before it */
	SMTP_DATA_BARE_CR = 2,	/* a CR without LF after it */
};

typedef struct smtp_data {
	int at_line_start;	/* nothing of the current input line seen yet */
	int strict_start;	/* that line began after CR LF (or at the start) */
	int dot_pending;	/* the line so far is one "." */
	int cr_pending;		/* a CR whose next byte is not known yet */
	int flags;		/* enum smtp_data_flags seen so far */
	int done;		/* the terminator was seen */
} smtp_data_t;

void smtp_data_init(smtp_data_t *sd);

/*
 * Consume up to len bytes of input, appending content to out. Returns the
 * bytes consumed: all of them, or fewer when the terminator was found
 * (sd->done is then set and the rest belongs to the next command). After
 * done, further calls consume nothing.
 */
size_t smtp_data_feed(smtp_data_t *sd, const char *in, size_t len, str_t *out);

#endif
