/*
 * maildir: deliver one message into a Maildir (cur/ new/ tmp/, the format
 * mail readers and Pochta's own POP3/IMAP servers read).
 *
 * A delivery writes an unnamed file in tmp/ (O_TMPFILE; where the file
 * system lacks it, tmp/UNIQUE), fsyncs it, gives it the name
 * new/UNIQUE,S=SIZE (link, or rename) and fsyncs new/, so a reader never
 * meets a partial message in new/ and a delivered message survives a crash. Missing
 * directories (parents, the Maildir itself, cur/ new/ tmp/) are made with
 * mode 0700. Paths are relative to a base directory descriptor (an
 * absolute path ignores it), so the delivering uid needs search permission
 * only from that directory down.
 *
 * Unique names follow the Maildir convention:
 * "SECONDS.M<usec>P<pid>Q<counter>.HOST", with "/" and ":" in HOST written
 * as \057 and \072; ",S=" gives the file size in bytes.
 */
#ifndef POCHTA_MAILDIR_H
#define POCHTA_MAILDIR_H

#include <sys/time.h>
#include <sys/types.h>
#include "str.h"

#define MAILDIR_PATH_MAX 4096		/* a Maildir path below the base */
#define MAILDIR_HOST_MAX 256		/* host name as used in unique names */

/* What to write: prefix (e.g. Return-Path:, Delivered-To:), then size
 * bytes of fd starting at offset (the queue file's content). */
typedef struct maildir_msg {
	const char *prefix;
	size_t prefix_len;
	int fd;
	off_t offset;
	off_t size;
} maildir_msg_t;

/*
 * Deliver msg into the Maildir at path (a trailing "/" is fine). Returns 0
 * and, if name is not NULL, the new file's name under new/; or -1 with
 * errno (ENOSPC, EDQUOT, EACCES, ...), and nothing is left in new/ or tmp/.
 */
int maildir_deliver(int base_fd, const char *path, const maildir_msg_t *msg, str_t *name);

/* The Maildir a virtual_mailbox_maps value names, as a path relative to
 * virtual_mailbox_base (leading "/" removed); NULL when it names none: not
 * ending in "/" (a file, not a Maildir), or with a ".." that would climb
 * out of the base. */
const char *maildir_below_base(const char *mailbox);

/* Make the Maildir at path and any missing parents. 0, or -1 with errno. */
int maildir_create(int base_fd, const char *path);

/* Replace out with a unique name built from the given parts. */
void maildir_unique(str_t *out, const struct timeval *tv, long pid, unsigned long count,
		    const char *host);

/*
 * Quota (maildir_quota.c), Maildir++ style: the Maildir's size is the sum
 * of the "bytes count" lines of its maildirsize file; when that file is
 * missing or has grown past MAILDIR_QUOTA_FILE_MAX it is recomputed from
 * the ",S=" sizes in new/ and cur/ (stat for names without one) and
 * written afresh, so a delivery usually reads one small file.
 */
#define MAILDIR_QUOTA_FILE "maildirsize"
#define MAILDIR_QUOTA_FILE_MAX 5120	/* bytes before maildirsize is recomputed */

/* Would adding size bytes to the Maildir at path exceed limit bytes
 * (limit > 0)? 0 it fits, 1 it would not, -1 with errno. A missing
 * Maildir is empty. */
int maildir_quota_check(int base_fd, const char *path, off_t limit, off_t size);
/* Record one delivered message of size bytes in maildirsize, if there is one. */
void maildir_quota_add(int base_fd, const char *path, off_t size);
/* The size a ",S=SIZE" name gives, or -1 when it gives none. */
long long maildir_name_size(const char *name);

#endif
