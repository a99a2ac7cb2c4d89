/*
 * smtp: declarations shared by the files of the smtp delivery agent.
 *
 * qmgr sends one request per message and next hop over private/smtp (or
 * private/relay, or any master.cf service that runs this program):
 * queue_id, queue_dir, sender, nexthop and "rcpt"/"offset" pairs. The
 * agent reads the queue file itself, delivers over SMTP to the next hop,
 * marks each accepted recipient done in the file at once, and answers
 * with "relay" (host[addr]:port, or "none") and one "offset"/"dsn"/
 * "status"/"reason" group per recipient, which qmgr logs.
 *
 * The pieces: smtp_request (the request and the reply), smtp_deliver (one
 * delivery: a session, then a transaction), smtp_nexthop (where to
 * connect), smtp_connect (TCP, then the session set-up on each address in
 * turn), smtp_session (greeting, EHLO/HELO, RSET, QUIT), smtp_tls
 * (STARTTLS), smtp_sasl (AUTH), smtp_trans (MAIL, RCPT, DATA, pipelined
 * when offered), smtp_body (the content on the wire), smtp_chat (commands
 * and replies, with the stage each belongs to), smtp_dsn (DSN
 * parameters passed on), smtp_cache (a session kept open for the next
 * request to the same next hop).
 */
#ifndef POCHTA_SMTP_H
#define POCHTA_SMTP_H

#include <netinet/in.h>
#include <stdarg.h>
#include <sys/socket.h>

#include "dns.h"
#include "ipc.h"
#include "queue.h"
#include "smtp_reply.h"
#include "str.h"
#include "stream.h"
#include "tls_client.h"

#define SMTP_DEFAULT_PORT "25"
#define SMTP_PORT_MAX 32		/* a port number or service name */
#define SMTP_HOST_MAX (DNS_NAME_MAX + 1)
#define SMTP_ADDR_TEXT_MAX INET6_ADDRSTRLEN
#define SMTP_NAMADDR_MAX (SMTP_HOST_MAX + SMTP_ADDR_TEXT_MAX + 2)	/* host[addr] */
#define SMTP_RELAY_MAX (SMTP_NAMADDR_MAX + 1 + SMTP_PORT_MAX)		/* host[addr]:port */
#define SMTP_TARGETS_MAX 64		/* addresses considered per delivery */
#define SMTP_TIMEOUT_MAX 86400		/* seconds: longer timeouts are cut to this */

/* TLS for the smtp client (smtp_tls_security_level). */
enum smtp_tls_level {
	SMTP_TLS_NONE,
	SMTP_TLS_MAY,			/* STARTTLS when offered */
	SMTP_TLS_ENCRYPT,		/* STARTTLS required, any certificate */
	SMTP_TLS_VERIFY,		/* required, certificate trusted and naming the host */
};

/* What qmgr's request and main.cf tell the agent, read once at start. */
typedef struct smtp_conf {
	const char *helo_name;		/* smtp_helo_name */
	int connect_timeout;		/* smtp_connect_timeout */
	int helo_timeout;		/* smtp_helo_timeout: greeting, EHLO, AUTH */
	int starttls_timeout;
	int mail_timeout;
	int rcpt_timeout;
	int data_init_timeout;
	int data_xfer_timeout;
	int data_done_timeout;
	int rset_timeout;
	int quit_timeout;
	long mx_address_limit;		/* smtp_mx_address_limit */
	int tls_level;
	int tls_loglevel;
	int sasl_enable;
	long cache_time_limit;		/* smtp_connection_cache_time_limit */
	long reuse_count_limit;		/* smtp_connection_reuse_count_limit (0: none) */
	long reuse_time_limit;		/* smtp_connection_reuse_time_limit */
	long min_backoff;		/* minimal_backoff_time: see smtp_connect.c */
	uid_t queue_owner;
} smtp_conf_t;

extern smtp_conf_t smtp_conf;

/* A delivery status: the enhanced code says sent (2), deferred (4) or bounced (5). */
#define SMTP_DIAGNOSTIC_MAX 1024	/* bytes of a server reply kept for the sender's report */

typedef struct smtp_status {
	char dsn[SMTP_REPLY_DSN_MAX];
	str_t reason;
	char diagnostic[SMTP_DIAGNOSTIC_MAX];	/* the server's reply behind it, or "" */
} smtp_status_t;

void smtp_status_set(smtp_status_t *st, const char *dsn, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void smtp_status_vset(smtp_status_t *st, const char *dsn, const char *fmt, va_list ap);
void smtp_status_copy(smtp_status_t *to, const smtp_status_t *from);

/* One recipient of the request. */
typedef struct smtp_rcpt {
	const char *offset;		/* as qmgr sent it: the key of its reply */
	const queue_rcpt_t *qr;		/* its record in the queue file */
	int settled;			/* st is final for this delivery */
	int accepted;			/* RCPT got a 2xx in this transaction */
	int dsn_passed;			/* the server offered DSN: it reports success itself */
	smtp_status_t st;
} smtp_rcpt_t;

/* One request from qmgr: a message, a next hop, recipients. */
typedef struct smtp_request {
	const char *id;
	const char *nexthop;
	int fd;				/* the queue file, shared-locked */
	queue_msg_t qm;
	smtp_rcpt_t *rcpts;
	size_t nrcpts;
	char relay[SMTP_RELAY_MAX];	/* for qmgr's log: host[addr]:port or "none" */
	const char *hop_status;		/* for qmgr's concurrency: "reached", "failed" or NULL */
} smtp_request_t;

/* Settle one recipient (marked done in the queue file when sent). */
void smtp_rcpt_settle(smtp_request_t *req, smtp_rcpt_t *rcpt, const smtp_status_t *st);
/* Settle every recipient not settled yet (and, with accepted_only, only
 * those whose RCPT was accepted). */
void smtp_rcpt_settle_all(smtp_request_t *req, const smtp_status_t *st, int accepted_only);
size_t smtp_rcpt_unsettled(const smtp_request_t *req);

/* smtp_request.c: answer one request (reply gets relay and the groups). */
void smtp_request(const ipc_msg_t *request, ipc_msg_t *reply);

/* EHLO keywords the server offered. */
enum smtp_feature {
	SMTP_FEATURE_PIPELINING = 1,
	SMTP_FEATURE_SIZE = 2,
	SMTP_FEATURE_8BITMIME = 4,
	SMTP_FEATURE_STARTTLS = 8,
	SMTP_FEATURE_AUTH = 16,
	SMTP_FEATURE_DSN = 32,
	SMTP_FEATURE_SMTPUTF8 = 64,
};

/* One address of the next hop. */
typedef struct smtp_target {
	char host[SMTP_HOST_MAX];	/* the name to show and to verify (MX host or literal) */
	char addr[SMTP_ADDR_TEXT_MAX];
	struct sockaddr_storage sa;	/* with the port */
	socklen_t salen;
} smtp_target_t;

typedef struct smtp_targets {
	size_t count;
	smtp_target_t t[SMTP_TARGETS_MAX];
} smtp_targets_t;

/* A connection to one SMTP server. */
typedef struct smtp_session {
	stream_t *st;
	tls_conn_t *tls;
	char *nexthop;			/* the next hop it was opened for (reuse key) */
	char host[SMTP_HOST_MAX];
	char namaddr[SMTP_NAMADDR_MAX];	/* host[addr], as reasons name it */
	char relay[SMTP_RELAY_MAX];	/* host[addr]:port, as qmgr logs it */
	unsigned features;		/* enum smtp_feature */
	unsigned long long size_max;	/* SIZE n, 0 when none given */
	str_t auth_mechs;		/* AUTH mechanisms offered, space separated */
	long transactions;		/* mail transactions begun on it */
	double opened;			/* monotonic seconds */
	double idle_since;
	int broken;			/* lost, timed out or out of step: no QUIT, no reuse */
	smtp_status_t fail;		/* why the last step failed */
} smtp_session_t;

/* smtp_nexthop.c: "[host]:port", "[addr]:port", "host:port", "host". */
typedef struct smtp_nexthop {
	char host[SMTP_HOST_MAX];
	char port[SMTP_PORT_MAX];
	int mx;				/* no brackets: MX lookup */
} smtp_nexthop_t;

int smtp_nexthop_parse(const char *text, smtp_nexthop_t *nh);
/* The addresses to try, in order; 0, or -1 with why (DNS failures). */
int smtp_nexthop_targets(const smtp_nexthop_t *nh, smtp_targets_t *out, smtp_status_t *why);

/* smtp_connect.c: a session to the request's next hop, set up (greeting,
 * EHLO, TLS, AUTH) on the first address that works; NULL with why. The
 * request's relay names the last server that answered. */
smtp_session_t *smtp_connect(smtp_request_t *req, smtp_status_t *why);

/* smtp_session.c */
smtp_session_t *smtp_session_new(int fd, const smtp_target_t *t, const char *port,
				 const char *nexthop);
/* Greeting and EHLO (HELO after a 5xx); 0, or -1 with s->fail. */
int smtp_session_greet(smtp_session_t *s);
int smtp_session_ehlo(smtp_session_t *s);
/* RSET before reuse; 0, or -1 (the session is then of no use). */
int smtp_session_rset(smtp_session_t *s);
/* QUIT unless broken, then close and free. */
void smtp_session_close(smtp_session_t *s);

/* smtp_chat.c: one command and its reply, within a stage's timeout. */
void smtp_chat_cmd(smtp_session_t *s, int timeout, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* 0 with the reply, or -1 with s->fail set and the session broken. */
int smtp_chat_reply(smtp_session_t *s, smtp_reply_t *r, int timeout, const char *doing);
int smtp_chat_flush(smtp_session_t *s, int timeout, const char *doing);
/* st = "host X[Y] said: TEXT (in reply to COMMAND command)" with the reply's code. */
void smtp_chat_said(const smtp_session_t *s, const smtp_reply_t *r, const char *command,
		    smtp_status_t *st);
/* The session broke while doing something: s->fail, s->broken. */
void smtp_chat_lost(smtp_session_t *s, int status, const char *why, const char *doing);

/* smtp_tls.c */
void smtp_tls_pre_drop(void);		/* smtp_tls_CAfile, while privileged */
void smtp_tls_setup(void);		/* the client context */
/* STARTTLS as level (enum smtp_tls_level) wants, then EHLO again; 0
 * (TLS on, or not needed and allowed), or -1 with s->fail;
 * *handshake_failed when the server offered TLS and the handshake itself
 * failed. */
int smtp_tls_start(smtp_session_t *s, int level, int *handshake_failed);

/* smtp_sasl.c */
void smtp_sasl_pre_drop(void);		/* smtp_sasl_password_maps */
void smtp_sasl_setup(void);		/* libsasl2's client side */
/* Credentials for the next hop (as written) or the server's host name:
 * 1 found, 0 none (or AUTH is off), -1 lookup error (why). */
int smtp_sasl_lookup(const char *nexthop, const char *host, str_t *user, str_t *pass,
		     smtp_status_t *why);
/* AUTH when the server offers it and credentials exist; 0, or -1 with s->fail. */
int smtp_sasl_auth(smtp_session_t *s);

/* smtp_deliver.c: deliver the request's unsettled recipients. */
void smtp_deliver(smtp_request_t *req);

/* smtp_trans.c: one mail transaction on s (MAIL, RCPT..., DATA). */
void smtp_trans(smtp_session_t *s, smtp_request_t *req);

/* smtp_dsn.c: the DSN parameters of MAIL and RCPT, appended to the command
 * when the server offers DSN. */
void smtp_dsn_mail(const smtp_session_t *s, const smtp_request_t *req, str_t *cmd);
void smtp_dsn_rcpt(const smtp_session_t *s, const queue_rcpt_t *qr, str_t *cmd);

/* smtp_body.c: the content, dot-stuffed with CR LF, and the final ".";
 * 0, or -1 with s->fail (the session is then broken). */
int smtp_body_send(smtp_session_t *s, const smtp_request_t *req);

/* smtp_cache.c: one idle session kept for the next request. */
smtp_session_t *smtp_cache_take(const char *nexthop);	/* after RSET; or NULL */
void smtp_cache_keep(smtp_session_t *s);	/* keep it, or close it when it cannot serve again */
/* Wait up to the cached session's idle limit for fd to become readable;
 * close the session when the limit passes first. */
void smtp_cache_idle_wait(int fd);
void smtp_cache_close(void);

double smtp_now(void);			/* monotonic seconds */

#endif
