/*
 * smtpd_tls: STARTTLS (RFC 3207) and implicit TLS (RFC 8314) in smtpd, in
 * Postfix's words:
 *
 *   C: STARTTLS
 *   S: 220 2.0.0 Ready to start TLS        then the handshake
 *    | 501 5.5.4 Syntax: STARTTLS          with an argument
 *    | 502 5.5.1 Error: command not implemented     not offered
 *    | 554 5.5.1 Error: TLS already active
 *    | 454 4.7.0 TLS not available due to local problem
 *
 * For smtpd_tls_security_level = may or encrypt, or smtpd_tls_wrappermode
 * = yes, smtpd_tls_init reads the certificate and key files before the
 * privilege drop (the key is readable by root only) and smtpd_tls_setup
 * makes the server context from them after it. Whatever the client sent
 * after STARTTLS is discarded before the handshake (CVE-2011-0411), and a
 * session that turned to TLS forgets HELO/EHLO, the transaction and any
 * AUTH, as RFC 3207 4.2 says. With wrappermode the handshake comes right
 * after the connection, before the greeting. Handshakes are bounded by
 * smtpd_starttls_timeout.
 *
 * Sessions resume through tickets whose keys master keeps for every smtpd
 * (lib/tls_ticket.h); the key file is root's, so it too is read before the
 * privilege drop. Tickets live smtpd_tls_session_cache_timeout seconds (0:
 * no tickets, no resumption). smtpd_tls_loglevel 1 logs "Reusing old
 * session" before the usual line when a client resumed.
 */
#include <string.h>

#include "conf.h"
#include "log.h"
#include "smtpd.h"

/* The PEM text read while privileged, until smtpd_tls_setup uses it. */
static str_t smtpd_tls_cert_pem = STR_INIT;
static str_t smtpd_tls_key_pem = STR_INIT;
static int smtpd_tls_min_version;
static tls_ticket_keys_t smtpd_tls_ticket_keys;

/* "may" goes on without TLS; a promise of encryption cannot. */
static void smtpd_tls_unavailable(str_t *err)
{
	if (smtpd_conf.tls_level == TLS_LEVEL_MAY && !smtpd_conf.tls_wrappermode)
		log_warning("TLS is not available: %s", str_cstr(err));
	else
		log_fatal("TLS is required but not available: %s", str_cstr(err));
}

static int smtpd_tls_wanted(void)
{
	return smtpd_conf.tls_level != TLS_LEVEL_NONE || smtpd_conf.tls_wrappermode;
}

/* Before the privilege drop: the TLS parameters, and the files' text. */
void smtpd_tls_init(void)
{
	const char *level = conf_str("smtpd_tls_security_level");
	str_t err = STR_INIT;

	smtpd_conf.tls_level = tls_level_parse(level);
	if (smtpd_conf.tls_level == TLS_LEVEL_BAD)
		log_fatal("bad smtpd_tls_security_level value: %s", level);
	smtpd_tls_min_version = tls_protocols_parse(conf_str("smtpd_tls_protocols"));
	if (smtpd_tls_min_version < 0)
		log_fatal("unsupported smtpd_tls_protocols value: %s (use >=TLSv1.2 or >=TLSv1.3)",
			  conf_str("smtpd_tls_protocols"));
	smtpd_conf.tls_wrappermode = conf_bool("smtpd_tls_wrappermode");
	smtpd_conf.starttls_timeout = conf_time("smtpd_starttls_timeout");
	smtpd_conf.tls_loglevel = conf_int("smtpd_tls_loglevel");
	if (smtpd_tls_wanted()
	    && (tls_pem_read(conf_str("smtpd_tls_cert_file"), &smtpd_tls_cert_pem, &err) < 0
		|| tls_pem_read(conf_str("smtpd_tls_key_file"), &smtpd_tls_key_pem, &err) < 0))
		smtpd_tls_unavailable(&err);
	str_reset(&err);
	if (smtpd_tls_wanted() && conf_time("smtpd_tls_session_cache_timeout") > 0
	    && tls_ticket_keys_load(TLS_TICKET_FILE, &smtpd_tls_ticket_keys, &err) < 0)
		log_warning("TLS session tickets are off: %s", str_cstr(&err));
	str_free(&err);
}

/* After the privilege drop: the server context from the files' text. */
void smtpd_tls_setup(void)
{
	str_t err = STR_INIT;

	if (smtpd_tls_wanted() && smtpd_tls_key_pem.len > 0) {
		smtpd_conf.tls = tls_server_create(&smtpd_tls_cert_pem, &smtpd_tls_key_pem,
						   smtpd_tls_min_version, &err);
		if (smtpd_conf.tls == NULL)
			smtpd_tls_unavailable(&err);
		else if (tls_server_tickets(smtpd_conf.tls, &smtpd_tls_ticket_keys,
					    conf_time("smtpd_tls_session_cache_timeout"), &err) < 0)
			log_warning("TLS session tickets are off: %s", str_cstr(&err));
	}
	tls_ticket_keys_wipe(&smtpd_tls_ticket_keys);
	tls_pem_free(&smtpd_tls_cert_pem);
	tls_pem_free(&smtpd_tls_key_pem);
	str_free(&err);
}

/* STARTTLS is offered: TLS is wanted here and not yet on. */
static int smtpd_tls_offered(const smtpd_session_t *s)
{
	return smtpd_conf.tls_level != TLS_LEVEL_NONE && s->tls == NULL;
}

void smtpd_tls_ehlo(const smtpd_session_t *s, str_t *line)
{
	if (smtpd_tls_offered(s) && smtpd_conf.tls != NULL)
		str_append_cstr(line, "250-STARTTLS\r\n");
}

int smtpd_tls_required(const smtpd_session_t *s)
{
	return smtpd_conf.tls_level == TLS_LEVEL_ENCRYPT && s->tls == NULL;
}

int smtpd_tls_handshake(smtpd_session_t *s)
{
	str_t err = STR_INIT;
	str_t info = STR_INIT;

	s->tls = tls_server_accept(smtpd_conf.tls, s->client, (int)smtpd_conf.starttls_timeout, &err);
	if (s->tls == NULL) {
		log_info("SSL_accept error from %s: %s", s->peer.namaddr, str_cstr(&err));
		log_info("lost connection after %s from %s", s->where, s->peer.namaddr);
	} else if (smtpd_conf.tls_loglevel > 0) {
		if (tls_conn_reused(s->tls))
			log_info("%s: Reusing old session", s->peer.namaddr);
		tls_conn_describe(s->tls, &info);
		log_info("Anonymous TLS connection established from %s: %s",
			 s->peer.namaddr, str_cstr(&info));
	}
	str_free(&err);
	str_free(&info);
	return s->tls == NULL ? -1 : 0;
}

/* RFC 3207 4.2: discard what was learned from the client before TLS. */
static void smtpd_tls_forget(smtpd_session_t *s)
{
	smtpd_trans_reset(s);
	smtpd_auth_free(s);
	str_set(&s->helo, "");
	s->esmtp = 0;
}

void smtpd_cmd_starttls(smtpd_session_t *s, const char *arg)
{
	if (*arg) {
		smtpd_reply(s, "501 5.5.4 Syntax: STARTTLS");
	} else if (s->tls != NULL) {
		smtpd_reply(s, "554 5.5.1 Error: TLS already active");
	} else if (!smtpd_tls_offered(s)) {
		smtpd_reply(s, "502 5.5.1 Error: command not implemented");
	} else if (smtpd_conf.tls == NULL) {
		smtpd_reply(s, "454 4.7.0 TLS not available due to local problem");
	} else {
		smtpd_reply(s, "220 2.0.0 Ready to start TLS");
		smtpd_reply_flush(s);
		stream_discard_pending(s->client);	/* CVE-2011-0411 */
		if (stream_error(s->client) || smtpd_tls_handshake(s) < 0) {
			s->failed = 1;
			s->done = 1;
			return;
		}
		smtpd_tls_forget(s);
	}
}

void smtpd_tls_free(smtpd_session_t *s)
{
	tls_conn_close(s->tls, s->client);
	s->tls = NULL;
}
