/*
 * rewrite: the address rewriting done as mail is queued, so that the
 * queue file holds the final recipients (Postfix's cleanup, see
 * ADDRESS_REWRITING_README):
 *
 *   sender      sender_canonical_maps, then canonical_maps (one-to-one)
 *   recipient   recipient_canonical_maps, then canonical_maps
 *               (one-to-one), then virtual_alias_maps (one-to-many)
 *
 * Every lookup follows Postfix's order for addresses (dict_addr.h) with
 * recipient_delimiter; the bare "user" key counts only for $myorigin and
 * the domains of mydestination, so resolve_init must have run. A table
 * value is a list of addresses separated by commas or white space; one
 * without a domain gets "@$myorigin".
 *
 * One-to-one: the first address of the value replaces the address, and
 * the result is looked up again until it maps to itself or finds nothing
 * (at most REWRITE_CANONICAL_DEPTH times).
 *
 * Virtual alias expansion: each address is replaced by its value's
 * addresses, which are expanded in turn; an address that expands into a
 * list containing itself keeps that copy unexpanded (a mailbox plus
 * forwarding). More than virtual_alias_recursion_limit rewrites of one
 * address (an alias loop) or more than virtual_alias_expansion_limit
 * addresses is an expansion error; Postfix refuses such mail for now
 * ("4.6.0 Alias expansion error"), and so does Pochta.
 */
#ifndef POCHTA_REWRITE_H
#define POCHTA_REWRITE_H

#include <stddef.h>

#include "str.h"

#define REWRITE_CANONICAL_DEPTH 10	/* one-to-one rewrites of one address */

enum rewrite_status {
	REWRITE_OK = 0,
	REWRITE_LOOKUP_ERROR = -1,	/* a table cannot be read now */
	REWRITE_EXPANSION_ERROR = -2	/* a loop or too many addresses */
};

/* Open the tables named in main.cf (call before dropping privileges). 0, or -1 with err. */
int rewrite_init(str_t *err);
void rewrite_close(void);
/* The canonical form of an envelope sender ("" stays ""), in out. A
 * rewrite_status; on an error why says what happened, for the log. */
int rewrite_sender(const char *addr, str_t *out, str_t *why);
/* The canonical form of a recipient, in out. */
int rewrite_recipient(const char *addr, str_t *out, str_t *why);
/* The virtual alias expansion of a recipient: out gets the final
 * addresses, each ended by a NUL, without repeats (the address itself
 * when it has no alias), and count their number. */
int rewrite_virtual_alias(const char *addr, str_t *out, size_t *count, str_t *why);

#endif
