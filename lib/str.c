/*
 * str: growable byte strings (see str.h).
 *
 * The buffer doubles when it grows, so appending byte by byte stays linear.
 * Appending a piece of the string to itself is allowed: growth may move the
 * buffer, so such sources are re-based after the move.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "mem.h"
#include "str.h"

#define STR_MIN_CAP 16		/* first allocation, bytes */

void str_init(str_t *s)
{
	s->data = NULL;
	s->len = 0;
	s->cap = 0;
}

void str_free(str_t *s)
{
	mem_free(s->data);
	str_init(s);
}

/* Make room for extra more bytes plus the NUL. */
static void str_reserve(str_t *s, size_t extra)
{
	size_t need;
	size_t cap;

	if (extra > SIZE_MAX - s->len - 1)
		log_fatal("str: length overflow");
	need = s->len + extra + 1;
	if (need <= s->cap)
		return;
	cap = s->cap ? s->cap : STR_MIN_CAP;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	s->data = mem_realloc(s->data, cap);
	s->cap = cap;
}

static int str_owns(const str_t *s, const void *p)
{
	uintptr_t base = (uintptr_t)s->data;
	uintptr_t addr = (uintptr_t)p;

	return s->data != NULL && addr >= base && addr < base + s->cap;
}

void str_reset(str_t *s)
{
	s->len = 0;
	if (s->data)
		s->data[0] = 0;
}

void str_truncate(str_t *s, size_t len)
{
	if (len > s->len)
		log_panic("str_truncate: length %zu beyond %zu", len, s->len);
	s->len = len;
	if (s->data)
		s->data[len] = 0;
}

void str_append(str_t *s, const void *data, size_t len)
{
	size_t offset = 0;
	int own = str_owns(s, data);

	if (own)
		offset = (size_t)((const char *)data - s->data);
	str_reserve(s, len);
	if (own)
		data = s->data + offset;
	if (len)
		memmove(s->data + s->len, data, len);
	s->len += len;
	s->data[s->len] = 0;
}

void str_append_cstr(str_t *s, const char *cstr)
{
	str_append(s, cstr, strlen(cstr));
}

void str_putc(str_t *s, int c)
{
	char ch = (char)c;

	str_append(s, &ch, 1);
}

void str_vprintf(str_t *s, const char *fmt, va_list ap)
{
	va_list again;
	int n;

	str_reserve(s, 0);
	va_copy(again, ap);
	n = vsnprintf(s->data + s->len, s->cap - s->len, fmt, ap);
	if (n < 0)
		log_panic("str_vprintf: bad format \"%s\"", fmt);
	if ((size_t)n >= s->cap - s->len) {
		str_reserve(s, (size_t)n);
		vsnprintf(s->data + s->len, s->cap - s->len, fmt, again);
	}
	va_end(again);
	s->len += (size_t)n;
}

void str_printf(str_t *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	str_vprintf(s, fmt, ap);
	va_end(ap);
}

void str_set(str_t *s, const char *cstr)
{
	size_t len = strlen(cstr);

	/* cstr may point into s: it is never longer than s, so no growth. */
	str_reserve(s, len > s->len ? len - s->len : 0);
	memmove(s->data, cstr, len);
	s->len = len;
	s->data[len] = 0;
}

const char *str_cstr(str_t *s)
{
	return s->data ? s->data : "";
}

char *str_steal(str_t *s)
{
	char *data = s->data ? s->data : mem_strdup("");

	str_init(s);
	return data;
}

char *str_trim(char *cstr)
{
	char *end;

	while (isspace((unsigned char)*cstr))
		cstr++;
	end = cstr + strlen(cstr);
	while (end > cstr && isspace((unsigned char)end[-1]))
		*--end = 0;
	return cstr;
}

/* The letter of c's C escape (n for a newline), or 0 when it has none. */
static char str_c_escape(unsigned char c)
{
	switch (c) {
	case '\a': return 'a';
	case '\b': return 'b';
	case '\f': return 'f';
	case '\n': return 'n';
	case '\r': return 'r';
	case '\t': return 't';
	case '\v': return 'v';
	case '\\': return '\\';
	default: return 0;
	}
}

void str_append_escaped(str_t *s, const char *data, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)data[i];
		char letter = str_c_escape(c);

		if (letter)
			str_printf(s, "\\%c", letter);
		else if (c >= ' ' && c < 0x7f)
			str_putc(s, c);
		else
			str_printf(s, "\\%03o", c);
	}
}
