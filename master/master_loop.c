/*
 * master_loop: master's event loop. It polls the signal pipe, the status
 * pipe, and the listener of every service that needs a child (none
 * available, below maxproc, not throttled); a client waiting there makes
 * master start one. At maxproc, an inet service's waiting client makes
 * master start one extra short-lived process with "-o stress=yes", outside
 * the limit and one at a time, which tells each waiting client that the
 * server is busy (smtpd: 421 4.3.2) instead of leaving it in the listen
 * queue; master logs Postfix's process limit warning. A listener that
 * keeps a client waiting MASTER_ACCEPT_STALL seconds while a child counts
 * as available has a hung child (stopped, stuck before accept): master
 * starts another, within the limit, so one hung process cannot stall the
 * service. Resident services
 * (unix, with a wakeup time) are kept running and woken every wakeup
 * seconds; the TLS ticket keys are rotated on time. SIGTERM/SIGINT stop
 * everything.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "master.h"
#include "mem.h"
#include "queue_dirs.h"
#include "trigger.h"

#define MASTER_STOP_POLL_MS 100		/* re-check of the stop deadline */
#define MASTER_FIXED_FDS 2		/* signal pipe, status pipe */
#define MASTER_ACCEPT_STALL 2		/* seconds a client may wait while a child counts as free */
#define MASTER_STALL_TICK 1		/* seconds between two looks for such clients */

time_t master_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static int master_wants_child(const master_service_t *s, time_t now)
{
	return s->listen_fd >= 0 && s->avail == 0 && now >= s->throttle_until
		&& (s->maxproc == 0 || s->children < s->maxproc);
}

/* An inet service whose every allowed process is busy: a client waiting
 * there gets the busy-answering process rather than silence. */
static int master_wants_stress(const master_service_t *s, time_t now)
{
	return s->stress_argv != NULL && s->listen_fd >= 0 && s->avail == 0 && !s->stress
		&& now >= s->throttle_until && s->maxproc > 0 && s->children >= s->maxproc;
}

/* Postfix's warning, at most every MASTER_BUSY_WARN_INTERVAL seconds. */
static void master_busy_warn(master_service_t *s, time_t now)
{
	if (s->busy_warned != 0 && now - s->busy_warned < MASTER_BUSY_WARN_INTERVAL)
		return;
	s->busy_warned = now;
	log_warning("service \"%s\" (%s) has reached its process limit \"%d\": "
		    "new clients may experience noticeable delays", s->name, s->key, s->maxproc);
	log_warning("to avoid this condition, increase the process count in master.cf "
		    "or reduce the service time per client");
}

/* Is a client waiting on the listener right now? */
static int master_client_waiting(const master_service_t *s)
{
	struct pollfd pfd = { .fd = s->listen_fd, .events = POLLIN };

	return poll(&pfd, 1, 0) > 0;
}

static int master_may_stall(const master_service_t *s, time_t now)
{
	return s->listen_fd >= 0 && s->avail > 0 && now >= s->throttle_until
		&& (s->maxproc == 0 || s->children < s->maxproc);
}

/* A client that waited MASTER_ACCEPT_STALL seconds although a child counts
 * as available: that child does not accept, so start another. */
static void master_check_stalls(master_t *m, time_t now)
{
	for (master_service_t *s = m->services; s; s = s->next) {
		if (!master_may_stall(s, now) || !master_client_waiting(s)) {
			s->waiting_since = 0;
		} else if (s->waiting_since == 0) {
			s->waiting_since = now;
		} else if (now - s->waiting_since >= MASTER_ACCEPT_STALL) {
			log_warning("service %s: a client waited %lds although %d process(es) "
				    "counted as available: starting another", s->key,
				    (long)(now - s->waiting_since), s->avail);
			s->waiting_since = 0;
			master_spawn(m, s);
		}
	}
}

/* Resident services run all the time; a lost wake-up only delays mail. */
static void master_residents(master_t *m, time_t now)
{
	for (master_service_t *s = m->services; s; s = s->next) {
		if (!master_service_resident(s))
			continue;
		if (s->children == 0 && master_wants_child(s, now))
			master_spawn(m, s);
		if (s->next_wakeup == 0) {
			s->next_wakeup = now + s->wakeup;
		} else if (now >= s->next_wakeup) {
			if (trigger_wakeup(s->path) != 0)
				log_warning("wake up %s: %m", s->path);
			s->next_wakeup = now + s->wakeup;
		}
	}
}

static void master_earliest(time_t *when, time_t t, time_t now)
{
	if (t > now && (*when == 0 || t < *when))
		*when = t;
}

/* Until the next wake-up or throttle end; -1: only events matter. */
static int master_timeout_ms(const master_t *m, time_t now)
{
	time_t when = 0;

	master_earliest(&when, m->tls_rotate_at, now);
	for (const master_service_t *s = m->services; s; s = s->next) {
		master_earliest(&when, s->throttle_until, now);
		if (master_may_stall(s, now))
			master_earliest(&when, now + MASTER_STALL_TICK, now);
		if (master_service_resident(s))
			master_earliest(&when, s->next_wakeup, now);
	}
	if (when == 0)
		return -1;
	return when - now > INT_MAX / 1000 ? INT_MAX : (int)(when - now) * 1000;
}

/* Fills fds and the matching services; returns how many fds. */
static size_t master_poll_set(master_t *m, time_t now, struct pollfd **fds,
			      master_service_t ***polled, size_t *cap)
{
	size_t n = 0, want = MASTER_FIXED_FDS;

	for (master_service_t *s = m->services; s; s = s->next)
		want++;
	if (want > *cap) {
		*fds = mem_realloc(*fds, want * sizeof(**fds));
		*polled = mem_realloc(*polled, want * sizeof(**polled));
		*cap = want;
	}
	(*fds)[n++] = (struct pollfd){ .fd = master_sig_fd(), .events = POLLIN };
	(*fds)[n++] = (struct pollfd){ .fd = m->status_fd[0], .events = POLLIN };
	for (master_service_t *s = m->services; s; s = s->next) {
		if (!master_wants_child(s, now) && !master_wants_stress(s, now))
			continue;
		(*polled)[n] = s;
		(*fds)[n++] = (struct pollfd){ .fd = s->listen_fd, .events = POLLIN };
	}
	return n;
}

/* A client waits on these listeners: start a child unless one came free,
 * or the busy-answering one when the process limit is reached. */
static void master_serve_listeners(master_t *m, struct pollfd *fds,
				   master_service_t **polled, size_t n)
{
	time_t now = master_now();

	for (size_t i = MASTER_FIXED_FDS; i < n; i++) {
		master_service_t *s = polled[i];

		if (!fds[i].revents)
			continue;
		if (master_wants_child(s, now)) {
			master_spawn(m, s);
		} else if (master_wants_stress(s, now)) {
			master_busy_warn(s, now);
			master_spawn_stress(m, s);
		}
	}
}

_Noreturn void master_loop(master_t *m)
{
	struct pollfd *fds = NULL;
	master_service_t **polled = NULL;
	size_t cap = 0, n;
	int flags, stop_signal = 0;
	time_t now;

	for (;;) {
		now = master_now();
		master_tls_tick(m, now);
		master_residents(m, now);
		master_check_stalls(m, now);
		n = master_poll_set(m, now, &fds, &polled, &cap);
		if (poll(fds, n, master_timeout_ms(m, now)) < 0 && errno != EINTR)
			log_fatal("poll: %m");
		flags = master_sig_take(&stop_signal);
		master_status_read(m);
		if (flags & MASTER_SIG_CHILD)
			master_reap(m, 1);
		if (flags & MASTER_SIG_STOP)
			master_stop(m, stop_signal);
		if (flags & MASTER_SIG_RELOAD)
			master_reload(m);
		else
			master_serve_listeners(m, fds, polled, n);
	}
}

static void master_close_listeners(master_service_t *list)
{
	for (master_service_t *s = list; s; s = s->next)
		master_listen_close(s);
}

static void master_wait_children(master_t *m, time_t deadline)
{
	struct pollfd pfd = { .fd = master_sig_fd(), .events = POLLIN };
	int ignored;

	while (m->children && (deadline == 0 || master_now() < deadline)) {
		(void)poll(&pfd, 1, MASTER_STOP_POLL_MS);
		(void)master_sig_take(&ignored);
		master_reap(m, 0);
	}
}

/* SIGTERM to every child, up to MASTER_STOP_WAIT seconds, then SIGKILL. */
static void master_stop_children(master_t *m)
{
	master_signal_children(m, SIGTERM);
	master_wait_children(m, master_now() + MASTER_STOP_WAIT);
	master_signal_children(m, SIGKILL);
	master_wait_children(m, 0);
}

_Noreturn void master_stop(master_t *m, int sig)
{
	log_info("terminating on signal %d", sig);
	master_close_listeners(m->services);
	master_stop_children(m);
	master_pid_remove(QUEUE_DIRS_MASTER_PID);
	exit(0);
}
