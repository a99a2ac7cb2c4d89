/*
 * smtpd_auth: SMTP AUTH (RFC 4954) through sasl_server.h, in Postfix's
 * words:
 *
 *   C: AUTH PLAIN [initial-response]      "=" is an empty initial response
 *   S: 334 base64-challenge               repeated while the mechanism wants
 *   C: base64-response | "*"              "*" gives up: 501 5.7.0
 *   S: 235 2.7.0 Authentication successful
 *    | 535 5.7.8 Error: authentication failed: authentication failure
 *
 * AUTH is offered when smtpd_sasl_auth_enable = yes and the session may
 * carry passwords: under TLS, or anywhere with smtpd_tls_auth_only = no
 * (except where smtpd_tls_security_level = encrypt demands TLS first).
 * smtpd_client_auth_rate_limit bounds the AUTH commands one client may
 * give per anvil_rate_time_unit (smtpd_anvil.c), so passwords cannot be
 * guessed at speed over many connections.
 * A failed exchange gets the same reply whether or not the user exists,
 * after smtpd_error_sleep_time; the next AUTH starts on a fresh
 * libsasl2 connection. A client that authenticated may relay
 * (smtpd_check.c), and its MAIL FROM may carry AUTH=<mailbox>, which is
 * kept (as sasl_sender) only for an authenticated client (RFC 4954 5).
 */
#include <ctype.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "log.h"
#include "sasl_server.h"
#include "smtpd.h"
#include "xtext.h"

#define SMTPD_AUTH_CRLF 2		/* the line end after a response */

int smtpd_auth_offered(const smtpd_session_t *s)
{
	return smtpd_conf.sasl_auth_enable
	    && (s->tls != NULL || (!smtpd_conf.tls_auth_only && !smtpd_tls_required(s)));
}

/* The libsasl2 connection for the next exchange; NULL (logged) on error. */
static sasl_server_t *smtpd_auth_conn(smtpd_session_t *s)
{
	str_t err = STR_INIT;

	if (s->sasl == NULL) {
		s->sasl = sasl_server_open(smtpd_conf.sasl_service, smtpd_conf.myhostname,
					   smtpd_conf.sasl_security, &err);
		if (s->sasl == NULL)
			log_warning("%s: %s", s->peer.namaddr, str_cstr(&err));
	}
	str_free(&err);
	return s->sasl;
}

void smtpd_auth_ehlo(smtpd_session_t *s, str_t *line)
{
	str_t mechs = STR_INIT;

	if (smtpd_auth_offered(s) && smtpd_auth_conn(s) != NULL) {
		if (sasl_server_mechs(s->sasl, &mechs) < 0)
			log_warning("%s: cannot list the SASL mechanisms", s->peer.namaddr);
		else if (mechs.len > 0)
			str_printf(line, "250-AUTH %s\r\n", mechs.data);
	}
	str_free(&mechs);
}

/* Replace what the log must not show raw (names come from the client). */
static void smtpd_auth_printable(str_t *text)
{
	for (size_t i = 0; i < text->len; i++)
		if (!isprint((unsigned char)text->data[i]))
			text->data[i] = '?';
}

/* Read the answer to a challenge into resp (line end removed); 0, or -1
 * after a reply (too long) or with the session over (lost). */
static int smtpd_auth_response(smtpd_session_t *s, str_t *resp)
{
	size_t limit = (size_t)smtpd_conf.sasl_response_limit;
	int too_long;
	int status = smtpd_read_line(s, resp, limit + SMTPD_AUTH_CRLF, &too_long);

	if (status != STREAM_OK) {
		smtpd_log_lost(s, status);
		return -1;
	}
	while (resp->len > 0 && (resp->data[resp->len - 1] == '\n' || resp->data[resp->len - 1] == '\r'))
		str_truncate(resp, resp->len - 1);
	if (too_long || resp->len > limit) {
		smtpd_reply(s, "500 5.5.6 Authentication Exchange line is too long");
		return -1;
	}
	return 0;
}

/* The challenge: written as is, it may be longer than one smtpd_reply. */
static void smtpd_auth_challenge(smtpd_session_t *s, str_t *challenge)
{
	stream_puts(s->client, "334 ");
	stream_puts(s->client, str_cstr(challenge));
	stream_puts(s->client, "\r\n");
}

/* Run the exchange; SASL_SERVER_DONE, or -1 when it already replied or the
 * session is over, or the failure status with its text in reply. */
static int smtpd_auth_exchange(smtpd_session_t *s, const char *mech, const char *initial,
			       str_t *reply)
{
	str_t resp = STR_INIT;
	int status = sasl_server_begin(s->sasl, mech, initial, reply);

	while (status == SASL_SERVER_MORE) {
		smtpd_auth_challenge(s, reply);
		if (smtpd_auth_response(s, &resp) < 0) {
			status = -1;
		} else if (strcmp(resp.data, "*") == 0) {
			log_warning("%s: SASL %s authentication aborted", s->peer.namaddr, mech);
			smtpd_reply(s, "501 5.7.0 Authentication aborted");
			status = -1;
		} else {
			status = sasl_server_next(s->sasl, resp.data, reply);
		}
	}
	str_free(&resp);
	return status;
}

static void smtpd_auth_success(smtpd_session_t *s, const char *mech)
{
	str_set(&s->sasl_username, sasl_server_username(s->sasl));
	smtpd_auth_printable(&s->sasl_username);
	str_set(&s->sasl_method, mech);
	smtpd_reply(s, "235 2.7.0 Authentication successful");
}

/* The replies of RFC 4954 6 for an exchange that did not succeed. */
static void smtpd_auth_failure(smtpd_session_t *s, const char *mech, int status, str_t *reply)
{
	log_warning("%s: SASL %s authentication failed: %s", s->peer.namaddr, mech, reply->data);
	if (status == SASL_SERVER_MALFORMED) {
		smtpd_reply(s, "501 5.5.2 %s", reply->data);
	} else if (status == SASL_SERVER_TEMP) {
		smtpd_reply(s, "454 4.7.0 Temporary authentication failure: %s", reply->data);
	} else {
		if (smtpd_conf.error_sleep_time > 0) {
			smtpd_reply_flush(s);
			sleep((unsigned)smtpd_conf.error_sleep_time);
		}
		smtpd_reply(s, "535 5.7.8 Error: authentication failed: %s", reply->data);
	}
}

/* May this session start an exchange now? Replies when it may not. */
static int smtpd_auth_allowed(smtpd_session_t *s)
{
	if (!smtpd_auth_offered(s))
		smtpd_reply(s, "503 5.5.1 Error: authentication not enabled");
	else if (s->qw != NULL)
		smtpd_reply(s, "503 5.5.1 Error: MAIL transaction in progress");
	else if (s->sasl_username.len > 0)
		smtpd_reply(s, "503 5.5.1 Error: already authenticated");
	else if (smtpd_auth_conn(s) == NULL)
		smtpd_reply(s, "454 4.7.0 Temporary authentication failure: server error");
	else
		return 1;
	return 0;
}

/* "MECH [initial-response]": the mechanism upper-cased (in mech) and the
 * response ("=" is empty, NULL when absent); -1 when malformed. */
static int smtpd_auth_args(const char *arg, str_t *mech, const char **initial)
{
	size_t len = strcspn(arg, " ");
	const char *rest = arg + len + strspn(arg + len, " ");

	if (len == 0 || strchr(rest, ' ') != NULL)
		return -1;
	str_set(mech, "");
	for (size_t i = 0; i < len; i++)
		str_putc(mech, toupper((unsigned char)arg[i]));
	*initial = *rest == 0 ? NULL : strcmp(rest, "=") == 0 ? "" : rest;
	return 0;
}

void smtpd_cmd_auth(smtpd_session_t *s, const char *arg)
{
	str_t mech = STR_INIT;
	str_t reply = STR_INIT;
	const char *initial;
	int status;

	if (!smtpd_auth_allowed(s) || smtpd_anvil_auth(s) < 0)
		return;
	if (smtpd_auth_args(arg, &mech, &initial) < 0) {
		smtpd_reply(s, "501 5.5.4 Syntax: AUTH mechanism");
		str_free(&mech);
		return;
	}
	status = smtpd_auth_exchange(s, mech.data, initial, &reply);
	if (status == SASL_SERVER_DONE) {
		smtpd_auth_success(s, mech.data);
	} else {
		if (status >= 0)
			smtpd_auth_failure(s, mech.data, status, &reply);
		sasl_server_close(s->sasl);	/* never reuse a failed connection */
		s->sasl = NULL;
	}
	str_free(&mech);
	str_free(&reply);
}

/* "<>" or a mailbox: local part "@" domain. */
static int smtpd_auth_mailbox(const char *text)
{
	str_t path = STR_INIT;
	str_t addr = STR_INIT;
	str_t local = STR_INIT;
	str_t domain = STR_INIT;
	const char *rest = "";
	const char *why;
	int ok = strcmp(text, "<>") == 0;

	str_printf(&path, "<%s>", text);
	if (!ok && addr_parse_path(path.data, 0, &addr, &rest, &why) == 0 && *rest == 0) {
		addr_split(addr.data, &local, &domain);
		ok = local.len > 0 && domain.len > 0;
	}
	str_free(&path);
	str_free(&addr);
	str_free(&local);
	str_free(&domain);
	return ok;
}

int smtpd_auth_mail_param(smtpd_session_t *s, const char *value)
{
	str_t mailbox = STR_INIT;
	int status = -1;

	if (!smtpd_auth_offered(s))
		smtpd_reply(s, "503 5.7.4 Error: authentication disabled");
	else if (value == NULL || xtext_decode(value, &mailbox) < 0 || !smtpd_auth_mailbox(mailbox.data))
		smtpd_reply(s, "501 5.5.4 Bad AUTH parameter syntax");
	else
		status = 0;
	/* RFC 4954 5: from a client that did not authenticate, as if AUTH=<> */
	if (status == 0 && s->sasl_username.len > 0 && strcmp(mailbox.data, "<>") != 0)
		str_set(&s->sasl_sender, mailbox.data);
	smtpd_auth_printable(&s->sasl_sender);
	str_free(&mailbox);
	return status;
}

void smtpd_auth_free(smtpd_session_t *s)
{
	sasl_server_close(s->sasl);
	s->sasl = NULL;
	str_free(&s->sasl_username);
	str_free(&s->sasl_method);
	str_free(&s->sasl_sender);
}
