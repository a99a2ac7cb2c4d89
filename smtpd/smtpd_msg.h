/*
 * smtpd_msg: the message content of one mail transaction, however it
 * arrives - DATA (smtpd_data.c) or BDAT chunks (smtpd_bdat.c). Both turn
 * the client's octets into content with LF line ends, gather it in out,
 * and leave the rest to these functions:
 *
 *   smtpd_msg_begin     the content record and the Received: header
 *   smtpd_msg_store     write out to the queue file (in batches, and at
 *                       the end); counts the size against
 *                       message_size_limit and notes the Message-ID
 *   smtpd_msg_commit    queue_commit, then, and only then, "250 2.0.0 Ok:
 *                       queued as ID"; then qmgr is woken
 *
 * Nothing here keeps heap memory but out, so a message can wait between
 * two BDAT commands inside the session once out was stored and freed.
 */
#ifndef POCHTA_SMTPD_MSG_H
#define POCHTA_SMTPD_MSG_H

#include "str.h"

#define SMTPD_MSG_BATCH 65536			/* content bytes gathered per queue write */
#define SMTPD_MSG_ID_MAX 256			/* bytes of a Message-ID logged */

struct smtpd_session;

typedef struct smtpd_msg {
	str_t out;			/* content not yet written */
	long long received;		/* raw bytes from the client */
	long long stored;		/* content bytes, Received: included */
	int too_big;			/* over message_size_limit: no longer written */
	int write_errno;		/* first queue write error, or 0 */
	/* the header scan, for the Message-ID: unfolded ones only */
	int in_headers;			/* no empty line seen yet */
	int line_start;			/* the next content byte starts a line */
	int id_match;			/* "Message-ID:" bytes matched on this line, -1: not it */
	int in_id;			/* copying this line's Message-ID */
	size_t id_len;
	char message_id[SMTPD_MSG_ID_MAX + 1];	/* for the log, "" when there is none */
} smtpd_msg_t;

/* Start the content record with the Received: header in out; 0, or -1
 * with errno, also kept in write_errno so that nothing is written. */
int smtpd_msg_begin(struct smtpd_session *s, smtpd_msg_t *msg);
/* Write out (and empty it), or only count it once past the size limit. */
void smtpd_msg_store(struct smtpd_session *s, smtpd_msg_t *msg);
/* The 550 for bare line ends (enum smtp_data_flags) where
 * smtpd_forbid_bare_newline = reject, else NULL. */
const char *smtpd_msg_bare_reply(int flags);
/* Commit the queue file and reply: 250 only once it is durable. */
void smtpd_msg_commit(struct smtpd_session *s, smtpd_msg_t *msg);
void smtpd_msg_free(smtpd_msg_t *msg);

#endif
