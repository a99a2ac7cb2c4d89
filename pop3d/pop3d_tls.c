/*
 * pop3d_tls: STLS (RFC 2595) and pop3s (implicit TLS, RFC 8314) with the
 * server side of lib/tls.h that smtpd uses:
 *
 *   C: STLS
 *   S: +OK Begin TLS negotiation now      then the handshake
 *    | -ERR TLS is already active | -ERR STLS is not available
 *
 * STLS is offered when pop3d_tls_cert_file and pop3d_tls_key_file (by
 * default smtpd's) are set; pop3d_tls_wrappermode = yes (the pop3s
 * service) makes the handshake come first. The files are read while
 * root, the context is made after the privilege drop. Whatever the client
 * pipelined after STLS is thrown away before the handshake.
 */
#include "conf.h"
#include "log.h"
#include "pop3d.h"

#define POP3D_TLS_HANDSHAKE_TIMEOUT 300	/* seconds, as smtpd_starttls_timeout */

static str_t pop3d_tls_cert_pem = STR_INIT;
static str_t pop3d_tls_key_pem = STR_INIT;

void pop3d_tls_init(void)
{
	const char *cert = conf_str("pop3d_tls_cert_file");
	const char *key = conf_str("pop3d_tls_key_file");
	str_t err = STR_INIT;

	if ((*cert == 0 || *key == 0) && pop3d_conf.tls_wrappermode)
		log_fatal("pop3d_tls_wrappermode needs pop3d_tls_cert_file and pop3d_tls_key_file");
	if (*cert && *key && (tls_pem_read(cert, &pop3d_tls_cert_pem, &err) < 0
			      || tls_pem_read(key, &pop3d_tls_key_pem, &err) < 0)) {
		if (pop3d_conf.tls_wrappermode)
			log_fatal("TLS is required but not available: %s", str_cstr(&err));
		log_warning("TLS is not available: %s", str_cstr(&err));
	}
	str_free(&err);
}

void pop3d_tls_setup(void)
{
	str_t err = STR_INIT;

	if (pop3d_tls_key_pem.len > 0) {
		pop3d_conf.tls = tls_server_create(&pop3d_tls_cert_pem, &pop3d_tls_key_pem,
						   tls_protocols_parse(conf_str("smtpd_tls_protocols")), &err);
		if (pop3d_conf.tls == NULL && pop3d_conf.tls_wrappermode)
			log_fatal("TLS is required but not available: %s", str_cstr(&err));
		if (pop3d_conf.tls == NULL)
			log_warning("TLS is not available: %s", str_cstr(&err));
	}
	tls_pem_free(&pop3d_tls_cert_pem);
	tls_pem_free(&pop3d_tls_key_pem);
	str_free(&err);
}

int pop3d_tls_handshake(pop3d_session_t *s)
{
	str_t err = STR_INIT;
	str_t info = STR_INIT;

	s->tls = tls_server_accept(pop3d_conf.tls, s->client, POP3D_TLS_HANDSHAKE_TIMEOUT, &err);
	if (s->tls == NULL) {
		log_info("SSL_accept error from %s: %s", s->rip, str_cstr(&err));
	} else {
		s->secured = 1;
		tls_conn_describe(s->tls, &info);
		log_info("TLS connection established from %s: %s", s->rip, str_cstr(&info));
	}
	str_free(&err);
	str_free(&info);
	return s->tls == NULL ? -1 : 0;
}

void pop3d_cmd_stls(pop3d_session_t *s, const char *arg)
{
	if (*arg) {
		pop3d_err(s, "Syntax: STLS");
		s->errors++;
	} else if (s->tls != NULL) {
		pop3d_err(s, "TLS is already active");
	} else if (pop3d_conf.tls == NULL) {
		pop3d_err(s, "STLS is not available");
	} else {
		pop3d_ok(s, "Begin TLS negotiation now");
		stream_flush(s->client);
		stream_discard_pending(s->client);
		if (stream_error(s->client) || pop3d_tls_handshake(s) < 0)
			s->done = 1;
		str_set(&s->user, "");	/* forget what came before TLS */
	}
}
