/*
 * maildir: deliver one message into a Maildir (see maildir.h).
 *
 * The fast path assumes the Maildir exists: open it, create an unnamed
 * file in tmp/ (O_TMPFILE), copy, fsync, link it into new/ through
 * /proc/self/fd, fsync it again (its link count), fsync new/. The file
 * has no name until it is complete, so a crash leaves nothing in tmp/,
 * and there is no rename. Where the file
 * system has no O_TMPFILE or /proc is missing, the classic way: create
 * tmp/UNIQUE, copy, fsync, rename into new/, fsync new/. Only when a step
 * meets a missing directory is the tree created and that step tried once
 * more, so a busy mailbox costs no extra mkdir calls.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fdio.h"
#include "maildir.h"

#define MAILDIR_MODE 0700		/* directories: the owner only */
#define MAILDIR_FILE_MODE 0600
#define MAILDIR_COPY_CHUNK (1 << 20)	/* bytes per copy_file_range call */
#define MAILDIR_BUF_SIZE 65536		/* read/write fallback buffer */
#define MAILDIR_PROC_FD "/proc/self/fd"	/* names an open file for linkat */
#define MAILDIR_PROC_PATH_MAX 64

static unsigned long maildir_counter;	/* deliveries by this process */

/* Copy path without trailing slashes; "" (the base itself) becomes ".". */
static int maildir_trim(const char *path, char *out)
{
	size_t len = strlen(path);

	while (len > 1 && path[len - 1] == '/')
		len--;
	if (len >= MAILDIR_PATH_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (len == 0)
		memcpy(out, ".", 2);
	else {
		memcpy(out, path, len);
		out[len] = 0;
	}
	return 0;
}

static int maildir_mkdir(int base_fd, const char *path)
{
	if (mkdirat(base_fd, path, MAILDIR_MODE) < 0 && errno != EEXIST)
		return -1;
	return 0;
}

int maildir_create(int base_fd, const char *path)
{
	static const char *const subdirs[] = { "cur", "new", "tmp" };
	char dir[MAILDIR_PATH_MAX + 8];
	size_t len, i;

	if (maildir_trim(path, dir) < 0)
		return -1;
	len = strlen(dir);
	/* Parents first: each "/" ends one component (a leading "/" does not). */
	for (i = 1; i < len; i++) {
		if (dir[i] != '/' || dir[i - 1] == '/')
			continue;
		dir[i] = 0;
		if (maildir_mkdir(base_fd, dir) < 0)
			return -1;
		dir[i] = '/';
	}
	if (maildir_mkdir(base_fd, dir) < 0)
		return -1;
	for (i = 0; i < sizeof(subdirs) / sizeof(subdirs[0]); i++) {
		snprintf(dir + len, sizeof(dir) - len, "/%s", subdirs[i]);
		if (maildir_mkdir(base_fd, dir) < 0)
			return -1;
	}
	return 0;
}

void maildir_unique(str_t *out, const struct timeval *tv, long pid, unsigned long count,
		    const char *host)
{
	str_reset(out);
	str_printf(out, "%lld.M%ldP%ldQ%lu.", (long long)tv->tv_sec, (long)tv->tv_usec, pid,
		   count);
	for (; *host; host++) {
		if (*host == '/')
			str_append_cstr(out, "\\057");
		else if (*host == ':')
			str_append_cstr(out, "\\072");
		else
			str_putc(out, *host);
	}
}

static const char *maildir_host(void)
{
	static char host[MAILDIR_HOST_MAX];

	if (host[0] == 0) {
		if (gethostname(host, sizeof(host) - 1) < 0 || host[0] == 0)
			snprintf(host, sizeof(host), "localhost");
		host[sizeof(host) - 1] = 0;
	}
	return host;
}

/* Plain copy for file systems without copy_file_range between these files. */
static int maildir_copy_rw(int from, off_t off, off_t left, int to)
{
	char buf[MAILDIR_BUF_SIZE];

	while (left > 0) {
		size_t want = left < (off_t)sizeof(buf) ? (size_t)left : sizeof(buf);
		ssize_t n = pread(from, buf, want, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;	/* the source is shorter than promised */
			return -1;
		}
		if (fdio_write_all(to, buf, (size_t)n) < 0)
			return -1;
		off += n;
		left -= n;
	}
	return 0;
}

static int maildir_copy(int from, off_t off, off_t left, int to)
{
	while (left > 0) {
		size_t want = left < MAILDIR_COPY_CHUNK ? (size_t)left : MAILDIR_COPY_CHUNK;
		ssize_t n = copy_file_range(from, &off, to, NULL, want, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EXDEV || errno == EINVAL || errno == ENOSYS ||
			      errno == EOPNOTSUPP))
			return maildir_copy_rw(from, off, left, to);
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			return -1;
		}
		left -= n;
	}
	return 0;
}

static int maildir_fsync_dir(int md_fd, const char *sub)
{
	int fd = openat(md_fd, sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc, saved;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

/* Create tmp/UNIQUE, making the tree when tmp/ is missing. */
static int maildir_open_tmp(int base_fd, const char *dir, int md_fd, const char *tmp)
{
	int flags = O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC;
	int fd = openat(md_fd, tmp, flags, MAILDIR_FILE_MODE);

	if (fd < 0 && errno == ENOENT && maildir_create(base_fd, dir) == 0)
		fd = openat(md_fd, tmp, flags, MAILDIR_FILE_MODE);
	return fd;
}

/* Write and fsync the new file. */
static int maildir_fill(int fd, const maildir_msg_t *msg)
{
	if (fdio_write_all(fd, msg->prefix, msg->prefix_len) < 0 ||
	    maildir_copy(msg->fd, msg->offset, msg->size, fd) < 0)
		return -1;
	return fsync(fd);
}

/* Close, keeping the first error. */
static int maildir_close(int fd, int rc)
{
	int saved = errno;

	if (close(fd) < 0 && rc == 0)
		return -1;
	errno = saved;
	return rc;
}

/* fsync new/ after a name appeared there; on failure the name goes again. */
static int maildir_sync_new(int md_fd, const char *new)
{
	int saved;

	if (maildir_fsync_dir(md_fd, "new") == 0)
		return 0;
	saved = errno;
	unlinkat(md_fd, new, 0);
	errno = saved;
	return -1;
}

static int maildir_publish(int base_fd, const char *dir, int md_fd, const char *tmp,
			   const char *new)
{
	if (renameat(md_fd, tmp, md_fd, new) < 0) {
		if (errno != ENOENT || maildir_create(base_fd, dir) < 0 ||
		    renameat(md_fd, tmp, md_fd, new) < 0)
			return -1;
	}
	return maildir_sync_new(md_fd, new);
}

/* The classic way: tmp/UNIQUE renamed into new/. */
static int maildir_store_named(int base_fd, const char *dir, int md_fd,
			       const maildir_msg_t *msg, const char *tmp, const char *new)
{
	int fd = maildir_open_tmp(base_fd, dir, md_fd, tmp);
	int rc, saved;

	if (fd < 0)
		return -1;
	rc = maildir_close(fd, maildir_fill(fd, msg));
	if (rc == 0)
		rc = maildir_publish(base_fd, dir, md_fd, tmp, new);
	if (rc < 0) {
		saved = errno;
		unlinkat(md_fd, tmp, 0);
		errno = saved;
	}
	return rc;
}

/* Whether unnamed files can be linked by their /proc name here. */
static int maildir_can_link_unnamed(void)
{
	static int known, usable;

	if (!known) {
		usable = access(MAILDIR_PROC_FD, X_OK) == 0;
		known = 1;
	}
	return usable;
}

/* An unnamed file in tmp/, making the tree when tmp/ is missing. */
static int maildir_open_unnamed(int base_fd, const char *dir, int md_fd)
{
	int flags = O_TMPFILE | O_WRONLY | O_CLOEXEC;
	int fd = openat(md_fd, "tmp", flags, MAILDIR_FILE_MODE);

	if (fd < 0 && errno == ENOENT && maildir_create(base_fd, dir) == 0)
		fd = openat(md_fd, "tmp", flags, MAILDIR_FILE_MODE);
	return fd;
}

/* Give the complete unnamed file its name in new/. */
static int maildir_link_unnamed(int base_fd, const char *dir, int md_fd, int fd,
				const char *new)
{
	char proc[MAILDIR_PROC_PATH_MAX];

	snprintf(proc, sizeof(proc), "%s/%d", MAILDIR_PROC_FD, fd);
	if (linkat(AT_FDCWD, proc, md_fd, new, AT_SYMLINK_FOLLOW) < 0) {
		if (errno != ENOENT || maildir_create(base_fd, dir) < 0 ||
		    linkat(AT_FDCWD, proc, md_fd, new, AT_SYMLINK_FOLLOW) < 0)
			return -1;
	}
	/* The inode's link count changed: without a journal nothing else
	 * writes it, and fsck would drop a name pointing at a 0-link inode. */
	if (fsync(fd) < 0) {
		int saved = errno;

		unlinkat(md_fd, new, 0);
		errno = saved;
		return -1;
	}
	return maildir_sync_new(md_fd, new);
}

/* Unnamed file linked into new/; 1 when this file system cannot, so the
 * caller takes the classic way. */
static int maildir_store_unnamed(int base_fd, const char *dir, int md_fd,
				 const maildir_msg_t *msg, const char *new)
{
	int fd, rc;

	if (!maildir_can_link_unnamed())
		return 1;
	if ((fd = maildir_open_unnamed(base_fd, dir, md_fd)) < 0)
		return errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL ? 1 : -1;
	rc = maildir_fill(fd, msg);
	if (rc == 0)
		rc = maildir_link_unnamed(base_fd, dir, md_fd, fd, new);
	return maildir_close(fd, rc);
}

static int maildir_store(int base_fd, const char *dir, int md_fd, const maildir_msg_t *msg,
			 str_t *name)
{
	str_t unique = STR_INIT, tmp = STR_INIT, new = STR_INIT;
	struct timeval tv;
	int rc, saved;

	gettimeofday(&tv, NULL);
	maildir_unique(&unique, &tv, (long)getpid(), ++maildir_counter, maildir_host());
	str_printf(&tmp, "tmp/%s", unique.data);
	str_printf(&new, "new/%s,S=%lld", unique.data,
		   (long long)msg->prefix_len + (long long)msg->size);
	rc = maildir_store_unnamed(base_fd, dir, md_fd, msg, new.data);
	if (rc > 0)
		rc = maildir_store_named(base_fd, dir, md_fd, msg, tmp.data, new.data);
	if (rc == 0 && name)
		str_set(name, new.data + strlen("new/"));
	saved = errno;
	str_free(&unique);
	str_free(&tmp);
	str_free(&new);
	errno = saved;
	return rc;
}

int maildir_deliver(int base_fd, const char *path, const maildir_msg_t *msg, str_t *name)
{
	char dir[MAILDIR_PATH_MAX];
	int flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
	int md_fd, rc, saved;

	if (maildir_trim(path, dir) < 0)
		return -1;
	md_fd = openat(base_fd, dir, flags);
	if (md_fd < 0 && errno == ENOENT && maildir_create(base_fd, dir) == 0)
		md_fd = openat(base_fd, dir, flags);
	if (md_fd < 0)
		return -1;
	rc = maildir_store(base_fd, dir, md_fd, msg, name);
	saved = errno;
	close(md_fd);
	errno = saved;
	return rc;
}

const char *maildir_below_base(const char *mailbox)
{
	const char *p;

	while (*mailbox == '/')
		mailbox++;
	if (*mailbox == 0 || mailbox[strlen(mailbox) - 1] != '/')
		return NULL;
	for (p = mailbox; *p; p += strcspn(p, "/"), p += *p == '/')
		if (strncmp(p, "..", 2) == 0 && (p[2] == '/' || p[2] == 0))
			return NULL;
	return mailbox;
}
