/*
 * local: the local delivery agent. master starts it on demand for
 * connections on private/local; it keeps root (unpriv=n) only to write
 * each mailbox as its owner. Everything it needs from above the mailboxes
 * is opened here, before the first client: the address tables and
 * virtual_mailbox_base as a directory descriptor.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "conf.h"
#include "daemon.h"
#include "local.h"
#include "log.h"
#include "queue_dirs.h"
#include "resolve.h"

static local_ctx_t local_ctx = { .base_fd = -1 };

void local_status_set(local_status_t *st, const char *dsn, const char *fmt, ...)
{
	va_list ap;

	snprintf(st->dsn, sizeof(st->dsn), "%s", dsn);
	st->status = dsn[0] == '2' ? "sent" : dsn[0] == '5' ? "bounced" : "deferred";
	str_reset(&st->reason);
	va_start(ap, fmt);
	str_vprintf(&st->reason, fmt, ap);
	va_end(ap);
}

static dict_t *local_open_map(const char *param)
{
	const char *spec = conf_str(param);
	str_t err = STR_INIT;
	dict_t *dict;

	if (*spec == 0)
		return NULL;
	if ((dict = dict_open(spec, &err)) == NULL)
		log_fatal("%s: %s", param, str_cstr(&err));
	str_free(&err);
	return dict;
}

static void local_pre_drop(void)
{
	const char *base = conf_str("virtual_mailbox_base");
	long header_max = conf_int("header_size_limit");
	str_t err = STR_INIT;
	gid_t queue_group;

	if (resolve_init(&err) != 0)
		log_fatal("%s", str_cstr(&err));
	str_free(&err);
	if (*base && (local_ctx.base_fd = open(base, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		log_fatal("open virtual_mailbox_base %s: %m", base);
	local_ctx.uid_map = local_open_map("virtual_uid_maps");
	local_ctx.gid_map = local_open_map("virtual_gid_maps");
	local_ctx.am_root = geteuid() == 0;
	local_ctx.self_uid = geteuid();
	queue_dirs_owner(&local_ctx.queue_owner, &queue_group);
	local_ctx.minimum_uid = conf_int("virtual_minimum_uid");
	local_ctx.header_max = header_max < LOCAL_HEADER_READ_MAX ? (size_t)header_max
								   : LOCAL_HEADER_READ_MAX;
}

static void local_handle(const ipc_msg_t *req, ipc_msg_t *reply)
{
	local_request(&local_ctx, req, reply);
}

/* qmgr's requests over one connection. */
static void local_serve(stream_t *client)
{
	agent_serve(client, local_handle, NULL);
}

int main(int argc, char **argv)
{
	static const daemon_hooks_t hooks = { .pre_drop = local_pre_drop };

	daemon_init(argc, argv, "local", &hooks);
	daemon_single_server(local_serve);
}
