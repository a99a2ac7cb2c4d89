/*
 * smtpd_bdat: the BDAT command (RFC 3030 CHUNKING).
 *
 *   BDAT size [LAST]
 *
 * Exactly size octets follow the command line. They are read whatever the
 * reply will be (the client has sent them), and only then is the chunk
 * answered: "250 2.0.0 Ok: N bytes", or after the LAST chunk "250 2.0.0
 * Ok: queued as ID" once the queue file is durable (smtpd_msg.h). The
 * octets are content as they are - no dot-stuffing, no terminator - with
 * their line ends made LF (smtp_bdat.h). Replies wait in the output
 * buffer like any other, so a pipelined run of chunks gets its replies in
 * one write.
 *
 * A chunk that fails (no transaction, no recipient, a policy reject, the
 * size limit, a bare line end under smtpd_forbid_bare_newline = reject, a
 * write error) fails its transaction: it is reset, and the chunks still in
 * the pipeline find none (503) until a new MAIL. A command that cannot
 * be parsed leaves the octet count unknown, so the session cannot go on:
 * 521 and disconnect, as Postfix does.
 *
 * Between two chunks the message waits in the session (bdat_id,
 * bdat_lines, bdat_msg, with no heap memory), while MAIL, RCPT and DATA
 * are refused.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "smtpd.h"

#define SMTPD_BDAT_PIECE_MAX 65536	/* octets read from the client at a time */
#define SMTPD_BDAT_DIGITS_MAX 20	/* digits of a chunk size */
#define SMTPD_BDAT_CHUNK_MAX LLONG_MAX	/* octets in one chunk */
#define SMTPD_BDAT_LOG_ARG_MAX 100	/* bytes of a malformed command logged */

/* "size [LAST]": 0, or -1 when it is anything else. */
static int smtpd_bdat_parse(const char *arg, long long *size, int *last)
{
	char digits[SMTPD_BDAT_DIGITS_MAX + 1];
	size_t len = strcspn(arg, " \t");
	const char *rest = arg + len + strspn(arg + len, " \t");
	unsigned long long n;

	if (len == 0 || len > SMTPD_BDAT_DIGITS_MAX)
		return -1;
	memcpy(digits, arg, len);
	digits[len] = 0;
	if (smtp_param_number(digits, &n) < 0 || n > SMTPD_BDAT_CHUNK_MAX)
		return -1;
	if (*rest && strcasecmp(rest, "LAST") != 0)
		return -1;
	*size = (long long)n;
	*last = *rest != 0;
	return 0;
}

/* Do the chunks taken so far belong to the transaction still open? */
static int smtpd_bdat_open(const smtpd_session_t *s)
{
	return s->qw != NULL && strcmp(s->bdat_id, queue_writer_id(s->qw)) == 0;
}

static void smtpd_bdat_close(smtpd_session_t *s)
{
	s->bdat_id[0] = 0;
	smtpd_msg_free(&s->bdat_msg);
}

/* The transaction is over (queued, failed with its chunk, or lost). */
static void smtpd_bdat_finish(smtpd_session_t *s)
{
	smtpd_trans_reset(s);
	smtpd_bdat_close(s);
}

static void smtpd_bdat_lost(smtpd_session_t *s, int status, long long received)
{
	snprintf(s->where, sizeof(s->where), "BDAT (%lld bytes)", received);
	smtpd_log_lost(s, status);
	smtpd_bdat_finish(s);
}

/* The first chunk of a transaction starts its message. A failure to begin
 * is kept in the message's write_errno and answered after the chunk. */
static void smtpd_bdat_begin(smtpd_session_t *s)
{
	(void)smtpd_msg_begin(s, &s->bdat_msg);
	smtp_bdat_init(&s->bdat_lines);
	snprintf(s->bdat_id, sizeof(s->bdat_id), "%s", queue_writer_id(s->qw));
}

/*
 * Why the chunk cannot be taken: the reply to give once its octets are
 * read, or NULL when it can (the message is started at the first chunk).
 * A policy reply is put in policy.
 */
static const char *smtpd_bdat_check(smtpd_session_t *s, long long size, int last, str_t *policy)
{
	if (smtpd_conf.reject_bare_newline && smtpd_cmd_bare_lf(&s->line))
		return "550 5.5.2 Error: bare <LF> received";
	if (smtpd_tls_required(s))
		return "530 5.7.0 Must issue a STARTTLS command first";
	if (s->qw == NULL)
		return "503 5.5.1 Error: need RCPT command";
	if (s->rcpt_count == 0)
		return "554 5.5.1 Error: no valid recipients";
	if (size == 0 && !last)
		return "551 5.7.1 Null BDAT request";
	if (smtpd_bdat_open(s))
		return NULL;
	if (smtpd_restrict_data(s, policy) != 0) {
		smtpd_log_reject(s, "BDAT", policy->data, NULL);
		return policy->data;
	}
	smtpd_bdat_begin(s);
	return NULL;
}

/* Read the chunk's size octets, counted in received; into msg when it is
 * not NULL, else dropped. STREAM_OK, or how the client was lost. */
static int smtpd_bdat_read(smtpd_session_t *s, long long size, smtpd_msg_t *msg,
			   long long *received)
{
	str_t in = STR_INIT;
	int status = STREAM_OK;

	/* the content is one request, earning time at smtpd_min_data_rate */
	stream_start_request(s->client);
	stream_set_min_rate(s->client, smtpd_conf.min_data_rate);
	while (size > 0 && status == STREAM_OK) {
		size_t want = size < SMTPD_BDAT_PIECE_MAX ? (size_t)size : SMTPD_BDAT_PIECE_MAX;

		str_reset(&in);
		status = stream_read_exact(s->client, &in, want);
		*received += (long long)in.len;
		size -= (long long)in.len;
		if (msg == NULL)
			continue;
		smtp_bdat_feed(&s->bdat_lines, in.data, in.len, &msg->out);
		if (msg->out.len >= SMTPD_MSG_BATCH)
			smtpd_msg_store(s, msg);
	}
	stream_set_min_rate(s->client, 0);
	str_free(&in);
	return status;
}

/* A refused chunk: read it, then say why; its transaction is over. */
static void smtpd_bdat_discard(smtpd_session_t *s, long long size, const char *reply)
{
	long long received = smtpd_bdat_open(s) ? s->bdat_msg.received : 0;
	int status = smtpd_bdat_read(s, size, NULL, &received);

	if (status != STREAM_OK) {
		smtpd_bdat_lost(s, status, received);
		return;
	}
	smtpd_reply(s, "%s", reply);
	smtpd_bdat_finish(s);
}

/* A chunk of content that cannot be kept. */
static void smtpd_bdat_refuse(smtpd_session_t *s, const char *reply)
{
	smtpd_reply(s, "%s", reply);
	smtpd_log_reject(s, "BDAT", reply, NULL);
	smtpd_bdat_finish(s);
}

/* The chunk's octets are in (and stored): answer them. */
static void smtpd_bdat_answer(smtpd_session_t *s, long long size, int last)
{
	smtpd_msg_t *msg = &s->bdat_msg;
	const char *bare = smtpd_msg_bare_reply(s->bdat_lines.flags);

	if (msg->too_big) {
		smtpd_bdat_refuse(s, "552 5.3.4 Chunk exceeds message size limit");
	} else if (bare) {
		smtpd_bdat_refuse(s, bare);
	} else if (msg->write_errno) {
		smtpd_reply_write_error(s, msg->write_errno);
		smtpd_bdat_finish(s);
	} else if (!last) {
		smtpd_reply(s, "250 2.0.0 Ok: %lld bytes", size);
	} else {
		snprintf(s->where, sizeof(s->where), "END-OF-MESSAGE");
		smtpd_msg_commit(s, msg);
		smtpd_bdat_finish(s);
	}
}

static void smtpd_bdat_take(smtpd_session_t *s, long long size, int last)
{
	smtpd_msg_t *msg = &s->bdat_msg;
	int status = smtpd_bdat_read(s, size, msg, &msg->received);

	if (status != STREAM_OK) {
		smtpd_bdat_lost(s, status, msg->received);
		return;
	}
	if (last)
		smtp_bdat_end(&s->bdat_lines, &msg->out);
	smtpd_msg_store(s, msg);
	smtpd_msg_free(msg);	/* no heap memory waits for the next chunk */
	smtpd_bdat_answer(s, size, last);
}

void smtpd_cmd_bdat(smtpd_session_t *s, const char *arg)
{
	long long size;
	int last;
	str_t policy = STR_INIT;
	const char *refusal;

	if (smtpd_bdat_parse(arg, &size, &last) < 0) {
		log_warning("%s: malformed BDAT command syntax from %s: BDAT %.*s",
			    s->qw ? queue_writer_id(s->qw) : "NOQUEUE", s->peer.namaddr,
			    SMTPD_BDAT_LOG_ARG_MAX, arg);
		smtpd_reply(s, "521 5.5.4 Syntax: BDAT count [LAST]");
		s->done = 1;	/* the octets that follow cannot be told from commands */
		return;
	}
	refusal = smtpd_bdat_check(s, size, last, &policy);
	if (refusal)
		smtpd_bdat_discard(s, size, refusal);
	else
		smtpd_bdat_take(s, size, last);
	str_free(&policy);
}

int smtpd_bdat_refuse_verb(smtpd_session_t *s, const char *verb)
{
	int transaction_verb = strcmp(verb, "MAIL") == 0 || strcmp(verb, "RCPT") == 0
			     || strcmp(verb, "DATA") == 0;

	if (!transaction_verb || !smtpd_bdat_open(s))
		return 0;
	smtpd_reply(s, "503 5.5.1 Error: %s after BDAT", verb);
	return 1;
}
