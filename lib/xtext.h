/*
 * xtext: the RFC 3461 encoding of ESMTP parameter values that may hold
 * any byte (AUTH= of RFC 4954, ENVID= and ORCPT= of DSN): printable
 * ASCII stands for itself except "+" and "=", and "+XX" (two upper-case
 * hex digits) stands for any byte.
 */
#ifndef POCHTA_XTEXT_H
#define POCHTA_XTEXT_H

#include "str.h"

/* Replace out with the decoded text; 0, or -1 when text is not xtext or
 * decodes to a NUL or another control byte. */
int xtext_decode(const char *text, str_t *out);

#endif
