/*
 * smtp_bdat: the line ends of BDAT content (RFC 3030 CHUNKING) as a pure
 * state machine over the chunks' octets, so it can be tested apart from
 * any socket.
 *
 * BDAT content is counted, not terminated: every octet of every chunk is
 * content, with no dot-stuffing to undo. Out comes the content as stored
 * in the queue: CR LF becomes LF, also when the CR ends one chunk and the
 * LF starts the next. A bare LF or a bare CR is stored as a line end, as
 * DATA stores it (smtp_data.h), and reported in the flags (enum
 * smtp_data_flags), which smtpd_forbid_bare_newline = reject refuses.
 *
 *   smtp_bdat_t sb;
 *   smtp_bdat_init(&sb);
 *   for each chunk: smtp_bdat_feed(&sb, octets, len, &out);
 *   after the LAST one: smtp_bdat_end(&sb, &out);
 */
#ifndef POCHTA_SMTP_BDAT_H
#define POCHTA_SMTP_BDAT_H

#include <stddef.h>
#include "smtp_data.h"
#include "str.h"

typedef struct smtp_bdat {
	int cr_pending;		/* a CR whose next octet is not known yet */
	int flags;		/* enum smtp_data_flags seen so far */
} smtp_bdat_t;

void smtp_bdat_init(smtp_bdat_t *sb);
/* Convert len octets (any bytes, NUL included), appending to out. */
void smtp_bdat_feed(smtp_bdat_t *sb, const char *in, size_t len, str_t *out);
/* The content ended: a CR still pending was a bare one. */
void smtp_bdat_end(smtp_bdat_t *sb, str_t *out);

#endif
