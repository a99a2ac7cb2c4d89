/*
 * dns: MX and address lookups for mail domains.
 *
 * Queries go through the system resolver (/etc/resolv.conf, one resolver
 * state per process) with no search-list expansion: a mail domain is
 * always absolute. The answers are parsed here, under strict bounds, by
 * dns_parse_mx and dns_parse_addr, which are pure functions of a packet
 * (dns_parse.c) so that every malformed case can be tested directly.
 *
 * Every lookup gives one of the dns_status values; "why" (may be NULL)
 * then holds a Postfix-style reason ("Name service error for name=x
 * type=MX: Host not found"). The SMTP client asks dns_lookup_mx first and,
 * on DNS_NOTFOUND only, uses the domain's own addresses (RFC 5321 5.1);
 * DNS_NULLMX (RFC 7505) means the domain accepts no mail at all.
 */
#ifndef POCHTA_DNS_H
#define POCHTA_DNS_H

#include <stddef.h>

#include "str.h"

#define DNS_NAME_MAX 253	/* a name in text form, without the trailing dot */
#define DNS_MX_MAX 32		/* MX records kept from one answer */
#define DNS_ADDR_MAX 32		/* addresses kept from one lookup */
#define DNS_CNAME_MAX 8		/* CNAME links followed within one answer */
#define DNS_PACKET_MAX 65535	/* the largest answer (TCP length field) */

enum dns_status {
	DNS_OK,			/* records found */
	DNS_NOTFOUND,		/* NXDOMAIN, or no record of that type */
	DNS_RETRY,		/* SERVFAIL, timeout, no server: try later */
	DNS_INVALID,		/* a malformed answer, or a name that cannot be asked */
	DNS_NULLMX		/* MX lookup: "0 ." alone, the domain accepts no mail */
};

/* Record types, as on the wire. */
enum dns_type { DNS_TYPE_A = 1, DNS_TYPE_CNAME = 5, DNS_TYPE_MX = 15, DNS_TYPE_AAAA = 28 };

typedef struct dns_mx {
	unsigned pref;
	char host[DNS_NAME_MAX + 1];	/* in lower case, without the trailing dot */
} dns_mx_t;

typedef struct dns_mx_list {
	size_t count;
	dns_mx_t mx[DNS_MX_MAX];
} dns_mx_list_t;

typedef struct dns_addr {
	int family;			/* AF_INET or AF_INET6 */
	unsigned char addr[16];		/* network order; 4 bytes used for AF_INET */
} dns_addr_t;

typedef struct dns_addr_list {
	size_t count;
	dns_addr_t addr[DNS_ADDR_MAX];
} dns_addr_list_t;

/* The domain's MX records, sorted by preference, equal preferences in
 * random order. */
int dns_lookup_mx(const char *domain, dns_mx_list_t *list, str_t *why);
/* The host's addresses: family AF_INET (A), AF_INET6 (AAAA) or AF_UNSPEC
 * (A, then AAAA; DNS_OK when either has some, else DNS_RETRY when either
 * failed for now). */
int dns_lookup_addr(const char *host, int family, dns_addr_list_t *list, str_t *why);
/* Sort by preference, shuffling records of equal preference. */
void dns_mx_sort(dns_mx_list_t *list);

/* dns_parse.c: the answer in pkt to a query for name (a trailing dot
 * allowed), CNAMEs within the answer followed. dns_parse_mx replaces the
 * list (unsorted); dns_parse_addr (type DNS_TYPE_A or DNS_TYPE_AAAA)
 * appends to it. Records beyond the list's size are dropped. */
int dns_parse_mx(const unsigned char *pkt, size_t len, const char *name, dns_mx_list_t *list);
int dns_parse_addr(const unsigned char *pkt, size_t len, const char *name, int type,
		   dns_addr_list_t *list);

#endif
