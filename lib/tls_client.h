/*
 * tls_client: client-side TLS with OpenSSL under a stream, for the smtp
 * delivery agent's STARTTLS (RFC 3207).
 *
 *   tls_pem_read(smtp_tls_CAfile, &ca, &err)                   while root
 *   cli = tls_client_create(&ca, &err);                       unprivileged
 *   conn = tls_client_start(cli, stream, "mx.example", timeout, &err);
 *   if (!tls_client_verified(conn, &why)) ...   policy: verify or not
 *   ... stream_getline/stream_write now run over TLS ...
 *   tls_conn_close(conn, stream);            (tls.h, as for the server side)
 *
 * The context trusts exactly the certificates of the CA text given (none
 * when it is empty), as Postfix's smtp_tls_CAfile does. The handshake
 * itself never fails on an untrusted certificate: whether that matters is
 * the caller's policy, so it asks tls_client_verified afterwards, which
 * also checks the certificate's names against the peer name (a DNS name,
 * or an IP address literal against the certificate's IP addresses). The
 * peer name is sent as SNI when it is a host name. TLS 1.2 and 1.3 only,
 * no compression, no renegotiation.
 */
#ifndef POCHTA_TLS_CLIENT_H
#define POCHTA_TLS_CLIENT_H

#include "str.h"
#include "stream.h"
#include "tls.h"

typedef struct tls_client tls_client_t;

/* A context that trusts the certificates in ca_pem (may be empty); NULL
 * with the reason in err when the text holds something that is not one. */
tls_client_t *tls_client_create(const str_t *ca_pem, str_t *err);
void tls_client_free(tls_client_t *cli);

/* The handshake on st's descriptor within timeout seconds, as a client of
 * peer_name; NULL with the reason in err ("lost connection", "timeout",
 * OpenSSL's words). Bytes already buffered in st are not part of TLS:
 * discard them first. */
tls_conn_t *tls_client_start(tls_client_t *cli, stream_t *st, const char *peer_name, int timeout,
			     str_t *err);
/* 1 when the chain ends at a trusted CA and a certificate name matches
 * the peer name; else 0 with the reason in why. */
int tls_client_verified(const tls_conn_t *conn, str_t *why);

#endif
