/*
 * ipc: the one request/reply format spoken between Pochta's daemons.
 *
 * A message is a versioned list of name/value attributes with explicit
 * lengths, so values may hold any byte:
 *
 *   "P1 " count "\n"   then count times:   name " " length ":" value "\n"
 *
 * Names are [a-z0-9_], at most IPC_NAME_MAX bytes; a name may repeat (one
 * "rcpt" per recipient). Sizes are bounded on read; a reader looks up the
 * names it knows and ignores the rest, so either side can grow.
 *
 * Two readers share one parser: ipc_read takes a message from a stream
 * (blocking up to the stream's timeout), ipc_parse from bytes a
 * non-blocking caller has gathered so far, saying when more are needed.
 */
#ifndef POCHTA_IPC_H
#define POCHTA_IPC_H

#include <stddef.h>
#include "stream.h"

#define IPC_VERSION 1
#define IPC_NAME_MAX 64
#define IPC_VALUE_MAX (1 << 20)		/* one value */
#define IPC_ATTR_MAX 10000		/* attributes in one message */
#define IPC_MSG_MAX (4 << 20)		/* all values of one message together */
#define IPC_HEADER_MAX 32		/* "P1 10000\n" with room to spare */
#define IPC_LENGTH_DIGITS_MAX 7		/* digits of IPC_VALUE_MAX */
#define IPC_PREFIX_MAX (IPC_NAME_MAX + 1 + IPC_LENGTH_DIGITS_MAX + 1)	/* "name LEN:" */
/* The longest message on the wire: header, framing of every attribute,
 * all values. A buffer this long holds a whole message or a malformed one. */
#define IPC_WIRE_MAX (IPC_HEADER_MAX + IPC_ATTR_MAX * (IPC_PREFIX_MAX + 1) + IPC_MSG_MAX)
#define IPC_BAD (-10)			/* ipc_read, ipc_parse: malformed input */
#define IPC_INCOMPLETE (-11)		/* ipc_parse: a valid start, more bytes needed */

typedef struct ipc_msg ipc_msg_t;

ipc_msg_t *ipc_new(void);
void ipc_free(ipc_msg_t *msg);
void ipc_clear(ipc_msg_t *msg);

void ipc_add(ipc_msg_t *msg, const char *name, const char *value);
void ipc_add_len(ipc_msg_t *msg, const char *name, const void *value, size_t len);
void ipc_add_int(ipc_msg_t *msg, const char *name, long long value);

size_t ipc_count(const ipc_msg_t *msg);
const char *ipc_name(const ipc_msg_t *msg, size_t index);
/* NUL-terminated; *len (if not NULL) gets the real length */
const char *ipc_value(const ipc_msg_t *msg, size_t index, size_t *len);
const char *ipc_get(const ipc_msg_t *msg, const char *name);	/* first, or NULL */
/* The first attribute's value as a number; dflt when absent or not a number. */
long long ipc_get_int(const ipc_msg_t *msg, const char *name, long long dflt);

/* Buffered write; the caller flushes. Returns 0 or a stream status. */
int ipc_write(stream_t *st, const ipc_msg_t *msg);
/* Replace msg's content with the next message. 0, a stream status
 * (STREAM_EOF at a clean end), or IPC_BAD. */
int ipc_read(stream_t *st, ipc_msg_t *msg);
/* Replace msg's content with the message at the start of buf[0..len).
 * 0 with *used set to its length in bytes (more may follow it);
 * IPC_INCOMPLETE when buf is the valid start of a message (msg is then
 * empty: call again with more bytes); IPC_BAD when it cannot become one. */
int ipc_parse(const char *buf, size_t len, ipc_msg_t *msg, size_t *used);

#endif
