/*
 * agent: the request loop of a delivery agent (local, smtp). qmgr keeps
 * one connection to an agent process and sends it one delivery request
 * at a time (IPC attributes, ipc.h); the agent answers each with one
 * status message. The loop ends when qmgr closes the connection, sends
 * something malformed, cannot be answered within ipc_timeout, or master
 * asked for a reload (the next request then goes to a fresh process).
 */
#ifndef POCHTA_AGENT_H
#define POCHTA_AGENT_H

#include "ipc.h"
#include "stream.h"

/* Fill reply for one request. */
typedef void (*agent_request_fn)(const ipc_msg_t *req, ipc_msg_t *reply);
/* Called before waiting for a request that is not buffered yet, with the
 * connection's descriptor (smtp tends its cached connections there). */
typedef void (*agent_idle_fn)(int fd);

/* Serve qmgr's requests on client; idle may be NULL. */
void agent_serve(stream_t *client, agent_request_fn handle, agent_idle_fn idle);

#endif
