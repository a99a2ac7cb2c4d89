/*
 * pop3d_anvil: the per-address connection limit, counted by the anvil
 * service as for smtpd. The pop3d process registers each client before it
 * forks the login process; one over pop3d_client_connection_count_limit
 * (0: no limit) gets "-ERR [SYS/TEMP]" and is closed unread, with
 * Postfix's warning. anvil being down or slow lets the client in (see
 * anvil_client.h).
 */
#include "anvil_client.h"
#include "anvil_proto.h"
#include "conf.h"
#include "daemon.h"
#include "log.h"
#include "pop3d.h"

static long pop3d_anvil_limit;
static anvil_client_t *pop3d_anvil;	/* NULL when there is no limit */

void pop3d_anvil_init(void)
{
	pop3d_anvil_limit = conf_int("pop3d_client_connection_count_limit");
	if (pop3d_anvil_limit > 0)
		pop3d_anvil = anvil_client_new(ANVIL_SOCKET_PATH);
}

int pop3d_anvil_connect(stream_t *client, const char *rip)
{
	long count, rate;

	if (pop3d_anvil == NULL
	    || anvil_client_connect(pop3d_anvil, daemon_service(), rip, &count, &rate) < 0)
		return 0;
	if (count <= pop3d_anvil_limit)
		return 1;
	log_warning("Connection concurrency limit exceeded: %ld from [%s] for service %s",
		    count, rip, daemon_service());
	stream_printf(client, "-ERR [SYS/TEMP] Too many connections from %s\r\n", rip);
	stream_flush(client);
	pop3d_anvil_disconnect(rip);
	return -1;
}

void pop3d_anvil_disconnect(const char *rip)
{
	(void)anvil_client_disconnect(pop3d_anvil, daemon_service(), rip);
}
