/*
 * dict_mem: an in-memory table, filled once by texthash: and inline: and
 * then only read. Entries keep their insertion order (dict_walk lists them
 * as they were given) and are found through an open-addressing index that
 * is kept at most half full.
 */
#include <stdint.h>
#include <string.h>

#include "dict_type.h"
#include "mem.h"

#define DICT_MEM_MIN_SLOTS 16

typedef struct dict_mem {
	dict_t dict;
	char **keys;
	char **values;
	size_t count;
	size_t cap;			/* entries allocated in keys and values */
	size_t *slots;			/* index + 1 into keys, 0 for empty */
	size_t nslots;			/* a power of two */
} dict_mem_t;

static uint64_t dict_mem_hash(const char *key)
{
	uint64_t h = 14695981039346656037ULL;	/* FNV-1a */

	for (; *key; key++)
		h = (h ^ (unsigned char)*key) * 1099511628211ULL;
	return h;
}

/* The slot holding key, or the empty slot where it would go. */
static size_t dict_mem_slot(const dict_mem_t *dm, const char *key)
{
	size_t mask = dm->nslots - 1;
	size_t i = (size_t)dict_mem_hash(key) & mask;

	while (dm->slots[i] && strcmp(dm->keys[dm->slots[i] - 1], key) != 0)
		i = (i + 1) & mask;
	return i;
}

static void dict_mem_grow(dict_mem_t *dm)
{
	size_t i;

	mem_free(dm->slots);
	dm->nslots = dm->nslots ? dm->nslots * 2 : DICT_MEM_MIN_SLOTS;
	dm->slots = mem_calloc(dm->nslots, sizeof(*dm->slots));
	for (i = 0; i < dm->count; i++)
		dm->slots[dict_mem_slot(dm, dm->keys[i])] = i + 1;
}

static int dict_mem_lookup(dict_t *dict, const char *key, str_t *value)
{
	dict_mem_t *dm = (dict_mem_t *)dict;
	size_t slot = dict_mem_slot(dm, key);

	if (dm->slots[slot] == 0)
		return 0;
	str_set(value, dm->values[dm->slots[slot] - 1]);
	return 1;
}

static int dict_mem_walk(dict_t *dict, dict_walk_fn fn, void *ctx)
{
	dict_mem_t *dm = (dict_mem_t *)dict;

	for (size_t i = 0; i < dm->count; i++)
		if (fn(dm->keys[i], dm->values[i], ctx) != 0)
			break;
	return 0;
}

static void dict_mem_close(dict_t *dict)
{
	dict_mem_t *dm = (dict_mem_t *)dict;

	for (size_t i = 0; i < dm->count; i++) {
		mem_free(dm->keys[i]);
		mem_free(dm->values[i]);
	}
	mem_free(dm->keys);
	mem_free(dm->values);
	mem_free(dm->slots);
}

dict_t *dict_mem_new(void)
{
	dict_mem_t *dm = (dict_mem_t *)dict_alloc(sizeof(*dm));

	dm->dict.lookup = dict_mem_lookup;
	dm->dict.walk = dict_mem_walk;
	dm->dict.close = dict_mem_close;
	dict_mem_grow(dm);
	return &dm->dict;
}

int dict_mem_add(dict_t *dict, const char *key, const char *value)
{
	dict_mem_t *dm = (dict_mem_t *)dict;
	size_t slot;

	if ((dm->count + 1) * 2 > dm->nslots)
		dict_mem_grow(dm);
	slot = dict_mem_slot(dm, key);
	if (dm->slots[slot])
		return -1;
	if (dm->count == dm->cap) {
		dm->cap = dm->cap ? dm->cap * 2 : DICT_MEM_MIN_SLOTS;
		dm->keys = mem_realloc(dm->keys, dm->cap * sizeof(*dm->keys));
		dm->values = mem_realloc(dm->values, dm->cap * sizeof(*dm->values));
	}
	dm->keys[dm->count] = mem_strdup(key);
	dm->values[dm->count] = mem_strdup(value);
	dm->slots[slot] = ++dm->count;
	return 0;
}
