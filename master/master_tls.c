/*
 * master_tls: the TLS session ticket keys every smtpd reads (see
 * lib/tls_ticket.h), Postfix's tlsmgr job done by master itself. At start
 * and every smtpd_tls_session_cache_timeout seconds master makes a new
 * current key and keeps the one before as previous, so a ticket outlives
 * one rotation (or one restart of the mail system) and no more.
 *
 * The file lives in queue_directory/tls, a directory of master's user
 * (root) with mode 0700: smtpd reads it before it drops its privileges,
 * like the certificate's private key, and no mail_owner process can read
 * or replace it. A timeout of 0 turns tickets off: the file is removed.
 * Failures are logged, never fatal: without the file, TLS works without
 * resumption.
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "master.h"
#include "tls_ticket.h"

/* queue_directory/tls: master's alone, or not used. */
static int master_tls_dir(void)
{
	struct stat st;

	if (mkdir(TLS_TICKET_DIR, TLS_TICKET_DIR_MODE) != 0 && errno != EEXIST) {
		log_warning("create directory %s: %m -- TLS session tickets are off", TLS_TICKET_DIR);
		return -1;
	}
	if (lstat(TLS_TICKET_DIR, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid()
	    || (st.st_mode & (S_IRWXG | S_IRWXO))) {
		log_warning("%s must be a directory of user ID %ld with mode 0700"
			    " -- TLS session tickets are off", TLS_TICKET_DIR, (long)geteuid());
		return -1;
	}
	return 0;
}

static void master_tls_remove(void)
{
	if (unlink(TLS_TICKET_FILE) != 0 && errno != ENOENT)
		log_warning("remove %s: %m", TLS_TICKET_FILE);
}

/* A new current key; the current one, if any, becomes the previous. */
static void master_tls_rotate(void)
{
	tls_ticket_keys_t keys;
	str_t err = STR_INIT;

	if (tls_ticket_keys_load(TLS_TICKET_FILE, &keys, &err) < 0 && access(TLS_TICKET_FILE, F_OK) == 0)
		log_warning("%s -- making new TLS session ticket keys", str_cstr(&err));
	str_reset(&err);
	if (tls_ticket_keys_rotate(&keys, &err) < 0 || tls_ticket_keys_save(TLS_TICKET_FILE, &keys, &err) < 0) {
		log_warning("TLS session ticket keys: %s", str_cstr(&err));
		master_tls_remove();	/* old keys must not outlive their time */
	}
	tls_ticket_keys_wipe(&keys);
	str_free(&err);
}

/* Rotate now and schedule the next one; main.cf decides the interval. */
static void master_tls_start(master_t *m, time_t now)
{
	long interval = conf_time("smtpd_tls_session_cache_timeout");

	m->tls_rotate_at = 0;
	if (interval <= 0) {
		master_tls_remove();
		return;
	}
	if (master_tls_dir() < 0)
		return;
	master_tls_rotate();
	m->tls_rotate_at = now + interval;
}

void master_tls_init(master_t *m)
{
	master_tls_start(m, master_now());
}

/* After a reload: the same keys on a new schedule, or a start or a stop. */
void master_tls_reload(master_t *m)
{
	long interval = conf_time("smtpd_tls_session_cache_timeout");
	time_t now = master_now();

	if (interval <= 0 || m->tls_rotate_at == 0)
		master_tls_start(m, now);
	else if (m->tls_rotate_at - now > interval)
		m->tls_rotate_at = now + interval;
}

void master_tls_tick(master_t *m, time_t now)
{
	if (m->tls_rotate_at == 0 || now < m->tls_rotate_at)
		return;
	master_tls_rotate();
	m->tls_rotate_at = now + conf_time("smtpd_tls_session_cache_timeout");
}
