/*
 * pop3d: the POP3 server. master starts it with a listening socket; it
 * serves one client at a time:
 *
 *   connect -> [TLS handshake: pop3d_tls_wrappermode] -> "+OK greeting"
 *   -> commands until QUIT, EOF, pop3d_timeout or too many errors
 *   -> "Logout: ..." or "Disconnected: ..."
 *
 * Started as root (master.cf unpriv "n") so that after a login it can
 * become the mailbox owner; until then it runs with mail_owner's
 * effective ids (pop3d_privs.c), and a process that switched serves no
 * other client. The certificate and key are read while still root.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "conf.h"
#include "daemon.h"
#include "log.h"
#include "pop3d.h"

pop3d_conf_t pop3d_conf;

static void pop3d_pre_drop(void)
{
	pop3d_conf.myhostname = conf_str("myhostname");
	pop3d_conf.timeout = conf_time("pop3d_timeout");
	pop3d_conf.auth_failure_delay = conf_time("pop3d_auth_failure_delay");
	pop3d_conf.disable_plaintext_auth = conf_bool("pop3d_disable_plaintext_auth");
	pop3d_conf.sasl_service = conf_str("pop3d_sasl_service");
	pop3d_conf.tls_wrappermode = conf_bool("pop3d_tls_wrappermode");
	pop3d_tls_init();
	pop3d_mailbox_init();
	pop3d_privs_init();
}

static void pop3d_post_drop(void)
{
	pop3d_privs_unprivileged();
	pop3d_tls_setup();
	pop3d_auth_setup();
}

static void pop3d_vreply(pop3d_session_t *s, const char *status, const char *fmt, va_list ap)
{
	str_t line = STR_INIT;

	str_append_cstr(&line, status);
	str_vprintf(&line, fmt, ap);
	str_append_cstr(&line, "\r\n");
	stream_write(s->client, line.data, line.len);
	str_free(&line);
}

void pop3d_ok(pop3d_session_t *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pop3d_vreply(s, "+OK ", fmt, ap);
	va_end(ap);
}

void pop3d_err(pop3d_session_t *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pop3d_vreply(s, "-ERR ", fmt, ap);
	va_end(ap);
}

static void pop3d_peer(pop3d_session_t *s)
{
	struct sockaddr_storage sa;
	socklen_t len = sizeof(sa);
	const void *addr = NULL;

	snprintf(s->rip, sizeof(s->rip), "unknown");
	if (getpeername(stream_fd(s->client), (struct sockaddr *)&sa, &len) != 0)
		return;
	if (sa.ss_family == AF_INET)
		addr = &((struct sockaddr_in *)&sa)->sin_addr;
	else if (sa.ss_family == AF_INET6)
		addr = &((struct sockaddr_in6 *)&sa)->sin6_addr;
	if (addr != NULL)
		inet_ntop(sa.ss_family, addr, s->rip, sizeof(s->rip));
}

/* Read one command line into line without its line end: STREAM_OK, or
 * STREAM_TOOLONG after skipping the rest of an overlong line. */
static int pop3d_read_command(pop3d_session_t *s, str_t *line)
{
	str_t rest = STR_INIT;
	int status = stream_getline(s->client, line, POP3D_LINE_MAX);

	if (status == STREAM_TOOLONG) {
		while ((status = stream_getline(s->client, &rest, POP3D_LINE_MAX)) == STREAM_TOOLONG)
			;
		if (status == STREAM_OK)
			status = STREAM_TOOLONG;
	}
	if (status == STREAM_OK && (line->len == 0 || line->data[line->len - 1] != '\n'))
		status = STREAM_EOF;	/* the client closed in the middle of a line */
	while (status == STREAM_OK && line->len > 0
	       && (line->data[line->len - 1] == '\n' || line->data[line->len - 1] == '\r'))
		str_truncate(line, line->len - 1);
	str_free(&rest);
	return status;
}

static void pop3d_log_end(pop3d_session_t *s, int status)
{
	const pop3d_stats_t *st = &s->stats;
	const char *why = status == STREAM_TIMEOUT ? "Disconnected for inactivity"
	    : s->quit ? "Logout" : "Disconnected";

	if (s->state != POP3D_TRANSACTION) {
		log_info("%s: rip=%s", why, s->rip);
		return;
	}
	log_info("%s: user=<%s>, rip=%s, top=%ld/%lld, retr=%ld/%lld, del=%ld/%lld, size=%lld",
		 why, s->user.data, s->rip, st->top_count, st->top_bytes, st->retr_count,
		 st->retr_bytes, st->del_count, st->del_bytes, s->list.total);
}

static void pop3d_serve(stream_t *client)
{
	pop3d_session_t s = { .client = client, .dir_fd = -1 };
	str_t line = STR_INIT;
	int status = STREAM_OK;

	str_set(&s.user, "");
	pop3d_peer(&s);
	stream_set_timeout(client, (int)pop3d_conf.timeout);
	log_info("connect from %s", s.rip);
	if (pop3d_conf.tls_wrappermode && pop3d_tls_handshake(&s) < 0)
		s.done = 1;
	else
		pop3d_ok(&s, "%s POP3 server ready", pop3d_conf.myhostname);
	while (!s.done) {
		status = pop3d_read_command(&s, &line);
		if (status == STREAM_TOOLONG)
			pop3d_err(&s, "Command line too long");
		else if (status != STREAM_OK)
			break;
		else
			pop3d_cmd_run(&s, line.data, line.len);
		if (s.errors >= POP3D_ERROR_LIMIT) {
			pop3d_err(&s, "Too many bad commands");
			s.done = 1;
		}
	}
	stream_flush(client);
	pop3d_log_end(&s, status);
	pop3d_mailbox_close(&s);
	tls_conn_close(s.tls, client);
	str_free(&s.user);
	str_free(&line);
	if (pop3d_privs_switched())
		exit(0);	/* the mailbox owner's process serves no one else */
}

int main(int argc, char **argv)
{
	static const daemon_hooks_t hooks = { pop3d_pre_drop, pop3d_post_drop };

	daemon_init(argc, argv, "pop3d", &hooks);
	daemon_single_server(pop3d_serve);
}
