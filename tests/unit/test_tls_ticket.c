/*
 * test_tls_ticket: the session ticket key file (rotation, save and load,
 * refusal of anything that is not master's private file) and resumption
 * through tls.c's server with those keys: a session made by one server
 * context resumes in another one holding the same keys, as it must across
 * smtpd processes, for TLS 1.2 and 1.3; not after two rotations, nor with
 * a key older than two lifetimes. The client is OpenSSL in a thread on
 * the other end of a socketpair.
 */
#include <check.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "stream.h"
#include "tls.h"
#include "tls_ticket.h"

#define TEST_LIFETIME 3600		/* seconds a ticket lives */
#define TEST_TIMEOUT 10			/* seconds for one handshake */
#define TEST_CERT_DAYS 1
#define TEST_GREETING "ok\r\n"

static char test_dir[] = "/tmp/test_tls_ticket.XXXXXX";

static void test_setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(test_dir));
}

static void test_teardown(void)
{
	char cmd[sizeof(test_dir) + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", test_dir);
	ck_assert_int_eq(system(cmd), 0);
	strcpy(test_dir + strlen(test_dir) - 6, "XXXXXX");
}

static void test_path(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", test_dir, name);
}

static void test_write_file(const char *path, const void *data, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
	ck_assert_int_eq(fchmod(fd, mode), 0);
	close(fd);
}

START_TEST(test_rotate_keeps_one_previous)
{
	tls_ticket_keys_t keys = { 0 };
	tls_ticket_key_t first;
	str_t err = STR_INIT;

	ck_assert_int_eq(tls_ticket_keys_rotate(&keys, &err), 0);
	ck_assert_uint_eq(keys.count, 1);
	ck_assert(llabs(keys.key[0].created - (long long)time(NULL)) <= 1);
	first = keys.key[0];
	ck_assert_int_eq(tls_ticket_keys_rotate(&keys, &err), 0);
	ck_assert_uint_eq(keys.count, 2);
	ck_assert_mem_eq(&keys.key[1], &first, sizeof(first));
	ck_assert_mem_ne(keys.key[0].name, first.name, TLS_TICKET_NAME_LEN);
	ck_assert_mem_ne(keys.key[0].aes, first.aes, TLS_TICKET_AES_LEN);
	ck_assert_int_eq(tls_ticket_keys_rotate(&keys, &err), 0);
	ck_assert_uint_eq(keys.count, 2);
	ck_assert_mem_ne(keys.key[0].name, first.name, TLS_TICKET_NAME_LEN);
	ck_assert_mem_ne(keys.key[1].name, first.name, TLS_TICKET_NAME_LEN);
	tls_ticket_keys_wipe(&keys);
	str_free(&err);
}
END_TEST

START_TEST(test_save_and_load)
{
	tls_ticket_keys_t keys = { 0 }, back;
	str_t err = STR_INIT;
	char path[256];
	struct stat st;

	test_path(path, sizeof(path), "keys");
	ck_assert_int_eq(tls_ticket_keys_rotate(&keys, &err), 0);
	ck_assert_int_eq(tls_ticket_keys_rotate(&keys, &err), 0);
	keys.key[1].created = 1234567890123LL;	/* all eight bytes of the time */
	ck_assert_int_eq(tls_ticket_keys_save(path, &keys, &err), 0);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, TLS_TICKET_FILE_MODE);
	ck_assert_int_eq(tls_ticket_keys_load(path, &back, &err), 0);
	ck_assert_mem_eq(&back, &keys, sizeof(keys));
	/* saved again over the old one: still one file, no temporary left */
	ck_assert_int_eq(tls_ticket_keys_rotate(&keys, &err), 0);
	ck_assert_int_eq(tls_ticket_keys_save(path, &keys, &err), 0);
	strcat(path, ".tmp");
	ck_assert_int_ne(access(path, F_OK), 0);
	str_free(&err);
}
END_TEST

static void test_refused(const char *path, const char *why)
{
	tls_ticket_keys_t keys;
	str_t err = STR_INIT;

	ck_assert_int_eq(tls_ticket_keys_load(path, &keys, &err), -1);
	ck_assert_uint_eq(keys.count, 0);
	ck_assert_msg(strstr(str_cstr(&err), why) != NULL, "%s: %s", why, str_cstr(&err));
	str_free(&err);
}

START_TEST(test_bad_files_refused)
{
	tls_ticket_keys_t keys = { 0 };
	str_t err = STR_INIT;
	char good[256], path[256];
	unsigned char buf[512];
	ssize_t len;
	int fd;

	test_path(good, sizeof(good), "good");
	ck_assert_int_eq(tls_ticket_keys_rotate(&keys, &err), 0);
	ck_assert_int_eq(tls_ticket_keys_save(good, &keys, &err), 0);
	fd = open(good, O_RDONLY);
	len = read(fd, buf, sizeof(buf));
	close(fd);
	ck_assert_int_gt(len, 8);

	test_path(path, sizeof(path), "missing");
	test_refused(path, "No such file");
	test_path(path, sizeof(path), "short");
	test_write_file(path, buf, (size_t)len - 1, 0600);
	test_refused(path, "not a ticket key file");
	test_path(path, sizeof(path), "magic");
	buf[0] ^= 1;
	test_write_file(path, buf, (size_t)len, 0600);
	test_refused(path, "not a ticket key file");
	buf[0] ^= 1;
	test_path(path, sizeof(path), "empty");
	test_write_file(path, buf, 8, 0600);		/* the magic, no key */
	test_refused(path, "not a ticket key file");
	test_path(path, sizeof(path), "three");		/* more keys than there can be */
	memcpy(buf + len, buf + 8, (size_t)len - 8);
	memcpy(buf + 2 * len - 8, buf + 8, (size_t)len - 8);
	test_write_file(path, buf, (size_t)(3 * len - 16), 0600);
	test_refused(path, "not a ticket key file");
	test_path(path, sizeof(path), "readable");
	test_write_file(path, buf, (size_t)len, 0640);
	test_refused(path, "closed to others");
	test_path(path, sizeof(path), "link");
	ck_assert_int_eq(symlink(good, path), 0);
	test_refused(path, "link");
	test_path(path, sizeof(path), "dir");
	ck_assert_int_eq(mkdir(path, 0700), 0);
	test_refused(path, "not a regular file");
	tls_ticket_keys_wipe(&keys);
	str_free(&err);
}
END_TEST

/* --- resumption through tls.c ------------------------------------------ */

/* A self-signed P-256 certificate and its key, as PEM text. */
static void test_make_cert(str_t *cert_pem, str_t *key_pem)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *cert = X509_new();
	X509_NAME *name = X509_get_subject_name(cert);
	BIO *bio = BIO_new(BIO_s_mem());
	char *data;
	long len;

	ck_assert_ptr_nonnull(key);
	ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
	X509_gmtime_adj(X509_getm_notBefore(cert), 0);
	X509_time_adj_ex(X509_getm_notAfter(cert), TEST_CERT_DAYS, 0, NULL);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"localhost", -1, -1, 0);
	X509_set_issuer_name(cert, name);
	X509_set_pubkey(cert, key);
	ck_assert_int_gt(X509_sign(cert, key, EVP_sha256()), 0);
	PEM_write_bio_X509(bio, cert);
	len = BIO_get_mem_data(bio, &data);
	str_append(cert_pem, data, (size_t)len);
	(void)BIO_reset(bio);
	PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL);
	len = BIO_get_mem_data(bio, &data);
	str_append(key_pem, data, (size_t)len);
	BIO_free(bio);
	X509_free(cert);
	EVP_PKEY_free(key);
}

static tls_server_t *test_server(const tls_ticket_keys_t *keys)
{
	str_t cert = STR_INIT, key = STR_INIT, err = STR_INIT;
	tls_server_t *srv;

	test_make_cert(&cert, &key);
	srv = tls_server_create(&cert, &key, TLS1_2_VERSION, &err);
	ck_assert_msg(srv != NULL, "%s", str_cstr(&err));
	ck_assert_int_eq(tls_server_tickets(srv, keys, TEST_LIFETIME, &err), 0);
	str_free(&cert);
	tls_pem_free(&key);
	str_free(&err);
	return srv;
}

typedef struct test_client {
	int fd;
	int version;
	SSL_SESSION *offer;		/* the session to resume, or NULL */
	SSL_SESSION *got;		/* the session to keep for next time */
	int reused;
	int ok;
} test_client_t;

/* The client: handshake, read the greeting (which brings TLS 1.3 tickets). */
static void *test_client_run(void *arg)
{
	test_client_t *c = arg;
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	SSL *ssl = SSL_new(ctx);
	char buf[sizeof(TEST_GREETING)];

	SSL_CTX_set_min_proto_version(ctx, c->version);
	SSL_CTX_set_max_proto_version(ctx, c->version);
	SSL_set_fd(ssl, c->fd);
	if (c->offer)
		SSL_set_session(ssl, c->offer);
	if (SSL_connect(ssl) == 1 && SSL_read(ssl, buf, sizeof(buf) - 1) == (int)sizeof(buf) - 1) {
		c->ok = 1;
		c->reused = SSL_session_reused(ssl);
		c->got = SSL_get1_session(ssl);
	}
	(void)SSL_shutdown(ssl);	/* else OpenSSL marks the session not resumable */
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	close(c->fd);
	return NULL;
}

/* One session against srv; 1 when the client resumed, 0 when not. */
static int test_session(tls_server_t *srv, int version, SSL_SESSION **session)
{
	test_client_t client = { .version = version, .offer = *session };
	str_t err = STR_INIT;
	pthread_t thread;
	stream_t *st;
	tls_conn_t *conn;
	int fds[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
	client.fd = fds[1];
	ck_assert_int_eq(pthread_create(&thread, NULL, test_client_run, &client), 0);
	st = stream_open(fds[0]);
	stream_set_timeout(st, TEST_TIMEOUT);
	conn = tls_server_accept(srv, st, TEST_TIMEOUT, &err);
	ck_assert_msg(conn != NULL, "%s", str_cstr(&err));
	ck_assert_int_eq(stream_puts(st, TEST_GREETING), 0);
	ck_assert_int_eq(stream_flush(st), 0);
	ck_assert_int_eq(pthread_join(thread, NULL), 0);
	ck_assert(client.ok);
	ck_assert_int_eq(tls_conn_reused(conn), client.reused);
	tls_conn_close(conn, st);
	stream_close(st);
	SSL_SESSION_free(*session);
	*session = client.got;
	str_free(&err);
	return client.reused;
}

static const int test_versions[] = { TLS1_2_VERSION, TLS1_3_VERSION };

/* close_notify may go to a client that is gone, as in smtpd */
static void test_ignore_sigpipe(void)
{
	signal(SIGPIPE, SIG_IGN);
}

START_TEST(test_resumes_across_servers)
{
	int version = test_versions[_i];
	tls_ticket_keys_t keys = { 0 }, once, twice;
	str_t err = STR_INIT;
	SSL_SESSION *session = NULL, *kept;
	tls_server_t *a, *b, *rotated, *gone;

	ck_assert_int_eq(tls_ticket_keys_rotate(&keys, &err), 0);
	once = keys;
	ck_assert_int_eq(tls_ticket_keys_rotate(&once, &err), 0);
	twice = once;
	ck_assert_int_eq(tls_ticket_keys_rotate(&twice, &err), 0);
	a = test_server(&keys);
	b = test_server(&keys);			/* another smtpd, the same keys */
	rotated = test_server(&once);
	gone = test_server(&twice);

	ck_assert_int_eq(test_session(a, version, &session), 0);
	kept = session;
	ck_assert(SSL_SESSION_up_ref(kept));
	ck_assert_int_eq(test_session(b, version, &session), 1);
	ck_assert_int_eq(test_session(rotated, version, &session), 1);	/* previous key: renewed */
	ck_assert_int_eq(test_session(rotated, version, &session), 1);	/* with the current one */
	SSL_SESSION_free(session);
	session = kept;
	ck_assert_int_eq(test_session(gone, version, &session), 0);	/* two rotations */
	SSL_SESSION_free(session);

	tls_server_free(a);
	tls_server_free(b);
	tls_server_free(rotated);
	tls_server_free(gone);
	tls_ticket_keys_wipe(&keys);
	tls_ticket_keys_wipe(&once);
	tls_ticket_keys_wipe(&twice);
	str_free(&err);
}
END_TEST

START_TEST(test_old_key_and_no_keys_refused)
{
	int version = test_versions[_i];
	tls_ticket_keys_t keys = { 0 }, old;
	str_t err = STR_INIT;
	SSL_SESSION *session = NULL;
	tls_server_t *fresh, *stale, *none;

	ck_assert_int_eq(tls_ticket_keys_rotate(&keys, &err), 0);
	old = keys;
	old.key[0].created -= 2 * TEST_LIFETIME;	/* a process that read the file long ago */
	fresh = test_server(&keys);
	stale = test_server(&old);
	none = test_server(NULL);

	ck_assert_int_eq(test_session(fresh, version, &session), 0);
	ck_assert_int_eq(test_session(stale, version, &session), 0);
	ck_assert_int_eq(test_session(none, version, &session), 0);
	ck_assert_int_eq(test_session(none, version, &session), 0);	/* none made, none taken */
	SSL_SESSION_free(session);

	tls_server_free(fresh);
	tls_server_free(stale);
	tls_server_free(none);
	tls_ticket_keys_wipe(&keys);
	tls_ticket_keys_wipe(&old);
	str_free(&err);
}
END_TEST

Suite *suite_tls_ticket(void)
{
	Suite *s = suite_create("tls_ticket");
	TCase *file = tcase_create("file");
	TCase *resume = tcase_create("resume");

	tcase_add_checked_fixture(file, test_setup, test_teardown);
	tcase_add_test(file, test_rotate_keeps_one_previous);
	tcase_add_test(file, test_save_and_load);
	tcase_add_test(file, test_bad_files_refused);
	tcase_add_checked_fixture(resume, test_ignore_sigpipe, NULL);
	tcase_add_loop_test(resume, test_resumes_across_servers, 0, 2);
	tcase_add_loop_test(resume, test_old_key_and_no_keys_refused, 0, 2);
	suite_add_tcase(s, file);
	suite_add_tcase(s, resume);
	return s;
}
