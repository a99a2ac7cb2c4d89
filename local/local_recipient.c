/*
 * local_recipient: one recipient of a message. The address is resolved
 * again (the tables may have changed since qmgr looked), checked for a
 * mail forwarding loop, and delivered: to a Maildir under
 * virtual_mailbox_base for virtual domains; for local domains
 * (mydestination) through alias_maps, the user's .forward file and the
 * user's mailbox (local_expand.h), ending with the forwarded copies.
 */
#include <ctype.h>
#include <errno.h>
#include <pwd.h>
#include <string.h>

#include "addr.h"
#include "conf.h"
#include "delivered.h"
#include "dict_addr.h"
#include "local_expand.h"
#include "local_system.h"
#include "log.h"
#include "maildir.h"
#include "mem.h"
#include "resolve.h"

static void local_virtual(const local_ctx_t *ctx, const local_msg_t *msg, const char *rcpt,
			  const resolve_result_t *res, local_status_t *st)
{
	const char *path = maildir_below_base(res->mailbox.data ? res->mailbox.data : "");
	local_target_t target;

	if (path == NULL) {
		local_status_set(st, "5.3.5", "unsupported mailbox format");
		return;
	}
	if (ctx->base_fd < 0) {
		log_warning("%s: virtual_mailbox_base is not set: cannot deliver to %s",
			    msg->qm->id, rcpt);
		local_status_set(st, "4.3.5", "mail system configuration error");
		return;
	}
	if (local_virtual_owner(ctx, rcpt, &target.uid, &target.gid, st) < 0)
		return;
	target.base_fd = ctx->base_fd;
	target.path = path;
	local_maildir(ctx, msg, rcpt, &target, st);
}

void local_expand_mailbox(local_expand_t *ex, const char *user)
{
	local_status_t st = { .status = "deferred" };
	struct passwd *pw;
	str_t done = STR_INIT;

	str_printf(&done, "mailbox %s", user);
	errno = 0;
	if ((pw = getpwnam(user)) == NULL && errno != 0)
		local_expand_note(ex, "4.3.0", "cannot find user %s: %s", user, strerror(errno));
	else if (pw == NULL)
		local_expand_note(ex, "5.1.1", "unknown user: \"%s\"", user);
	else if (local_names_add(&ex->done, done.data) == 0) {
		local_system_deliver(ex->ctx, ex->msg, ex->rcpt, pw, NULL, &st);
		local_expand_result(ex, &st);
	}
	str_free(&st.reason);
	str_free(&done);
}

void local_expand_local(local_expand_t *ex, const char *local_part)
{
	size_t len = strlen(local_part);
	size_t bare = dict_addr_unextended(local_part, len, conf_str("recipient_delimiter"));
	str_t done = STR_INIT;
	char *user;
	struct passwd *pw;

	if (local_alias(ex, local_part) != 0)
		return;
	user = mem_strndup(local_part, bare);
	str_printf(&done, "forward %s", user);
	if ((pw = getpwnam(user)) != NULL && local_names_has(&ex->done, done.data) == 0
	    && local_dotforward(ex, pw, bare < len ? local_part + bare + 1 : NULL))
		local_names_add(&ex->done, done.data);
	else
		local_expand_mailbox(ex, user);
	mem_free(user);
	str_free(&done);
}

/* A recipient in a local domain: aliases, .forward, mailbox, forwarding. */
static void local_local(const local_ctx_t *ctx, const local_msg_t *msg, const char *rcpt,
			const resolve_result_t *res, local_status_t *st)
{
	local_expand_t ex = { .ctx = ctx, .msg = msg, .rcpt = rcpt, .st = st };
	str_t local = STR_INIT, domain = STR_INIT;

	addr_split(rcpt, &local, &domain);
	for (size_t i = 0; i < local.len; i++)
		local.data[i] = (char)tolower((unsigned char)local.data[i]);
	ex.domain = res->domain.data ? res->domain.data : "";
	local_expand_local(&ex, str_cstr(&local));
	local_forward_flush(&ex);
	if (!ex.have_status)
		local_status_set(st, "2.0.0", "delivered");
	local_names_free(&ex.forward);
	local_names_free(&ex.done);
	local_names_free(&ex.stack);
	mem_free(ex.owner_sender);
	str_free(&local);
	str_free(&domain);
}

void local_recipient(const local_ctx_t *ctx, const local_msg_t *msg, const char *rcpt,
		     local_status_t *st)
{
	resolve_result_t res;

	resolve_result_init(&res);
	if (resolve_address(rcpt, &res) < 0)
		local_status_set(st, "4.3.0", "temporary lookup failure: %s",
				 str_cstr(&res.mailbox));
	else if (res.cls == RESOLVE_RELAY)
		local_status_set(st, "4.3.5",
				 "mail system configuration error: %s is not a local address", rcpt);
	else if (res.cls != RESOLVE_LOCAL && !res.found)
		local_status_set(st, "5.1.1", "unknown user: \"%s\"", rcpt);
	else if (delivered_to_seen(msg->header, msg->header_len, rcpt))
		local_status_set(st, "5.4.6", "mail forwarding loop for %s", rcpt);
	else if (res.cls == RESOLVE_VIRTUAL)
		local_virtual(ctx, msg, rcpt, &res, st);
	else
		local_local(ctx, msg, rcpt, &res, st);
	resolve_result_free(&res);
}
