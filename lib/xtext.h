/*
 * xtext: the RFC 3461 encoding of ESMTP parameter values that may hold
 * any byte (AUTH= of RFC 4954, ENVID= and ORCPT= of DSN): printable
 * ASCII stands for itself except "+" and "=", and "+XX" (two upper-case
 * hex digits) stands for any byte; and its Unicode form of RFC 6533.
 */
#ifndef POCHTA_XTEXT_H
#define POCHTA_XTEXT_H

#include "str.h"

/* Append text encoded: "+XX" for "+", "=" and any byte that is not
 * printable ASCII. */
void xtext_encode(const char *text, str_t *out);

/* Replace out with the decoded text; 0, or -1 when text is not xtext or
 * decodes to a NUL or another control byte. */
int xtext_decode(const char *text, str_t *out);

/* The same for RFC 6533's utf-8-addr-xtext (ORCPT=utf-8;...): printable
 * ASCII but "+", "=" and "\" stands for itself, "\x{HEX}" (2 to 6
 * upper-case hex digits, a leading zero only in 2) for any Unicode
 * character, which lands in out as UTF-8. -1 also for a surrogate, a code
 * point past U+10FFFF or a control character. */
int xtext_decode_utf8(const char *text, str_t *out);

#endif
