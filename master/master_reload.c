/*
 * master_reload: SIGHUP. Re-read main.cf and master.cf; a service whose
 * listener is unchanged keeps it (clients waiting in its queue are not
 * lost) and takes the new settings, a removed one stops listening and
 * lingers until its last child exits, a new one gets a listener. Every
 * running child is told to exit once idle, so new children start with
 * the new configuration. A configuration that does not load leaves the
 * services as they were.
 */
#include <signal.h>
#include <string.h>

#include "conf.h"
#include "log.h"
#include "master.h"

static master_service_t *master_take(master_service_t **list, const char *key)
{
	for (master_service_t **pp = list; *pp; pp = &(*pp)->next) {
		master_service_t *s = *pp;

		if (strcmp(s->key, key) == 0) {
			*pp = s->next;
			s->next = NULL;
			return s;
		}
	}
	return NULL;
}

static void master_retire(master_t *m, master_service_t *s)
{
	master_listen_close(s);
	if (master_service_idle(s)) {
		master_service_free(s);
		return;
	}
	s->retired = 1;
	s->next = m->retired;
	m->retired = s;
}

static void master_swap_str(char **a, char **b)
{
	char *t = *a;

	*a = *b;
	*b = t;
}

/* The running service takes the fresh settings; fresh is freed with the old ones. */
static void master_adopt(master_service_t *running, master_service_t *fresh)
{
	char **argv = running->argv;
	char **stress_argv = running->stress_argv;

	master_swap_str(&running->name, &fresh->name);
	master_swap_str(&running->program, &fresh->program);
	running->argv = fresh->argv;
	fresh->argv = argv;
	running->stress_argv = fresh->stress_argv;
	fresh->stress_argv = stress_argv;
	running->maxproc = fresh->maxproc;
	if (running->wakeup != fresh->wakeup)
		running->next_wakeup = 0;
	running->wakeup = fresh->wakeup;
	master_service_free(fresh);
}

static int master_has_key(const master_service_t *list, const char *key)
{
	for (; list; list = list->next)
		if (strcmp(list->key, key) == 0)
			return 1;
	return 0;
}

static void master_merge(master_t *m, master_service_t *fresh)
{
	master_service_t *kept = NULL, *running, *s, *next;
	str_t err = STR_INIT;

	/* close removed listeners first: a new one may want the same port */
	for (s = m->services; s; s = next) {
		next = s->next;
		if (master_has_key(fresh, s->key)) {
			s->next = kept;
			kept = s;
		} else {
			master_retire(m, s);
		}
	}
	m->services = NULL;
	for (s = fresh; s; s = next) {
		next = s->next;
		s->next = NULL;
		if ((running = master_take(&kept, s->key)) != NULL) {
			master_adopt(running, s);
			s = running;
		} else if (master_listen_open(s, &err) != 0) {
			log_error("%s -- service %s not started", str_cstr(&err), s->name);
			str_reset(&err);
			master_service_free(s);
			continue;
		}
		s->next = m->services;
		m->services = s;
	}
	str_free(&err);
}

void master_reload(master_t *m)
{
	master_service_t *fresh;
	str_t err = STR_INIT;

	if (master_conf_main(m, &err) != 0 || master_conf_services(m, &fresh, &err) != 0) {
		log_error("reload: %s -- services not changed", str_cstr(&err));
		str_free(&err);
		return;
	}
	master_log_target();
	log_info("reload -- version %s, configuration %s", conf_str("mail_version"), m->config_dir);
	master_merge(m, fresh);
	master_tls_reload(m);
	master_signal_children(m, SIGHUP);
	str_free(&err);
}
