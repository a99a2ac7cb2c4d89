/*
 * admin_queue_scan: finding and reading queue files for "pochta queue".
 *
 * A listing reads each directory once, sorts the IDs (they sort by
 * arrival) and reads each file as a delivery agent does: queue_open_delivery
 * (a shared lock, so the file cannot be recycled for another message while
 * it is read) and queue_read, which trusts nothing in it. A file that
 * moves to another queue between the directory read and the open is
 * missed or seen twice, as with any listing of a live queue.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admin.h"
#include "admin_queue.h"
#include "conf.h"
#include "mem.h"

const char *const admin_queue_names[ADMIN_QUEUE_COUNT + 1] = {
	QUEUE_INCOMING, QUEUE_ACTIVE, QUEUE_DEFERRED, QUEUE_HOLD, NULL
};

const char *admin_queue_name(const char *name)
{
	for (int i = 0; admin_queue_names[i]; i++)
		if (strcmp(admin_queue_names[i], name) == 0)
			return admin_queue_names[i];
	return NULL;
}

static int admin_id_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char **admin_queue_ids(const char *dir, size_t *count)
{
	char **ids = NULL;
	size_t n = 0;
	struct dirent *de;
	DIR *dp = opendir(dir);

	if (dp == NULL)
		admin_fatal("cannot read the queue: open directory %s/%s: %s (run as root or %s)",
			    conf_str("queue_directory"), dir, strerror(errno), conf_str("mail_owner"));
	while ((de = readdir(dp)) != NULL) {
		if (!queue_id_valid(de->d_name))
			continue;
		ids = mem_realloc(ids, (n + 1) * sizeof(*ids));
		ids[n++] = mem_strdup(de->d_name);
	}
	closedir(dp);
	if (n > 1)
		qsort(ids, n, sizeof(*ids), admin_id_cmp);
	*count = n;
	return ids;
}

void admin_queue_free_ids(char **ids, size_t count)
{
	for (size_t i = 0; i < count; i++)
		mem_free(ids[i]);
	mem_free(ids);
}

int admin_queue_open(const char *queue, const char *id, admin_qmsg_t *m)
{
	str_t err = STR_INIT;
	struct stat st;

	memset(m, 0, sizeof(*m));
	m->queue = queue;
	if ((m->fd = queue_open_delivery(queue, id, admin_queue_owner())) < 0) {
		if (errno == ENOENT || errno == ESTALE)
			errno = ENOENT;
		else
			admin_say("warning: %s: cannot open %s/%s: %s", id, queue, id, strerror(errno));
		return -1;
	}
	if (fstat(m->fd, &st) != 0 || queue_read(m->fd, id, &m->qm, &err) != 0) {
		admin_say("warning: %s: damaged queue file %s/%s: %s", id, queue, id,
			  err.len ? str_cstr(&err) : strerror(errno));
		str_free(&err);
		close(m->fd);
		m->fd = -1;
		errno = EINVAL;
		return -1;
	}
	m->mtime = st.st_mtime;
	str_free(&err);
	return 0;
}

void admin_qmsg_close(admin_qmsg_t *m)
{
	if (m->fd >= 0)
		close(m->fd);
	m->fd = -1;
	queue_msg_free(&m->qm);
}

int admin_queue_find(const char *id, admin_qmsg_t *m)
{
	if (!queue_id_valid(id)) {
		admin_say("warning: invalid mail queue id: %s", id);
		return -1;
	}
	for (int i = 0; admin_queue_names[i]; i++) {
		if (admin_queue_open(admin_queue_names[i], id, m) == 0)
			return 0;
		if (errno != ENOENT)
			return -1;
	}
	admin_say("warning: %s: no such message in the queue", id);
	return -1;
}

void admin_qfilter_init(admin_qfilter_t *f)
{
	memset(f, 0, sizeof(*f));
	f->older_than = -1;
	f->newer_than = -1;
}

static int admin_qfilter_queue(const admin_qfilter_t *f, const char *queue)
{
	if (f->queues[0] == NULL)
		return 1;
	for (int i = 0; f->queues[i]; i++)
		if (f->queues[i] == queue)
			return 1;
	return 0;
}

static const char *admin_domain_of(const char *addr)
{
	const char *at = strrchr(addr, '@');

	return at ? at + 1 : "";
}

/* Does a pending recipient match the recipient and domain filters? */
static int admin_qfilter_rcpt(const admin_qfilter_t *f, const queue_msg_t *qm)
{
	if (f->recipient == NULL && f->domain == NULL)
		return 1;
	for (size_t i = 0; i < qm->nrcpts; i++) {
		const char *addr = qm->rcpts[i].addr;

		if (qm->rcpts[i].done)
			continue;
		if (f->recipient && strcasecmp(f->recipient, addr) != 0)
			continue;
		if (f->domain && strcasecmp(f->domain, admin_domain_of(addr)) != 0)
			continue;
		return 1;
	}
	return 0;
}

int admin_qfilter_match(const admin_qfilter_t *f, const admin_qmsg_t *m, time_t now)
{
	long age = (long)(now - m->qm.arrival.tv_sec);

	if (!admin_qfilter_queue(f, m->queue))
		return 0;
	if (f->sender && strcasecmp(f->sender, m->qm.sender) != 0)
		return 0;
	if (f->older_than >= 0 && age < f->older_than)
		return 0;
	if (f->newer_than >= 0 && age >= f->newer_than)
		return 0;
	return admin_qfilter_rcpt(f, &m->qm);
}

/* One queue ID and the queue it was found in, for the sorted walk. */
typedef struct admin_qname {
	char *id;
	const char *queue;
} admin_qname_t;

static int admin_qname_cmp(const void *a, const void *b)
{
	return strcmp(((const admin_qname_t *)a)->id, ((const admin_qname_t *)b)->id);
}

static admin_qname_t *admin_queue_collect(const admin_qfilter_t *f, size_t *count)
{
	admin_qname_t *names = NULL;
	size_t n = 0, nids;
	char **ids;

	for (int q = 0; admin_queue_names[q]; q++) {
		if (!admin_qfilter_queue(f, admin_queue_names[q]))
			continue;
		ids = admin_queue_ids(admin_queue_names[q], &nids);
		names = mem_realloc(names, (n + nids + 1) * sizeof(*names));
		for (size_t i = 0; i < nids; i++)
			names[n++] = (admin_qname_t){ ids[i], admin_queue_names[q] };
		mem_free(ids);		/* the names now own the strings */
	}
	if (n > 1)
		qsort(names, n, sizeof(*names), admin_qname_cmp);
	*count = n;
	return names;
}

void admin_queue_walk(const admin_qfilter_t *f, admin_qvisit_fn visit, void *ctx)
{
	time_t now = time(NULL);
	size_t n, i;
	admin_qname_t *names = admin_queue_collect(f, &n);
	admin_qmsg_t m;
	int stop = 0;

	for (i = 0; i < n; i++) {
		if (!stop && admin_queue_open(names[i].queue, names[i].id, &m) == 0) {
			if (admin_qfilter_match(f, &m, now))
				stop = visit(&m, ctx) != 0;
			admin_qmsg_close(&m);
		}
		mem_free(names[i].id);
	}
	mem_free(names);
}
