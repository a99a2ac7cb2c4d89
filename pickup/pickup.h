/*
 * pickup: what the files of the pickup daemon share.
 *
 * pickup.c runs the loop and scans maildrop/; pickup_file.c takes one
 * file (checks, who sent it, the outcome); pickup_queue.c writes its
 * queue file with the envelope rewritten as smtpd does; pickup_header.c
 * reads the message's header section and adds what a local submission
 * lacks.
 */
#ifndef POCHTA_PICKUP_H
#define POCHTA_PICKUP_H

#include <sys/types.h>

#include "maildrop.h"
#include "queue.h"

#define PICKUP_POLL_MS 1000		/* SIGHUP and changed tables are noticed this often */
#define PICKUP_WAKEUP_WAIT_MS 100	/* for a wake-up's byte after its connection */
#define PICKUP_MSGID_LOG_MAX 256	/* bytes of a Message-ID logged */
#define PICKUP_DATE_MAX 64

/* What became of one maildrop file. */
enum pickup_result {
	PICKUP_QUEUED,		/* its queue file is committed */
	PICKUP_CORRUPT,		/* not a maildrop file: to corrupt/ */
	PICKUP_REFUSED,		/* the user may not submit it (logged): removed */
	PICKUP_LATER,		/* a problem of ours (disk, tables): try again at the next scan */
};

/* One submission: the maildrop file being read and who it came from. */
typedef struct pickup_sub {
	const char *name;	/* the maildrop file */
	uid_t uid;		/* its owner, the user who ran sendmail */
	maildrop_reader_t reader;
	maildrop_env_t env;
	str_t why;		/* the reason for PICKUP_CORRUPT or PICKUP_LATER */
	str_t message_id;	/* for the log line */
	char id[QUEUE_ID_SIZE];	/* the new queue file's */
} pickup_sub_t;

/* Take every complete file in maildrop/ (the working directory is
 * queue_directory). */
void pickup_scan(void);
/* Take one file by name. */
void pickup_file(const char *name);
/* Write the queue file of a submission whose envelope has been read. */
enum pickup_result pickup_queue_write(pickup_sub_t *sub);
/* The content: the Received: header, the message's own header section
 * with the missing From:, Date: and Message-ID: added, and the rest, read
 * from the submission's reader into the queue file. */
enum pickup_result pickup_header_copy(pickup_sub_t *sub, queue_writer_t *qw,
				      const char *sender);

#endif
