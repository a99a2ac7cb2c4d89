/*
 * local_alias: alias_maps for recipients in local domains (aliases(5)).
 *
 * The local part is looked up as given, then without its extension
 * (recipient_delimiter, dict_addr's rules). Commands and files of an
 * alias run as the owner of the table's file, or as default_privs when
 * root owns it. With owner_request_special, an alias NAME for which
 * "owner-NAME" exists sends its forwarded copies from owner-NAME@domain,
 * so that errors go to the list owner. With "alias" in
 * propagate_unmatched_extensions, an extension that found no alias of its
 * own is added to the local part of each address target.
 *
 * alias_maps is opened on first use: local keeps root, so it can open it
 * at any time, and the table is still noticed when it is rebuilt.
 */
#include <string.h>

#include "conf.h"
#include "dict_addr.h"
#include "local_expand.h"
#include "log.h"
#include "maps.h"
#include "mem.h"

static maps_t *local_alias_maps;

static maps_t *local_alias_open(void)
{
	str_t err = STR_INIT;

	if (local_alias_maps == NULL && (local_alias_maps = maps_open("alias_maps", &err)) == NULL)
		log_fatal("%s", str_cstr(&err));
	str_free(&err);
	return local_alias_maps;
}

/* Look name up exactly: 1 found (value, and the table in *table), 0, -1. */
static int local_alias_find(const char *name, str_t *value, dict_t **table)
{
	maps_t *maps = local_alias_open();
	int rc = 0;

	for (size_t i = 0; i < maps->count && rc == 0; i++) {
		rc = dict_lookup(maps->tables[i], name, value);
		*table = maps->tables[i];
	}
	return rc;
}

int local_alias_exists(const char *name)
{
	str_t value = STR_INIT;
	dict_t *table;
	int rc = local_alias_find(name, &value, &table);

	str_free(&value);
	return rc;
}

/* Put the unmatched extension on each address target that has none. */
static void local_alias_propagate(alias_list_t *list, const char *ext)
{
	str_t addr = STR_INIT;
	size_t len;

	for (size_t i = 0; i < list->count; i++) {
		alias_target_t *t = &list->items[i];

		if (t->kind != ALIAS_ADDRESS)
			continue;
		len = strcspn(t->text, "@");
		str_reset(&addr);
		str_append(&addr, t->text, len);
		str_append_cstr(&addr, ext);
		str_append_cstr(&addr, t->text + len);
		mem_free(t->text);
		t->text = str_steal(&addr);
	}
}

static int local_alias_propagates(void)
{
	size_t count, i;
	char **items = conf_split_list(conf_str("propagate_unmatched_extensions"), &count);
	int found = 0;

	for (i = 0; i < count && !found; i++)
		found = strcasecmp(items[i], "alias") == 0;
	conf_free_list(items, count);
	return found;
}

static void local_alias_owner(local_expand_t *ex, const char *name)
{
	str_t owner = STR_INIT;

	str_printf(&owner, "owner-%s", name);
	if (ex->owner_sender == NULL && conf_bool("owner_request_special")
	    && local_alias_exists(owner.data) > 0) {
		str_printf(&owner, "@%s", ex->domain);
		ex->owner_sender = str_steal(&owner);
	}
	str_free(&owner);
}

/* Deliver the targets of alias name (value from table). */
static void local_alias_expand(local_expand_t *ex, const char *name, const char *value,
			       dict_t *table, const char *ext)
{
	alias_list_t list = { NULL, 0 };
	local_privs_t privs;
	str_t home = STR_INIT;
	const char *why;
	uid_t owner;

	if (alias_parse_targets(value, &list, &why) < 0) {
		log_warning("%s: alias %s: %s", dict_name(table), name, why);
		local_expand_note(ex, "4.3.5", "mail system configuration error");
	} else if (dict_owner(table, &owner) < 0
		   || local_privs_of_owner(owner, LOCAL_FROM_ALIAS, &privs, &home) < 0) {
		local_expand_note(ex, "4.3.5", "mail system configuration error");
	} else {
		if (ext && local_alias_propagates())
			local_alias_propagate(&list, ext);
		local_alias_owner(ex, name);
		local_names_add(&ex->stack, name);
		local_expand_list(ex, &list, &privs, name);
		mem_free(ex->stack.items[--ex->stack.count]);
	}
	alias_list_free(&list);
	str_free(&home);
}

int local_alias(local_expand_t *ex, const char *local_part)
{
	size_t len = strlen(local_part);
	size_t bare = dict_addr_unextended(local_part, len, conf_str("recipient_delimiter"));
	str_t value = STR_INIT, name = STR_INIT, done = STR_INIT;
	dict_t *table = NULL;
	int rc;

	str_set(&name, local_part);
	if ((rc = local_alias_find(name.data, &value, &table)) == 0 && bare < len) {
		str_truncate(&name, bare);
		rc = local_alias_find(name.data, &value, &table);
	}
	str_printf(&done, "alias %s", name.data);
	if (rc < 0) {
		log_warning("alias_maps lookup for %s: %s", name.data, str_cstr(&value));
		local_expand_note(ex, "4.3.0", "alias database unavailable");
	} else if (rc > 0 && local_names_has(&ex->stack, name.data)) {
		local_expand_note(ex, "5.4.6", "alias database loop for %s", name.data);
	} else if (rc > 0 && local_names_add(&ex->done, done.data) == 0) {
		local_alias_expand(ex, name.data, value.data, table,
				   name.len < len ? local_part + bare : NULL);
	}
	str_free(&value);
	str_free(&name);
	str_free(&done);
	return rc == 0 ? 0 : rc > 0 ? 1 : -1;
}
