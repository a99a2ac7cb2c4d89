/*
 * backoff: when a deferred message is tried again.
 *
 * The wait is the message's age clamped to [minimal_backoff_time,
 * maximal_backoff_time], so each failed attempt roughly doubles the time
 * since arrival until the maximum is reached. qmgr stores the result as
 * the queue file's mtime in deferred/.
 */
#ifndef POCHTA_BACKOFF_H
#define POCHTA_BACKOFF_H

#include <time.h>

/* The next retry time for a message that arrived at arrival, tried at now. */
time_t backoff_next_retry(time_t now, time_t arrival, long min_backoff, long max_backoff);

#endif
