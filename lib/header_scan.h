/*
 * header_scan: where a message's header section ends and which fields it
 * holds, for the programs that add or take header fields (sendmail -t,
 * pickup). The message is read into a buffer from its start, and the
 * scan looks at each whole line once:
 *
 *   a field       "Name: value" (the name printable ASCII without ":",
 *                 white space allowed before the colon), with the lines
 *                 that start with a space or tab after it
 *   the end       an empty line (it belongs to the body), or any other
 *                 line, which is then body without the empty line before
 *                 it: need_blank says so, for a writer that adds fields
 *
 * Each field is handed over whole, continuation lines included, once the
 * line after it shows it is complete.
 *
 *   header_scan_t hs;
 *   header_scan_init(&hs);
 *   while (!hs.found_end && more input) {
 *       append input to buf;
 *       header_scan_feed(&hs, &buf, on_field, ctx);
 *       if (no more input or buf too long) header_scan_stop(&hs, &buf, on_field, ctx);
 *   }
 *   buf[0 .. hs.end) is the header section, the rest is body.
 */
#ifndef POCHTA_HEADER_SCAN_H
#define POCHTA_HEADER_SCAN_H

#include <stddef.h>

#include "str.h"

typedef struct header_scan {
	size_t scanned;		/* bytes of the buffer looked at: whole lines */
	size_t field;		/* where the field being gathered starts */
	size_t name_len;	/* its name's length; 0: no field pending */
	size_t end;		/* the section's length, once found_end */
	int found_end;
	int need_blank;		/* the section ended at a line that is not empty */
} header_scan_t;

/* One whole field: its text with every LF, and its name's length. */
typedef void (*header_scan_fn)(void *ctx, const char *field, size_t len, size_t name_len);

void header_scan_init(header_scan_t *hs);
void header_scan_feed(header_scan_t *hs, const str_t *buf, header_scan_fn fn, void *ctx);
/* End the section where the scan is (the input ended, or the section is
 * longer than the caller allows); what follows is body. */
void header_scan_stop(header_scan_t *hs, const str_t *buf, header_scan_fn fn, void *ctx);

/* Is the field's name this one (case-insensitive)? */
int header_scan_name_is(const char *field, size_t name_len, const char *name);

#endif
