/*
 * trigger: wake a resident service (qmgr) by writing one byte to its Unix
 * socket. Never blocks for long: a service that is down is started by
 * master when the connection waits in its listen queue, and qmgr also
 * scans on a timer, so a lost wake-up only delays mail.
 */
#ifndef POCHTA_TRIGGER_H
#define POCHTA_TRIGGER_H

#define TRIGGER_QMGR_PATH "public/qmgr"	/* relative to queue_directory */
#define TRIGGER_WAKEUP 'W'

int trigger_wakeup(const char *socket_path);	/* 0, or -1 with errno */

#endif
