/*
 * pop3d: the POP3 server's shared types (RFC 1939, with CAPA and response
 * codes of RFC 2449 and STLS of RFC 2595).
 *
 * Three processes serve one client (the model of pop3d.c):
 *   pop3d     started by master (as root in a root-started instance);
 *             reads nothing the client sends
 *   login     forked per connection, entirely mail_owner: greeting, TLS,
 *             the AUTHORIZATION state (pop3d_login.c); after a login it
 *             hands the session over and, on TLS, relays for it
 *   session   forked after a login, entirely the mailbox owner: the
 *             TRANSACTION and UPDATE states (pop3d_session.c)
 * DELE only marks; QUIT in TRANSACTION removes what was marked. A
 * connection that ends any other way removes nothing.
 */
#ifndef POCHTA_POP3D_H
#define POCHTA_POP3D_H

#include <netinet/in.h>
#include <sys/types.h>

#include "maildir_list.h"
#include "str.h"
#include "stream.h"
#include "tls.h"

#define POP3D_LINE_MAX 512		/* one command line with CR LF (RFC 2449: 255) */
#define POP3D_USER_MAX 256		/* a user name */
#define POP3D_ERROR_LIMIT 20		/* bad commands before the session ends */
#define POP3D_ADDR_MAX INET6_ADDRSTRLEN
#define POP3D_METHOD_MAX 32		/* "PASS" or a SASL mechanism name */

typedef struct pop3d_conf {
	const char *myhostname;
	long timeout;			/* pop3d_timeout */
	long auth_failure_delay;	/* pop3d_auth_failure_delay */
	long auth_failure_limit;	/* pop3d_auth_failure_limit */
	int disable_plaintext_auth;	/* pop3d_disable_plaintext_auth */
	const char *sasl_service;	/* pop3d_sasl_service */
	int tls_wrappermode;		/* pop3d_tls_wrappermode */
	tls_server_t *tls;		/* NULL: no STLS */
} pop3d_conf_t;

extern pop3d_conf_t pop3d_conf;

enum pop3d_state { POP3D_AUTHORIZATION, POP3D_TRANSACTION };

/* What Logout reports: commands and bytes. */
typedef struct pop3d_stats {
	long top_count, retr_count, del_count;
	long long top_bytes, retr_bytes, del_bytes;
} pop3d_stats_t;

typedef struct pop3d_session {
	stream_t *client;
	char rip[POP3D_ADDR_MAX];	/* the client's address */
	enum pop3d_state state;
	str_t user;			/* after USER, or the logged-in user */
	int done;			/* QUIT, too many errors, failed TLS, handed over */
	int quit;			/* the client said QUIT */
	int errors;
	int auth_failures;
	tls_conn_t *tls;		/* login process: the TLS layer */
	int secured;			/* the client talks TLS (here or in the login process) */
	stream_t *handoff;		/* login process: to the pop3d process */
	int handed_off;			/* login process: the session went on elsewhere */
	int dir_fd;			/* the locked Maildir, -1 before login */
	maildir_list_t list;
	unsigned char *deleted;		/* one mark per list item */
	pop3d_stats_t stats;
} pop3d_session_t;

/* pop3d_reply.c: "+OK text" / "-ERR text", CR LF added. */
void pop3d_ok(pop3d_session_t *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void pop3d_err(pop3d_session_t *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The login handed over to the session process. */
typedef struct pop3d_handoff {
	str_t user;
	str_t method;
	int secured;
	str_t rest;			/* what the client sent ahead of the replies */
} pop3d_handoff_t;

void pop3d_session_init(pop3d_session_t *s, stream_t *client, const char *rip);
void pop3d_session_free(pop3d_session_t *s);

/* pop3d_cmd.c: read and run commands until the session is done; the
 * last stream status (STREAM_TIMEOUT for an idle client). */
int pop3d_cmd_loop(pop3d_session_t *s);
void pop3d_cmd_run(pop3d_session_t *s, const char *line, size_t len);

/* pop3d_login.c: the login process (never returns), and its hand-over
 * after a successful login (called by pop3d_auth.c). */
_Noreturn void pop3d_login_main(stream_t *client, const char *rip, int handoff_fd);
void pop3d_login_handoff(pop3d_session_t *s, const char *user, const char *method);
/* In the pop3d process: the hand-over, checked; 0, or -1 (none, or bad). */
int pop3d_handoff_read(stream_t *from_login, pop3d_handoff_t *h);
void pop3d_handoff_free(pop3d_handoff_t *h);

/* pop3d_session.c: fork the session process for a login: its pid, or -1
 * (replied). client is the client's stream, or on TLS the relay from the
 * login process. */
pid_t pop3d_session_run(stream_t *client, const pop3d_handoff_t *h, const char *rip);

/* pop3d_auth.c: USER, PASS, AUTH (AUTHORIZATION state). */
void pop3d_cmd_user(pop3d_session_t *s, const char *arg);
void pop3d_cmd_pass(pop3d_session_t *s, const char *arg);
void pop3d_cmd_auth(pop3d_session_t *s, const char *arg);
int pop3d_auth_plaintext_ok(const pop3d_session_t *s);
void pop3d_auth_capa(pop3d_session_t *s);	/* the SASL capability line */
void pop3d_auth_setup(void);

/* pop3d_mailbox.c: find the user's Maildir, become its owner, open and
 * lock it (0, or -1 replied). */
void pop3d_mailbox_init(void);
int pop3d_mailbox_open(pop3d_session_t *s);
void pop3d_mailbox_update(pop3d_session_t *s);	/* QUIT: remove what DELE marked */
void pop3d_mailbox_close(pop3d_session_t *s);

/* pop3d_maildrop.c: the TRANSACTION commands; pop3d_msg_index gives
 * the index of the undeleted message arg names, or -1 after a reply. */
int pop3d_msg_index(pop3d_session_t *s, const char *arg);
void pop3d_cmd_stat(pop3d_session_t *s, const char *arg);
void pop3d_cmd_list(pop3d_session_t *s, const char *arg);
void pop3d_cmd_uidl(pop3d_session_t *s, const char *arg);
void pop3d_cmd_dele(pop3d_session_t *s, const char *arg);
void pop3d_cmd_rset(pop3d_session_t *s, const char *arg);
void pop3d_cmd_retr(pop3d_session_t *s, const char *arg);
void pop3d_cmd_top(pop3d_session_t *s, const char *arg);

/* pop3d_anvil.c: the per-address connection limit. connect: 1 counted
 * (disconnect when the client is gone), 0 not counted, -1 over the limit
 * (replied). */
void pop3d_anvil_init(void);
int pop3d_anvil_connect(stream_t *client, const char *rip);
void pop3d_anvil_disconnect(const char *rip);

/* pop3d_tls.c: STLS (RFC 2595) and pop3s. */
void pop3d_tls_init(void);		/* privileged: read the files */
void pop3d_tls_setup(void);		/* unprivileged: make the context */
int pop3d_tls_handshake(pop3d_session_t *s);
void pop3d_cmd_stls(pop3d_session_t *s, const char *arg);

/* pop3d_privs.c: mail_owner for the login process, the mailbox owner for
 * the session process, each for good. */
void pop3d_privs_init(void);		/* as root: note mail_owner, open maps */
void pop3d_privs_child(void);		/* a forked process ends with pop3d */
void pop3d_privs_drop_login(void);
/* The ids of a virtual mailbox user from virtual_uid_maps/virtual_gid_maps. */
int pop3d_privs_virtual_ids(const char *user, uid_t *uid, gid_t *gid);
/* Become uid/gid (a system user when system is set); -1 when not allowed. */
int pop3d_privs_become(const char *user, uid_t uid, gid_t gid, int system);

#endif
