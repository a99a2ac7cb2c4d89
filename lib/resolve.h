/*
 * resolve: what class a recipient address belongs to and where its mail
 * goes. Used by smtpd (to refuse unknown recipients at RCPT time) and by
 * qmgr/local (to deliver), so both judge an address the same way. The
 * classes are Postfix's (ADDRESS_CLASS_README):
 *
 * virtual:  the domain is in virtual_mailbox_domains; the mailbox comes from
 *           virtual_mailbox_maps (a path under virtual_mailbox_base; a
 *           trailing "/" means Maildir).
 * local:    the domain is in mydestination; the recipient exists when
 *           local_recipient_maps (default "unix:passwd.byname $alias_maps")
 *           knows the local part, or always when it is empty; the mailbox
 *           is the local part (folded).
 * alias:    the domain is in virtual_alias_domains: its addresses exist only
 *           as keys of virtual_alias_maps, which rewrite.h applies before
 *           an address is resolved, so an alias-class address is unknown.
 * relay domain: the domain is in relay_domains (empty by default, as in
 *           Postfix 3 with compatibility_level 2): mail for elsewhere that
 *           is accepted from any client.
 * relay:    any other domain (mail for elsewhere, from mynetworks only).
 *
 * Mailboxes and local recipients are looked up with recipient_delimiter
 * in Postfix's order (dict_addr.h). An address without a domain belongs
 * to $myorigin. See resolve.c for how a table in a domain list matches
 * and which class wins for a domain in more than one list.
 */
#ifndef POCHTA_RESOLVE_H
#define POCHTA_RESOLVE_H

#include "str.h"

enum resolve_class {
	RESOLVE_VIRTUAL, RESOLVE_LOCAL, RESOLVE_RELAY, RESOLVE_ALIAS, RESOLVE_RELAY_DOMAIN
};

typedef struct resolve_result {
	enum resolve_class cls;
	int found;		/* virtual/local: the mailbox exists; alias: 0; relay: 1 */
	str_t mailbox;		/* virtual: path under virtual_mailbox_base; local: user name */
	str_t domain;		/* lower-cased domain */
} resolve_result_t;

/* Open the tables named in main.cf (call before dropping privileges). 0, or -1 with err. */
int resolve_init(str_t *err);
void resolve_result_init(resolve_result_t *res);
void resolve_result_free(resolve_result_t *res);
/* 0, or -1 on a temporary lookup error (message in res->mailbox). */
int resolve_address(const char *addr, resolve_result_t *res);
/* Is domain $myorigin or in mydestination (where a bare "user" key
 * applies in address lookups)? 1 yes, 0 no, -1 table error (in why). */
int resolve_domain_local(const char *domain, str_t *why);
void resolve_close(void);

#endif
