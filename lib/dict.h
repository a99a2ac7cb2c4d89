/*
 * dict: lookup tables behind one interface, named "type:name" as in
 * Postfix. This is the seam for every table type (texthash: now; hash:,
 * btree:, inline:, static:, unix:, and SQL/LDAP later), so callers never
 * know which one they hold.
 *
 * texthash:/path  "key value" lines read into memory, "#" comments,
 *                 continuation lines that start with white space, keys
 *                 folded to lower case.
 * static:value    every key finds value.
 */
#ifndef POCHTA_DICT_H
#define POCHTA_DICT_H

#include "str.h"

#define DICT_KEY_MAX 1024
#define DICT_FILE_MAX (64 << 20)	/* a text source bigger than this is refused */

typedef struct dict dict_t;

/* Open a table by its "type:name"; NULL with a message in err. */
dict_t *dict_open(const char *spec, str_t *err);
/* 1 found (value set), 0 not found, -1 temporary error (message in value). */
int dict_lookup(dict_t *dict, const char *key, str_t *value);
const char *dict_name(const dict_t *dict);
/* Visit every key and value, for types that can list them (texthash:);
 * fn returns 0 to go on, anything else stops the walk. 0, or -1 when the
 * type cannot list its keys (static:). */
typedef int (*dict_walk_fn)(const char *key, const char *value, void *ctx);
int dict_walk(dict_t *dict, dict_walk_fn fn, void *ctx);
void dict_close(dict_t *dict);

#endif
