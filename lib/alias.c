/*
 * alias: parsing aliases(5) lines and alias values into targets (see
 * alias.h). Pure text work: no files, no lookups.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "alias.h"
#include "mem.h"
#include "str.h"

/* Remove double quotes and backslashes (before the character they protect) in place. */
static void alias_unquote(char *s)
{
	char *out = s;

	for (; *s; s++) {
		if (*s == '"')
			continue;
		if (*s == '\\' && s[1])
			s++;
		*out++ = *s;
	}
	*out = 0;
}

int alias_split_line(char *line, char **name, char **value, const char **why)
{
	int quoted = 0;
	char *p;

	for (p = line; *p; p++) {
		if (*p == '\\' && p[1])
			p++;
		else if (*p == '"')
			quoted = !quoted;
		else if (*p == ':' && !quoted)
			break;
	}
	if (*p != ':') {
		*why = "need name:value pair";
		return -1;
	}
	*p = 0;
	*name = str_trim(line);
	alias_unquote(*name);
	*value = str_trim(p + 1);
	if (**name == 0 || **value == 0) {
		*why = "need name:value pair";
		return -1;
	}
	for (p = *name; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return 0;
}

static void alias_add(alias_list_t *list, char *text)
{
	alias_target_t *t;
	size_t plen = strlen(ALIAS_INCLUDE_PREFIX);

	list->items = mem_realloc(list->items, (list->count + 1) * sizeof(*list->items));
	t = &list->items[list->count++];
	if (*text == '|') {
		t->kind = ALIAS_COMMAND;
		text = str_trim(text + 1);
	} else if (*text == '/') {
		t->kind = ALIAS_FILE;
	} else if (strncasecmp(text, ALIAS_INCLUDE_PREFIX, plen) == 0) {
		t->kind = ALIAS_INCLUDE;
		text = str_trim(text + plen);
	} else {
		t->kind = ALIAS_ADDRESS;
	}
	t->text = mem_strdup(text);
}

/* One target between separators: trimmed, unquoted, added unless empty. */
static int alias_take(alias_list_t *list, const char *start, size_t len, const char **why)
{
	char *copy = mem_strndup(start, len);
	char *text = str_trim(copy);
	int ret = 0;

	alias_unquote(text);
	text = str_trim(text);
	if (*text && list->count >= ALIAS_TARGETS_MAX) {
		*why = "too many targets";
		ret = -1;
	} else if (*text) {
		alias_add(list, text);
	}
	mem_free(copy);
	return ret;
}

int alias_parse_targets(const char *value, alias_list_t *list, const char **why)
{
	const char *start = value, *p;
	int quoted = 0;

	for (p = value; *p; p++) {
		if (*p == '\\' && p[1]) {
			p++;
		} else if (*p == '"') {
			quoted = !quoted;
		} else if ((*p == ',' || *p == '\n') && !quoted) {
			if (alias_take(list, start, (size_t)(p - start), why) < 0)
				return -1;
			start = p + 1;
		}
	}
	if (quoted) {
		*why = "unbalanced quote";
		return -1;
	}
	return alias_take(list, start, (size_t)(p - start), why);
}

int alias_parse_file_text(const char *text, size_t len, alias_list_t *list, const char **why)
{
	const char *end = text + len, *nl;
	size_t llen;
	int ret = 0;

	for (; text < end && ret == 0; text = nl < end ? nl + 1 : end) {
		nl = memchr(text, '\n', (size_t)(end - text));
		if (nl == NULL)
			nl = end;
		llen = (size_t)(nl - text);
		while (llen > 0 && isspace((unsigned char)*text))
			text++, llen--;
		if (llen > 0 && *text != '#') {
			char *line = mem_strndup(text, llen);

			ret = alias_parse_targets(line, list, why);
			mem_free(line);
		}
	}
	return ret;
}

void alias_list_free(alias_list_t *list)
{
	for (size_t i = 0; i < list->count; i++)
		mem_free(list->items[i].text);
	mem_free(list->items);
	list->items = NULL;
	list->count = 0;
}
