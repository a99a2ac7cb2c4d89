/*
 * smtp_sasl: SMTP AUTH (RFC 4954) as a client, through libsasl2's client
 * side, with Postfix's parameters:
 *
 *   smtp_sasl_auth_enable = yes
 *   smtp_sasl_password_maps = hash:/etc/pochta/sasl_passwd
 *       [mail.isp.example]:587   username:password
 *
 * The table is searched for the server's host name, then for the next hop
 * as written in the transport or relayhost. The mechanisms libsasl2 may
 * choose from are those the server offers minus what
 * smtp_sasl_security_options forbids (default "noplaintext, noanonymous":
 * no password crosses the network in the clear), or
 * smtp_sasl_tls_security_options once the session is under TLS. A server
 * that turns the credentials down (535) defers the mail, as Postfix's
 * smtp_sasl_auth_soft_bounce does: a wrong password is fixed and retried,
 * not bounced.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sasl/sasl.h>

#include "base64.h"
#include "conf.h"
#include "dict.h"
#include "log.h"
#include "maps.h"
#include "mem.h"
#include "sasl_server.h"
#include "smtp.h"

#define SMTP_SASL_APP "pochta"
#define SMTP_SASL_SERVICE "smtp"
#define SMTP_SASL_STEPS_MAX 16		/* challenges answered in one exchange */

static maps_t *smtp_sasl_maps;

/* What libsasl2's callbacks hand out for one exchange. */
typedef struct smtp_sasl_creds {
	const char *user;
	sasl_secret_t *secret;
} smtp_sasl_creds_t;

static int smtp_sasl_log(void *context, int level, const char *message)
{
	(void)context;
	if (level <= SASL_LOG_WARN && message != NULL)
		log_warning("SASL authentication problem: %s", message);
	return SASL_OK;
}

/* libsasl2 stores every callback as int (*)(void); void (*)(void) converts cleanly. */
static const sasl_callback_t smtp_sasl_global_callbacks[] = {
	{ SASL_CB_LOG, (int (*)(void))(void (*)(void))smtp_sasl_log, NULL },
	{ SASL_CB_LIST_END, NULL, NULL },
};

void smtp_sasl_pre_drop(void)
{
	str_t err = STR_INIT;

	if (smtp_conf.sasl_enable && (smtp_sasl_maps = maps_open("smtp_sasl_password_maps",
								   &err)) == NULL)
		log_fatal("%s", str_cstr(&err));
	str_free(&err);
}

static void smtp_sasl_shutdown(void)
{
	sasl_client_done();
}

void smtp_sasl_setup(void)
{
	int rc;

	if (!smtp_conf.sasl_enable)
		return;
	if ((rc = sasl_client_init(smtp_sasl_global_callbacks)) != SASL_OK)
		log_fatal("SASL per-process initialization failed: %s",
			  sasl_errstring(rc, NULL, NULL));
	atexit(smtp_sasl_shutdown);
}

/* The first table that knows key: 1 (value set), 0, or -1 (why in value). */
static int smtp_sasl_find(const char *key, str_t *value)
{
	int found = 0;

	for (size_t i = 0; i < smtp_sasl_maps->count && found == 0; i++)
		found = dict_lookup(smtp_sasl_maps->tables[i], key, value);
	return found;
}

int smtp_sasl_lookup(const char *nexthop, const char *host, str_t *user, str_t *pass,
		     smtp_status_t *why)
{
	str_t value = STR_INIT;
	const char *colon;
	int found;

	if (!smtp_conf.sasl_enable || smtp_sasl_maps->count == 0)
		return 0;
	if ((found = smtp_sasl_find(host, &value)) == 0)
		found = smtp_sasl_find(nexthop, &value);
	if (found < 0)
		smtp_status_set(why, "4.3.0", "smtp_sasl_password_maps lookup error: %s",
				str_cstr(&value));
	if (found > 0) {
		colon = strchr(str_cstr(&value), ':');
		str_set(user, "");
		str_append(user, value.data, colon ? (size_t)(colon - value.data) : value.len);
		str_set(pass, colon ? colon + 1 : "");
	}
	str_free(&value);
	return found;
}

static int smtp_sasl_user(void *context, int id, const char **result, unsigned *len)
{
	const smtp_sasl_creds_t *creds = context;

	if (id != SASL_CB_USER && id != SASL_CB_AUTHNAME)
		return SASL_FAIL;
	*result = creds->user;
	if (len)
		*len = (unsigned)strlen(creds->user);
	return SASL_OK;
}

static int smtp_sasl_pass(sasl_conn_t *conn, void *context, int id, sasl_secret_t **secret)
{
	smtp_sasl_creds_t *creds = context;

	(void)conn;
	if (id != SASL_CB_PASS)
		return SASL_FAIL;
	*secret = creds->secret;
	return SASL_OK;
}

/* The option words of the parameter as libsasl2 security properties. */
static int smtp_sasl_secprops(const char *param, sasl_security_properties_t *props)
{
	str_t bad = STR_INIT;
	int flags;

	memset(props, 0, sizeof(*props));
	if (sasl_server_parse_options(conf_str(param), &flags, &bad) < 0) {
		log_warning("%s: unknown option %s", param, str_cstr(&bad));
		str_free(&bad);
		return -1;
	}
	props->security_flags = SASL_SEC_NOPLAINTEXT * !!(flags & SASL_SERVER_NOPLAINTEXT)
		| SASL_SEC_NOACTIVE * !!(flags & SASL_SERVER_NOACTIVE)
		| SASL_SEC_NODICTIONARY * !!(flags & SASL_SERVER_NODICTIONARY)
		| SASL_SEC_NOANONYMOUS * !!(flags & SASL_SERVER_NOANONYMOUS)
		| SASL_SEC_MUTUAL_AUTH * !!(flags & SASL_SERVER_MUTUAL_AUTH);
	return 0;
}

/* Send base64 of out, or the AUTH command with it as initial response. */
static void smtp_sasl_send(smtp_session_t *s, const char *mech, const char *out, unsigned len)
{
	str_t text = STR_INIT;

	base64_encode(out, len, &text);
	if (mech == NULL)
		smtp_chat_cmd(s, smtp_conf.helo_timeout, "%s", str_cstr(&text));
	else if (out == NULL)
		smtp_chat_cmd(s, smtp_conf.helo_timeout, "AUTH %s", mech);
	else
		smtp_chat_cmd(s, smtp_conf.helo_timeout, "AUTH %s %s", mech, len ? text.data : "=");
	str_free(&text);
}

/* The server said no: try again later rather than bounce for a wrong
 * password (Postfix's smtp_sasl_auth_soft_bounce), in Postfix's words. */
static void smtp_sasl_refused(smtp_session_t *s, const smtp_reply_t *r)
{
	char dsn[SMTP_REPLY_DSN_MAX];
	str_t text = STR_INIT;

	smtp_reply_text(r, &text);
	snprintf(dsn, sizeof(dsn), "4%s", r->code >= 400 ? r->dsn + 1 : ".7.0");
	smtp_status_set(&s->fail, dsn, "SASL authentication failed; server %s said: %s",
			s->namaddr, str_cstr(&text));
	str_free(&text);
}

/* Answer one 334 challenge; -1 when it cannot be answered. */
static int smtp_sasl_step(smtp_session_t *s, sasl_conn_t *conn, const smtp_reply_t *r)
{
	str_t challenge = STR_INIT;
	const char *text, *out;
	size_t text_len;
	unsigned len;
	int rc = -1;

	text = smtp_reply_line_text(r, 0, &text_len);
	if (base64_decode(text, text_len, &challenge) == 0
	    && sasl_client_step(conn, challenge.data, (unsigned)challenge.len, NULL, &out,
				&len) >= 0) {
		smtp_sasl_send(s, NULL, out, len);
		rc = 0;
	}
	str_free(&challenge);
	return rc;
}

/* The server's replies until 235 or a failure; 0 or -1 with s->fail. */
static int smtp_sasl_exchange(smtp_session_t *s, sasl_conn_t *conn)
{
	smtp_reply_t r;
	unsigned steps = 0;
	int rc = -1;

	smtp_reply_init(&r);
	while (smtp_chat_reply(s, &r, smtp_conf.helo_timeout, "authenticating") == 0) {
		if (r.code == 235) {
			rc = 0;
		} else if (r.code != 334) {
			smtp_sasl_refused(s, &r);
		} else if (++steps > SMTP_SASL_STEPS_MAX || smtp_sasl_step(s, conn, &r) < 0) {
			smtp_status_set(&s->fail, "4.7.0", "SASL authentication failed; cannot "
					"authenticate to server %s: %s", s->namaddr,
					sasl_errdetail(conn));
			/* "*" ends the exchange, and the session stays in step */
			smtp_chat_cmd(s, smtp_conf.helo_timeout, "*");
			(void)smtp_chat_reply(s, &r, smtp_conf.helo_timeout, "authenticating");
		} else {
			continue;
		}
		break;
	}
	smtp_reply_free(&r);
	return rc;
}

/* One AUTH exchange with user and pass; 0, or -1 with s->fail. */
static int smtp_sasl_login(smtp_session_t *s, const char *user, const str_t *pass)
{
	smtp_sasl_creds_t creds = { .user = user };
	sasl_callback_t callbacks[] = {
		{ SASL_CB_USER, (int (*)(void))(void (*)(void))smtp_sasl_user, &creds },
		{ SASL_CB_AUTHNAME, (int (*)(void))(void (*)(void))smtp_sasl_user, &creds },
		{ SASL_CB_PASS, (int (*)(void))(void (*)(void))smtp_sasl_pass, &creds },
		{ SASL_CB_LIST_END, NULL, NULL },
	};
	sasl_security_properties_t props;
	sasl_conn_t *conn = NULL;
	const char *out = NULL, *mech = NULL;
	unsigned len = 0;
	int rc = -1;

	creds.secret = mem_calloc(1, sizeof(sasl_secret_t) + pass->len + 1);
	creds.secret->len = pass->len;
	memcpy(creds.secret->data, pass->data ? pass->data : "", pass->len);
	if (smtp_sasl_secprops(s->tls ? "smtp_sasl_tls_security_options"
			       : "smtp_sasl_security_options", &props) < 0
	    || sasl_client_new(SMTP_SASL_SERVICE, s->host, NULL, NULL, callbacks, 0, &conn) != SASL_OK
	    || sasl_setprop(conn, SASL_SEC_PROPS, &props) != SASL_OK) {
		smtp_status_set(&s->fail, "4.7.0", "SASL per-connection initialization failed");
	} else if ((rc = sasl_client_start(conn, str_cstr(&s->auth_mechs), NULL, &out, &len,
					   &mech)) != SASL_OK && rc != SASL_CONTINUE) {
		smtp_status_set(&s->fail, "4.7.0", "SASL authentication failed; server %s offered "
				"no compatible authentication mechanisms for this type of "
				"connection security", s->namaddr);
		rc = -1;
	} else {
		smtp_sasl_send(s, mech, out, len);
		rc = smtp_sasl_exchange(s, conn);
	}
	sasl_dispose(&conn);
	memset(creds.secret->data, 0, pass->len);
	mem_free(creds.secret);
	return rc;
}

int smtp_sasl_auth(smtp_session_t *s)
{
	str_t user = STR_INIT, pass = STR_INIT;
	int found, rc = 0;

	if (!smtp_conf.sasl_enable || !(s->features & SMTP_FEATURE_AUTH))
		return 0;
	found = smtp_sasl_lookup(s->nexthop, s->host, &user, &pass, &s->fail);
	if (found < 0)
		rc = -1;
	else if (found > 0)
		rc = smtp_sasl_login(s, str_cstr(&user), &pass);
	if (pass.data)
		memset(pass.data, 0, pass.len);
	str_free(&user);
	str_free(&pass);
	return rc;
}
