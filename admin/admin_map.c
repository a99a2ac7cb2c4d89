/*
 * admin_map: "pochta map", Pochta's postmap.
 *
 *   pochta map [-N] [type:]file...        build file.db from the text source file
 *   pochta map -q key [type:]file...      print key's value from the first table with it
 *   pochta map -s [type:]file...          print every "key<TAB>value"
 *
 * The type defaults to hash (postmap's default_database_type). Building
 * goes through dict_build(), which reads the source exactly as texthash:
 * does and replaces file.db atomically, so a running daemon sees the old
 * table or the new one and restarts itself onto the new one. -N stores
 * keys and values with their terminating null byte, as Postfix's postmap
 * does by default; Pochta reads both forms.
 *
 * Exit status as postmap's: 0 done or found; 1 not found, or an error;
 * 75 (EX_TEMPFAIL) when a table cannot be read now (a missing file.db).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "admin.h"
#include "dict.h"

#define ADMIN_MAP_USAGE \
	"map [-N] [type:]file... | map -q key [type:]file... | map -s [type:]file..."
#define ADMIN_MAP_DEFAULT_TYPE "hash"
#define ADMIN_MAP_EXIT_NOTFOUND 1
#define ADMIN_MAP_EXIT_TEMPFAIL 75	/* EX_TEMPFAIL */

/* "type:name" for an argument that may lack the type. */
static void admin_map_spec(const char *arg, str_t *spec)
{
	str_reset(spec);
	if (strchr(arg, ':') == NULL)
		str_printf(spec, "%s:%s", ADMIN_MAP_DEFAULT_TYPE, arg);
	else
		str_set(spec, arg);
}

static dict_t *admin_map_open(const char *arg)
{
	str_t spec = STR_INIT, err = STR_INIT;
	dict_t *dict;

	admin_map_spec(arg, &spec);
	if ((dict = dict_open(str_cstr(&spec), &err)) == NULL)
		admin_fatal("%s", str_cstr(&err));
	str_free(&spec);
	str_free(&err);
	return dict;
}

static int admin_map_build(char **files, int count, int flags)
{
	str_t spec = STR_INIT, err = STR_INIT;

	for (int i = 0; i < count; i++) {
		admin_map_spec(files[i], &spec);
		if (dict_build(str_cstr(&spec), flags, &err) != 0)
			admin_fatal("%s", str_cstr(&err));
	}
	str_free(&spec);
	str_free(&err);
	return 0;
}

static int admin_map_query(const char *key, char **files, int count)
{
	str_t value = STR_INIT;
	int found = 0;
	dict_t *dict;

	for (int i = 0; i < count && found == 0; i++) {
		dict = admin_map_open(files[i]);
		if ((found = dict_lookup(dict, key, &value)) > 0)
			printf("%s\n", str_cstr(&value));
		else if (found < 0)
			admin_say("%s: %s", dict_name(dict), str_cstr(&value));
		dict_close(dict);
	}
	str_free(&value);
	if (found < 0)
		return ADMIN_MAP_EXIT_TEMPFAIL;
	return found ? 0 : ADMIN_MAP_EXIT_NOTFOUND;
}

static int admin_map_print(const char *key, const char *value, void *ctx)
{
	(void)ctx;
	printf("%s\t%s\n", key, value);
	return 0;
}

/* One table: 0, or ADMIN_MAP_EXIT_TEMPFAIL when it cannot be read now. */
static int admin_map_dump_one(const char *arg)
{
	dict_t *dict = admin_map_open(arg);
	int ret = 0;

	if (dict_walk(dict, admin_map_print, NULL) != 0) {
		if (dict_error(dict) == NULL)
			admin_fatal("%s: this table type cannot list its keys", dict_name(dict));
		admin_say("%s: %s", dict_name(dict), dict_error(dict));
		ret = ADMIN_MAP_EXIT_TEMPFAIL;
	}
	dict_close(dict);
	return ret;
}

static int admin_map_dump(char **files, int count)
{
	int ret = 0;

	for (int i = 0; i < count && ret == 0; i++)
		ret = admin_map_dump_one(files[i]);
	return ret;
}

int admin_map_cmd(int argc, char **argv, const char *config_dir)
{
	const char *key = NULL;
	int dump = 0, flags = 0, opt, ret;

	(void)config_dir;	/* the tables are named on the command line */
	while ((opt = getopt(argc, argv, "Nq:s")) != -1) {
		switch (opt) {
		case 'N':
			flags |= DICT_BUILD_NULL;
			break;
		case 'q':
			key = optarg;
			break;
		case 's':
			dump = 1;
			break;
		default:
			admin_usage(ADMIN_MAP_USAGE);
		}
	}
	if (optind >= argc || (key && dump))
		admin_usage(ADMIN_MAP_USAGE);
	if (key)
		ret = admin_map_query(key, argv + optind, argc - optind);
	else if (dump)
		ret = admin_map_dump(argv + optind, argc - optind);
	else
		ret = admin_map_build(argv + optind, argc - optind, flags);
	if (fflush(stdout) != 0)
		admin_fatal("write to standard output failed");
	return ret;
}
