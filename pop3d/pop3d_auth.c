/*
 * pop3d_auth: logging in, against the same libsasl2 user database as SMTP
 * AUTH (sasl_server.h):
 *
 *   USER name / PASS password             RFC 1939, checked with sasl_checkpass
 *   AUTH mechanism [initial-response]     RFC 5034: "+ challenge" lines,
 *                                         "*" gives up
 *
 * Passwords in the clear (USER/PASS, PLAIN, LOGIN) are refused before TLS
 * when pop3d_disable_plaintext_auth = yes. A failed login is answered
 * "-ERR [AUTH]" after pop3d_auth_failure_delay, whether or not the user
 * exists, and pop3d_auth_failure_limit of them end the connection; a
 * database problem is "-ERR [SYS/TEMP]". A login is handed to the session
 * process (pop3d_login.c), which answers it.
 */
#include <ctype.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "pop3d.h"
#include "sasl_server.h"

#define POP3D_AUTH_RESPONSE_MAX 12288	/* bytes of one AUTH response line */

void pop3d_auth_setup(void)
{
	sasl_server_setup(conf_str("sasldb_path"), conf_str("smtpd_sasl_mechanism_list"));
}

int pop3d_auth_plaintext_ok(const pop3d_session_t *s)
{
	return s->secured || !pop3d_conf.disable_plaintext_auth;
}

/* A libsasl2 connection for one exchange; NULL (logged) on error. */
static sasl_server_t *pop3d_auth_conn(pop3d_session_t *s)
{
	int flags = SASL_SERVER_NOANONYMOUS | (pop3d_auth_plaintext_ok(s) ? 0 : SASL_SERVER_NOPLAINTEXT);
	str_t err = STR_INIT;
	sasl_server_t *sp = sasl_server_open(pop3d_conf.sasl_service, pop3d_conf.myhostname, flags, &err);

	if (sp == NULL)
		log_warning("rip=%s: %s", s->rip, str_cstr(&err));
	str_free(&err);
	return sp;
}

/* The mechanisms offered now, separated by spaces ("" when none). */
static void pop3d_auth_mechs(pop3d_session_t *s, str_t *mechs)
{
	sasl_server_t *sp = pop3d_auth_conn(s);

	if (sp == NULL || sasl_server_mechs(sp, mechs) != 0)
		str_set(mechs, "");
	sasl_server_close(sp);
}

void pop3d_auth_capa(pop3d_session_t *s)
{
	str_t mechs = STR_INIT;

	pop3d_auth_mechs(s, &mechs);
	if (mechs.len > 0)
		stream_printf(s->client, "SASL %s\r\n", mechs.data);
	str_free(&mechs);
}

/* "AUTH" alone (RFC 1734's form, still sent by some clients): the
 * mechanisms one per line. */
static void pop3d_auth_list(pop3d_session_t *s)
{
	str_t mechs = STR_INIT;
	const char *p;

	pop3d_auth_mechs(s, &mechs);
	pop3d_ok(s, "Supported mechanisms follow");
	for (p = str_cstr(&mechs); *p; p += strspn(p, " ")) {
		size_t len = strcspn(p, " ");

		stream_printf(s->client, "%.*s\r\n", (int)len, p);
		p += len;
	}
	stream_puts(s->client, ".\r\n");
	str_free(&mechs);
}

/* The outcome of an exchange: log in, or say why not. */
static void pop3d_auth_result(pop3d_session_t *s, const char *user, const char *method,
			      int status, str_t *why)
{
	str_t shown = STR_INIT;

	str_append_escaped(&shown, user, strlen(user));
	if (status == SASL_SERVER_DONE) {
		pop3d_login_handoff(s, user, method);
	} else if (status == SASL_SERVER_TEMP) {
		log_warning("authentication problem: user=<%s>, method=%s, rip=%s: %s",
			    shown.data, method, s->rip, str_cstr(why));
		pop3d_err(s, "[SYS/TEMP] Temporary authentication failure");
	} else {
		log_warning("authentication failed: user=<%s>, method=%s, rip=%s: %s",
			    shown.data, method, s->rip, str_cstr(why));
		stream_flush(s->client);
		if (pop3d_conf.auth_failure_delay > 0)
			sleep((unsigned)pop3d_conf.auth_failure_delay);
		pop3d_err(s, "[AUTH] Authentication failed");
		s->errors++;
		if (++s->auth_failures >= pop3d_conf.auth_failure_limit)
			s->done = 1;
	}
	str_free(&shown);
}

void pop3d_cmd_user(pop3d_session_t *s, const char *arg)
{
	if (!pop3d_auth_plaintext_ok(s)) {
		pop3d_err(s, "[AUTH] Plaintext authentication disallowed on non-secure connections");
	} else if (*arg == 0 || strlen(arg) > POP3D_USER_MAX || strchr(arg, ' ') != NULL) {
		pop3d_err(s, "Syntax: USER name");
		s->errors++;
	} else {
		str_set(&s->user, arg);
		pop3d_ok(s, "User name accepted, password please");
	}
}

void pop3d_cmd_pass(pop3d_session_t *s, const char *arg)
{
	str_t why = STR_INIT;
	sasl_server_t *sp;

	if (s->user.len == 0) {
		pop3d_err(s, "No user name given");
		s->errors++;
	} else if (!pop3d_auth_plaintext_ok(s)) {
		pop3d_err(s, "[AUTH] Plaintext authentication disallowed on non-secure connections");
	} else if ((sp = pop3d_auth_conn(s)) == NULL) {
		pop3d_err(s, "[SYS/TEMP] Temporary authentication failure");
	} else {
		int status = sasl_server_checkpass(sp, s->user.data, arg, &why);

		sasl_server_close(sp);
		pop3d_auth_result(s, s->user.data, "PASS", status, &why);
	}
	if (!s->handed_off)
		str_set(&s->user, "");	/* RFC 1939: USER again after a failed PASS */
	str_free(&why);
}

/* Read the answer to a challenge; 0, or -1 when the session is over or
 * the line was too long (replied). */
static int pop3d_auth_response(pop3d_session_t *s, str_t *resp)
{
	int status;

	stream_set_deadline(s->client, 1);	/* the whole line within pop3d_timeout */
	status = stream_getline(s->client, resp, POP3D_AUTH_RESPONSE_MAX);
	stream_set_deadline(s->client, 0);

	if (status == STREAM_TOOLONG) {
		pop3d_err(s, "Authentication line too long");
		s->done = 1;
		return -1;
	}
	if (status != STREAM_OK || resp->len == 0 || resp->data[resp->len - 1] != '\n') {
		s->done = 1;
		return -1;
	}
	while (resp->len > 0 && (resp->data[resp->len - 1] == '\n' || resp->data[resp->len - 1] == '\r'))
		str_truncate(resp, resp->len - 1);
	return 0;
}

/* The exchange after "AUTH mech [initial]"; the status, or -1 replied. */
static int pop3d_auth_exchange(pop3d_session_t *s, sasl_server_t *sp, const char *mech,
			       const char *initial, str_t *reply)
{
	str_t resp = STR_INIT;
	int status = sasl_server_begin(sp, mech, initial, reply);

	while (status == SASL_SERVER_MORE) {
		stream_printf(s->client, "+ %s\r\n", str_cstr(reply));
		if (pop3d_auth_response(s, &resp) < 0) {
			status = -1;
		} else if (strcmp(resp.data, "*") == 0) {
			pop3d_err(s, "Authentication aborted");
			status = -1;
		} else {
			status = sasl_server_next(sp, resp.data, reply);
		}
	}
	str_free(&resp);
	return status;
}

void pop3d_cmd_auth(pop3d_session_t *s, const char *arg)
{
	size_t len = strcspn(arg, " ");
	const char *rest = arg[len] ? arg + len + 1 : NULL;
	str_t mech = STR_INIT, reply = STR_INIT;
	sasl_server_t *sp;
	int status;

	for (size_t i = 0; i < len; i++)
		str_putc(&mech, toupper((unsigned char)arg[i]));
	if (*arg == 0) {
		pop3d_auth_list(s);
	} else if (len == 0 || (rest != NULL && (*rest == 0 || strchr(rest, ' ') != NULL))) {
		pop3d_err(s, "Syntax: AUTH mechanism [initial-response]");
		s->errors++;
	} else if ((sp = pop3d_auth_conn(s)) == NULL) {
		pop3d_err(s, "[SYS/TEMP] Temporary authentication failure");
	} else {
		if (rest != NULL && strcmp(rest, "=") == 0)
			rest = "";
		status = pop3d_auth_exchange(s, sp, mech.data, rest, &reply);
		if (status >= 0)
			pop3d_auth_result(s, status == SASL_SERVER_DONE ? sasl_server_username(sp) : "",
					  mech.data, status, &reply);
		sasl_server_close(sp);
	}
	str_free(&mech);
	str_free(&reply);
}
