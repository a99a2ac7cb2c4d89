/*
 * smtpd: the SMTP server. master starts it with a listening socket; it
 * serves one client at a time:
 *
 *   connect -> [TLS handshake: smtpd_tls_wrappermode] ->
 *   [client limits (smtpd_anvil.c), talking first (smtpd_pregreet.c)] ->
 *   "220 banner" -> commands until QUIT, EOF, timeout or too many errors ->
 *   "disconnect from name[addr] ehlo=1 mail=1 ..."
 *
 * Lookup tables and the TLS certificate and key files are opened while
 * still privileged (resolve_init, rewrite_init, smtpd_tls_init); after the
 * privilege drop the configuration is read once, the TLS context is made
 * (smtpd_tls_setup) and the SASL library starts (sasl_server_setup);
 * each session lives in its own smtpd_session_t. Started by master with
 * stress=yes (every smtpd of the service busy), it only answers the
 * waiting clients "421 4.3.2 All server ports are busy" and exits.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "conf.h"
#include "daemon.h"
#include "log.h"
#include "resolve.h"
#include "rewrite.h"
#include "smtpd.h"

/* stress=yes: the reply to a client no smtpd of the service is free for
 * (postscreen's words), and how many one busy process answers at most */
#define SMTPD_BUSY_REPLY "421 4.3.2 All server ports are busy"
#define SMTPD_BUSY_CLIENTS_MAX 100

static void smtpd_pre_drop(void)
{
	str_t err = STR_INIT;

	if (resolve_init(&err) < 0 || rewrite_init(&err) < 0)
		log_fatal("cannot open lookup tables: %s", str_cstr(&err));
	str_free(&err);
	smtpd_restrict_init();
	smtpd_tls_init();
}

/* libsasl2's plugins are world-readable and sasldb is opened per lookup,
 * so the library needs no privilege: it starts unprivileged. */
static void smtpd_post_drop(void)
{
	smtpd_conf_load();
	smtpd_anvil_init();
	smtpd_tls_setup();
	if (smtpd_conf.sasl_auth_enable)
		sasl_server_setup(conf_str("sasldb_path"), conf_str("smtpd_sasl_mechanism_list"));
}

int smtpd_read_line(smtpd_session_t *s, str_t *line, size_t limit, int *too_long)
{
	str_t rest = STR_INIT;
	int status;

	stream_start_request(s->client);
	status = stream_getline(s->client, line, limit);
	*too_long = status == STREAM_TOOLONG;
	if (status == STREAM_TOOLONG) {
		while ((status = stream_getline(s->client, &rest, limit)) == STREAM_TOOLONG)
			;
		if (status == STREAM_OK && (rest.len == 0 || rest.data[rest.len - 1] != '\n'))
			status = STREAM_EOF;
	} else if (status == STREAM_OK && line->data[line->len - 1] != '\n') {
		status = STREAM_EOF;	/* the client closed in the middle of a line */
	}
	str_free(&rest);
	return status;
}

/* smtpd_timeout, per read or write or per request (smtpd_per_request_deadline). */
static void smtpd_set_timeout(stream_t *client)
{
	stream_set_timeout(client, (int)smtpd_conf.timeout);
	stream_set_deadline(client, smtpd_conf.per_request_deadline);
}

/* Read one command line; skip the rest of one longer than the limit. */
static int smtpd_read_command(smtpd_session_t *s)
{
	size_t limit = (size_t)smtpd_conf.line_length_limit;
	int too_long;
	int status = smtpd_read_line(s, &s->line, limit, &too_long);

	if (too_long)
		smtpd_log_long_request(s, &s->line, limit);
	return status;
}

static void smtpd_session_init(smtpd_session_t *s, stream_t *client)
{
	memset(s, 0, sizeof(*s));
	s->client = client;
	smtp_cmd_init(&s->cmd);
	str_set(&s->helo, "");
	str_set(&s->sender, "");
	snprintf(s->where, sizeof(s->where), "CONNECT");
}

static void smtpd_session_free(smtpd_session_t *s)
{
	smtpd_trans_reset(s);
	smtpd_auth_free(s);
	smtpd_tls_free(s);
	smtp_cmd_free(&s->cmd);
	str_free(&s->line);
	str_free(&s->helo);
	str_free(&s->sender);
	str_free(&s->rcpts);
}

static void smtpd_serve(stream_t *client)
{
	smtpd_session_t s;

	smtpd_session_init(&s, client);
	s.connect_time = smtpd_pregreet_now();
	smtpd_peer_lookup(stream_fd(client), &s.peer, 1);
	smtpd_set_timeout(client);
	log_info("connect from %s", s.peer.namaddr);
	if (smtpd_conf.tls_wrappermode && smtpd_tls_handshake(&s) < 0)
		s.done = 1;
	else if (smtpd_anvil_connect(&s) < 0 || smtpd_pregreet_check(&s) < 0)
		s.done = 1;	/* replied: over a client limit, or talked first */
	else if (smtpd_restrict_connect(&s) == 0)	/* else a client reject replaced it */
		smtpd_reply(&s, "220 %s", smtpd_conf.banner);
	while (!s.done) {
		int status;

		if (stream_pending(client) == 0)
			smtpd_reply_flush(&s);
		status = stream_error(client) ? stream_error(client) : smtpd_read_command(&s);
		if (status != STREAM_OK) {
			smtpd_log_lost(&s, status);
			break;
		}
		smtpd_cmd_run(&s);
	}
	smtpd_reply_flush(&s);
	smtpd_anvil_disconnect(&s);
	smtpd_log_disconnect(&s);
	smtpd_session_free(&s);
}

/* One client of a busy process: 421 and goodbye. On smtps there is no TLS
 * session to carry a reply: that client is only disconnected. */
static void smtpd_serve_busy(stream_t *client)
{
	smtpd_session_t s;

	smtpd_session_init(&s, client);
	smtpd_peer_lookup(stream_fd(client), &s.peer, 0);
	smtpd_set_timeout(client);
	log_info("connect from %s", s.peer.namaddr);
	smtpd_log_action(&s, "reject", "CONNECT", SMTPD_BUSY_REPLY, NULL, NULL);
	if (!smtpd_conf.tls_wrappermode)
		smtpd_reply(&s, "%s", SMTPD_BUSY_REPLY);
	smtpd_reply_flush(&s);
	smtpd_log_disconnect(&s);
	smtpd_session_free(&s);
}

/*
 * stress=yes: master started this process outside the process limit
 * because every smtpd of the service is busy. It answers the clients that
 * wait now, then exits as soon as none does, so that a client arriving
 * later goes to an smtpd that came free.
 */
static _Noreturn void smtpd_busy_server(void)
{
	for (int n = 0; n < SMTPD_BUSY_CLIENTS_MAX; n++) {
		int fd = accept4(daemon_listen_fd(), NULL, NULL, SOCK_CLOEXEC);
		stream_t *client;

		if (fd < 0 && (errno == EINTR || errno == ECONNABORTED))
			continue;
		if (fd < 0)
			break;		/* nobody waits (the listener does not block) */
		client = stream_open(fd);
		smtpd_serve_busy(client);
		stream_close(client);
	}
	exit(0);
}

int main(int argc, char **argv)
{
	static const daemon_hooks_t hooks = { smtpd_pre_drop, smtpd_post_drop };

	daemon_init(argc, argv, "smtpd", &hooks);
	if (strcmp(conf_str("stress"), "yes") == 0)
		smtpd_busy_server();
	daemon_single_server(smtpd_serve);
}
