/*
 * queue: queue files and queue IDs.
 *
 * Every daemon that touches the queue has queue_directory as its working
 * directory, so queue paths are relative ("incoming/ID").
 *
 * A queue ID sorts by arrival time and is unique over the life of the
 * queue: 9 hex digits of seconds, 5 of microseconds, "z", then the inode
 * number of the file in hex (unique among live files).
 *
 * A queue file is a sequence of records, each
 *
 *   type length ":" data "\n"
 *
 * where type is one letter and length is decimal ASCII. The content record
 * has a fixed 20-digit length so it can be streamed and patched. A file is
 * complete only with its final "E" record; readers check every length and
 * treat anything else as damaged. Recipient records are written with type
 * 'R' and marked done in place by overwriting that letter with 'D' (one
 * byte, so the mark is atomic), so a restart never re-delivers a
 * recipient already done.
 *
 * Records: V version, T arrival ("sec.usec"), W delay warning, S sender,
 * A attribute ("name=value"), O original recipient, N DSN notify flags, Q
 * DSN original recipient, R/D recipient, M content (LF line ends), E end.
 * The W record ("W1:0") follows T in every file queue_create writes; qmgr
 * overwrites its one data byte with "1" in place (atomic, like the done
 * marks) once the sender has had the delay warning, so a restart never
 * sends it twice. A file without W (written before it existed) gets no
 * delay warning, since nothing could record that it had one. An O record
 * holds the address the client gave before rewriting (virtual aliases,
 * canonical maps); it applies to the R/D records that follow it up to the
 * next O record. Recipients before any O record (every recipient of a file
 * written before O existed) have none.
 *
 * Delivery status notifications (RFC 3461) of one RCPT command: an N record
 * holds its NOTIFY= as the decimal sum of QUEUE_NOTIFY_ flags (Postfix's
 * values), a Q record its ORCPT= as "addr-type;address" with the address
 * decoded from xtext ("rfc822;a+b@example.org"). Like the O record they
 * follow, they apply to the recipients after them up to the next O record,
 * which ends them; at most one of each there. A recipient without them
 * (any recipient of a file written before they existed) had no NOTIFY or
 * no ORCPT.
 *
 * Attributes smtpd writes beyond the client's: dsn_ret ("FULL" or "HDRS",
 * RET= of MAIL FROM), dsn_envid (ENVID= decoded from xtext: printable
 * ASCII), smtputf8 ("yes": MAIL FROM had SMTPUTF8, so addresses or headers
 * may be UTF-8 and a relay must use SMTPUTF8 too), access_action ("hold"
 * or "discard": an access table's HOLD or DISCARD, which qmgr carries out
 * when it takes the file from incoming/). Absent means not given.
 *
 * Files are written in incoming/ under a dot name, fsync'ed, renamed to
 * their ID (no overwrite), and the directory is fsync'ed: only then is the
 * message acknowledged.
 *
 * Recycling: creating and deleting an inode per message is the dearest
 * part of a queue file on ext4, so a finished file is not deleted but
 * renamed into recycle/ (queue_remove, bounded by the limit its caller
 * gives, QUEUE_RECYCLE_MAX for qmgr, and by QUEUE_RECYCLE_SIZE_MAX per
 * file; beyond them the file is unlinked).
 * queue_create first claims a file from there: rename recycle/NAME to its
 * dot name in incoming/ (one winner when writers race; ENOENT means take
 * the next name), check that it is a plain 0600 file of ours with no other
 * name, and overwrite it from offset 0; the commit truncates it to the
 * bytes written before the fsync, so the old blocks are reused, not freed
 * and allocated again. The ID is made from the claimed inode and the new
 * arrival time as for a fresh file. Everything in recycle/ is garbage by
 * definition, and a crash mid-claim leaves only a dot file that qmgr
 * removes as it removes any stale one, so no step needs an fsync of its
 * own.
 *
 * A delivery agent may still hold a finished file open (its qmgr was
 * killed and a new one finished the message), so readers open queue files
 * with queue_open_delivery, which takes a shared flock and checks that the
 * name still leads to the same file; a writer claims a recycled file only
 * when it gets the exclusive flock, and keeps it until the commit. So no
 * process ever reads one message's file while another message is written
 * into it.
 */
#ifndef POCHTA_QUEUE_H
#define POCHTA_QUEUE_H

#include <stddef.h>
#include <sys/time.h>
#include <sys/types.h>
#include "str.h"

#define QUEUE_ID_SIZE 40		/* buffer size for an ID and its NUL */
#define QUEUE_RECORD_MAX (1 << 20)	/* any record but the content */
#define QUEUE_FORMAT_VERSION "1"
#define QUEUE_CONTENT_DIGITS 20		/* fixed width of the content record's length */
#define QUEUE_WARN_PENDING '0'		/* the W record's byte: no delay warning yet */
#define QUEUE_WARN_SENT '1'		/* the delay warning went out */
#define QUEUE_LENGTH_DIGITS_MAX 20	/* any record's length field */
#define QUEUE_FILE_MODE 0600
#define QUEUE_RECYCLE_MAX 1000		/* finished files kept for reuse by qmgr */
#define QUEUE_RECYCLE_SIZE_MAX (64 * 1024)	/* bigger files are not kept */

#define QUEUE_INCOMING "incoming"
#define QUEUE_ACTIVE "active"
#define QUEUE_DEFERRED "deferred"
#define QUEUE_HOLD "hold"
#define QUEUE_CORRUPT "corrupt"
#define QUEUE_MAILDROP "maildrop"
#define QUEUE_RECYCLE "recycle"

int queue_id_valid(const char *id);
/* The ID of a file with this inode number that arrived at tv. */
void queue_id_make(char *buf, size_t size, struct timeval tv, unsigned long long inode);

/* Writing a new queue file. */
typedef struct queue_writer queue_writer_t;

/* Creates the temporary file in dir (a recycled one when recycle/ has
 * one on the same file system) and assigns the ID. NULL with errno. */
queue_writer_t *queue_create(const char *dir);
const char *queue_writer_id(const queue_writer_t *qw);
struct timeval queue_writer_arrival(const queue_writer_t *qw);
/* Each returns 0, or -1 with errno (ENOSPC and EDQUOT matter: 452 4.3.1). */
int queue_put_sender(queue_writer_t *qw, const char *sender);
int queue_put_attr(queue_writer_t *qw, const char *name, const char *value);
/* The original recipient of the recipients put after it (not empty). */
int queue_put_orig(queue_writer_t *qw, const char *orig);
/* DSN data of the recipients put after it, up to the next queue_put_orig:
 * NOTIFY= flags (queue_notify_valid), ORCPT= as "addr-type;address". */
int queue_put_notify(queue_writer_t *qw, int flags);
int queue_put_orcpt(queue_writer_t *qw, const char *orcpt);
int queue_put_rcpt(queue_writer_t *qw, const char *rcpt);
int queue_content_begin(queue_writer_t *qw);
int queue_content_write(queue_writer_t *qw, const void *data, size_t len);
off_t queue_content_size(const queue_writer_t *qw);
/* Finish, fsync, rename to the ID, fsync the directory; frees qw. */
int queue_commit(queue_writer_t *qw);
/* Remove the temporary file; frees qw. */
void queue_abort(queue_writer_t *qw);

/* RFC 3461 NOTIFY= as flags, with Postfix's values. */
#define QUEUE_ATTR_ACCESS_ACTION "access_action"	/* "hold" or "discard" */

#define QUEUE_NOTIFY_NEVER 1
#define QUEUE_NOTIFY_SUCCESS 2
#define QUEUE_NOTIFY_DELAY 4
#define QUEUE_NOTIFY_FAILURE 8
#define QUEUE_NOTIFY_ALL 15
#define QUEUE_NOTIFY_DIGITS_MAX 2	/* "15" */

/* Some flags and no others, NEVER only alone. */
int queue_notify_valid(int flags);
/* "addr-type;address" with neither part empty. */
int queue_orcpt_valid(const char *orcpt);

/* Reading a queue file. */
typedef struct queue_rcpt {
	char *addr;
	char *orig;		/* the address before rewriting, or NULL */
	int dsn_notify;		/* QUEUE_NOTIFY_ flags, 0 when NOTIFY= was not given */
	char *dsn_orcpt;	/* ORCPT= as "addr-type;address", or NULL */
	off_t offset;		/* of the record's type letter, for queue_mark_done */
	int done;
} queue_rcpt_t;

typedef struct queue_attr {
	char *name;
	char *value;
} queue_attr_t;

typedef struct queue_msg {
	char id[QUEUE_ID_SIZE];
	struct timeval arrival;
	char *sender;		/* "" for the null sender */
	queue_attr_t *attrs;
	size_t nattrs;
	queue_rcpt_t *rcpts;
	size_t nrcpts;
	off_t content_offset;	/* first content byte in the file */
	off_t content_size;
	off_t file_size;
	off_t warn_offset;	/* of the W record's data byte, 0 when the file has none */
	int warned;		/* the sender had the delay warning */
} queue_msg_t;

/* Parse the file open on fd (id is the file name). 0, or -1 with the
 * reason in err when the file is damaged or incomplete. */
int queue_read(int fd, const char *id, queue_msg_t *msg, str_t *err);
/* Open dir/id for delivery: read-write (for done marks), no symlink, a
 * plain file of owner with one name, shared-locked, and still the file the
 * name leads to. The descriptor, or -1 with errno (EWOULDBLOCK: the file is
 * being rewritten; ESTALE: it is no longer that message's file; EPERM: the
 * file is not what the queue holds). */
int queue_open_delivery(const char *dir, const char *id, uid_t owner);
void queue_msg_free(queue_msg_t *msg);
const char *queue_msg_attr(const queue_msg_t *msg, const char *name);
/* The recipient whose record is at the offset given in decimal (how
 * qmgr names recipients to delivery agents), or NULL. */
const queue_rcpt_t *queue_msg_rcpt_at(const queue_msg_t *msg, const char *offset_text);
/* Mark one recipient done in place; the caller fsyncs (fdatasync) once
 * for a batch of marks. 0 or -1 with errno. */
int queue_mark_done(int fd, off_t offset);
/* Record in place that the delay warning went out (warn_offset of the
 * file); the caller fsyncs. 0 or -1 with errno. */
int queue_mark_warned(int fd, off_t warn_offset);

/* Where finished files go: recycle/ while it holds fewer than limit
 * files, else nowhere. estimate counts recycle/ as its owner last knew it;
 * claims by writers only lower the truth, so it is recounted when it says
 * the pool is full. */
typedef struct queue_recycler {
	size_t limit;
	size_t estimate;
	size_t until_recount;		/* removals before the next recount */
} queue_recycler_t;

/* Count recycle/ (nothing there, or no recycle/, is 0). */
void queue_recycler_init(queue_recycler_t *rc, size_t limit);
/* Retire the finished file from/id of size bytes: into recycle/, or
 * unlinked when the pool is full or the file is big (a pool of big files
 * would hold disk space for nothing). 0, or -1 with errno. */
int queue_remove(queue_recycler_t *rc, const char *id, const char *from, off_t size);

/* Move a file between queue directories ("incoming" -> "active"). */
int queue_move(const char *id, const char *from, const char *to);
/* Move a damaged file to corrupt/ and log why. */
void queue_corrupt(const char *id, const char *from, const char *why);

#endif
