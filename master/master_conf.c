/*
 * master_conf: turn master.cf into service instances. An inet service is
 * bound to its own host when it names one ("127.0.0.1:2025"), otherwise to
 * each of inet_interfaces; every (service, address) pair is an instance
 * with its own listener and children. A unix service listens on
 * private/NAME or public/NAME.
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "conf.h"
#include "log.h"
#include "master.h"
#include "mem.h"
#include "queue_dirs.h"

#define MASTER_PORT_MAX 65535
#define MASTER_ARGV_FIXED 11	/* command -c DIR -n NAME -t TYPE -u -o stress=yes, and the NULL */
#define MASTER_STRESS_OPTION "stress=yes"	/* Postfix's overload flag */

/* main.cf, then master's -o overrides. */
int master_conf_main(const master_t *m, str_t *err)
{
	if (conf_load(m->config_dir, err) != 0)
		return -1;
	for (size_t i = 0; i < m->noverrides; i++) {
		if (conf_set_pair(m->overrides[i]) != 0) {
			str_printf(err, "bad -o argument: %s", m->overrides[i]);
			return -1;
		}
	}
	log_set_syslog_name(conf_str("syslog_name"));
	return 0;
}

/* maillog_file when set, else syslog; reopening also follows log rotation. */
void master_log_target(void)
{
	const char *file = conf_str("maillog_file");

	if (*file == 0)
		log_to_syslog();
	else if (log_open_file(file) != 0)
		log_fatal("open maillog_file %s: %m", file);
}

typedef struct master_addrs {
	char **items;
	size_t count;
} master_addrs_t;

static void master_addrs_add(master_addrs_t *a, const char *addr)
{
	for (size_t i = 0; i < a->count; i++)
		if ((a->items[i] == NULL && addr == NULL)
		    || (a->items[i] && addr && strcmp(a->items[i], addr) == 0))
			return;
	a->items = mem_realloc(a->items, (a->count + 1) * sizeof(*a->items));
	a->items[a->count++] = addr ? mem_strdup(addr) : NULL;
}

static void master_addrs_free(master_addrs_t *a)
{
	for (size_t i = 0; i < a->count; i++)
		mem_free(a->items[i]);
	mem_free(a->items);
}

/* A host name or address ("[::1]" too) to its numeric addresses. */
static int master_resolve(const char *host, master_addrs_t *out, str_t *err)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM };
	struct addrinfo *res, *ai;
	char numeric[NI_MAXHOST];
	size_t len = strlen(host);
	char *bare = len >= 2 && host[0] == '[' && host[len - 1] == ']'
		? mem_strndup(host + 1, len - 2) : mem_strdup(host);
	int rc = getaddrinfo(bare, NULL, &hints, &res);

	if (rc != 0) {
		str_printf(err, "host %s: %s", bare, gai_strerror(rc));
		mem_free(bare);
		return -1;
	}
	for (ai = res; ai; ai = ai->ai_next)
		if (getnameinfo(ai->ai_addr, ai->ai_addrlen, numeric, sizeof(numeric),
				NULL, 0, NI_NUMERICHOST) == 0)
			master_addrs_add(out, numeric);
	freeaddrinfo(res);
	mem_free(bare);
	return 0;
}

static int master_interfaces(master_addrs_t *out, str_t *err)
{
	const char *value = conf_str("inet_interfaces");
	size_t count;
	char **items;
	int rc = 0;

	if (strcmp(value, "all") == 0) {
		master_addrs_add(out, NULL);
		return 0;
	}
	if (strcmp(value, "loopback-only") == 0) {
		master_addrs_add(out, "127.0.0.1");
		return 0;
	}
	items = conf_split_list(value, &count);
	for (size_t i = 0; i < count && rc == 0; i++)
		rc = master_resolve(items[i], out, err);
	conf_free_list(items, count);
	if (rc == 0 && out->count == 0) {
		str_append_cstr(err, "inet_interfaces is empty");
		rc = -1;
	}
	return rc;
}

static int master_port(const char *text, str_t *err)
{
	char *end;
	long port = strtol(text, &end, 10);
	struct servent *se;

	if (*text && *end == 0) {
		if (port < 1 || port > MASTER_PORT_MAX) {
			str_printf(err, "bad port number: %s", text);
			return -1;
		}
		return (int)port;
	}
	se = getservbyname(text, "tcp");
	if (se == NULL) {
		str_printf(err, "unknown service port: %s", text);
		return -1;
	}
	return ntohs((unsigned short)se->s_port);
}

/* "[host:]port", the host possibly "[v6 address]". */
static int master_inet_addrs(const char *name, master_addrs_t *addrs, int *port, str_t *err)
{
	const char *colon = strrchr(name, ':');
	const char *bracket = strrchr(name, ']');
	char *host;
	int rc;

	if (colon == NULL || (bracket && colon < bracket)) {
		*port = master_port(name, err);
		return *port < 0 ? -1 : master_interfaces(addrs, err);
	}
	*port = master_port(colon + 1, err);
	if (*port < 0)
		return -1;
	host = mem_strndup(name, (size_t)(colon - name));
	rc = master_resolve(host, addrs, err);
	mem_free(host);
	return rc;
}

static char *master_program(const char *command)
{
	str_t path = STR_INIT;

	if (strchr(command, '/'))
		return mem_strdup(command);
	str_printf(&path, "%s/%s", conf_str("daemon_directory"), command);
	return str_steal(&path);
}

/* command -c DIR -n NAME -t TYPE [-u] (-o pair)... [-o stress=yes] master.cf args */
static char **master_argv(const master_t *m, const conf_service_t *cs, int stress)
{
	size_t max = MASTER_ARGV_FIXED + 2 * m->noverrides + cs->nargs;
	char **argv = mem_calloc(max, sizeof(*argv));
	size_t n = 0;

	argv[n++] = mem_strdup(cs->command);
	argv[n++] = mem_strdup("-c");
	argv[n++] = mem_strdup(m->config_dir);
	argv[n++] = mem_strdup("-n");
	argv[n++] = mem_strdup(cs->name);
	argv[n++] = mem_strdup("-t");
	argv[n++] = mem_strdup(cs->type);
	if (cs->unpriv)
		argv[n++] = mem_strdup("-u");
	for (size_t i = 0; i < m->noverrides; i++) {
		argv[n++] = mem_strdup("-o");
		argv[n++] = mem_strdup(m->overrides[i]);
	}
	if (stress) {
		argv[n++] = mem_strdup("-o");
		argv[n++] = mem_strdup(MASTER_STRESS_OPTION);
	}
	for (size_t i = 0; i < cs->nargs; i++)
		argv[n++] = mem_strdup(cs->args[i]);
	return argv;
}

static master_service_t *master_instance(const master_t *m, const conf_service_t *cs)
{
	master_service_t *s = mem_calloc(1, sizeof(*s));

	s->name = mem_strdup(cs->name);
	s->program = master_program(cs->command);
	s->argv = master_argv(m, cs, 0);
	s->maxproc = cs->maxproc;
	s->listen_fd = -1;
	return s;
}

static void master_push(master_service_t **list, master_service_t *s)
{
	s->next = *list;
	*list = s;
}

static int master_unix_instance(const master_t *m, const conf_service_t *cs,
				master_service_t **list, str_t *err)
{
	master_service_t *s;
	str_t path = STR_INIT;

	str_printf(&path, "%s/%s", cs->private_ ? QUEUE_DIRS_PRIVATE : QUEUE_DIRS_PUBLIC, cs->name);
	if (path.len >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
		str_printf(err, "service name too long: %s", cs->name);
		str_free(&path);
		return -1;
	}
	s = master_instance(m, cs);
	s->wakeup = cs->wakeup;
	s->path = str_steal(&path);
	str_printf(&path, "unix %s", s->path);
	s->key = str_steal(&path);
	master_push(list, s);
	return 0;
}

static int master_inet_instances(const master_t *m, const conf_service_t *cs,
				 master_service_t **list, str_t *err)
{
	master_addrs_t addrs = { NULL, 0 };
	str_t key = STR_INIT;
	int port;

	if (master_inet_addrs(cs->name, &addrs, &port, err) != 0) {
		master_addrs_free(&addrs);
		return -1;
	}
	for (size_t i = 0; i < addrs.count; i++) {
		master_service_t *s = master_instance(m, cs);

		s->stress_argv = master_argv(m, cs, 1);
		s->host = addrs.items[i] ? mem_strdup(addrs.items[i]) : NULL;
		s->port = port;
		str_printf(&key, "inet [%s]:%d", s->host ? s->host : "*", port);
		s->key = str_steal(&key);
		master_push(list, s);
	}
	master_addrs_free(&addrs);
	return 0;
}

static int master_key_taken(const master_service_t *list, const master_service_t *upto)
{
	for (const master_service_t *s = list; s; s = s->next)
		if (s != upto && strcmp(s->key, upto->key) == 0)
			return 1;
	return 0;
}

static int master_add_service(const master_t *m, const conf_service_t *cs,
			      master_service_t **list, str_t *err)
{
	master_service_t *before = *list;
	int rc;

	if (strcmp(cs->type, "unix") == 0)
		rc = master_unix_instance(m, cs, list, err);
	else if (strcmp(cs->type, "inet") == 0)
		rc = master_inet_instances(m, cs, list, err);
	else {
		str_printf(err, "unsupported service type: %s", cs->type);
		return -1;
	}
	for (master_service_t *s = *list; rc == 0 && s != before; s = s->next)
		if (master_key_taken(*list, s)) {
			str_printf(err, "duplicate service: %s", s->key);
			rc = -1;
		}
	return rc;
}

int master_conf_services(const master_t *m, master_service_t **out, str_t *err)
{
	str_t path = STR_INIT;
	str_t why = STR_INIT;
	conf_service_t *cs;
	size_t count;
	master_service_t *list = NULL;
	int rc;

	str_printf(&path, "%s/master.cf", m->config_dir);
	rc = conf_master_load(str_cstr(&path), &cs, &count, err);
	if (rc == 0) {
		for (size_t i = 0; rc == 0 && i < count; i++)
			if ((rc = master_add_service(m, &cs[i], &list, &why)) != 0)
				str_printf(err, "%s:%d: %s", str_cstr(&path), cs[i].line, str_cstr(&why));
		conf_master_free(cs, count);
	}
	for (master_service_t *next; rc != 0 && list; list = next) {
		next = list->next;
		master_service_free(list);
	}
	str_free(&why);
	str_free(&path);
	*out = list;
	return rc;
}

static void master_argv_free(char **argv)
{
	for (char **a = argv; a && *a; a++)
		mem_free(*a);
	mem_free(argv);
}

void master_service_free(master_service_t *s)
{
	master_argv_free(s->argv);
	master_argv_free(s->stress_argv);
	mem_free(s->key);
	mem_free(s->name);
	mem_free(s->host);
	mem_free(s->path);
	mem_free(s->program);
	mem_free(s);
}

int master_service_resident(const master_service_t *s)
{
	return s->wakeup > 0 && s->path != NULL;
}

int master_service_idle(const master_service_t *s)
{
	return s->children == 0 && !s->stress;
}
