/*
 * pochta: the administration command of the Pochta mail system.
 *
 *   pochta [-c config_dir] [-o name=value] SUBCOMMAND ...
 *   pochta [-c config_dir] init DIR [--port-offset N]
 *   pochta [-c config_dir] start [-f] | stop | reload | status | check
 *   pochta [-c config_dir] conf [-dhnx] [name...] | conf name=value... | conf -X name...
 *   pochta [-c config_dir] conf -M [service[/type]...]
 *   pochta [-c config_dir] queue list|show|flush|deliver|delete|hold|release|requeue|summary
 *   pochta [-c config_dir] log ID|message-id
 *   pochta [-c config_dir] user add|passwd|del|list|check ...
 *   pochta map [-N] [type:]file... | -q key [type:]file... | -s [type:]file...
 *   pochta alias [-N] [type:]file...  |  pochta [-c config_dir] newaliases
 *
 * Like "postfix -c", -c names the configuration directory; without it
 * $MAIL_CONFIG, then the compiled-in config_directory. -o overrides a
 * main.cf parameter for this command only, as "-o" does in master.cf
 * ("make install" uses it to lay out a queue below DESTDIR). This file
 * only picks the subcommand; each lives in its own admin_*.c file.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admin.h"
#include "conf.h"
#include "log.h"
#include "mem.h"
#include "usermsg.h"

#define ADMIN_SYNOPSIS "[-o name=value] {init|start|stop|reload|status|check|conf|queue|log|" \
	"user|map|alias|newaliases} [options]"
#define ADMIN_OVERRIDES_MAX 64

typedef struct admin_cmd {
	const char *name;
	int (*run)(int argc, char **argv, const char *config_dir);
} admin_cmd_t;

static const admin_cmd_t admin_cmds[] = {
	{ "init", admin_init_cmd },
	{ "start", admin_start_cmd },
	{ "stop", admin_stop_cmd },
	{ "reload", admin_reload_cmd },
	{ "status", admin_status_cmd },
	{ "check", admin_check_cmd },
	{ "conf", admin_conf_cmd },
	{ "queue", admin_queue_cmd },
	{ "log", admin_log_cmd },
	{ "user", admin_user_cmd },
	{ "map", admin_map_cmd },
	{ "alias", admin_alias_cmd },
	{ "newaliases", admin_newaliases_cmd },
	{ NULL, NULL },
};

/* The -o name=value options, applied after every load of main.cf. */
static const char *admin_overrides[ADMIN_OVERRIDES_MAX];
static int admin_noverrides;

static void admin_override_add(const char *pair)
{
	const char *eq = strchr(pair, '=');

	if (eq == NULL || eq == pair)
		admin_usage(ADMIN_SYNOPSIS);
	if (admin_noverrides == ADMIN_OVERRIDES_MAX)
		admin_fatal("more than %d -o options", ADMIN_OVERRIDES_MAX);
	admin_overrides[admin_noverrides++] = pair;
}

void admin_conf_overrides(void)
{
	for (int i = 0; i < admin_noverrides; i++)
		if (conf_set_pair(admin_overrides[i]) != 0)
			admin_fatal("-o %s: bad parameter name", admin_overrides[i]);
}

void admin_conf_load(const char *config_dir)
{
	str_t err = STR_INIT;

	if (conf_load(config_dir, &err) != 0)
		admin_fatal("%s", str_cstr(&err));
	str_free(&err);
	admin_conf_overrides();
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
	int opt, status;

	log_init(ADMIN_PROG);
	usermsg_init(ADMIN_PROG);
	opterr = 0;		/* one usage line, not getopt's own message too */
	while ((opt = getopt(argc, argv, "+c:o:")) != -1) {
		if (opt == 'c')
			config_dir = optarg;
		else if (opt == 'o')
			admin_override_add(optarg);
		else
			admin_usage(ADMIN_SYNOPSIS);
	}
	if (optind >= argc)
		admin_usage(ADMIN_SYNOPSIS);
	if (config_dir == NULL)
		config_dir = admin_default_config_dir();
	abs_config = admin_absolute(config_dir);
	argc -= optind;
	argv += optind;
	optind = 0;		/* glibc: start the subcommand's getopt afresh */
	for (const admin_cmd_t *cmd = admin_cmds; cmd->name; cmd++) {
		if (strcmp(cmd->name, argv[0]) == 0) {
			status = cmd->run(argc, argv, abs_config);
			mem_free(abs_config);
			return status;
		}
	}
	admin_usage(ADMIN_SYNOPSIS);
}
