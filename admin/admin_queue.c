/*
 * admin_queue: "pochta queue", Pochta's postqueue, postsuper and postcat
 * in one command, with readable subcommands and the flags Postfix
 * administrators type:
 *
 *   list [-j] [filters]           -p, -j    mailq's listing, or JSON lines
 *   show [-e] [-h] [-b] ID                  one message, as postcat -q
 *   flush                         -f        deferred mail due now
 *   deliver ID                    -i ID     one deferred message due now
 *   delete ID...|ALL|- [queue]    -d ...    remove messages
 *   hold ID...|ALL|- [queue]      -h ...    put on hold
 *   release ID...|ALL|-           -H ...    take off hold
 *   requeue ID...|ALL|- [queue]   -r ...    send through incoming/ again
 *   summary [-s] [queue...]                 qshape's table
 *
 * Filters of list: --sender ADDR, --recipient ADDR, --domain DOMAIN (of a
 * pending recipient), --older-than TIME, --newer-than TIME (since arrival:
 * "90s", "10m", "2h", "1d"; a bare number is seconds), --queue NAME. No
 * subcommand lists the queue, as mailq does. Listing needs what
 * authorized_mailq_users allows, everything else root or mail_owner
 * (admin_queue_access.c).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "admin.h"
#include "admin_queue.h"
#include "conf.h"
#include "mem.h"

#define ADMIN_QUEUE_USAGE \
	"queue list [-j] [--sender ADDR] [--recipient ADDR] [--domain DOMAIN] " \
	"[--older-than TIME] [--newer-than TIME] [--queue NAME] | queue show [-e] [-h] [-b] ID | " \
	"queue flush | queue deliver ID | queue delete|hold|release|requeue ID...|ALL|- [queue] | " \
	"queue summary [-s] [queue...] | queue -p | -j | -f | -i ID | -d|-h|-H|-r ID|ALL|- [queue]"

enum admin_queue_opt { OPT_SENDER = 256, OPT_RECIPIENT, OPT_DOMAIN, OPT_OLDER, OPT_NEWER, OPT_QUEUE };

static long admin_queue_age(const char *text)
{
	long secs = conf_parse_time(text, 's');

	if (secs < 0)
		admin_fatal("bad time \"%s\": use a number with s, m, h, d or w", text);
	return secs;
}

static void admin_queue_filter_queue(admin_qfilter_t *f, const char *name)
{
	int n = 0;

	while (f->queues[n])
		n++;
	if (n == ADMIN_QUEUE_COUNT || (f->queues[n] = admin_queue_name(name)) == NULL)
		admin_fatal("%s: no such queue (incoming, active, deferred, hold)", name);
}

/* list's options; also the top level's -p, -j and filters. */
static void admin_queue_list_options(int argc, char **argv, admin_list_opts_t *o)
{
	static const struct option longs[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "sender", required_argument, NULL, OPT_SENDER },
		{ "recipient", required_argument, NULL, OPT_RECIPIENT },
		{ "domain", required_argument, NULL, OPT_DOMAIN },
		{ "older-than", required_argument, NULL, OPT_OLDER },
		{ "newer-than", required_argument, NULL, OPT_NEWER },
		{ "queue", required_argument, NULL, OPT_QUEUE },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	while ((opt = getopt_long(argc, argv, "+pj", longs, NULL)) != -1) {
		switch (opt) {
		case 'p': o->json = 0; break;
		case 'j': o->json = 1; break;
		case OPT_SENDER: o->filter.sender = optarg; break;
		case OPT_RECIPIENT: o->filter.recipient = optarg; break;
		case OPT_DOMAIN: o->filter.domain = optarg; break;
		case OPT_OLDER: o->filter.older_than = admin_queue_age(optarg); break;
		case OPT_NEWER: o->filter.newer_than = admin_queue_age(optarg); break;
		case OPT_QUEUE: admin_queue_filter_queue(&o->filter, optarg); break;
		default: admin_usage(ADMIN_QUEUE_USAGE);
		}
	}
	if (optind != argc)
		admin_usage(ADMIN_QUEUE_USAGE);
}

static int admin_queue_list_cmd(int argc, char **argv, const char *config_dir)
{
	admin_list_opts_t o = { 0 };

	admin_qfilter_init(&o.filter);
	admin_queue_list_options(argc, argv, &o);
	admin_queue_enter(config_dir, ADMIN_QUEUE_LIST);
	if (access(QUEUE_INCOMING, R_OK | X_OK) != 0)
		return admin_queue_showq(&o);
	return admin_queue_list(&o);
}

static int admin_queue_show_cmd(int argc, char **argv, const char *config_dir)
{
	int parts = 0, opt;

	while ((opt = getopt(argc, argv, "+ehb")) != -1) {
		if (opt == 'e')
			parts |= ADMIN_SHOW_ENVELOPE;
		else if (opt == 'h')
			parts |= ADMIN_SHOW_HEADER;
		else if (opt == 'b')
			parts |= ADMIN_SHOW_BODY;
		else
			admin_usage(ADMIN_QUEUE_USAGE);
	}
	if (argc - optind != 1)
		admin_usage(ADMIN_QUEUE_USAGE);
	admin_queue_enter(config_dir, ADMIN_QUEUE_MANAGE);
	return admin_queue_show(argv[optind], parts);
}

static int admin_queue_summary_cmd(int argc, char **argv, const char *config_dir)
{
	int by_sender = 0, opt;

	while ((opt = getopt(argc, argv, "+s")) != -1) {
		if (opt != 's')
			admin_usage(ADMIN_QUEUE_USAGE);
		by_sender = 1;
	}
	admin_queue_enter(config_dir, ADMIN_QUEUE_MANAGE);
	return admin_queue_summary(argv + optind, argc - optind, by_sender);
}

/* delete|hold|release|requeue TARGET... [queue]: a queue name is never a
 * queue ID, so a last argument that names a queue restricts ALL. */
static int admin_queue_op_run(enum admin_queue_op op, char **targets, int count,
			      const char *config_dir)
{
	const char *queue_name = NULL;

	if (count > 1 && admin_queue_name(targets[count - 1]))
		queue_name = targets[--count];
	if (count == 0)
		admin_usage(ADMIN_QUEUE_USAGE);
	admin_queue_enter(config_dir, ADMIN_QUEUE_MANAGE);
	return admin_queue_apply(op, targets, count, queue_name);
}

static int admin_queue_flush_cmd(const char *id, const char *config_dir)
{
	admin_queue_enter(config_dir, ADMIN_QUEUE_MANAGE);
	return admin_queue_flush(id);
}

/* postqueue's -f and -i, postsuper's flags: one action, its targets
 * (-d A -d B), then an optional queue name. */
static int admin_queue_flags(int argc, char **argv, const char *config_dir)
{
	static const char ops[] = "dhHr";
	static const enum admin_queue_op op_of[] = { ADMIN_OP_DELETE, ADMIN_OP_HOLD,
						     ADMIN_OP_RELEASE, ADMIN_OP_REQUEUE };
	char **targets = mem_calloc((size_t)argc + 1, sizeof(*targets));
	int ntargets = 0, action = 0, opt, status;

	while ((opt = getopt(argc, argv, "+fi:d:h:H:r:")) != -1) {
		if (opt == '?' || (action && action != opt))
			admin_usage(ADMIN_QUEUE_USAGE);
		action = opt;
		if (optarg)
			targets[ntargets++] = optarg;
	}
	if (action == 0 || argc - optind > (action == 'f' || action == 'i' ? 0 : 1))
		admin_usage(ADMIN_QUEUE_USAGE);
	if (action == 'f' || action == 'i') {
		status = admin_queue_flush_cmd(action == 'i' ? targets[0] : NULL, config_dir);
	} else {
		if (optind < argc)
			targets[ntargets++] = argv[optind];	/* the queue name */
		status = admin_queue_op_run(op_of[strchr(ops, action) - ops], targets, ntargets,
					    config_dir);
	}
	mem_free(targets);
	return status;
}

int admin_queue_cmd(int argc, char **argv, const char *config_dir)
{
	static const struct { const char *name; enum admin_queue_op op; } op_cmds[] = {
		{ "delete", ADMIN_OP_DELETE }, { "hold", ADMIN_OP_HOLD },
		{ "release", ADMIN_OP_RELEASE }, { "requeue", ADMIN_OP_REQUEUE },
	};
	const char *sub;

	if (argc == 1 || strcmp(argv[1], "-p") == 0 || strcmp(argv[1], "-j") == 0
	    || strncmp(argv[1], "--", 2) == 0)
		return admin_queue_list_cmd(argc, argv, config_dir);	/* mailq, postqueue -p */
	if (argv[1][0] == '-')
		return admin_queue_flags(argc, argv, config_dir);
	sub = argv[1];
	argc--;			/* the subcommand becomes argv[0], as getopt expects */
	argv++;
	if (strcmp(sub, "list") == 0)
		return admin_queue_list_cmd(argc, argv, config_dir);
	if (strcmp(sub, "show") == 0)
		return admin_queue_show_cmd(argc, argv, config_dir);
	if (strcmp(sub, "summary") == 0)
		return admin_queue_summary_cmd(argc, argv, config_dir);
	if (strcmp(sub, "flush") == 0 && argc == 1)
		return admin_queue_flush_cmd(NULL, config_dir);
	if (strcmp(sub, "deliver") == 0 && argc == 2)
		return admin_queue_flush_cmd(argv[1], config_dir);
	for (size_t i = 0; i < sizeof(op_cmds) / sizeof(op_cmds[0]); i++)
		if (strcmp(sub, op_cmds[i].name) == 0)
			return admin_queue_op_run(op_cmds[i].op, argv + 1, argc - 1, config_dir);
	admin_usage(ADMIN_QUEUE_USAGE);
}
