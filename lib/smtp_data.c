/*
 * smtp_data: the DATA end-of-data and dot-unstuffing state machine (see
 * smtp_data.h).
 *
 * It works byte by byte at line starts and line ends, where the decisions
 * are, and copies runs of ordinary bytes in one step in between, so it
 * keeps up with the network. A lone "." line ends the data only when the
 * CR LF before it and the CR LF after it are both real: that is the whole
 * defence against SMTP smuggling.
 */
#include "smtp_data.h"

void smtp_data_init(smtp_data_t *sd)
{
	sd->at_line_start = 1;
	sd->strict_start = 1;	/* the DATA command ended with CR LF */
	sd->dot_pending = 0;
	sd->cr_pending = 0;
	sd->flags = 0;
	sd->done = 0;
}

/* An input line ended; strict says it ended with CR LF. */
static void smtp_data_end_line(smtp_data_t *sd, int strict, str_t *out)
{
	if (sd->dot_pending) {
		if (strict && sd->strict_start) {
			sd->done = 1;
			return;
		}
		/* A lone "." that is not the terminator stays content. */
		str_putc(out, '.');
	}
	str_putc(out, '\n');
	sd->at_line_start = 1;
	sd->strict_start = strict;
	sd->dot_pending = 0;
}

/* The length of the run of bytes that are neither CR nor LF. */
static size_t smtp_data_span(const char *in, size_t len)
{
	size_t n = 0;

	while (n < len && in[n] != '\r' && in[n] != '\n')
		n++;
	return n;
}

/* Bytes other than CR and LF, where the line start needs a look. */
static size_t smtp_data_text(smtp_data_t *sd, const char *in, size_t len, str_t *out)
{
	size_t n;

	if (sd->at_line_start) {
		sd->at_line_start = 0;
		if (in[0] == '.') {
			sd->dot_pending = 1;
			return 1;
		}
	}
	/* ".x" was stuffed: the first dot is dropped, x is content. */
	sd->dot_pending = 0;
	n = smtp_data_span(in, len);
	str_append(out, in, n);
	return n;
}

size_t smtp_data_feed(smtp_data_t *sd, const char *in, size_t len, str_t *out)
{
	size_t pos = 0;

	while (pos < len && !sd->done) {
		char c = in[pos];

		if (sd->cr_pending) {
			sd->cr_pending = 0;
			if (c == '\n') {
				pos++;
				smtp_data_end_line(sd, 1, out);
				continue;
			}
			sd->flags |= SMTP_DATA_BARE_CR;
			smtp_data_end_line(sd, 0, out);
			continue;	/* c is looked at again, on the new line */
		}
		if (c == '\r') {
			sd->cr_pending = 1;
			pos++;
		} else if (c == '\n') {
			sd->flags |= SMTP_DATA_BARE_LF;
			smtp_data_end_line(sd, 0, out);
			pos++;
		} else {
			pos += smtp_data_text(sd, in + pos, len - pos, out);
		}
	}
	return pos;
}
