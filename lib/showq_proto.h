/*
 * showq_proto: what "pochta queue" and the showq service say to each
 * other. The client sends one request line, the listing format it wants;
 * showq answers with one status line, then (when "ok") the listing, as
 * "pochta queue -p" or "-j" prints it, and closes:
 *
 *   "-p\n" or "-j\n"   ->   "ok\n" LISTING   or   "refused TEXT\n"
 *
 * The socket is queue_directory/showq, outside public/ and private/, so
 * that every local user can reach it (see showq/showq.c).
 */
#ifndef POCHTA_SHOWQ_PROTO_H
#define POCHTA_SHOWQ_PROTO_H

#define SHOWQ_SOCKET "showq"		/* relative to queue_directory */
#define SHOWQ_REQUEST_TEXT "-p"
#define SHOWQ_REQUEST_JSON "-j"
#define SHOWQ_REPLY_OK "ok"
#define SHOWQ_REPLY_REFUSED "refused"
#define SHOWQ_LINE_MAX 512		/* a request or status line */
#define SHOWQ_TIMEOUT 60		/* seconds either side waits for the other */

#endif
