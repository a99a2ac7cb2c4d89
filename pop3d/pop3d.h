/*
 * pop3d: the POP3 server's shared types (RFC 1939, with CAPA and response
 * codes of RFC 2449 and STLS of RFC 2595).
 *
 * One process serves one client at a time (daemon_single_server). A
 * session goes AUTHORIZATION -> TRANSACTION -> UPDATE: USER/PASS (or
 * AUTH) opens and locks the user's Maildir (pop3d_mailbox.c); DELE only
 * marks, and QUIT in TRANSACTION removes what was marked. A connection
 * that ends any other way removes nothing.
 */
#ifndef POCHTA_POP3D_H
#define POCHTA_POP3D_H

#include <netinet/in.h>

#include "maildir_list.h"
#include "str.h"
#include "stream.h"
#include "tls.h"

#define POP3D_LINE_MAX 512		/* one command line with CR LF (RFC 2449: 255) */
#define POP3D_USER_MAX 256		/* a user name */
#define POP3D_ERROR_LIMIT 20		/* bad commands before the session ends */
#define POP3D_ADDR_MAX INET6_ADDRSTRLEN

typedef struct pop3d_conf {
	const char *myhostname;
	long timeout;			/* pop3d_timeout */
	long auth_failure_delay;	/* pop3d_auth_failure_delay */
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
	int done;			/* QUIT, too many errors, failed TLS */
	int quit;			/* the client said QUIT */
	int errors;
	tls_conn_t *tls;
	int dir_fd;			/* the locked Maildir, -1 before login */
	maildir_list_t list;
	unsigned char *deleted;		/* one mark per list item */
	pop3d_stats_t stats;
} pop3d_session_t;

/* Replies: "+OK text" / "-ERR text", CR LF added. */
void pop3d_ok(pop3d_session_t *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void pop3d_err(pop3d_session_t *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* pop3d_cmd.c: run one command line (CR LF removed). */
void pop3d_cmd_run(pop3d_session_t *s, const char *line, size_t len);

/* pop3d_auth.c: USER, PASS, AUTH (AUTHORIZATION state). */
void pop3d_cmd_user(pop3d_session_t *s, const char *arg);
void pop3d_cmd_pass(pop3d_session_t *s, const char *arg);
void pop3d_cmd_auth(pop3d_session_t *s, const char *arg);
int pop3d_auth_plaintext_ok(const pop3d_session_t *s);
void pop3d_auth_capa(pop3d_session_t *s);	/* the SASL capability line */
void pop3d_auth_setup(void);

/* pop3d_mailbox.c: open and lock the user's Maildir (0, or -1 replied). */
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

/* pop3d_tls.c: STLS (RFC 2595) and pop3s. */
void pop3d_tls_init(void);		/* privileged: read the files */
void pop3d_tls_setup(void);		/* unprivileged: make the context */
int pop3d_tls_handshake(pop3d_session_t *s);
void pop3d_cmd_stls(pop3d_session_t *s, const char *arg);

/* pop3d_privs.c: unprivileged before login, the mailbox owner after. */
void pop3d_privs_init(void);		/* as root: note mail_owner, open maps */
void pop3d_privs_unprivileged(void);
int pop3d_privs_become_owner(const char *user);
int pop3d_privs_switched(void);		/* this process can serve no one else */

#endif
