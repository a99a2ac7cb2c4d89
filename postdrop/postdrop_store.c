/*
 * postdrop_store: one submission into maildrop/. The file is written
 * without a name (O_TMPFILE), fsync'ed, and only then linked under its
 * name, so pickup never sees a partial file and a postdrop killed midway
 * leaves nothing behind. Its name is a queue ID made from its inode.
 *
 * The directory entry is made durable by an fsync of maildrop/ when this
 * process may open it (root, or the owner of a non-root instance); a
 * setgid postdrop may only write and search it, so there the fsync of
 * the file after the link, which commits its link count in the same
 * journal transaction as the entry, has to do.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "conf.h"
#include "fdio.h"
#include "maildrop.h"
#include "postdrop.h"
#include "queue.h"
#include "trigger.h"
#include "usermsg.h"

#define POSTDROP_BATCH 65536		/* bytes gathered before a write */
#define POSTDROP_NAME_TRIES 10		/* names tried when one is taken */
#define POSTDROP_PROC_PATH_MAX 64	/* "/proc/self/fd/N" */

static void postdrop_write(int fd, str_t *buf, int force)
{
	if (buf->len == 0 || (!force && buf->len < POSTDROP_BATCH))
		return;
	if (fdio_write_all(fd, buf->data, buf->len) < 0)
		usermsg_fatal(EX_TEMPFAIL, "cannot write the maildrop file: %m");
	str_reset(buf);
}

static _Noreturn void postdrop_bad_input(int status, const str_t *err)
{
	if (status == MAILDROP_TOOBIG)
		usermsg_fatal(EX_DATAERR, "message too big: %s (message_size_limit)", err->data);
	if (status == MAILDROP_IO)
		usermsg_fatal(EX_TEMPFAIL, "submission cut short: %s", err->data);
	usermsg_fatal(EX_DATAERR, "malformed submission: %s", err->data);
}

/* Read stdin record by record and write each one again, checked. */
static void postdrop_copy(int fd)
{
	stream_t *in = stream_open(STDIN_FILENO);
	maildrop_reader_t r;
	maildrop_env_t env;
	str_t buf = STR_INIT, piece = STR_INIT, err = STR_INIT;
	int status, more = 1;

	maildrop_env_init(&env);
	maildrop_reader_init(&r, in, conf_int("message_size_limit"));
	if ((status = maildrop_read_envelope(&r, &env, &err)) != MAILDROP_OK)
		postdrop_bad_input(status, &err);
	maildrop_put_envelope(&buf, &env);
	while (more) {
		if ((status = maildrop_read_content(&r, &piece, &more, &err)) != MAILDROP_OK)
			postdrop_bad_input(status, &err);
		if (more)
			maildrop_put_content(&buf, piece.data, piece.len);
		postdrop_write(fd, &buf, 0);
	}
	maildrop_put_end(&buf);
	postdrop_write(fd, &buf, 1);
	maildrop_env_free(&env);
	stream_close(in);
	str_free(&buf);
	str_free(&piece);
	str_free(&err);
}

/* Give the complete file a name; the name, in name. */
static void postdrop_link(int dirfd, int fd, char *name, size_t size)
{
	char proc[POSTDROP_PROC_PATH_MAX];
	struct stat st;

	if (fstat(fd, &st) != 0)
		usermsg_fatal(EX_TEMPFAIL, "cannot stat the maildrop file: %m");
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	for (int tries = 0; tries < POSTDROP_NAME_TRIES; tries++) {
		maildrop_name(name, size, st.st_ino);
		if (linkat(AT_FDCWD, proc, dirfd, name, AT_SYMLINK_FOLLOW) == 0)
			return;
		if (errno != EEXIST)
			break;
	}
	usermsg_fatal(EX_TEMPFAIL, "cannot name the file in %s/: %m", QUEUE_MAILDROP);
}

/* The new entry, durable as far as this process may make it. */
static void postdrop_sync(int fd, int dirfd, const char *name)
{
	int readable = open(QUEUE_MAILDROP, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fsync(fd) != 0 || (readable >= 0 && fsync(readable) != 0)) {
		unlinkat(dirfd, name, 0);
		usermsg_fatal(EX_TEMPFAIL, "cannot sync the maildrop file: %m");
	}
	if (readable >= 0)
		close(readable);
}

void postdrop_store(void)
{
	char name[MAILDROP_NAME_SIZE];
	int dirfd = open(QUEUE_MAILDROP, O_PATH | O_DIRECTORY | O_CLOEXEC);
	int fd = dirfd < 0 ? -1
		 : openat(dirfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, MAILDROP_FILE_MODE);

	if (fd < 0)
		usermsg_fatal(EX_TEMPFAIL, "cannot create a file in %s/%s: %m",
			      conf_str("queue_directory"), QUEUE_MAILDROP);
	postdrop_copy(fd);
	/* the mode pickup reads, whatever the umask made of it */
	if (fchmod(fd, MAILDROP_FILE_MODE) != 0 || fsync(fd) != 0)
		usermsg_fatal(EX_TEMPFAIL, "cannot finish the maildrop file: %m");
	postdrop_link(dirfd, fd, name, sizeof(name));
	postdrop_sync(fd, dirfd, name);
	close(fd);
	close(dirfd);
	/* pickup also looks every minute: a lost wake-up only delays */
	(void)trigger_wakeup(MAILDROP_PICKUP_SOCKET);
}
