/*
 * qmgr_transport: what main.cf and master.cf say about a transport, a
 * master.cf service that delivers (local, smtp, relay, or any other name
 * transport_maps gives).
 *
 * Its destinations' limits come from NAME_destination_concurrency_limit,
 * NAME_destination_recipient_limit and
 * NAME_destination_concurrency_failed_cohort_limit, each falling back to
 * its default_ parameter as in Postfix, and initial_destination_concurrency;
 * local, which also delivers to virtual mailboxes, has
 * virtual_destination_concurrency_limit. Pochta's local takes many
 * recipients per request, so its recipient limit is the default one
 * (Postfix's local takes one).
 *
 * Its process limit is the service's maxproc in master.cf ("-" is
 * default_process_limit, 0 unlimited): qmgr never has more requests in
 * flight to a transport, over all its destinations, than master will run
 * agents, so no request waits for an agent that is not there.
 */
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "log.h"
#include "qmgr.h"

#define QMGR_LOCAL_NAME "local"
#define QMGR_MASTER_CF "master.cf"

static conf_service_t *qmgr_services;	/* master.cf as qmgr started with it */
static size_t qmgr_nservices;

void qmgr_transport_init(void)
{
	str_t path = STR_INIT, err = STR_INIT;

	str_printf(&path, "%s/%s", conf_config_dir(), QMGR_MASTER_CF);
	if (conf_master_load(str_cstr(&path), &qmgr_services, &qmgr_nservices, &err) < 0) {
		log_warning("%s: using default_process_limit for every transport",
			    str_cstr(&err));
		qmgr_services = NULL;
		qmgr_nservices = 0;
	}
	str_free(&path);
	str_free(&err);
}

/* NAME_suffix when main.cf has a good one, else default_suffix. */
static long qmgr_transport_param(const char *name, const char *suffix, long min)
{
	str_t param = STR_INIT;
	const char *value;
	char *end;
	long n;

	str_printf(&param, "%s%s", name, suffix);
	if ((value = conf_get(param.data)) != NULL) {
		n = strtol(value, &end, 10);
		if (n >= min && *value && *end == 0) {
			str_free(&param);
			return n;
		}
		log_warning("bad %s value: %s", param.data, value);
	}
	str_reset(&param);
	str_printf(&param, "default%s", suffix);
	n = conf_int(param.data);
	str_free(&param);
	return n;
}

static size_t qmgr_transport_bound(long n)
{
	return n > QMGR_CONCURRENCY_MAX ? QMGR_CONCURRENCY_MAX : (size_t)n;
}

void qmgr_transport_limits_read(const char *name, qmgr_dest_limits_t *limits)
{
	long concurrency = strcmp(name, QMGR_LOCAL_NAME) == 0
		? qmgr_conf.local_limit
		: qmgr_transport_param(name, "_destination_concurrency_limit", 1);
	long initial = conf_int("initial_destination_concurrency");

	limits->concurrency = qmgr_transport_bound(concurrency);
	limits->initial = initial < concurrency ? (size_t)initial : limits->concurrency;
	limits->recipients = (size_t)qmgr_transport_param(name, "_destination_recipient_limit", 1);
	limits->failed_cohorts =
		qmgr_transport_param(name, "_destination_concurrency_failed_cohort_limit", 0);
}

size_t qmgr_transport_process_limit(const char *name)
{
	long limit = conf_int("default_process_limit");

	for (size_t i = 0; i < qmgr_nservices; i++)
		if (strcmp(qmgr_services[i].name, name) == 0
		    && strcmp(qmgr_services[i].type, "unix") == 0)
			limit = qmgr_services[i].maxproc;
	return limit == 0 ? QMGR_CONCURRENCY_MAX : qmgr_transport_bound(limit);
}
