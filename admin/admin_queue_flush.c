/*
 * admin_queue_flush: "pochta queue flush" (postqueue -f) and "deliver ID"
 * (postqueue -i ID): make deferred mail due now.
 *
 * A file in deferred/ carries its next retry time as its mtime (qmgr
 * sets it, qmgr_scan_deferred reads it), so making a message due is
 * setting its mtime to now; then qmgr gets a flush request
 * (TRIGGER_FLUSH), on which it scans deferred/ at once, without waiting
 * for queue_run_delay, and gives the destinations it found dead another
 * chance. "deliver" makes only its message due, so only that one goes,
 * and of a message that is not deferred it says where it is instead.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "admin.h"
#include "admin_queue.h"
#include "trigger.h"

#define ADMIN_FLUSH_PATH_MAX 256

/* 0 done, 1 not in deferred/ now, -1 failed (reported). */
static int admin_flush_one(const char *id)
{
	char path[ADMIN_FLUSH_PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", QUEUE_DEFERRED, id);
	if (utimensat(AT_FDCWD, path, NULL, AT_SYMLINK_NOFOLLOW) == 0)
		return 0;
	if (errno == ENOENT)
		return 1;
	admin_say("warning: %s: %s: %s", id, path, strerror(errno));
	return -1;
}

/* Where a message that "deliver" could not find in deferred/ is. */
static void admin_flush_where(const char *id)
{
	char path[ADMIN_FLUSH_PATH_MAX];
	struct stat st;

	for (int i = 0; admin_queue_names[i]; i++) {
		snprintf(path, sizeof(path), "%s/%s", admin_queue_names[i], id);
		if (lstat(path, &st) == 0) {
			admin_say("warning: %s: in the %s queue, not deferred: %s", id,
				  admin_queue_names[i], strcmp(admin_queue_names[i], QUEUE_HOLD) == 0
				  ? "release it first" : "it is delivered without waiting");
			return;
		}
	}
	admin_say("warning: %s: no such message in the queue", id);
}

static int admin_flush_all(void)
{
	size_t count;
	char **ids = admin_queue_ids(QUEUE_DEFERRED, &count);
	int failed = 0;

	for (size_t i = 0; i < count; i++)
		failed |= admin_flush_one(ids[i]) < 0;	/* gone meanwhile: delivered or moved */
	admin_queue_free_ids(ids, count);
	return failed;
}

int admin_queue_flush(const char *id)
{
	int status = 0, ret;

	if (id == NULL) {
		status = admin_flush_all();
	} else if (!queue_id_valid(id)) {
		admin_say("warning: invalid mail queue id: %s", id);
		return 1;
	} else if ((ret = admin_flush_one(id)) != 0) {
		if (ret > 0)
			admin_flush_where(id);
		return 1;
	}
	if (trigger_send(TRIGGER_QMGR_PATH, TRIGGER_FLUSH) != 0)
		admin_say("warning: cannot wake qmgr (%s): is the mail system running?",
			  strerror(errno));
	return status;
}
