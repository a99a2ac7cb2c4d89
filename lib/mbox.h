/*
 * mbox: the Unix mailbox format, as mail is appended to a mailbox file
 * and handed to commands.
 *
 * Every message starts with a "From SENDER DATE" envelope line (the null
 * sender is written MAILER-DAEMON; DATE is local time in asctime() form,
 * as mail readers expect). In a mailbox file, a line of the message
 * that starts with "From " is written ">From " so that readers do not take
 * it for the start of the next message, and an empty line ends the
 * message.
 *
 * The quoting works on a stream of chunks: a "From " split between two
 * chunks is still found.
 */
#ifndef POCHTA_MBOX_H
#define POCHTA_MBOX_H

#include <stddef.h>
#include <time.h>

#include "str.h"

#define MBOX_FROM "From "
#define MBOX_FROM_LEN 5
#define MBOX_NULL_SENDER "MAILER-DAEMON"

/* Append the envelope line (with its LF) to out. */
void mbox_from_line(str_t *out, const char *sender, time_t when);

typedef struct mbox_quote {
	int bol;		/* the next byte starts a line */
	size_t held;		/* bytes of "From " matched and not yet written */
} mbox_quote_t;

/* Start at the beginning of a line. */
void mbox_quote_init(mbox_quote_t *q);
/* Append len bytes of data to out, quoting "From " at line starts. */
void mbox_quote(mbox_quote_t *q, const char *data, size_t len, str_t *out);
/* Write what is held back at the end of the message. */
void mbox_quote_end(mbox_quote_t *q, str_t *out);

#endif
