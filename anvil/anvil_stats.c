/*
 * anvil_stats: anvil's statistics log, in Postfix's words. Each report
 * gives the peaks seen since the previous one, and only those that
 * happened:
 *
 *   statistics: max connection rate 3/60s for (smtp:192.0.2.7) at Nov 27 11:46:34
 *   statistics: max connection count 2 for (smtp:192.0.2.7) at Nov 27 11:46:34
 *   statistics: max message rate 5/60s for (smtp:192.0.2.7) at Nov 27 11:47:02
 *   statistics: max recipient rate 9/60s for (smtp:192.0.2.7) at Nov 27 11:47:02
 *   statistics: max auth rate 1/60s for (submission:192.0.2.9) at Nov 27 11:48:10
 *   statistics: max cache size 2 at Nov 27 11:46:34
 */
#include <time.h>

#include "anvil.h"
#include "log.h"

#define ANVIL_STATS_TIME_MAX 32		/* "Nov 27 11:46:34" */

/* Each kind of rate as the report names it. */
static const char *const anvil_stats_rate_names[ANVIL_EVENT_COUNT] = {
	[ANVIL_EVENT_CONNECT] = "connection",
	[ANVIL_EVENT_MESSAGE] = "message",
	[ANVIL_EVENT_RECIPIENT] = "recipient",
	[ANVIL_EVENT_AUTH] = "auth",
};

/* A peak's time is monotonic: shown as the wall clock time it was. */
static void anvil_stats_time(long when, char *text, size_t size)
{
	time_t wall = time(NULL) - (time_t)(anvil_now() - when);
	struct tm tm;

	if (localtime_r(&wall, &tm) == NULL || strftime(text, size, "%b %e %H:%M:%S", &tm) == 0)
		text[0] = 0;
}

static void anvil_stats_rate(const anvil_peak_t *peak, const char *name, long time_unit)
{
	char when[ANVIL_STATS_TIME_MAX];

	if (peak->value == 0)
		return;
	anvil_stats_time(peak->when, when, sizeof(when));
	log_info("statistics: max %s rate %ld/%lds for (%s) at %s",
		 name, peak->value, time_unit, peak->ident, when);
}

void anvil_stats_log(long time_unit)
{
	const anvil_peaks_t *peaks = anvil_table_peaks(anvil_table);
	char when[ANVIL_STATS_TIME_MAX];

	anvil_stats_rate(&peaks->rate[ANVIL_EVENT_CONNECT],
			 anvil_stats_rate_names[ANVIL_EVENT_CONNECT], time_unit);
	if (peaks->count.value > 0) {
		anvil_stats_time(peaks->count.when, when, sizeof(when));
		log_info("statistics: max connection count %ld for (%s) at %s",
			 peaks->count.value, peaks->count.ident, when);
	}
	for (int ev = ANVIL_EVENT_MESSAGE; ev < ANVIL_EVENT_COUNT; ev++)
		anvil_stats_rate(&peaks->rate[ev], anvil_stats_rate_names[ev], time_unit);
	if (peaks->size.value > 0) {
		anvil_stats_time(peaks->size.when, when, sizeof(when));
		log_info("statistics: max cache size %ld at %s", peaks->size.value, when);
	}
	anvil_table_peaks_reset(anvil_table);
}

void anvil_stats_check_full(void)
{
	static int warned;

	if (warned || anvil_table_evicted(anvil_table) == 0)
		return;
	log_warning("more than %d clients to track: forgetting the least recently active ones",
		    ANVIL_CLIENTS_MAX);
	warned = 1;
}
