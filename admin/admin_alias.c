/*
 * admin_alias: "pochta alias", Pochta's postalias, and "pochta
 * newaliases", its newaliases.
 *
 *   pochta alias [-N] [type:]file...   build file.db from the aliases(5) file
 *   pochta newaliases                  build every table in alias_database
 *
 * The type defaults to hash. Both go through dict_build() with
 * DICT_BUILD_ALIAS, so the new file.db replaces the old one atomically and
 * running daemons restart onto it. A line that is not "name: value" is
 * skipped with a warning naming "FILE, line N". Query a built table with
 * "pochta map -q name hash:FILE" (the stored form is the same).
 */
#include <string.h>
#include <unistd.h>

#include "admin.h"
#include "conf.h"
#include "dict.h"

#define ADMIN_ALIAS_USAGE "alias [-N] [type:]file..."
#define ADMIN_ALIAS_DEFAULT_TYPE "hash"

/* Build one aliases table named by arg ("type:file" or "file"). */
static void admin_alias_build(const char *arg, int flags)
{
	str_t spec = STR_INIT, err = STR_INIT;

	if (strchr(arg, ':') == NULL)
		str_printf(&spec, "%s:%s", ADMIN_ALIAS_DEFAULT_TYPE, arg);
	else
		str_set(&spec, arg);
	if (dict_build(str_cstr(&spec), flags | DICT_BUILD_ALIAS, &err) != 0)
		admin_fatal("%s", str_cstr(&err));
	str_free(&spec);
	str_free(&err);
}

int admin_alias_cmd(int argc, char **argv, const char *config_dir)
{
	int flags = 0, opt;

	(void)config_dir;	/* the files are named on the command line */
	while ((opt = getopt(argc, argv, "N")) != -1) {
		if (opt != 'N')
			admin_usage(ADMIN_ALIAS_USAGE);
		flags |= DICT_BUILD_NULL;
	}
	if (optind >= argc)
		admin_usage(ADMIN_ALIAS_USAGE);
	for (int i = optind; i < argc; i++)
		admin_alias_build(argv[i], flags);
	return 0;
}

int admin_newaliases_cmd(int argc, char **argv, const char *config_dir)
{
	size_t count;
	char **items;

	(void)argv;
	if (argc != 1)
		admin_usage("newaliases");
	admin_conf_load(config_dir);
	items = conf_split_list(conf_str("alias_database"), &count);
	for (size_t i = 0; i < count; i++)
		admin_alias_build(items[i], 0);
	conf_free_list(items, count);
	return 0;
}
