/*
 * trigger: wake a resident service (qmgr) by writing one request byte to
 * its Unix socket. Never blocks for long: a service that is down is
 * started by master when the connection waits in its listen queue, and
 * qmgr also scans on a timer, so a lost wake-up only delays mail.
 *
 * Requests: TRIGGER_WAKEUP, "new mail in incoming/" (what the connection
 * alone also means, so a service that reads nothing still works), and
 * TRIGGER_FLUSH for qmgr, "scan deferred/ now and forget the destinations
 * found dead", as a queue flush asks.
 */
#ifndef POCHTA_TRIGGER_H
#define POCHTA_TRIGGER_H

#define TRIGGER_QMGR_PATH "public/qmgr"	/* relative to queue_directory */
#define TRIGGER_WAKEUP 'W'
#define TRIGGER_FLUSH 'F'

/*
 * Coalescing: a sender may skip a wake-up when its previous one went out
 * less than TRIGGER_COALESCE_MS ago (CLOCK_MONOTONIC). In return the
 * service scans again at least TRIGGER_COALESCE_MS after each wake-up it
 * takes (and after it starts), so the news of a skipped wake-up is never
 * older than that scan: the skipped message, committed before the skip,
 * is found by it.
 */
#define TRIGGER_COALESCE_MS 10

/* Send one request byte: 0, or -1 with errno. */
int trigger_send(const char *socket_path, char request);
int trigger_wakeup(const char *socket_path);	/* trigger_send(path, TRIGGER_WAKEUP) */

#endif
