/*
 * login_proxy: what an unprivileged login process does after a login on a
 * TLS connection. The TLS state cannot move to another process, so the
 * login process keeps the encrypted side and relays plain bytes between
 * it and the session process (which runs as the mailbox owner) over a
 * local socket, until either side closes or nothing moves for timeout
 * seconds. A connection without TLS needs no relay: the session process
 * reads the client's descriptor itself.
 */
#ifndef POCHTA_LOGIN_PROXY_H
#define POCHTA_LOGIN_PROXY_H

#include "stream.h"

/* Relay between client and session_fd; returns when the session is over. */
void login_proxy_run(stream_t *client, int session_fd, int timeout);

#endif
