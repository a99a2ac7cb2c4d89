/*
 * delivered: the mail forwarding loop check (see delivered.h).
 *
 * The header is scanned line by line without copying; folded lines of
 * other fields never start with the field name, so they cannot match.
 */
#include <string.h>
#include <strings.h>

#include "delivered.h"

#define DELIVERED_FIELD "delivered-to:"

static int delivered_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* Does the line [line, end) hold "Delivered-To: rcpt"? */
static int delivered_line_matches(const char *line, const char *end, const char *rcpt)
{
	size_t field_len = strlen(DELIVERED_FIELD);
	size_t rcpt_len = strlen(rcpt);

	if ((size_t)(end - line) < field_len || strncasecmp(line, DELIVERED_FIELD, field_len))
		return 0;
	line += field_len;
	while (line < end && delivered_is_space(*line))
		line++;
	while (end > line && delivered_is_space(end[-1]))
		end--;
	return (size_t)(end - line) == rcpt_len && strncasecmp(line, rcpt, rcpt_len) == 0;
}

int delivered_to_seen(const char *text, size_t len, const char *rcpt)
{
	const char *end = text + len;
	const char *line = text;

	while (line < end) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		const char *stop = nl ? nl : end;

		if (stop == line || (stop - line == 1 && *line == '\r'))
			return 0;	/* the empty line ends the header */
		if (delivered_line_matches(line, stop, rcpt))
			return 1;
		if (nl == NULL)
			break;
		line = nl + 1;
	}
	return 0;
}
