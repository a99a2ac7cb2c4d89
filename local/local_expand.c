/*
 * local_expand: delivering the targets of an alias, :include: file or
 * .forward file, and the bookkeeping of one recipient's expansion (the
 * names already handled, the worst result). See local_expand.h.
 *
 * A target address without a domain, or in a local domain, is a local
 * name: the name being expanded itself ("root: root") goes to its mailbox,
 * any other is expanded again (one level deeper); an alias met again
 * while it is being expanded is an alias loop (5.4.6). Other addresses
 * are forwarded. "|command" and "/file" targets are refused (5.7.1) when
 * allow_mail_to_commands/allow_mail_to_files do not name their source.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "conf.h"
#include "local_expand.h"
#include "local_file.h"
#include "local_pipe.h"
#include "log.h"
#include "mem.h"
#include "resolve.h"

int local_names_has(const local_names_t *names, const char *name)
{
	for (size_t i = 0; i < names->count; i++)
		if (strcmp(names->items[i], name) == 0)
			return 1;
	return 0;
}

int local_names_add(local_names_t *names, const char *name)
{
	if (local_names_has(names, name))
		return 1;
	names->items = mem_realloc(names->items, (names->count + 1) * sizeof(*names->items));
	names->items[names->count++] = mem_strdup(name);
	return 0;
}

void local_names_free(local_names_t *names)
{
	for (size_t i = 0; i < names->count; i++)
		mem_free(names->items[i]);
	mem_free(names->items);
	names->items = NULL;
	names->count = 0;
}

static int local_severity(const char *status)
{
	return strcmp(status, "deferred") == 0 ? 2 : strcmp(status, "bounced") == 0 ? 1 : 0;
}

void local_expand_result(local_expand_t *ex, const local_status_t *st)
{
	if (ex->have_status && local_severity(st->status) < local_severity(ex->st->status))
		return;
	if (ex->have_status && local_severity(st->status) > 0
	    && local_severity(st->status) == local_severity(ex->st->status))
		return;		/* the first failure of its kind explains best */
	local_status_set(ex->st, st->dsn, "%s", st->reason.data ? st->reason.data : "");
	ex->have_status = 1;
}

void local_expand_note(local_expand_t *ex, const char *dsn, const char *fmt, ...)
{
	local_status_t st = { .status = "deferred" };
	va_list ap;

	snprintf(st.dsn, sizeof(st.dsn), "%s", dsn);
	st.status = dsn[0] == '2' ? "sent" : dsn[0] == '5' ? "bounced" : "deferred";
	va_start(ap, fmt);
	str_vprintf(&st.reason, fmt, ap);
	va_end(ap);
	local_expand_result(ex, &st);
	str_free(&st.reason);
}

/* Does the list parameter name the target's source? */
static int local_allowed(const char *param, enum local_source source)
{
	const char *want = source == LOCAL_FROM_ALIAS ? "alias"
			   : source == LOCAL_FROM_FORWARD ? "forward" : "include";
	size_t count, i;
	char **items = conf_split_list(conf_str(param), &count);
	int found = 0;

	for (i = 0; i < count && !found; i++)
		found = strcasecmp(items[i], want) == 0;
	conf_free_list(items, count);
	return found;
}

static void local_expand_command(local_expand_t *ex, const char *command,
				 const local_privs_t *privs)
{
	local_status_t st = { .status = "deferred" };

	if (!local_allowed("allow_mail_to_commands", privs->source)) {
		local_expand_note(ex, "5.7.1", "mail to command is restricted");
		return;
	}
	local_pipe_deliver(ex->ctx, ex->msg, ex->rcpt, command, privs->uid, privs->gid,
			   privs->home, &st);
	local_expand_result(ex, &st);
	str_free(&st.reason);
}

static void local_expand_file(local_expand_t *ex, const char *path, const local_privs_t *privs)
{
	local_status_t st = { .status = "deferred" };

	if (!local_allowed("allow_mail_to_files", privs->source)) {
		local_expand_note(ex, "5.7.1", "mail to file is restricted");
		return;
	}
	local_file_deliver(ex->ctx, ex->msg, ex->rcpt, path, privs->uid, privs->gid, &st);
	local_expand_result(ex, &st);
	str_free(&st.reason);
}

/* :include: read with the current privileges; its targets act as its owner. */
static void local_expand_include(local_expand_t *ex, const char *path,
				 const local_privs_t *privs, const char *self)
{
	alias_list_t list = { NULL, 0 };
	local_privs_t inc;
	str_t home = STR_INIT;
	struct stat st;

	if (*path != '/') {
		local_expand_note(ex, "5.3.5", ":include: %s: not an absolute path", path);
		return;
	}
	if (local_names_add(&ex->done, path) == 0
	    && local_read_targets(ex, path, privs->uid, privs->gid, &list, &st) > 0) {
		if (local_privs_of_owner(st.st_uid, LOCAL_FROM_INCLUDE, &inc, &home) < 0) {
			local_expand_note(ex, "4.3.5", "mail system configuration error");
		} else {
			ex->depth++;
			local_expand_list(ex, &list, &inc, self);
			ex->depth--;
		}
	}
	alias_list_free(&list);
	str_free(&home);
}

/* A local name: the one being expanded goes to its mailbox, others are expanded. */
static void local_expand_name(local_expand_t *ex, const char *name, const char *self)
{
	str_t folded = STR_INIT;

	str_set(&folded, name);
	for (size_t i = 0; i < folded.len; i++)
		folded.data[i] = (char)tolower((unsigned char)folded.data[i]);
	if (strcmp(folded.data, self) == 0) {
		local_expand_mailbox(ex, folded.data);
	} else {
		ex->depth++;
		local_expand_local(ex, folded.data);
		ex->depth--;
	}
	str_free(&folded);
}

static void local_expand_address(local_expand_t *ex, const char *addr, const char *self)
{
	resolve_result_t res;
	str_t local = STR_INIT, domain = STR_INIT;

	if (strchr(addr, '@') == NULL) {
		local_expand_name(ex, addr, self);
		return;
	}
	resolve_result_init(&res);
	addr_split(addr, &local, &domain);
	if (resolve_address(addr, &res) < 0)
		local_expand_note(ex, "4.3.0", "temporary lookup failure: %s", str_cstr(&res.mailbox));
	else if (res.cls == RESOLVE_LOCAL)
		local_expand_name(ex, str_cstr(&local), self);
	else
		local_names_add(&ex->forward, addr);
	resolve_result_free(&res);
	str_free(&local);
	str_free(&domain);
}

void local_expand_list(local_expand_t *ex, const alias_list_t *list, const local_privs_t *privs,
		       const char *self)
{
	for (size_t i = 0; i < list->count; i++) {
		const alias_target_t *t = &list->items[i];

		if (++ex->targets > LOCAL_EXPAND_TARGETS_MAX || ex->depth > LOCAL_EXPAND_DEPTH_MAX) {
			local_expand_note(ex, "5.4.6", "mail forwarding loop for %s", ex->rcpt);
			return;
		}
		if (t->kind == ALIAS_COMMAND)
			local_expand_command(ex, t->text, privs);
		else if (t->kind == ALIAS_FILE)
			local_expand_file(ex, t->text, privs);
		else if (t->kind == ALIAS_INCLUDE)
			local_expand_include(ex, t->text, privs, self);
		else
			local_expand_address(ex, t->text, self);
	}
}
