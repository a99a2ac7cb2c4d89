/*
 * tls_ticket: session ticket keys in a file shared by every smtpd process,
 * and the OpenSSL callback that makes and opens tickets with them (see
 * tls_ticket.h). Tickets are AES-256-CBC with HMAC-SHA256, as OpenSSL's
 * own; the key material never passes through a growable buffer and is
 * wiped from every buffer that held it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

#include "fdio.h"
#include "mem.h"
#include "tls_ticket.h"

#define TLS_TICKET_MAGIC "PTKTKEY1"
#define TLS_TICKET_MAGIC_LEN (sizeof(TLS_TICKET_MAGIC) - 1)
#define TLS_TICKET_TIME_LEN 8
#define TLS_TICKET_RECORD_LEN (TLS_TICKET_NAME_LEN + TLS_TICKET_AES_LEN \
			       + TLS_TICKET_HMAC_LEN + TLS_TICKET_TIME_LEN)
#define TLS_TICKET_FILE_MAX (TLS_TICKET_MAGIC_LEN + TLS_TICKET_KEYS_MAX * TLS_TICKET_RECORD_LEN)
#define TLS_TICKET_OTHERS_MASK 077	/* no access for group or others */
#define TLS_TICKET_RENEW 2		/* callback: valid, but issue a new ticket */
#define TLS_TICKET_AGE_LIFETIMES 2	/* a key opens tickets this many lifetimes */

/* What the callback finds on its SSL_CTX. */
typedef struct tls_ticket_ring {
	tls_ticket_keys_t keys;
	long lifetime;
} tls_ticket_ring_t;

/* OpenSSL's slot for the ring on an SSL_CTX, registered once per process. */
static int tls_ticket_index = -1;

static void tls_ticket_decode(const unsigned char *p, tls_ticket_key_t *k)
{
	unsigned long long created = 0;

	memcpy(k->name, p, TLS_TICKET_NAME_LEN);
	p += TLS_TICKET_NAME_LEN;
	memcpy(k->aes, p, TLS_TICKET_AES_LEN);
	p += TLS_TICKET_AES_LEN;
	memcpy(k->hmac, p, TLS_TICKET_HMAC_LEN);
	p += TLS_TICKET_HMAC_LEN;
	for (size_t i = 0; i < TLS_TICKET_TIME_LEN; i++)
		created = created << 8 | p[i];
	k->created = (long long)created;
}

static void tls_ticket_encode(const tls_ticket_key_t *k, unsigned char *p)
{
	unsigned long long created = (unsigned long long)k->created;

	memcpy(p, k->name, TLS_TICKET_NAME_LEN);
	p += TLS_TICKET_NAME_LEN;
	memcpy(p, k->aes, TLS_TICKET_AES_LEN);
	p += TLS_TICKET_AES_LEN;
	memcpy(p, k->hmac, TLS_TICKET_HMAC_LEN);
	p += TLS_TICKET_HMAC_LEN;
	for (size_t i = TLS_TICKET_TIME_LEN; i-- > 0; created >>= 8)
		p[i] = (unsigned char)(created & 0xff);
}

/* Only a regular file of this user that nobody else may read or write. */
static int tls_ticket_file_safe(int fd, const char *path, str_t *err)
{
	struct stat st;

	if (fstat(fd, &st) != 0) {
		str_printf(err, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & TLS_TICKET_OTHERS_MASK)) {
		str_printf(err, "%s: not a regular file of user ID %ld closed to others",
			   path, (long)geteuid());
		return -1;
	}
	return 0;
}

/* Up to size bytes; the count read, or -1 with errno. */
static ssize_t tls_ticket_read(int fd, unsigned char *buf, size_t size)
{
	size_t len = 0;

	while (len < size) {
		ssize_t n = read(fd, buf + len, size - len);

		if (n == 0)
			break;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		len += (size_t)n;
	}
	return (ssize_t)len;
}

/* The magic, then one to TLS_TICKET_KEYS_MAX whole records. */
static int tls_ticket_parse(const unsigned char *buf, size_t len, tls_ticket_keys_t *keys)
{
	size_t body;

	if (len < TLS_TICKET_MAGIC_LEN || memcmp(buf, TLS_TICKET_MAGIC, TLS_TICKET_MAGIC_LEN) != 0)
		return -1;
	body = len - TLS_TICKET_MAGIC_LEN;
	if (body == 0 || body % TLS_TICKET_RECORD_LEN != 0
	    || body / TLS_TICKET_RECORD_LEN > TLS_TICKET_KEYS_MAX)
		return -1;
	keys->count = body / TLS_TICKET_RECORD_LEN;
	for (size_t i = 0; i < keys->count; i++)
		tls_ticket_decode(buf + TLS_TICKET_MAGIC_LEN + i * TLS_TICKET_RECORD_LEN, &keys->key[i]);
	return 0;
}

int tls_ticket_keys_load(const char *path, tls_ticket_keys_t *keys, str_t *err)
{
	unsigned char buf[TLS_TICKET_FILE_MAX + 1];	/* + 1: a longer file is refused */
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	ssize_t len = -1;
	int rc = -1;

	memset(keys, 0, sizeof(*keys));
	if (fd < 0) {
		str_printf(err, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (tls_ticket_file_safe(fd, path, err) == 0) {
		if ((len = tls_ticket_read(fd, buf, sizeof(buf))) < 0)
			str_printf(err, "%s: %s", path, strerror(errno));
		else if ((rc = tls_ticket_parse(buf, (size_t)len, keys)) < 0)
			str_printf(err, "%s: not a ticket key file", path);
	}
	close(fd);
	OPENSSL_cleanse(buf, sizeof(buf));
	return rc;
}

/* The key material from OpenSSL's private CSPRNG (seeded by the kernel). */
int tls_ticket_keys_rotate(tls_ticket_keys_t *keys, str_t *err)
{
	tls_ticket_key_t fresh;
	int rc = -1;

	if (RAND_priv_bytes(fresh.name, sizeof(fresh.name)) != 1
	    || RAND_priv_bytes(fresh.aes, sizeof(fresh.aes)) != 1
	    || RAND_priv_bytes(fresh.hmac, sizeof(fresh.hmac)) != 1) {
		str_set(err, "no random bytes for a ticket key");
		ERR_clear_error();
	} else {
		fresh.created = (long long)time(NULL);
		if (keys->count > 0)
			keys->key[1] = keys->key[0];
		keys->key[0] = fresh;
		keys->count = keys->count > 0 ? TLS_TICKET_KEYS_MAX : 1;
		rc = 0;
	}
	OPENSSL_cleanse(&fresh, sizeof(fresh));
	return rc;
}

/* The new file under a temporary name; 0, or -1 with err. */
static int tls_ticket_write(const char *tmp, const unsigned char *buf, size_t len, str_t *err)
{
	int fd;

	if (unlink(tmp) != 0 && errno != ENOENT) {
		str_printf(err, "remove %s: %s", tmp, strerror(errno));
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, TLS_TICKET_FILE_MODE);
	if (fd < 0) {
		str_printf(err, "create %s: %s", tmp, strerror(errno));
		return -1;
	}
	if (fdio_write_all(fd, buf, len) != 0) {
		str_printf(err, "write %s: %s", tmp, strerror(errno));
		close(fd);
		return -1;
	}
	if (close(fd) != 0) {
		str_printf(err, "close %s: %s", tmp, strerror(errno));
		return -1;
	}
	return 0;
}

int tls_ticket_keys_save(const char *path, const tls_ticket_keys_t *keys, str_t *err)
{
	unsigned char buf[TLS_TICKET_FILE_MAX];
	size_t len = TLS_TICKET_MAGIC_LEN + keys->count * TLS_TICKET_RECORD_LEN;
	str_t tmp = STR_INIT;
	int rc;

	memcpy(buf, TLS_TICKET_MAGIC, TLS_TICKET_MAGIC_LEN);
	for (size_t i = 0; i < keys->count; i++)
		tls_ticket_encode(&keys->key[i], buf + TLS_TICKET_MAGIC_LEN + i * TLS_TICKET_RECORD_LEN);
	str_printf(&tmp, "%s.tmp", path);
	rc = tls_ticket_write(str_cstr(&tmp), buf, len, err);
	if (rc == 0 && rename(str_cstr(&tmp), path) != 0) {
		str_printf(err, "rename %s to %s: %s", str_cstr(&tmp), path, strerror(errno));
		rc = -1;
	}
	if (rc < 0)
		(void)unlink(str_cstr(&tmp));
	OPENSSL_cleanse(buf, sizeof(buf));
	str_free(&tmp);
	return rc;
}

void tls_ticket_keys_wipe(tls_ticket_keys_t *keys)
{
	OPENSSL_cleanse(keys, sizeof(*keys));
}

/* May this key still make or open tickets? Not past two lifetimes. */
static int tls_ticket_key_fresh(const tls_ticket_ring_t *ring, const tls_ticket_key_t *k)
{
	return (long long)time(NULL) - k->created < TLS_TICKET_AGE_LIFETIMES * (long long)ring->lifetime;
}

/* Point the cipher and the MAC at key k; 0 or -1. */
static int tls_ticket_use(const tls_ticket_key_t *k, unsigned char *iv, EVP_CIPHER_CTX *cctx,
			  EVP_MAC_CTX *hctx, int enc)
{
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, (void *)k->hmac, sizeof(k->hmac)),
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
		OSSL_PARAM_construct_end(),
	};

	if (EVP_MAC_CTX_set_params(hctx, params) != 1)
		return -1;
	return EVP_CipherInit_ex(cctx, EVP_aes_256_cbc(), NULL, k->aes, iv, enc) == 1 ? 0 : -1;
}

/*
 * OpenSSL's ticket callback. Making a ticket (enc 1): the current key, a
 * fresh IV. Opening one: the key it names, if this process has it and it
 * is not too old; the previous key's tickets are replaced (RENEW). 0 means
 * no ticket is made, or the ticket is ignored and a full handshake follows.
 */
static int tls_ticket_cb(SSL *ssl, unsigned char *name, unsigned char *iv, EVP_CIPHER_CTX *cctx,
			 EVP_MAC_CTX *hctx, int enc)
{
	const tls_ticket_ring_t *ring = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), tls_ticket_index);
	const tls_ticket_key_t *k;

	if (ring == NULL)
		return 0;
	if (enc) {
		k = &ring->keys.key[0];
		if (!tls_ticket_key_fresh(ring, k))
			return 0;
		if (RAND_bytes(iv, EVP_CIPHER_get_iv_length(EVP_aes_256_cbc())) != 1)
			return -1;
		memcpy(name, k->name, TLS_TICKET_NAME_LEN);
		return tls_ticket_use(k, iv, cctx, hctx, 1) == 0 ? 1 : -1;
	}
	for (size_t i = 0; i < ring->keys.count; i++) {
		k = &ring->keys.key[i];
		if (memcmp(name, k->name, TLS_TICKET_NAME_LEN) != 0 || !tls_ticket_key_fresh(ring, k))
			continue;
		if (tls_ticket_use(k, iv, cctx, hctx, 0) < 0)
			return -1;
		return i == 0 ? 1 : TLS_TICKET_RENEW;
	}
	return 0;
}

static void tls_ticket_ring_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl,
				 void *argp)
{
	(void)parent;
	(void)ad;
	(void)idx;
	(void)argl;
	(void)argp;
	if (ptr == NULL)
		return;
	OPENSSL_cleanse(ptr, sizeof(tls_ticket_ring_t));
	mem_free(ptr);
}

int tls_ticket_install(SSL_CTX *ctx, const tls_ticket_keys_t *keys, long lifetime)
{
	tls_ticket_ring_t *ring;

	if (tls_ticket_index < 0)
		tls_ticket_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, tls_ticket_ring_free);
	if (tls_ticket_index < 0 || keys->count == 0 || lifetime <= 0)
		return -1;
	ring = mem_calloc(1, sizeof(*ring));
	ring->keys = *keys;
	ring->lifetime = lifetime;
	if (SSL_CTX_set_ex_data(ctx, tls_ticket_index, ring) != 1) {
		tls_ticket_ring_free(NULL, ring, NULL, 0, 0, NULL);
		return -1;
	}
	/* from here the context owns the ring and frees it with itself */
	return SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, tls_ticket_cb) == 1 ? 0 : -1;
}
