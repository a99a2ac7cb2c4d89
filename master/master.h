/*
 * master: the supervisor's shared types. master reads master.cf, opens one
 * listener per service instance, forks and execs service programs on
 * demand (see lib/daemon.h for the contract with them), restarts them,
 * throttles broken ones, reloads on SIGHUP and stops on SIGTERM.
 *
 * A service instance is one master.cf line bound to one listening address:
 * an inet service without a host and with several inet_interfaces becomes
 * several instances, each with its own children. An inet instance at its
 * process limit may also have one busy-answering child ("-o stress=yes"),
 * which is not one of its children: it takes no process slot.
 */
#ifndef POCHTA_MASTER_H
#define POCHTA_MASTER_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "str.h"

#define MASTER_LISTEN_BACKLOG 100
#define MASTER_STOP_WAIT 5		/* seconds children get to exit on SIGTERM */
#define MASTER_SOCKET_MODE 0666		/* unix sockets; the directory guards access */
#define MASTER_BUSY_WARN_INTERVAL 1000	/* seconds between process limit warnings, as Postfix */

typedef struct master_service {
	char *key;		/* what the listener is bound to; reload keeps equal keys */
	char *name;		/* master.cf service name, passed as -n */
	char *host;		/* inet: numeric address, NULL for every interface */
	int port;		/* inet */
	char *path;		/* unix: socket path relative to queue_directory */
	char *program;		/* the executable */
	char **argv;		/* NULL-terminated */
	char **stress_argv;	/* inet: argv with "-o stress=yes"; NULL for unix */
	int wakeup;		/* seconds; unix services with one are resident */
	int maxproc;		/* 0: no limit */
	int listen_fd;		/* -1 when closed */
	int children;
	int avail;		/* children waiting for a client */
	time_t throttle_until;	/* monotonic seconds; no new child before */
	int crashes;		/* abnormal exits since crash_since */
	time_t crash_since;	/* monotonic: start of the crash count's window */
	time_t next_wakeup;
	int stress;		/* its busy-answering process runs (not in children) */
	time_t busy_warned;	/* monotonic: the last process limit warning */
	time_t waiting_since;	/* monotonic: a client seen waiting while avail > 0; 0: none */
	int retired;		/* gone from master.cf; freed with its last child */
	struct master_service *next;
} master_service_t;

typedef struct master_child {
	pid_t pid;
	master_service_t *serv;
	int avail;
	int reported;		/* a status message arrived: start-up went well */
	int taken;		/* it has taken a client at least once */
	int signalled;		/* master sent it a signal: its exit is no start-up failure */
	int stress;		/* the service's busy-answering process */
	time_t started;
	struct master_child *next;
} master_child_t;

typedef struct master {
	char *config_dir;		/* absolute */
	char **overrides;		/* "name=value" from -o, forwarded to children */
	size_t noverrides;
	master_service_t *services;	/* in master.cf, listening */
	master_service_t *retired;	/* removed by a reload, children still running */
	master_child_t *children;
	int status_fd[2];		/* children write daemon_status_t to [1] */
	int pid_fd;			/* kept open: closing it drops the lock */
	time_t tls_rotate_at;		/* monotonic: next ticket key; 0: none */
} master_t;

time_t master_now(void);

/* master_conf.c: main.cf with the -o overrides; service instances from master.cf */
int master_conf_main(const master_t *m, str_t *err);
void master_log_target(void);
int master_conf_services(const master_t *m, master_service_t **out, str_t *err);
void master_service_free(master_service_t *s);
int master_service_resident(const master_service_t *s);
/* no child of its own left: a retired service may be freed */
int master_service_idle(const master_service_t *s);

/* master_listen.c */
int master_listen_open(master_service_t *s, str_t *err);
void master_listen_close(master_service_t *s);

/* master_spawn.c */
void master_spawn(master_t *m, master_service_t *s);
/* the extra process that answers "busy" while s is at its process limit */
void master_spawn_stress(master_t *m, master_service_t *s);
void master_status_read(master_t *m);
void master_reap(master_t *m, int logging);
void master_signal_children(master_t *m, int sig);

/* master_reload.c */
void master_reload(master_t *m);

/* master_detach.c: background start with a readiness report */
int master_detach(void);
void master_detach_done(int ready_fd);

/* master_pid.c */
void master_pid_check(const char *path);
int master_pid_acquire(const char *path);
void master_pid_remove(const char *path);

/* master_sig.c: signals arrive as flags through a self-pipe */
#define MASTER_SIG_CHILD 1
#define MASTER_SIG_RELOAD 2
#define MASTER_SIG_STOP 4
void master_sig_init(void);
int master_sig_fd(void);
int master_sig_take(int *stop_signal);
void master_sig_child_reset(void);

/* master_tls.c: the TLS session ticket keys smtpd shares (lib/tls_ticket.h) */
void master_tls_init(master_t *m);
void master_tls_reload(master_t *m);
void master_tls_tick(master_t *m, time_t now);

/* master_loop.c */
_Noreturn void master_loop(master_t *m);
_Noreturn void master_stop(master_t *m, int sig);

#endif
