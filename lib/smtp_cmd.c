/*
 * smtp_cmd: SMTP command lines and ESMTP parameters (see smtp_cmd.h).
 *
 * Everything here is a pure function of its input, so it is unit-tested
 * and fuzzed without a socket.
 */
#include <ctype.h>
#include <limits.h>
#include <string.h>
#include <strings.h>

#include "mem.h"
#include "smtp_cmd.h"

void smtp_cmd_init(smtp_cmd_t *cmd)
{
	str_init(&cmd->verb);
	str_init(&cmd->arg);
}

void smtp_cmd_free(smtp_cmd_t *cmd)
{
	str_free(&cmd->verb);
	str_free(&cmd->arg);
}

/* Control bytes (and NUL) have no place in a command; TAB counts as space. */
static int smtp_cmd_bad_byte(unsigned char c)
{
	return (c < 32 && c != '\t') || c == 127;
}

int smtp_cmd_parse(const char *line, size_t len, smtp_cmd_t *cmd, const char **why)
{
	size_t pos = 0;
	size_t verb_end;

	str_reset(&cmd->verb);
	str_reset(&cmd->arg);
	str_append(&cmd->verb, "", 0);
	str_append(&cmd->arg, "", 0);
	if (len > 0 && line[len - 1] == '\n')
		len--;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	for (size_t i = 0; i < len; i++) {
		if (smtp_cmd_bad_byte((unsigned char)line[i])) {
			*why = line[i] ? "control character in command" : "NUL byte in command";
			return -1;
		}
	}
	while (pos < len && (line[pos] == ' ' || line[pos] == '\t'))
		pos++;
	verb_end = pos;
	while (verb_end < len && line[verb_end] != ' ' && line[verb_end] != '\t')
		verb_end++;
	if (verb_end == pos) {
		*why = "empty command";
		return -1;
	}
	if (verb_end - pos > SMTP_CMD_VERB_MAX) {
		*why = "command verb too long";
		return -1;
	}
	for (size_t i = pos; i < verb_end; i++)
		str_putc(&cmd->verb, toupper((unsigned char)line[i]));
	pos = verb_end;
	while (pos < len && (line[pos] == ' ' || line[pos] == '\t'))
		pos++;
	while (len > pos && (line[len - 1] == ' ' || line[len - 1] == '\t'))
		len--;
	str_append(&cmd->arg, line + pos, len - pos);
	return 0;
}

const char *smtp_cmd_path(const char *arg, const char *keyword)
{
	size_t len = strlen(keyword);

	return strncasecmp(arg, keyword, len) == 0 ? arg + len : NULL;
}

void smtp_params_init(smtp_params_t *params)
{
	params->count = 0;
}

void smtp_params_free(smtp_params_t *params)
{
	for (size_t i = 0; i < params->count; i++) {
		mem_free(params->items[i].name);
		mem_free(params->items[i].value);
	}
	params->count = 0;
}

/* esmtp-keyword: ALPHA / DIGIT, then also "-". */
static int smtp_param_name_ok(const char *name, size_t len)
{
	if (len == 0 || len > SMTP_PARAM_NAME_MAX || !isalnum((unsigned char)name[0]))
		return 0;
	for (size_t i = 1; i < len; i++)
		if (!isalnum((unsigned char)name[i]) && name[i] != '-')
			return 0;
	return 1;
}

/* esmtp-value: one or more of %d33-60 / %d62-126 (8-bit: SMTPUTF8, later). */
static int smtp_param_value_ok(const char *value, size_t len)
{
	if (len == 0)
		return 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)value[i];

		if (c < 33 || c > 126 || c == '=')
			return 0;
	}
	return 1;
}

static int smtp_param_add(smtp_params_t *params, const char *word, size_t len,
			  str_t *bad, const char **why)
{
	const char *eq = memchr(word, '=', len);
	size_t name_len = eq ? (size_t)(eq - word) : len;
	smtp_param_t *param;

	str_reset(bad);
	str_append(bad, word, name_len);
	if (!smtp_param_name_ok(word, name_len)) {
		*why = "bad parameter keyword";
		return -1;
	}
	if (eq && !smtp_param_value_ok(eq + 1, len - name_len - 1)) {
		*why = "bad parameter value";
		return -1;
	}
	if (smtp_params_find(params, bad->data) != NULL) {
		*why = "duplicate parameter";
		return -1;
	}
	if (params->count == SMTP_PARAMS_MAX) {
		*why = "too many parameters";
		return -1;
	}
	param = &params->items[params->count++];
	param->name = mem_strndup(word, name_len);
	param->value = eq ? mem_strndup(eq + 1, len - name_len - 1) : NULL;
	return 0;
}

int smtp_params_parse(const char *text, smtp_params_t *params, str_t *bad, const char **why)
{
	const char *cp = text;

	smtp_params_free(params);
	for (;;) {
		size_t len;

		while (*cp == ' ')
			cp++;
		if (*cp == 0)
			return 0;
		len = strcspn(cp, " ");
		if (smtp_param_add(params, cp, len, bad, why) < 0) {
			smtp_params_free(params);
			return -1;
		}
		cp += len;
	}
}

const smtp_param_t *smtp_params_find(const smtp_params_t *params, const char *name)
{
	for (size_t i = 0; i < params->count; i++)
		if (strcasecmp(params->items[i].name, name) == 0)
			return &params->items[i];
	return NULL;
}

int smtp_param_number(const char *value, unsigned long long *out)
{
	unsigned long long n = 0;

	if (value == NULL || *value == 0)
		return -1;
	for (const char *cp = value; *cp; cp++) {
		unsigned digit = (unsigned)(*cp - '0');

		if (*cp < '0' || *cp > '9')
			return -1;
		n = n > (ULLONG_MAX - digit) / 10 ? ULLONG_MAX : n * 10 + digit;
	}
	*out = n;
	return 0;
}
