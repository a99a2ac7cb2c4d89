/*
 * smtpd_space: room in the queue file system for new mail, checked at
 * MAIL FROM as Postfix does, so that a client hears "452 4.3.1
 * Insufficient system storage" before it sends a message that could not
 * be stored (a write that fails later still gets the same reply, see
 * smtpd_reply_write_error).
 *
 * Mail is refused when the free space (for unprivileged users, in the
 * file system of the working directory, queue_directory) is at most
 * queue_minfree, or less than SMTPD_SPACE_FACTOR times message_size_limit;
 * a SIZE= estimate must also fit in what is left above queue_minfree and
 * in free / SMTPD_SPACE_FACTOR. Sizes are compared in blocks, so nothing
 * overflows.
 */
#include <sys/statvfs.h>

#include "conf.h"
#include "log.h"
#include "smtpd.h"

#define SMTPD_SPACE_FACTOR 1.5		/* free space per byte of message_size_limit */

/* Free blocks and their size; when the file system cannot be asked, as
 * many as can be (then only a failed write will tell). */
static unsigned long long smtpd_space_free(unsigned long long *block_size)
{
	struct statvfs fs;

	if (statvfs(".", &fs) < 0 || fs.f_frsize == 0) {
		log_warning("cannot get free space of the queue file system: %m");
		*block_size = 1;
		return ~0ULL;
	}
	*block_size = fs.f_frsize;
	return fs.f_bavail;
}

static void smtpd_space_refuse(smtpd_session_t *s)
{
	static const char reply[] = "452 4.3.1 Insufficient system storage";

	smtpd_reply(s, "%s", reply);
	smtpd_log_reject(s, "MAIL", reply, NULL);
}

int smtpd_space_check(smtpd_session_t *s, unsigned long long size)
{
	unsigned long long block_size;
	unsigned long long free_blocks = smtpd_space_free(&block_size);
	unsigned long long minfree = (unsigned long long)conf_int("queue_minfree") / block_size;
	unsigned long long limit = (unsigned long long)smtpd_conf.message_size_limit / block_size;
	unsigned long long wanted = size / block_size;

	if (minfree >= free_blocks) {
		log_warning("not enough free space in mail queue: %llu bytes <= queue_minfree",
			    free_blocks * block_size);
	} else if (limit >= free_blocks / SMTPD_SPACE_FACTOR) {
		log_warning("not enough free space in mail queue: %llu bytes < %g*message size limit",
			    free_blocks * block_size, SMTPD_SPACE_FACTOR);
	} else if (wanted >= free_blocks - minfree || wanted >= free_blocks / SMTPD_SPACE_FACTOR) {
		log_warning("not enough free space in mail queue: %llu bytes < %g*message size %llu",
			    free_blocks * block_size, SMTPD_SPACE_FACTOR, size);
	} else {
		return 0;
	}
	smtpd_space_refuse(s);
	return -1;
}
