/*
 * anvil: the connection and rate counter behind smtpd's client limits
 * (smtpd_client_connection_count_limit, smtpd_client_*_rate_limit), as
 * Postfix's anvil(8). master runs one process of it (maxproc 1 in
 * master.cf), started when the first smtpd connects to private/anvil;
 * every smtpd keeps one connection to it.
 *
 * The counts live in memory only (lib/anvil_table.c, bounded by
 * ANVIL_CLIENTS_MAX): a restarted anvil counts from zero, and the smtpds
 * reconnect by themselves. Rates are counted per anvil_rate_time_unit;
 * every anvil_status_update_time the peaks since the last report are
 * logged. anvil does not exit when idle (a rate outlives the connections
 * that made it); SIGHUP logs the statistics and exits, and master starts
 * a fresh anvil with the new configuration at the next request.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "anvil.h"
#include "conf.h"
#include "daemon.h"
#include "log.h"

anvil_table_t *anvil_table;

static anvil_conn_t anvil_conns[ANVIL_CONN_MAX];
static size_t anvil_nconns;

long anvil_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec;
}

/* A new client socket; one over ANVIL_CONN_MAX is closed at once, and
 * that smtpd goes on without limits. */
static void anvil_accept(void)
{
	int fd = accept4(daemon_listen_fd(), NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ECONNABORTED)
			log_warning("accept: %m");
		return;
	}
	if (anvil_nconns >= ANVIL_CONN_MAX) {
		log_warning("more than %d client connections: refusing one", ANVIL_CONN_MAX);
		close(fd);
		return;
	}
	anvil_conn_init(&anvil_conns[anvil_nconns++], fd);
}

static void anvil_drop(size_t i)
{
	anvil_conn_close(&anvil_conns[i]);
	anvil_conns[i] = anvil_conns[--anvil_nconns];
}

/* Wait up to timeout_ms for clients and requests, and serve them. */
static void anvil_wait(int timeout_ms)
{
	struct pollfd fds[1 + ANVIL_CONN_MAX];
	size_t nconns = anvil_nconns;

	fds[0] = (struct pollfd){ .fd = daemon_listen_fd(), .events = POLLIN };
	for (size_t i = 0; i < nconns; i++)
		fds[1 + i] = (struct pollfd){ .fd = stream_fd(anvil_conns[i].st), .events = POLLIN };
	if (poll(fds, 1 + nconns, timeout_ms) < 0) {
		if (errno != EINTR)
			log_fatal("poll: %m");
		return;
	}
	for (size_t i = nconns; i-- > 0;)	/* backwards: dropping moves the last one here */
		if (fds[1 + i].revents && anvil_conn_input(&anvil_conns[i]) < 0)
			anvil_drop(i);
	anvil_stats_check_full();
	if (fds[0].revents & POLLIN)
		anvil_accept();
}

static _Noreturn void anvil_loop(long time_unit, long status_every)
{
	long now = anvil_now();
	long next_status = now + status_every;
	long next_expire = now + time_unit;

	for (;;) {
		if (daemon_reload_requested()) {
			anvil_stats_log(time_unit);
			exit(0);
		}
		now = anvil_now();
		if (now >= next_status) {
			anvil_stats_log(time_unit);
			next_status = now + status_every;
		}
		if (now >= next_expire) {
			anvil_table_expire(anvil_table, now);
			next_expire = now + time_unit;
		}
		anvil_wait(ANVIL_POLL_MAX_MS);
	}
}

int main(int argc, char **argv)
{
	long time_unit, status_every;

	daemon_init(argc, argv, "anvil", NULL);
	time_unit = conf_time("anvil_rate_time_unit");
	status_every = conf_time("anvil_status_update_time");
	anvil_table = anvil_table_new(time_unit, ANVIL_CLIENTS_MAX);
	anvil_loop(time_unit, status_every);
}
