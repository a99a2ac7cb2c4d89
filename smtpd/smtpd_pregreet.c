/*
 * smtpd_pregreet: refuse a client that talks before the greeting, the
 * mark of a bot that does not wait for the server (Postfix's postscreen
 * calls it PREGREET). Just before the 220 banner of a plaintext session,
 * smtpd looks whether input is waiting; with smtpd_greet_wait = N it
 * first waits up to N seconds for some, which catches more of the clients
 * that do not wait and delays the banner for everyone else. A client that
 * talked gets
 *
 *   554 5.5.1 Error: talking before the greeting
 *
 * and the session ends, after a log line in postscreen's words (the bytes
 * it sent, escaped, at most SMTPD_PREGREET_LOG_MAX of them):
 *
 *   PREGREET 11 after 0.02 from [192.0.2.1]:4567: EHLO x\r\n
 *
 * smtps (smtpd_tls_wrappermode) is not checked: there the client speaks
 * first. Nor are the clients in smtpd_client_event_limit_exceptions
 * (default $mynetworks), as postscreen leaves mynetworks alone by default.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <sys/socket.h>
#include <time.h>

#include "conf.h"
#include "log.h"
#include "smtpd.h"

#define SMTPD_PREGREET_READ_MAX 4096	/* bytes read from a client that talked */
#define SMTPD_PREGREET_LOG_MAX 100	/* of those, shown in the log */
#define SMTPD_PREGREET_MS_PER_SEC 1000

double smtpd_pregreet_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Input (or the client's end) within wait seconds? */
static int smtpd_pregreet_input(int fd, long wait)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	double deadline = smtpd_pregreet_now() + (double)wait;
	int n, left_ms = (int)(wait * SMTPD_PREGREET_MS_PER_SEC);

	while ((n = poll(&pfd, 1, left_ms)) < 0 && errno == EINTR) {
		left_ms = (int)((deadline - smtpd_pregreet_now()) * SMTPD_PREGREET_MS_PER_SEC);
		if (left_ms < 0)
			left_ms = 0;
	}
	return n > 0;
}

static int smtpd_pregreet_port(const smtpd_peer_t *peer)
{
	if (peer->sa.ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)&peer->sa)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)&peer->sa)->sin6_port);
}

static void smtpd_pregreet_log(const smtpd_session_t *s, const char *data, size_t len)
{
	str_t shown = STR_INIT;

	str_append_escaped(&shown, data, len < SMTPD_PREGREET_LOG_MAX ? len : SMTPD_PREGREET_LOG_MAX);
	log_info("PREGREET %zu after %.2f from [%s]:%d: %s", len,
		 smtpd_pregreet_now() - s->connect_time, s->peer.addr,
		 smtpd_pregreet_port(&s->peer), str_cstr(&shown));
	str_free(&shown);
}

int smtpd_pregreet_check(smtpd_session_t *s)
{
	char data[SMTPD_PREGREET_READ_MAX];
	int fd = stream_fd(s->client);
	ssize_t n;

	if (smtpd_conf.tls_wrappermode || smtpd_anvil_exempt(s)
	    || !smtpd_pregreet_input(fd, conf_time("smtpd_greet_wait")))
		return 0;
	/* nothing was read through the stream yet: the bytes are all here */
	n = recv(fd, data, sizeof(data), MSG_DONTWAIT);
	if (n < 0)
		return 0;
	if (n == 0) {
		smtpd_log_lost(s, STREAM_EOF);
		return -1;
	}
	smtpd_pregreet_log(s, data, (size_t)n);
	smtpd_reply(s, "554 5.5.1 Error: talking before the greeting");
	return -1;
}
