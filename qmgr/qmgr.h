/*
 * qmgr: declarations shared by the files of the queue manager.
 *
 * The life of a message in qmgr: a scan moves its file from incoming/ (or
 * a due one from deferred/) into active/ and puts it on the ready list;
 * dispatch loads it, chooses a transport and next hop per recipient
 * (qmgr_route), and sends the recipients of each destination (qmgr_dest)
 * in requests of at most its recipient limit while the destination has a
 * free slot, else the message waits on that destination; each reply
 * settles recipients; when no request is left the file is removed (all
 * done; recycled for smtpd when there is room) or moved to deferred/ with
 * its next retry time (some deferred).
 */
#ifndef POCHTA_QMGR_H
#define POCHTA_QMGR_H

#include <poll.h>
#include <stddef.h>

#include "bounce_report.h"
#include "ipc.h"
#include "queue.h"

#define QMGR_SAFETY_SCAN 60		/* seconds: incoming/ is scanned at least this often */
#define QMGR_POLL_MAX_MS 1000		/* timers and SIGHUP are noticed this often */
#define QMGR_WAKEUP_CONN_MAX 64		/* wake-up connections held open at once */
#define QMGR_CONN_IDLE_MAX 5		/* seconds an unused connection to local stays open */
#define QMGR_CONN_USE_MAX 100		/* requests over one connection before a fresh one */
#define QMGR_IO_TIMEOUT 60		/* seconds to write a request (replies never block) */
#define QMGR_CONCURRENCY_MAX 1024	/* requests in flight per transport */
#define QMGR_DSN_MAX 16			/* "4.4.1" and its NUL, with room */
#define QMGR_HOP_REASON_MAX 512		/* bytes of a dead destination's reason kept */
#define QMGR_CONNS_MAX 2048		/* connections to delivery agents, all transports */
#define QMGR_POLLFD_MAX (1 + QMGR_WAKEUP_CONN_MAX + QMGR_CONNS_MAX)

/* The configuration qmgr reads once at start (master restarts it on reload). */
typedef struct qmgr_conf {
	long active_limit;		/* qmgr_message_active_limit */
	long local_limit;		/* virtual_destination_concurrency_limit */
	long run_delay;			/* queue_run_delay */
	long min_backoff;		/* minimal_backoff_time */
	long max_backoff;		/* maximal_backoff_time */
	long delay_warning;		/* delay_warning_time, 0: none */
	long ipc_timeout;
	long daemon_timeout;
} qmgr_conf_t;

extern qmgr_conf_t qmgr_conf;

enum qmgr_rcpt_state {
	QMGR_RCPT_TODO,			/* to be routed */
	QMGR_RCPT_BUSY,			/* in a request */
	QMGR_RCPT_SENT,
	QMGR_RCPT_BOUNCED,
	QMGR_RCPT_DEFERRED,
	QMGR_RCPT_DONE,			/* marked done in the file before this attempt */
};

/* A result the sender is to hear of (qmgr_bounce.c). */
typedef struct qmgr_notice {
	size_t rcpt;			/* index into qm.rcpts */
	enum bounce_action action;
	char *dsn;
	char *relay;
	char *reason;
	char *diagnostic;		/* the remote server's reply, or NULL */
	int dsn_passed;			/* the next hop reports success itself */
} qmgr_notice_t;

typedef struct qmgr_message {
	char id[QUEUE_ID_SIZE];
	double active_time;		/* when it entered active/ */
	int from_incoming;		/* new mail: smtpd's HOLD or DISCARD applies */
	int fd;				/* the queue file (read-write); -1 until loaded and
					 * while waiting on a destination */
	queue_msg_t qm;
	unsigned char *state;		/* per recipient: enum qmgr_rcpt_state */
	int requests;			/* deliveries in flight */
	qmgr_notice_t *notices;		/* this attempt's results for notices */
	size_t nnotices;
	int warned_now;			/* the delay warning went out: mark the file */
	char **reasons;			/* per recipient: why its last attempt failed, or
					 * NULL; for defer/ID (queue_reason.h) */
	struct qmgr_message *next;	/* on the ready list or a destination's */
} qmgr_message_t;

/* When one delivery attempt started, was connected, and ended. */
typedef struct qmgr_times {
	double start;
	double connected;
	double done;
} qmgr_times_t;

double qmgr_now(void);

/* qmgr_scan.c: the queue directories. */
void qmgr_scan_recover(void);		/* at start: active/ back to incoming/, stale temp files */
/* Each returns 1 when the active queue's limit left files behind. */
int qmgr_scan_incoming(void);
int qmgr_scan_deferred(void);		/* files whose retry time has come */
/* Room enough in the active queue to go back for what was left behind. */
int qmgr_scan_room(void);

/* qmgr_active.c: the active queue. */
void qmgr_active_init(void);		/* at start: how full recycle/ is */
int qmgr_active_add(const char *id, const char *from);
size_t qmgr_active_count(void);		/* messages in active/ that qmgr owns */
size_t qmgr_active_ready(void);		/* of those, waiting for dispatch */
qmgr_message_t *qmgr_active_next(void);	/* loaded, or NULL (none ready, or damaged) */
void qmgr_active_retry(qmgr_message_t *msg);	/* back to the head of the ready list */
void qmgr_active_finish(qmgr_message_t *msg);	/* remove or defer, then forget */
/* A message that waits on a destination keeps its state but not its
 * file descriptor; resume opens the file again and routes it. */
void qmgr_active_park(qmgr_message_t *msg);
void qmgr_active_resume(qmgr_message_t *msg);

/* qmgr_route.c: recipients to transports and next hops. */
void qmgr_route_init(void);		/* before the privilege drop: transport_maps */
void qmgr_route_message(qmgr_message_t *msg);

/* What one request tells about its destination (qmgr_dest feedback). */
enum qmgr_feedback {
	QMGR_FEEDBACK_NONE,		/* nothing (the agent itself failed) */
	QMGR_FEEDBACK_OK,		/* the destination was reached */
	QMGR_FEEDBACK_FAILED,		/* it could not be reached or talked to */
};

typedef struct qmgr_hop {
	enum qmgr_feedback feedback;
	char dsn[QMGR_DSN_MAX];		/* with FAILED: the status and why */
	char reason[QMGR_HOP_REASON_MAX];
} qmgr_hop_t;

/* Per transport, the limits of each of its destinations (main.cf). */
typedef struct qmgr_dest_limits {
	size_t concurrency;		/* NAME_destination_concurrency_limit */
	size_t initial;			/* initial_destination_concurrency, at most that */
	size_t recipients;		/* NAME_destination_recipient_limit */
	long failed_cohorts;		/* NAME_destination_concurrency_failed_cohort_limit */
} qmgr_dest_limits_t;

/* qmgr_transport.c: what main.cf and master.cf say about a transport. */
void qmgr_transport_init(void);		/* before the privilege drop: master.cf */
void qmgr_transport_limits_read(const char *name, qmgr_dest_limits_t *limits);
size_t qmgr_transport_process_limit(const char *name);	/* requests in flight at most */

/* qmgr_deliver.c: requests to delivery agents. */
typedef struct qmgr_transport qmgr_transport_t;
typedef struct qmgr_dest qmgr_dest_t;
/* The transport of a master.cf service (private/NAME); NULL when the
 * name is bad or too many transports are in use. */
qmgr_transport_t *qmgr_transport_get(const char *name);
const qmgr_dest_limits_t *qmgr_transport_limits(const qmgr_transport_t *tr);
int qmgr_transport_has_slot(const qmgr_transport_t *tr);
/* Send the recipients (indexes into msg->qm.rcpts) in one request to
 * dest, which has a free slot (qmgr_dest_has_slot). */
void qmgr_deliver(qmgr_dest_t *dest, qmgr_message_t *msg, const size_t *rcpts, size_t n);
/* May dispatch take another message from the ready list? */
int qmgr_deliver_can_dispatch(void);
size_t qmgr_deliver_in_flight(void);
size_t qmgr_deliver_pollfds(struct pollfd *fds, size_t max);
void qmgr_deliver_events(const struct pollfd *fds, size_t n);
void qmgr_deliver_timers(void);		/* request timeouts, idle connections */

/* qmgr_dest.c: destinations (a transport and a next hop), each with its
 * own concurrency window, recipient limit, dead state and waiting messages. */
/* The destination, made on first use; held until qmgr_dest_put. */
qmgr_dest_t *qmgr_dest_get(qmgr_transport_t *tr, const char *nexthop);
void qmgr_dest_put(qmgr_dest_t *dest);
qmgr_transport_t *qmgr_dest_transport(const qmgr_dest_t *dest);
const char *qmgr_dest_nexthop(const qmgr_dest_t *dest);
size_t qmgr_dest_recipient_limit(const qmgr_dest_t *dest);
/* May one more request go there now (its window and its transport)? */
int qmgr_dest_has_slot(const qmgr_dest_t *dest);
/* A dead destination's status and reason, else NULL. */
const qmgr_hop_t *qmgr_dest_dead(const qmgr_dest_t *dest);
void qmgr_dest_begin(qmgr_dest_t *dest);	/* a request went out */
void qmgr_dest_end(qmgr_dest_t *dest, const qmgr_hop_t *hop);	/* and came back */
/* msg (no request in flight, parked) waits until dest has a free slot. */
void qmgr_dest_wait(qmgr_dest_t *dest, qmgr_message_t *msg);
/* Waiting messages to destinations with free slots, taking turns. */
void qmgr_dest_pump(void);
void qmgr_dest_timers(void);		/* dead destinations get another chance */
void qmgr_dest_revive_all(void);	/* all of them at once (a flush request) */

/* qmgr_reply.c: a delivery agent's answer; hop says what it tells
 * about the destination. */
void qmgr_reply_apply(qmgr_message_t *msg, const size_t *rcpts, size_t n,
		      const ipc_msg_t *reply, const char *relay, const qmgr_times_t *times,
		      qmgr_hop_t *hop);

/* qmgr_log.c: settle one recipient and log it in the mail log's format. */
void qmgr_rcpt_result(qmgr_message_t *msg, size_t rcpt, const char *relay,
		      const qmgr_times_t *times, const char *dsn, const char *status,
		      const char *reason);
/* Defer several recipients with one reason. */
void qmgr_rcpt_defer_all(qmgr_message_t *msg, const size_t *rcpts, size_t n,
			  const char *relay, const qmgr_times_t *times, const char *dsn,
			  const char *reason);

/* qmgr_defer.c: keep a message for a later attempt. */
void qmgr_defer_file(qmgr_message_t *msg);
void qmgr_defer_unopened(const char *id);	/* active/ID qmgr could not open */

/* qmgr_bounce.c: notices to the sender. */
/* Note one recipient's result of this attempt. */
void qmgr_bounce_note(qmgr_message_t *msg, size_t rcpt, enum bounce_action action,
		      const char *dsn, const char *relay, const char *reason);
/* At the end of an attempt: past its queue lifetime, the message's
 * deferred recipients bounce; then the notices are written, and the delay
 * warning when it is due (msg->warned_now then says so). */
void qmgr_bounce_flush(qmgr_message_t *msg);
/* What the smtp agent adds to the result just noted for rcpt: the remote
 * server's reply (or NULL), and whether the next hop took the DSN request
 * (RFC 3461 6.2.2: then it tells the sender of success, not Pochta). */
void qmgr_bounce_remote(qmgr_message_t *msg, size_t rcpt, const char *reply, int dsn_passed);
void qmgr_bounce_free(qmgr_message_t *msg);

/* qmgr.c: scan incoming/ soon (qmgr wrote a file there). */
void qmgr_scan_request(void);

#endif
