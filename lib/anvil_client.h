/*
 * anvil_client: the client side of the anvil protocol (anvil_proto.h), for
 * smtpd's client limits.
 *
 * One connection per process, opened at the first request and kept, so
 * that anvil releases the connections a process registered when that
 * process dies and the socket closes. A connection found broken (anvil
 * was restarted) is opened again and the request sent once more.
 *
 * Everything fails open: when anvil cannot be reached, refuses a request
 * or does not answer within ANVIL_CLIENT_TIMEOUT seconds, the call logs a
 * warning and returns -1, and the caller serves its client without limits.
 * After such a failure the client leaves anvil alone for
 * ANVIL_CLIENT_RETRY_DELAY seconds, so a hung anvil costs one timeout, not
 * one per command.
 */
#ifndef POCHTA_ANVIL_CLIENT_H
#define POCHTA_ANVIL_CLIENT_H

#define ANVIL_CLIENT_TIMEOUT 2		/* seconds for one request and its reply */
#define ANVIL_CLIENT_RETRY_DELAY 10	/* seconds without anvil after a failure */

typedef struct anvil_client anvil_client_t;

/* socket_path: relative to the current directory (queue_directory). */
anvil_client_t *anvil_client_new(const char *socket_path);
void anvil_client_free(anvil_client_t *c);

/* Register a connection of addr to service: 0 with the client's open
 * connections (this one included) and its connection rate, or -1. */
int anvil_client_connect(anvil_client_t *c, const char *service, const char *addr,
			 long *count, long *rate);
/* That connection ended; 0 or -1. */
int anvil_client_disconnect(anvil_client_t *c, const char *service, const char *addr);
/* Count one event (request: ANVIL_REQ_MESSAGE, ANVIL_REQ_RECIPIENT or
 * ANVIL_REQ_AUTH): 0 with the client's rate of such events, or -1. */
int anvil_client_rate(anvil_client_t *c, const char *request, const char *service,
		      const char *addr, long *rate);

#endif
