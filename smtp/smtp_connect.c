/*
 * smtp_connect: a session to the next hop. Each address in turn gets a
 * TCP connection within smtp_connect_timeout and the session set-up
 * (greeting, EHLO, STARTTLS, AUTH); the first that completes is used.
 * When every address fails, the reason of the last one is the delivery's.
 *
 * At smtp_tls_security_level = may a failed TLS handshake is retried on
 * the same address in plaintext, as Postfix does, but only for a message
 * that has already waited minimal_backoff_time (a first attempt is
 * deferred instead, so that a passing failure does not lose TLS) and only
 * when no AUTH credentials would then cross the network in the clear.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "log.h"
#include "smtp.h"

/* poll's wait until the connection completes or the timeout; errno-style result. */
static int smtp_connect_wait(int fd, int timeout)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	double deadline = smtp_now() + timeout;
	int err = 0, n;
	socklen_t len = sizeof(err);

	do {
		double left = deadline - smtp_now();

		n = left > 0 ? poll(&pfd, 1, (int)(left * 1000) + 1) : 0;
	} while (n < 0 && errno == EINTR);
	if (n == 0)
		return ETIMEDOUT;
	if (n < 0)
		return errno;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		return errno;
	return err;
}

/* A TCP connection to t within smtp_connect_timeout; fd, or -1 with why. */
static int smtp_connect_tcp(const smtp_target_t *t, const char *port, smtp_status_t *why)
{
	int fd = socket(t->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int err = 0;

	if (fd < 0) {
		err = errno;
	} else if (connect(fd, (const struct sockaddr *)&t->sa, t->salen) < 0) {
		err = errno == EINPROGRESS ? smtp_connect_wait(fd, smtp_conf.connect_timeout) : errno;
	}
	if (err == 0)
		return fd;
	if (fd >= 0)
		close(fd);
	smtp_status_set(why, "4.4.1", "connect to %s[%s]:%s: %s", t->host, t->addr, port,
			strerror(err));
	return -1;
}

/* The session set-up on one address; NULL with why. */
static smtp_session_t *smtp_connect_one(smtp_request_t *req, const smtp_nexthop_t *nh,
					const smtp_target_t *t, int tls_level, int *tls_failed,
					smtp_status_t *why)
{
	int fd = smtp_connect_tcp(t, nh->port, why);
	smtp_session_t *s;

	*tls_failed = 0;
	if (fd < 0)
		return NULL;
	s = smtp_session_new(fd, t, nh->port, req->nexthop);
	snprintf(req->relay, sizeof(req->relay), "%s", s->relay);	/* it answered: name it */
	if (smtp_session_greet(s) == 0 && smtp_session_ehlo(s) == 0
	    && smtp_tls_start(s, tls_level, tls_failed) == 0 && smtp_sasl_auth(s) == 0)
		return s;
	smtp_status_copy(why, &s->fail);
	smtp_session_close(s);
	return NULL;
}

/* Postfix's rule for plaintext after a failed handshake at "may". */
static int smtp_connect_plain_ok(const smtp_request_t *req, const smtp_target_t *t)
{
	smtp_status_t why = { .reason = STR_INIT };
	str_t user = STR_INIT, pass = STR_INIT;
	struct timeval now;
	int ok;

	gettimeofday(&now, NULL);
	ok = now.tv_sec - req->qm.arrival.tv_sec >= smtp_conf.min_backoff
	     && smtp_sasl_lookup(req->nexthop, t->host, &user, &pass, &why) == 0;
	str_free(&user);
	str_free(&pass);
	str_free(&why.reason);
	return ok;
}

smtp_session_t *smtp_connect(smtp_request_t *req, smtp_status_t *why)
{
	static smtp_targets_t targets;	/* big: not on the stack */
	smtp_session_t *s = NULL;
	smtp_nexthop_t nh;
	int tls_failed;

	if (smtp_nexthop_parse(req->nexthop, &nh) < 0) {
		smtp_status_set(why, "4.3.5", "bad next-hop destination: %s", req->nexthop);
		return NULL;
	}
	if (smtp_nexthop_targets(&nh, &targets, why) < 0)
		return NULL;
	for (size_t i = 0; s == NULL && i < targets.count; i++) {
		s = smtp_connect_one(req, &nh, &targets.t[i], smtp_conf.tls_level, &tls_failed, why);
		if (s == NULL && tls_failed && smtp_conf.tls_level == SMTP_TLS_MAY
		    && smtp_connect_plain_ok(req, &targets.t[i])) {
			log_info("%s: %s; trying %s[%s] again without TLS", req->id,
				 str_cstr(&why->reason), targets.t[i].host, targets.t[i].addr);
			s = smtp_connect_one(req, &nh, &targets.t[i], SMTP_TLS_NONE, &tls_failed, why);
		}
	}
	return s;
}
