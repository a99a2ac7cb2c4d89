/*
 * pop3d_login: the login process, forked by the pop3d process for each
 * connection. It becomes mail_owner for good before it reads a byte, then
 * greets the client, does TLS (pop3s, STLS) and the AUTHORIZATION state.
 * A successful login is handed to the pop3d process as one IPC message on
 * a local socket:
 *
 *   user     the logged-in name      method   PASS or the SASL mechanism
 *   secured  1 when on TLS           rest     what the client sent ahead
 *
 * (on TLS "rest" is empty: those bytes follow the message as the first
 * ones relayed, so they keep their place before what comes later).
 * The pop3d process checks it (pop3d_handoff_read) and forks the session
 * process, which answers the login. Without TLS the session process then
 * reads the client's descriptor itself and this process ends; with TLS
 * this process keeps the TLS layer and relays for the session
 * (login_proxy.h) until it ends.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ipc.h"
#include "log.h"
#include "login_proxy.h"
#include "pop3d.h"

static void pop3d_login_log_end(const pop3d_session_t *s, int status)
{
	if (s->handed_off)
		return;
	if (s->auth_failures > 0 && !s->quit)
		log_info("Disconnected (auth failed, %d attempts): rip=%s", s->auth_failures, s->rip);
	else
		log_info("%s: rip=%s", status == STREAM_TIMEOUT ? "Disconnected for inactivity"
			 : s->quit ? "Logout" : "Disconnected", s->rip);
}

_Noreturn void pop3d_login_main(stream_t *client, const char *rip, int handoff_fd)
{
	pop3d_session_t s;
	int status = STREAM_OK;

	pop3d_privs_child();
	pop3d_privs_drop_login();
	pop3d_session_init(&s, client, rip);
	s.handoff = stream_open(handoff_fd);
	log_info("connect from %s", s.rip);
	if (pop3d_conf.tls_wrappermode && pop3d_tls_handshake(&s) < 0)
		s.done = 1;
	else
		pop3d_ok(&s, "%s POP3 server ready", pop3d_conf.myhostname);
	status = pop3d_cmd_loop(&s);
	pop3d_login_log_end(&s, status);
	if (s.handed_off && s.tls != NULL)
		login_proxy_run(client, stream_fd(s.handoff), (int)pop3d_conf.timeout);
	tls_conn_close(s.tls, client);
	stream_close(s.handoff);
	pop3d_session_free(&s);
	exit(0);
}

void pop3d_login_handoff(pop3d_session_t *s, const char *user, const char *method)
{
	ipc_msg_t *msg;
	const char *rest;
	size_t rest_len = stream_peek(s->client, &rest);

	if (strlen(user) > POP3D_USER_MAX || strlen(method) > POP3D_METHOD_MAX) {
		log_warning("rip=%s: login name or method too long to serve", s->rip);
		pop3d_err(s, "[AUTH] Login name too long");
		return;		/* pop3d_handoff_read would refuse it */
	}
	msg = ipc_new();
	stream_flush(s->client);	/* replies so far go before the session's */
	ipc_add(msg, "user", user);
	ipc_add(msg, "method", method);
	ipc_add_int(msg, "secured", s->secured);
	ipc_add_len(msg, "rest", rest, s->secured ? 0 : rest_len);
	if (ipc_write(s->handoff, msg) != STREAM_OK
	    || (s->secured && stream_write(s->handoff, rest, rest_len) != STREAM_OK)
	    || stream_flush(s->handoff) != STREAM_OK) {
		log_warning("rip=%s: cannot hand the login of %s over: %m", s->rip, user);
		pop3d_err(s, "[SYS/TEMP] Temporary server failure");
	} else {
		stream_discard_pending(s->client);	/* the session process has them */
		s->handed_off = 1;
	}
	s->done = 1;
	ipc_free(msg);
}

static const char *pop3d_handoff_value(const ipc_msg_t *msg, const char *name, size_t *len)
{
	for (size_t i = 0; i < ipc_count(msg); i++)
		if (strcmp(ipc_name(msg, i), name) == 0)
			return ipc_value(msg, i, len);
	return NULL;
}

/* A value that must be one text line of at most max bytes, or NULL. */
static const char *pop3d_handoff_text(const ipc_msg_t *msg, const char *name, size_t max)
{
	size_t len = 0;
	const char *value = pop3d_handoff_value(msg, name, &len);

	if (value == NULL || len == 0 || len > max || strlen(value) != len
	    || strpbrk(value, "\r\n") != NULL)
		return NULL;
	return value;
}

/* Take the hand-over from msg into h; 0, or -1 when it is malformed. */
static int pop3d_handoff_take(const ipc_msg_t *msg, pop3d_handoff_t *h)
{
	const char *user = pop3d_handoff_text(msg, "user", POP3D_USER_MAX);
	const char *method = pop3d_handoff_text(msg, "method", POP3D_METHOD_MAX);
	size_t rest_len = 0;
	const char *rest = pop3d_handoff_value(msg, "rest", &rest_len);

	if (user == NULL || method == NULL || rest == NULL || rest_len > STREAM_BUF_SIZE)
		return -1;
	str_set(&h->user, user);
	str_set(&h->method, method);
	str_append(&h->rest, rest, rest_len);
	h->secured = ipc_get_int(msg, "secured", 0) != 0;
	return 0;
}

int pop3d_handoff_read(stream_t *from_login, pop3d_handoff_t *h)
{
	ipc_msg_t *msg = ipc_new();
	int status = ipc_read(from_login, msg);	/* STREAM_EOF: no login */
	int rc = status == 0 ? pop3d_handoff_take(msg, h) : -1;

	if (rc < 0 && status != STREAM_EOF)
		log_warning("bad hand-over from the login process");
	ipc_free(msg);
	return rc;
}

void pop3d_handoff_free(pop3d_handoff_t *h)
{
	str_free(&h->user);
	str_free(&h->method);
	str_free(&h->rest);
}
