/*
 * smtp_nexthop: where a delivery goes. The next hop comes from qmgr in
 * Postfix's syntax:
 *
 *   [mail.example.org]:587   that host (or [192.0.2.1], [ipv6:2001:db8::1]),
 *                            no MX lookup; resolved with getaddrinfo, so
 *                            /etc/hosts counts
 *   example.org:2525         the MX hosts of example.org (lib/dns), or the
 *   example.org              domain's own addresses when it has no MX
 *
 * with port 25 when none is given. At most smtp_mx_address_limit
 * addresses are tried (0: SMTP_TARGETS_MAX). A name that does not exist
 * bounces (5.4.4), a null MX (RFC 7505) bounces with 5.1.10, and a
 * resolver that cannot answer now defers (4.4.3), in Postfix's words.
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "smtp.h"

#define SMTP_NEXTHOP_IPV6_PREFIX "ipv6:"

/* A port is a number or a service name. */
static int smtp_nexthop_port_ok(const char *port)
{
	size_t len = strlen(port);

	return len > 0 && len < SMTP_PORT_MAX
	    && strspn(port, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") == len;
}

int smtp_nexthop_parse(const char *text, smtp_nexthop_t *nh)
{
	const char *host = text, *end, *port = NULL;

	nh->mx = *text != '[';
	if (!nh->mx) {
		host = text + 1;
		if ((end = strchr(host, ']')) == NULL || (end[1] != 0 && end[1] != ':'))
			return -1;
		port = end[1] == ':' ? end + 2 : NULL;
		if (strncasecmp(host, SMTP_NEXTHOP_IPV6_PREFIX, strlen(SMTP_NEXTHOP_IPV6_PREFIX)) == 0)
			host += strlen(SMTP_NEXTHOP_IPV6_PREFIX);
	} else {
		end = strchr(text, ':');
		port = end ? end + 1 : NULL;
		end = end ? end : text + strlen(text);
	}
	if (end == host || (size_t)(end - host) >= sizeof(nh->host)
	    || memchr(host, '[', (size_t)(end - host)) != NULL)
		return -1;
	snprintf(nh->host, sizeof(nh->host), "%.*s", (int)(end - host), host);
	snprintf(nh->port, sizeof(nh->port), "%s", port ? port : SMTP_DEFAULT_PORT);
	return smtp_nexthop_port_ok(port ? port : SMTP_DEFAULT_PORT) && strlen(nh->host) > 0 ? 0 : -1;
}

static size_t smtp_nexthop_limit(void)
{
	long limit = smtp_conf.mx_address_limit;

	return limit <= 0 || limit > SMTP_TARGETS_MAX ? SMTP_TARGETS_MAX : (size_t)limit;
}

/* Append what getaddrinfo finds for host (numeric or not) and port. */
static int smtp_nexthop_gai(const char *shown, const char *host, const char *port,
			    smtp_targets_t *out)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_protocol = IPPROTO_TCP };
	struct addrinfo *res, *ai;
	int rc = getaddrinfo(host, port, &hints, &res);

	if (rc != 0)
		return rc;
	for (ai = res; ai && out->count < smtp_nexthop_limit(); ai = ai->ai_next) {
		smtp_target_t *t = &out->t[out->count];
		const void *addr = ai->ai_family == AF_INET6
			? (const void *)&((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr
			: (const void *)&((struct sockaddr_in *)ai->ai_addr)->sin_addr;

		if ((ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
		    || ai->ai_addrlen > sizeof(t->sa)
		    || inet_ntop(ai->ai_family, addr, t->addr, sizeof(t->addr)) == NULL)
			continue;
		snprintf(t->host, sizeof(t->host), "%s", shown);
		memcpy(&t->sa, ai->ai_addr, ai->ai_addrlen);
		t->salen = ai->ai_addrlen;
		out->count++;
	}
	freeaddrinfo(res);
	return 0;
}

/* [host]: no MX lookup. */
static int smtp_nexthop_literal(const smtp_nexthop_t *nh, smtp_targets_t *out, smtp_status_t *why)
{
	int rc = smtp_nexthop_gai(nh->host, nh->host, nh->port, out);

	if (rc == 0 && out->count > 0)
		return 0;
	if (rc == EAI_NONAME || rc == EAI_NODATA || rc == 0)
		smtp_status_set(why, "5.4.4", "Host or domain name not found. Name service error "
				"for name=%s type=A: Host not found", nh->host);
	else if (rc == EAI_SERVICE)
		smtp_status_set(why, "4.3.5", "unknown service %s/tcp", nh->port);
	else
		smtp_status_set(why, "4.4.3", "Host or domain name not found. Name service error "
				"for name=%s type=A: %s", nh->host, gai_strerror(rc));
	return -1;
}

/* The addresses of one host found in DNS; the dns status. */
static int smtp_nexthop_host(const char *host, const char *port, smtp_targets_t *out, str_t *why)
{
	dns_addr_list_t list;
	char text[SMTP_ADDR_TEXT_MAX];
	int status = dns_lookup_addr(host, AF_UNSPEC, &list, why);

	for (size_t i = 0; status == DNS_OK && i < list.count; i++) {
		if (inet_ntop(list.addr[i].family, list.addr[i].addr, text, sizeof(text)) != NULL
		    && smtp_nexthop_gai(host, text, port, out) == EAI_SERVICE)
			return DNS_INVALID;
	}
	return status;
}

static void smtp_nexthop_dns_fail(int status, const str_t *dns_why, smtp_status_t *why)
{
	const char *text = dns_why->len ? dns_why->data : "Host not found";

	if (status == DNS_NOTFOUND)
		smtp_status_set(why, "5.4.4", "Host or domain name not found. %s", text);
	else
		smtp_status_set(why, "4.4.3", "Host or domain name not found. %s", text);
}

/* example.org: its MX hosts in order, or its own addresses. */
static int smtp_nexthop_mx(const smtp_nexthop_t *nh, smtp_targets_t *out, smtp_status_t *why)
{
	dns_mx_list_t mx;
	str_t dns_why = STR_INIT;
	int status = dns_lookup_mx(nh->host, &mx, &dns_why), retry = 0;

	if (status == DNS_NULLMX) {
		smtp_status_set(why, "5.1.10", "Domain %s does not accept mail (nullMX)", nh->host);
	} else if (status == DNS_NOTFOUND) {
		str_reset(&dns_why);
		status = smtp_nexthop_host(nh->host, nh->port, out, &dns_why);
	} else if (status == DNS_OK) {
		for (size_t i = 0; i < mx.count && out->count < smtp_nexthop_limit(); i++) {
			str_reset(&dns_why);
			retry |= smtp_nexthop_host(mx.mx[i].host, nh->port, out, &dns_why) != DNS_NOTFOUND;
		}
		status = out->count ? DNS_OK : retry ? DNS_RETRY : DNS_NOTFOUND;
	}
	if (status == DNS_OK && out->count == 0)
		status = DNS_NOTFOUND;
	if (status != DNS_OK && status != DNS_NULLMX)
		smtp_nexthop_dns_fail(status, &dns_why, why);
	str_free(&dns_why);
	return status == DNS_OK && out->count > 0 ? 0 : -1;
}

int smtp_nexthop_targets(const smtp_nexthop_t *nh, smtp_targets_t *out, smtp_status_t *why)
{
	out->count = 0;
	return nh->mx ? smtp_nexthop_mx(nh, out, why) : smtp_nexthop_literal(nh, out, why);
}
