/*
 * daemon: the skeleton every service program runs inside, and the
 * contract between master and its children.
 *
 * master runs a service program as
 *
 *   PROGRAM -c CONFIG_DIR -n SERVICE -t TYPE [-u] [-o name=value]... [args]
 *
 * with the listening socket on fd DAEMON_LISTEN_FD and the write end of the
 * status pipe on fd DAEMON_STATUS_FD. -u means "unprivileged": when started
 * as root, drop to mail_owner. -o overrides main.cf for this service (master
 * forwards its own -o first, then the service's from master.cf).
 *
 * A child writes a daemon_status_t to the status pipe: avail=1 once it is
 * initialized and whenever it waits for a client, avail=0 when it has taken
 * one. master counts a new child as available until told otherwise, and
 * starts another child only when none is available and the socket has a
 * client waiting. A child that exits abnormally before its first status
 * message is a start-up failure: master throttles that service for
 * service_throttle_time.
 *
 * Signals from master: SIGHUP = configuration changed, exit at the next
 * moment without a client (live sessions are finished, not cut); SIGTERM =
 * stop now.
 */
#ifndef POCHTA_DAEMON_H
#define POCHTA_DAEMON_H

#include <sys/types.h>
#include "stream.h"

#define DAEMON_STATUS_FD 3
#define DAEMON_LISTEN_FD 4

typedef struct daemon_status {
	int pid;
	int avail;		/* 1 available, 0 taken */
} daemon_status_t;

typedef struct daemon_hooks {
	void (*pre_drop)(void);		/* still root (if started as root): open files */
	void (*post_drop)(void);	/* after privileges are dropped */
} daemon_hooks_t;

/*
 * Parse master's arguments, load main.cf and the overrides, set up the log
 * (log_init(name), syslog_name, maillog_file), chdir(queue_directory), call
 * pre_drop, drop to mail_owner when root and -u, call post_drop, and tell
 * master we are available. Any failure is fatal (logged).
 */
void daemon_init(int argc, char **argv, const char *name, const daemon_hooks_t *hooks);
const char *daemon_service(void);		/* SERVICE from -n */
int daemon_listen_fd(void);
void daemon_extra_args(int *argc, char ***argv);	/* what follows the options */
void daemon_report(int avail);			/* write a status message */
/* Ask for SIGTERM when master dies (exit now if it already has). The
 * kernel forgets this whenever the process changes its credentials, so a
 * daemon that switches uid calls it again afterwards. */
void daemon_watch_master(void);
/* In a process a daemon forked to serve one client: close what ties the
 * daemon to master (listening socket, status pipe), which that process
 * must neither accept on nor report through. */
void daemon_child_detach(void);
int daemon_reload_requested(void);		/* SIGHUP seen */
/* 1 when a lookup table this process opened was rebuilt since (logged as
 * "table NAME has changed -- restarting"): the caller exits with status 0
 * and master starts a fresh process that reads the new table. */
int daemon_tables_changed(void);

/*
 * Serve clients one at a time on the listening socket: accept, report
 * taken, serve(client stream), close, report available. Exits after
 * max_use clients, after max_idle seconds without one, or when a reload
 * was requested or a lookup table changed and no client is being served.
 * serve() owns nothing: the skeleton closes the stream after it returns.
 */
typedef void (*daemon_serve_fn)(stream_t *client);
_Noreturn void daemon_single_server(daemon_serve_fn serve);

#endif
