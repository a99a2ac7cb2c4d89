/*
 * qmgr: declarations shared by the files of the queue manager.
 *
 * The life of a message in qmgr: a scan moves its file from incoming/ (or
 * a due one from deferred/) into active/ and puts it on the ready list;
 * dispatch loads it, chooses a transport per recipient (qmgr_route) and
 * sends one request per transport; each reply settles recipients; when no
 * request is left the file is removed (all done; recycled for smtpd when
 * there is room) or moved to deferred/ with its next retry time (some
 * deferred).
 */
#ifndef POCHTA_QMGR_H
#define POCHTA_QMGR_H

#include <poll.h>
#include <stddef.h>

#include "ipc.h"
#include "queue.h"

#define QMGR_SAFETY_SCAN 60		/* seconds: incoming/ is scanned at least this often */
#define QMGR_POLL_MAX_MS 1000		/* timers and SIGHUP are noticed this often */
#define QMGR_WAKEUP_CONN_MAX 64		/* wake-up connections held open at once */
#define QMGR_CONN_IDLE_MAX 5		/* seconds an unused connection to local stays open */
#define QMGR_CONN_USE_MAX 100		/* requests over one connection before a fresh one */
#define QMGR_IO_TIMEOUT 60		/* seconds to write a request (replies never block) */
#define QMGR_CONCURRENCY_MAX 1024	/* requests in flight per transport */
#define QMGR_POLLFD_MAX (1 + QMGR_WAKEUP_CONN_MAX + QMGR_CONCURRENCY_MAX)

/* The configuration qmgr reads once at start (master restarts it on reload). */
typedef struct qmgr_conf {
	long active_limit;		/* qmgr_message_active_limit */
	long local_limit;		/* virtual_destination_concurrency_limit */
	long run_delay;			/* queue_run_delay */
	long min_backoff;		/* minimal_backoff_time */
	long max_backoff;		/* maximal_backoff_time */
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

typedef struct qmgr_message {
	char id[QUEUE_ID_SIZE];
	double active_time;		/* when it entered active/ */
	int fd;				/* the queue file (read-write), -1 until loaded */
	queue_msg_t qm;
	unsigned char *state;		/* per recipient: enum qmgr_rcpt_state */
	int requests;			/* deliveries in flight */
	struct qmgr_message *next;	/* on the ready list */
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
void qmgr_scan_incoming(void);
void qmgr_scan_deferred(void);		/* files whose retry time has come */

/* qmgr_active.c: the active queue. */
void qmgr_active_init(void);		/* at start: how full recycle/ is */
int qmgr_active_add(const char *id, const char *from);
size_t qmgr_active_count(void);		/* messages in active/ that qmgr owns */
size_t qmgr_active_ready(void);		/* of those, waiting for dispatch */
qmgr_message_t *qmgr_active_next(void);	/* loaded, or NULL (none ready, or damaged) */
void qmgr_active_retry(qmgr_message_t *msg);	/* back to the head of the ready list */
void qmgr_active_finish(qmgr_message_t *msg);	/* remove or defer, then forget */

/* qmgr_route.c: recipients to transports. */
void qmgr_route_message(qmgr_message_t *msg);

/* qmgr_deliver.c: requests to delivery agents. */
typedef struct qmgr_transport qmgr_transport_t;
qmgr_transport_t *qmgr_transport_local(void);
int qmgr_transport_has_slot(const qmgr_transport_t *tr);
/* Send the recipients (indexes into msg->qm.rcpts) in one request. */
void qmgr_deliver(qmgr_transport_t *tr, qmgr_message_t *msg, const size_t *rcpts, size_t n);
size_t qmgr_deliver_in_flight(void);
size_t qmgr_deliver_pollfds(struct pollfd *fds, size_t max);
void qmgr_deliver_events(const struct pollfd *fds, size_t n);
void qmgr_deliver_timers(void);		/* request timeouts, idle connections */

/* qmgr_reply.c: a delivery agent's answer. */
void qmgr_reply_apply(qmgr_message_t *msg, const size_t *rcpts, size_t n,
		      const ipc_msg_t *reply, const char *relay, const qmgr_times_t *times);

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

#endif
