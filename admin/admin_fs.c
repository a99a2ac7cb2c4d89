/*
 * admin_fs: directories and files that the pochta command creates, each
 * with an explicit mode (whatever the umask) and, when running as root,
 * an explicit owner, and files replaced atomically. Every failure is
 * fatal: an instance or queue that is half made is better reported than
 * used.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admin.h"
#include "mem.h"

static void admin_set_owner_mode(int fd, const char *path, mode_t mode, uid_t uid, gid_t gid)
{
	if (uid != ADMIN_NO_OWNER && fchown(fd, uid, gid) != 0)
		admin_fatal("chown %s: %s", path, strerror(errno));
	if (fchmod(fd, mode) != 0)
		admin_fatal("chmod %s: %s", path, strerror(errno));
}

void admin_mkdir(const char *path, mode_t mode, uid_t uid, gid_t gid)
{
	int fd;

	if (mkdir(path, mode) != 0 && errno != EEXIST)
		admin_fatal("create directory %s: %s", path, strerror(errno));
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		admin_fatal("open directory %s: %s", path, strerror(errno));
	admin_set_owner_mode(fd, path, mode, uid, gid);
	close(fd);
}

void admin_mkdir_missing(const char *path, mode_t mode, uid_t uid, gid_t gid)
{
	if (mkdir(path, mode) == 0)
		admin_mkdir(path, mode, uid, gid);
	else if (errno != EEXIST)
		admin_fatal("create directory %s: %s", path, strerror(errno));
}

/* Like "mkdir -p": existing directories keep their owner and mode. */
void admin_mkdir_parents(const char *path, mode_t mode)
{
	char *copy = mem_strdup(path);

	for (char *p = copy + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(copy, mode) != 0 && errno != EEXIST)
			admin_fatal("create directory %s: %s", copy, strerror(errno));
		*p = '/';
	}
	if (mkdir(copy, mode) != 0 && errno != EEXIST)
		admin_fatal("create directory %s: %s", copy, strerror(errno));
	mem_free(copy);
}

void admin_write_file(const char *path, const char *text, mode_t mode, uid_t uid, gid_t gid)
{
	size_t len = strlen(text);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);

	if (fd < 0)
		admin_fatal("create %s: %s", path, strerror(errno));
	admin_set_owner_mode(fd, path, mode, uid, gid);
	while (len > 0) {
		ssize_t n = write(fd, text, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			admin_fatal("write %s: %s", path, strerror(errno));
		text += n;
		len -= (size_t)n;
	}
	if (fsync(fd) != 0 || close(fd) != 0)
		admin_fatal("write %s: %s", path, strerror(errno));
}

void admin_set_mode(const char *path, mode_t mode, uid_t uid, gid_t gid)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		admin_fatal("open %s: %s", path, strerror(errno));
	admin_set_owner_mode(fd, path, mode, uid, gid);
	close(fd);
}

static void admin_fsync_parent(const char *path)
{
	char *dir = mem_strdup(path);
	char *slash = strrchr(dir, '/');
	int fd;

	if (slash == dir)
		slash[1] = 0;
	else if (slash)
		*slash = 0;
	else
		strcpy(dir, ".");
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) != 0)
		admin_fatal("sync directory %s: %s", dir, strerror(errno));
	close(fd);
	mem_free(dir);
}

void admin_replace_file(const char *path, const char *text, mode_t mode)
{
	str_t tmp = STR_INIT;
	struct stat st;
	uid_t uid = ADMIN_NO_OWNER;
	gid_t gid = 0;

	if (stat(path, &st) == 0) {
		mode = st.st_mode & 07777;
		if (geteuid() == 0) {
			uid = st.st_uid;
			gid = st.st_gid;
		}
	} else if (errno != ENOENT) {
		admin_fatal("%s: %s", path, strerror(errno));
	}
	str_printf(&tmp, "%s.%ld.tmp", path, (long)getpid());
	unlink(str_cstr(&tmp));		/* left by an earlier run that died with this pid */
	admin_write_file(str_cstr(&tmp), text, mode, uid, gid);
	if (rename(str_cstr(&tmp), path) != 0) {
		int saved = errno;

		unlink(str_cstr(&tmp));
		admin_fatal("rename %s to %s: %s", str_cstr(&tmp), path, strerror(saved));
	}
	admin_fsync_parent(path);
	str_free(&tmp);
}

int admin_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}
