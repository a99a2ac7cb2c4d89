/*
 * conf_master: reading master.cf (see conf.h): one service per logical
 * line, eight fields and the program's arguments, "-" for defaults.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "mem.h"
#include "str.h"

#define CONF_MASTER_FIELDS 8		/* service ... command, before the arguments */

/* A y/n/- flag field. */
static int conf_master_flag(const char *field, int dflt)
{
	if (strcmp(field, "-") == 0)
		return dflt;
	if (strcmp(field, "y") == 0)
		return 1;
	if (strcmp(field, "n") == 0)
		return 0;
	return -1;
}

/* A count field: "-" for the default, digits, and an optional "?" (wakeup). */
static int conf_master_count(const char *field, int dflt, int allow_query)
{
	long n;
	char *end;

	if (strcmp(field, "-") == 0)
		return dflt;
	if (!isdigit((unsigned char)field[0]))
		return -1;
	errno = 0;
	n = strtol(field, &end, 10);
	if (allow_query && *end == '?')
		end++;
	return errno || *end || n > INT_MAX ? -1 : (int)n;
}

/* "-o name=value" arguments must carry a valid name=value. */
static const char *conf_master_check_args(char **args, size_t nargs)
{
	size_t i;
	const char *eq;
	char name[CONF_NAME_MAX];

	for (i = 0; i < nargs; i++) {
		if (strcmp(args[i], "-o") != 0)
			continue;
		if (++i == nargs || (eq = strchr(args[i], '=')) == NULL)
			return "-o needs name=value";
		if ((size_t)(eq - args[i]) >= sizeof(name))
			return "-o parameter name too long";
		memcpy(name, args[i], (size_t)(eq - args[i]));
		name[eq - args[i]] = 0;
		if (!conf_name_valid(name))
			return "-o has a bad parameter name";
	}
	return NULL;
}

static void conf_service_free(conf_service_t *svc)
{
	size_t i;

	mem_free(svc->name);
	mem_free(svc->type);
	mem_free(svc->command);
	for (i = 0; i < svc->nargs; i++)
		mem_free(svc->args[i]);
	mem_free(svc->args);
}

/* Fill svc from the fields of one line; NULL, or the reason it is bad. */
static const char *conf_master_fields(char **f, size_t n, conf_service_t *svc)
{
	int dflt_maxproc = (int)conf_int("default_process_limit");
	const char *why;
	size_t i;

	if (n < CONF_MASTER_FIELDS)
		return "too few fields (need service type private unpriv chroot wakeup maxproc command)";
	if (strlen(f[0]) >= CONF_NAME_MAX)
		return "service name too long";
	if (strcmp(f[1], "inet") != 0 && strcmp(f[1], "unix") != 0)
		return "service type must be inet or unix";
	if ((svc->private_ = conf_master_flag(f[2], 1)) < 0)
		return "private field must be y, n or -";
	if ((svc->unpriv = conf_master_flag(f[3], 1)) < 0)
		return "unpriv field must be y, n or -";
	if ((svc->chroot_ = conf_master_flag(f[4], 0)) < 0)
		return "chroot field must be y, n or -";
	if ((svc->wakeup = conf_master_count(f[5], 0, 1)) < 0)
		return "bad wakeup time";
	if ((svc->maxproc = conf_master_count(f[6], dflt_maxproc, 0)) < 0)
		return "bad process limit";
	if ((why = conf_master_check_args(f + CONF_MASTER_FIELDS, n - CONF_MASTER_FIELDS)))
		return why;
	svc->name = mem_strdup(f[0]);
	svc->type = mem_strdup(f[1]);
	svc->command = mem_strdup(f[7]);
	svc->nargs = n - CONF_MASTER_FIELDS;
	svc->args = mem_calloc(svc->nargs + 1, sizeof(*svc->args));
	for (i = 0; i < svc->nargs; i++)
		svc->args[i] = mem_strdup(f[CONF_MASTER_FIELDS + i]);
	return NULL;
}

/* Split a master.cf line at white space, in place (commas are data here). */
static char **conf_master_split(char *line, size_t *count)
{
	char **fields = NULL;
	char *save = NULL;
	char *tok;
	size_t n = 0;

	for (tok = strtok_r(line, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
		fields = mem_realloc(fields, (n + 1) * sizeof(*fields));
		fields[n++] = tok;
	}
	*count = n;
	return fields;
}

static int conf_service_dup(const conf_service_t *services, size_t count, const conf_service_t *svc)
{
	size_t i;

	for (i = 0; i < count; i++)
		if (strcmp(services[i].name, svc->name) == 0 && strcmp(services[i].type, svc->type) == 0)
			return 1;
	return 0;
}

int conf_master_load(const char *path, conf_service_t **services, size_t *count, str_t *err)
{
	str_t text = STR_INIT;
	str_t line = STR_INIT;
	conf_lines_t rd;
	conf_service_t svc;
	conf_service_t *list = NULL;
	size_t n = 0;
	size_t nfields;
	char **fields;
	const char *why;
	int lineno;
	int ret = conf_read_file(path, CONF_FILE_MAX, &text, err);

	conf_lines_init(&rd, path, &text);
	while (ret == 0 && conf_lines_next(&rd, &line, &lineno) == 0) {
		memset(&svc, 0, sizeof(svc));
		svc.line = lineno;
		fields = conf_master_split(line.data, &nfields);
		why = conf_master_fields(fields, nfields, &svc);
		mem_free(fields);
		if (why == NULL && conf_service_dup(list, n, &svc))
			why = "duplicate service name and type";
		if (why) {
			str_printf(err, "%s:%d: %s", path, lineno, why);
			conf_service_free(&svc);
			ret = -1;
			break;
		}
		list = mem_realloc(list, (n + 1) * sizeof(*list));
		list[n++] = svc;
	}
	str_free(&text);
	str_free(&line);
	if (ret < 0) {
		conf_master_free(list, n);
		list = NULL;
		n = 0;
	}
	*services = list;
	*count = n;
	return ret;
}

void conf_master_free(conf_service_t *services, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++)
		conf_service_free(&services[i]);
	mem_free(services);
}
