/*
 * admin_maincf: main.cf as the administrator wrote it, for "pochta conf
 * -n" and "pochta check": every "name = value" definition in file order
 * with its line number, values as written (no $name expansion), read
 * through the same logical-line reader as conf_load.
 */
#include <string.h>

#include "admin.h"
#include "conf.h"
#include "mem.h"

static void admin_maincf_add(admin_defs_t *defs, const char *name, const char *value, int line)
{
	admin_def_t *d;

	defs->defs = mem_realloc(defs->defs, (defs->count + 1) * sizeof(*defs->defs));
	d = &defs->defs[defs->count++];
	d->name = mem_strdup(name);
	d->value = mem_strdup(value);
	d->line = line;
}

int admin_maincf_read(const char *path, admin_defs_t *defs, str_t *err)
{
	str_t text = STR_INIT, line = STR_INIT;
	conf_lines_t rd;
	int lineno, ret = 0;
	char *eq;

	memset(defs, 0, sizeof(*defs));
	if (conf_read_file(path, CONF_FILE_MAX, &text, err) < 0)
		ret = -1;
	conf_lines_init(&rd, path, &text);
	while (ret == 0 && conf_lines_next(&rd, &line, &lineno) == 0) {
		if ((eq = strchr(line.data, '=')) == NULL) {
			str_printf(err, "%s:%d: missing '=' after parameter name", path, lineno);
			ret = -1;
			break;
		}
		*eq = 0;
		admin_maincf_add(defs, str_trim(line.data), str_trim(eq + 1), lineno);
	}
	str_free(&text);
	str_free(&line);
	if (ret < 0)
		admin_maincf_free(defs);
	return ret;
}

const admin_def_t *admin_maincf_find(const admin_defs_t *defs, const char *name)
{
	for (size_t i = defs->count; i > 0; i--)
		if (strcmp(defs->defs[i - 1].name, name) == 0)
			return &defs->defs[i - 1];
	return NULL;
}

void admin_maincf_free(admin_defs_t *defs)
{
	for (size_t i = 0; i < defs->count; i++) {
		mem_free(defs->defs[i].name);
		mem_free(defs->defs[i].value);
	}
	mem_free(defs->defs);
	memset(defs, 0, sizeof(*defs));
}

void admin_maincf_path(const char *config_dir, str_t *path)
{
	str_reset(path);
	str_printf(path, "%s/main.cf", config_dir);
}
