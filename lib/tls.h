/*
 * tls: server-side TLS with OpenSSL under a stream (STARTTLS, RFC 3207;
 * implicit TLS, RFC 8314).
 *
 *   tls_pem_read(cert_file, &cert, &err)...                   while root
 *   srv = tls_server_create(&cert, &key, min_version, &err); unprivileged
 *   tls_server_tickets(srv, &keys, lifetime, &err);           resumption
 *   conn = tls_server_accept(srv, stream, timeout, &err);    per client
 *   ... stream_getline/stream_write now run over TLS ...
 *   tls_conn_close(conn, stream);                              close_notify
 *
 * Only reading the files needs privilege (the key is root's); OpenSSL
 * parses them, and sets itself up, after the privilege drop.
 * The server context allows TLS 1.2 and 1.3 only (or 1.3 only), ECDHE
 * with AES-GCM or ChaCha20-Poly1305 for TLS 1.2 (Mozilla "intermediate"
 * without DHE), no compression, no renegotiation. tls_server_accept makes
 * the descriptor non-blocking, runs the handshake within the timeout, and
 * slides non-blocking SSL_read/SSL_write hooks under the stream.
 * Sessions resume only through tickets made with keys every process shares
 * (tls_ticket.h): OpenSSL's per-process session cache is off.
 */
#ifndef POCHTA_TLS_H
#define POCHTA_TLS_H

#include "str.h"
#include "stream.h"
#include "tls_ticket.h"

/* smtpd_tls_security_level ("" means none, as in Postfix) */
enum tls_level {
	TLS_LEVEL_NONE,
	TLS_LEVEL_MAY,		/* offer STARTTLS */
	TLS_LEVEL_ENCRYPT,	/* offer it and require it before mail */
};

#define TLS_LEVEL_BAD (-1)

int tls_level_parse(const char *text);		/* enum tls_level or TLS_LEVEL_BAD */
/* smtpd_tls_protocols: ">=TLSv1.2" or ">=TLSv1.3"; the lowest allowed
 * version as TLS1_2_VERSION or TLS1_3_VERSION, or -1 when unsupported. */
int tls_protocols_parse(const char *text);

typedef struct tls_server tls_server_t;
typedef struct tls_conn tls_conn_t;

#define TLS_PEM_MAX (1 << 20)		/* bytes of one certificate or key file */

/* Read a PEM file of at most TLS_PEM_MAX bytes; 0, or -1 with err. */
int tls_pem_read(const char *path, str_t *pem, str_t *err);
/* Wipe and free what tls_pem_read read (the key). */
void tls_pem_free(str_t *pem);
/* A context from PEM text: the certificate (then its chain) and the key;
 * NULL with the reason in err when they or the settings are bad. */
tls_server_t *tls_server_create(const str_t *cert_pem, const str_t *key_pem, int min_version,
				str_t *err);
void tls_server_free(tls_server_t *srv);
/* Session tickets with the shared keys, valid for lifetime seconds; with
 * no keys (NULL or empty) or a lifetime <= 0, no tickets and so no
 * resumption. 0, or -1 with err (then no tickets either). */
int tls_server_tickets(tls_server_t *srv, const tls_ticket_keys_t *keys, long lifetime, str_t *err);

/* The server handshake on st's descriptor within timeout seconds; NULL
 * with the reason in err ("lost connection", "timeout", OpenSSL's words).
 * Bytes already buffered in st are not part of TLS: discard them first. */
tls_conn_t *tls_server_accept(tls_server_t *srv, stream_t *st, int timeout, str_t *err);
/* "TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)" */
void tls_conn_describe(const tls_conn_t *conn, str_t *out);
/* The client resumed an earlier session (abbreviated handshake). */
int tls_conn_reused(const tls_conn_t *conn);
/* Send close_notify without waiting, put the plain transport back, free. */
void tls_conn_close(tls_conn_t *conn, stream_t *st);

#endif
