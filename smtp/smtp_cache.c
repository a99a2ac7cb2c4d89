/*
 * smtp_cache: connection reuse. After a delivery the session stays open,
 * idle, for up to smtp_connection_cache_time_limit (2s) while the agent
 * waits for qmgr's next request; a request for the same next hop takes it
 * after an RSET, so a stream of messages to one destination pays for one
 * connection, greeting, EHLO, TLS handshake and AUTH. A request for
 * another next hop, an RSET that fails, or the idle time running out
 * close it (QUIT). A session is not kept after smtp_connection_reuse_count_limit
 * transactions (0: no limit) or once it is smtp_connection_reuse_time_limit
 * old, nor when it broke.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>

#include "smtp.h"

#define SMTP_CACHE_WAIT_MAX 3600	/* seconds of one poll (a longer limit polls again) */

static smtp_session_t *smtp_cache_session;	/* the one idle session, or NULL */

static int smtp_cache_reusable(const smtp_session_t *s)
{
	return !s->broken && smtp_conf.cache_time_limit > 0
	       && (smtp_conf.reuse_count_limit == 0 || s->transactions < smtp_conf.reuse_count_limit)
	       && smtp_now() - s->opened < (double)smtp_conf.reuse_time_limit;
}

void smtp_cache_close(void)
{
	smtp_session_close(smtp_cache_session);
	smtp_cache_session = NULL;
}

smtp_session_t *smtp_cache_take(const char *nexthop)
{
	smtp_session_t *s = smtp_cache_session;

	if (s == NULL)
		return NULL;
	if (strcmp(s->nexthop, nexthop) != 0
	    || smtp_now() - s->idle_since > (double)smtp_conf.cache_time_limit) {
		smtp_cache_close();
		return NULL;
	}
	smtp_cache_session = NULL;
	if (smtp_session_rset(s) < 0) {
		smtp_session_close(s);
		return NULL;
	}
	return s;
}

void smtp_cache_keep(smtp_session_t *s)
{
	if (!smtp_cache_reusable(s)) {
		smtp_session_close(s);
		return;
	}
	smtp_cache_close();
	s->idle_since = smtp_now();
	smtp_cache_session = s;
}

void smtp_cache_idle_wait(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	double left;
	int n;

	if (smtp_cache_session == NULL)
		return;
	do {
		left = (double)smtp_conf.cache_time_limit - (smtp_now() - smtp_cache_session->idle_since);
		n = left > 0 ? poll(&pfd, 1, left < SMTP_CACHE_WAIT_MAX ? (int)(left * 1000) + 1
							     : SMTP_CACHE_WAIT_MAX * 1000) : 0;
	} while (n < 0 && errno == EINTR);
	if (n == 0)
		smtp_cache_close();
}
