/*
 * anvil: declarations shared by the files of the anvil service, which
 * counts client connections and event rates for smtpd's limits
 * (anvil_proto.h is the protocol, lib/anvil_table.c the counting).
 *
 * One resident process serves every smtpd over private/anvil: anvil.c
 * runs the event loop, anvil_conn.c one client socket (its requests, and
 * the release of its connections when it closes), anvil_stats.c the
 * statistics log.
 */
#ifndef POCHTA_ANVIL_H
#define POCHTA_ANVIL_H

#include <stddef.h>

#include "anvil_table.h"
#include "str.h"
#include "stream.h"

#define ANVIL_CLIENTS_MAX 100000	/* (service, address) pairs tracked at once */
#define ANVIL_CONN_MAX 1024		/* client sockets (smtpd processes) at once */
#define ANVIL_CONN_HOLD_MAX 16		/* connections one socket may have registered */
#define ANVIL_READ_CHUNK 4096		/* bytes taken from a socket at once */
#define ANVIL_POLL_MAX_MS 1000		/* timers and SIGHUP are noticed this often */
#define ANVIL_WRITE_TIMEOUT 1		/* seconds a client may leave its replies unread */

/* A client socket and the connections registered over it. */
typedef struct anvil_conn {
	stream_t *st;			/* replies go out through it; requests are read raw */
	str_t input;			/* bytes of requests not yet complete */
	char *held[ANVIL_CONN_HOLD_MAX];	/* idents, one per connection */
	size_t nheld;
} anvil_conn_t;

/* anvil.c: the table and its clock */
extern anvil_table_t *anvil_table;
long anvil_now(void);			/* monotonic seconds */

/* anvil_conn.c */
void anvil_conn_init(anvil_conn_t *conn, int fd);
/* Read what the socket has and answer every complete request; -1 when the
 * socket is closed or misbehaves (then call anvil_conn_close). */
int anvil_conn_input(anvil_conn_t *conn);
/* Release the connections registered over the socket and close it. */
void anvil_conn_close(anvil_conn_t *conn);

/* anvil_stats.c: the peaks since the last call, as Postfix's anvil logs
 * them ("statistics: max connection rate 3/60s for (smtp:1.2.3.4) at
 * Nov 27 11:46:34"), and the table-full warning, once per process. */
void anvil_stats_log(long time_unit);
void anvil_stats_check_full(void);

#endif
