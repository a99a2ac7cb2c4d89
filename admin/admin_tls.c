/*
 * admin_tls: a self-signed certificate for a new instance, so that
 * STARTTLS and the implicit-TLS ports work out of the box on loopback.
 *
 * EC P-256 key, CN=localhost, subjectAltName DNS:localhost and
 * IP:127.0.0.1, valid for ADMIN_TLS_DAYS, made with the OpenSSL API (no
 * openssl command needed). The key file is created 0600 before any secret
 * is written to it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "admin.h"

#define ADMIN_TLS_DAYS 3650		/* ten years */
#define ADMIN_TLS_CURVE "P-256"
#define ADMIN_TLS_CN "localhost"
#define ADMIN_TLS_SERIAL_BYTES 16
#define ADMIN_TLS_KEY_MODE 0600
#define ADMIN_TLS_CERT_MODE 0644

_Noreturn static void admin_tls_fatal(const char *what)
{
	unsigned long code = ERR_get_error();
	char reason[256];

	ERR_error_string_n(code, reason, sizeof(reason));
	admin_fatal("TLS certificate: %s: %s", what, code ? reason : "failed");
}

static void admin_tls_serial(X509 *cert)
{
	unsigned char raw[ADMIN_TLS_SERIAL_BYTES];
	BIGNUM *bn;

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		admin_tls_fatal("random serial");
	raw[0] &= 0x7f;			/* serial numbers are positive */
	bn = BN_bin2bn(raw, sizeof(raw), NULL);
	if (bn == NULL || BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert)) == NULL)
		admin_tls_fatal("serial number");
	BN_free(bn);
}

static void admin_tls_add_ext(X509 *cert, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;

	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, cert, cert, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (ext == NULL || !X509_add_ext(cert, ext, -1))
		admin_tls_fatal("certificate extension");
	X509_EXTENSION_free(ext);
}

static X509 *admin_tls_make_cert(EVP_PKEY *key)
{
	X509 *cert = X509_new();
	X509_NAME *name;

	if (cert == NULL || !X509_set_version(cert, 2))	/* 2 means X.509 v3 */
		admin_tls_fatal("new certificate");
	admin_tls_serial(cert);
	if (X509_gmtime_adj(X509_getm_notBefore(cert), 0) == NULL
	    || X509_time_adj_ex(X509_getm_notAfter(cert), ADMIN_TLS_DAYS, 0, NULL) == NULL)
		admin_tls_fatal("validity");
	name = X509_get_subject_name(cert);
	if (!X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
					(const unsigned char *)ADMIN_TLS_CN, -1, -1, 0)
	    || !X509_set_issuer_name(cert, name) || !X509_set_pubkey(cert, key))
		admin_tls_fatal("subject");
	admin_tls_add_ext(cert, NID_basic_constraints, "critical,CA:FALSE");
	admin_tls_add_ext(cert, NID_key_usage, "critical,digitalSignature");
	admin_tls_add_ext(cert, NID_ext_key_usage, "serverAuth");
	admin_tls_add_ext(cert, NID_subject_key_identifier, "hash");
	admin_tls_add_ext(cert, NID_subject_alt_name, "DNS:" ADMIN_TLS_CN ",IP:127.0.0.1");
	if (!X509_sign(cert, key, EVP_sha256()))
		admin_tls_fatal("signature");
	return cert;
}

/* The file exists with its final owner and mode before anything is written. */
static FILE *admin_tls_open(const char *path, mode_t mode, uid_t uid, gid_t gid)
{
	FILE *fp;
	int fd;

	admin_write_file(path, "", mode, uid, gid);
	fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || (fp = fdopen(fd, "w")) == NULL)
		admin_fatal("open %s: %s", path, strerror(errno));
	return fp;
}

static void admin_tls_close(FILE *fp, const char *path)
{
	if (fflush(fp) != 0 || fsync(fileno(fp)) != 0 || fclose(fp) != 0)
		admin_fatal("write %s: %s", path, strerror(errno));
}

void admin_tls_selfsigned(const char *cert_path, const char *key_path, uid_t uid, gid_t gid)
{
	EVP_PKEY *key = EVP_EC_gen(ADMIN_TLS_CURVE);
	X509 *cert;
	FILE *fp;

	if (key == NULL)
		admin_tls_fatal("key generation");
	cert = admin_tls_make_cert(key);
	fp = admin_tls_open(key_path, ADMIN_TLS_KEY_MODE, uid, gid);
	if (!PEM_write_PrivateKey(fp, key, NULL, NULL, 0, NULL, NULL))
		admin_tls_fatal(key_path);
	admin_tls_close(fp, key_path);
	fp = admin_tls_open(cert_path, ADMIN_TLS_CERT_MODE, uid, gid);
	if (!PEM_write_X509(fp, cert))
		admin_tls_fatal(cert_path);
	admin_tls_close(fp, cert_path);
	X509_free(cert);
	EVP_PKEY_free(key);
}
