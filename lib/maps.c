/*
 * maps: a list parameter's tables searched in order (see maps.h).
 */
#include "conf.h"
#include "dict_addr.h"
#include "maps.h"
#include "mem.h"

maps_t *maps_open(const char *param, str_t *err)
{
	maps_t *maps = mem_alloc(sizeof(*maps));
	size_t count, i;
	char **items = conf_split_list(conf_str(param), &count);
	dict_t *dict;

	maps->param = mem_strdup(param);
	maps->tables = mem_alloc((count ? count : 1) * sizeof(*maps->tables));
	maps->count = 0;
	for (i = 0; i < count; i++) {
		if ((dict = dict_open(items[i], err)) == NULL) {
			str_printf(err, " (in %s)", param);
			maps_close(maps);
			maps = NULL;
			break;
		}
		maps->tables[maps->count++] = dict;
	}
	conf_free_list(items, count);
	return maps;
}

int maps_lookup_addr(const maps_t *maps, const char *addr, const char *delimiters,
		     int flags, str_t *value)
{
	size_t i;
	int found = 0;

	for (i = 0; i < maps->count && found == 0; i++)
		found = dict_lookup_addr(maps->tables[i], addr, delimiters, flags, value);
	return found;
}

void maps_close(maps_t *maps)
{
	size_t i;

	if (maps == NULL)
		return;
	for (i = 0; i < maps->count; i++)
		dict_close(maps->tables[i]);
	mem_free(maps->tables);
	mem_free(maps->param);
	mem_free(maps);
}
