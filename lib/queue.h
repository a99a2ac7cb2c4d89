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
 * Records: V version, T arrival ("sec.usec"), S sender, A attribute
 * ("name=value"), O original recipient, R/D recipient, M content (LF line
 * ends), E end. An O record holds the address the client gave before
 * rewriting (virtual aliases, canonical maps); it applies to the R/D
 * records that follow it up to the next O record. Recipients before any O
 * record (every recipient of a file written before O existed) have none.
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
int queue_put_rcpt(queue_writer_t *qw, const char *rcpt);
int queue_content_begin(queue_writer_t *qw);
int queue_content_write(queue_writer_t *qw, const void *data, size_t len);
off_t queue_content_size(const queue_writer_t *qw);
/* Finish, fsync, rename to the ID, fsync the directory; frees qw. */
int queue_commit(queue_writer_t *qw);
/* Remove the temporary file; frees qw. */
void queue_abort(queue_writer_t *qw);

/* Reading a queue file. */
typedef struct queue_rcpt {
	char *addr;
	char *orig;		/* the address before rewriting, or NULL */
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
/* Mark one recipient done in place; the caller fsyncs (fdatasync) once
 * for a batch of marks. 0 or -1 with errno. */
int queue_mark_done(int fd, off_t offset);

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
