/*
 * dict: opening tables by "type:name", the registry of open tables, and
 * what every type shares (see dict.h; a type's side is in dict_type.h).
 *
 * The registry is the list of every table open in this process, which is
 * what dict_changed_name() looks through: for each table backed by a file
 * it compares the file as it is now (device, inode, size, modification
 * time) with the file when the table was opened, once per file when
 * several tables were opened from the same file. A file that cannot be
 * looked at now (a directory the unprivileged daemon cannot search) counts
 * as unchanged; one that has gone counts as changed. Tables still open
 * when the process exits are closed then: Berkeley DB frees its memory
 * only when a handle is closed.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "dict.h"
#include "dict_type.h"
#include "mem.h"

#define DICT_TYPE_MAX 32		/* length of the "type" in "type:name" shown in errors */

typedef struct dict_type {
	const char *name;
	dict_open_fn open;
	dict_build_fn build;		/* NULL: not built from a text source */
} dict_type_t;

static const dict_type_t dict_types[] = {
	{ "texthash", dict_text_open, NULL },
	{ "hash", dict_hash_open, dict_hash_build },
	{ "btree", dict_btree_open, dict_btree_build },
	{ "inline", dict_inline_open, NULL },
	{ "static", dict_static_open, NULL },
	{ "unix", dict_unix_open, NULL },
	{ NULL, NULL, NULL },
};

static dict_t *dict_registry;		/* every open table */

dict_t *dict_alloc(size_t size)
{
	return mem_calloc(1, size);
}

static void dict_stamp(dict_stamp_t *stamp, const struct stat *st)
{
	stamp->present = 1;
	stamp->dev = st->st_dev;
	stamp->ino = st->st_ino;
	stamp->size = st->st_size;
	stamp->mtime = st->st_mtim;
	stamp->uid = st->st_uid;
}

void dict_watch(dict_t *dict, const char *path, const struct stat *st)
{
	struct stat now;

	mem_free(dict->file);
	dict->file = mem_strdup(path);
	memset(&dict->stamp, 0, sizeof(dict->stamp));
	if (st == NULL && stat(path, &now) == 0)
		st = &now;
	if (st != NULL)
		dict_stamp(&dict->stamp, st);
}

dict_t *dict_unavailable(const char *path, const char *fmt, ...)
{
	dict_t *dict = dict_alloc(sizeof(*dict));
	str_t why = STR_INIT;
	va_list ap;

	va_start(ap, fmt);
	str_vprintf(&why, fmt, ap);
	va_end(ap);
	dict->error = str_steal(&why);
	if (path != NULL)
		dict_watch(dict, path, NULL);
	return dict;
}

int dict_fold_key(const char *key, char *buf)
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

/* The type named before the colon of spec, or NULL with err. */
static const dict_type_t *dict_find_type(const char *spec, const char **name, str_t *err)
{
	const char *colon = strchr(spec, ':');
	const dict_type_t *t;
	size_t tlen;

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
	*name = colon + 1;
	return t;
}

static void dict_close_all(void)
{
	while (dict_registry)
		dict_close(dict_registry);
}

dict_t *dict_open(const char *spec, str_t *err)
{
	static int at_exit;
	const dict_type_t *t;
	const char *name;
	dict_t *dict;

	if (!at_exit && atexit(dict_close_all) == 0)
		at_exit = 1;
	if ((t = dict_find_type(spec, &name, err)) == NULL)
		return NULL;
	if ((dict = t->open(name, err)) == NULL)
		return NULL;
	dict->spec = mem_strdup(spec);
	dict->next = dict_registry;
	dict_registry = dict;
	return dict;
}

int dict_lookup(dict_t *dict, const char *key, str_t *value)
{
	char folded[DICT_KEY_MAX + 1];

	if (dict->error) {
		str_set(value, dict->error);
		return -1;
	}
	if (dict_fold_key(key, folded) < 0)
		return 0;	/* too long to be in any table */
	return dict->lookup(dict, folded, value);
}

const char *dict_name(const dict_t *dict)
{
	return dict->spec;
}

const char *dict_error(const dict_t *dict)
{
	return dict->error;
}

int dict_walk(dict_t *dict, dict_walk_fn fn, void *ctx)
{
	return dict->walk && !dict->error ? dict->walk(dict, fn, ctx) : -1;
}

void dict_close(dict_t *dict)
{
	dict_t **pp;

	for (pp = &dict_registry; *pp; pp = &(*pp)->next) {
		if (*pp == dict) {
			*pp = dict->next;
			break;
		}
	}
	if (dict->close)
		dict->close(dict);
	mem_free(dict->spec);
	mem_free(dict->error);
	mem_free(dict->file);
	mem_free(dict);
}

int dict_owner(const dict_t *dict, uid_t *uid)
{
	if (dict->file == NULL || !dict->stamp.present)
		return -1;
	*uid = dict->stamp.uid;
	return 0;
}

static int dict_file_changed(const dict_t *dict)
{
	const dict_stamp_t *was = &dict->stamp;
	struct stat st;

	if (stat(dict->file, &st) != 0)
		return was->present && errno == ENOENT;
	return !was->present || st.st_dev != was->dev || st.st_ino != was->ino
		|| st.st_size != was->size || st.st_mtim.tv_sec != was->mtime.tv_sec
		|| st.st_mtim.tv_nsec != was->mtime.tv_nsec;
}

static int dict_stamp_same(const dict_stamp_t *a, const dict_stamp_t *b)
{
	return a->present == b->present && a->dev == b->dev && a->ino == b->ino
		&& a->size == b->size && a->mtime.tv_sec == b->mtime.tv_sec
		&& a->mtime.tv_nsec == b->mtime.tv_nsec;
}

/* An earlier table in the registry watches the same file as it was then:
 * its verdict, already given, is this one's too (a map named twice, as
 * virtual_mailbox_domains = $virtual_mailbox_maps, costs one stat). */
static int dict_watched_before(const dict_t *dict)
{
	for (const dict_t *d = dict_registry; d != dict; d = d->next)
		if (d->file && strcmp(d->file, dict->file) == 0 &&
		    dict_stamp_same(&d->stamp, &dict->stamp))
			return 1;
	return 0;
}

const char *dict_changed_name(void)
{
	for (const dict_t *dict = dict_registry; dict; dict = dict->next)
		if (dict->file && !dict_watched_before(dict) && dict_file_changed(dict))
			return dict->spec;
	return NULL;
}

int dict_changed(void)
{
	return dict_changed_name() != NULL;
}

int dict_build(const char *spec, int flags, str_t *err)
{
	const dict_type_t *t;
	const char *name;
	dict_t *source;
	int ret;

	if ((t = dict_find_type(spec, &name, err)) == NULL)
		return -1;
	if (t->build == NULL) {
		str_printf(err, "%s: tables of type %s are not built from a file", spec, t->name);
		return -1;
	}
	source = dict_text_load(name, flags);
	if (dict_error(source)) {
		str_append_cstr(err, dict_error(source));
		ret = -1;
	} else {
		ret = t->build(name, source, flags, err);
	}
	dict_close(source);
	return ret;
}
