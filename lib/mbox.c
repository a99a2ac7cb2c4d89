/*
 * mbox: the envelope line and "From " quoting of the Unix mailbox format
 * (see mbox.h).
 */
#include <stdio.h>
#include <string.h>

#include "mbox.h"

#define MBOX_DATE_MAX 64

void mbox_from_line(str_t *out, const char *sender, time_t when)
{
	char date[MBOX_DATE_MAX];
	struct tm tm;

	localtime_r(&when, &tm);
	strftime(date, sizeof(date), "%a %b %e %H:%M:%S %Y", &tm);
	str_append_cstr(out, MBOX_FROM);
	for (const char *p = *sender ? sender : MBOX_NULL_SENDER; *p; p++)
		str_putc(out, *p == ' ' || *p == '\t' || *p == '\r' || *p == '\n' ? '_' : *p);
	str_printf(out, " %s\n", date);
}

void mbox_quote_init(mbox_quote_t *q)
{
	q->bol = 1;
	q->held = 0;
}

/* One byte at the start of a line or inside a held "From ". 1 when used. */
static int mbox_quote_match(mbox_quote_t *q, char c, str_t *out)
{
	if (c == MBOX_FROM[q->held]) {
		q->bol = 0;
		if (++q->held == MBOX_FROM_LEN) {
			str_putc(out, '>');
			str_append(out, MBOX_FROM, MBOX_FROM_LEN);
			q->held = 0;
		}
		return 1;
	}
	str_append(out, MBOX_FROM, q->held);
	q->held = 0;
	return 0;
}

void mbox_quote(mbox_quote_t *q, const char *data, size_t len, str_t *out)
{
	for (size_t i = 0; i < len; i++) {
		if ((q->bol || q->held > 0) && mbox_quote_match(q, data[i], out))
			continue;
		str_putc(out, data[i]);
		q->bol = data[i] == '\n';
	}
}

void mbox_quote_end(mbox_quote_t *q, str_t *out)
{
	str_append(out, MBOX_FROM, q->held);
	q->held = 0;
}
