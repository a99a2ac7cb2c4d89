/*
 * conf: main.cf and master.cf, in Postfix's syntax.
 *
 * main.cf: "name = value" lines, "#" comments, continuation lines that start
 * with white space, "$name" and "${name}" expansion when a value is read
 * (so the order of definitions does not matter), later definitions win.
 * Every known parameter has a type, a default and bounds in conf_params.c;
 * unknown names get a warning, bad values a fatal error naming file:line.
 *
 * master.cf: one service per line ("service type private unpriv chroot
 * wakeup maxproc command [args]"), continuation lines as in main.cf,
 * "-o name=value" arguments that override main.cf for that service.
 */
#ifndef POCHTA_CONF_H
#define POCHTA_CONF_H

#include <stddef.h>
#include "str.h"

#define CONF_NAME_MAX 64		/* parameter and service name length */
#define CONF_VALUE_MAX 65536		/* one expanded value */
#define CONF_EXPAND_DEPTH 20		/* $name recursion bound */
#define CONF_FILE_MAX (4 << 20)		/* main.cf or master.cf larger than this is refused */

enum conf_type { CONF_STR, CONF_INT, CONF_TIME, CONF_BOOL };

typedef struct conf_param {
	const char *name;
	enum conf_type type;
	const char *dflt;	/* NULL: computed (myhostname, mydomain) */
	long min, max;		/* for CONF_INT and CONF_TIME (seconds) */
	char unit;		/* CONF_TIME: unit of a bare number (s m h d w) */
} conf_param_t;

extern const conf_param_t conf_params[];	/* ends with a NULL name */
const conf_param_t *conf_param_find(const char *name);
int conf_name_valid(const char *name);	/* [a-z0-9_], not empty, within CONF_NAME_MAX */
/* A parameter of the table, or one of a master.cf transport's own limits
 * ("NAME_destination_concurrency_limit"), which any transport may have. */
int conf_name_known(const char *name);

/* Load config_dir/main.cf (a missing file is an error). Returns 0 and
 * replaces what was loaded (overrides included), or -1 with a
 * "file:line: reason" message in err and the previous configuration left
 * as it was. */
int conf_load(const char *config_dir, str_t *err);
/* Set a value as if it were the last line of main.cf ("-o name=value"). */
void conf_set(const char *name, const char *value);
/* Apply "name=value"; -1 when the text has no "=" or a bad name. */
int conf_set_pair(const char *pair);
void conf_unload(void);

const char *conf_config_dir(void);
/* The expanded value (main.cf, override, or default); NULL if the name is
 * neither set nor known. The pointer stays valid until the next conf_load,
 * conf_set or conf_unload. */
const char *conf_get(const char *name);
/* The value as written (main.cf, override, or default) without "$name"
 * expansion, for parameters a program expands with names of its own
 * (local's forward_path: $home, $user, $extension); NULL if unknown. */
const char *conf_raw(const char *name);
/* Typed access for known parameters; a bad value is fatal (logged). */
const char *conf_str(const char *name);
long conf_int(const char *name);
long conf_time(const char *name);	/* seconds */
int conf_bool(const char *name);
/* Did main.cf or an override set this name? (for "pochta conf -n") */
int conf_is_set(const char *name);

/* Parse a time value ("300s", "5d", "10" with a default unit). -1 if bad. */
long conf_parse_time(const char *text, char default_unit);
/* Split a list value at white space and commas into items (caller frees
 * each item and the array). */
char **conf_split_list(const char *value, size_t *count);
void conf_free_list(char **items, size_t count);

/* Text files in main.cf syntax (main.cf, master.cf, table sources):
 * read a whole file of at most max bytes (-1 with "path: reason" in err),
 * then take logical lines: trimmed, continuation lines joined with one
 * space, blank and "#" comment lines skipped. */
typedef struct conf_lines {
	const char *path;	/* for warnings */
	const char *text;
	size_t len;
	size_t pos;
	int lineno;		/* physical line last consumed */
} conf_lines_t;

int conf_read_file(const char *path, size_t max, str_t *text, str_t *err);
void conf_lines_init(conf_lines_t *lines, const char *path, const str_t *text);
/* 0 with the next logical line and the line number where it started, -1 at the end. */
int conf_lines_next(conf_lines_t *lines, str_t *line, int *lineno);

/* master.cf */
typedef struct conf_service {
	char *name;		/* "smtp", "127.0.0.1:2025" name for inet, path name for unix */
	char *type;		/* "inet" or "unix" */
	int private_;		/* y/n/- (default y) */
	int unpriv;		/* y/n/- (default y) */
	int chroot_;		/* y/n/- (default n) */
	int wakeup;		/* seconds, 0 for none; "-" is 0 */
	int maxproc;		/* "-" means default_process_limit; 0 = unlimited */
	char *command;		/* program name, looked up in daemon_directory */
	char **args;		/* the rest of the line, "-o" pairs included */
	size_t nargs;
	int line;		/* line in master.cf */
} conf_service_t;

/* Returns 0 and an array of services, or -1 with "file:line: reason". A "-"
 * maxproc is resolved with default_process_limit, so load main.cf first. */
int conf_master_load(const char *path, conf_service_t **services, size_t *count, str_t *err);
void conf_master_free(conf_service_t *services, size_t count);

#endif
