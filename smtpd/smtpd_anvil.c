/*
 * smtpd_anvil: per-client limits counted by the anvil service
 * (lib/anvil_client.h), with Postfix's parameters, replies and warnings:
 *
 *   connect  smtpd_client_connection_count_limit (open at once, default 50)
 *            smtpd_client_connection_rate_limit (per anvil_rate_time_unit)
 *            421 4.7.0 HOST Error: too many connections from ADDR
 *            Connection concurrency limit exceeded: 51 from name[addr] for service smtp
 *            Connection rate limit exceeded: 31 from name[addr] for service smtp
 *   MAIL     smtpd_client_message_rate_limit
 *            450 4.7.1 Error: too much mail from ADDR
 *            Message delivery request rate limit exceeded: ...
 *   RCPT     smtpd_client_recipient_rate_limit
 *            450 4.7.1 Error: too many recipients from ADDR
 *            Recipient address rate limit exceeded: ...
 *   AUTH     smtpd_client_auth_rate_limit
 *            450 4.7.1 Error: too many AUTH commands from ADDR
 *            AUTH command rate limit exceeded: ...
 *
 * 0 turns a limit off; with every limit off anvil is never asked. The 421
 * ends the session; a 450 refuses that one command. Clients in
 * smtpd_client_event_limit_exceptions (default $mynetworks) and clients
 * without an IP address are not limited. As in Postfix, every connection
 * is registered with anvil whenever some limit is on, so the counts are
 * right whichever limits a service has. Without anvil, smtpd serves
 * without limits.
 */
#include "anvil_client.h"
#include "anvil_proto.h"
#include "conf.h"
#include "daemon.h"
#include "log.h"
#include "smtpd.h"

/* The limits, read once per process, and the connection to anvil. */
static struct smtpd_anvil_conf {
	long conn_count;
	long conn_rate;
	long message_rate;
	long rcpt_rate;
	long auth_rate;
	smtpd_mynet_t exceptions;
	anvil_client_t *anvil;		/* NULL when every limit is off */
} smtpd_anvil;

void smtpd_anvil_init(void)
{
	smtpd_anvil.conn_count = conf_int("smtpd_client_connection_count_limit");
	smtpd_anvil.conn_rate = conf_int("smtpd_client_connection_rate_limit");
	smtpd_anvil.message_rate = conf_int("smtpd_client_message_rate_limit");
	smtpd_anvil.rcpt_rate = conf_int("smtpd_client_recipient_rate_limit");
	smtpd_anvil.auth_rate = conf_int("smtpd_client_auth_rate_limit");
	smtpd_mynet_parse(conf_str("smtpd_client_event_limit_exceptions"), &smtpd_anvil.exceptions);
	if (smtpd_anvil.conn_count || smtpd_anvil.conn_rate || smtpd_anvil.message_rate
	    || smtpd_anvil.rcpt_rate || smtpd_anvil.auth_rate)
		smtpd_anvil.anvil = anvil_client_new(ANVIL_SOCKET_PATH);
}

int smtpd_anvil_exempt(const smtpd_session_t *s)
{
	return !s->peer.known || smtpd_mynet_match(&smtpd_anvil.exceptions, &s->peer.sa);
}

static int smtpd_anvil_counted(const smtpd_session_t *s)
{
	return smtpd_anvil.anvil != NULL && !smtpd_anvil_exempt(s);
}

int smtpd_anvil_connect(smtpd_session_t *s)
{
	long count, rate;

	if (!smtpd_anvil_counted(s)
	    || anvil_client_connect(smtpd_anvil.anvil, daemon_service(), s->peer.addr, &count, &rate) < 0)
		return 0;
	s->anvil_connected = 1;
	if (smtpd_anvil.conn_count > 0 && count > smtpd_anvil.conn_count)
		log_warning("Connection concurrency limit exceeded: %ld from %s for service %s",
			    count, s->peer.namaddr, daemon_service());
	else if (smtpd_anvil.conn_rate > 0 && rate > smtpd_anvil.conn_rate)
		log_warning("Connection rate limit exceeded: %ld from %s for service %s",
			    rate, s->peer.namaddr, daemon_service());
	else
		return 0;
	smtpd_reply(s, "421 4.7.0 %s Error: too many connections from %s",
		    smtpd_conf.myhostname, s->peer.addr);
	return -1;
}

void smtpd_anvil_disconnect(smtpd_session_t *s)
{
	if (s->anvil_connected)
		(void)anvil_client_disconnect(smtpd_anvil.anvil, daemon_service(), s->peer.addr);
	s->anvil_connected = 0;
}

/* Count one event of the client against limit (0: off); 0 within it, -1
 * after the warning and the 450 ("Error: " reply "from ADDR"). */
static int smtpd_anvil_event(smtpd_session_t *s, const char *request, long limit,
			     const char *what, const char *reply)
{
	long rate;

	if (limit == 0 || !smtpd_anvil_counted(s)
	    || anvil_client_rate(smtpd_anvil.anvil, request, daemon_service(), s->peer.addr, &rate) < 0
	    || rate <= limit)
		return 0;
	log_warning("%s rate limit exceeded: %ld from %s for service %s",
		    what, rate, s->peer.namaddr, daemon_service());
	smtpd_reply(s, "450 4.7.1 Error: %s from %s", reply, s->peer.addr);
	return -1;
}

/* MAIL and RCPT count only where they could be accepted: a nested MAIL or
 * a RCPT without MAIL gets its usual 503. */
int smtpd_anvil_mail(smtpd_session_t *s)
{
	if (s->qw != NULL)
		return 0;
	return smtpd_anvil_event(s, ANVIL_REQ_MESSAGE, smtpd_anvil.message_rate,
				 "Message delivery request", "too much mail");
}

int smtpd_anvil_rcpt(smtpd_session_t *s)
{
	if (s->qw == NULL)
		return 0;
	return smtpd_anvil_event(s, ANVIL_REQ_RECIPIENT, smtpd_anvil.rcpt_rate,
				 "Recipient address", "too many recipients");
}

int smtpd_anvil_auth(smtpd_session_t *s)
{
	return smtpd_anvil_event(s, ANVIL_REQ_AUTH, smtpd_anvil.auth_rate,
				 "AUTH command", "too many AUTH commands");
}
