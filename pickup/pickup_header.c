/*
 * pickup_header: the content of a locally submitted message, as
 * Postfix's cleanup writes it for one from pickup:
 *
 *   Received: by HOST (Pochta, from userid N)
 *           id QUEUEID; DATE
 *   ...the message's header section...
 *   From: Full Name <sender>        each only when the message has none
 *   Date: DATE
 *   Message-Id: <YYYYMMDDhhmmss.QUEUEID@HOST>
 *   ...the body...
 *
 * The header section is the lines up to the first empty line, or up to
 * the first line that is neither a header field nor its continuation; a
 * blank line is then put before that line, so that it stays body.
 * Only header_size_limit bytes are looked at; whatever follows is body,
 * as in Postfix. The rest of the content is copied as it comes.
 */
#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <time.h>

#include "addr.h"
#include "conf.h"
#include "header_scan.h"
#include "pickup.h"

/* The message's start, as far as it was read. */
typedef struct pickup_head {
	pickup_sub_t *sub;
	str_t buf;		/* content read so far */
	header_scan_t scan;
	int has_from, has_date, has_msgid;
} pickup_head_t;

/* The value of a Message-ID field, for the log. */
static void pickup_note_msgid(pickup_sub_t *sub, const char *field, size_t len)
{
	const char *colon = memchr(field, ':', len);

	for (size_t i = (size_t)(colon - field) + 1; i < len; i++)
		if (isgraph((unsigned char)field[i]) && sub->message_id.len < PICKUP_MSGID_LOG_MAX)
			str_putc(&sub->message_id, field[i]);
}

static void pickup_field(void *ctx, const char *field, size_t len, size_t name_len)
{
	pickup_head_t *h = ctx;

	if (header_scan_name_is(field, name_len, "from"))
		h->has_from = 1;
	else if (header_scan_name_is(field, name_len, "date"))
		h->has_date = 1;
	else if (header_scan_name_is(field, name_len, "message-id") && !h->has_msgid++)
		pickup_note_msgid(h->sub, field, len);
}

/* Read content until the header section's end is known; PICKUP_QUEUED, or
 * PICKUP_CORRUPT for a bad file. *more: content follows in the reader. */
static enum pickup_result pickup_head_read(pickup_sub_t *sub, pickup_head_t *h, int *more)
{
	str_t piece = STR_INIT;
	size_t limit = (size_t)conf_int("header_size_limit");
	int status = MAILDROP_OK;

	*more = 1;
	while (!h->scan.found_end && *more) {
		status = maildrop_read_content(&sub->reader, &piece, more, &sub->why);
		if (status != MAILDROP_OK)
			break;
		if (*more)
			str_append(&h->buf, piece.data, piece.len);
		header_scan_feed(&h->scan, &h->buf, pickup_field, h);
		if (!*more || h->buf.len > limit)	/* the rest is body */
			header_scan_stop(&h->scan, &h->buf, pickup_field, h);
	}
	str_free(&piece);
	return status == MAILDROP_OK ? PICKUP_QUEUED : PICKUP_CORRUPT;
}

/* A display name as RFC 5322 wants it: quoted unless it is atoms. */
static void pickup_phrase(const char *name, str_t *out)
{
	static const char atext[] = "!#$%&'*+-/=?^_`{|}~ ";
	int plain = name[0] != ' ';

	for (const char *p = name; *p && plain; p++)
		plain = isalnum((unsigned char)*p) || strchr(atext, *p) != NULL;
	if (plain && name[strlen(name) - 1] != ' ') {
		str_append_cstr(out, name);
		return;
	}
	str_putc(out, '"');
	for (const char *p = name; *p; p++) {
		if (*p == '"' || *p == '\\')
			str_putc(out, '\\');
		str_putc(out, *p);
	}
	str_putc(out, '"');
}

static void pickup_added(pickup_sub_t *sub, const pickup_head_t *h, queue_writer_t *qw,
			 const char *sender, str_t *out)
{
	time_t when = queue_writer_arrival(qw).tv_sec;
	char date[PICKUP_DATE_MAX], stamp[PICKUP_DATE_MAX];
	struct tm tm;

	localtime_r(&when, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S %z (%Z)", &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d%H%M%S", &tm);
	if (!h->has_from) {
		str_append_cstr(out, "From: ");
		if (sub->env.fullname.len) {
			pickup_phrase(sub->env.fullname.data, out);
			str_append_cstr(out, " <");
		}
		addr_quote(*sender ? sender : "MAILER-DAEMON", out);
		str_append_cstr(out, sub->env.fullname.len ? ">\n" : "\n");
	}
	if (!h->has_date)
		str_printf(out, "Date: %s\n", date);
	if (!h->has_msgid) {
		str_set(&sub->message_id, "");
		str_printf(&sub->message_id, "<%s.%s@%s>", stamp, sub->id, conf_str("myhostname"));
		str_printf(out, "Message-Id: %s\n", sub->message_id.data);
	}
}

static void pickup_received(const pickup_sub_t *sub, queue_writer_t *qw, str_t *out)
{
	time_t when = queue_writer_arrival(qw).tv_sec;
	char date[PICKUP_DATE_MAX];
	struct tm tm;

	localtime_r(&when, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S %z (%Z)", &tm);
	str_printf(out, "Received: by %s (%s, from userid %ld)\n\tid %s; %s\n",
		   conf_str("myhostname"), conf_str("mail_name"), (long)sub->uid, sub->id, date);
}

/* Write the start of the content: Received, the section, what it lacks. */
static int pickup_head_write(pickup_sub_t *sub, const pickup_head_t *h, queue_writer_t *qw,
			     const char *sender)
{
	str_t out = STR_INIT;
	int rc;

	pickup_received(sub, qw, &out);
	str_append(&out, h->buf.data, h->scan.end);
	pickup_added(sub, h, qw, sender, &out);
	if (h->scan.need_blank)
		str_putc(&out, '\n');
	str_append(&out, h->buf.data + h->scan.end, h->buf.len - h->scan.end);
	rc = queue_content_begin(qw) < 0 ? -1 : queue_content_write(qw, out.data, out.len);
	str_free(&out);
	return rc;
}

/* The content after what was read for the header section. */
static enum pickup_result pickup_body_copy(pickup_sub_t *sub, queue_writer_t *qw)
{
	str_t piece = STR_INIT;
	enum pickup_result result = PICKUP_QUEUED;
	int more = 1;

	while (more && result == PICKUP_QUEUED) {
		if (maildrop_read_content(&sub->reader, &piece, &more, &sub->why) != MAILDROP_OK)
			result = PICKUP_CORRUPT;
		else if (more && queue_content_write(qw, piece.data, piece.len) < 0)
			result = PICKUP_LATER;
	}
	if (result == PICKUP_LATER)
		str_printf(&sub->why, "queue file write error: %s", strerror(errno));
	str_free(&piece);
	return result;
}

enum pickup_result pickup_header_copy(pickup_sub_t *sub, queue_writer_t *qw, const char *sender)
{
	pickup_head_t h = { .sub = sub, .buf = STR_INIT };
	enum pickup_result result;
	int more;

	header_scan_init(&h.scan);
	result = pickup_head_read(sub, &h, &more);
	if (result == PICKUP_QUEUED && pickup_head_write(sub, &h, qw, sender) < 0) {
		str_printf(&sub->why, "queue file write error: %s", strerror(errno));
		result = PICKUP_LATER;
	}
	if (result == PICKUP_QUEUED && more)
		result = pickup_body_copy(sub, qw);
	str_free(&h.buf);
	return result;
}
