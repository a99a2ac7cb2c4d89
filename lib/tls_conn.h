/*
 * tls_conn: what the server (tls.c) and client (tls_client.c) sides of
 * TLS share, for those two files only: the connection under a stream,
 * OpenSSL's failure reasons, and the handshake itself.
 */
#ifndef POCHTA_TLS_CONN_H
#define POCHTA_TLS_CONN_H

#include <openssl/ssl.h>

#include "str.h"
#include "stream.h"
#include "tls.h"

struct tls_conn {
	SSL *ssl;
};

enum tls_conn_role { TLS_CONN_SERVER, TLS_CONN_CLIENT };

/* err = "what: " and OpenSSL's reason for the last failure (its error
 * queue is emptied), or dflt when it has none. */
void tls_conn_reason(str_t *err, const char *what, const char *dflt);

/* Make st's descriptor non-blocking, run the handshake of ssl (set up on
 * that descriptor) in role within timeout seconds, and slide TLS under
 * st. The connection, or NULL with the reason in err ("lost connection",
 * "timeout", OpenSSL's words); ssl is freed either way on failure. */
tls_conn_t *tls_conn_start(SSL *ssl, stream_t *st, enum tls_conn_role role, int timeout,
			   str_t *err);

#endif
