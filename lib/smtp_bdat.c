/*
 * smtp_bdat: CR LF to LF over BDAT chunks (see smtp_bdat.h). Runs of
 * ordinary octets are copied in one step; only CR and LF are looked at
 * one by one.
 */
#include "smtp_bdat.h"

void smtp_bdat_init(smtp_bdat_t *sb)
{
	sb->cr_pending = 0;
	sb->flags = 0;
}

/* The length of the run of octets that are neither CR nor LF. */
static size_t smtp_bdat_span(const char *in, size_t len)
{
	size_t n = 0;

	while (n < len && in[n] != '\r' && in[n] != '\n')
		n++;
	return n;
}

void smtp_bdat_feed(smtp_bdat_t *sb, const char *in, size_t len, str_t *out)
{
	size_t pos = 0;

	while (pos < len) {
		if (sb->cr_pending) {
			sb->cr_pending = 0;
			if (in[pos] == '\n')
				pos++;
			else
				sb->flags |= SMTP_DATA_BARE_CR;	/* in[pos] is looked at next */
			str_putc(out, '\n');
		} else if (in[pos] == '\r') {
			sb->cr_pending = 1;
			pos++;
		} else if (in[pos] == '\n') {
			sb->flags |= SMTP_DATA_BARE_LF;
			str_putc(out, '\n');
			pos++;
		} else {
			size_t n = smtp_bdat_span(in + pos, len - pos);

			str_append(out, in + pos, n);
			pos += n;
		}
	}
}

void smtp_bdat_end(smtp_bdat_t *sb, str_t *out)
{
	if (!sb->cr_pending)
		return;
	sb->cr_pending = 0;
	sb->flags |= SMTP_DATA_BARE_CR;
	str_putc(out, '\n');
}
