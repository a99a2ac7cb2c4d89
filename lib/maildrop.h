/*
 * maildrop: the files that local submissions leave in maildrop/. sendmail
 * writes the format, postdrop (the setgid drop helper) reads it from
 * sendmail and writes it again into maildrop/, and pickup reads the file
 * back as hostile input: the user who ran sendmail may have written any
 * byte of it, so the reader checks everything and never trusts a length
 * it has not bounded.
 *
 * A file is a sequence of records, each
 *
 *   type length ":" data "\n"
 *
 * with type one letter and length decimal ASCII (no leading zeros, at most
 * MAILDROP_LENGTH_DIGITS_MAX digits), in this order:
 *
 *   V     version, "1"
 *   S     the envelope sender ("" for the null sender; a bare login name
 *         is qualified by pickup)
 *   F     at most one: the sender's full name, for a From: header pickup adds
 *   A     attributes "name=value", each name at most once: dsn_ret (FULL or
 *         HDRS), dsn_envid (printable ASCII, at most MAILDROP_ENVID_MAX),
 *         body_type (7BIT or 8BITMIME)
 *   N     at most one: DSN NOTIFY flags for every recipient (queue.h)
 *   R     recipients, at least one, at most MAILDROP_RCPT_MAX
 *   M     pieces of the message (LF line ends), each at most
 *         MAILDROP_PIECE_MAX bytes, none empty, together at most the
 *         reader's limit
 *   E     the end, "E0:"; nothing may follow it
 *
 * Envelope records (all but M) hold at most MAILDROP_FIELD_MAX bytes and
 * no NUL or other control byte. A file without its E record is incomplete.
 * Addresses are in the queue's internal form (addr.h: no quotes).
 *
 * File names are queue IDs (queue.h), made from the time and the file's
 * inode, so pickup can move a damaged file to corrupt/ under its name.
 */
#ifndef POCHTA_MAILDROP_H
#define POCHTA_MAILDROP_H

#include <stddef.h>
#include <sys/types.h>

#include "str.h"
#include "stream.h"

#define MAILDROP_VERSION "1"
#define MAILDROP_FIELD_MAX 256		/* an envelope record's data */
#define MAILDROP_ENVID_MAX 100		/* RFC 3461 ENVID */
#define MAILDROP_PIECE_MAX 65536	/* one M record */
#define MAILDROP_LENGTH_DIGITS_MAX 6	/* enough for MAILDROP_PIECE_MAX */
#define MAILDROP_RCPT_MAX 10000		/* recipients of one submission */
#define MAILDROP_FILE_MODE 0444		/* pickup reads files of any user */
#define MAILDROP_NAME_SIZE 40		/* a file name and its NUL (QUEUE_ID_SIZE) */
#define MAILDROP_PICKUP_SOCKET "public/pickup"	/* wakes pickup (trigger.h) */

enum maildrop_record {
	MAILDROP_REC_VERSION = 'V',
	MAILDROP_REC_SENDER = 'S',
	MAILDROP_REC_FULLNAME = 'F',
	MAILDROP_REC_ATTR = 'A',
	MAILDROP_REC_NOTIFY = 'N',
	MAILDROP_REC_RCPT = 'R',
	MAILDROP_REC_CONTENT = 'M',
	MAILDROP_REC_END = 'E',
};

/* What maildrop_read_* return. */
enum maildrop_status {
	MAILDROP_OK = 0,
	MAILDROP_BAD = -1,		/* not a maildrop file: err says why */
	MAILDROP_TOOBIG = -2,		/* the content passes the reader's limit */
	MAILDROP_IO = -3,		/* a read failed (err says how) or the input ended early */
};

/* Attribute names. */
#define MAILDROP_ATTR_DSN_RET "dsn_ret"
#define MAILDROP_ATTR_DSN_ENVID "dsn_envid"
#define MAILDROP_ATTR_BODY_TYPE "body_type"

/* The envelope: empty strings for what was not given. */
typedef struct maildrop_env {
	str_t sender;
	str_t fullname;
	str_t dsn_ret;
	str_t dsn_envid;
	str_t body_type;
	int notify;		/* QUEUE_NOTIFY_ flags, 0: not given */
	str_t rcpts;		/* each ended by a NUL */
	size_t nrcpts;
} maildrop_env_t;

void maildrop_env_init(maildrop_env_t *env);
void maildrop_env_free(maildrop_env_t *env);
void maildrop_env_add_rcpt(maildrop_env_t *env, const char *rcpt);
/* Set an attribute by name; -1 for an unknown name or a bad value. */
int maildrop_env_set_attr(maildrop_env_t *env, const char *name, const char *value);

/* Writing: appends to out. */
void maildrop_put_envelope(str_t *out, const maildrop_env_t *env);
void maildrop_put_content(str_t *out, const char *data, size_t len);
void maildrop_put_end(str_t *out);

/* Reading from a stream, in order: the envelope, then the content. */
typedef struct maildrop_reader {
	stream_t *in;
	long long content_max;	/* 0: no limit */
	long long content_size;
	int state;		/* which records may come next (maildrop.c) */
	int have_pending;	/* the envelope reader stopped at this header: */
	int pending_type;
	size_t pending_len;
	int done;		/* the E record was read */
} maildrop_reader_t;

void maildrop_reader_init(maildrop_reader_t *r, stream_t *in, long long content_max);
/* V to the last R, checked and collected into env (initialized by the
 * caller). The record after it is left for maildrop_read_content. */
int maildrop_read_envelope(maildrop_reader_t *r, maildrop_env_t *env, str_t *err);
/* The next piece of content into data (replaced): MAILDROP_OK with
 * *more = 1, or MAILDROP_OK with *more = 0 at the E record, after checking
 * that nothing follows it. */
int maildrop_read_content(maildrop_reader_t *r, str_t *data, int *more, str_t *err);

/* A new file name (a queue ID) for the file with this inode, made now. */
void maildrop_name(char *buf, size_t size, ino_t inode);

#endif
