/*
 * anvil_table: per-client connection counts and event rates (see
 * anvil_table.h).
 *
 * Entries are found through a chained hash index with a fixed number of
 * buckets (a power of two, at least max_entries), and kept on a list from
 * the most to the least recently active, which eviction walks from its
 * old end.
 */
#include <stdint.h>
#include <string.h>

#include "anvil_table.h"
#include "mem.h"

#define ANVIL_TABLE_BUCKETS_MIN 16

typedef struct anvil_entry {
	char *ident;
	long count;			/* connections open now */
	long rate[ANVIL_EVENT_COUNT];	/* events in the current unit */
	long unit_start;		/* when the current unit began */
	struct anvil_entry *hash_next;
	struct anvil_entry *newer;	/* activity list: toward the most recent */
	struct anvil_entry *older;
} anvil_entry_t;

struct anvil_table {
	long time_unit;
	size_t max_entries;
	size_t size;
	size_t evicted;
	anvil_entry_t **buckets;
	size_t nbuckets;		/* a power of two */
	anvil_entry_t *newest;
	anvil_entry_t *oldest;
	anvil_peaks_t peaks;
};

anvil_table_t *anvil_table_new(long time_unit, size_t max_entries)
{
	anvil_table_t *t = mem_calloc(1, sizeof(*t));

	t->time_unit = time_unit > 0 ? time_unit : 1;
	t->max_entries = max_entries > 0 ? max_entries : 1;
	t->nbuckets = ANVIL_TABLE_BUCKETS_MIN;
	while (t->nbuckets < t->max_entries)
		t->nbuckets *= 2;
	t->buckets = mem_calloc(t->nbuckets, sizeof(*t->buckets));
	return t;
}

static void anvil_peak_clear(anvil_peak_t *peak)
{
	mem_free(peak->ident);
	memset(peak, 0, sizeof(*peak));
}

void anvil_table_peaks_reset(anvil_table_t *t)
{
	for (size_t i = 0; i < ANVIL_EVENT_COUNT; i++)
		anvil_peak_clear(&t->peaks.rate[i]);
	anvil_peak_clear(&t->peaks.count);
	anvil_peak_clear(&t->peaks.size);
}

void anvil_table_free(anvil_table_t *t)
{
	anvil_entry_t *e, *next;

	if (t == NULL)
		return;
	for (e = t->newest; e; e = next) {
		next = e->older;
		mem_free(e->ident);
		mem_free(e);
	}
	anvil_table_peaks_reset(t);
	mem_free(t->buckets);
	mem_free(t);
}

static size_t anvil_table_bucket(const anvil_table_t *t, const char *ident)
{
	uint64_t h = 14695981039346656037ULL;	/* FNV-1a */

	for (; *ident; ident++)
		h = (h ^ (unsigned char)*ident) * 1099511628211ULL;
	return (size_t)h & (t->nbuckets - 1);
}

static anvil_entry_t *anvil_table_find(const anvil_table_t *t, const char *ident)
{
	anvil_entry_t *e = t->buckets[anvil_table_bucket(t, ident)];

	while (e && strcmp(e->ident, ident) != 0)
		e = e->hash_next;
	return e;
}

static void anvil_list_unlink(anvil_table_t *t, anvil_entry_t *e)
{
	if (e->newer)
		e->newer->older = e->older;
	else
		t->newest = e->older;
	if (e->older)
		e->older->newer = e->newer;
	else
		t->oldest = e->newer;
	e->newer = e->older = NULL;
}

static void anvil_list_push_newest(anvil_table_t *t, anvil_entry_t *e)
{
	e->older = t->newest;
	e->newer = NULL;
	if (t->newest)
		t->newest->newer = e;
	else
		t->oldest = e;
	t->newest = e;
}

static void anvil_table_remove(anvil_table_t *t, anvil_entry_t *e)
{
	anvil_entry_t **pp = &t->buckets[anvil_table_bucket(t, e->ident)];

	while (*pp != e)
		pp = &(*pp)->hash_next;
	*pp = e->hash_next;
	anvil_list_unlink(t, e);
	mem_free(e->ident);
	mem_free(e);
	t->size--;
}

/* The least recently active entry without connections, else the least
 * recently active one. */
static anvil_entry_t *anvil_table_victim(const anvil_table_t *t)
{
	for (anvil_entry_t *e = t->oldest; e; e = e->newer)
		if (e->count == 0)
			return e;
	return t->oldest;
}

static void anvil_peak_update(anvil_peak_t *peak, long value, const char *ident, long now)
{
	if (value <= peak->value)
		return;
	peak->value = value;
	peak->when = now;
	if (ident != NULL && (peak->ident == NULL || strcmp(peak->ident, ident) != 0)) {
		mem_free(peak->ident);
		peak->ident = mem_strdup(ident);
	}
}

static anvil_entry_t *anvil_table_add(anvil_table_t *t, const char *ident, long now)
{
	anvil_entry_t *e = mem_calloc(1, sizeof(*e));
	size_t b = anvil_table_bucket(t, ident);

	if (t->size >= t->max_entries) {
		anvil_table_remove(t, anvil_table_victim(t));
		t->evicted++;
	}
	e->ident = mem_strdup(ident);
	e->unit_start = now;
	e->hash_next = t->buckets[b];
	t->buckets[b] = e;
	anvil_list_push_newest(t, e);
	t->size++;
	anvil_peak_update(&t->peaks.size, (long)t->size, NULL, now);
	return e;
}

/* The entry for ident, made the most recent, with its unit brought up to
 * date: a unit that has ended gives way to a new one starting now. A clock
 * that went backwards also starts a new unit. */
static anvil_entry_t *anvil_table_touch(anvil_table_t *t, const char *ident, long now)
{
	anvil_entry_t *e = anvil_table_find(t, ident);

	if (e == NULL)
		return anvil_table_add(t, ident, now);
	anvil_list_unlink(t, e);
	anvil_list_push_newest(t, e);
	if (now - e->unit_start >= t->time_unit || now < e->unit_start) {
		memset(e->rate, 0, sizeof(e->rate));
		e->unit_start = now;
	}
	return e;
}

static long anvil_table_count_event(anvil_table_t *t, anvil_entry_t *e, enum anvil_event event,
				    long now)
{
	long rate = ++e->rate[event];

	anvil_peak_update(&t->peaks.rate[event], rate, e->ident, now);
	return rate;
}

void anvil_table_connect(anvil_table_t *t, const char *ident, long now, long *count, long *rate)
{
	anvil_entry_t *e = anvil_table_touch(t, ident, now);

	*rate = anvil_table_count_event(t, e, ANVIL_EVENT_CONNECT, now);
	*count = ++e->count;
	anvil_peak_update(&t->peaks.count, e->count, e->ident, now);
}

void anvil_table_disconnect(anvil_table_t *t, const char *ident, long now)
{
	anvil_entry_t *e = anvil_table_find(t, ident);

	if (e == NULL || e->count == 0)
		return;
	e = anvil_table_touch(t, ident, now);
	e->count--;
}

long anvil_table_event(anvil_table_t *t, const char *ident, enum anvil_event event, long now)
{
	return anvil_table_count_event(t, anvil_table_touch(t, ident, now), event, now);
}

size_t anvil_table_expire(anvil_table_t *t, long now)
{
	anvil_entry_t *e = t->oldest, *newer;
	size_t dropped = 0;

	for (; e; e = newer) {
		newer = e->newer;
		if (e->count == 0 && (now - e->unit_start >= t->time_unit || now < e->unit_start)) {
			anvil_table_remove(t, e);
			dropped++;
		}
	}
	return dropped;
}

size_t anvil_table_size(const anvil_table_t *t)
{
	return t->size;
}

size_t anvil_table_evicted(const anvil_table_t *t)
{
	return t->evicted;
}

const anvil_peaks_t *anvil_table_peaks(const anvil_table_t *t)
{
	return &t->peaks;
}
