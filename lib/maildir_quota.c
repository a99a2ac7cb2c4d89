/*
 * maildir_quota: how full a Maildir is, the Maildir++ way (see maildir.h).
 *
 * maildirsize holds a first line with the quota ("LIMITS") and then one
 * "bytes count" line per change; adding the lines gives the Maildir's
 * size. Deliveries append a line; a reader that deletes mail may append a
 * negative one. When the file is missing, too big, damaged, or says the
 * Maildir is full but is older than MAILDIR_QUOTA_STALE (mail may have
 * been deleted without a line), the size is computed from new/ and cur/
 * and the file is written again under a temporary name and renamed. The
 * scan stops as soon as the sum passes the limit, so its work is bounded
 * by what fits.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "maildir.h"

#define MAILDIR_QUOTA_STALE 900		/* seconds: a "full" maildirsize is rechecked */
#define MAILDIR_QUOTA_LINE_MAX 64
#define MAILDIR_QUOTA_TMP_MODE 0600

long long maildir_name_size(const char *name)
{
	const char *p = strstr(name, ",S=");
	char *end;
	long long size;

	if (p == NULL)
		return -1;
	size = strtoll(p + 3, &end, 10);
	if (end == p + 3 || size < 0 || (*end != 0 && *end != ',' && *end != ':'))
		return -1;
	return size;
}

static int maildir_quota_open_dir(int base_fd, const char *path)
{
	return openat(base_fd, *path ? path : ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
}

/* Sum the lines of maildirsize after the first; -1 when it is damaged.
 * strtoll, not sscanf: every delivery parses up to
 * MAILDIR_QUOTA_FILE_MAX bytes of these lines. */
static int maildir_quota_parse(const char *text, long long *total)
{
	const char *line = strchr(text, '\n');
	char *end;
	long long bytes;

	*total = 0;
	if (line == NULL)
		return -1;
	for (line++; *line; line = end) {
		bytes = strtoll(line, &end, 10);
		if (end == line)
			return -1;
		line = end;
		(void)strtoll(line, &end, 10);	/* the message count */
		if (end == line)
			return -1;
		if (__builtin_add_overflow(*total, bytes, total))
			return -1;
		while (*end == ' ' || *end == '\n')
			end++;
	}
	/* lines may be negative (removals); a negative sum is damage */
	return *total < 0 ? -1 : 0;
}

/* The size maildirsize gives: 0, 1 when it must be recomputed, -1 errno. */
static int maildir_quota_read(int md_fd, long long *total, time_t *mtime)
{
	char text[MAILDIR_QUOTA_FILE_MAX + 1];
	int fd = openat(md_fd, MAILDIR_QUOTA_FILE, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	ssize_t n;

	if (fd < 0)
		return errno == ENOENT ? 1 : -1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > MAILDIR_QUOTA_FILE_MAX) {
		close(fd);
		return 1;
	}
	n = pread(fd, text, MAILDIR_QUOTA_FILE_MAX, 0);
	close(fd);
	if (n < 0)
		return -1;
	text[n] = 0;
	*mtime = st.st_mtime;
	return maildir_quota_parse(text, total) < 0 ? 1 : 0;
}

/* Add the sizes in one subdirectory; stop once *total passes stop_at. */
static int maildir_quota_scan_dir(int md_fd, const char *sub, long long stop_at,
				  long long *total, long long *count)
{
	int fd = openat(md_fd, sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dirent *de;
	struct stat st;
	long long size;
	DIR *dir;

	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	if ((dir = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	while (*total <= stop_at && (de = readdir(dir)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		size = maildir_name_size(de->d_name);
		if (size < 0)
			size = fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 ? st.st_size : 0;
		*total += size;
		(*count)++;
	}
	closedir(dir);
	return 0;
}

/* Write maildirsize afresh: tmp/ name, then rename. Failure is harmless. */
static void maildir_quota_write(int md_fd, off_t limit, long long total, long long count)
{
	char tmp[MAILDIR_PATH_MAX];
	char text[2 * MAILDIR_QUOTA_LINE_MAX];
	int fd, len;

	snprintf(tmp, sizeof(tmp), "tmp/%s.%ld", MAILDIR_QUOTA_FILE, (long)getpid());
	fd = openat(md_fd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
		    MAILDIR_QUOTA_TMP_MODE);
	if (fd < 0)
		return;
	len = snprintf(text, sizeof(text), "%lldS\n%lld %lld\n", (long long)limit, total, count);
	if (write(fd, text, (size_t)len) != len || close(fd) < 0 ||
	    renameat(md_fd, tmp, md_fd, MAILDIR_QUOTA_FILE) < 0)
		unlinkat(md_fd, tmp, 0);
}

static int maildir_quota_recompute(int md_fd, off_t limit, off_t size)
{
	long long total = 0, count = 0;
	long long stop_at = (long long)limit - (long long)size;

	if (maildir_quota_scan_dir(md_fd, "new", stop_at, &total, &count) < 0 ||
	    maildir_quota_scan_dir(md_fd, "cur", stop_at, &total, &count) < 0)
		return -1;
	if (total > stop_at)
		return 1;	/* the scan stopped early: the sum is not the whole */
	maildir_quota_write(md_fd, limit, total, count);
	return 0;
}

static int maildir_quota_decide(int md_fd, off_t limit, off_t size)
{
	long long total;
	time_t mtime;
	int rc = maildir_quota_read(md_fd, &total, &mtime);

	if (rc < 0)
		return -1;
	if (rc == 0 && total + size <= limit)
		return 0;
	if (rc == 0 && time(NULL) - mtime < MAILDIR_QUOTA_STALE)
		return 1;
	return maildir_quota_recompute(md_fd, limit, size);
}

int maildir_quota_check(int base_fd, const char *path, off_t limit, off_t size)
{
	int md_fd, rc, saved;

	if (size > limit)
		return 1;
	if ((md_fd = maildir_quota_open_dir(base_fd, path)) < 0)
		return errno == ENOENT ? 0 : -1;
	rc = maildir_quota_decide(md_fd, limit, size);
	saved = errno;
	close(md_fd);
	errno = saved;
	return rc;
}

void maildir_quota_add(int base_fd, const char *path, off_t size)
{
	char line[MAILDIR_QUOTA_LINE_MAX];
	int md_fd = maildir_quota_open_dir(base_fd, path);
	int fd, len;

	if (md_fd < 0)
		return;
	fd = openat(md_fd, MAILDIR_QUOTA_FILE, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
	close(md_fd);
	if (fd < 0)
		return;
	len = snprintf(line, sizeof(line), "%lld 1\n", (long long)size);
	/* A failed or short write damages the sums: the next check recomputes. */
	(void)!write(fd, line, (size_t)len);
	close(fd);
}
