/*
 * queue: writing, opening for delivery, and moving queue files (format
 * in queue.h).
 *
 * The writer buffers records in memory and hands them to write(2) in large
 * pieces, because every accepted message passes through here. Durability
 * order on commit: patch the content length, fsync the file, rename it to
 * its ID without overwriting, fsync the directory. Any failure removes the
 * temporary file and keeps errno for the caller (ENOSPC means 452 4.3.1).
 *
 * A new file is preferably a recycled one (see queue.h): each process keeps
 * the names of one readdir of recycle/ and claims them one by one, starting
 * at a random place so that concurrent writers rarely race for the same
 * name, and reads again when others keep taking its names first; after
 * finding the pool empty it leaves it alone for a few creates, so an empty
 * pool costs nothing.
 *
 * Reading is in queue_read.c.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fdio.h"
#include "log.h"
#include "mem.h"
#include "queue.h"

#define QUEUE_WRITE_BUF (64 * 1024)	/* writes reach the kernel in pieces this big */
#define QUEUE_TMP_NAME_MAX 64
#define QUEUE_PATH_MAX 256		/* "dir/ID" */
#define QUEUE_CREATE_TRIES 100		/* temporary names tried before giving up */
#define QUEUE_ID_MIN 16
#define QUEUE_RECYCLE_BATCH 256	/* recycled names read with one readdir */
#define QUEUE_RECYCLE_MISSES 4		/* names taken by others before a new readdir */
#define QUEUE_RECYCLE_TRIES 16		/* names tried per create before creating */
#define QUEUE_RECYCLE_IDLE 16		/* creates that skip an empty pool */
#define QUEUE_RECYCLE_RECOUNT 64	/* removals between recounts of a full pool */

struct queue_writer {
	int fd;
	int dirfd;
	char tmpname[QUEUE_TMP_NAME_MAX];
	char id[QUEUE_ID_SIZE];
	struct timeval arrival;
	unsigned long long inode;
	off_t written;			/* bytes already in the file */
	off_t length_offset;		/* of the content length digits; -1 before M */
	off_t content_size;
	int recycled;			/* the file had content before: truncate at commit */
	int error;			/* sticky errno after a failure */
	size_t buflen;
	char buf[QUEUE_WRITE_BUF];
};

int queue_id_valid(const char *id)
{
	size_t len = strlen(id);
	size_t i;
	int z = 0;

	if (len < QUEUE_ID_MIN || len >= QUEUE_ID_SIZE)
		return 0;
	for (i = 0; i < len; i++) {
		if (id[i] == 'z')
			z++;
		else if (!isdigit((unsigned char)id[i]) && !(id[i] >= 'A' && id[i] <= 'F'))
			return 0;
	}
	return z == 1;
}

void queue_id_make(char *buf, size_t size, struct timeval tv, unsigned long long inode)
{
	snprintf(buf, size, "%09llX%05Xz%llX", (unsigned long long)tv.tv_sec,
		 (unsigned)tv.tv_usec, inode);
}

/* "dir/ID" in buf (QUEUE_PATH_MAX bytes); -1 with errno for a bad ID. */
static int queue_path(char *buf, const char *dir, const char *id)
{
	if (!queue_id_valid(id)) {
		errno = EINVAL;
		return -1;
	}
	if (snprintf(buf, QUEUE_PATH_MAX, "%s/%s", dir, id) >= QUEUE_PATH_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* Record the first failure, remove the temporary file, keep errno. */
static int queue_fail(queue_writer_t *qw)
{
	int saved = errno;

	if (qw->error == 0) {
		qw->error = saved;
		unlinkat(qw->dirfd, qw->tmpname, 0);
	}
	errno = qw->error;
	return -1;
}

static int queue_flush(queue_writer_t *qw)
{
	if (fdio_write_all(qw->fd, qw->buf, qw->buflen) < 0)
		return queue_fail(qw);
	qw->written += (off_t)qw->buflen;
	qw->buflen = 0;
	return 0;
}

static int queue_append(queue_writer_t *qw, const void *data, size_t len)
{
	if (qw->error) {
		errno = qw->error;
		return -1;
	}
	if (qw->buflen + len > sizeof(qw->buf) && queue_flush(qw) < 0)
		return -1;
	if (len >= sizeof(qw->buf)) {
		if (fdio_write_all(qw->fd, data, len) < 0)
			return queue_fail(qw);
		qw->written += (off_t)len;
		return 0;
	}
	memcpy(qw->buf + qw->buflen, data, len);
	qw->buflen += len;
	return 0;
}

static int queue_put_record(queue_writer_t *qw, char type, const char *data, size_t len)
{
	char head[1 + QUEUE_LENGTH_DIGITS_MAX + 2];
	int n;

	if (qw->length_offset >= 0 || len > QUEUE_RECORD_MAX) {
		errno = EINVAL;	/* records after the content would land inside it */
		return -1;
	}
	n = snprintf(head, sizeof(head), "%c%zu:", type, len);
	if (queue_append(qw, head, (size_t)n) < 0 || queue_append(qw, data, len) < 0)
		return -1;
	return queue_append(qw, "\n", 1);
}

/* The next temporary name of this process. */
static void queue_temp_name(queue_writer_t *qw)
{
	static unsigned counter;

	snprintf(qw->tmpname, sizeof(qw->tmpname), ".tmp.%ld.%u", (long)getpid(), counter++);
}

/* Open a fresh temporary file in the directory open on qw->dirfd. */
static int queue_open_temp(queue_writer_t *qw)
{
	int tries;

	for (tries = 0; tries < QUEUE_CREATE_TRIES; tries++) {
		queue_temp_name(qw);
		qw->fd = openat(qw->dirfd, qw->tmpname, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC,
				QUEUE_FILE_MODE);
		if (qw->fd >= 0 || errno != EEXIST)
			return qw->fd;
	}
	return -1;
}

/* This process's share of recycle/: names from its last readdir. */
static struct queue_pool {
	char names[QUEUE_RECYCLE_BATCH][QUEUE_ID_SIZE];
	size_t count;
	size_t next;			/* index of the next name to try, modulo count */
	size_t left;			/* names not tried yet */
	unsigned misses;		/* names in a row that others took first */
	unsigned idle;			/* creates left before looking at recycle/ again */
	unsigned seed;			/* where in the batch to start */
} queue_pool;

static void queue_pool_refill(void)
{
	struct dirent *de;
	DIR *dp;

	queue_pool.count = 0;
	if ((dp = opendir(QUEUE_RECYCLE)) != NULL) {
		while (queue_pool.count < QUEUE_RECYCLE_BATCH && (de = readdir(dp)) != NULL)
			if (queue_id_valid(de->d_name))	/* so it fits in QUEUE_ID_SIZE */
				memcpy(queue_pool.names[queue_pool.count++], de->d_name,
				       strlen(de->d_name) + 1);
		closedir(dp);
	}
	if (queue_pool.seed == 0)
		queue_pool.seed = (unsigned)getpid();
	queue_pool.left = queue_pool.count;
	queue_pool.next = queue_pool.count ? (size_t)rand_r(&queue_pool.seed) % queue_pool.count : 0;
	queue_pool.misses = 0;
	if (queue_pool.count == 0)
		queue_pool.idle = QUEUE_RECYCLE_IDLE;
}

/* The next name to try, or NULL when the pool looks empty. A batch that
 * keeps missing is stale: read the directory again. */
static const char *queue_pool_take(void)
{
	if (queue_pool.left == 0 || queue_pool.misses >= QUEUE_RECYCLE_MISSES) {
		if (queue_pool.idle > 0) {
			queue_pool.idle--;
			return NULL;
		}
		queue_pool_refill();
		if (queue_pool.left == 0)
			return NULL;
	}
	queue_pool.left--;
	return queue_pool.names[queue_pool.next++ % queue_pool.count];
}

/* Only a plain file of ours, with the queue's mode and no other name, is
 * garbage to overwrite. */
static int queue_reusable(const struct stat *st)
{
	return S_ISREG(st->st_mode) && st->st_uid == geteuid() && st->st_nlink == 1
		&& (st->st_mode & 07777) == QUEUE_FILE_MODE;
}

/*
 * Open the claimed file qw->tmpname, check it, and stamp it with the
 * current time (qmgr removes dot files by age). O_NOFOLLOW and O_NONBLOCK
 * keep a symlink or FIFO from being followed or blocking before fstat
 * refuses it; O_NONBLOCK means nothing for a regular file.
 */
static int queue_open_claimed(queue_writer_t *qw, struct stat *st)
{
	int flags = O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC;

	if ((qw->fd = openat(qw->dirfd, qw->tmpname, flags)) < 0)
		return -1;
	/* a delivery agent still reading it holds a shared lock: leave it be */
	if (flock(qw->fd, LOCK_EX | LOCK_NB) == 0 && fstat(qw->fd, st) == 0
	    && queue_reusable(st) && futimens(qw->fd, NULL) == 0)
		return 0;
	close(qw->fd);
	qw->fd = -1;
	return -1;
}

/* Claim a recycled file as qw->tmpname: 1 with qw->fd open, 0 when none. */
static int queue_claim(queue_writer_t *qw, struct stat *st)
{
	char path[QUEUE_PATH_MAX];
	const char *name;
	int tries;

	for (tries = 0; tries < QUEUE_RECYCLE_TRIES && (name = queue_pool_take()) != NULL; tries++) {
		if (queue_path(path, QUEUE_RECYCLE, name) < 0)
			continue;
		queue_temp_name(qw);
		if (renameat(AT_FDCWD, path, qw->dirfd, qw->tmpname) < 0) {
			if (errno == ENOENT) {
				queue_pool.misses++;	/* another writer took it */
				continue;
			}
			queue_pool.left = 0;	/* EXDEV (dir elsewhere) or worse: create */
			queue_pool.idle = QUEUE_RECYCLE_IDLE;
			return 0;
		}
		queue_pool.misses = 0;
		if (queue_open_claimed(qw, st) == 0) {
			qw->recycled = 1;
			return 1;
		}
		unlinkat(qw->dirfd, qw->tmpname, 0);	/* not reusable: drop our name */
	}
	return 0;
}

/* A recycled file, else a new one. */
static int queue_open_file(queue_writer_t *qw, struct stat *st)
{
	if (queue_claim(qw, st))
		return 0;
	if (queue_open_temp(qw) < 0)
		return -1;
	return fstat(qw->fd, st) < 0 ? queue_fail(qw) : 0;
}

queue_writer_t *queue_create(const char *dir)
{
	queue_writer_t *qw = mem_alloc(sizeof(*qw));
	char stamp[QUEUE_LENGTH_DIGITS_MAX * 2 + 2];
	const char warn = QUEUE_WARN_PENDING;
	struct stat st;
	int saved;

	memset(qw, 0, offsetof(queue_writer_t, buf));
	qw->fd = -1;
	qw->length_offset = -1;
	if ((qw->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		goto fail;
	if (queue_open_file(qw, &st) < 0)
		goto fail;
	if (gettimeofday(&qw->arrival, NULL) < 0) {
		queue_fail(qw);
		goto fail;
	}
	qw->inode = (unsigned long long)st.st_ino;
	queue_id_make(qw->id, sizeof(qw->id), qw->arrival, qw->inode);
	snprintf(stamp, sizeof(stamp), "%lld.%06ld", (long long)qw->arrival.tv_sec,
		 (long)qw->arrival.tv_usec);
	if (queue_put_record(qw, 'V', QUEUE_FORMAT_VERSION, strlen(QUEUE_FORMAT_VERSION)) == 0
	    && queue_put_record(qw, 'T', stamp, strlen(stamp)) == 0
	    && queue_put_record(qw, 'W', &warn, 1) == 0)
		return qw;
fail:
	saved = errno;
	queue_abort(qw);
	errno = saved;
	return NULL;
}

const char *queue_writer_id(const queue_writer_t *qw)
{
	return qw->id;
}

struct timeval queue_writer_arrival(const queue_writer_t *qw)
{
	return qw->arrival;
}

int queue_put_sender(queue_writer_t *qw, const char *sender)
{
	return queue_put_record(qw, 'S', sender, strlen(sender));
}

int queue_put_attr(queue_writer_t *qw, const char *name, const char *value)
{
	str_t pair = STR_INIT;
	int ret;

	if (*name == 0 || strchr(name, '=')) {
		errno = EINVAL;
		return -1;
	}
	str_printf(&pair, "%s=%s", name, value);
	ret = queue_put_record(qw, 'A', pair.data, pair.len);
	str_free(&pair);
	return ret;
}

int queue_put_orig(queue_writer_t *qw, const char *orig)
{
	if (*orig == 0) {
		errno = EINVAL;
		return -1;
	}
	return queue_put_record(qw, 'O', orig, strlen(orig));
}

int queue_notify_valid(int flags)
{
	if (flags <= 0 || (flags & ~QUEUE_NOTIFY_ALL) != 0)
		return 0;
	return !(flags & QUEUE_NOTIFY_NEVER) || flags == QUEUE_NOTIFY_NEVER;
}

int queue_orcpt_valid(const char *orcpt)
{
	const char *semi = strchr(orcpt, ';');

	return semi != NULL && semi != orcpt && semi[1] != 0;
}

int queue_put_notify(queue_writer_t *qw, int flags)
{
	char digits[QUEUE_NOTIFY_DIGITS_MAX + 1];

	if (!queue_notify_valid(flags)) {
		errno = EINVAL;
		return -1;
	}
	snprintf(digits, sizeof(digits), "%d", flags);
	return queue_put_record(qw, 'N', digits, strlen(digits));
}

int queue_put_orcpt(queue_writer_t *qw, const char *orcpt)
{
	if (!queue_orcpt_valid(orcpt)) {
		errno = EINVAL;
		return -1;
	}
	return queue_put_record(qw, 'Q', orcpt, strlen(orcpt));
}

int queue_put_rcpt(queue_writer_t *qw, const char *rcpt)
{
	return queue_put_record(qw, 'R', rcpt, strlen(rcpt));
}

int queue_content_begin(queue_writer_t *qw)
{
	char head[1 + QUEUE_CONTENT_DIGITS + 2];

	if (qw->length_offset >= 0) {
		errno = EINVAL;
		return -1;
	}
	snprintf(head, sizeof(head), "M%0*d:", QUEUE_CONTENT_DIGITS, 0);
	if (queue_append(qw, head, strlen(head)) < 0)
		return -1;
	qw->length_offset = qw->written + (off_t)qw->buflen - QUEUE_CONTENT_DIGITS - 1;
	return 0;
}

int queue_content_write(queue_writer_t *qw, const void *data, size_t len)
{
	if (qw->length_offset < 0) {
		errno = EINVAL;
		return -1;
	}
	if (queue_append(qw, data, len) < 0)
		return -1;
	qw->content_size += (off_t)len;
	return 0;
}

off_t queue_content_size(const queue_writer_t *qw)
{
	return qw->content_size;
}

/* Patch the content length and make the file's bytes durable. */
static int queue_finish_file(queue_writer_t *qw)
{
	char digits[QUEUE_CONTENT_DIGITS + 1];
	static const char end[] = "\nE0:\n";
	ssize_t n;

	if (qw->length_offset < 0 && queue_content_begin(qw) < 0)
		return -1;
	if (queue_append(qw, end, sizeof(end) - 1) < 0 || queue_flush(qw) < 0)
		return -1;
	snprintf(digits, sizeof(digits), "%0*lld", QUEUE_CONTENT_DIGITS, (long long)qw->content_size);
	n = pwrite(qw->fd, digits, QUEUE_CONTENT_DIGITS, qw->length_offset);
	if (n != QUEUE_CONTENT_DIGITS) {
		if (n >= 0)
			errno = EIO;
		return queue_fail(qw);
	}
	if (qw->recycled && ftruncate(qw->fd, qw->written) < 0)
		return queue_fail(qw);	/* drop what the old file had past our end */
	if (fsync(qw->fd) < 0)
		return queue_fail(qw);
	return 0;
}

/* Rename without replacing: renameat2, or link+unlink where unsupported. */
static int queue_rename_noreplace(int dirfd, const char *from, const char *to)
{
	if (renameat2(dirfd, from, dirfd, to, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
	if (linkat(dirfd, from, dirfd, to, 0) < 0)
		return -1;
	unlinkat(dirfd, from, 0);
	return 0;
}

/*
 * Give the file its ID. The ID was announced before the commit (Received:
 * header, log), so it never changes here: the inode part is held by this
 * live file, so a taken name cannot happen short of inode reuse within the
 * same microsecond, and then the commit fails (EEXIST) rather than lie.
 */
static int queue_publish(queue_writer_t *qw)
{
	return queue_rename_noreplace(qw->dirfd, qw->tmpname, qw->id);
}

int queue_commit(queue_writer_t *qw)
{
	int saved;

	if (queue_finish_file(qw) < 0)
		goto fail;
	/* complete and durable: a delivery may read it as soon as it has its name */
	(void)flock(qw->fd, LOCK_UN);
	if (queue_publish(qw) < 0) {
		queue_fail(qw);
		goto fail;
	}
	if (fsync(qw->dirfd) < 0) {
		/* Not durable, so not accepted: the client will send it again. */
		saved = errno;
		unlinkat(qw->dirfd, qw->id, 0);
		errno = saved;
		queue_fail(qw);
		goto fail;
	}
	close(qw->fd);
	close(qw->dirfd);
	mem_free(qw);
	return 0;
fail:
	saved = errno;
	queue_abort(qw);
	errno = saved;
	return -1;
}

void queue_abort(queue_writer_t *qw)
{
	if (qw->fd >= 0) {
		if (qw->error == 0)
			unlinkat(qw->dirfd, qw->tmpname, 0);
		close(qw->fd);
	}
	if (qw->dirfd >= 0)
		close(qw->dirfd);
	mem_free(qw);
}

int queue_open_delivery(const char *dir, const char *id, uid_t owner)
{
	char path[QUEUE_PATH_MAX];
	struct stat held, named;
	int fd, saved;

	if (queue_path(path, dir, id) < 0)
		return -1;
	fd = open(path, O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &held) < 0)
		goto fail;
	if (!S_ISREG(held.st_mode) || held.st_uid != owner || held.st_nlink != 1) {
		errno = EPERM;
		goto fail;
	}
	if (flock(fd, LOCK_SH | LOCK_NB) < 0)
		goto fail;
	if (lstat(path, &named) < 0 || named.st_ino != held.st_ino || named.st_dev != held.st_dev) {
		errno = ESTALE;
		goto fail;
	}
	return fd;
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

/* Overwrite the byte at offset with to, when it is one of from: a mark
 * never scribbles anywhere else. 0, or -1 with errno. */
static int queue_patch_mark(int fd, off_t offset, const char *from, char to)
{
	char c;
	ssize_t n = pread(fd, &c, 1, offset);

	if (n != 1) {
		if (n == 0)
			errno = EINVAL;
		return -1;
	}
	if (strchr(from, c) == NULL || c == 0) {
		errno = EINVAL;
		return -1;
	}
	return pwrite(fd, &to, 1, offset) == 1 ? 0 : -1;
}

int queue_mark_done(int fd, off_t offset)
{
	return queue_patch_mark(fd, offset, "RD", 'D');
}

int queue_mark_warned(int fd, off_t warn_offset)
{
	static const char states[] = { QUEUE_WARN_PENDING, QUEUE_WARN_SENT, 0 };

	if (warn_offset <= 0) {
		errno = EINVAL;		/* a file without the W record */
		return -1;
	}
	return queue_patch_mark(fd, warn_offset, states, QUEUE_WARN_SENT);
}

int queue_move(const char *id, const char *from, const char *to)
{
	char src[QUEUE_PATH_MAX];
	char dst[QUEUE_PATH_MAX];

	if (queue_path(src, from, id) < 0 || queue_path(dst, to, id) < 0)
		return -1;
	return rename(src, dst);
}

/* Queue IDs in recycle/. */
static size_t queue_recycle_count(void)
{
	struct dirent *de;
	size_t n = 0;
	DIR *dp;

	if ((dp = opendir(QUEUE_RECYCLE)) == NULL)
		return 0;
	while ((de = readdir(dp)) != NULL)
		n += queue_id_valid(de->d_name) != 0;
	closedir(dp);
	return n;
}

void queue_recycler_init(queue_recycler_t *rc, size_t limit)
{
	rc->limit = limit;
	rc->estimate = queue_recycle_count();
	rc->until_recount = 0;
}

/* While the estimate says full, recount now and then: writers claim files. */
static void queue_recycler_sync(queue_recycler_t *rc)
{
	if (rc->estimate < rc->limit)
		return;
	if (rc->until_recount > 0) {
		rc->until_recount--;
		return;
	}
	rc->estimate = queue_recycle_count();
	rc->until_recount = rc->estimate >= rc->limit ? QUEUE_RECYCLE_RECOUNT : 0;
}

int queue_remove(queue_recycler_t *rc, const char *id, const char *from, off_t size)
{
	char path[QUEUE_PATH_MAX];

	if (queue_path(path, from, id) < 0)
		return -1;
	if (size > QUEUE_RECYCLE_SIZE_MAX)
		return unlink(path);
	queue_recycler_sync(rc);
	if (rc->estimate < rc->limit && queue_move(id, from, QUEUE_RECYCLE) == 0) {
		rc->estimate++;
		return 0;
	}
	return unlink(path);
}

void queue_corrupt(const char *id, const char *from, const char *why)
{
	if (queue_move(id, from, QUEUE_CORRUPT) < 0) {
		log_warning("%s: cannot move %s/%s to the corrupt queue (%s): %s",
			    id, from, id, strerror(errno), why);
		return;
	}
	log_warning("%s: moved to corrupt queue: %s", id, why);
}
