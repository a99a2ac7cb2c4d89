/*
 * tls: server-side TLS with OpenSSL under a stream (see tls.h), and the
 * connection code both sides share (tls_conn.h).
 *
 * The files are read while still privileged (the key is readable by root
 * only); the context is made from their text once per process, after the
 * privilege drop, so OpenSSL parses nothing as root. Each client gets an SSL object on its
 * non-blocking descriptor; the handshake polls for what OpenSSL wants
 * within one deadline, and the stream hooks map SSL_ERROR_WANT_READ/WRITE
 * to EAGAIN with the direction, which the stream polls for under its own
 * timeout. An unexpected EOF from the peer reads as a plain EOF: SMTP
 * lines carry their own ends, so truncation cannot go unnoticed.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include "conf.h"
#include "mem.h"
#include "tls_conn.h"

#define TLS_MS_PER_SEC 1000
#define TLS_REASON_MAX 256		/* one OpenSSL error string */
#define TLS_SESSION_CONTEXT "pochta"	/* the scope of resumed sessions */
#define TLS_TICKETS_PER_HANDSHAKE 1	/* TLS 1.3 tickets: an SMTP client needs one */

/* TLS 1.2 suites: forward secret, AEAD only. TLS 1.3 keeps OpenSSL's. */
#define TLS_CIPHERS_12 "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:" \
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:" \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"

struct tls_server {
	SSL_CTX *ctx;
};

int tls_level_parse(const char *text)
{
	if (*text == 0 || strcasecmp(text, "none") == 0)
		return TLS_LEVEL_NONE;
	if (strcasecmp(text, "may") == 0)
		return TLS_LEVEL_MAY;
	if (strcasecmp(text, "encrypt") == 0)
		return TLS_LEVEL_ENCRYPT;
	return TLS_LEVEL_BAD;
}

int tls_protocols_parse(const char *text)
{
	text += strspn(text, " \t");
	if (strcasecmp(text, ">=TLSv1.2") == 0)
		return TLS1_2_VERSION;
	if (strcasecmp(text, ">=TLSv1.3") == 0)
		return TLS1_3_VERSION;
	return -1;
}

void tls_conn_reason(str_t *err, const char *what, const char *dflt)
{
	unsigned long code = ERR_get_error();
	char reason[TLS_REASON_MAX];

	if (code)
		ERR_error_string_n(code, reason, sizeof(reason));
	ERR_clear_error();
	str_set(err, "");
	if (what)
		str_printf(err, "%s: ", what);
	str_append_cstr(err, code ? reason : dflt);
}

static int tls_server_settings(SSL_CTX *ctx, int min_version)
{
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION
			    | SSL_OP_IGNORE_UNEXPECTED_EOF);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	/* a per-process cache would resume only in the same process: tickets only */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	return SSL_CTX_set_min_proto_version(ctx, min_version)
	    && SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION)
	    && SSL_CTX_set_cipher_list(ctx, TLS_CIPHERS_12)
	    && SSL_CTX_set_session_id_context(ctx, (const unsigned char *)TLS_SESSION_CONTEXT,
					      sizeof(TLS_SESSION_CONTEXT) - 1);
}

int tls_pem_read(const char *path, str_t *pem, str_t *err)
{
	return conf_read_file(path, TLS_PEM_MAX, pem, err);
}

void tls_pem_free(str_t *pem)
{
	if (pem->data)
		OPENSSL_cleanse(pem->data, pem->len);
	str_free(pem);
}

/* The server certificate, then any chain certificates after it. */
static int tls_use_cert(SSL_CTX *ctx, const str_t *pem)
{
	BIO *bio = BIO_new_mem_buf(pem->data, pem->len > INT_MAX ? -1 : (int)pem->len);
	X509 *cert = bio ? PEM_read_bio_X509_AUX(bio, NULL, NULL, NULL) : NULL;
	int ok = cert != NULL && SSL_CTX_use_certificate(ctx, cert) == 1;

	X509_free(cert);
	while (ok && (cert = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		ok = SSL_CTX_add0_chain_cert(ctx, cert) == 1;
		if (!ok)
			X509_free(cert);
	}
	if (ok)
		ERR_clear_error();	/* the end of the chain */
	BIO_free(bio);
	return ok;
}

static int tls_use_key(SSL_CTX *ctx, const str_t *pem)
{
	BIO *bio = BIO_new_mem_buf(pem->data, pem->len > INT_MAX ? -1 : (int)pem->len);
	EVP_PKEY *key = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
	int ok = key != NULL && SSL_CTX_use_PrivateKey(ctx, key) == 1;

	EVP_PKEY_free(key);
	BIO_free(bio);
	return ok;
}

tls_server_t *tls_server_create(const str_t *cert_pem, const str_t *key_pem, int min_version,
				str_t *err)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	tls_server_t *srv;

	if (ctx == NULL || !tls_server_settings(ctx, min_version)) {
		tls_conn_reason(err, "TLS settings", "failed");
	} else if (!tls_use_cert(ctx, cert_pem)) {
		tls_conn_reason(err, "certificate", "no certificate found");
	} else if (!tls_use_key(ctx, key_pem)) {
		tls_conn_reason(err, "private key", "no private key found");
	} else if (SSL_CTX_check_private_key(ctx) != 1) {
		tls_conn_reason(err, "private key", "the key does not match the certificate");
	} else {
		srv = mem_calloc(1, sizeof(*srv));
		srv->ctx = ctx;
		return srv;
	}
	SSL_CTX_free(ctx);
	return NULL;
}

void tls_server_free(tls_server_t *srv)
{
	if (srv == NULL)
		return;
	SSL_CTX_free(srv->ctx);
	mem_free(srv);
}

int tls_server_tickets(tls_server_t *srv, const tls_ticket_keys_t *keys, long lifetime, str_t *err)
{
	if (keys == NULL || keys->count == 0 || lifetime <= 0) {
		SSL_CTX_set_options(srv->ctx, SSL_OP_NO_TICKET);
		return 0;
	}
	SSL_CTX_set_timeout(srv->ctx, lifetime);
	if (SSL_CTX_set_num_tickets(srv->ctx, TLS_TICKETS_PER_HANDSHAKE) != 1
	    || tls_ticket_install(srv->ctx, keys, lifetime) < 0) {
		tls_conn_reason(err, "session tickets", "cannot use the keys");
		SSL_CTX_set_options(srv->ctx, SSL_OP_NO_TICKET);
		return -1;
	}
	return 0;
}

/* Map an SSL_read/SSL_write result to the stream hook convention. */
static ssize_t tls_io_result(SSL *ssl, int n, int *want)
{
	if (n > 0)
		return n;
	switch (SSL_get_error(ssl, n)) {
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	case SSL_ERROR_WANT_READ:
		*want = POLLIN;
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_WANT_WRITE:
		*want = POLLOUT;
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_SYSCALL:
		if (errno == 0 || errno == EAGAIN)
			errno = EPIPE;
		break;
	default:
		errno = EPROTO;
		break;
	}
	ERR_clear_error();
	return -1;
}

static ssize_t tls_read(void *ctx, void *buf, size_t len, int *want)
{
	tls_conn_t *conn = ctx;

	ERR_clear_error();
	errno = 0;
	return tls_io_result(conn->ssl, SSL_read(conn->ssl, buf, len > INT_MAX ? INT_MAX : (int)len),
			     want);
}

static ssize_t tls_write(void *ctx, const void *buf, size_t len, int *want)
{
	tls_conn_t *conn = ctx;

	ERR_clear_error();
	errno = 0;
	return tls_io_result(conn->ssl, SSL_write(conn->ssl, buf, len > INT_MAX ? INT_MAX : (int)len),
			     want);
}

static long long tls_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * TLS_MS_PER_SEC + ts.tv_nsec / 1000000;
}

/* Wait for events on fd until deadline_ms: 1 ready, 0 timed out, -1 error. */
static int tls_wait(int fd, short events, long long deadline_ms)
{
	struct pollfd pfd = { .fd = fd, .events = events };

	for (;;) {
		long long left = deadline_ms - tls_now_ms();
		int n;

		if (left <= 0)
			return 0;
		n = poll(&pfd, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (n > 0)
			return 1;
		if (n < 0 && errno != EINTR)
			return -1;
	}
}

/* SSL_accept or SSL_connect until done, a failure, or the deadline; 0 or
 * -1 with err. */
static int tls_handshake(SSL *ssl, int fd, enum tls_conn_role role, int timeout, str_t *err)
{
	long long deadline_ms = tls_now_ms() + (long long)timeout * TLS_MS_PER_SEC;

	for (;;) {
		int n, code, ready;

		ERR_clear_error();
		errno = 0;
		n = role == TLS_CONN_SERVER ? SSL_accept(ssl) : SSL_connect(ssl);
		if (n == 1)
			return 0;
		code = SSL_get_error(ssl, n);
		if (code != SSL_ERROR_WANT_READ && code != SSL_ERROR_WANT_WRITE) {
			tls_conn_reason(err, NULL, code == SSL_ERROR_SSL ? "protocol error" : "lost connection");
			return -1;
		}
		ready = tls_wait(fd, code == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline_ms);
		if (ready <= 0) {
			str_set(err, ready == 0 ? "timeout" : "poll error");
			return -1;
		}
	}
}

tls_conn_t *tls_conn_start(SSL *ssl, stream_t *st, enum tls_conn_role role, int timeout,
			   str_t *err)
{
	int fd = stream_fd(st);
	int flags = fcntl(fd, F_GETFL);
	tls_conn_t *conn;

	/* OpenSSL writes whole records; with Nagle's algorithm the reply after
	 * the session ticket would wait a delayed ACK (40 ms per session). */
	stream_no_delay(st);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
		str_set(err, "cannot make the socket non-blocking");
	} else if (tls_handshake(ssl, fd, role, timeout, err) == 0) {
		conn = mem_calloc(1, sizeof(*conn));
		conn->ssl = ssl;
		stream_set_io(st, tls_read, tls_write, conn);
		return conn;
	}
	SSL_free(ssl);
	return NULL;
}

tls_conn_t *tls_server_accept(tls_server_t *srv, stream_t *st, int timeout, str_t *err)
{
	SSL *ssl = SSL_new(srv->ctx);

	if (ssl == NULL || SSL_set_fd(ssl, stream_fd(st)) != 1) {
		tls_conn_reason(err, NULL, "cannot start a TLS session");
		SSL_free(ssl);
		return NULL;
	}
	return tls_conn_start(ssl, st, TLS_CONN_SERVER, timeout, err);
}

void tls_conn_describe(const tls_conn_t *conn, str_t *out)
{
	const SSL_CIPHER *cipher = SSL_get_current_cipher(conn->ssl);
	int alg_bits = 0;
	int bits = SSL_CIPHER_get_bits(cipher, &alg_bits);

	str_printf(out, "%s with cipher %s (%d/%d bits)", SSL_get_version(conn->ssl),
		   SSL_CIPHER_get_name(cipher), bits, alg_bits);
}

int tls_conn_reused(const tls_conn_t *conn)
{
	return SSL_session_reused(conn->ssl) == 1;
}

void tls_conn_close(tls_conn_t *conn, stream_t *st)
{
	if (conn == NULL)
		return;
	ERR_clear_error();
	(void)SSL_shutdown(conn->ssl);	/* one try: a peer that is gone is fine */
	ERR_clear_error();
	stream_set_io(st, NULL, NULL, NULL);
	SSL_free(conn->ssl);
	mem_free(conn);
}
