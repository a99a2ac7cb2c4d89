/*
 * qmgr_scan: reading the queue directories. One readdir pass collects
 * the oldest candidate names (queue IDs sort by arrival), as many as the
 * active queue has room for (qmgr_message_active_limit), and moves them
 * into active/ in order, so a burst of new mail costs one directory read,
 * not one per message, and a queue of any size costs qmgr memory for
 * that many names only: they are kept in a bounded max-heap while the
 * directory is read, the newest dropped first.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "mem.h"
#include "qmgr.h"

#define QMGR_TEMP_PREFIX ".tmp."	/* a queue file still being written */

typedef struct qmgr_names {
	char **names;			/* a max-heap while collecting, sorted after */
	size_t count;
	size_t cap;
	size_t max;			/* names kept at most */
	size_t seen;			/* candidates found, kept or not */
} qmgr_names_t;

static void qmgr_names_swap(char **a, char **b)
{
	char *t = *a;

	*a = *b;
	*b = t;
}

/* Restore the heap from index i downwards. */
static void qmgr_names_sift_down(qmgr_names_t *list, size_t i)
{
	for (;;) {
		size_t big = i, kid = 2 * i + 1;

		for (; kid <= 2 * i + 2 && kid < list->count; kid++)
			if (strcmp(list->names[kid], list->names[big]) > 0)
				big = kid;
		if (big == i)
			return;
		qmgr_names_swap(&list->names[i], &list->names[big]);
		i = big;
	}
}

/* Keep name if it is among the list->max smallest seen. */
static void qmgr_names_add(qmgr_names_t *list, const char *name)
{
	size_t i;

	list->seen++;
	if (list->count == list->max) {
		if (list->max == 0 || strcmp(name, list->names[0]) >= 0)
			return;
		mem_free(list->names[0]);
		list->names[0] = mem_strdup(name);
		qmgr_names_sift_down(list, 0);
		return;
	}
	if (list->count == list->cap) {
		list->cap = list->cap ? list->cap * 2 : 64;
		list->names = mem_realloc(list->names, list->cap * sizeof(*list->names));
	}
	list->names[i = list->count++] = mem_strdup(name);
	for (; i > 0 && strcmp(list->names[i], list->names[(i - 1) / 2]) > 0; i = (i - 1) / 2)
		qmgr_names_swap(&list->names[i], &list->names[(i - 1) / 2]);
}

static void qmgr_names_free(qmgr_names_t *list)
{
	for (size_t i = 0; i < list->count; i++)
		mem_free(list->names[i]);
	mem_free(list->names);
}

static int qmgr_names_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Collect the list->max oldest queue IDs in dir, sorted; with due_only,
 * only those whose mtime (the retry time) has come. Other names
 * (temporary files) are left alone.
 */
static void qmgr_collect(const char *dir, int due_only, qmgr_names_t *list)
{
	time_t now = time(NULL);
	struct dirent *de;
	struct stat st;
	DIR *dp;

	if ((dp = opendir(dir)) == NULL) {
		log_warning("open directory %s: %m", dir);
		return;
	}
	while ((de = readdir(dp)) != NULL) {
		if (!queue_id_valid(de->d_name))
			continue;
		if (due_only && (fstatat(dirfd(dp), de->d_name, &st, 0) < 0 || st.st_mtime > now))
			continue;
		qmgr_names_add(list, de->d_name);
	}
	closedir(dp);
	if (list->count > 1)
		qsort(list->names, list->count, sizeof(*list->names), qmgr_names_cmp);
}

/* Move the oldest candidates of dir into active/ while there is room;
 * 1 when some were left behind for lack of it. */
static int qmgr_take(const char *dir, int due_only)
{
	qmgr_names_t list = { 0 };
	size_t i, taken = 0;

	if (qmgr_active_count() >= (size_t)qmgr_conf.active_limit)
		return 1;	/* the rest waits in dir until there is room */
	list.max = (size_t)qmgr_conf.active_limit - qmgr_active_count();
	qmgr_collect(dir, due_only, &list);
	for (i = 0; i < list.count && qmgr_active_count() < (size_t)qmgr_conf.active_limit; i++)
		taken += qmgr_active_add(list.names[i], dir) == 0;
	qmgr_names_free(&list);
	return list.seen > list.max && taken > 0;
}

int qmgr_scan_incoming(void)
{
	return qmgr_take(QUEUE_INCOMING, 0);
}

int qmgr_scan_deferred(void)
{
	return qmgr_take(QUEUE_DEFERRED, 1);
}

int qmgr_scan_room(void)
{
	return qmgr_active_count() <= (size_t)qmgr_conf.active_limit / 2;
}

/* A writer that died left its temporary file; after daemon_timeout no
 * live writer can still own it. */
static void qmgr_remove_stale_temps(void)
{
	time_t limit = time(NULL) - (time_t)qmgr_conf.daemon_timeout;
	struct dirent *de;
	struct stat st;
	DIR *dp;

	if ((dp = opendir(QUEUE_INCOMING)) == NULL) {
		log_warning("open directory %s: %m", QUEUE_INCOMING);
		return;
	}
	while ((de = readdir(dp)) != NULL) {
		if (strncmp(de->d_name, QMGR_TEMP_PREFIX, strlen(QMGR_TEMP_PREFIX)) != 0 ||
		    fstatat(dirfd(dp), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    st.st_mtime >= limit)
			continue;
		if (unlinkat(dirfd(dp), de->d_name, 0) == 0)
			log_info("removed stale temporary file %s/%s", QUEUE_INCOMING, de->d_name);
		else
			log_warning("remove %s/%s: %m", QUEUE_INCOMING, de->d_name);
	}
	closedir(dp);
}

/* A previous qmgr stopped with files in active/: they start over. */
void qmgr_scan_recover(void)
{
	qmgr_names_t list = { .max = SIZE_MAX };

	qmgr_collect(QUEUE_ACTIVE, 0, &list);
	for (size_t i = 0; i < list.count; i++)
		if (queue_move(list.names[i], QUEUE_ACTIVE, QUEUE_INCOMING) < 0)
			log_warning("%s: move from %s to %s: %m", list.names[i], QUEUE_ACTIVE,
				    QUEUE_INCOMING);
	qmgr_names_free(&list);
	qmgr_remove_stale_temps();
}
