/*
 * resolve: what class a recipient address belongs to and where its mail
 * goes. Used by smtpd (to refuse unknown recipients at RCPT time) and by
 * qmgr/local (to deliver), so both judge an address the same way.
 *
 * virtual:  the domain is in virtual_mailbox_domains; the mailbox comes from
 *           virtual_mailbox_maps (a path under virtual_mailbox_base; a
 *           trailing "/" means Maildir).
 * local:    the domain is in mydestination; the local part is a system user
 *           (getpwnam), whose Maildir is ~/Maildir/.
 * relay:    any other domain (mail for elsewhere).
 *
 * A domain in both lists is virtual. An address without a domain belongs to
 * $myorigin. See resolve.c for how a table in a domain list matches.
 */
#ifndef POCHTA_RESOLVE_H
#define POCHTA_RESOLVE_H

#include "str.h"

enum resolve_class { RESOLVE_VIRTUAL, RESOLVE_LOCAL, RESOLVE_RELAY };

typedef struct resolve_result {
	enum resolve_class cls;
	int found;		/* virtual/local: the mailbox exists; relay: always 1 */
	str_t mailbox;		/* virtual: path under virtual_mailbox_base; local: user name */
	str_t domain;		/* lower-cased domain */
} resolve_result_t;

/* Open the tables named in main.cf (call before dropping privileges). 0, or -1 with err. */
int resolve_init(str_t *err);
void resolve_result_init(resolve_result_t *res);
void resolve_result_free(resolve_result_t *res);
/* 0, or -1 on a temporary lookup error (message in res->mailbox). */
int resolve_address(const char *addr, resolve_result_t *res);
void resolve_close(void);

#endif
