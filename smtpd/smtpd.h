/*
 * smtpd: the SMTP server's shared types.
 *
 * One process serves one client at a time (daemon_single_server). The
 * configuration is read once per process into smtpd_conf; everything about
 * one connection lives in an smtpd_session_t that the command handlers
 * (smtpd_cmd.c, smtpd_mail.c, smtpd_data.c, smtpd_bdat.c) receive.
 */
#ifndef POCHTA_SMTPD_H
#define POCHTA_SMTPD_H

#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "queue.h"
#include "sasl_server.h"
#include "smtp_bdat.h"
#include "smtp_cmd.h"
#include "smtpd_msg.h"
#include "str.h"
#include "stream.h"
#include "tls.h"

#define SMTPD_ADDR_MAX INET6_ADDRSTRLEN		/* printed client address */
#define SMTPD_NAMADDR_MAX (NI_MAXHOST + SMTPD_ADDR_MAX + 3)	/* "name[addr]" */
#define SMTPD_WHERE_MAX 64			/* "DATA (123 bytes)" */

/* mynetworks, parsed once. */
typedef struct smtpd_net {
	int family;			/* AF_INET or AF_INET6 */
	unsigned char addr[16];		/* network bytes, host bits cleared */
	int bits;			/* prefix length */
} smtpd_net_t;

typedef struct smtpd_mynet {
	smtpd_net_t *nets;
	size_t count;
} smtpd_mynet_t;

typedef struct smtpd_conf {
	const char *myhostname;
	const char *banner;
	const char *myorigin;
	const char *mail_name;
	long timeout;
	int per_request_deadline;	/* smtpd_per_request_deadline: timeout per request */
	int min_data_rate;		/* smtpd_min_data_rate: bytes/s that earn DATA a second */
	long recipient_limit;
	long hard_error_limit;
	long soft_error_limit;
	long error_sleep_time;
	long junk_command_limit;
	long message_size_limit;	/* 0: no limit */
	long line_length_limit;
	int disable_vrfy;
	int reject_bare_newline;	/* smtpd_forbid_bare_newline = reject */
	smtpd_mynet_t mynetworks;
	int sasl_auth_enable;		/* smtpd_sasl_auth_enable */
	int tls_auth_only;		/* smtpd_tls_auth_only */
	int sasl_authenticated_header;	/* smtpd_sasl_authenticated_header: login in Received */
	int sasl_security;		/* smtpd_sasl_security_options as SASL_SERVER_ flags */
	long sasl_response_limit;	/* bytes of one AUTH response */
	const char *sasl_service;	/* smtpd_sasl_service */
	/* TLS, set up before the privilege drop (smtpd_tls_init) */
	int tls_level;			/* smtpd_tls_security_level: enum tls_level */
	int tls_wrappermode;		/* smtpd_tls_wrappermode: TLS from the start */
	long starttls_timeout;		/* smtpd_starttls_timeout: one handshake */
	long tls_loglevel;		/* smtpd_tls_loglevel: 1 logs each TLS session */
	tls_server_t *tls;		/* NULL when TLS is off or failed to load */
} smtpd_conf_t;

extern smtpd_conf_t smtpd_conf;

/* The client at the other end. */
typedef struct smtpd_peer {
	struct sockaddr_storage sa;	/* IPv4-mapped IPv6 turned into IPv4 */
	int known;			/* sa holds an IP address */
	char addr[SMTPD_ADDR_MAX];	/* "127.0.0.1", or "unknown" */
	char name[NI_MAXHOST];		/* verified reverse name, or "unknown" */
	char namaddr[SMTPD_NAMADDR_MAX];	/* "name[addr]" for the log */
} smtpd_peer_t;

/* ok/total per command, for the "disconnect from" line. */
typedef struct smtpd_count {
	unsigned ok;
	unsigned total;
} smtpd_count_t;

#define SMTPD_VERB_COUNT 13		/* entries in smtpd_verbs[] */
#define SMTPD_COUNT_UNKNOWN SMTPD_VERB_COUNT	/* index for unrecognized commands */

typedef struct smtpd_session {
	stream_t *client;
	smtpd_peer_t peer;
	str_t line;			/* the command line as read */
	smtp_cmd_t cmd;
	str_t helo;			/* "" before HELO/EHLO */
	int esmtp;			/* EHLO was used */
	tls_conn_t *tls;		/* non-NULL once TLS is on */
	/* SMTP AUTH: the libsasl2 connection, and who authenticated how */
	sasl_server_t *sasl;		/* NULL until needed, and after a failure */
	str_t sasl_username;		/* "" until AUTH succeeded */
	str_t sasl_method;		/* "PLAIN" */
	/* the mail transaction: qw is non-NULL between MAIL and its end */
	queue_writer_t *qw;
	str_t sender;
	int sender_qualified;		/* the client gave no domain: @$myorigin was added */
	str_t rcpts;			/* queued final recipients, each ended by a NUL */
	size_t rcpt_count;		/* RCPT commands accepted */
	const char *body_type;		/* "7BIT", "8BITMIME" or NULL */
	str_t sasl_sender;		/* MAIL FROM AUTH=, kept when authenticated */
	/* DSN (RFC 3461, smtpd_dsn.c) and SMTPUTF8 (RFC 6531) of the
	 * transaction, from MAIL FROM; smtpd_trans_reset clears them */
	const char *dsn_ret;		/* RET=: "FULL", "HDRS" or NULL */
	str_t dsn_envid;		/* ENVID= decoded, "" when not given */
	int smtputf8;			/* SMTPUTF8 was given: UTF-8 addresses allowed */
	/* BDAT (smtpd_bdat.c): the message of the transaction whose queue ID
	 * is bdat_id ("": none) waits here between chunks, without heap
	 * memory. smtpd_trans_reset knows nothing of it: the ID, unique over
	 * the life of the queue, tells whether qw is still that transaction. */
	char bdat_id[QUEUE_ID_SIZE];
	smtp_bdat_t bdat_lines;		/* CR LF to LF across chunks */
	smtpd_msg_t bdat_msg;
	/* client limits and the greeting check (smtpd_anvil.c, smtpd_pregreet.c) */
	double connect_time;		/* smtpd_pregreet_now() at connect */
	int anvil_connected;		/* anvil counts this connection: tell it the end */
	/* restriction state (smtpd_restrict.c, smtpd_access.c, smtpd_pipelining.c) */
	int access_denied;		/* client list rejected at connect: 503 to all but QUIT */
	int pipelining_abused;		/* sent ahead of a reply unasked: reject_unauth_pipelining */
	int hold;			/* HOLD action in this transaction: kept in hold/ */
	int discard;			/* DISCARD action: accepted, never delivered */
	/* accounting */
	char where[SMTPD_WHERE_MAX];	/* "CONNECT", the last verb, "END-OF-MESSAGE" */
	long error_count;
	long junk_count;
	int failed;			/* the current command got a 4xx/5xx */
	int done;			/* end the session after this command */
	smtpd_count_t counts[SMTPD_VERB_COUNT + 1];
} smtpd_session_t;

/* A command: its verb, handler, whether it is "junk" (NOOP, RSET, VRFY),
 * and whether it is allowed before STARTTLS where TLS is required. */
typedef struct smtpd_verb {
	const char *name;
	void (*handler)(smtpd_session_t *s, const char *arg);
	int junk;
	int pre_tls;
} smtpd_verb_t;

extern const smtpd_verb_t smtpd_verbs[SMTPD_VERB_COUNT];

/* smtpd.c */
/* Read one line of at most limit bytes (its line end included) into line;
 * the rest of a longer one is read and dropped, and *too_long set. A
 * stream_status: a line cut by the end of input is STREAM_EOF. */
int smtpd_read_line(smtpd_session_t *s, str_t *line, size_t limit, int *too_long);

/* smtpd_conf.c */
void smtpd_conf_load(void);

/* smtpd_mynet.c */
void smtpd_mynet_parse(const char *value, smtpd_mynet_t *list);
int smtpd_mynet_match(const smtpd_mynet_t *list, const struct sockaddr_storage *sa);

/* smtpd_peer.c */
/* The client's address, and its verified name when with_name. */
void smtpd_peer_lookup(int fd, smtpd_peer_t *peer, int with_name);

/* smtpd_reply.c */
void smtpd_reply(smtpd_session_t *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void smtpd_reply_flush(smtpd_session_t *s);
void smtpd_reply_timeout(smtpd_session_t *s);

/* smtpd_cmd.c */
void smtpd_cmd_run(smtpd_session_t *s);
int smtpd_cmd_bare_lf(const str_t *line);	/* a line ended by LF without CR */

/* smtpd_dsn.c: the DSN parameters (RFC 3461). NOTIFY= and ORCPT= of one
 * RCPT command; zeroed memory is an empty one. */
typedef struct smtpd_dsn_rcpt {
	int notify;			/* QUEUE_NOTIFY_ flags, 0 when not given */
	str_t orcpt;			/* "addr-type;address" decoded, "" when not given */
} smtpd_dsn_rcpt_t;

/* RET= and ENVID= of MAIL FROM into the session; 0, or -1 after a reply. */
int smtpd_dsn_ret(smtpd_session_t *s, const char *value);
int smtpd_dsn_envid(smtpd_session_t *s, const char *value);
/* RCPT TO's parameters: NOTIFY= and ORCPT= into dsn, any other is
 * refused; 0, or -1 after a reply. */
int smtpd_dsn_rcpt_params(smtpd_session_t *s, const smtp_params_t *params, smtpd_dsn_rcpt_t *dsn);
void smtpd_dsn_rcpt_free(smtpd_dsn_rcpt_t *dsn);
/* Into the queue file: the session's as attributes, a RCPT's as the
 * records after its O record; 0, or -1 with errno. */
int smtpd_dsn_put_mail(smtpd_session_t *s);
int smtpd_dsn_put_rcpt(smtpd_session_t *s, const smtpd_dsn_rcpt_t *dsn);

/* smtpd_mail.c */
void smtpd_cmd_mail(smtpd_session_t *s, const char *arg);
void smtpd_cmd_rcpt(smtpd_session_t *s, const char *arg);
void smtpd_trans_reset(smtpd_session_t *s);
void smtpd_reply_write_error(smtpd_session_t *s, int err);

/* smtpd_space.c: room in the queue for a message of size bytes (0: not
 * declared); 0, or -1 after a 452 4.3.1. */
int smtpd_space_check(smtpd_session_t *s, unsigned long long size);

/* smtpd_restrict.c: the restriction lists, parsed at start (before the
 * privilege drop: they open tables); 0 to go on, or 1 with the reply set. */
void smtpd_restrict_init(void);
int smtpd_restrict_data(smtpd_session_t *s, str_t *reply);
/* The lists that smtpd_delay_reject = no runs early, each replying and
 * logging a reject itself: 0 to go on, 1 when rejected. At connect (1:
 * the reply replaces the greeting), at HELO/EHLO with the name given (a
 * rejected name is not taken), at MAIL once the sender is parsed (every
 * MAIL also starts the transaction's HOLD and DISCARD afresh). */
int smtpd_restrict_connect(smtpd_session_t *s);
int smtpd_restrict_helo(smtpd_session_t *s, const char *name);
int smtpd_restrict_mail(smtpd_session_t *s);
/* After a reject at connect every verb but QUIT gets 503: 1 when replied. */
int smtpd_restrict_denied(smtpd_session_t *s, const char *verb);

/* smtpd_pipelining.c: before a command (or the greeting: "CONNECT") runs,
 * note input sent ahead without PIPELINING (reject_unauth_pipelining). */
void smtpd_pipelining_check(smtpd_session_t *s, const char *verb);

/* smtpd_check.c */
/* rcpt qualified, given as the client gave it; finals: what it rewrites
 * to, each ended by a NUL. 0 to accept, or 1 with the reply set. */
int smtpd_check_rcpt(smtpd_session_t *s, const char *rcpt, const char *given, const char *finals,
		     size_t nfinals, str_t *reply);

/* smtpd_data.c */
void smtpd_cmd_data(smtpd_session_t *s, const char *arg);

/* smtpd_bdat.c */
void smtpd_cmd_bdat(smtpd_session_t *s, const char *arg);
/* MAIL, RCPT or DATA while BDAT chunks are open: 1 after a 503. */
int smtpd_bdat_refuse_verb(smtpd_session_t *s, const char *verb);

/* smtpd_tls.c */
void smtpd_tls_init(void);			/* before the privilege drop */
void smtpd_tls_setup(void);			/* after it */
void smtpd_tls_ehlo(const smtpd_session_t *s, str_t *line);	/* "250-STARTTLS\r\n" if offered */
int smtpd_tls_required(const smtpd_session_t *s);	/* encrypt, and TLS not on yet */
/* The server handshake (STARTTLS, or wrappermode before the greeting);
 * 0, or -1 after logging why: the session must end. */
int smtpd_tls_handshake(smtpd_session_t *s);
void smtpd_cmd_starttls(smtpd_session_t *s, const char *arg);
void smtpd_tls_free(smtpd_session_t *s);

/* smtpd_auth.c */
int smtpd_auth_offered(const smtpd_session_t *s);
void smtpd_auth_ehlo(smtpd_session_t *s, str_t *line);	/* appends "250-AUTH ...\r\n" if offered */
void smtpd_cmd_auth(smtpd_session_t *s, const char *arg);
/* MAIL FROM's AUTH= value; 0, or -1 after a reply. */
int smtpd_auth_mail_param(smtpd_session_t *s, const char *value);
void smtpd_auth_free(smtpd_session_t *s);

/* smtpd_anvil.c: per-client connection, message, recipient and AUTH
 * limits counted by the anvil service. A check returns 0 to go on, or -1
 * after the reply (a 421 from smtpd_anvil_connect ends the session). */
void smtpd_anvil_init(void);			/* after the privilege drop */
int smtpd_anvil_exempt(const smtpd_session_t *s);	/* in the exception list */
int smtpd_anvil_connect(smtpd_session_t *s);
void smtpd_anvil_disconnect(smtpd_session_t *s);	/* at the session's end */
int smtpd_anvil_mail(smtpd_session_t *s);
int smtpd_anvil_rcpt(smtpd_session_t *s);
int smtpd_anvil_auth(smtpd_session_t *s);

/* smtpd_pregreet.c: a plaintext client that talks before the greeting
 * (within smtpd_greet_wait) gets 554: -1 then, the session must end. */
double smtpd_pregreet_now(void);		/* monotonic seconds */
int smtpd_pregreet_check(smtpd_session_t *s);

/* smtpd_log.c */
/* "SMTP", "ESMTP", and RFC 3848's "ESMTPS", "ESMTPA", "ESMTPSA" for Received;
 * RFC 6531's "UTF8SMTP", "UTF8SMTPS", "UTF8SMTPA", "UTF8SMTPSA" after SMTPUTF8 */
const char *smtpd_log_protocol(const smtpd_session_t *s);
void smtpd_log_reject(smtpd_session_t *s, const char *what, const char *reply, const char *rcpt);
/* Postfix's line for a reject, hold or discard at what ("RCPT"): text, then
 * from=<sender> (left out when NULL: before MAIL) and to=<rcpt> (when not NULL). */
void smtpd_log_action(smtpd_session_t *s, const char *action, const char *what, const char *text,
		      const char *sender, const char *rcpt);
void smtpd_log_lost(smtpd_session_t *s, int status);
void smtpd_log_disconnect(smtpd_session_t *s);
void smtpd_log_long_request(smtpd_session_t *s, const str_t *start, size_t limit);

#endif
