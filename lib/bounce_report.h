/*
 * bounce_report: delivery status notifications as RFC 3464 messages.
 *
 * A report is a multipart/report (report-type=delivery-status) mail from
 * MAILER-DAEMON to the envelope sender of the original message, with three
 * parts: a human-readable text, a message/delivery-status part (the
 * per-message fields, then one block per recipient), and the original
 * message (message/rfc822) or only its header (text/rfc822-headers, for
 * RET=HDRS and for delay and success notices, which do not return the
 * content).
 *
 * The report is composed in three calls so that the original message can
 * be copied from its queue file without holding it in memory:
 * bounce_report_head() gives everything up to the original's first byte,
 * the caller copies the content (through bounce_report_filter(), which
 * stops after the header when only the header goes back), and
 * bounce_report_tail() closes the MIME structure. Line ends are LF, as in
 * queue file content.
 */
#ifndef POCHTA_BOUNCE_REPORT_H
#define POCHTA_BOUNCE_REPORT_H

#include <stddef.h>
#include <sys/time.h>
#include <time.h>

#include "str.h"

#define BOUNCE_BOUNDARY_MAX 80		/* the MIME boundary and its NUL */

/* What happened, as RFC 3464's Action field says it. */
enum bounce_action {
	BOUNCE_FAILED,
	BOUNCE_DELAYED,
	BOUNCE_DELIVERED,
	BOUNCE_RELAYED,			/* to a host that does not speak DSN */
	BOUNCE_EXPANDED,		/* by an alias or .forward */
};

/* Which notice: it sets the subject and the words of the text part. */
enum bounce_kind { BOUNCE_KIND_FAILURE, BOUNCE_KIND_DELAY, BOUNCE_KIND_SUCCESS };

typedef struct bounce_rcpt {
	const char *final;		/* the recipient the result is for */
	const char *orcpt;		/* "rfc822;addr" (ORCPT or the given address), or NULL */
	enum bounce_action action;
	const char *status;		/* "5.1.1" */
	const char *remote_mta;		/* host name, or NULL */
	const char *diagnostic;		/* "550 5.1.1 <x>: User unknown", or the local reason */
	int diagnostic_smtp;		/* the diagnostic is an SMTP reply ("smtp;"), not ours ("x-unix;") */
} bounce_rcpt_t;

typedef struct bounce_report {
	enum bounce_kind kind;
	const char *hostname;		/* myhostname: Reporting-MTA and From */
	const char *mail_name;		/* "Pochta" */
	const char *queue_id;		/* of the original message */
	const char *sender;		/* the original envelope sender: the report's To */
	const char *envid;		/* DSN ENVID, or NULL */
	struct timeval arrival;		/* of the original */
	time_t now;
	int headers_only;		/* return only the original's header */
	int eight_bit;			/* the original may hold 8-bit bytes */
	const bounce_rcpt_t *rcpts;
	size_t nrcpts;
	char boundary[BOUNCE_BOUNDARY_MAX];	/* set by bounce_report_head */
} bounce_report_t;

/* Everything before the original message's first byte, appended to out. */
void bounce_report_head(bounce_report_t *r, str_t *out);

/* Copying the original, in pieces split anywhere: state starts at 0.
 * Gives how many of the len bytes belong in the report: all of them, or,
 * when only the header goes back, those up to its empty line. */
size_t bounce_report_filter(const bounce_report_t *r, int *state, const char *data, size_t len);

/* The MIME end, appended to out. */
void bounce_report_tail(const bounce_report_t *r, str_t *out);

#endif
