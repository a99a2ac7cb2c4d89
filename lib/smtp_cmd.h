/*
 * smtp_cmd: SMTP command lines, as a server receives them.
 *
 * smtp_cmd_parse() splits one line into its verb (upper-cased, so commands
 * are case-insensitive) and its argument; a NUL byte or another control
 * character in the line is an error, never a place to cut the string.
 * smtp_cmd_path() checks the "FROM:" / "TO:" keyword of MAIL and RCPT.
 * smtp_params_parse() reads the ESMTP parameters after the path
 * ("SIZE=123 BODY=8BITMIME"): keywords and values are checked against
 * RFC 5321 4.1.2, a keyword may appear once, and there is a bounded number
 * of them. Which keywords a command supports is the caller's business.
 */
#ifndef POCHTA_SMTP_CMD_H
#define POCHTA_SMTP_CMD_H

#include <stddef.h>
#include "str.h"

#define SMTP_CMD_VERB_MAX 16		/* longer verbs are unknown anyway */
#define SMTP_PARAMS_MAX 16		/* ESMTP parameters on one command */
#define SMTP_PARAM_NAME_MAX 64		/* one keyword */

typedef struct smtp_cmd {
	str_t verb;		/* "MAIL": upper-cased */
	str_t arg;		/* the rest, surrounding spaces removed */
} smtp_cmd_t;

void smtp_cmd_init(smtp_cmd_t *cmd);
void smtp_cmd_free(smtp_cmd_t *cmd);

/*
 * Parse one command line of len bytes (the CR LF or LF at the end is
 * dropped). 0 on success; -1 with a short reason in *why for an empty
 * line, a NUL or other control byte, or an over-long verb.
 */
int smtp_cmd_parse(const char *line, size_t len, smtp_cmd_t *cmd, const char **why);

/*
 * When arg starts with keyword (case-insensitive, "FROM:"), return what
 * follows it; otherwise NULL.
 */
const char *smtp_cmd_path(const char *arg, const char *keyword);

typedef struct smtp_param {
	char *name;		/* as the client wrote it */
	char *value;		/* NULL when there was no "=" */
} smtp_param_t;

typedef struct smtp_params {
	size_t count;
	smtp_param_t items[SMTP_PARAMS_MAX];
} smtp_params_t;

void smtp_params_init(smtp_params_t *params);
void smtp_params_free(smtp_params_t *params);

/*
 * Parse "KEY[=VALUE] ..." separated by spaces. 0 on success; -1 with a
 * reason in *why, and the offending keyword (or text) in bad.
 */
int smtp_params_parse(const char *text, smtp_params_t *params, str_t *bad, const char **why);
/* The parameter with this keyword (case-insensitive), or NULL. */
const smtp_param_t *smtp_params_find(const smtp_params_t *params, const char *name);
/* A decimal number (SIZE): 0 and *out, or -1 when not all digits. A value
 * too large for *out is saturated to the maximum. */
int smtp_param_number(const char *value, unsigned long long *out);

#endif
