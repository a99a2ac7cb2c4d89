/*
 * str: growable byte strings.
 *
 * A str_t always keeps a NUL after its last byte, so s->data is usable as a
 * C string when the content has no NUL of its own. Start with STR_INIT or
 * str_init(); release with str_free(). Appends never fail (see mem.h).
 */
#ifndef POCHTA_STR_H
#define POCHTA_STR_H

#include <stdarg.h>
#include <stddef.h>

typedef struct str {
	char *data;		/* NUL-terminated; NULL only before the first append */
	size_t len;		/* bytes in use, excluding the NUL */
	size_t cap;		/* allocated bytes */
} str_t;

#define STR_INIT { NULL, 0, 0 }

void str_init(str_t *s);
void str_free(str_t *s);
void str_reset(str_t *s);			/* len = 0, keeps the buffer */
void str_truncate(str_t *s, size_t len);	/* len <= s->len */
void str_append(str_t *s, const void *data, size_t len);
void str_append_cstr(str_t *s, const char *cstr);
void str_putc(str_t *s, int c);
void str_printf(str_t *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));	/* appends */
void str_vprintf(str_t *s, const char *fmt, va_list ap);
void str_set(str_t *s, const char *cstr);	/* replace the content */
const char *str_cstr(str_t *s);			/* never NULL ("" when empty) */
char *str_steal(str_t *s);			/* caller owns the buffer; s is empty after */

/* Trim white space at both ends of a C string, in place; returns the start. */
char *str_trim(char *cstr);

/* Append len bytes of untrusted data as the mail log shows them: C
 * escapes (\r, \n, \\, ...) and \ooo for other unprintable bytes. */
void str_append_escaped(str_t *s, const char *data, size_t len);

#endif
