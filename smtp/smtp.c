/*
 * smtp: the SMTP delivery agent. master starts it on demand for
 * connections on private/smtp (and private/relay); it runs as mail_owner.
 * What needs privilege is read before the drop: the CA certificates of
 * smtp_tls_CAfile and the smtp_sasl_password_maps table. One qmgr
 * connection carries many requests in turn; between them an SMTP session
 * may wait for the next message to the same next hop (smtp_cache.c).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "agent.h"
#include "conf.h"
#include "daemon.h"
#include "log.h"
#include "queue_dirs.h"
#include "smtp.h"

smtp_conf_t smtp_conf;

double smtp_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void smtp_status_vset(smtp_status_t *st, const char *dsn, const char *fmt, va_list ap)
{
	snprintf(st->dsn, sizeof(st->dsn), "%s", dsn);
	st->diagnostic[0] = 0;
	str_reset(&st->reason);
	str_vprintf(&st->reason, fmt, ap);
}

void smtp_status_set(smtp_status_t *st, const char *dsn, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	smtp_status_vset(st, dsn, fmt, ap);
	va_end(ap);
}

void smtp_status_copy(smtp_status_t *to, const smtp_status_t *from)
{
	smtp_status_set(to, from->dsn, "%s", from->reason.len ? from->reason.data : "");
	memcpy(to->diagnostic, from->diagnostic, sizeof(to->diagnostic));
}

static int smtp_timeout(const char *name)
{
	long value = conf_time(name);

	return value > SMTP_TIMEOUT_MAX ? SMTP_TIMEOUT_MAX : (int)value;
}

static int smtp_tls_level(void)
{
	static const char *const names[] = { "none", "may", "encrypt", "verify" };
	const char *level = conf_str("smtp_tls_security_level");

	if (*level == 0)
		return SMTP_TLS_NONE;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcasecmp(level, names[i]) == 0)
			return (int)i;
	log_fatal("bad smtp_tls_security_level value: %s (use none, may, encrypt or verify)",
		  level);
}

static void smtp_read_conf(void)
{
	gid_t queue_group;

	smtp_conf.helo_name = conf_str("smtp_helo_name");
	smtp_conf.connect_timeout = smtp_timeout("smtp_connect_timeout");
	smtp_conf.helo_timeout = smtp_timeout("smtp_helo_timeout");
	smtp_conf.starttls_timeout = smtp_timeout("smtp_starttls_timeout");
	smtp_conf.mail_timeout = smtp_timeout("smtp_mail_timeout");
	smtp_conf.rcpt_timeout = smtp_timeout("smtp_rcpt_timeout");
	smtp_conf.data_init_timeout = smtp_timeout("smtp_data_init_timeout");
	smtp_conf.data_xfer_timeout = smtp_timeout("smtp_data_xfer_timeout");
	smtp_conf.data_done_timeout = smtp_timeout("smtp_data_done_timeout");
	smtp_conf.rset_timeout = smtp_timeout("smtp_rset_timeout");
	smtp_conf.quit_timeout = smtp_timeout("smtp_quit_timeout");
	smtp_conf.mx_address_limit = conf_int("smtp_mx_address_limit");
	smtp_conf.tls_level = smtp_tls_level();
	smtp_conf.tls_loglevel = (int)conf_int("smtp_tls_loglevel");
	smtp_conf.sasl_enable = conf_bool("smtp_sasl_auth_enable");
	smtp_conf.cache_time_limit = conf_time("smtp_connection_cache_time_limit");
	smtp_conf.reuse_count_limit = conf_int("smtp_connection_reuse_count_limit");
	smtp_conf.reuse_time_limit = conf_time("smtp_connection_reuse_time_limit");
	smtp_conf.min_backoff = conf_time("minimal_backoff_time");
	queue_dirs_owner(&smtp_conf.queue_owner, &queue_group);
}

static void smtp_pre_drop(void)
{
	smtp_read_conf();
	smtp_tls_pre_drop();
	smtp_sasl_pre_drop();
}

static void smtp_post_drop(void)
{
	smtp_tls_setup();
	smtp_sasl_setup();
}

/* qmgr's requests over one connection; the cached sessions go with it. */
static void smtp_serve(stream_t *client)
{
	agent_serve(client, smtp_request, smtp_cache_idle_wait);
	smtp_cache_close();
}

int main(int argc, char **argv)
{
	static const daemon_hooks_t hooks = { .pre_drop = smtp_pre_drop,
					      .post_drop = smtp_post_drop };

	daemon_init(argc, argv, "smtp", &hooks);
	daemon_single_server(smtp_serve);
}
