/*
 * access: reading an access(5) table's result (access.h).
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "access.h"

#define ACCESS_DSN_PART_MAX 3		/* digits in the 2nd and 3rd part of a DSN */

/* Does word (length len) start text, followed by the end or white space? */
static int access_word(const char *text, const char *word, const char **rest)
{
	size_t len = strlen(word);

	if (strncasecmp(text, word, len) != 0 || (text[len] && !isspace((unsigned char)text[len])))
		return 0;
	for (text += len; isspace((unsigned char)*text); text++)
		;
	*rest = text;
	return 1;
}

static int access_all_digits(const char *text)
{
	if (*text == 0)
		return 0;
	for (; *text; text++)
		if (!isdigit((unsigned char)*text))
			return 0;
	return 1;
}

/* Digits at p, 1..max of them; their count, or 0. */
static size_t access_digits(const char *p, size_t max)
{
	size_t n = 0;

	while (n <= max && isdigit((unsigned char)p[n]))
		n++;
	return n >= 1 && n <= max ? n : 0;
}

/* The length of an enhanced status code of class cls ("5.7.1") that starts
 * text and is followed by white space or the end, or 0. */
static size_t access_dsn_len(const char *text, char cls)
{
	size_t a, b;

	if (text[0] != cls || text[1] != '.')
		return 0;
	a = access_digits(text + 2, ACCESS_DSN_PART_MAX);
	if (a == 0 || text[2 + a] != '.')
		return 0;
	b = access_digits(text + 3 + a, ACCESS_DSN_PART_MAX);
	if (b == 0 || (text[3 + a + b] && !isspace((unsigned char)text[3 + a + b])))
		return 0;
	return 3 + a + b;
}

/* Fill in a reject with code from text (an optional DSN, then words). */
static void access_reject(const char *text, int code, access_result_t *res)
{
	char cls = (char)('0' + code / 100);
	size_t len = access_dsn_len(text, cls);

	res->action = ACCESS_REJECT;
	res->code = code;
	if (len > 0) {
		memcpy(res->dsn, text, len);
		res->dsn[len] = 0;
		for (text += len; isspace((unsigned char)*text); text++)
			;
	} else {
		snprintf(res->dsn, sizeof(res->dsn), "%c.7.1", cls);
	}
	res->text = *text ? text : ACCESS_DEFAULT_TEXT;
}

/* "4NN text" or "5NN text": the code, or 0. */
static int access_code(const char *text, const char **rest)
{
	if ((text[0] != '4' && text[0] != '5') || !isdigit((unsigned char)text[1])
	    || !isdigit((unsigned char)text[2]) || !isspace((unsigned char)text[3]))
		return 0;
	for (*rest = text + 3; isspace((unsigned char)**rest); (*rest)++)
		;
	return (text[0] - '0') * 100 + (text[1] - '0') * 10 + (text[2] - '0');
}

void access_parse(const char *value, int reject_code, int defer_code, access_result_t *res)
{
	const char *rest;
	int code;

	memset(res, 0, sizeof(*res));
	while (isspace((unsigned char)*value))
		value++;
	if (access_word(value, "OK", &rest) && *rest == 0)
		res->action = ACCESS_OK;
	else if (access_all_digits(value))
		res->action = ACCESS_OK;
	else if (access_word(value, "DUNNO", &rest) && *rest == 0)
		res->action = ACCESS_DUNNO;
	else if (access_word(value, "REJECT", &rest))
		access_reject(rest, reject_code, res);
	else if (access_word(value, "DEFER", &rest))
		access_reject(rest, defer_code, res);
	else if ((code = access_code(value, &rest)) != 0)
		access_reject(rest, code, res);
	else
		res->action = ACCESS_UNKNOWN;
}
