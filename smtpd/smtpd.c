/*
 * smtpd: the SMTP server. master starts it with a listening socket; it
 * serves one client at a time:
 *
 *   connect -> [TLS handshake: smtpd_tls_wrappermode] -> "220 banner" ->
 *   commands until QUIT, EOF, timeout or too many errors ->
 *   "disconnect from name[addr] ehlo=1 mail=1 ..."
 *
 * Lookup tables and the TLS certificate and key files are opened while
 * still privileged (resolve_init, rewrite_init, smtpd_tls_init); after the
 * privilege drop the configuration is read once, the TLS context is made
 * (smtpd_tls_setup) and the SASL library starts (sasl_server_setup);
 * each session lives in its own smtpd_session_t.
 */
#include <stdio.h>
#include <string.h>

#include "conf.h"
#include "daemon.h"
#include "log.h"
#include "resolve.h"
#include "rewrite.h"
#include "smtpd.h"

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
	smtpd_tls_setup();
	if (smtpd_conf.sasl_auth_enable)
		sasl_server_setup(conf_str("sasldb_path"), conf_str("smtpd_sasl_mechanism_list"));
}

int smtpd_read_line(smtpd_session_t *s, str_t *line, size_t limit, int *too_long)
{
	int status = stream_getline(s->client, line, limit);
	str_t rest = STR_INIT;

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
	smtpd_peer_lookup(stream_fd(client), &s.peer);
	stream_set_timeout(client, (int)smtpd_conf.timeout);
	log_info("connect from %s", s.peer.namaddr);
	if (smtpd_conf.tls_wrappermode && smtpd_tls_handshake(&s) < 0)
		s.done = 1;
	else
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
	smtpd_log_disconnect(&s);
	smtpd_session_free(&s);
}

int main(int argc, char **argv)
{
	static const daemon_hooks_t hooks = { smtpd_pre_drop, smtpd_post_drop };

	daemon_init(argc, argv, "smtpd", &hooks);
	daemon_single_server(smtpd_serve);
}
