/*
 * local_file: append one message to a mailbox file, as Postfix's local(8)
 * does, or write it into a Maildir when the name ends in "/".
 *
 * The file is opened as its user (uid 0 is delivered as default_privs),
 * append-only and never through a symbolic link. It must be a regular
 * file with one name that others cannot write; anything else bounces
 * (5.2.0). An fcntl write lock keeps two deliveries (and mail readers that
 * lock the same way) apart; a file locked by someone else is tried again
 * later. The message goes in mbox format (mbox.h): "From " line,
 * Return-Path:, Delivered-To:, the message with ">From " quoting, and an
 * empty line. A message that would take the file past mailbox_size_limit
 * bounces (5.2.2 mailbox full). The data is fsync'ed; when anything fails
 * the file is cut back to its old size, so a reader never sees half a
 * message.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "fdio.h"
#include "local_expand.h"
#include "local_file.h"
#include "local_pipe.h"
#include "mbox.h"

#define LOCAL_FILE_MODE 0600
#define LOCAL_FILE_CHUNK 65536

/* Why the open file may not take mail, or NULL. */
static const char *local_file_refusal(const struct stat *st)
{
	if (!S_ISREG(st->st_mode))
		return "file is not a regular file";
	if (st->st_nlink > 1)
		return "file has too many hard links";
	if (st->st_mode & S_IWOTH)
		return "file is writable by others";
	return NULL;
}

/* Append the message; 0 or -1 with errno. */
static int local_file_append(int fd, const local_msg_t *msg, const char *rcpt)
{
	static char buf[LOCAL_FILE_CHUNK];
	off_t off = msg->qm->content_offset, left = msg->qm->content_size;
	str_t out = STR_INIT;
	mbox_quote_t q;
	char last = '\n';
	ssize_t n;
	int rc = 0;

	mbox_from_line(&out, msg->qm->sender, time(NULL));
	local_envelope_headers(&out, msg->qm->sender, rcpt);
	mbox_quote_init(&q);
	while (rc == 0 && left > 0) {
		n = pread(msg->fd, buf, left < (off_t)sizeof(buf) ? (size_t)left : sizeof(buf), off);
		if (n <= 0) {
			errno = n < 0 ? errno : EIO;
			rc = -1;
			break;
		}
		mbox_quote(&q, buf, (size_t)n, &out);
		last = buf[n - 1];
		off += n;
		left -= n;
		rc = fdio_write_all(fd, out.data, out.len);
		str_reset(&out);
	}
	mbox_quote_end(&q, &out);
	str_append_cstr(&out, last == '\n' ? "\n" : "\n\n");
	if (rc == 0)
		rc = fdio_write_all(fd, out.data, out.len);
	str_free(&out);
	return rc == 0 ? fsync(fd) : -1;
}

static void local_file_error(const char *path, int err, local_status_t *st)
{
	if (err == EDQUOT || err == EFBIG)
		local_status_set(st, "4.2.2", "cannot append message to file %s: mailbox full", path);
	else if (err == EAGAIN || err == EACCES)
		local_status_set(st, "4.2.0", "cannot append message to file %s: %s", path,
				 err == EAGAIN ? "file is locked" : strerror(err));
	else
		local_status_set(st, "4.3.0", "cannot append message to file %s: %s", path,
				 strerror(err));
}

/* Checks, lock, size limit, append; the file is open as its user. */
static void local_file_locked(int fd, const local_msg_t *msg, const char *rcpt,
			      const char *path, local_status_t *st)
{
	struct flock lock = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	long limit = conf_int("mailbox_size_limit");
	const char *why;
	struct stat sb;

	if (fstat(fd, &sb) < 0) {
		local_file_error(path, errno, st);
	} else if ((why = local_file_refusal(&sb)) != NULL) {
		local_status_set(st, "5.2.0", "cannot append message to file %s: %s", path, why);
	} else if (fcntl(fd, F_SETLK, &lock) < 0) {
		local_file_error(path, errno == EACCES ? EAGAIN : errno, st);
	} else if (limit > 0 && sb.st_size + msg->qm->content_size > limit) {
		local_status_set(st, "5.2.2", "cannot append message to file %s: mailbox full", path);
	} else if (local_file_append(fd, msg, rcpt) < 0) {
		local_file_error(path, errno, st);
		if (ftruncate(fd, sb.st_size) < 0 || fsync(fd) < 0)
			local_status_set(st, "4.3.0", "cannot restore file %s after a failed delivery",
					 path);
	} else {
		local_status_set(st, "2.0.0", "delivered to file: %s", path);
	}
}

static void local_file_mbox(const local_ctx_t *ctx, const local_msg_t *msg, const char *rcpt,
			    const char *path, uid_t uid, gid_t gid, local_status_t *st)
{
	int flags = O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC;
	int fd;

	if (local_privs_enter(ctx, uid, gid) < 0) {
		local_status_set(st, "4.3.0", "cannot switch to uid %ld: %s", (long)uid,
				 strerror(errno));
		return;
	}
	if ((fd = open(path, flags, LOCAL_FILE_MODE)) < 0) {
		if (errno == ELOOP)
			local_status_set(st, "5.2.0", "cannot append message to file %s: %s", path,
					 "file is a symbolic link");
		else
			local_file_error(path, errno, st);
	} else {
		local_file_locked(fd, msg, rcpt, path, st);
		close(fd);
	}
	local_privs_leave(ctx);
}

void local_file_deliver(const local_ctx_t *ctx, const local_msg_t *msg, const char *rcpt,
			const char *path, uid_t uid, gid_t gid, local_status_t *st)
{
	local_target_t target = { .base_fd = AT_FDCWD, .path = path };

	if (ctx->am_root && uid == 0 && local_pipe_default_privs(&uid, &gid) < 0) {
		local_status_set(st, "4.3.5", "mail system configuration error");
		return;
	}
	if (!local_privs_may_act_as(ctx, uid)) {
		local_status_set(st, "4.3.0", "cannot write a file as uid %ld: "
				 "the mail system does not run as root", (long)uid);
		return;
	}
	if (*path != '/') {
		local_status_set(st, "5.3.5", "mail system configuration error: "
				 "file name is not absolute: %s", path);
		return;
	}
	if (path[strlen(path) - 1] != '/') {
		local_file_mbox(ctx, msg, rcpt, path, uid, gid, st);
		return;
	}
	target.uid = uid;
	target.gid = gid;
	local_maildir(ctx, msg, rcpt, &target, st);
}
