/*
 * header_scan: finding the header section and its fields (header_scan.h).
 */
#include <string.h>
#include <strings.h>

#include "header_scan.h"

void header_scan_init(header_scan_t *hs)
{
	memset(hs, 0, sizeof(*hs));
}

/* The length of a field name at the start of a line, or 0 when the line
 * does not start a field. */
static size_t header_scan_name(const char *line, size_t len)
{
	size_t i = 0, name_len;

	while (i < len && line[i] > ' ' && line[i] < 0x7f && line[i] != ':')
		i++;
	name_len = i;
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	return name_len > 0 && i < len && line[i] == ':' ? name_len : 0;
}

/* Hand over the field gathered so far, if any. */
static void header_scan_flush(header_scan_t *hs, const str_t *buf, header_scan_fn fn, void *ctx)
{
	if (hs->name_len > 0)
		fn(ctx, buf->data + hs->field, hs->scanned - hs->field, hs->name_len);
	hs->name_len = 0;
}

static void header_scan_end(header_scan_t *hs, const str_t *buf, int need_blank,
			    header_scan_fn fn, void *ctx)
{
	header_scan_flush(hs, buf, fn, ctx);
	hs->found_end = 1;
	hs->end = hs->scanned;
	hs->need_blank = need_blank;
}

void header_scan_feed(header_scan_t *hs, const str_t *buf, header_scan_fn fn, void *ctx)
{
	const char *nl;

	while (!hs->found_end && hs->scanned < buf->len
	       && (nl = memchr(buf->data + hs->scanned, '\n', buf->len - hs->scanned)) != NULL) {
		const char *line = buf->data + hs->scanned;
		size_t len = (size_t)(nl - line);
		size_t name_len = header_scan_name(line, len);

		if (len > 0 && (line[0] == ' ' || line[0] == '\t') && hs->name_len > 0) {
			/* continues the field */
		} else if (name_len > 0) {
			header_scan_flush(hs, buf, fn, ctx);
			hs->field = hs->scanned;
			hs->name_len = name_len;
		} else {
			header_scan_end(hs, buf, len > 0, fn, ctx);
			return;
		}
		hs->scanned += len + 1;
	}
}

void header_scan_stop(header_scan_t *hs, const str_t *buf, header_scan_fn fn, void *ctx)
{
	if (!hs->found_end)
		header_scan_end(hs, buf, hs->scanned < buf->len, fn, ctx);
}

int header_scan_name_is(const char *field, size_t name_len, const char *name)
{
	return name_len == strlen(name) && strncasecmp(field, name, name_len) == 0;
}
