/*
 * admin_queue_ops: what postsuper does, by moving whole queue files.
 *
 *   delete   ID|ALL|-  [queue]   unlink from incoming, active, deferred, hold
 *                                 (and defer/ID, why it waited)
 *   hold     ID|ALL|-  [queue]   incoming, active, deferred -> hold/
 *   release  ID|ALL|-            hold/ -> deferred/, due now
 *   requeue  ID|ALL|-  [queue]   active, deferred, hold -> incoming/
 *
 * Each move is one rename (or unlink), so qmgr sees a message in one
 * place or another, never half of it; when qmgr moves it first, the
 * message is looked for again. A file in active/ is qmgr's, held open
 * with its recipients' progress in memory: it is never touched there.
 * The command waits (at most ADMIN_OPS_ACTIVE_WAIT seconds in all) until
 * qmgr has let go of it, then acts on it where it went; a message that
 * stays active that long is reported and left alone.
 *
 * A released message goes to deferred/ with its retry time (mtime) set to
 * now, as qmgr expects of a file there. A requeued one goes to incoming/,
 * which qmgr reads at once, except one that an access table marked for
 * HOLD or DISCARD when it arrived: qmgr would act on that mark again in
 * incoming/, so it goes to deferred/, due now, instead. qmgr is woken
 * after both. Each change is logged as postsuper logs it ("ID: removed")
 * and counted on stderr ("Deleted: 2 messages").
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "admin.h"
#include "admin_queue.h"
#include "conf.h"
#include "log.h"
#include "mem.h"
#include "queue_reason.h"
#include "trigger.h"

#define ADMIN_OPS_ACTIVE_WAIT 10	/* seconds for active messages to leave active/ */
#define ADMIN_OPS_POLL_MS 50
#define ADMIN_OPS_FIND_TRIES 3		/* looks through the queues for a moving message */
#define ADMIN_OPS_PATH_MAX 256
#define ADMIN_OPS_LINE_MAX 256		/* one line of IDs on stdin */

typedef struct admin_op_spec {
	const char *from[ADMIN_QUEUE_COUNT + 1];	/* where it takes messages from */
	const char *to;			/* NULL: delete */
	const char *logged;		/* "ID: removed" */
	const char *counted;		/* "Deleted: N messages" */
} admin_op_spec_t;

static const admin_op_spec_t admin_op_specs[] = {
	[ADMIN_OP_DELETE] = { { QUEUE_INCOMING, QUEUE_ACTIVE, QUEUE_DEFERRED, QUEUE_HOLD, NULL },
			      NULL, "removed", "Deleted" },
	[ADMIN_OP_HOLD] = { { QUEUE_INCOMING, QUEUE_ACTIVE, QUEUE_DEFERRED, NULL },
			    QUEUE_HOLD, "placed on hold", "Placed on hold" },
	[ADMIN_OP_RELEASE] = { { QUEUE_HOLD, NULL }, QUEUE_DEFERRED, "released from hold",
			       "Released from hold" },
	[ADMIN_OP_REQUEUE] = { { QUEUE_ACTIVE, QUEUE_DEFERRED, QUEUE_HOLD, NULL },
			       QUEUE_INCOMING, "requeued", "Requeued" },
};

typedef struct admin_op_run {
	enum admin_queue_op op;
	const char *from[ADMIN_QUEUE_COUNT + 1];	/* the spec's, maybe narrowed to one */
	time_t deadline;		/* for messages in active/ */
	int all;			/* "ALL": a message gone meanwhile is no error */
	long done;
	int failed;
} admin_op_run_t;

static void admin_ops_path(char *path, const char *queue, const char *id)
{
	snprintf(path, ADMIN_OPS_PATH_MAX, "%s/%s", queue, id);
}

static int admin_ops_due_now(const char *queue, const char *id)
{
	char path[ADMIN_OPS_PATH_MAX];

	admin_ops_path(path, queue, id);
	return utimensat(AT_FDCWD, path, NULL, AT_SYMLINK_NOFOLLOW);
}

/* Where a requeued message goes: incoming/, unless it bears an access
 * table's mark (see the top of the file). */
static const char *admin_ops_requeue_to(const char *queue, const char *id)
{
	admin_qmsg_t m;
	const char *to = QUEUE_INCOMING;

	if (admin_queue_open(queue, id, &m) != 0)
		return QUEUE_INCOMING;	/* gone, or damaged: qmgr will tell */
	if (queue_msg_attr(&m.qm, QUEUE_ATTR_ACCESS_ACTION))
		to = QUEUE_DEFERRED;
	admin_qmsg_close(&m);
	return to;
}

/* Act on queue/id: 0 done, -1 with errno (ENOENT: not there now). */
static int admin_ops_act(enum admin_queue_op op, const char *queue, const char *id)
{
	const char *to = admin_op_specs[op].to;
	char path[ADMIN_OPS_PATH_MAX];

	if (op == ADMIN_OP_DELETE) {
		admin_ops_path(path, queue, id);
		if (unlink(path) != 0)
			return -1;
		if (queue_reason_remove(id) != 0)
			admin_say("warning: %s: %s/%s: %s", id, QUEUE_REASON_DIR, id,
				  strerror(errno));
		return 0;
	}
	if (op == ADMIN_OP_REQUEUE)
		to = admin_ops_requeue_to(queue, id);
	if (strcmp(to, QUEUE_DEFERRED) == 0 && admin_ops_due_now(queue, id) != 0)
		return -1;
	return strcmp(queue, to) == 0 ? 0 : queue_move(id, queue, to);
}

static int admin_ops_in(const char *queue, const char *id)
{
	char path[ADMIN_OPS_PATH_MAX];
	struct stat st;

	admin_ops_path(path, queue, id);
	return lstat(path, &st) == 0;
}

static void admin_ops_pause(void)
{
	struct timespec step = { 0, ADMIN_OPS_POLL_MS * 1000000L };

	nanosleep(&step, NULL);
}

/* One pass over the queues: 1 done, 0 not found, -1 failed (reported). */
static int admin_ops_try(admin_op_run_t *run, const char *id, int *active)
{
	*active = 0;
	for (int i = 0; run->from[i]; i++) {
		if (strcmp(run->from[i], QUEUE_ACTIVE) == 0) {
			*active = admin_ops_in(QUEUE_ACTIVE, id);
			continue;
		}
		if (admin_ops_act(run->op, run->from[i], id) == 0) {
			log_info("%s: %s", id, admin_op_specs[run->op].logged);
			return 1;
		}
		if (errno != ENOENT) {
			admin_say("warning: %s: %s/%s: %s", id, run->from[i], id, strerror(errno));
			return -1;
		}
	}
	return 0;
}

static void admin_ops_one(admin_op_run_t *run, const char *id)
{
	int tries = 0, active, ret;

	if (!queue_id_valid(id)) {
		admin_say("warning: invalid mail queue id: %s", id);
		run->failed = 1;
		return;
	}
	while ((ret = admin_ops_try(run, id, &active)) == 0) {
		if (active && time(NULL) < run->deadline) {
			admin_ops_pause();
			continue;
		}
		if (active) {
			admin_say("warning: %s: still being delivered (active queue) after %d "
				  "seconds: left as it is; try again later", id, ADMIN_OPS_ACTIVE_WAIT);
			break;
		}
		if (++tries == ADMIN_OPS_FIND_TRIES) {
			if (run->all)
				return;
			admin_say("warning: %s: no such message in %s", id,
				  run->from[1] ? "the queue" : run->from[0]);
			break;
		}
	}
	if (ret > 0)
		run->done++;
	else
		run->failed = 1;
}

static int admin_ops_id_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every message in the source queues, each once though it may move
 * from one to another meanwhile. */
static void admin_ops_all(admin_op_run_t *run)
{
	char **ids = NULL, **more;
	size_t count = 0, n;

	for (int i = 0; run->from[i]; i++) {
		more = admin_queue_ids(run->from[i], &n);
		ids = mem_realloc(ids, (count + n + 1) * sizeof(*ids));
		for (size_t j = 0; j < n; j++)
			ids[count++] = more[j];
		mem_free(more);
	}
	if (count > 1)
		qsort(ids, count, sizeof(*ids), admin_ops_id_cmp);
	run->all = 1;
	for (size_t i = 0; i < count; i++)
		if (i == 0 || strcmp(ids[i - 1], ids[i]) != 0)
			admin_ops_one(run, ids[i]);
	run->all = 0;
	admin_queue_free_ids(ids, count);
}

static void admin_ops_stdin(admin_op_run_t *run)
{
	char line[ADMIN_OPS_LINE_MAX];
	size_t len;

	while (fgets(line, sizeof(line), stdin)) {
		len = strcspn(line, "\r\n");
		if (line[len] == 0 && !feof(stdin)) {	/* longer than any ID */
			admin_say("warning: invalid mail queue id: %.40s...", line);
			run->failed = 1;
			while (fgets(line, sizeof(line), stdin) && line[strcspn(line, "\n")] == 0)
				;
			continue;
		}
		line[len] = 0;
		if (len > 0)
			admin_ops_one(run, line);
	}
}

/* The spec's source queues, or only queue_name when it is one of them.
 * A message in active/ is acted on where qmgr puts it next, so "active"
 * brings the queues it may go to. */
static int admin_ops_sources(admin_op_run_t *run, const char *queue_name)
{
	const admin_op_spec_t *spec = &admin_op_specs[run->op];
	int narrow_active = queue_name && strcmp(queue_name, QUEUE_ACTIVE) == 0;
	int n = 0, in_spec = 0;

	for (int i = 0; spec->from[i]; i++)
		in_spec |= queue_name == NULL || strcmp(queue_name, spec->from[i]) == 0;
	for (int i = 0; spec->from[i] && in_spec; i++)
		if (queue_name == NULL || narrow_active || strcmp(queue_name, spec->from[i]) == 0)
			run->from[n++] = spec->from[i];
	run->from[n] = NULL;
	return n;
}

int admin_queue_apply(enum admin_queue_op op, char **targets, int count, const char *queue_name)
{
	admin_op_run_t run = { .op = op, .deadline = time(NULL) + ADMIN_OPS_ACTIVE_WAIT };

	if (admin_ops_sources(&run, queue_name) == 0)
		admin_fatal("%s: not a queue this acts on", queue_name);
	admin_queue_log_open();
	for (int i = 0; i < count; i++) {
		if (strcmp(targets[i], "ALL") == 0)
			admin_ops_all(&run);
		else if (strcmp(targets[i], "-") == 0)
			admin_ops_stdin(&run);
		else
			admin_ops_one(&run, targets[i]);
	}
	if (run.done > 0)
		admin_say("%s: %ld message%s", admin_op_specs[op].counted, run.done,
			  run.done == 1 ? "" : "s");
	if (run.done > 0 && admin_op_specs[op].to && strcmp(admin_op_specs[op].to, QUEUE_HOLD) != 0)
		(void)trigger_wakeup(TRIGGER_QMGR_PATH);	/* qmgr also scans on its own */
	return run.failed;
}

void admin_queue_log_open(void)
{
	const char *file = conf_str("maillog_file");

	log_init("queue");
	log_set_syslog_name(conf_str("syslog_name"));
	if (*file == 0)
		log_to_syslog();
	else if (log_open_file(file) != 0)
		admin_say("warning: cannot open maillog_file %s: %s: logging here", file,
			  strerror(errno));
}
