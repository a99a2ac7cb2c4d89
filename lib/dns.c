/*
 * dns: MX and address lookups through the system resolver (see dns.h).
 *
 * Each query is built with res_nmkquery and sent with res_nsend, so the
 * name is asked exactly as given (no search list or default domain: those
 * belong to res_nsearch) and every reply, whatever its rcode, reaches the
 * parser (dns_parse.c). The resolver state is this process's,
 * read from /etc/resolv.conf at the first lookup. A query that gets no
 * usable reply (timeout, no server, SERVFAIL from every server) is
 * DNS_RETRY: mail waits rather than bounces.
 */
#include <arpa/nameser.h>
#include <netinet/in.h>
#include <resolv.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"
#include "mem.h"

#define DNS_QUERY_MAX 512	/* one question fits a classic UDP message */

static struct __res_state dns_res;
static int dns_res_ready;

static const char *dns_type_name(int type)
{
	switch (type) {
	case DNS_TYPE_A:
		return "A";
	case DNS_TYPE_AAAA:
		return "AAAA";
	default:
		return "MX";
	}
}

/* Postfix's wording for each outcome. */
static const char *dns_status_text(int status)
{
	switch (status) {
	case DNS_NOTFOUND:
		return "Host not found";
	case DNS_RETRY:
		return "Host not found, try again";
	default:
		return "Malformed or unexpected name server reply";
	}
}

static void dns_why(str_t *why, const char *name, int type, int status)
{
	if (why == NULL)
		return;
	str_reset(why);
	if (status == DNS_NULLMX)
		str_printf(why, "Domain %s does not accept mail (nullMX)", name);
	else
		str_printf(why, "Name service error for name=%s type=%s: %s", name,
			   dns_type_name(type), dns_status_text(status));
}

static int dns_init(void)
{
	if (dns_res_ready)
		return 0;
	memset(&dns_res, 0, sizeof(dns_res));
	if (res_ninit(&dns_res) < 0)
		return -1;
	dns_res_ready = 1;
	return 0;
}

/* Ask for name's records of type and parse the reply into mx or addr. */
static int dns_query(const char *name, int type, dns_mx_list_t *mx, dns_addr_list_t *addr)
{
	unsigned char query[DNS_QUERY_MAX];
	unsigned char *answer;
	int qlen, alen, status;

	if (dns_init() < 0)
		return DNS_RETRY;
	qlen = res_nmkquery(&dns_res, ns_o_query, name, ns_c_in, type, NULL, 0, NULL, query,
			    sizeof(query));
	if (qlen < 0)
		return DNS_INVALID;	/* not a name the DNS can hold */
	answer = mem_alloc(DNS_PACKET_MAX);
	alen = res_nsend(&dns_res, query, qlen, answer, DNS_PACKET_MAX);
	if (alen > DNS_PACKET_MAX)
		alen = DNS_PACKET_MAX;	/* glibc reports a longer reply's full length */
	if (alen < 0)
		status = DNS_RETRY;
	else if (type == DNS_TYPE_MX)
		status = dns_parse_mx(answer, (size_t)alen, name, mx);
	else
		status = dns_parse_addr(answer, (size_t)alen, name, type, addr);
	mem_free(answer);
	return status;
}

int dns_lookup_mx(const char *domain, dns_mx_list_t *list, str_t *why)
{
	int status;

	list->count = 0;
	status = dns_query(domain, DNS_TYPE_MX, list, NULL);
	if (status == DNS_OK)
		dns_mx_sort(list);
	else
		dns_why(why, domain, DNS_TYPE_MX, status);
	return status;
}

/* A and AAAA together: found in either, else a failure for now in
 * either, else a malformed reply, else not found. */
static int dns_combine(int a, int aaaa)
{
	static const int order[] = { DNS_OK, DNS_RETRY, DNS_INVALID, DNS_NOTFOUND };

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (a == order[i] || aaaa == order[i])
			return order[i];
	return a;
}

int dns_lookup_addr(const char *host, int family, dns_addr_list_t *list, str_t *why)
{
	int type, status;

	list->count = 0;
	if (family == AF_INET || family == AF_INET6) {
		type = family == AF_INET ? DNS_TYPE_A : DNS_TYPE_AAAA;
		status = dns_query(host, type, NULL, list);
	} else {
		int a = dns_query(host, DNS_TYPE_A, NULL, list);
		int aaaa = dns_query(host, DNS_TYPE_AAAA, NULL, list);

		status = dns_combine(a, aaaa);
		type = status == a ? DNS_TYPE_A : DNS_TYPE_AAAA;
	}
	if (status != DNS_OK)
		dns_why(why, host, type, status);
	return status;
}

void dns_mx_sort(dns_mx_list_t *list)
{
	dns_mx_t rec;

	/* A shuffle, then a stable sort by preference. */
	for (size_t i = list->count; i > 1; i--) {
		size_t j = arc4random_uniform((uint32_t)i);

		rec = list->mx[i - 1];
		list->mx[i - 1] = list->mx[j];
		list->mx[j] = rec;
	}
	for (size_t i = 1; i < list->count; i++) {
		size_t j = i;

		rec = list->mx[i];
		for (; j > 0 && list->mx[j - 1].pref > rec.pref; j--)
			list->mx[j] = list->mx[j - 1];
		list->mx[j] = rec;
	}
}
