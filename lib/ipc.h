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
#define IPC_BAD (-10)			/* ipc_read: malformed input */

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

#endif
