/*
 * addr: RFC 5321 mailbox and path syntax.
 *
 * Parses the "<path>" argument of MAIL FROM and RCPT TO (with optional
 * source route, quoted local parts, address literals, and the null path
 * "<>"), returns the address in its internal form (the local part with its
 * quotes and backslashes removed; addr_quote puts them back) and where the
 * ESMTP parameters begin. Also splits addresses at the last "@", quotes
 * a local part for the wire, and tells whether an address is ASCII, UTF-8
 * (RFC 6531, SMTPUTF8) or neither.
 */
#ifndef POCHTA_ADDR_H
#define POCHTA_ADDR_H

#include <stddef.h>
#include "str.h"

#define ADDR_LOCAL_MAX 64	/* RFC 5321 4.5.3.1.1 */
#define ADDR_DOMAIN_MAX 255
#define ADDR_PATH_MAX 256

enum addr_flags {
	ADDR_ALLOW_NULL = 1,	/* "<>" is valid (MAIL FROM) */
	ADDR_ALLOW_8BIT = 2,	/* 8-bit bytes count as letters: check with addr_charset */
	ADDR_ALLOW_NOBRACKETS = 4, /* accept a path without "<>" (like Postfix's default) */
};

/*
 * Parse a path at the start of text (after "FROM:" or "TO:"; leading spaces
 * allowed). On success returns 0, the address in out ("" for "<>"), and
 * *rest pointing after the path (at the parameters, spaces skipped). On
 * error returns -1 and a short reason in *why ("501 5.1.7 Bad sender
 * address syntax" style text is the caller's).
 */
int addr_parse_path(const char *text, int flags, str_t *out, const char **rest, const char **why);

/*
 * What the 8-bit bytes of an address are: none, well-formed UTF-8 (RFC
 * 3629: no overlong forms, no surrogates, nothing past U+10FFFF), or
 * anything else, which no SMTP extension allows.
 */
enum addr_charset { ADDR_ASCII, ADDR_UTF8, ADDR_NOT_UTF8 };
enum addr_charset addr_charset(const char *addr);

/* An RFC 5322 atom: len > 0 characters of ASCII atext (DSN's addr-type). */
int addr_atom_valid(const char *text, size_t len);

/* Split at the last "@": local part and domain ("" when there is none). */
void addr_split(const char *addr, str_t *local, str_t *domain);
/* Append addr in wire form: local part quoted if it needs to be. */
void addr_quote(const char *addr, str_t *out);

#endif
