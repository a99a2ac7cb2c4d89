/*
 * qmgr: the queue manager, a resident daemon. master starts it, restarts
 * it when it dies, and pokes public/qmgr every 300 s; smtpd pokes the
 * same socket after new queue files. Each poke means "look at
 * incoming/"; one that carries TRIGGER_FLUSH ("pochta queue flush" and
 * "deliver", after making files due) also means "scan deferred/ now and
 * give the dead destinations another chance", as Postfix's flush does.
 * smtpd skips pokes that would follow its previous one within
 * TRIGGER_COALESCE_MS, so every poke taken (and the start) also owes a
 * second scan that long afterwards (trigger.h). A timer scans incoming/
 * anyway (a lost poke only delays) and deferred/ every queue_run_delay. A
 * scan that stopped at qmgr_message_active_limit is taken up again as
 * soon as half the active queue is free.
 *
 * SIGHUP, or a rebuilt lookup table: finish the deliveries in flight, then
 * exit (master starts a new qmgr with the new configuration or table).
 * SIGTERM: exit at once; the queue files hold everything a restart needs.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "daemon.h"
#include "log.h"
#include "qmgr.h"
#include "resolve.h"
#include "trigger.h"

#define QMGR_WAKEUP_READ_MAX 64		/* bytes read from a wake-up before closing it */

qmgr_conf_t qmgr_conf;

static int qmgr_wakeups[QMGR_WAKEUP_CONN_MAX];
static size_t qmgr_nwakeups;
static int qmgr_scan_wanted = 1;
static int qmgr_flush_wanted;	/* a flush request came: deferred/ now, dead forgotten */
static double qmgr_followup;	/* monotonic time of the scan owed to pokes; 0: none */
static int qmgr_incoming_left;	/* the last scan of incoming/ stopped at the active limit */
static int qmgr_deferred_left;	/* and that of deferred/ */

double qmgr_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CLOCK_MONOTONIC, as smtpd measures its coalescing window. */
static double qmgr_monotonic(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A poke was taken (or qmgr started): pokes skipped after it are covered
 * by a scan no sooner than TRIGGER_COALESCE_MS from now. */
static void qmgr_owe_followup(void)
{
	qmgr_followup = qmgr_monotonic() + TRIGGER_COALESCE_MS / 1000.0;
}

static void qmgr_pre_drop(void)
{
	str_t err = STR_INIT;

	if (resolve_init(&err) != 0)
		log_fatal("%s", str_cstr(&err));
	str_free(&err);
	qmgr_route_init();
	qmgr_transport_init();
}

static void qmgr_read_conf(void)
{
	qmgr_conf.active_limit = conf_int("qmgr_message_active_limit");
	qmgr_conf.local_limit = conf_int("virtual_destination_concurrency_limit");
	qmgr_conf.run_delay = conf_time("queue_run_delay");
	qmgr_conf.min_backoff = conf_time("minimal_backoff_time");
	qmgr_conf.max_backoff = conf_time("maximal_backoff_time");
	qmgr_conf.delay_warning = conf_time("delay_warning_time");
	qmgr_conf.ipc_timeout = conf_time("ipc_timeout");
	qmgr_conf.daemon_timeout = conf_time("daemon_timeout");
	if (qmgr_conf.local_limit > QMGR_CONCURRENCY_MAX) {
		log_warning("virtual_destination_concurrency_limit %ld: using %d",
			    qmgr_conf.local_limit, QMGR_CONCURRENCY_MAX);
		qmgr_conf.local_limit = QMGR_CONCURRENCY_MAX;
	}
	if (qmgr_conf.max_backoff < qmgr_conf.min_backoff)
		qmgr_conf.max_backoff = qmgr_conf.min_backoff;
}

/* A wake-up connection: its bytes carry nothing, the connection is the news. */
void qmgr_scan_request(void)
{
	qmgr_scan_wanted = 1;
}

static void qmgr_accept_wakeup(void)
{
	int fd = accept4(daemon_listen_fd(), NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
		    errno != ECONNABORTED)
			log_warning("accept wake-up: %m");
		return;
	}
	qmgr_scan_wanted = 1;
	qmgr_owe_followup();
	if (qmgr_nwakeups < QMGR_WAKEUP_CONN_MAX)
		qmgr_wakeups[qmgr_nwakeups++] = fd;
	else
		close(fd);
}

/* The connection's request bytes (trigger.h); any other byte, or none,
 * is a plain wake-up, which the connection already was. */
static void qmgr_close_wakeup(size_t i)
{
	char request[QMGR_WAKEUP_READ_MAX];
	ssize_t got = read(qmgr_wakeups[i], request, sizeof(request));

	if (got > 0 && memchr(request, TRIGGER_FLUSH, (size_t)got) != NULL)
		qmgr_flush_wanted = 1;
	close(qmgr_wakeups[i]);
	qmgr_wakeups[i] = qmgr_wakeups[--qmgr_nwakeups];
}

/* Waiting messages first (they are older), then the ready list. */
static void qmgr_dispatch(void)
{
	qmgr_message_t *msg;

	qmgr_dest_pump();
	while (qmgr_active_ready() > 0 && qmgr_deliver_can_dispatch())
		if ((msg = qmgr_active_next()) != NULL)
			qmgr_route_message(msg);
}

/* Turn a follow-up scan that is due into a wanted one; the ms until it
 * is due otherwise (QMGR_POLL_MAX_MS when none is owed). */
static int qmgr_followup_due(void)
{
	double left_ms;

	if (qmgr_followup == 0)
		return QMGR_POLL_MAX_MS;
	left_ms = (qmgr_followup - qmgr_monotonic()) * 1000;
	if (left_ms > 0)
		return left_ms < QMGR_POLL_MAX_MS ? (int)left_ms + 1 : QMGR_POLL_MAX_MS;
	qmgr_followup = 0;
	qmgr_scan_wanted = 1;
	return QMGR_POLL_MAX_MS;
}

/*
 * The scans that are due: by their timers, for a poke (postponed while
 * enough work is ready: one directory read then serves many pokes), and
 * when the active queue has room again after a scan that had to leave
 * files behind at its limit.
 */
static void qmgr_scans(double now, double *next_incoming, double *next_deferred)
{
	int room = qmgr_scan_room();

	if ((qmgr_scan_wanted && qmgr_active_ready() < (size_t)qmgr_conf.local_limit) ||
	    now >= *next_incoming || (qmgr_incoming_left && room)) {
		qmgr_scan_wanted = 0;
		qmgr_incoming_left = qmgr_scan_incoming();
		*next_incoming = now + QMGR_SAFETY_SCAN;
	}
	if (qmgr_flush_wanted) {
		qmgr_flush_wanted = 0;
		qmgr_dest_revive_all();
		*next_deferred = now;
	}
	if (now >= *next_deferred || (qmgr_deferred_left && room)) {
		qmgr_deferred_left = qmgr_scan_deferred();
		if (now >= *next_deferred)
			*next_deferred = now + (double)qmgr_conf.run_delay;
	}
}

/* Scans due now, then dispatch; returns the poll timeout in ms. */
static int qmgr_run_timers(double *next_incoming, double *next_deferred)
{
	double now = qmgr_now(), wait_ms;
	int followup_ms = qmgr_followup_due();

	qmgr_scans(now, next_incoming, next_deferred);
	qmgr_dest_timers();
	qmgr_dispatch();
	qmgr_deliver_timers();
	if (qmgr_scan_wanted && qmgr_active_ready() < (size_t)qmgr_conf.local_limit)
		return 0;	/* dispatch made room for the postponed scan */
	if ((qmgr_incoming_left || qmgr_deferred_left) && qmgr_scan_room())
		return 0;	/* and for what the last scans left behind */
	wait_ms = ((*next_incoming < *next_deferred ? *next_incoming : *next_deferred) - now) * 1000;
	if (wait_ms < 0)
		return 0;
	return wait_ms < followup_ms ? (int)wait_ms : followup_ms;
}

static void qmgr_wait(int timeout_ms)
{
	struct pollfd fds[QMGR_POLLFD_MAX];
	size_t n = 0, nwake = qmgr_nwakeups, i;

	fds[n++] = (struct pollfd){ .fd = daemon_listen_fd(), .events = POLLIN };
	for (i = 0; i < nwake; i++)
		fds[n++] = (struct pollfd){ .fd = qmgr_wakeups[i], .events = POLLIN };
	n += qmgr_deliver_pollfds(fds + n, QMGR_POLLFD_MAX - n);
	if (poll(fds, n, timeout_ms) < 0) {
		if (errno != EINTR)
			log_fatal("poll: %m");
		return;
	}
	qmgr_deliver_events(fds + 1 + nwake, n - 1 - nwake);
	for (i = nwake; i-- > 0;)	/* backwards: closing moves the last one here */
		if (fds[1 + i].revents)
			qmgr_close_wakeup(i);
	if (fds[0].revents & POLLIN)
		qmgr_accept_wakeup();
}

/* A lookup table was rebuilt: checked before every scan and dispatch, so
 * mail accepted under the new table is never routed with the old one. */
static int qmgr_tables_changed(void)
{
	static int changed;

	if (!changed)
		changed = daemon_tables_changed();
	return changed;
}

static _Noreturn void qmgr_loop(void)
{
	double next_incoming = 0, next_deferred = 0;

	for (;;) {
		if (daemon_reload_requested() || qmgr_tables_changed()) {
			if (qmgr_deliver_in_flight() == 0)
				exit(0);
			qmgr_deliver_timers();
			qmgr_wait(QMGR_POLL_MAX_MS);
			continue;
		}
		qmgr_wait(qmgr_run_timers(&next_incoming, &next_deferred));
	}
}

int main(int argc, char **argv)
{
	static const daemon_hooks_t hooks = { .pre_drop = qmgr_pre_drop };

	daemon_init(argc, argv, "qmgr", &hooks);
	qmgr_read_conf();
	qmgr_scan_recover();
	qmgr_active_init();
	qmgr_owe_followup();	/* pokes its predecessor took may have been skipped since */
	qmgr_loop();
}
