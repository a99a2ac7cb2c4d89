/*
 * backoff: when a deferred message is tried again (see backoff.h).
 */
#include "backoff.h"

time_t backoff_next_retry(time_t now, time_t arrival, long min_backoff, long max_backoff)
{
	long age = now > arrival ? (long)(now - arrival) : 0;
	long wait = age;

	if (wait > max_backoff)
		wait = max_backoff;
	if (wait < min_backoff)
		wait = min_backoff;
	return now + wait;
}
