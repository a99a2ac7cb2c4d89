/*
 * tls_ticket: the keys that protect TLS session tickets (RFC 5077, and the
 * resumption tickets of TLS 1.3), shared by every smtpd process so that a
 * client resumes its session whichever process takes its next connection,
 * and after smtpd processes come and go.
 *
 *   master, at start and every smtpd_tls_session_cache_timeout seconds:
 *     tls_ticket_keys_load(TLS_TICKET_FILE, &keys, &err);    (may fail: none yet)
 *     tls_ticket_keys_rotate(&keys, &err);
 *     tls_ticket_keys_save(TLS_TICKET_FILE, &keys, &err);
 *   smtpd, before the privilege drop:
 *     tls_ticket_keys_load(TLS_TICKET_FILE, &keys, &err);
 *   and after it: tls_server_tickets(srv, &keys, lifetime, &err) (tls.h).
 *
 * The file, under queue_directory in a directory of master's own (mode
 * 0700), holds the current key, which makes new tickets, and the previous
 * one, whose tickets are still accepted and replaced by new ones. A
 * rotation makes a new current key from OpenSSL's CSPRNG and keeps the
 * old current one as previous, so a ticket survives at most two
 * rotations. Each key carries its creation time: a process that read the
 * file long ago still refuses a key older than two lifetimes.
 *
 * The file must be a regular file owned by the reading user (root when
 * privilege-separated) and closed to everybody else, or it is refused: a
 * key an attacker chose would let them decrypt resumed sessions.
 * File format: "PTKTKEY1", then for each key (current first) its 16-byte
 * name, 32-byte AES-256-CBC key, 32-byte HMAC-SHA256 key and 8-byte
 * big-endian creation time.
 */
#ifndef POCHTA_TLS_TICKET_H
#define POCHTA_TLS_TICKET_H

#include <stddef.h>

#include "str.h"

#define TLS_TICKET_DIR "tls"			/* relative to queue_directory */
#define TLS_TICKET_FILE "tls/ticket_keys"
#define TLS_TICKET_DIR_MODE 0700
#define TLS_TICKET_FILE_MODE 0600
#define TLS_TICKET_KEYS_MAX 2			/* current and previous */
#define TLS_TICKET_NAME_LEN 16			/* OpenSSL's key_name[16] */
#define TLS_TICKET_AES_LEN 32			/* AES-256 */
#define TLS_TICKET_HMAC_LEN 32			/* HMAC-SHA256 */

typedef struct tls_ticket_key {
	unsigned char name[TLS_TICKET_NAME_LEN];
	unsigned char aes[TLS_TICKET_AES_LEN];
	unsigned char hmac[TLS_TICKET_HMAC_LEN];
	long long created;			/* time(2) */
} tls_ticket_key_t;

typedef struct tls_ticket_keys {
	size_t count;				/* 0 to TLS_TICKET_KEYS_MAX */
	tls_ticket_key_t key[TLS_TICKET_KEYS_MAX];	/* [0] is the current one */
} tls_ticket_keys_t;

/* 0, or -1 with err (keys then empty). */
int tls_ticket_keys_load(const char *path, tls_ticket_keys_t *keys, str_t *err);
/* A new current key; the old current one becomes the previous. 0 or -1. */
int tls_ticket_keys_rotate(tls_ticket_keys_t *keys, str_t *err);
/* Replace the file atomically (mode 0600); 0, or -1 with err. */
int tls_ticket_keys_save(const char *path, const tls_ticket_keys_t *keys, str_t *err);
void tls_ticket_keys_wipe(tls_ticket_keys_t *keys);

/* For tls.c: make tickets in ctx with these keys (copied), accepting a key
 * for 2 * lifetime seconds after its creation. 0, or -1 on failure. */
struct ssl_ctx_st;
int tls_ticket_install(struct ssl_ctx_st *ctx, const tls_ticket_keys_t *keys, long lifetime);

#endif
