/*
 * addr_list: the addresses in an RFC 5322 address list, as a To:, Cc: or
 * Bcc: header field holds them and as sendmail takes them on its command
 * line:
 *
 *   "Doe, Jane" <jane@example.org>, bob@example.org (Bob),
 *   team: ann@example.org, <joe@example.org>; undisclosed-recipients:;
 *
 * Display names, comments and group names are dropped, a source route
 * ("<@relay:joe@example.org>") too; each mailbox gives its addr-spec in
 * wire form, quotes kept ("\"john doe\"@example.org"), without white space.
 * An empty mailbox ("<>", an empty group) gives nothing. The result still
 * has to pass addr_parse_path; this only finds where the addresses are.
 */
#ifndef POCHTA_ADDR_LIST_H
#define POCHTA_ADDR_LIST_H

#include <stddef.h>

#include "str.h"

#define ADDR_LIST_COMMENT_DEPTH_MAX 32	/* nested comments "(a (b))" */

/* Append each address to out, ended by a NUL, and add their number to
 * *count. 0, or -1 with nothing appended when a quoted string, comment,
 * domain literal or angle bracket is not closed (or comments nest too
 * deep). */
int addr_list_parse(const char *text, str_t *out, size_t *count);

#endif
