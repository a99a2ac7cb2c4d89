/*
 * postdrop: the drop helper. sendmail runs it as
 *
 *   postdrop [-c config_dir]
 *
 * with a maildrop file (maildrop.h) on stdin. It reads it with the strict
 * reader pickup uses (content bounded by message_size_limit), writes it
 * again into a new file in maildrop/, and wakes pickup through
 * public/pickup. The exit status is from sysexits.h; messages go to
 * stderr, to the user.
 *
 * Installed setgid to setgid_group, it is the only program that may
 * write into maildrop/ (mode 1730, group-writable, not readable) and
 * reach public/; nothing else runs with that group, and it does nothing
 * else: no lookup tables, no log file, an empty environment, and a
 * configuration only root can change (postdrop_trust.c). Without the
 * setgid bit (a non-root instance, or root) it writes as the invoking
 * user, as every program of such an instance does.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "conf.h"
#include "postdrop.h"
#include "usermsg.h"

#define POSTDROP_USAGE "usage: postdrop [-c config_dir]"

static int postdrop_privileged(void)
{
	return getegid() != getgid() || geteuid() != getuid();
}

static const char *postdrop_args(int argc, char **argv)
{
	const char *config_dir = NULL;
	int opt;

	opterr = 0;
	while ((opt = getopt(argc, argv, "c:")) != -1) {
		if (opt != 'c')
			usermsg_fatal(EX_USAGE, POSTDROP_USAGE);
		config_dir = optarg;
	}
	if (optind != argc)
		usermsg_fatal(EX_USAGE, POSTDROP_USAGE);
	return config_dir ? config_dir : conf_param_find("config_directory")->dflt;
}

static void postdrop_load(const char *config_dir)
{
	str_t err = STR_INIT;
	char *dir = postdrop_privileged() ? postdrop_trusted_config(config_dir)
					  : strdup(config_dir);

	if (conf_load(dir, &err) != 0)
		usermsg_fatal(EX_CONFIG, "%s", str_cstr(&err));
	free(dir);
	str_free(&err);
	if (chdir(conf_str("queue_directory")) != 0)
		usermsg_fatal(EX_TEMPFAIL, "queue directory %s: %m", conf_str("queue_directory"));
}

int main(int argc, char **argv)
{
	const char *config_dir;

	usermsg_init(POSTDROP_PROG);
	if (postdrop_privileged() && clearenv() != 0)
		usermsg_fatal(EX_OSERR, "cannot clear the environment");
	umask(077);
	config_dir = postdrop_args(argc, argv);
	postdrop_load(config_dir);
	postdrop_store();
	return 0;
}
