/*
 * agent: the request loop delivery agents share (see agent.h).
 */
#include "agent.h"
#include "conf.h"
#include "daemon.h"
#include "log.h"

void agent_serve(stream_t *client, agent_request_fn handle, agent_idle_fn idle)
{
	ipc_msg_t *req = ipc_new();
	ipc_msg_t *reply = ipc_new();
	int rc;

	stream_set_timeout(client, (int)conf_time("ipc_timeout"));
	for (;;) {
		if (idle != NULL && stream_pending(client) == 0)
			idle(stream_fd(client));
		if ((rc = ipc_read(client, req)) != 0)
			break;
		ipc_clear(reply);
		handle(req, reply);
		if ((rc = ipc_write(client, reply)) != 0 || (rc = stream_flush(client)) != 0) {
			log_warning("cannot send delivery status to qmgr (status %d)", rc);
			break;
		}
		if (daemon_reload_requested())
			break;
	}
	if (rc == IPC_BAD)
		log_warning("malformed request from qmgr");
	ipc_free(req);
	ipc_free(reply);
}
