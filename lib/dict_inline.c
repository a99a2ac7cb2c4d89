/*
 * dict_inline: inline:{ key=value, ... }, a table written in its own name,
 * in Postfix's syntax. Entries are separated by white space or commas; an
 * entry in braces, "{ key = value with spaces, or commas }", may hold both,
 * and the white space after "{", around the first "=" and before "}" is
 * dropped. Keys are folded to lower case; of duplicate keys the first is
 * kept, with a warning. A syntax error is an error of the name: dict_open
 * fails and says which entry is wrong.
 */
#include <ctype.h>
#include <string.h>

#include "dict_type.h"
#include "log.h"
#include "mem.h"

#define DICT_INLINE_SEP " \t\r\n,"

/* The length of the braced entry at text ("{...}" with nesting), or 0. */
static size_t dict_inline_braced(const char *text)
{
	size_t i;
	int depth = 0;

	for (i = 0; text[i]; i++) {
		if (text[i] == '{')
			depth++;
		else if (text[i] == '}' && --depth == 0)
			return i + 1;
	}
	return 0;
}

static void dict_inline_trim(char **start, char **end)
{
	while (*start < *end && isspace((unsigned char)**start))
		(*start)++;
	while (*end > *start && isspace((unsigned char)(*end)[-1]))
		(*end)--;
}

/* One entry of len bytes at text (braces already removed) of inline:NAME;
 * 0 or -1 with err. */
static int dict_inline_entry(dict_t *dict, const char *name, const char *text, size_t len,
			     str_t *err)
{
	char *entry = mem_strndup(text, len);
	char *eq = strchr(entry, '=');
	char *key = entry, *key_end = eq, *value, *value_end;
	int ret = -1;

	if (eq == NULL) {
		str_printf(err, "inline:%s: \"%.*s\": expected key=value", name, (int)len, text);
		goto out;
	}
	value = eq + 1;
	value_end = value + strlen(value);
	dict_inline_trim(&key, &key_end);
	dict_inline_trim(&value, &value_end);
	*key_end = *value_end = 0;
	if (*key == 0 || dict_fold_key(key, key) < 0) {
		str_printf(err, "inline:%s: \"%.*s\": bad key", name, (int)len, text);
		goto out;
	}
	if (dict_mem_add(dict, key, value) < 0)
		log_warning("inline:%s: duplicate entry: \"%s\"", name, key);
	ret = 0;
out:
	mem_free(entry);
	return ret;
}

/* The entries between the outer braces; 0 or -1 with err. */
static int dict_inline_parse(dict_t *dict, const char *name, const char *text, str_t *err)
{
	size_t len;

	for (;;) {
		text += strspn(text, DICT_INLINE_SEP);
		if (*text == 0)
			return 0;
		if (*text == '{') {
			if ((len = dict_inline_braced(text)) == 0) {
				str_printf(err, "inline:%s: missing '}' in \"%s\"", name, text);
				return -1;
			}
			if (dict_inline_entry(dict, name, text + 1, len - 2, err) < 0)
				return -1;
		} else {
			len = strcspn(text, DICT_INLINE_SEP);
			if (dict_inline_entry(dict, name, text, len, err) < 0)
				return -1;
		}
		text += len;
	}
}

dict_t *dict_inline_open(const char *name, str_t *err)
{
	size_t len = strlen(name);
	dict_t *dict;
	char *inner;
	int ret;

	if (len < 2 || name[0] != '{' || name[len - 1] != '}') {
		str_printf(err, "bad syntax: \"inline:%s\"; need \"inline:{key=value...}\"", name);
		return NULL;
	}
	dict = dict_mem_new();
	inner = mem_strndup(name + 1, len - 2);
	ret = dict_inline_parse(dict, name, inner, err);
	mem_free(inner);
	if (ret < 0) {
		dict_close(dict);
		return NULL;
	}
	return dict;
}
