/*
 * alias: the aliases(5) format, shared by "pochta alias"/"newaliases"
 * (which store each name and its raw value in a table) and by local
 * (which splits a value into targets when it delivers).
 *
 * An aliases file has logical lines as in main.cf ("#" comments, blank
 * lines, continuation lines that start with white space), each
 *
 *   name: target, target, ...
 *
 * The name may be quoted ("name with space": ...) and is folded to lower
 * case. Targets are separated by commas (and, in :include: and .forward
 * files, by newlines); double quotes protect commas and white space and
 * are removed, as are backslashes before a character. A target is
 *
 *   |command      a shell command line that gets the message on stdin
 *   /file         a file the message is appended to
 *   :include:/path  a file with more targets
 *   anything else an address
 */
#ifndef POCHTA_ALIAS_H
#define POCHTA_ALIAS_H

#include <stddef.h>

#include "str.h"

#define ALIAS_INCLUDE_PREFIX ":include:"
#define ALIAS_TARGETS_MAX 10000		/* targets in one value or file */

enum alias_kind { ALIAS_ADDRESS, ALIAS_COMMAND, ALIAS_FILE, ALIAS_INCLUDE };

typedef struct alias_target {
	enum alias_kind kind;
	char *text;		/* address, command line (no "|"), path, include path */
} alias_target_t;

typedef struct alias_list {
	alias_target_t *items;
	size_t count;
} alias_list_t;

/*
 * Split one logical line of an aliases file in place: *name (unquoted,
 * folded) and *value (trimmed). 0, or -1 with a reason in *why.
 */
int alias_split_line(char *line, char **name, char **value, const char **why);
/* Append the targets of a value to list. 0, or -1 with a reason in *why
 * (list keeps what came before the error). */
int alias_parse_targets(const char *value, alias_list_t *list, const char **why);
/* The same for the text of a :include: or .forward file: "#" comment lines
 * are skipped and newlines separate targets as commas do. */
int alias_parse_file_text(const char *text, size_t len, alias_list_t *list, const char **why);
void alias_list_free(alias_list_t *list);

#endif
