/*
 * smtp_tls: STARTTLS (RFC 3207) in the smtp client, per
 * smtp_tls_security_level, in Postfix's words:
 *
 *   none      never
 *   may       when the server offers it; plaintext when it does not, or
 *             refuses the command (a failed handshake: smtp_connect.c)
 *   encrypt   required: "TLS is required, but was not offered by host ..."
 *   verify    required, and the certificate must chain to smtp_tls_CAfile
 *             and name the host (the MX host, or the [host] of the next
 *             hop): "Server certificate not verified" otherwise
 *
 * Whatever the server sent after its 220 to STARTTLS is discarded before
 * the handshake (the client-side CVE-2011-0411), and the session starts
 * over with EHLO under TLS. smtp_starttls_timeout bounds the handshake.
 * With smtp_tls_loglevel 1 each TLS session is logged.
 */
#include "conf.h"
#include "log.h"
#include "smtp.h"
#include "tls.h"

static str_t smtp_tls_ca_pem = STR_INIT;	/* read while privileged */
static tls_client_t *smtp_tls_client;		/* NULL: no TLS engine */

void smtp_tls_pre_drop(void)
{
	const char *file = conf_str("smtp_tls_CAfile");
	str_t err = STR_INIT;

	if (smtp_conf.tls_level != SMTP_TLS_NONE && *file
	    && tls_pem_read(file, &smtp_tls_ca_pem, &err) < 0)
		log_warning("smtp_tls_CAfile: %s", str_cstr(&err));
	str_free(&err);
}

void smtp_tls_setup(void)
{
	str_t err = STR_INIT;

	if (smtp_conf.tls_level != SMTP_TLS_NONE
	    && (smtp_tls_client = tls_client_create(&smtp_tls_ca_pem, &err)) == NULL)
		log_warning("TLS is not available: %s", str_cstr(&err));
	tls_pem_free(&smtp_tls_ca_pem);
	str_free(&err);
}

/* The handshake and the certificate check; 0, or -1 with s->fail. */
static int smtp_tls_handshake(smtp_session_t *s, int level, int *handshake_failed)
{
	str_t err = STR_INIT, info = STR_INIT;
	int verified;

	stream_discard_pending(s->st);
	s->tls = tls_client_start(smtp_tls_client, s->st, s->host, smtp_conf.starttls_timeout, &err);
	if (s->tls == NULL) {
		*handshake_failed = 1;
		s->broken = 1;		/* neither plaintext nor TLS can go on */
		smtp_status_set(&s->fail, "4.7.5", "Cannot start TLS: handshake failure");
		log_info("TLS handshake with %s failed: %s", s->relay, str_cstr(&err));
		str_free(&err);
		return -1;
	}
	verified = tls_client_verified(s->tls, &err);
	if (smtp_conf.tls_loglevel > 0) {
		tls_conn_describe(s->tls, &info);
		log_info("%s TLS connection established to %s: %s",
			 verified ? "Verified" : "Untrusted", s->relay, str_cstr(&info));
	}
	if (level == SMTP_TLS_VERIFY && !verified) {
		log_info("server certificate verification failed for %s: %s", s->relay,
			 str_cstr(&err));
		smtp_status_set(&s->fail, "4.7.5", "Server certificate not verified");
	}
	str_free(&err);
	str_free(&info);
	return level == SMTP_TLS_VERIFY && !verified ? -1 : 0;
}

/* The server does not offer TLS, or says no to it: fine at "may" only. */
static int smtp_tls_refused(smtp_session_t *s, int level, const char *what)
{
	if (level == SMTP_TLS_MAY)
		return 0;
	smtp_status_set(&s->fail, "4.7.4", "TLS is required, but %s", what);
	return -1;
}

/* STARTTLS itself: 0 (go ahead), 1 (the server says no: why in refused),
 * or -1 (the session broke). */
static int smtp_tls_command(smtp_session_t *s, str_t *refused)
{
	smtp_reply_t r;
	int rc;

	smtp_reply_init(&r);
	smtp_chat_cmd(s, smtp_conf.helo_timeout, "STARTTLS");
	rc = smtp_chat_reply(s, &r, smtp_conf.helo_timeout, "sending STARTTLS");
	if (rc == 0 && r.code / 100 != 2) {
		str_printf(refused, "host %s refused to start TLS: ", s->namaddr);
		smtp_reply_text(&r, refused);
		rc = 1;
	}
	smtp_reply_free(&r);
	return rc;
}

int smtp_tls_start(smtp_session_t *s, int level, int *handshake_failed)
{
	str_t refused = STR_INIT;
	int rc = 1;

	*handshake_failed = 0;
	if (level == SMTP_TLS_NONE)
		return 0;
	if (!(s->features & SMTP_FEATURE_STARTTLS))
		str_printf(&refused, "was not offered by host %s", s->namaddr);
	else if (smtp_tls_client == NULL)
		str_set(&refused, "our TLS engine is unavailable");
	else if ((rc = smtp_tls_command(s, &refused)) == 0
		 && (rc = smtp_tls_handshake(s, level, handshake_failed)) == 0)
		rc = smtp_session_ehlo(s);
	if (rc > 0)
		rc = smtp_tls_refused(s, level, str_cstr(&refused));
	str_free(&refused);
	return rc;
}
