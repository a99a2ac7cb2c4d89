/*
 * admin_conf_master: "pochta conf -M [service[/type]...]", master.cf as
 * postconf -M shows it: each service on one line, its fields in aligned
 * columns as written ("-" stays "-"), continuation lines joined, comments
 * left out. Arguments select services by name, or by name and type
 * ("smtp/unix"); one that matches nothing gets a warning. The file must
 * parse as master reads it, else the error names file:line.
 */
#include <stdio.h>
#include <string.h>

#include "admin.h"
#include "conf.h"
#include "mem.h"

#define ADMIN_MASTER_FIELDS 7		/* columns before the command */

static int admin_master_selected(char **selectors, int count, const char *name,
				 const char *type, int *matched)
{
	size_t len;
	int any = 0;

	if (count == 0)
		return 1;
	for (int i = 0; i < count; i++) {
		len = strcspn(selectors[i], "/");
		if (len != strlen(name) || strncmp(selectors[i], name, len) != 0)
			continue;
		if (selectors[i][len] == '/' && strcmp(selectors[i] + len + 1, type) != 0)
			continue;
		matched[i] = 1;
		any = 1;
	}
	return any;
}

/* One logical line, its fields aligned as in the installed master.cf. */
static void admin_master_print(char *line)
{
	static const int width[ADMIN_MASTER_FIELDS] = { 11, 5, 7, 7, 7, 7, 7 };
	char *save = NULL;
	int field = 0;

	for (char *tok = strtok_r(line, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
		if (field < ADMIN_MASTER_FIELDS)
			printf("%-*s ", width[field], tok);
		else
			printf("%s%s", tok, save && *save ? " " : "");
		field++;
	}
	putchar('\n');
}

static void admin_master_check(const char *path)
{
	conf_service_t *services;
	size_t count;
	str_t err = STR_INIT;

	if (conf_master_load(path, &services, &count, &err) != 0)
		admin_fatal("%s", str_cstr(&err));
	conf_master_free(services, count);
	str_free(&err);
}

/* Is the service on this line selected? The line has parsed: it has a
 * name and a type. */
static int admin_master_line_selected(const char *line, char **selectors, int count,
				      int *matched)
{
	char *copy = mem_strdup(line);
	char *save = NULL;
	char *name = strtok_r(copy, " \t", &save);
	char *type = strtok_r(NULL, " \t", &save);
	int selected = admin_master_selected(selectors, count, name, type, matched);

	mem_free(copy);
	return selected;
}

int admin_conf_master(char **selectors, int count, const char *config_dir)
{
	str_t path = STR_INIT, text = STR_INIT, line = STR_INIT, err = STR_INIT;
	int *matched = mem_calloc((size_t)count + 1, sizeof(*matched));
	conf_lines_t rd;
	int lineno, status = 0;

	admin_conf_load(config_dir);
	str_printf(&path, "%s/master.cf", config_dir);
	admin_master_check(str_cstr(&path));
	if (conf_read_file(str_cstr(&path), CONF_FILE_MAX, &text, &err) < 0)
		admin_fatal("%s", str_cstr(&err));
	conf_lines_init(&rd, str_cstr(&path), &text);
	while (conf_lines_next(&rd, &line, &lineno) == 0) {
		if (admin_master_line_selected(line.data, selectors, count, matched))
			admin_master_print(line.data);
	}
	for (int i = 0; i < count; i++) {
		if (!matched[i]) {
			admin_say("warning: %s: no such service in %s", selectors[i], str_cstr(&path));
			status = 1;
		}
	}
	str_free(&path);
	str_free(&text);
	str_free(&line);
	str_free(&err);
	mem_free(matched);
	return status;
}
