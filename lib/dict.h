/*
 * dict: lookup tables behind one interface, named "type:name" as in
 * Postfix. This is the seam for every table type (SQL/LDAP later), so
 * callers never know which one they hold.
 *
 * texthash:/path    the postmap source format read into memory: "key value"
 *                   lines, "#" comments, continuation lines that start with
 *                   white space, keys folded to lower case.
 * hash:/path        /path.db, a Berkeley DB hash file built by "pochta map"
 * btree:/path       /path.db, a Berkeley DB btree file built by "pochta map"
 * inline:{ k=v, { k2 = v with spaces } }   a table in the name itself
 * static:value      every key finds value; static:{ value with spaces }
 * unix:passwd.byname  key: a user name; value: "name:x:uid:gid:gecos:home:shell"
 *
 * Keys are folded to lower case by every type. A table whose file cannot
 * be read now (missing, unreadable, damaged) still opens: its lookups fail
 * with a temporary error naming the reason, never "not found", so mail
 * waits until the file is fixed. dict_changed() tells a daemon that a file
 * it reads was rebuilt, so it can exit and be started afresh.
 */
#ifndef POCHTA_DICT_H
#define POCHTA_DICT_H

#include <sys/types.h>

#include "str.h"

#define DICT_KEY_MAX 1024
#define DICT_FILE_MAX (64 << 20)	/* a text source bigger than this is refused */
#define DICT_DB_SUFFIX ".db"		/* hash:NAME and btree:NAME read NAME.db */

typedef struct dict dict_t;

/* Open a table by its "type:name"; NULL with a message in err when the
 * name is wrong (unknown type, bad syntax). */
dict_t *dict_open(const char *spec, str_t *err);
/* 1 found (value set), 0 not found, -1 temporary error (message in value). */
int dict_lookup(dict_t *dict, const char *key, str_t *value);
const char *dict_name(const dict_t *dict);
/* Why the table cannot be read now (its lookups fail with it), or NULL. */
const char *dict_error(const dict_t *dict);
/* Visit every key and value, for types that can list them (texthash:,
 * hash:, btree:, inline:); fn returns 0 to go on, anything else stops the
 * walk. 0, or -1 when the type cannot list its keys (static:, unix:) or
 * the table cannot be read now (dict_error says why). */
typedef int (*dict_walk_fn)(const char *key, const char *value, void *ctx);
int dict_walk(dict_t *dict, dict_walk_fn fn, void *ctx);
void dict_close(dict_t *dict);

/* The owner of the table's file (NAME.db, a texthash: source) when it was
 * opened: 0, or -1 when the table has no file or it was missing. */
int dict_owner(const dict_t *dict, uid_t *uid);

/* The name of an open table whose file (NAME.db, or a texthash: source)
 * was replaced or modified since it was opened, or NULL. */
const char *dict_changed_name(void);
/* 1 when dict_changed_name() names a table, else 0. */
int dict_changed(void);

/*
 * Build the file of a table type that has one (hash:, btree:) from its
 * text source NAME, in the postmap format that texthash: reads (warnings
 * for bad lines name "NAME, line N"). The new NAME.db is written under a
 * temporary name, fsync'ed and renamed over the old one, so readers see
 * the old table or the new one, never half of one. It gets the source's
 * mode, and its owner too when run as root. With DICT_BUILD_ALIAS the
 * source is read as an aliases file (alias.h) instead. 0, or -1 with err.
 */
#define DICT_BUILD_NULL 0x1	/* store keys and values with their terminating null byte */
#define DICT_BUILD_ALIAS 0x2	/* the source is an aliases(5) file: "name: value" lines */
int dict_build(const char *spec, int flags, str_t *err);

#endif
