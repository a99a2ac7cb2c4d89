/*
 * queue_reason: why a deferred message's recipients are still waiting.
 *
 * qmgr keeps, per deferred message, a side file defer/ID with one line per
 * recipient still pending, "OFFSET REASON": the offset of the recipient's
 * record in the queue file (queue_rcpt_t.offset, so the line matches that
 * recipient and no other) and the reason qmgr logged for its last
 * attempt, at most QUEUE_REASON_MAX bytes, control characters replaced.
 * The file is written under a temporary name and renamed, replaced at
 * each deferral, and removed with the message. "pochta queue" lists the
 * reasons as mailq does. The reasons are a courtesy: a missing or damaged
 * file (or line) only means that no reason is known.
 *
 * Paths are relative to queue_directory, the working directory of every
 * caller.
 */
#ifndef POCHTA_QUEUE_REASON_H
#define POCHTA_QUEUE_REASON_H

#include <sys/types.h>

#include "str.h"

#define QUEUE_REASON_DIR "defer"
#define QUEUE_REASON_MAX 512		/* bytes of one reason kept */
#define QUEUE_REASON_LINES_MAX 100000	/* lines of one side file read at most */
#define QUEUE_REASON_REPLACEMENT '?'	/* for a control character */

typedef struct queue_reason {
	off_t offset;			/* the recipient record's */
	char *text;
} queue_reason_t;

typedef struct queue_reasons {
	queue_reason_t *items;		/* sorted by offset */
	size_t count;
} queue_reasons_t;

/* reason as it is kept: at most QUEUE_REASON_MAX bytes, control
 * characters (a line break included) replaced. */
void queue_reason_clean(str_t *out, const char *reason);
/* One line, without its newline: 0 with the offset and the reason (a
 * pointer into line), or -1 when it is malformed. */
int queue_reason_parse(const char *line, off_t *offset, const char **text);

/* Replace defer/ID with these reasons (cleaned here), or remove it when
 * there are none: 0, or -1 with errno. */
int queue_reason_save(const char *id, const queue_reason_t *items, size_t count);
/* Remove defer/ID: 0 (also when there was none), or -1 with errno. */
int queue_reason_remove(const char *id);

/* Read defer/ID; what cannot be read is left out, never an error. */
void queue_reason_load(const char *id, queue_reasons_t *out);
/* The reason for the recipient at offset, or NULL when none is known. */
const char *queue_reason_find(const queue_reasons_t *r, off_t offset);
void queue_reason_free(queue_reasons_t *r);

#endif
