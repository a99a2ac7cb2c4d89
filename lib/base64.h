/*
 * base64: RFC 4648 base64 for SASL exchanges (RFC 4954), where a sloppy
 * decoder would be a way to smuggle bytes past a check.
 *
 * base64_encode appends the padded encoding of len bytes. base64_decode
 * is strict: only the 64 letters, a length that is a multiple of four,
 * "=" padding only at the very end (at most two), and unused bits in the
 * last letter zero - anything else is an error, not skipped. The empty
 * text decodes to no bytes.
 */
#ifndef POCHTA_BASE64_H
#define POCHTA_BASE64_H

#include <stddef.h>
#include "str.h"

/* Letters needed for len bytes, padding included. */
#define BASE64_ENCODED_LEN(len) ((((len) + 2) / 3) * 4)

void base64_encode(const void *data, size_t len, str_t *out);	/* appends */
/* Appends the decoded bytes to out; 0, or -1 (out unchanged) when bad. */
int base64_decode(const char *text, size_t len, str_t *out);

#endif
