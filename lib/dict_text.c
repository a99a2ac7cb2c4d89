/*
 * dict_text: texthash:, the postmap source format read into memory. The
 * same reader is what dict_build() (and so "pochta map") turns into a
 * hash: or btree: file, so a source means the same in both.
 *
 * The format: logical lines as in main.cf ("#" comments, blank lines,
 * continuation lines that start with white space); the key is the first
 * field, folded to lower case, the value is the rest of the line after the
 * white space that follows the key. A line without a value, or with a key
 * longer than DICT_KEY_MAX, is skipped with a warning; of duplicate keys
 * the first is kept, with a warning. Warnings name "FILE, line N".
 *
 * dict_build() with DICT_BUILD_ALIAS reads an aliases file instead: the
 * key is the name before ":" (alias_split_line), the value what follows.
 *
 * The file is looked at before it is read, so a rebuild that lands between
 * the two is noticed by dict_changed() rather than missed.
 */
#include <errno.h>
#include <string.h>

#include "alias.h"
#include "conf.h"
#include "dict_type.h"
#include "log.h"

/* The key of a "key value" line ends it in place; the value follows. */
static char *dict_text_split(const char *path, char *line, int lineno)
{
	size_t klen = strcspn(line, " \t");
	char *value = line + klen;

	value += strspn(value, " \t");
	if (*value == 0) {
		log_warning("%s, line %d: expected format: key whitespace value", path, lineno);
		return NULL;
	}
	line[klen] = 0;
	return value;
}

/* One line: key folded, value as the format says. */
static void dict_text_line(dict_t *dict, const char *path, char *line, int lineno, int flags)
{
	const char *why;
	char *value;

	if (!(flags & DICT_BUILD_ALIAS)) {
		if ((value = dict_text_split(path, line, lineno)) == NULL)
			return;
	} else if (alias_split_line(line, &line, &value, &why) < 0) {
		log_warning("%s, line %d: %s", path, lineno, why);
		return;
	}
	if (dict_fold_key(line, line) < 0) {
		log_warning("%s, line %d: key longer than %d bytes", path, lineno, DICT_KEY_MAX);
		return;
	}
	if (dict_mem_add(dict, line, value) < 0)
		log_warning("%s, line %d: duplicate entry: \"%s\"", path, lineno, line);
}

static dict_t *dict_text_unavailable(const char *path, str_t *text, str_t *why)
{
	dict_t *dict = dict_unavailable(path, "%s", str_cstr(why));

	str_free(text);
	str_free(why);
	return dict;
}

dict_t *dict_text_open(const char *path, str_t *err)
{
	(void)err;		/* a name is never wrong; an unreadable file is temporary */
	return dict_text_load(path, 0);
}

dict_t *dict_text_load(const char *path, int flags)
{
	str_t text = STR_INIT;
	str_t line = STR_INIT;
	str_t why = STR_INIT;
	struct stat st;
	conf_lines_t rd;
	dict_t *dict;
	int lineno;

	if (stat(path, &st) != 0)
		str_printf(&why, "%s: %s", path, strerror(errno));
	else
		conf_read_file(path, DICT_FILE_MAX, &text, &why);
	if (why.len > 0)
		return dict_text_unavailable(path, &text, &why);
	dict = dict_mem_new();
	dict_watch(dict, path, &st);
	conf_lines_init(&rd, path, &text);
	while (conf_lines_next(&rd, &line, &lineno) == 0)
		dict_text_line(dict, path, line.data, lineno, flags);
	str_free(&text);
	str_free(&line);
	str_free(&why);
	return dict;
}
