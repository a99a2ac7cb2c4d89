/*
 * smtpd_mynet: the mynetworks list ("127.0.0.0/8 [::1]/128 10.1.2.3"),
 * parsed once into address/prefix pairs, and the test whether a client
 * address is in it. A bad entry is a fatal configuration error, as in
 * Postfix; table lookups ("type:name") are not supported yet.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "log.h"
#include "mem.h"
#include "smtpd.h"

#define SMTPD_MYNET_TEXT_MAX 80		/* one "[address]/bits" entry */

/* Clear the bits past the prefix. */
static void smtpd_mynet_mask(unsigned char *addr, size_t size, int bits)
{
	for (size_t i = 0; i < size; i++) {
		int keep = bits - (int)i * 8;

		if (keep <= 0)
			addr[i] = 0;
		else if (keep < 8)
			addr[i] &= (unsigned char)(0xff << (8 - keep));
	}
}

static int smtpd_mynet_bits(const char *text, int max)
{
	char *end;
	long bits;

	if (text == NULL)
		return max;
	bits = strtol(text, &end, 10);
	if (*text < '0' || *text > '9' || *end != 0 || bits > max)
		return -1;
	return (int)bits;
}

/* One entry; -1 when it is not an address or network. */
static int smtpd_mynet_entry(const char *item, smtpd_net_t *net)
{
	char text[SMTPD_MYNET_TEXT_MAX];
	char *slash;
	char *host = text;

	if (strlen(item) >= sizeof(text))
		return -1;
	strcpy(text, item);
	slash = strchr(text, '/');
	if (slash)
		*slash++ = 0;
	if (*host == '[') {
		size_t len = strlen(host);

		if (len < 2 || host[len - 1] != ']')
			return -1;
		host[len - 1] = 0;
		host++;
	}
	memset(net, 0, sizeof(*net));
	net->family = strchr(host, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(net->family, host, net->addr) != 1)
		return -1;
	net->bits = smtpd_mynet_bits(slash, net->family == AF_INET ? 32 : 128);
	if (net->bits < 0)
		return -1;
	smtpd_mynet_mask(net->addr, net->family == AF_INET ? 4 : 16, net->bits);
	return 0;
}

/* "type:name" or "/file": a lookup table rather than a network. */
static int smtpd_mynet_is_table(const char *item)
{
	size_t type_len = strspn(item, "abcdefghijklmnopqrstuvwxyz");

	return item[0] == '/' || (type_len > 0 && item[type_len] == ':');
}

void smtpd_mynet_parse(const char *value, smtpd_mynet_t *list)
{
	size_t count;
	char **items = conf_split_list(value, &count);

	list->nets = mem_calloc(count, sizeof(*list->nets));
	list->count = 0;
	for (size_t i = 0; i < count; i++) {
		if (smtpd_mynet_entry(items[i], &list->nets[list->count]) == 0)
			list->count++;
		else if (smtpd_mynet_is_table(items[i]))
			log_warning("mynetworks: table %s is not supported yet, ignored", items[i]);
		else
			log_fatal("bad mynetworks entry: %s", items[i]);
	}
	conf_free_list(items, count);
}

int smtpd_mynet_match(const smtpd_mynet_t *list, const struct sockaddr_storage *sa)
{
	unsigned char addr[16];
	int family = sa->ss_family;

	if (family == AF_INET)
		memcpy(addr, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	else if (family == AF_INET6)
		memcpy(addr, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
	else
		return 0;
	for (size_t i = 0; i < list->count; i++) {
		const smtpd_net_t *net = &list->nets[i];
		unsigned char masked[16];
		size_t size = family == AF_INET ? 4 : 16;

		if (net->family != family)
			continue;
		memcpy(masked, addr, size);
		smtpd_mynet_mask(masked, size, net->bits);
		if (memcmp(masked, net->addr, size) == 0)
			return 1;
	}
	return 0;
}
