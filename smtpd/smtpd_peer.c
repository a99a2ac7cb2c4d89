/*
 * smtpd_peer: who the client is - its address from getpeername, and its
 * name from a reverse lookup that the forward lookup confirms (otherwise
 * "unknown", as Postfix does), so a client cannot pick its own name.
 * A process that only tells clients it is busy skips the name: a slow
 * name server must not delay that answer.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "smtpd.h"

#define SMTPD_UNKNOWN "unknown"

/* IPv4 clients on an IPv6 socket arrive as ::ffff:a.b.c.d; use a.b.c.d. */
static void smtpd_peer_unmap(struct sockaddr_storage *sa)
{
	struct sockaddr_in6 six;
	struct sockaddr_in *four = (struct sockaddr_in *)sa;

	if (sa->ss_family != AF_INET6)
		return;
	memcpy(&six, sa, sizeof(six));
	if (!IN6_IS_ADDR_V4MAPPED(&six.sin6_addr))
		return;
	memset(sa, 0, sizeof(*sa));
	four->sin_family = AF_INET;
	four->sin_port = six.sin6_port;
	memcpy(&four->sin_addr, &six.sin6_addr.s6_addr[12], 4);
}

static socklen_t smtpd_peer_len(const struct sockaddr_storage *sa)
{
	return sa->ss_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
}

/* Does name resolve back to the client's address? */
static int smtpd_peer_confirm(const char *name, const char *addr)
{
	struct addrinfo hints;
	struct addrinfo *res;
	int found = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(name, NULL, &hints, &res) != 0)
		return 0;
	for (struct addrinfo *ai = res; ai && !found; ai = ai->ai_next) {
		struct sockaddr_storage sa;
		char text[SMTPD_ADDR_MAX];

		memset(&sa, 0, sizeof(sa));
		memcpy(&sa, ai->ai_addr, ai->ai_addrlen);
		smtpd_peer_unmap(&sa);
		if (getnameinfo((struct sockaddr *)&sa, smtpd_peer_len(&sa), text, sizeof(text),
				NULL, 0, NI_NUMERICHOST) == 0)
			found = strcasecmp(text, addr) == 0;
	}
	freeaddrinfo(res);
	return found;
}

void smtpd_peer_lookup(int fd, smtpd_peer_t *peer, int with_name)
{
	socklen_t len = sizeof(peer->sa);

	memset(peer, 0, sizeof(*peer));
	snprintf(peer->addr, sizeof(peer->addr), SMTPD_UNKNOWN);
	snprintf(peer->name, sizeof(peer->name), SMTPD_UNKNOWN);
	if (getpeername(fd, (struct sockaddr *)&peer->sa, &len) == 0
	    && (peer->sa.ss_family == AF_INET || peer->sa.ss_family == AF_INET6)) {
		smtpd_peer_unmap(&peer->sa);
		peer->known = getnameinfo((struct sockaddr *)&peer->sa, smtpd_peer_len(&peer->sa),
					  peer->addr, sizeof(peer->addr), NULL, 0, NI_NUMERICHOST) == 0;
	}
	if (with_name && peer->known
	    && (getnameinfo((struct sockaddr *)&peer->sa, smtpd_peer_len(&peer->sa),
			    peer->name, sizeof(peer->name), NULL, 0, NI_NAMEREQD) != 0
		|| !smtpd_peer_confirm(peer->name, peer->addr)))
		snprintf(peer->name, sizeof(peer->name), SMTPD_UNKNOWN);
	snprintf(peer->namaddr, sizeof(peer->namaddr), "%s[%s]", peer->name, peer->addr);
}
