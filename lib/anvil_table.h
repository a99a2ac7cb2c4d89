/*
 * anvil_table: the counting behind the anvil service, with no I/O and no
 * clock of its own: every call takes the time (seconds, from a monotonic
 * clock), so the rules can be tested without waiting.
 *
 * Per ident ("service:address") the table keeps the connections open now
 * and, per kind of event, how many happened in the current time unit. A
 * unit begins with the first event after the previous unit ended, and all
 * of the ident's rates start again from zero then; a rate is therefore
 * "events since the unit began".
 *
 * Memory is bounded: an entry with no open connection whose unit has ended
 * says nothing and anvil_table_expire drops it; beyond max_entries, a new
 * ident evicts the least recently active entry, one without open
 * connections when there is such an entry. The table also keeps the peaks
 * since the last anvil_table_peaks_reset, for the statistics log.
 */
#ifndef POCHTA_ANVIL_TABLE_H
#define POCHTA_ANVIL_TABLE_H

#include <stddef.h>

enum anvil_event {
	ANVIL_EVENT_CONNECT,
	ANVIL_EVENT_MESSAGE,
	ANVIL_EVENT_RECIPIENT,
	ANVIL_EVENT_AUTH,
	ANVIL_EVENT_COUNT		/* number of kinds */
};

/* The highest value seen, for whom and when (value 0: none seen). */
typedef struct anvil_peak {
	long value;
	char *ident;			/* NULL for the table size */
	long when;
} anvil_peak_t;

typedef struct anvil_peaks {
	anvil_peak_t rate[ANVIL_EVENT_COUNT];
	anvil_peak_t count;		/* connections open at once */
	anvil_peak_t size;		/* entries in the table */
} anvil_peaks_t;

typedef struct anvil_table anvil_table_t;

/* time_unit: seconds (at least 1); max_entries: at least 1. */
anvil_table_t *anvil_table_new(long time_unit, size_t max_entries);
void anvil_table_free(anvil_table_t *t);

/* A new connection: *count gets the connections open now (this one
 * included), *rate the connections in the current unit. */
void anvil_table_connect(anvil_table_t *t, const char *ident, long now, long *count, long *rate);
/* A connection ended; an ident without open connections is left alone. */
void anvil_table_disconnect(anvil_table_t *t, const char *ident, long now);
/* Another message, recipient or AUTH command (not ANVIL_EVENT_CONNECT):
 * the number of such events in the current unit, this one included. */
long anvil_table_event(anvil_table_t *t, const char *ident, enum anvil_event event, long now);

/* Drop the entries that say nothing any more; returns how many. */
size_t anvil_table_expire(anvil_table_t *t, long now);
size_t anvil_table_size(const anvil_table_t *t);
/* Entries evicted because the table was full, since it was made. */
size_t anvil_table_evicted(const anvil_table_t *t);

const anvil_peaks_t *anvil_table_peaks(const anvil_table_t *t);
void anvil_table_peaks_reset(anvil_table_t *t);

#endif
