/*
 * sasl_server: the server side of SASL authentication (SMTP AUTH, later
 * POP3 and IMAP) through Cyrus SASL (libsasl2), against the sasldb file
 * that "pochta user" writes.
 *
 * Once per process: sasl_server_setup(sasldb_path, mech_list). It loads the
 * mechanism plugins, which are world-readable, so a daemon calls it after
 * dropping privileges. The library is told where the database is and to
 * check passwords against it ("auxprop" with the "sasldb" plugin) through
 * a getopt callback, so no system-wide SASL configuration is read; its
 * log messages go to the mail log as warnings. It is shut down at exit.
 * The database itself is opened per lookup, so it must stay readable by
 * mail_owner (pochta init and pochta user make it so).
 *
 * Per client: sasl_server_open(service, hostname, flags) gives a
 * connection; sasl_server_mechs lists the mechanisms it may use;
 * sasl_server_begin and sasl_server_next run the exchange with base64
 * text in and out; sasl_server_username names whom a completed exchange
 * authenticated. A user name "user@domain" is looked up as user in the
 * realm domain; one without "@" in the realm of the hostname.
 */
#ifndef POCHTA_SASL_SERVER_H
#define POCHTA_SASL_SERVER_H

#include "str.h"

/* Security options (smtpd_sasl_security_options): mechanisms to refuse. */
enum sasl_server_option {
	SASL_SERVER_NOPLAINTEXT = 1,	/* PLAIN, LOGIN: passwords in the clear */
	SASL_SERVER_NOACTIVE = 2,	/* open to active (non-dictionary) attack */
	SASL_SERVER_NODICTIONARY = 4,	/* open to passive dictionary attack */
	SASL_SERVER_NOANONYMOUS = 8,	/* ANONYMOUS */
	SASL_SERVER_MUTUAL_AUTH = 16,	/* only mechanisms that authenticate the server */
};

/* What one step of an exchange came to; reply holds the text for each. */
enum sasl_server_status {
	SASL_SERVER_DONE,	/* authenticated; reply empty */
	SASL_SERVER_MORE,	/* reply: the base64 challenge to send */
	SASL_SERVER_FAIL,	/* reply: why, never whether the user exists */
	SASL_SERVER_TEMP,	/* a temporary failure (database, memory); reply: why */
	SASL_SERVER_MALFORMED,	/* the client's text was not strict base64; reply: why */
};

typedef struct sasl_server sasl_server_t;

/* Initialize libsasl2 for this process; mech_list limits the mechanisms
 * ("" for every installed one); fatal (logged) on failure. */
void sasl_server_setup(const char *sasldb_path, const char *mech_list);
/* "noanonymous, noplaintext" into flags; -1 with the bad word in bad. */
int sasl_server_parse_options(const char *text, int *flags, str_t *bad);

/* A connection for one client; NULL with a reason in err. */
sasl_server_t *sasl_server_open(const char *service, const char *hostname, int flags,
				str_t *err);
void sasl_server_close(sasl_server_t *sp);
/* The mechanisms this connection offers, separated by spaces; -1 on error. */
int sasl_server_mechs(sasl_server_t *sp, str_t *out);
/* Start with mech; response is the client's base64 initial response
 * ("" for an empty one) or NULL when it gave none. */
enum sasl_server_status sasl_server_begin(sasl_server_t *sp, const char *mech,
					  const char *response, str_t *reply);
/* Continue with the client's base64 answer to the last challenge. */
enum sasl_server_status sasl_server_next(sasl_server_t *sp, const char *response, str_t *reply);
/* Check a user name and password given in the clear (POP3 USER/PASS)
 * against the same database, with the same answers as an exchange. */
enum sasl_server_status sasl_server_checkpass(sasl_server_t *sp, const char *user,
					      const char *pass, str_t *reply);
/* After SASL_SERVER_DONE: the authenticated user ("demo@localhost"). */
const char *sasl_server_username(sasl_server_t *sp);

#endif
