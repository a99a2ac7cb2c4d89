/*
 * admin_user_table: the virtual_mailbox_maps source file as "pochta user"
 * edits it. Lookups and the list go through dict.h, so they see the file
 * exactly as smtpd, qmgr and local do. Edits work on physical lines so
 * that everything else in the file (comments, blank lines, other entries
 * and their continuation lines) stays as the administrator wrote it; the
 * new file replaces the old one atomically, and a hash: or btree: table's
 * NAME.db is rebuilt from it with dict_build, as "pochta map" does.
 *
 * An entry starts on a line that begins with a key; lines that begin with
 * white space continue it, and comment or blank lines between them do not
 * end it (the rules of conf_lines_next). Keys compare without case.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "admin_user.h"
#include "conf.h"
#include "dict.h"
#include "mem.h"

#define ADMIN_VUSER_TABLE_MODE 0644	/* a new source file, like init's */

/* The table types whose text source pochta user edits; built: NAME.db is built from it. */
static const struct {
	const char *type;
	int built;
} admin_vuser_table_types[] = {
	{ "texthash", 0 },
	{ "hash", 1 },
	{ "btree", 1 },
	{ NULL, 0 },
};

void admin_vuser_table_find(admin_vuser_table_t *table)
{
	size_t count;
	char **items = conf_split_list(conf_str("virtual_mailbox_maps"), &count);
	const char *colon = count ? strchr(items[0], ':') : NULL;

	if (count == 0)
		admin_fatal("virtual_mailbox_maps is empty: there is no table to keep users in");
	for (int i = 0; colon && colon[1] && admin_vuser_table_types[i].type; i++) {
		const char *type = admin_vuser_table_types[i].type;

		if ((size_t)(colon - items[0]) != strlen(type)
		    || strncmp(items[0], type, strlen(type)) != 0)
			continue;
		table->spec = mem_strdup(items[0]);
		table->path = table->spec + strlen(type) + 1;
		table->built = admin_vuser_table_types[i].built;
		conf_free_list(items, count);
		return;
	}
	admin_fatal("virtual_mailbox_maps: %s: pochta user keeps users in a first table "
		    "of type texthash:, hash: or btree:", items[0]);
}

void admin_vuser_table_free(admin_vuser_table_t *table)
{
	mem_free(table->spec);
	table->spec = NULL;
}

/* The text source read as texthash: reads it (for hash: and btree: too:
 * it is what their NAME.db is built from). */
static dict_t *admin_vuser_table_open(const admin_vuser_table_t *table)
{
	str_t spec = STR_INIT;
	str_t err = STR_INIT;
	dict_t *dict;

	str_printf(&spec, "texthash:%s", table->path);
	if ((dict = dict_open(str_cstr(&spec), &err)) == NULL)
		admin_fatal("virtual_mailbox_maps: %s", str_cstr(&err));
	if (dict_error(dict))
		admin_fatal("virtual_mailbox_maps: %s", dict_error(dict));
	str_free(&spec);
	str_free(&err);
	return dict;
}

/* Replace the source with text; rebuild NAME.db for hash: and btree:. */
static void admin_vuser_table_write(const admin_vuser_table_t *table, const str_t *text)
{
	str_t err = STR_INIT;

	admin_replace_file(table->path, text->data ? text->data : "", ADMIN_VUSER_TABLE_MODE);
	if (table->built && dict_build(table->spec, 0, &err) != 0)
		admin_fatal("rebuild %s: %s", table->spec, str_cstr(&err));
	str_free(&err);
}

int admin_vuser_table_lookup(const admin_vuser_table_t *table, const char *address,
			     str_t *mailbox)
{
	str_t value = STR_INIT;
	dict_t *dict;
	int found;

	if (!admin_exists(table->path))
		return 0;	/* no users yet: "add" creates the file */
	dict = admin_vuser_table_open(table);
	found = dict_lookup(dict, address, &value);
	if (found < 0)
		admin_fatal("%s: look up %s: %s", table->spec, address, str_cstr(&value));
	if (found && mailbox)
		str_set(mailbox, str_cstr(&value));
	str_free(&value);
	dict_close(dict);
	return found;
}

/* The source text, "" when the file does not exist yet. */
static void admin_vuser_table_read(const admin_vuser_table_t *table, str_t *text)
{
	str_t err = STR_INIT;

	if (admin_exists(table->path) && conf_read_file(table->path, DICT_FILE_MAX, text, &err) < 0)
		admin_fatal("%s", str_cstr(&err));
	str_free(&err);
}

void admin_vuser_table_add(const admin_vuser_table_t *table, const char *address,
			   const char *mailbox)
{
	str_t text = STR_INIT;

	admin_vuser_table_read(table, &text);
	if (text.len > 0 && text.data[text.len - 1] != '\n')
		str_putc(&text, '\n');
	str_printf(&text, "%s    %s\n", address, mailbox);
	admin_vuser_table_write(table, &text);
	str_free(&text);
}

/* Blank or comment: kept, and part of no entry. */
static int admin_vuser_line_blank(const char *line, size_t len)
{
	size_t i = 0;

	while (i < len && isspace((unsigned char)line[i]))
		i++;
	return i == len || line[i] == '#';
}

/* Is the key at the start of line address? */
static int admin_vuser_line_key_is(const char *line, size_t len, const char *address)
{
	size_t klen = 0;

	while (klen < len && !isspace((unsigned char)line[klen]))
		klen++;
	return klen == strlen(address) && strncasecmp(line, address, klen) == 0;
}

/* Copy text into out without the entries for address; how many were dropped. */
static int admin_vuser_table_drop(const str_t *text, const char *address, str_t *out)
{
	size_t pos = 0;
	int dropping = 0, dropped = 0;

	while (pos < text->len) {
		const char *line = text->data + pos;
		const char *nl = memchr(line, '\n', text->len - pos);
		size_t len = nl ? (size_t)(nl - line) + 1 : text->len - pos;

		pos += len;
		if (!admin_vuser_line_blank(line, len) && !isspace((unsigned char)line[0])) {
			dropping = admin_vuser_line_key_is(line, len, address);
			dropped += dropping;
		}
		if (!dropping || admin_vuser_line_blank(line, len))
			str_append(out, line, len);
	}
	return dropped;
}

int admin_vuser_table_remove(const admin_vuser_table_t *table, const char *address)
{
	str_t text = STR_INIT;
	str_t out = STR_INIT;
	int dropped;

	admin_vuser_table_read(table, &text);
	dropped = admin_vuser_table_drop(&text, address, &out);
	if (dropped > 0)
		admin_vuser_table_write(table, &out);
	str_free(&text);
	str_free(&out);
	return dropped;
}

typedef struct admin_vuser_keys {
	char **keys;
	size_t count;
} admin_vuser_keys_t;

/* dict_walk callback: keys of the form user@domain (not "@domain" or "domain"). */
static int admin_vuser_collect(const char *key, const char *value, void *ctx)
{
	admin_vuser_keys_t *keys = ctx;
	const char *at = strrchr(key, '@');

	(void)value;
	if (at == NULL || at == key || at[1] == 0)
		return 0;
	keys->keys = mem_realloc(keys->keys, (keys->count + 1) * sizeof(*keys->keys));
	keys->keys[keys->count++] = mem_strdup(key);
	return 0;
}

static int admin_vuser_compare(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char **admin_vuser_table_addresses(const admin_vuser_table_t *table, size_t *count)
{
	admin_vuser_keys_t keys = { NULL, 0 };
	dict_t *dict;

	*count = 0;
	if (!admin_exists(table->path))
		return NULL;
	dict = admin_vuser_table_open(table);
	if (dict_walk(dict, admin_vuser_collect, &keys) != 0)
		admin_fatal("%s: cannot list its keys", table->spec);
	dict_close(dict);
	if (keys.count > 1)
		qsort(keys.keys, keys.count, sizeof(*keys.keys), admin_vuser_compare);
	*count = keys.count;
	return keys.keys;
}
