/*
 * base64: strict RFC 4648 base64 (see base64.h).
 */
#include "base64.h"

#define BASE64_PAD '='
#define BASE64_BAD -1		/* not one of the 64 letters */

static const char base64_letters[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void base64_encode(const void *data, size_t len, str_t *out)
{
	const unsigned char *in = data;

	for (size_t i = 0; i < len; i += 3) {
		unsigned long group = (unsigned long)in[i] << 16;
		size_t left = len - i;

		if (left > 1)
			group |= (unsigned long)in[i + 1] << 8;
		if (left > 2)
			group |= in[i + 2];
		str_putc(out, base64_letters[(group >> 18) & 63]);
		str_putc(out, base64_letters[(group >> 12) & 63]);
		str_putc(out, left > 1 ? base64_letters[(group >> 6) & 63] : BASE64_PAD);
		str_putc(out, left > 2 ? base64_letters[group & 63] : BASE64_PAD);
	}
}

static int base64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return BASE64_BAD;
}

/* One group of four letters, the last of the text when last is set;
 * the number of bytes it holds (1-3) in *count. -1 when bad. */
static int base64_group(const char *text, int last, unsigned long *group, size_t *count)
{
	size_t pad = 0;

	if (last)
		pad = text[3] != BASE64_PAD ? 0 : text[2] != BASE64_PAD ? 1 : 2;
	*group = 0;
	for (size_t i = 0; i < 4; i++) {
		int value = i < 4 - pad ? base64_value(text[i]) : 0;

		if (value == BASE64_BAD)
			return -1;
		*group = *group << 6 | (unsigned long)value;
	}
	*count = 3 - pad;
	/* the bits below the last byte must be zero: one encoding per input */
	return (*group & ((1UL << (8 * pad)) - 1)) == 0 ? 0 : -1;
}

int base64_decode(const char *text, size_t len, str_t *out)
{
	size_t start = out->len;

	if (len % 4 != 0)
		return -1;
	for (size_t i = 0; i < len; i += 4) {
		unsigned long group;
		size_t count;

		if (base64_group(text + i, i + 4 == len, &group, &count) < 0) {
			str_truncate(out, start);
			return -1;
		}
		for (size_t j = 0; j < count; j++)
			str_putc(out, (int)((group >> (16 - 8 * j)) & 0xff));
	}
	return 0;
}
