/*
 * test_tls_client: the smtp client's TLS over a socketpair against
 * Pochta's own server side (tls.h) in a child process, with a certificate
 * made here for mx.example and 127.0.0.1: a trusted certificate naming
 * the peer is verified (by DNS name and by IP address); a wrong name, or
 * no CA, leaves the session up but not verified, with OpenSSL's reason; a
 * peer that answers with something else than TLS fails the handshake; CA
 * text that is not a certificate is refused.
 */
#include <check.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "tls.h"
#include "tls_client.h"

#define TEST_TIMEOUT 5			/* seconds for a handshake or a line */
#define TEST_CERT_SECONDS 3600
#define TEST_LINE_MAX 64
#define TEST_HELLO "hello over TLS\n"

static void test_pem(BIO *bio, str_t *out)
{
	char *data;
	long len = BIO_get_mem_data(bio, &data);

	str_set(out, "");
	str_append(out, data, (size_t)len);
	BIO_free(bio);
}

/* A self-signed certificate for mx.example and 127.0.0.1, and its key. */
static void test_make_cert(str_t *cert_pem, str_t *key_pem)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *name = X509_get_subject_name(x);
	X509V3_CTX ctx;
	X509_EXTENSION *san;
	BIO *bio;

	ck_assert_ptr_nonnull(key);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), TEST_CERT_SECONDS);
	X509_set_pubkey(x, key);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"mx.example",
				   -1, -1, 0);
	X509_set_issuer_name(x, name);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	san = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name, "DNS:mx.example,IP:127.0.0.1");
	X509_add_ext(x, san, -1);
	X509_EXTENSION_free(san);
	ck_assert_int_gt(X509_sign(x, key, EVP_sha256()), 0);
	bio = BIO_new(BIO_s_mem());
	PEM_write_bio_X509(bio, x);
	test_pem(bio, cert_pem);
	bio = BIO_new(BIO_s_mem());
	PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL);
	test_pem(bio, key_pem);
	X509_free(x);
	EVP_PKEY_free(key);
}

/* A child that accepts TLS on fd and says hello, or just says junk. */
static pid_t test_server(int fd, const str_t *cert, const str_t *key, int speak_tls)
{
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		str_t err = STR_INIT;
		stream_t *st = stream_open(fd);
		tls_server_t *srv = tls_server_create(cert, key, TLS1_2_VERSION, &err);
		tls_conn_t *conn;

		stream_set_timeout(st, TEST_TIMEOUT);
		if (!speak_tls) {
			stream_puts(st, "this is not TLS\r\n");
			stream_flush(st);
			_exit(0);
		}
		if (srv == NULL || (conn = tls_server_accept(srv, st, TEST_TIMEOUT, &err)) == NULL)
			_exit(1);
		stream_puts(st, TEST_HELLO);
		stream_flush(st);
		tls_conn_close(conn, st);
		_exit(0);
	}
	close(fd);
	return pid;
}

/* Connect as a client of peer_name trusting ca; 1 verified, 0 not, -1 no TLS. */
static int test_connect(const str_t *ca, const char *peer_name, int speak_tls, str_t *why)
{
	str_t cert = STR_INIT, key = STR_INIT, err = STR_INIT, line = STR_INIT;
	int fds[2], verified = -1, status;
	tls_client_t *cli;
	tls_conn_t *conn;
	stream_t *st;
	pid_t pid;

	test_make_cert(&cert, &key);
	if (ca == NULL)
		ca = &cert;
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
	pid = test_server(fds[1], &cert, &key, speak_tls);
	st = stream_open(fds[0]);
	stream_set_timeout(st, TEST_TIMEOUT);
	cli = tls_client_create(ca, &err);
	ck_assert_ptr_nonnull(cli);
	if ((conn = tls_client_start(cli, st, peer_name, TEST_TIMEOUT, why)) != NULL) {
		verified = tls_client_verified(conn, why);
		ck_assert_int_eq(stream_getline(st, &line, TEST_LINE_MAX), STREAM_OK);
		ck_assert_str_eq(str_cstr(&line), TEST_HELLO);
		tls_conn_close(conn, st);
	}
	stream_close(st);
	tls_client_free(cli);
	waitpid(pid, &status, 0);
	str_free(&cert);
	str_free(&key);
	str_free(&err);
	str_free(&line);
	return verified;
}

START_TEST(test_verified_by_name_and_address)
{
	str_t why = STR_INIT;

	ck_assert_int_eq(test_connect(NULL, "mx.example", 1, &why), 1);
	ck_assert_int_eq(test_connect(NULL, "127.0.0.1", 1, &why), 1);
	str_free(&why);
}
END_TEST

START_TEST(test_wrong_name_not_verified)
{
	str_t why = STR_INIT;

	ck_assert_int_eq(test_connect(NULL, "other.example", 1, &why), 0);
	ck_assert_str_eq(str_cstr(&why), "hostname mismatch");
	ck_assert_int_eq(test_connect(NULL, "127.0.0.2", 1, &why), 0);
	ck_assert_str_eq(str_cstr(&why), "IP address mismatch");
	str_free(&why);
}
END_TEST

START_TEST(test_untrusted_not_verified)
{
	str_t none = STR_INIT, why = STR_INIT;

	ck_assert_int_eq(test_connect(&none, "mx.example", 1, &why), 0);
	ck_assert_str_eq(str_cstr(&why), "self-signed certificate");
	str_free(&why);
}
END_TEST

START_TEST(test_not_tls_fails)
{
	str_t why = STR_INIT;

	ck_assert_int_eq(test_connect(NULL, "mx.example", 0, &why), -1);
	ck_assert_uint_gt(why.len, 0);
	str_free(&why);
}
END_TEST

START_TEST(test_bad_ca_text)
{
	str_t pem = STR_INIT, err = STR_INIT;

	str_set(&pem, "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n");
	ck_assert_ptr_null(tls_client_create(&pem, &err));
	ck_assert_ptr_nonnull(strstr(str_cstr(&err), "CA certificates"));
	str_set(&pem, "no PEM at all\n");
	ck_assert_ptr_null(tls_client_create(&pem, &err));
	str_free(&pem);
	str_free(&err);
}
END_TEST

Suite *suite_tls_client(void)
{
	Suite *s = suite_create("tls_client");
	TCase *tc = tcase_create("tls_client");

	signal(SIGPIPE, SIG_IGN);
	tcase_add_test(tc, test_verified_by_name_and_address);
	tcase_add_test(tc, test_wrong_name_not_verified);
	tcase_add_test(tc, test_untrusted_not_verified);
	tcase_add_test(tc, test_not_tls_fails);
	tcase_add_test(tc, test_bad_ca_text);
	suite_add_tcase(s, tc);
	return s;
}
