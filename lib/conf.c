/*
 * conf: main.cf (see conf.h); master.cf is read in conf_master.c and
 * text files in main.cf syntax in conf_lines.c.
 *
 * main.cf is parsed into a flat array of name/raw-value pairs; "$name"
 * references are expanded only when a value is asked for, and the result
 * is cached until the configuration changes. Known parameters that were
 * not set fall back to their default from conf_params.c, expanded the same
 * way. Typed values set in main.cf are checked at load time (so the error
 * names file:line), and every typed access checks again (for overrides).
 *
 * Expansion: "$name", "${name}", "$(name)"; "${name?text}" gives text when
 * name is not empty, "${name:text}" when it is empty; "$$" is a "$".
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "mem.h"
#include "str.h"

#define CONF_HOSTNAME_MAX 256
#define CONF_MAIN_CF "main.cf"

typedef struct conf_entry {
	char *name;
	char *raw;		/* as written; NULL: the parameter's default */
	char *expanded;		/* cache, NULL until asked for */
	int line;		/* line in main.cf, 0 for overrides and defaults */
	int set;		/* main.cf or an override set it */
} conf_entry_t;

static conf_entry_t *conf_entries;
static size_t conf_count;
static char *conf_dir;
static char *conf_main_path;

static void conf_expand(const char *owner, const char *raw, str_t *out, int depth);

/* The loaded configuration as a whole, so that a failed load (a reload
 * with a typo) can leave the previous one in force. */
typedef struct conf_state {
	conf_entry_t *entries;
	size_t count;
	char *dir;
	char *main_path;
} conf_state_t;

/* Detach the current configuration; the module is then empty. */
static conf_state_t conf_state_take(void)
{
	conf_state_t st = { conf_entries, conf_count, conf_dir, conf_main_path };

	conf_entries = NULL;
	conf_count = 0;
	conf_dir = conf_main_path = NULL;
	return st;
}

/* Unload the current configuration and put st in its place. */
static void conf_state_install(conf_state_t st)
{
	conf_unload();
	conf_entries = st.entries;
	conf_count = st.count;
	conf_dir = st.dir;
	conf_main_path = st.main_path;
}

const conf_param_t *conf_param_find(const char *name)
{
	const conf_param_t *p;

	for (p = conf_params; p->name; p++)
		if (strcmp(p->name, name) == 0)
			return p;
	return NULL;
}

static int conf_name_char(int c)
{
	return isalnum((unsigned char)c) || c == '_';
}

int conf_name_valid(const char *name)
{
	size_t len = strlen(name);
	size_t i;

	if (len == 0 || len >= CONF_NAME_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (!conf_name_char(name[i]))
			return 0;
	return 1;
}

int conf_name_known(const char *name)
{
	static const char *const per_transport[] = {
		"_destination_concurrency_limit", "_destination_recipient_limit",
		"_destination_concurrency_failed_cohort_limit",
	};
	size_t len = strlen(name);

	if (conf_param_find(name) != NULL)
		return 1;
	for (size_t i = 0; i < sizeof(per_transport) / sizeof(per_transport[0]); i++) {
		size_t suffix = strlen(per_transport[i]);

		if (len > suffix && strcmp(name + len - suffix, per_transport[i]) == 0)
			return 1;
	}
	return 0;
}

/* Some value changed: every cached expansion may be stale. */
static void conf_flush_cache(void)
{
	size_t i;

	for (i = 0; i < conf_count; i++) {
		mem_free(conf_entries[i].expanded);
		conf_entries[i].expanded = NULL;
	}
}

static conf_entry_t *conf_entry_find(const char *name)
{
	size_t i;

	for (i = 0; i < conf_count; i++)
		if (strcmp(conf_entries[i].name, name) == 0)
			return &conf_entries[i];
	return NULL;
}

static conf_entry_t *conf_entry_add(const char *name)
{
	conf_entry_t *e;

	conf_entries = mem_realloc(conf_entries, (conf_count + 1) * sizeof(*conf_entries));
	e = &conf_entries[conf_count++];
	memset(e, 0, sizeof(*e));
	e->name = mem_strdup(name);
	return e;
}

static void conf_entry_store(const char *name, const char *raw, int line, int set)
{
	conf_entry_t *e = conf_entry_find(name);

	conf_flush_cache();
	if (e == NULL)
		e = conf_entry_add(name);
	mem_free(e->raw);
	e->raw = mem_strdup(raw);
	e->line = line;
	e->set = set;
}

void conf_unload(void)
{
	size_t i;

	for (i = 0; i < conf_count; i++) {
		mem_free(conf_entries[i].name);
		mem_free(conf_entries[i].raw);
		mem_free(conf_entries[i].expanded);
	}
	mem_free(conf_entries);
	conf_entries = NULL;
	conf_count = 0;
	mem_free(conf_dir);
	conf_dir = NULL;
	mem_free(conf_main_path);
	conf_main_path = NULL;
}

/* Computed defaults: the host name, and the domain derived from it. */
static void conf_computed_default(const char *name, str_t *out)
{
	char host[CONF_HOSTNAME_MAX];
	const char *dot;

	if (strcmp(name, "myhostname") == 0) {
		if (gethostname(host, sizeof(host)) < 0)
			log_fatal("gethostname: %s", strerror(errno));
		host[sizeof(host) - 1] = 0;
		str_append_cstr(out, host);
	} else if (strcmp(name, "mydomain") == 0) {
		dot = strchr(conf_get("myhostname"), '.');
		str_append_cstr(out, dot && dot[1] ? dot + 1 : "localdomain");
	} else {
		log_panic("conf: parameter %s has no default", name);
	}
}

/* Append the expanded value of name; 0, or -1 when the name is unknown. */
static int conf_expand_name(const char *name, str_t *out, int depth)
{
	conf_entry_t *e = conf_entry_find(name);
	const conf_param_t *p;

	if (e && e->expanded) {
		str_append_cstr(out, e->expanded);
		return 0;
	}
	if (e && e->raw) {
		conf_expand(name, e->raw, out, depth);
		return 0;
	}
	if ((p = conf_param_find(name)) == NULL)
		return -1;
	if (p->dflt)
		conf_expand(name, p->dflt, out, depth);
	else
		conf_computed_default(name, out);
	return 0;
}

/* Find the end of a "${...}" or "$(...)" group that starts after open. */
static const char *conf_group_end(const char *cp, char open, char close)
{
	int nest = 1;

	for (; *cp; cp++) {
		if (*cp == open)
			nest++;
		else if (*cp == close && --nest == 0)
			return cp;
	}
	return NULL;
}

/* Expand "${name}", "${name?text}" or "${name:text}" (body without braces). */
static void conf_expand_group(const char *owner, const char *body, size_t len,
			      str_t *out, int depth)
{
	char *copy = mem_strndup(body, len);
	char *op = copy + strcspn(copy, "?:");
	char kind = *op;
	str_t value = STR_INIT;

	*op = 0;
	if (conf_expand_name(copy, &value, depth + 1) < 0)
		log_warning("%s: parameter %s: unknown parameter name $%s, expanded to nothing",
			    conf_main_path ? conf_main_path : CONF_MAIN_CF, owner, copy);
	if (kind == 0)
		str_append(out, value.data ? value.data : "", value.len);
	else if ((kind == '?') == (value.len > 0))
		conf_expand(owner, op + 1, out, depth + 1);
	str_free(&value);
	mem_free(copy);
}

static void conf_expand(const char *owner, const char *raw, str_t *out, int depth)
{
	const char *cp = raw;
	const char *end;
	char close;
	size_t len;

	if (depth > CONF_EXPAND_DEPTH)
		log_fatal("%s: parameter %s: $name expansion nested deeper than %d (recursion loop?)",
			  conf_main_path ? conf_main_path : CONF_MAIN_CF, owner, CONF_EXPAND_DEPTH);
	while (*cp) {
		len = strcspn(cp, "$");
		str_append(out, cp, len);
		cp += len;
		if (*cp == 0)
			break;
		cp++;
		if (*cp == '$') {
			str_putc(out, '$');
			cp++;
		} else if (*cp == '{' || *cp == '(') {
			close = *cp == '{' ? '}' : ')';
			if ((end = conf_group_end(cp + 1, *cp, close)) == NULL) {
				log_warning("parameter %s: missing '%c' in \"%s\"", owner, close, raw);
				str_putc(out, '$');
				continue;
			}
			conf_expand_group(owner, cp + 1, (size_t)(end - cp - 1), out, depth);
			cp = end + 1;
		} else if (conf_name_char(*cp)) {
			for (len = 0; conf_name_char(cp[len]); len++)
				;
			conf_expand_group(owner, cp, len, out, depth);
			cp += len;
		} else {
			str_putc(out, '$');
		}
		if (out->len > CONF_VALUE_MAX)
			log_fatal("parameter %s: expanded value longer than %d bytes", owner, CONF_VALUE_MAX);
	}
}

const char *conf_get(const char *name)
{
	conf_entry_t *e = conf_entry_find(name);
	str_t value = STR_INIT;

	if (e == NULL) {
		if (conf_param_find(name) == NULL)
			return NULL;
		e = conf_entry_add(name);
	}
	if (e->expanded == NULL) {
		conf_expand_name(name, &value, 0);
		/* Expansion may add entries (computed defaults): find e again. */
		e = conf_entry_find(name);
		e->expanded = str_steal(&value);
	}
	return e->expanded;
}

const char *conf_raw(const char *name)
{
	conf_entry_t *e = conf_entry_find(name);
	const conf_param_t *p;

	if (e && e->raw)
		return e->raw;
	p = conf_param_find(name);
	return p ? p->dflt : NULL;
}

const char *conf_config_dir(void)
{
	return conf_dir ? conf_dir : conf_get("config_directory");
}

void conf_set(const char *name, const char *value)
{
	char *copy = mem_strdup(value);

	conf_entry_store(name, str_trim(copy), 0, 1);
	mem_free(copy);
}

int conf_set_pair(const char *pair)
{
	const char *eq = strchr(pair, '=');
	char *name;
	int ret = -1;

	if (eq == NULL)
		return -1;
	name = mem_strndup(pair, (size_t)(eq - pair));
	if (conf_name_valid(str_trim(name))) {
		conf_set(str_trim(name), eq + 1);
		ret = 0;
	}
	mem_free(name);
	return ret;
}

int conf_is_set(const char *name)
{
	conf_entry_t *e = conf_entry_find(name);

	return e != NULL && e->set;
}

long conf_parse_time(const char *text, char default_unit)
{
	long value = 0;
	long mult;
	int digits = 0;
	char unit;

	for (; isdigit((unsigned char)*text); text++, digits++) {
		if (value > (LONG_MAX - 9) / 10)
			return -1;
		value = value * 10 + (*text - '0');
	}
	if (digits == 0 || (text[0] && text[1]))
		return -1;
	unit = *text ? *text : default_unit;
	switch (unit) {
	case 's': mult = 1; break;
	case 'm': mult = 60; break;
	case 'h': mult = 3600; break;
	case 'd': mult = 86400; break;
	case 'w': mult = 7 * 86400; break;
	default: return -1;
	}
	if (value > LONG_MAX / mult)
		return -1;
	return value * mult;
}

static int conf_parse_int(const char *text, long *value)
{
	char *end;

	if (!isdigit((unsigned char)text[0]) && !(text[0] == '-' && isdigit((unsigned char)text[1])))
		return -1;
	errno = 0;
	*value = strtol(text, &end, 10);
	return errno || *end ? -1 : 0;
}

static int conf_parse_bool(const char *text)
{
	if (strcasecmp(text, "yes") == 0 || strcasecmp(text, "true") == 0)
		return 1;
	if (strcasecmp(text, "no") == 0 || strcasecmp(text, "false") == 0)
		return 0;
	return -1;
}

/* Check a typed value; 0 and the number in *out, or -1 with a reason. */
static int conf_check_value(const conf_param_t *p, const char *value, long *out, str_t *why)
{
	long n = 0;

	switch (p->type) {
	case CONF_STR:
		return 0;
	case CONF_BOOL:
		if ((n = conf_parse_bool(value)) < 0) {
			str_printf(why, "bad boolean configuration: %s = %s", p->name, value);
			return -1;
		}
		*out = n;
		return 0;
	case CONF_INT:
		if (conf_parse_int(value, &n) == 0 && n >= p->min && n <= p->max)
			break;
		str_printf(why, "bad numerical configuration: %s = %s (allowed %ld..%ld)",
			   p->name, value, p->min, p->max);
		return -1;
	case CONF_TIME:
		if ((n = conf_parse_time(value, p->unit)) >= p->min && n <= p->max)
			break;
		str_printf(why, "bad time configuration: %s = %s (allowed %lds..%lds)",
			   p->name, value, p->min, p->max);
		return -1;
	}
	*out = n;
	return 0;
}

/* Typed access: a known parameter of the given type, or a fatal error. */
static long conf_typed(const char *name, enum conf_type type)
{
	const conf_param_t *p = conf_param_find(name);
	conf_entry_t *e;
	const char *value;
	str_t why = STR_INIT;
	long n = 0;

	if (p == NULL || p->type != type)
		log_panic("conf: %s is not a known parameter of the requested type", name);
	value = conf_get(name);
	if (conf_check_value(p, value, &n, &why) < 0) {
		e = conf_entry_find(name);
		if (e && e->line)
			log_fatal("%s, line %d: %s", conf_main_path, e->line, why.data);
		log_fatal("%s", why.data);
	}
	return n;
}

const char *conf_str(const char *name)
{
	const char *value = conf_get(name);

	if (value == NULL)
		log_panic("conf: unknown parameter %s", name);
	return value;
}

long conf_int(const char *name)
{
	return conf_typed(name, CONF_INT);
}

long conf_time(const char *name)
{
	return conf_typed(name, CONF_TIME);
}

int conf_bool(const char *name)
{
	return (int)conf_typed(name, CONF_BOOL);
}

char **conf_split_list(const char *value, size_t *count)
{
	static const char sep[] = " \t\r\n,";
	char **items = NULL;
	size_t n = 0;
	size_t len;

	for (;;) {
		value += strspn(value, sep);
		if (*value == 0)
			break;
		len = strcspn(value, sep);
		items = mem_realloc(items, (n + 2) * sizeof(*items));
		items[n++] = mem_strndup(value, len);
		value += len;
	}
	if (items == NULL)
		items = mem_calloc(1, sizeof(*items));
	items[n] = NULL;
	*count = n;
	return items;
}

void conf_free_list(char **items, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++)
		mem_free(items[i]);
	mem_free(items);
}

/* One "name = value" line of main.cf. */
static int conf_main_line(char *line, int lineno, str_t *err)
{
	char *eq = strchr(line, '=');
	char *name;

	if (eq == NULL) {
		str_printf(err, "%s:%d: missing '=' after parameter name", conf_main_path, lineno);
		return -1;
	}
	*eq = 0;
	name = str_trim(line);
	if (!conf_name_valid(name)) {
		str_printf(err, "%s:%d: bad parameter name: \"%s\"", conf_main_path, lineno, name);
		return -1;
	}
	if (!conf_name_known(name))
		log_warning("%s, line %d: unknown parameter name: %s", conf_main_path, lineno, name);
	conf_entry_store(name, str_trim(eq + 1), lineno, 1);
	return 0;
}

/* Check every typed value main.cf set, so the error can name its line. */
static int conf_check_typed(str_t *err)
{
	const conf_param_t *p;
	str_t why = STR_INIT;
	size_t i;
	long n;
	int ret = 0;

	for (i = 0; i < conf_count && ret == 0; i++) {
		p = conf_param_find(conf_entries[i].name);
		if (conf_entries[i].line == 0 || p == NULL || p->type == CONF_STR)
			continue;
		if (conf_check_value(p, conf_get(p->name), &n, &why) < 0) {
			str_printf(err, "%s:%d: %s", conf_main_path, conf_entries[i].line, why.data);
			ret = -1;
		}
	}
	str_free(&why);
	return ret;
}

int conf_load(const char *config_dir, str_t *err)
{
	str_t text = STR_INIT;
	str_t line = STR_INIT;
	conf_lines_t rd;
	int lineno;
	int ret = 0;
	conf_state_t previous = conf_state_take();

	conf_dir = mem_strdup(config_dir);
	conf_main_path = mem_alloc(strlen(config_dir) + sizeof("/" CONF_MAIN_CF));
	sprintf(conf_main_path, "%s/%s", config_dir, CONF_MAIN_CF);
	conf_entry_store("config_directory", config_dir, 0, 0);
	if (conf_read_file(conf_main_path, CONF_FILE_MAX, &text, err) < 0)
		ret = -1;
	conf_lines_init(&rd, conf_main_path, &text);
	while (ret == 0 && conf_lines_next(&rd, &line, &lineno) == 0)
		ret = conf_main_line(line.data, lineno, err);
	if (ret == 0)
		ret = conf_check_typed(err);
	str_free(&text);
	str_free(&line);
	if (ret < 0) {
		conf_state_install(previous);
	} else {
		conf_state_t loaded = conf_state_take();

		conf_state_install(previous);
		conf_state_install(loaded);
	}
	return ret;
}
