/*
 * admin_conf_edit: "pochta conf name=value..." and "pochta conf -X
 * name...", editing main.cf as postconf -e and -X do.
 *
 * Everything else in the file stays as it was: comments, blank lines,
 * order, other definitions. The first definition of a name (its line and
 * continuation lines) is replaced in place, later ones are removed so the
 * new value is the one in force, and a name the file lacks is appended.
 * Comment and blank lines inside a definition's continuation lines stay.
 * The new file replaces the old by rename, so a daemon starting meanwhile
 * reads one or the other whole. A typed value (number, time, boolean) is
 * checked first by the code the daemons read it with.
 */
#include <ctype.h>
#include <string.h>

#include "admin.h"
#include "conf.h"
#include "mem.h"

#define ADMIN_CONF_FILE_MODE 0644	/* if main.cf vanished since it was read */

typedef struct admin_edit {
	char *name;
	char *value;		/* NULL: remove */
	int written;
} admin_edit_t;

typedef struct admin_edits {
	admin_edit_t *items;
	size_t count;
} admin_edits_t;

static admin_edit_t *admin_edit_find(admin_edits_t *edits, const char *name, size_t len)
{
	for (size_t i = 0; i < edits->count; i++)
		if (strlen(edits->items[i].name) == len && memcmp(edits->items[i].name, name, len) == 0)
			return &edits->items[i];
	return NULL;
}

/* Check one argument and add it; a later one for the same name wins. */
static void admin_edit_add(admin_edits_t *edits, const char *arg, int remove)
{
	const char *eq = remove ? NULL : strchr(arg, '=');
	char *copy = eq ? mem_strndup(arg, (size_t)(eq - arg)) : mem_strdup(arg);
	const char *name = str_trim(copy);
	admin_edit_t *e;

	if (!conf_name_valid(name))
		admin_fatal("bad parameter name: \"%s\"", name);
	if (eq && strpbrk(eq + 1, "\r\n"))
		admin_fatal("%s: a value must be one line", name);
	if (!conf_name_known(name))
		admin_say("warning: %s: unknown parameter", name);
	if ((e = admin_edit_find(edits, name, strlen(name))) == NULL) {
		edits->items = mem_realloc(edits->items, (edits->count + 1) * sizeof(*edits->items));
		e = &edits->items[edits->count++];
		e->name = mem_strdup(name);
		e->value = NULL;
		e->written = 0;
	}
	mem_free(e->value);
	e->value = NULL;
	mem_free(copy);
	if (eq) {
		copy = mem_strdup(eq + 1);
		e->value = mem_strdup(str_trim(copy));
		mem_free(copy);
	}
}

/* Fatal when a new typed value is bad. It is checked alone, with the
 * defaults for any $name in it: main.cf may be broken, and fixing it may
 * be the point of the edit. */
static void admin_edit_check_values(const admin_edits_t *edits)
{
	const conf_param_t *p;

	for (size_t i = 0; i < edits->count; i++) {
		if (edits->items[i].value == NULL)
			continue;
		if ((p = conf_param_find(edits->items[i].name)) == NULL || p->type == CONF_STR)
			continue;
		conf_set(p->name, edits->items[i].value);
		if (p->type == CONF_INT)
			(void)conf_int(p->name);
		else if (p->type == CONF_TIME)
			(void)conf_time(p->name);
		else
			(void)conf_bool(p->name);
	}
}

/* Physical lines: a comment or blank line, a continuation, or a definition. */
static int admin_edit_blank(const char *line, size_t len)
{
	size_t i = 0;

	while (i < len && isspace((unsigned char)line[i]))
		i++;
	return i == len || line[i] == '#';
}

static size_t admin_edit_line_len(const char *text, size_t pos, size_t end)
{
	const char *nl = memchr(text + pos, '\n', end - pos);

	return nl ? (size_t)(nl - (text + pos)) + 1 : end - pos;
}

/* The name a definition line starts with, as a length at line. */
static size_t admin_edit_def_name(const char *line, size_t len)
{
	size_t n = 0;

	while (n < len && line[n] != '=' && !isspace((unsigned char)line[n]))
		n++;
	return n;
}

/* Copy the blank and comment lines among a definition's continuation
 * lines, which are dropped with it; returns where the definition ends. */
static size_t admin_edit_skip_def(const char *text, size_t pos, size_t end, str_t *out)
{
	size_t scan = pos, last = pos, len;

	while (scan < end) {	/* the definition ends after its last continuation line */
		len = admin_edit_line_len(text, scan, end);
		if (!admin_edit_blank(text + scan, len) && !isspace((unsigned char)text[scan]))
			break;
		if (!admin_edit_blank(text + scan, len))
			last = scan + len;
		scan += len;
	}
	for (scan = pos; scan < last; scan += len) {
		len = admin_edit_line_len(text, scan, last);
		if (admin_edit_blank(text + scan, len))
			str_append(out, text + scan, len);
	}
	return last;
}

static void admin_edit_write_def(const admin_edit_t *e, str_t *out)
{
	if (*e->value)
		str_printf(out, "%s = %s\n", e->name, e->value);
	else
		str_printf(out, "%s =\n", e->name);
}

static void admin_edit_text(admin_edits_t *edits, const str_t *old, str_t *out)
{
	const char *text = old->data ? old->data : "";
	size_t pos = 0, len;
	admin_edit_t *e;

	while (pos < old->len) {
		len = admin_edit_line_len(text, pos, old->len);
		e = NULL;
		if (!admin_edit_blank(text + pos, len) && !isspace((unsigned char)text[pos]))
			e = admin_edit_find(edits, text + pos, admin_edit_def_name(text + pos, len));
		if (e == NULL) {
			str_append(out, text + pos, len);
			pos += len;
			continue;
		}
		if (e->value && !e->written)
			admin_edit_write_def(e, out);
		e->written = 1;
		pos = admin_edit_skip_def(text, pos + len, old->len, out);
	}
	for (size_t i = 0; i < edits->count; i++) {
		if (edits->items[i].written || edits->items[i].value == NULL)
			continue;
		if (out->len > 0 && out->data[out->len - 1] != '\n')
			str_putc(out, '\n');
		admin_edit_write_def(&edits->items[i], out);
	}
}

static void admin_edits_free(admin_edits_t *edits)
{
	for (size_t i = 0; i < edits->count; i++) {
		mem_free(edits->items[i].name);
		mem_free(edits->items[i].value);
	}
	mem_free(edits->items);
}

int admin_conf_edit(char **args, int count, int remove, const char *config_dir)
{
	admin_edits_t edits = { NULL, 0 };
	str_t path = STR_INIT, old = STR_INIT, new_text = STR_INIT, err = STR_INIT;

	for (int i = 0; i < count; i++)
		admin_edit_add(&edits, args[i], remove);
	admin_edit_check_values(&edits);
	admin_maincf_path(config_dir, &path);
	if (conf_read_file(str_cstr(&path), CONF_FILE_MAX, &old, &err) < 0)
		admin_fatal("%s", str_cstr(&err));
	admin_edit_text(&edits, &old, &new_text);
	admin_replace_file(str_cstr(&path), str_cstr(&new_text), ADMIN_CONF_FILE_MODE);
	admin_edits_free(&edits);
	str_free(&path);
	str_free(&old);
	str_free(&new_text);
	str_free(&err);
	return 0;
}
