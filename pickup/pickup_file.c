/*
 * pickup_file: one maildrop file. The file is hostile: it is opened
 * without following links, must be a plain file with one name, and is
 * read by the strict maildrop reader. Who sent it is its owner (the
 * kernel's word, not the file's): authorized_submit_users and
 * local_login_sender_maps are enforced for that login here (submit.h).
 *
 *   queued      "ID: uid=N from=<sender>", the maildrop file removed
 *   damaged     moved to corrupt/ with a warning; pickup goes on
 *   refused     a sender the login may not use, or a login that may not
 *               submit: removed with a warning
 *   our fault   a table or the disk failed: kept for the next scan
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "pickup.h"
#include "submit.h"
#include "trigger.h"

/* The login of uid, or its number when it has none. */
static void pickup_login(uid_t uid, str_t *login)
{
	struct passwd *pw = getpwuid(uid);

	if (pw != NULL)
		str_set(login, pw->pw_name);
	else
		str_printf(login, "%ld", (long)uid);
}

/* Open the file as hostile input: the descriptor, or -1 with why. */
static int pickup_open(const char *name, uid_t *uid, str_t *why)
{
	int fd = openat(AT_FDCWD, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	struct stat st;

	if (fd < 0) {
		str_printf(why, "cannot open: %s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1) {
		str_append_cstr(why, "not a plain file with one name");
		close(fd);
		return -1;
	}
	*uid = st.st_uid;
	return fd;
}

/* May this login submit with this sender? 1 yes; 0 no (logged); -1 a
 * table failed (why). */
static int pickup_allowed(pickup_sub_t *sub)
{
	str_t login = STR_INIT;
	int status;

	pickup_login(sub->uid, &login);
	status = submit_user_allowed(login.data, &sub->why);
	if (status == SUBMIT_DENIED)
		log_warning("%s: uid=%ld: user %s is not allowed to submit mail "
			    "(authorized_submit_users) -- message removed",
			    sub->name, (long)sub->uid, login.data);
	if (status == SUBMIT_ALLOWED) {
		status = submit_sender_allowed(login.data, sub->env.sender.data, &sub->why);
		if (status == SUBMIT_DENIED)
			log_warning("%s: uid=%ld: user %s may not use sender address <%s> "
				    "(local_login_sender_maps) -- message removed",
				    sub->name, (long)sub->uid, login.data, sub->env.sender.data);
	}
	str_free(&login);
	return status;
}

/* The envelope, the checks, the queue file. */
static enum pickup_result pickup_take(pickup_sub_t *sub, int fd)
{
	stream_t *in = stream_open(fd);
	enum pickup_result result = PICKUP_CORRUPT;
	int allowed;

	maildrop_reader_init(&sub->reader, in, conf_int("message_size_limit"));
	if (maildrop_read_envelope(&sub->reader, &sub->env, &sub->why) == MAILDROP_OK) {
		allowed = pickup_allowed(sub);
		if (allowed == SUBMIT_ALLOWED)
			result = pickup_queue_write(sub);
		else if (allowed == SUBMIT_DENIED)
			result = PICKUP_REFUSED;
		else
			result = PICKUP_LATER;
	}
	stream_close(in);
	return result;
}

/* The queue file is committed: log it, drop the maildrop file, wake qmgr. */
static void pickup_done(pickup_sub_t *sub)
{
	log_info("%s: uid=%ld from=<%s>", sub->id, (long)sub->uid, sub->env.sender.data);
	if (sub->message_id.len)
		log_info("%s: message-id=%s", sub->id, sub->message_id.data);
	if (unlink(sub->name) != 0)
		log_warning("%s: cannot remove: %m", sub->name);
	if (trigger_wakeup(TRIGGER_QMGR_PATH) < 0)
		log_warning("%s: cannot wake qmgr: %m", sub->id);
}

/* Act on the result for the file at path (name in maildrop/). */
static void pickup_outcome(pickup_sub_t *sub, const char *name, enum pickup_result result)
{
	switch (result) {
	case PICKUP_QUEUED:
		pickup_done(sub);
		break;
	case PICKUP_REFUSED:	/* logged by pickup_allowed */
		if (unlink(sub->name) != 0)
			log_warning("%s: cannot remove: %m", sub->name);
		break;
	case PICKUP_LATER:
		log_warning("%s: %s -- will try again later", sub->name, sub->why.data);
		break;
	case PICKUP_CORRUPT:
		if (queue_id_valid(name))
			queue_corrupt(name, QUEUE_MAILDROP, sub->why.data);
		else if (unlink(sub->name) == 0)
			log_warning("%s: %s -- removed", sub->name, sub->why.data);
		break;
	}
}

void pickup_file(const char *name)
{
	pickup_sub_t sub = { .why = STR_INIT, .message_id = STR_INIT };
	str_t path = STR_INIT;
	enum pickup_result result = PICKUP_CORRUPT;
	int fd;

	maildrop_env_init(&sub.env);
	str_printf(&path, "%s/%s", QUEUE_MAILDROP, name);
	sub.name = path.data;
	if (!queue_id_valid(name))
		str_append_cstr(&sub.why, "not a maildrop file name");
	else if ((fd = pickup_open(path.data, &sub.uid, &sub.why)) >= 0)
		result = pickup_take(&sub, fd);
	pickup_outcome(&sub, name, result);
	maildrop_env_free(&sub.env);
	str_free(&sub.why);
	str_free(&sub.message_id);
	str_free(&path);
}
