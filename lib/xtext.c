/*
 * xtext: RFC 3461 xtext decoding (see xtext.h).
 */
#include "xtext.h"

#define XTEXT_FIRST 33		/* "!" */
#define XTEXT_LAST 126		/* "~" */

static int xtext_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int xtext_decode(const char *text, str_t *out)
{
	str_set(out, "");
	for (const char *p = text; *p; p++) {
		int c = (unsigned char)*p;

		if (c == '+') {
			int high = xtext_hex(p[1]);
			int low = high < 0 ? -1 : xtext_hex(p[2]);

			if (low < 0)
				return -1;
			c = high << 4 | low;
			p += 2;
			if (c < ' ' || c == 0x7f)
				return -1;
		} else if (c < XTEXT_FIRST || c > XTEXT_LAST || c == '=') {
			return -1;
		}
		str_putc(out, c);
	}
	return 0;
}
