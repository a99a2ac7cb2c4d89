/*
 * admin_queue: the parts of "pochta queue" (admin_queue.c parses the
 * command line): who may do what (admin_queue_access.c), finding and
 * reading queue files (admin_queue_scan.c), listing as mailq and
 * postqueue -j do (admin_queue_list.c), or through the showq service for
 * a user who cannot read the queue (admin_queue_showq.c), one message as postcat shows it
 * (admin_queue_show.c), moving and deleting files as postsuper does
 * (admin_queue_ops.c), flushing (admin_queue_flush.c) and the qshape
 * table (admin_queue_summary.c).
 *
 * Every part runs with queue_directory as its working directory, as the
 * daemons do, so queue paths are relative ("deferred/ID"). Files are read
 * only: opened with queue_open_delivery (shared lock, still the file its
 * name leads to) and parsed by queue_read; only whole-file moves, unlinks
 * and mtimes change the queue, and never a file in active/, which qmgr
 * holds: those wait until qmgr lets go of them.
 */
#ifndef POCHTA_ADMIN_QUEUE_H
#define POCHTA_ADMIN_QUEUE_H

#include <sys/types.h>
#include <time.h>

#include "queue.h"

#define ADMIN_QUEUE_COUNT 4		/* incoming, active, deferred, hold */
#define ADMIN_EXIT_NOPERM 77		/* EX_NOPERM */

/* The queues "pochta queue" knows, in the order a message moves through
 * them; NULL-terminated. */
extern const char *const admin_queue_names[ADMIN_QUEUE_COUNT + 1];
/* name if it is one of them (the canonical pointer), else NULL. */
const char *admin_queue_name(const char *name);

/* What a command needs: to list envelopes, or to read whole messages
 * and change the queue (root or mail_owner). */
enum admin_queue_need { ADMIN_QUEUE_LIST, ADMIN_QUEUE_MANAGE };

/* Load the configuration, check that the user may do what is asked
 * (fatal "permission denied", ADMIN_EXIT_NOPERM, when not), and enter
 * queue_directory. */
void admin_queue_enter(const char *config_dir, enum admin_queue_need need);
/* The owner queue files must have (mail_owner, or the user of a non-root
 * instance). */
uid_t admin_queue_owner(void);

/* One message found in the queue, read and held open (shared lock). */
typedef struct admin_qmsg {
	const char *queue;	/* one of admin_queue_names */
	queue_msg_t qm;
	time_t mtime;		/* in deferred/: the next retry time */
	int fd;
} admin_qmsg_t;

void admin_qmsg_close(admin_qmsg_t *m);

/* Which messages a listing shows; unset fields match everything. */
typedef struct admin_qfilter {
	const char *queues[ADMIN_QUEUE_COUNT + 1];	/* NULL-terminated; none: all */
	const char *sender;		/* whole address, any case ("" for <>) */
	const char *recipient;		/* a pending recipient's whole address */
	const char *domain;		/* a pending recipient's domain */
	long older_than;		/* seconds since arrival; -1: any */
	long newer_than;
} admin_qfilter_t;

void admin_qfilter_init(admin_qfilter_t *f);
/* 1 when the message passes the filter. */
int admin_qfilter_match(const admin_qfilter_t *f, const admin_qmsg_t *m, time_t now);

/* Visit every readable message in the filter's queues that passes it, in
 * arrival order (the order of queue IDs); a damaged file gets a warning.
 * visit returns 0 to go on. */
typedef int (*admin_qvisit_fn)(admin_qmsg_t *m, void *ctx);
void admin_queue_walk(const admin_qfilter_t *f, admin_qvisit_fn visit, void *ctx);
/* Open and read queue/id: 0, or -1 with errno ENOENT when it is not
 * there (now), or -1 after a warning (unreadable, damaged). */
int admin_queue_open(const char *queue, const char *id, admin_qmsg_t *m);
/* Open and read message id wherever it is: 0, or -1 with a warning given
 * (no such message, or unreadable). */
int admin_queue_find(const char *id, admin_qmsg_t *m);

/* The queue IDs in queue dir, sorted; the caller frees them
 * (admin_queue_free_ids). */
char **admin_queue_ids(const char *dir, size_t *count);
void admin_queue_free_ids(char **ids, size_t count);

/* Subcommands; each returns the exit status. */
typedef struct admin_list_opts {
	int json;
	admin_qfilter_t filter;
} admin_list_opts_t;

int admin_queue_list(const admin_list_opts_t *opts);
/* The same listing from the showq service, for a caller who cannot read
 * the queue directories (admin_queue_showq.c). */
int admin_queue_showq(const admin_list_opts_t *opts);
/* Parts of one message to show, as postcat's -e, -h, -b; none: all. */
#define ADMIN_SHOW_ENVELOPE 1
#define ADMIN_SHOW_HEADER 2
#define ADMIN_SHOW_BODY 4
int admin_queue_show(const char *id, int parts);
int admin_queue_summary(char **queues, int count, int by_sender);
int admin_queue_flush(const char *id);	/* NULL: every deferred message */

enum admin_queue_op { ADMIN_OP_DELETE, ADMIN_OP_HOLD, ADMIN_OP_RELEASE, ADMIN_OP_REQUEUE };
/* Apply op to targets: queue IDs, "ALL" (optionally restricted to the
 * queue named by queue_name), or "-" (IDs on stdin, one per line). */
int admin_queue_apply(enum admin_queue_op op, char **targets, int count, const char *queue_name);

/* Queue changes are logged in the mail log (maillog_file or syslog) as
 * postsuper does, "ID: removed". */
void admin_queue_log_open(void);

#endif
