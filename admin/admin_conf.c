/*
 * admin_conf: "pochta conf", Pochta's postconf.
 *
 *   pochta conf [-d | -n] [-h] [-x] [name...]   print parameters
 *   pochta conf name=value...                  set them in main.cf
 *   pochta conf -X name...                     remove them from main.cf
 *   pochta conf -M [service[/type]...]         print master.cf services
 *
 * As postconf does: without names every known parameter in name order,
 * "name = value" with the value as written (main.cf, else the default);
 * -x expands $name references, -h prints values alone, -n only what
 * main.cf sets (unknown names too, with conf_load's warning), -d the built-in
 * defaults from conf_params.c without reading main.cf. Editing is in
 * admin_conf_edit.c, -M in admin_conf_master.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admin.h"
#include "conf.h"
#include "mem.h"

#define ADMIN_CONF_USAGE \
	"conf [-d | -n] [-h] [-x] [name...] | conf name=value... | conf -X name... | " \
	"conf -M [service[/type]...]"

enum admin_conf_mode { ADMIN_CONF_SHOW, ADMIN_CONF_REMOVE, ADMIN_CONF_MASTER };

typedef struct admin_conf_opts {
	enum admin_conf_mode mode;
	int defaults;		/* -d */
	int set_only;		/* -n */
	int value_only;		/* -h */
	int expand;		/* -x */
} admin_conf_opts_t;

static void admin_conf_print(const admin_conf_opts_t *o, const char *name, const char *value)
{
	if (o->value_only)
		printf("%s\n", value);
	else if (*value)
		printf("%s = %s\n", name, value);
	else
		printf("%s =\n", name);
}

/* The value to show for a known parameter, or NULL for an unknown one. */
static const char *admin_conf_value(const admin_conf_opts_t *o, const char *name)
{
	const conf_param_t *p = conf_param_find(name);
	const char *raw;

	if (o->defaults)
		return p == NULL ? NULL : p->dflt ? p->dflt : conf_get(name);
	if (o->expand)
		return conf_get(name);
	raw = conf_raw(name);
	return raw ? raw : conf_get(name);	/* computed defaults have no raw text */
}

static int admin_conf_name_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Every known name (-n: every name main.cf sets), sorted, without repeats. */
static const char **admin_conf_names(const admin_conf_opts_t *o, const admin_defs_t *defs,
				     size_t *count)
{
	const char **names;
	size_t n = 0, kept = 0;

	if (o->set_only) {
		names = mem_calloc(defs->count + 1, sizeof(*names));
		for (size_t i = 0; i < defs->count; i++)
			names[n++] = defs->defs[i].name;
	} else {
		for (const conf_param_t *p = conf_params; p->name; p++)
			n++;
		names = mem_calloc(n + 1, sizeof(*names));
		n = 0;
		for (const conf_param_t *p = conf_params; p->name; p++)
			names[n++] = p->name;
	}
	qsort(names, n, sizeof(*names), admin_conf_name_cmp);
	for (size_t i = 0; i < n; i++)
		if (kept == 0 || strcmp(names[kept - 1], names[i]) != 0)
			names[kept++] = names[i];
	*count = kept;
	return names;
}

/* conf_load has warned about names main.cf sets that no program knows. */
static void admin_conf_show_one(const admin_conf_opts_t *o, const admin_defs_t *defs,
				const char *name)
{
	const admin_def_t *def = admin_maincf_find(defs, name);
	const char *value;

	if (o->set_only && def == NULL)
		return;
	if (def != NULL && conf_param_find(name) == NULL && !o->defaults)
		value = o->expand ? conf_get(name) : def->value;
	else
		value = admin_conf_value(o, name);
	if (value == NULL)
		admin_say("warning: %s: unknown parameter", name);
	else
		admin_conf_print(o, name, value);
}

static int admin_conf_show(const admin_conf_opts_t *o, char **names, int count,
			   const char *config_dir)
{
	admin_defs_t defs = { NULL, 0 };
	str_t path = STR_INIT, err = STR_INIT;
	const char **all;
	size_t n;

	if (!o->defaults) {		/* the defaults are read from nothing */
		admin_conf_load(config_dir);
		admin_maincf_path(config_dir, &path);
		if (admin_maincf_read(str_cstr(&path), &defs, &err) < 0)
			admin_fatal("%s", str_cstr(&err));
	}
	if (count == 0) {
		all = admin_conf_names(o, &defs, &n);
		for (size_t i = 0; i < n; i++)
			admin_conf_show_one(o, &defs, all[i]);
		mem_free(all);
	}
	for (int i = 0; i < count; i++)
		admin_conf_show_one(o, &defs, names[i]);
	admin_maincf_free(&defs);
	str_free(&path);
	str_free(&err);
	return 0;
}

static void admin_conf_options(int argc, char **argv, admin_conf_opts_t *o)
{
	int opt;

	memset(o, 0, sizeof(*o));
	while ((opt = getopt(argc, argv, "+dhnxXM")) != -1) {
		switch (opt) {
		case 'd': o->defaults = 1; break;
		case 'n': o->set_only = 1; break;
		case 'h': o->value_only = 1; break;
		case 'x': o->expand = 1; break;
		case 'X': o->mode = ADMIN_CONF_REMOVE; break;
		case 'M': o->mode = ADMIN_CONF_MASTER; break;
		default: admin_usage(ADMIN_CONF_USAGE);
		}
	}
	if (o->defaults && o->set_only)
		admin_usage(ADMIN_CONF_USAGE);
}

static int admin_conf_has_assignment(char **args, int count)
{
	for (int i = 0; i < count; i++)
		if (strchr(args[i], '='))
			return 1;
	return 0;
}

int admin_conf_cmd(int argc, char **argv, const char *config_dir)
{
	admin_conf_opts_t o;
	char **args;
	int count;

	admin_conf_options(argc, argv, &o);
	args = argv + optind;
	count = argc - optind;
	if (o.mode == ADMIN_CONF_MASTER)
		return admin_conf_master(args, count, config_dir);
	if (o.mode == ADMIN_CONF_REMOVE) {
		if (count == 0 || admin_conf_has_assignment(args, count))
			admin_usage(ADMIN_CONF_USAGE);
		return admin_conf_edit(args, count, 1, config_dir);
	}
	if (admin_conf_has_assignment(args, count)) {
		if (o.defaults || o.set_only || o.value_only || o.expand)
			admin_usage(ADMIN_CONF_USAGE);
		return admin_conf_edit(args, count, 0, config_dir);
	}
	return admin_conf_show(&o, args, count, config_dir);
}
