/*
 * xtext: RFC 3461 xtext and RFC 6533 utf-8-addr-xtext decoding (see
 * xtext.h).
 */
#include "xtext.h"

#define XTEXT_FIRST 33		/* "!" */
#define XTEXT_LAST 126		/* "~" */
#define XTEXT_HEXPOINT_MIN 2	/* digits of "\x{..}" */
#define XTEXT_HEXPOINT_MAX 6
#define XTEXT_UNICODE_MAX 0x10FFFF
#define XTEXT_SURROGATE_FIRST 0xD800
#define XTEXT_SURROGATE_LAST 0xDFFF

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

/* The code point of "\x{HEX}" at text, and the escape's length in *len;
 * -1 when malformed or not a character an address may hold. */
static long xtext_hexpoint(const char *text, size_t *len)
{
	const char *p = text + 3;
	long point = 0;
	size_t digits = 0;
	int value;

	if (text[1] != 'x' || text[2] != '{')
		return -1;
	for (; (value = xtext_hex(*p)) >= 0 && digits < XTEXT_HEXPOINT_MAX; p++, digits++)
		point = point << 4 | value;
	if (*p != '}' || digits < XTEXT_HEXPOINT_MIN
	    || (digits > XTEXT_HEXPOINT_MIN && text[3] == '0'))
		return -1;
	if (point < ' ' || point == 0x7f || point > XTEXT_UNICODE_MAX
	    || (point >= XTEXT_SURROGATE_FIRST && point <= XTEXT_SURROGATE_LAST))
		return -1;
	*len = (size_t)(p + 1 - text);
	return point;
}

static void xtext_put_utf8(str_t *out, long point)
{
	if (point < 0x80) {
		str_putc(out, (int)point);
	} else if (point < 0x800) {
		str_putc(out, (int)(0xC0 | point >> 6));
		str_putc(out, (int)(0x80 | (point & 0x3F)));
	} else if (point < 0x10000) {
		str_putc(out, (int)(0xE0 | point >> 12));
		str_putc(out, (int)(0x80 | (point >> 6 & 0x3F)));
		str_putc(out, (int)(0x80 | (point & 0x3F)));
	} else {
		str_putc(out, (int)(0xF0 | point >> 18));
		str_putc(out, (int)(0x80 | (point >> 12 & 0x3F)));
		str_putc(out, (int)(0x80 | (point >> 6 & 0x3F)));
		str_putc(out, (int)(0x80 | (point & 0x3F)));
	}
}

int xtext_decode_utf8(const char *text, str_t *out)
{
	str_set(out, "");
	while (*text) {
		int c = (unsigned char)*text;
		size_t len;
		long point;

		if (c == '\\') {
			if ((point = xtext_hexpoint(text, &len)) < 0)
				return -1;
			xtext_put_utf8(out, point);
			text += len;
			continue;
		}
		if (c < XTEXT_FIRST || c > XTEXT_LAST || c == '+' || c == '=')
			return -1;
		str_putc(out, c);
		text++;
	}
	return 0;
}

void xtext_encode(const char *text, str_t *out)
{
	for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
		if (*p <= ' ' || *p >= 0x7f || *p == '+' || *p == '=')
			str_printf(out, "+%02X", *p);
		else
			str_putc(out, (char)*p);
	}
}
