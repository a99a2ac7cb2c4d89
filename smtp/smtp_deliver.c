/*
 * smtp_deliver: one delivery. A session comes from the cache (the last
 * one, still open to the same next hop) or from a fresh connection; a
 * message bigger than the server's SIZE is not sent at all but bounced
 * (5.3.4, in Postfix's words), anything else goes through one mail
 * transaction. The session then waits in the cache for the next request,
 * unless it broke or has served its time.
 */
#include <stdio.h>

#include "smtp.h"

/* The server announced a SIZE the message exceeds: why says so. */
static int smtp_deliver_too_big(const smtp_session_t *s, const smtp_request_t *req,
				smtp_status_t *why)
{
	unsigned long long size = (unsigned long long)req->qm.content_size;

	if (!(s->features & SMTP_FEATURE_SIZE) || s->size_max == 0 || size <= s->size_max)
		return 0;
	smtp_status_set(why, "5.3.4", "message size %llu exceeds size limit %llu of server %s",
			size, s->size_max, s->namaddr);
	return 1;
}

void smtp_deliver(smtp_request_t *req)
{
	smtp_status_t why = { .reason = STR_INIT };
	smtp_session_t *s = smtp_cache_take(req->nexthop);

	if (s == NULL)
		s = smtp_connect(req, &why);
	if (s == NULL) {
		/* no session (no connection, a 421 greeting, a failed handshake or
		 * login): the destination failed, unless the answer was final */
		req->hop_status = why.dsn[0] == '4' ? "failed" : NULL;
		smtp_rcpt_settle_all(req, &why, 0);
	} else {
		req->hop_status = "reached";
		snprintf(req->relay, sizeof(req->relay), "%s", s->relay);
		if (smtp_deliver_too_big(s, req, &why))
			smtp_rcpt_settle_all(req, &why, 0);
		else
			smtp_trans(s, req);
		smtp_cache_keep(s);
	}
	str_free(&why.reason);
}
