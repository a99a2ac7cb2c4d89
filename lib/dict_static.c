/*
 * dict_static: static:value, a table in which every key finds value, as
 * in Postfix; "static:{ value with spaces }" keeps spaces inside the
 * value and drops those next to the braces. It cannot list keys.
 */
#include <ctype.h>
#include <string.h>

#include "dict_type.h"
#include "mem.h"

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

dict_t *dict_static_open(const char *name, str_t *err)
{
	dict_static_t *ds = (dict_static_t *)dict_alloc(sizeof(*ds));
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
