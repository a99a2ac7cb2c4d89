/*
 * admin_init: "pochta init DIR [--port-offset N]" creates a self-contained
 * instance: DIR/etc (main.cf, master.cf, vmailbox, sasldb2, tls/), DIR/queue,
 * DIR/mail (the demo Maildir) and DIR/log, serving localhost on 127.0.0.1
 * at N plus the standard ports (SMTP on N+25).
 *
 * Run as root, the instance is privilege-separated for real: the daemons
 * run as mail_owner "pochta" and the mailboxes belong to "pochta-vmail",
 * both created here when missing. Run as another user, everything belongs
 * to that user. main.cf is written last: its presence marks a finished
 * instance, and init refuses to touch one.
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admin_init.h"
#include "conf.h"
#include "mem.h"
#include "queue_dirs.h"

#define ADMIN_INIT_SYNOPSIS "init DIR [--port-offset N]"
#define ADMIN_DIR_MODE 0755
#define ADMIN_MAILBASE_MODE 0700
#define ADMIN_CONF_MODE 0644
#define ADMIN_SELF_EXE "/proc/self/exe"

static long admin_init_offset(const char *text)
{
	char *end;
	long n = strtol(text, &end, 10);

	if (end == text || *end || n < 0 || n > ADMIN_PORT_OFFSET_MAX) {
		admin_say("bad port offset \"%s\": use 0 to %d, so that every port is 1 to 65535",
			  text, ADMIN_PORT_OFFSET_MAX);
		exit(ADMIN_EXIT_USAGE);
	}
	return n;
}

static const char *admin_init_args(int argc, char **argv, admin_instance_t *inst)
{
	static const struct option opts[] = {
		{ "port-offset", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	inst->port_offset = ADMIN_PORT_OFFSET_DEFAULT;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt != 'p')
			admin_usage(ADMIN_INIT_SYNOPSIS);
		inst->port_offset = admin_init_offset(optarg);
	}
	if (argc - optind != 1)
		admin_usage(ADMIN_INIT_SYNOPSIS);
	return argv[optind];
}

/* The directory holding this pochta binary, or "" when unknown. */
static void admin_self_dir(str_t *dir)
{
	char exe[PATH_MAX];
	ssize_t n = readlink(ADMIN_SELF_EXE, exe, sizeof(exe) - 1);
	char *slash;

	str_reset(dir);
	if (n <= 0)
		return;
	exe[n] = 0;
	slash = strrchr(exe, '/');
	if (slash)
		str_append(dir, exe, (size_t)(slash - exe));
}

/* Beside this binary when master is there (a build tree), else the compiled default. */
static char *admin_init_daemon_dir(void)
{
	str_t dir = STR_INIT;
	str_t master = STR_INIT;
	int found;

	admin_self_dir(&dir);
	str_printf(&master, "%s/%s", str_cstr(&dir), ADMIN_MASTER_PROG);
	found = dir.len > 0 && access(str_cstr(&master), X_OK) == 0;
	str_free(&master);
	if (found)
		return str_steal(&dir);
	str_free(&dir);
	return mem_strdup(conf_param_find("daemon_directory")->dflt);
}

static void admin_init_users(admin_instance_t *inst)
{
	inst->root = geteuid() == 0;
	if (inst->root) {
		admin_user_ensure(ADMIN_MAIL_OWNER, &inst->owner);
		admin_user_ensure(ADMIN_VMAIL_USER, &inst->vmail);
		admin_group_ensure(ADMIN_DROP_GROUP);
	} else {
		admin_user_self(&inst->owner);
		admin_user_self(&inst->vmail);
	}
}

void admin_inst_path(const admin_instance_t *inst, const char *rel, str_t *path)
{
	str_reset(path);
	str_printf(path, "%s/%s", inst->dir, rel);
}

/* The owner to give a path: user's ids (NULL: root's) in a root instance, none otherwise. */
static uid_t admin_inst_uid(const admin_instance_t *inst, const admin_user_t *user)
{
	if (!inst->root)
		return ADMIN_NO_OWNER;
	return user ? user->uid : 0;
}

static gid_t admin_inst_gid(const admin_user_t *user)
{
	return user ? user->gid : 0;
}

void admin_inst_mkdir(const admin_instance_t *inst, const char *rel, mode_t mode,
		      const admin_user_t *user)
{
	str_t path = STR_INIT;

	admin_inst_path(inst, rel, &path);
	admin_mkdir(str_cstr(&path), mode, admin_inst_uid(inst, user), admin_inst_gid(user));
	str_free(&path);
}

void admin_inst_write(const admin_instance_t *inst, const char *rel, const char *text,
		      mode_t mode, const admin_user_t *user)
{
	str_t path = STR_INIT;

	admin_inst_path(inst, rel, &path);
	admin_write_file(str_cstr(&path), text, mode, admin_inst_uid(inst, user),
			 admin_inst_gid(user));
	str_free(&path);
}

static void admin_init_tree(const admin_instance_t *inst)
{
	str_t cert = STR_INIT;
	str_t key = STR_INIT;

	admin_mkdir(inst->dir, ADMIN_DIR_MODE, admin_inst_uid(inst, NULL), 0);
	admin_inst_mkdir(inst, "etc", ADMIN_DIR_MODE, NULL);
	admin_inst_mkdir(inst, "etc/tls", ADMIN_DIR_MODE, NULL);
	admin_inst_mkdir(inst, "log", ADMIN_DIR_MODE, NULL);
	admin_inst_mkdir(inst, "mail", ADMIN_MAILBASE_MODE, &inst->vmail);
	admin_inst_path(inst, "etc/tls/cert.pem", &cert);
	admin_inst_path(inst, "etc/tls/key.pem", &key);
	admin_tls_selfsigned(str_cstr(&cert), str_cstr(&key), admin_inst_uid(inst, NULL), 0);
	str_free(&cert);
	str_free(&key);
}

static void admin_init_queue(const admin_instance_t *inst)
{
	str_t path = STR_INIT;

	conf_set("mail_owner", inst->owner.name);	/* queue_dirs reads it */
	admin_inst_path(inst, "queue", &path);
	queue_dirs_ensure(str_cstr(&path));
	str_free(&path);
}

static void admin_init_config(const admin_instance_t *inst)
{
	str_t text = STR_INIT;

	admin_initconf_vmailbox(&text);
	admin_inst_write(inst, "etc/vmailbox", str_cstr(&text), ADMIN_CONF_MODE, NULL);
	admin_initconf_aliases(inst, ADMIN_CONF_MODE);
	str_reset(&text);
	admin_initconf_master_cf(inst, &text);
	admin_inst_write(inst, "etc/master.cf", str_cstr(&text), ADMIN_CONF_MODE, NULL);
	str_reset(&text);
	admin_initconf_main_cf(inst, &text);
	admin_inst_write(inst, "etc/main.cf", str_cstr(&text), ADMIN_CONF_MODE, NULL);
	str_free(&text);
}

static void admin_init_report(const admin_instance_t *inst, const char *password)
{
	str_t self = STR_INIT;

	admin_self_dir(&self);
	printf("Pochta instance created in %s (%s)\n", inst->dir,
	       inst->root ? "privilege-separated: daemons run as " ADMIN_MAIL_OWNER
	       ", mailboxes belong to " ADMIN_VMAIL_USER : "runs as the current user");
	printf("  SMTP:         127.0.0.1:%ld\n", inst->port_offset + ADMIN_PORT_SMTP);
	printf("  demo address: " ADMIN_DEMO_USER "@" ADMIN_DEMO_DOMAIN "\n");
	printf("  password:     %s (also in %s/etc/demo.password)\n", password, inst->dir);
	printf("  mail lands in %s/mail/" ADMIN_DEMO_DOMAIN "/" ADMIN_DEMO_USER "/new/\n",
	       inst->dir);
	printf("Start it with:  %s%spochta -c %s/etc start   (-f: in the foreground)\n",
	       str_cstr(&self), self.len ? "/" : "", inst->dir);
	str_free(&self);
}

static char *admin_init_dir(const char *arg)
{
	char *dir;
	str_t main_cf = STR_INIT;

	admin_mkdir_parents(arg, ADMIN_DIR_MODE);
	dir = realpath(arg, NULL);
	if (dir == NULL)
		admin_fatal("cannot resolve %s", arg);
	str_printf(&main_cf, "%s/etc/main.cf", dir);
	if (admin_exists(str_cstr(&main_cf)))
		admin_fatal("%s already exists: %s is an instance already", str_cstr(&main_cf), dir);
	str_free(&main_cf);
	return dir;
}

int admin_init_cmd(int argc, char **argv, const char *config_dir)
{
	admin_instance_t inst = { 0 };
	char password[ADMIN_PASSWORD_LEN + 1];

	(void)config_dir;		/* the new instance's is DIR/etc */
	inst.dir = admin_init_dir(admin_init_args(argc, argv, &inst));
	inst.daemon_dir = admin_init_daemon_dir();
	admin_init_users(&inst);
	admin_init_tree(&inst);
	admin_demo_create(&inst, password);
	admin_init_queue(&inst);
	admin_init_config(&inst);
	admin_init_report(&inst, password);
	admin_user_free(&inst.owner);
	admin_user_free(&inst.vmail);
	free(inst.dir);
	mem_free(inst.daemon_dir);
	return 0;
}
