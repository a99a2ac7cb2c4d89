/*
 * local_dotforward: a system user's .forward file, and reading target
 * files (.forward, :include:) with the privileges of whoever they act for.
 *
 * forward_path is a list of file names with $home, $user, $local,
 * $domain, $extension and $recipient_delimiter ("${name}" too); a name
 * that uses one of them while it is empty is skipped, so
 * "$home/.forward${recipient_delimiter}${extension}" applies only to
 * addresses with an extension. The first file that exists is used. It is
 * opened as the user and must be a plain file owned by the user, not
 * writable by group or others; a file that breaks a rule is ignored with
 * a warning. An empty file, or none, means the user's own mailbox.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "local_expand.h"
#include "log.h"
#include "mem.h"

#define LOCAL_FORWARD_NAME_MAX 64	/* a $name in forward_path */

typedef struct local_forward_vars {
	const char *names[6];
	const char *values[6];
} local_forward_vars_t;

static const char *local_forward_var(const local_forward_vars_t *vars, const char *name,
				     size_t len)
{
	for (size_t i = 0; i < sizeof(vars->names) / sizeof(vars->names[0]); i++)
		if (strlen(vars->names[i]) == len && strncmp(vars->names[i], name, len) == 0)
			return vars->values[i];
	return "";
}

/* Expand one forward_path item; -1 when it uses an empty or unknown name. */
static int local_forward_expand(const char *item, const local_forward_vars_t *vars, str_t *out)
{
	const char *p = item, *value;
	size_t len;
	int braced;

	str_reset(out);
	while (*p) {
		if (*p != '$') {
			str_putc(out, *p++);
			continue;
		}
		braced = *++p == '{';
		p += braced;
		for (len = 0; isalnum((unsigned char)p[len]) || p[len] == '_'; len++)
			;
		value = local_forward_var(vars, p, len);
		if (*value == 0 || len > LOCAL_FORWARD_NAME_MAX || (braced && p[len] != '}'))
			return -1;
		str_append_cstr(out, value);
		p += len + braced;
	}
	return 0;
}

static int local_read_fd(int fd, str_t *text)
{
	char buf[4096];
	ssize_t got;

	while ((got = read(fd, buf, sizeof(buf))) > 0) {
		if (text->len + (size_t)got > LOCAL_TARGET_FILE_MAX) {
			errno = EFBIG;
			return -1;
		}
		str_append(text, buf, (size_t)got);
	}
	return got < 0 ? -1 : 0;
}

/* Open and read path as uid/gid: 1 read (st set), 0 missing, -1 error (errno;
 * EINVAL: not a plain file). */
static int local_read_as(const local_ctx_t *ctx, const char *path, uid_t uid, gid_t gid,
			 str_t *text, struct stat *st)
{
	int fd, rc = -1, err;

	if (local_privs_enter(ctx, uid, gid) < 0)
		return -1;
	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) < 0) {
		err = errno;
		local_privs_leave(ctx);
		errno = err;
		return err == ENOENT || err == ENOTDIR ? 0 : -1;
	}
	if (fstat(fd, st) < 0)
		err = errno;
	else if (!S_ISREG(st->st_mode))
		err = EINVAL;
	else if (local_read_fd(fd, text) < 0)
		err = errno;
	else
		rc = 1;
	close(fd);
	local_privs_leave(ctx);
	if (rc < 0)
		errno = err;
	return rc;
}

int local_read_targets(local_expand_t *ex, const char *path, uid_t uid, gid_t gid,
		       alias_list_t *list, struct stat *st)
{
	str_t text = STR_INIT;
	const char *why;
	int rc = local_read_as(ex->ctx, path, uid, gid, &text, st);

	if (rc < 0) {
		log_warning("%s: cannot read %s: %s", ex->msg->qm->id, path,
			    errno == EINVAL ? "not a regular file" : strerror(errno));
		local_expand_note(ex, "4.3.0", "cannot read %s", path);
	} else if (rc > 0 && alias_parse_file_text(text.data ? text.data : "", text.len, list,
						    &why) < 0) {
		log_warning("%s: %s: %s", ex->msg->qm->id, path, why);
		local_expand_note(ex, "4.3.5", "mail system configuration error");
		rc = -1;
	}
	str_free(&text);
	return rc;
}

/* Is the .forward file one the user alone controls? */
static int local_forward_safe(const char *path, const struct passwd *pw, const struct stat *st)
{
	if (st->st_uid != pw->pw_uid) {
		log_warning("file %s should be owned by user %s: ignored", path, pw->pw_name);
		return 0;
	}
	if (st->st_mode & (S_IWGRP | S_IWOTH)) {
		log_warning("file %s is writable by group or others: ignored", path);
		return 0;
	}
	return 1;
}

/* Read the first forward_path file that exists: 1 targets, 0 none, -1 counted error. */
static int local_forward_find(local_expand_t *ex, const struct passwd *pw,
			      const local_forward_vars_t *vars, alias_list_t *list)
{
	size_t count, i;
	char **items = conf_split_list(conf_raw("forward_path"), &count);
	str_t path = STR_INIT;
	struct stat st;
	int rc = 0;

	for (i = 0; i < count && rc == 0; i++) {
		if (local_forward_expand(items[i], vars, &path) < 0)
			continue;
		rc = local_read_targets(ex, path.data, pw->pw_uid, pw->pw_gid, list, &st);
		if (rc > 0 && !local_forward_safe(path.data, pw, &st)) {
			alias_list_free(list);
			rc = 0;
		}
	}
	conf_free_list(items, count);
	str_free(&path);
	return rc < 0 ? -1 : list->count > 0;
}

int local_dotforward(local_expand_t *ex, const struct passwd *pw, const char *extension)
{
	local_forward_vars_t vars = {
		{ "home", "user", "local", "domain", "extension", "recipient_delimiter" },
		{ pw->pw_dir, pw->pw_name, pw->pw_name, ex->domain, extension ? extension : "",
		  conf_str("recipient_delimiter") },
	};
	alias_list_t list = { NULL, 0 };
	char *home = mem_strdup(pw->pw_dir);	/* pw is overwritten by later lookups */
	local_privs_t privs = { pw->pw_uid, pw->pw_gid, home, LOCAL_FROM_FORWARD };
	char *self = mem_strdup(pw->pw_name);
	int rc = local_forward_find(ex, pw, &vars, &list);

	if (rc > 0) {
		ex->depth++;
		local_expand_list(ex, &list, &privs, self);
		ex->depth--;
	}
	alias_list_free(&list);
	mem_free(self);
	mem_free(home);
	return rc != 0;
}
