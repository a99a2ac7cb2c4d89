/*
 * dict: lookup tables behind one interface (see dict.h).
 *
 * Every table type fills in a struct dict whose first members are its
 * operations; callers only see dict_lookup/dict_walk/dict_close. A new type
 * (hash:, btree:, inline:, unix:) is one open function and one line in
 * dict_types[].
 *
 * texthash: reads the source file once, in postmap syntax ("key value",
 * split at the first white space run; later duplicates of a key are
 * ignored with a warning), into an open-addressing hash table.
 */
#include <ctype.h>
#include <stdint.h>
#include <string.h>

#include "conf.h"
#include "dict.h"
#include "log.h"
#include "mem.h"

#define DICT_TYPE_MAX 32		/* length of the "type" in "type:name" */
#define DICT_MIN_SLOTS 16

struct dict {
	int (*lookup)(dict_t *dict, const char *key, str_t *value);
	int (*walk)(dict_t *dict, dict_walk_fn fn, void *ctx);	/* NULL: cannot list */
	void (*close)(dict_t *dict);
	char *spec;			/* "type:name" as opened */
};

typedef struct dict_type {
	const char *name;
	dict_t *(*open)(const char *name, str_t *err);
} dict_type_t;

/* texthash: */

typedef struct dict_text {
	dict_t dict;
	char **keys;
	char **values;
	size_t count;
	size_t *slots;			/* index + 1 into keys, 0 for empty */
	size_t nslots;			/* a power of two */
} dict_text_t;

static uint64_t dict_hash(const char *key)
{
	uint64_t h = 14695981039346656037ULL;	/* FNV-1a */

	for (; *key; key++)
		h = (h ^ (unsigned char)*key) * 1099511628211ULL;
	return h;
}

/* The slot holding key, or the empty slot where it would go. */
static size_t dict_text_slot(const dict_text_t *dt, const char *key)
{
	size_t mask = dt->nslots - 1;
	size_t i = (size_t)dict_hash(key) & mask;

	while (dt->slots[i] && strcmp(dt->keys[dt->slots[i] - 1], key) != 0)
		i = (i + 1) & mask;
	return i;
}

/* Lower-case key into buf; -1 when it is too long to be in any table. */
static int dict_fold_key(const char *key, char *buf)
{
	size_t i;

	for (i = 0; key[i]; i++) {
		if (i >= DICT_KEY_MAX)
			return -1;
		buf[i] = (char)tolower((unsigned char)key[i]);
	}
	buf[i] = 0;
	return 0;
}

static int dict_text_lookup(dict_t *dict, const char *key, str_t *value)
{
	dict_text_t *dt = (dict_text_t *)dict;
	char folded[DICT_KEY_MAX + 1];
	size_t slot;

	if (dict_fold_key(key, folded) < 0)
		return 0;
	slot = dict_text_slot(dt, folded);
	if (dt->slots[slot] == 0)
		return 0;
	str_set(value, dt->values[dt->slots[slot] - 1]);
	return 1;
}

static int dict_text_walk(dict_t *dict, dict_walk_fn fn, void *ctx)
{
	dict_text_t *dt = (dict_text_t *)dict;
	size_t i;

	for (i = 0; i < dt->count; i++)
		if (fn(dt->keys[i], dt->values[i], ctx) != 0)
			break;
	return 0;
}

static void dict_text_close(dict_t *dict)
{
	dict_text_t *dt = (dict_text_t *)dict;
	size_t i;

	for (i = 0; i < dt->count; i++) {
		mem_free(dt->keys[i]);
		mem_free(dt->values[i]);
	}
	mem_free(dt->keys);
	mem_free(dt->values);
	mem_free(dt->slots);
}

static void dict_text_add(dict_text_t *dt, const char *key, const char *value)
{
	dt->keys = mem_realloc(dt->keys, (dt->count + 1) * sizeof(*dt->keys));
	dt->values = mem_realloc(dt->values, (dt->count + 1) * sizeof(*dt->values));
	dt->keys[dt->count] = mem_strdup(key);
	dt->values[dt->count] = mem_strdup(value);
	dt->count++;
}

/* Build the hash index once all entries are known; drop later duplicates. */
static void dict_text_index(dict_text_t *dt, const char *path, const int *lines)
{
	size_t i, kept = 0, slot;

	for (dt->nslots = DICT_MIN_SLOTS; dt->nslots < dt->count * 2; dt->nslots *= 2)
		;
	dt->slots = mem_calloc(dt->nslots, sizeof(*dt->slots));
	for (i = 0; i < dt->count; i++) {
		slot = dict_text_slot(dt, dt->keys[i]);
		if (dt->slots[slot]) {
			log_warning("%s, line %d: duplicate entry: \"%s\", keeping the first",
				    path, lines[i], dt->keys[i]);
			mem_free(dt->keys[i]);
			mem_free(dt->values[i]);
			continue;
		}
		dt->keys[kept] = dt->keys[i];
		dt->values[kept] = dt->values[i];
		dt->slots[slot] = ++kept;
	}
	dt->count = kept;
}

/* One "key value" line: key folded, value is the rest after white space. */
static void dict_text_line(dict_text_t *dt, const char *path, char *line, int lineno,
			   int **lines)
{
	size_t klen = strcspn(line, " \t");
	char *value = line + klen;

	value += strspn(value, " \t");
	if (*value == 0) {
		log_warning("%s, line %d: expected format: key whitespace value", path, lineno);
		return;
	}
	line[klen] = 0;
	if (dict_fold_key(line, line) < 0) {
		log_warning("%s, line %d: key longer than %d bytes", path, lineno, DICT_KEY_MAX);
		return;
	}
	*lines = mem_realloc(*lines, (dt->count + 1) * sizeof(**lines));
	(*lines)[dt->count] = lineno;
	dict_text_add(dt, line, value);
}

static dict_t *dict_text_open(const char *path, str_t *err)
{
	dict_text_t *dt;
	str_t text = STR_INIT;
	str_t line = STR_INIT;
	conf_lines_t rd;
	int *lines = NULL;
	int lineno;

	if (conf_read_file(path, DICT_FILE_MAX, &text, err) < 0) {
		str_free(&text);
		return NULL;
	}
	dt = mem_calloc(1, sizeof(*dt));
	dt->dict.lookup = dict_text_lookup;
	dt->dict.walk = dict_text_walk;
	dt->dict.close = dict_text_close;
	conf_lines_init(&rd, path, &text);
	while (conf_lines_next(&rd, &line, &lineno) == 0)
		dict_text_line(dt, path, line.data, lineno, &lines);
	dict_text_index(dt, path, lines);
	mem_free(lines);
	str_free(&text);
	str_free(&line);
	return &dt->dict;
}

/* static: */

typedef struct dict_static {
	dict_t dict;
	char *value;
} dict_static_t;

static int dict_static_lookup(dict_t *dict, const char *key, str_t *value)
{
	(void)key;
	str_set(value, ((dict_static_t *)dict)->value);
	return 1;
}

static void dict_static_close(dict_t *dict)
{
	mem_free(((dict_static_t *)dict)->value);
}

/* "static:value", or "static:{ value with spaces }" as in Postfix. */
static dict_t *dict_static_open(const char *name, str_t *err)
{
	dict_static_t *ds = mem_calloc(1, sizeof(*ds));
	size_t len = strlen(name);

	(void)err;
	if (len >= 2 && name[0] == '{' && name[len - 1] == '}') {
		name++;
		len -= 2;
		while (len > 0 && isspace((unsigned char)*name))
			name++, len--;
		while (len > 0 && isspace((unsigned char)name[len - 1]))
			len--;
	}
	ds->value = mem_strndup(name, len);
	ds->dict.lookup = dict_static_lookup;
	ds->dict.close = dict_static_close;
	return &ds->dict;
}

static const dict_type_t dict_types[] = {
	{ "texthash", dict_text_open },
	{ "static", dict_static_open },
	{ NULL, NULL },
};

dict_t *dict_open(const char *spec, str_t *err)
{
	const char *colon = strchr(spec, ':');
	const dict_type_t *t;
	size_t tlen;
	dict_t *dict;

	if (colon == NULL) {
		str_printf(err, "bad table name \"%s\": expected type:name", spec);
		return NULL;
	}
	tlen = (size_t)(colon - spec);
	for (t = dict_types; t->name; t++)
		if (strlen(t->name) == tlen && strncmp(t->name, spec, tlen) == 0)
			break;
	if (t->name == NULL) {
		if (tlen > DICT_TYPE_MAX)
			tlen = DICT_TYPE_MAX;	/* keep the message short */
		str_printf(err, "unsupported dictionary type: %.*s", (int)tlen, spec);
		return NULL;
	}
	if ((dict = t->open(colon + 1, err)) != NULL)
		dict->spec = mem_strdup(spec);
	return dict;
}

int dict_lookup(dict_t *dict, const char *key, str_t *value)
{
	return dict->lookup(dict, key, value);
}

const char *dict_name(const dict_t *dict)
{
	return dict->spec;
}

int dict_walk(dict_t *dict, dict_walk_fn fn, void *ctx)
{
	return dict->walk ? dict->walk(dict, fn, ctx) : -1;
}

void dict_close(dict_t *dict)
{
	dict->close(dict);
	mem_free(dict->spec);
	mem_free(dict);
}
