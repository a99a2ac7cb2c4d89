/*
 * pochta: the administration command of the Pochta mail system.
 *
 *   pochta [-c config_dir] init DIR [--port-offset N]
 *   pochta [-c config_dir] start [-f] | stop | status
 *   pochta [-c config_dir] user add|passwd|del|list|check ...
 *   pochta map [-N] [type:]file... | -q key [type:]file... | -s [type:]file...
 *   pochta alias [-N] [type:]file...  |  pochta [-c config_dir] newaliases
 *
 * Like "postfix -c", -c names the configuration directory; without it
 * $MAIL_CONFIG, then the compiled-in config_directory. This file only
 * picks the subcommand; each lives in its own admin_*.c file.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admin.h"
#include "conf.h"
#include "log.h"
#include "mem.h"

#define ADMIN_SYNOPSIS "{init|start|stop|status|user|map|alias|newaliases} [options]"

typedef struct admin_cmd {
	const char *name;
	int (*run)(int argc, char **argv, const char *config_dir);
} admin_cmd_t;

static const admin_cmd_t admin_cmds[] = {
	{ "init", admin_init_cmd },
	{ "start", admin_start_cmd },
	{ "stop", admin_stop_cmd },
	{ "status", admin_status_cmd },
	{ "user", admin_user_cmd },
	{ "map", admin_map_cmd },
	{ "alias", admin_alias_cmd },
	{ "newaliases", admin_newaliases_cmd },
	{ NULL, NULL },
};

void admin_conf_load(const char *config_dir)
{
	str_t err = STR_INIT;

	if (conf_load(config_dir, &err) != 0)
		admin_fatal("%s", str_cstr(&err));
	str_free(&err);
}

static const char *admin_default_config_dir(void)
{
	const char *env = getenv("MAIL_CONFIG");

	if (env && *env)
		return env;
	return conf_param_find("config_directory")->dflt;
}

/* master and the daemons chdir, so they get an absolute path when one exists. */
static char *admin_absolute(const char *path)
{
	char *abs = realpath(path, NULL);

	return abs ? abs : mem_strdup(path);
}

int main(int argc, char **argv)
{
	const char *config_dir = NULL;
	char *abs_config;
	int opt;

	log_init(ADMIN_PROG);
	opterr = 0;		/* one usage line, not getopt's own message too */
	while ((opt = getopt(argc, argv, "+c:")) != -1) {
		if (opt != 'c')
			admin_usage(ADMIN_SYNOPSIS);
		config_dir = optarg;
	}
	if (optind >= argc)
		admin_usage(ADMIN_SYNOPSIS);
	if (config_dir == NULL)
		config_dir = admin_default_config_dir();
	abs_config = admin_absolute(config_dir);
	argc -= optind;
	argv += optind;
	optind = 0;		/* glibc: start the subcommand's getopt afresh */
	for (const admin_cmd_t *cmd = admin_cmds; cmd->name; cmd++)
		if (strcmp(cmd->name, argv[0]) == 0)
			return cmd->run(argc, argv, abs_config);
	admin_usage(ADMIN_SYNOPSIS);
}
