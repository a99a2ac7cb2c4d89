/*
 * maps: the tables a list parameter names ("virtual_alias_maps =
 * hash:/etc/pochta/virtual, texthash:/etc/pochta/more"), searched in
 * order: the first table that knows the address answers, and a table that
 * cannot be read now stops the search with a temporary error rather than
 * letting a later table answer in its place.
 */
#ifndef POCHTA_MAPS_H
#define POCHTA_MAPS_H

#include "dict.h"

typedef struct maps {
	char *param;		/* the parameter that named the tables, for messages */
	dict_t **tables;
	size_t count;
} maps_t;

/* Open every table named by the value of param (none for an empty value).
 * NULL with "reason (in param)" in err when a name is wrong. */
maps_t *maps_open(const char *param, str_t *err);
/* dict_lookup_addr over the tables: 1 found (value set), 0 not found, -1
 * temporary error (message in value). */
int maps_lookup_addr(const maps_t *maps, const char *addr, const char *delimiters,
		     int flags, str_t *value);
void maps_close(maps_t *maps);

#endif
