/*
 * anvil_proto: what smtpd and the anvil service say to each other, over
 * lib/ipc messages on the unix socket private/anvil.
 *
 *   request=connect    ident=SERVICE:ADDR  ->  status=0 count=N rate=N
 *   request=disconnect ident=SERVICE:ADDR  ->  status=0
 *   request=message    ident=SERVICE:ADDR  ->  status=0 rate=N
 *   request=recipient  ident=SERVICE:ADDR  ->  status=0 rate=N
 *   request=auth       ident=SERVICE:ADDR  ->  status=0 rate=N
 *
 * count is the connections open now from that client to that service, the
 * new one included; rate is how many events of that kind the client caused
 * in the current anvil_rate_time_unit. A connection registered over a
 * socket is released when that socket closes, so a client process that
 * dies cannot leave connections counted. An unknown request or a bad ident
 * gets status=-1; a malformed message ends the connection.
 */
#ifndef POCHTA_ANVIL_PROTO_H
#define POCHTA_ANVIL_PROTO_H

#define ANVIL_SOCKET_PATH "private/anvil"	/* relative to queue_directory */

#define ANVIL_ATTR_REQUEST "request"
#define ANVIL_ATTR_IDENT "ident"
#define ANVIL_ATTR_STATUS "status"
#define ANVIL_ATTR_COUNT "count"
#define ANVIL_ATTR_RATE "rate"

#define ANVIL_REQ_CONNECT "connect"
#define ANVIL_REQ_DISCONNECT "disconnect"
#define ANVIL_REQ_MESSAGE "message"
#define ANVIL_REQ_RECIPIENT "recipient"
#define ANVIL_REQ_AUTH "auth"

#define ANVIL_STATUS_OK 0
#define ANVIL_STATUS_FAIL (-1)

#define ANVIL_IDENT_MAX 256		/* "service:address" */
#define ANVIL_REQUEST_MAX 1024		/* bytes of one request on the wire */

#endif
