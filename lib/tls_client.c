/*
 * tls_client: client-side TLS with OpenSSL under a stream (see
 * tls_client.h).
 *
 * The CA certificates are read as text while privileged and parsed here,
 * after the privilege drop, into the context's trust store. Verification
 * runs during the handshake with OpenSSL's own chain and name checks
 * (X509_VERIFY_PARAM_set1_host or _ip_asc), but with SSL_VERIFY_NONE so
 * that the handshake completes either way and the caller's policy reads
 * the outcome from SSL_get_verify_result. The handshake and the stream
 * hooks are the server side's (tls_conn.h).
 */
#include <arpa/inet.h>
#include <limits.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "mem.h"
#include "tls_client.h"
#include "tls_conn.h"

struct tls_client {
	SSL_CTX *ctx;
};

/* Every certificate in the PEM text into the context's store; 0 or -1. */
static int tls_client_trust(SSL_CTX *ctx, const str_t *pem)
{
	X509_STORE *store = SSL_CTX_get_cert_store(ctx);
	BIO *bio;
	X509 *cert;
	int ok = 1;

	if (pem->len == 0)
		return 0;
	bio = BIO_new_mem_buf(pem->data, pem->len > INT_MAX ? -1 : (int)pem->len);
	if (bio == NULL || (cert = PEM_read_bio_X509(bio, NULL, NULL, NULL)) == NULL) {
		BIO_free(bio);
		return -1;
	}
	do {
		ok = X509_STORE_add_cert(store, cert) == 1;
		X509_free(cert);
	} while (ok && (cert = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL);
	if (ok)
		ERR_clear_error();	/* the end of the text */
	BIO_free(bio);
	return ok ? 0 : -1;
}

tls_client_t *tls_client_create(const str_t *ca_pem, str_t *err)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	tls_client_t *cli;

	if (ctx == NULL || !SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION)) {
		tls_conn_reason(err, "TLS settings", "failed");
	} else if (tls_client_trust(ctx, ca_pem) < 0) {
		tls_conn_reason(err, "CA certificates", "no certificate found");
	} else {
		SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION
				    | SSL_OP_IGNORE_UNEXPECTED_EOF);
		SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE
				 | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
		SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
		cli = mem_calloc(1, sizeof(*cli));
		cli->ctx = ctx;
		return cli;
	}
	SSL_CTX_free(ctx);
	return NULL;
}

void tls_client_free(tls_client_t *cli)
{
	if (cli == NULL)
		return;
	SSL_CTX_free(cli->ctx);
	mem_free(cli);
}

/* Whom the certificate must name: a DNS name (also sent as SNI) or an
 * IP address; 0, or -1 when OpenSSL refuses the name. */
static int tls_client_expect(SSL *ssl, const char *peer_name)
{
	X509_VERIFY_PARAM *param = SSL_get0_param(ssl);
	unsigned char ip[sizeof(struct in6_addr)];

	if (inet_pton(AF_INET, peer_name, ip) == 1 || inet_pton(AF_INET6, peer_name, ip) == 1)
		return X509_VERIFY_PARAM_set1_ip_asc(param, peer_name) == 1 ? 0 : -1;
	X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	if (X509_VERIFY_PARAM_set1_host(param, peer_name, 0) != 1)
		return -1;
	return SSL_set_tlsext_host_name(ssl, peer_name) == 1 ? 0 : -1;
}

tls_conn_t *tls_client_start(tls_client_t *cli, stream_t *st, const char *peer_name, int timeout,
			     str_t *err)
{
	SSL *ssl = SSL_new(cli->ctx);

	if (ssl == NULL || SSL_set_fd(ssl, stream_fd(st)) != 1 || tls_client_expect(ssl, peer_name) < 0) {
		tls_conn_reason(err, NULL, "cannot start a TLS session");
		SSL_free(ssl);
		return NULL;
	}
	return tls_conn_start(ssl, st, TLS_CONN_CLIENT, timeout, err);
}

int tls_client_verified(const tls_conn_t *conn, str_t *why)
{
	long result = SSL_get_verify_result(conn->ssl);

	if (SSL_get0_peer_certificate(conn->ssl) == NULL) {
		str_set(why, "no certificate");
		return 0;
	}
	if (result != X509_V_OK) {
		str_set(why, X509_verify_cert_error_string(result));
		return 0;
	}
	return 1;
}
