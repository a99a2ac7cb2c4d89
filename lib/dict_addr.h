/*
 * dict_addr: looking an address up in a table in Postfix's order
 * (virtual(5), aliases(5)): the first form found wins.
 *
 *   user+ext@domain   the address as given
 *   user@domain       without the extension (only with recipient_delimiter)
 *   user+ext          the local part alone, only with DICT_ADDR_LOCAL: a
 *   user              local table, or a domain in mydestination
 *   @domain           the catch-all for the domain
 *
 * delimiters is recipient_delimiter: each of its characters starts an
 * extension (the first one in the local part wins); "" means addresses
 * have no extensions. As in Postfix, a local part that starts with a
 * delimiter, "postmaster", "mailer-daemon", and (when "-" is a delimiter)
 * "owner-..." and "...-request" are never split. An address without "@"
 * is a local part: "user+ext", then "user". Keys are folded to lower case.
 */
#ifndef POCHTA_DICT_ADDR_H
#define POCHTA_DICT_ADDR_H

#include "dict.h"

#define DICT_ADDR_LOCAL 0x1	/* also try the local part alone */

/* 1 found (value set), 0 not found, -1 temporary error (message in value). */
int dict_lookup_addr(dict_t *dict, const char *addr, const char *delimiters, int flags,
		     str_t *value);

/* The length of the local part (len bytes) without its extension, by the
 * rules above; len when it has none. */
size_t dict_addr_unextended(const char *local, size_t len, const char *delimiters);

#endif
