/*
 * pop3d_session: a POP3 session's state, and the session process that the
 * pop3d process forks after a login. That process becomes the mailbox
 * owner, answers the login ("+OK Logged in" or why not), serves the
 * TRANSACTION state and, at QUIT, the UPDATE state, and logs like Dovecot:
 *
 *   Login: user=<demo@localhost>, method=PASS, rip=127.0.0.1, TLS
 *   Logout: user=<...>, rip=..., top=0/0, retr=2/4096, del=1/2048, size=8192
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "pop3d.h"

void pop3d_session_init(pop3d_session_t *s, stream_t *client, const char *rip)
{
	memset(s, 0, sizeof(*s));
	s->client = client;
	s->dir_fd = -1;
	snprintf(s->rip, sizeof(s->rip), "%s", rip);
	str_set(&s->user, "");
	stream_set_timeout(client, (int)pop3d_conf.timeout);
}

void pop3d_session_free(pop3d_session_t *s)
{
	pop3d_mailbox_close(s);
	str_free(&s->user);
}

static void pop3d_session_log_login(const pop3d_session_t *s, const pop3d_handoff_t *h)
{
	str_t shown = STR_INIT;

	str_append_escaped(&shown, s->user.data, s->user.len);
	log_info("Login: user=<%s>, method=%s, rip=%s%s", shown.data, h->method.data, s->rip,
		 s->secured ? ", TLS" : "");
	str_free(&shown);
}

static void pop3d_session_log_end(const pop3d_session_t *s, int status)
{
	const pop3d_stats_t *st = &s->stats;
	const char *why = status == STREAM_TIMEOUT ? "Disconnected for inactivity"
	    : s->quit ? "Logout" : "Disconnected";

	log_info("%s: user=<%s>, rip=%s, top=%ld/%lld, retr=%ld/%lld, del=%ld/%lld, size=%lld",
		 why, s->user.data, s->rip, st->top_count, st->top_bytes, st->retr_count,
		 st->retr_bytes, st->del_count, st->del_bytes, s->list.total);
}

static _Noreturn void pop3d_session_main(stream_t *client, const pop3d_handoff_t *h,
					 const char *rip)
{
	pop3d_session_t s;

	pop3d_privs_child();
	pop3d_session_init(&s, client, rip);
	str_set(&s.user, h->user.data);
	s.secured = h->secured;
	if (stream_preload(client, h->rest.data, h->rest.len) < 0)
		log_panic("pop3d_session: %zu bytes handed over do not fit", h->rest.len);
	if (pop3d_mailbox_open(&s) == 0) {
		pop3d_session_log_login(&s, h);
		pop3d_session_log_end(&s, pop3d_cmd_loop(&s));
	}
	stream_flush(client);
	pop3d_session_free(&s);
	exit(0);
}

pid_t pop3d_session_run(stream_t *client, const pop3d_handoff_t *h, const char *rip)
{
	pid_t pid = fork();

	if (pid == 0)
		pop3d_session_main(client, h, rip);
	if (pid < 0) {
		log_warning("rip=%s: cannot start the session of %s: %m", rip, h->user.data);
		stream_puts(client, "-ERR [SYS/TEMP] Temporary server failure\r\n");
		stream_flush(client);
	}
	return pid;
}
