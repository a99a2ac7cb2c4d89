/*
 * dict_type: what a table type implements, for the dict_*.c files only
 * (callers use dict.h).
 *
 * A type's open function allocates its own struct, whose first member is a
 * dict_t, with dict_alloc(), and fills in the operations. A table backed by
 * a file records the file with dict_watch() so that dict_changed() notices
 * a rebuild; a file that cannot be read now makes dict_unavailable(), a
 * table whose every lookup is a temporary error. dict.c adds the name and
 * keeps the registry of open tables.
 */
#ifndef POCHTA_DICT_TYPE_H
#define POCHTA_DICT_TYPE_H

#include <sys/stat.h>

#include "dict.h"

/* What a table remembers of its file to notice that it changed. */
typedef struct dict_stamp {
	int present;			/* 0: the file was missing */
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	uid_t uid;			/* the owner, for dict_owner() */
} dict_stamp_t;

struct dict {
	int (*lookup)(dict_t *dict, const char *key, str_t *value);	/* key folded */
	int (*walk)(dict_t *dict, dict_walk_fn fn, void *ctx);	/* NULL: cannot list */
	void (*close)(dict_t *dict);				/* NULL: nothing to free */
	char *spec;			/* "type:name" as opened */
	char *error;			/* set: cannot be read now, every lookup fails */
	char *file;			/* set: a file whose change means a rebuild */
	dict_stamp_t stamp;		/* that file when the table was opened */
	struct dict *next;		/* the registry of open tables */
};

/* Open "name" of one type: a table (maybe unavailable), or NULL with err. */
typedef dict_t *(*dict_open_fn)(const char *name, str_t *err);
/* Build the type's file for NAME from the parsed source; 0 or -1 with err. */
typedef int (*dict_build_fn)(const char *name, dict_t *source, int flags, str_t *err);

/* dict.c: helpers for the types. */
dict_t *dict_alloc(size_t size);	/* zeroed; size of the type's struct */
/* Remember path as it is now (st from stat/fstat, or NULL to stat it here). */
void dict_watch(dict_t *dict, const char *path, const struct stat *st);
/* A table that cannot be read now: lookups fail with the message; path
 * (may be NULL) is watched so that its repair is noticed. */
dict_t *dict_unavailable(const char *path, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Lower-case key into buf (DICT_KEY_MAX + 1 bytes); -1 when it is too long. */
int dict_fold_key(const char *key, char *buf);

/* dict_mem.c: an in-memory table (texthash:, inline:). */
dict_t *dict_mem_new(void);
/* Add a folded key; 0, or -1 when the key is already there (the first is kept). */
int dict_mem_add(dict_t *dict, const char *key, const char *value);

/* The types. */
dict_t *dict_text_open(const char *name, str_t *err);
/* A text source read as texthash: does, or as an aliases file with
 * DICT_BUILD_ALIAS in flags (for dict_build). */
dict_t *dict_text_load(const char *name, int flags);
dict_t *dict_hash_open(const char *name, str_t *err);
dict_t *dict_btree_open(const char *name, str_t *err);
int dict_hash_build(const char *name, dict_t *source, int flags, str_t *err);
int dict_btree_build(const char *name, dict_t *source, int flags, str_t *err);
dict_t *dict_inline_open(const char *name, str_t *err);
dict_t *dict_static_open(const char *name, str_t *err);
dict_t *dict_unix_open(const char *name, str_t *err);

#endif
