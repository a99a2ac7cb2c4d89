/*
 * smtpd: the SMTP server's shared types.
 *
 * One process serves one client at a time (daemon_single_server). The
 * configuration is read once per process into smtpd_conf; everything about
 * one connection lives in an smtpd_session_t that the command handlers
 * (smtpd_cmd.c, smtpd_mail.c, smtpd_data.c) receive.
 */
#ifndef POCHTA_SMTPD_H
#define POCHTA_SMTPD_H

#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "queue.h"
#include "sasl_server.h"
#include "smtp_cmd.h"
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

#define SMTPD_VERB_COUNT 12		/* entries in smtpd_verbs[] */
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
void smtpd_peer_lookup(int fd, smtpd_peer_t *peer);

/* smtpd_reply.c */
void smtpd_reply(smtpd_session_t *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void smtpd_reply_flush(smtpd_session_t *s);
void smtpd_reply_timeout(smtpd_session_t *s);

/* smtpd_cmd.c */
void smtpd_cmd_run(smtpd_session_t *s);

/* smtpd_mail.c */
void smtpd_cmd_mail(smtpd_session_t *s, const char *arg);
void smtpd_cmd_rcpt(smtpd_session_t *s, const char *arg);
void smtpd_trans_reset(smtpd_session_t *s);
void smtpd_reply_write_error(smtpd_session_t *s, int err);

/* smtpd_restrict.c: the restriction lists, parsed at start (before the
 * privilege drop: they open tables); 0 to go on, or 1 with the reply set. */
void smtpd_restrict_init(void);
int smtpd_restrict_rcpt(smtpd_session_t *s, const char *rcpt, const char *given, str_t *reply);
int smtpd_restrict_data(smtpd_session_t *s, str_t *reply);

/* smtpd_check.c */
/* rcpt qualified, given as the client gave it; finals: what it rewrites
 * to, each ended by a NUL. 0 to accept, or 1 with the reply set. */
int smtpd_check_rcpt(smtpd_session_t *s, const char *rcpt, const char *given, const char *finals,
		     size_t nfinals, str_t *reply);

/* smtpd_data.c */
void smtpd_cmd_data(smtpd_session_t *s, const char *arg);

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

/* smtpd_log.c */
/* "SMTP", "ESMTP", and RFC 3848's "ESMTPS", "ESMTPA", "ESMTPSA" for Received */
const char *smtpd_log_protocol(const smtpd_session_t *s);
void smtpd_log_reject(smtpd_session_t *s, const char *what, const char *reply, const char *rcpt);
void smtpd_log_lost(smtpd_session_t *s, int status);
void smtpd_log_disconnect(smtpd_session_t *s);
void smtpd_log_long_request(smtpd_session_t *s, const str_t *start, size_t limit);

#endif
