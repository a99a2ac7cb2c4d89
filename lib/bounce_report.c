/*
 * bounce_report: RFC 3464 delivery status notifications (bounce_report.h).
 *
 * Text that came from elsewhere (addresses, a remote server's reply) goes
 * into header-like fields, so control characters in it become spaces and
 * it is cut at BOUNCE_FIELD_MAX: a hostile reply cannot add fields or
 * lines to the report, nor make a line longer than RFC 5322 allows.
 */
#include "bounce_report.h"

#include <stdio.h>
#include <string.h>

#define BOUNCE_FIELD_MAX 900		/* bytes of one outside value in a field */
#define BOUNCE_DATE_MAX 64

static const char *const bounce_subjects[] = {
	[BOUNCE_KIND_FAILURE] = "Undelivered Mail Returned to Sender",
	[BOUNCE_KIND_DELAY] = "Delayed Mail (still being retried)",
	[BOUNCE_KIND_SUCCESS] = "Successful Mail Delivery Report",
};

static const char *const bounce_actions[] = {
	[BOUNCE_FAILED] = "failed",
	[BOUNCE_DELAYED] = "delayed",
	[BOUNCE_DELIVERED] = "delivered",
	[BOUNCE_RELAYED] = "relayed",
	[BOUNCE_EXPANDED] = "expanded",
};

static const char *const bounce_intros[] = {
	[BOUNCE_KIND_FAILURE] =
	    "Your message could not be delivered to one or more of its recipients.\n"
	    "The reasons are given below, and the message is attached.\n",
	[BOUNCE_KIND_DELAY] =
	    "Your message has not yet been delivered to the recipients below.\n"
	    "The mail system keeps trying; there is no need to send it again.\n",
	[BOUNCE_KIND_SUCCESS] =
	    "Your message was delivered to the recipients below, as you asked.\n",
};

/* value with control characters as spaces, at most BOUNCE_FIELD_MAX bytes */
static void bounce_put_clean(str_t *out, const char *value)
{
	for (size_t i = 0; value[i] && i < BOUNCE_FIELD_MAX; i++) {
		unsigned char c = (unsigned char)value[i];

		str_putc(out, c < ' ' || c == 0x7f ? ' ' : c);
	}
}

static void bounce_put_field(str_t *out, const char *name, const char *value)
{
	str_printf(out, "%s: ", name);
	bounce_put_clean(out, value);
	str_putc(out, '\n');
}

static int bounce_eight_bit(const char *text)
{
	for (; *text; text++)
		if ((unsigned char)*text >= 0x80)
			return 1;
	return 0;
}

/* RFC 6533: an address with 8-bit bytes is of type utf-8 */
static void bounce_put_address_field(str_t *out, const char *name, const char *addr)
{
	str_printf(out, "%s: %s; ", name, bounce_eight_bit(addr) ? "utf-8" : "rfc822");
	bounce_put_clean(out, addr);
	str_putc(out, '\n');
}

static void bounce_date(time_t when, char *buf, size_t size)
{
	struct tm tm;

	localtime_r(&when, &tm);
	strftime(buf, size, "%a, %d %b %Y %H:%M:%S %z (%Z)", &tm);
}

/* The human-readable part's text. */
static void bounce_text(const bounce_report_t *r, str_t *text)
{
	str_printf(text, "This is the mail system at host %s.\n\n%s\n", r->hostname,
		   bounce_intros[r->kind]);
	for (size_t i = 0; i < r->nrcpts; i++) {
		const bounce_rcpt_t *rc = &r->rcpts[i];

		str_putc(text, '<');
		bounce_put_clean(text, rc->final);
		str_append_cstr(text, ">: ");
		bounce_put_clean(text, rc->diagnostic);
		str_append_cstr(text, "\n\n");
	}
	str_printf(text, "                   The %s mail system at %s\n", r->mail_name, r->hostname);
}

static void bounce_header(const bounce_report_t *r, int eight_bit, str_t *out)
{
	char date[BOUNCE_DATE_MAX];

	bounce_date(r->now, date, sizeof(date));
	str_printf(out, "From: MAILER-DAEMON@%s (Mail Delivery System)\n", r->hostname);
	bounce_put_field(out, "To", r->sender);
	str_printf(out, "Subject: %s\n", bounce_subjects[r->kind]);
	str_printf(out, "Date: %s\n", date);
	str_printf(out, "Message-Id: <%lld.%s@%s>\n", (long long)r->now, r->queue_id, r->hostname);
	str_append_cstr(out, "Auto-Submitted: auto-replied\nMIME-Version: 1.0\n");
	str_printf(out, "Content-Type: multipart/report; report-type=delivery-status;\n"
		   "\tboundary=\"%s\"\n", r->boundary);
	if (eight_bit)
		str_append_cstr(out, "Content-Transfer-Encoding: 8bit\n");
	str_append_cstr(out, "\nThis is a MIME-encapsulated message.\n\n");
}

static void bounce_status_rcpt(const bounce_rcpt_t *rc, str_t *out)
{
	str_putc(out, '\n');
	bounce_put_address_field(out, "Final-Recipient", rc->final);
	if (rc->orcpt)
		bounce_put_field(out, "Original-Recipient", rc->orcpt);
	str_printf(out, "Action: %s\n", bounce_actions[rc->action]);
	bounce_put_field(out, "Status", rc->status);
	if (rc->remote_mta) {
		str_append_cstr(out, "Remote-MTA: dns; ");
		bounce_put_clean(out, rc->remote_mta);
		str_putc(out, '\n');
	}
	str_printf(out, "Diagnostic-Code: %s; ", rc->diagnostic_smtp ? "smtp" : "x-unix");
	bounce_put_clean(out, rc->diagnostic);
	str_putc(out, '\n');
}

/* The message/delivery-status part's body. */
static void bounce_status(const bounce_report_t *r, str_t *out)
{
	char date[BOUNCE_DATE_MAX];

	bounce_date(r->arrival.tv_sec, date, sizeof(date));
	str_printf(out, "Reporting-MTA: dns; %s\n", r->hostname);
	str_printf(out, "X-Pochta-Queue-ID: %s\n", r->queue_id);
	bounce_put_address_field(out, "X-Pochta-Sender", r->sender);
	str_printf(out, "Arrival-Date: %s\n", date);
	if (r->envid)
		bounce_put_field(out, "Original-Envelope-Id", r->envid);
	for (size_t i = 0; i < r->nrcpts; i++)
		bounce_status_rcpt(&r->rcpts[i], out);
}

void bounce_report_head(bounce_report_t *r, str_t *out)
{
	str_t text = STR_INIT;
	int text_eight_bit;

	snprintf(r->boundary, sizeof(r->boundary), "%s.%lld.%06ld/%s", r->queue_id,
		 (long long)r->now, (long)r->arrival.tv_usec, r->hostname);
	bounce_text(r, &text);
	text_eight_bit = bounce_eight_bit(str_cstr(&text));
	bounce_header(r, text_eight_bit || r->eight_bit, out);
	str_printf(out, "--%s\nContent-Description: Notification\n"
		   "Content-Type: text/plain; charset=%s\n\n", r->boundary,
		   text_eight_bit ? "utf-8" : "us-ascii");
	str_append(out, text.data, text.len);
	str_printf(out, "\n--%s\nContent-Description: Delivery report\n"
		   "Content-Type: message/delivery-status\n\n", r->boundary);
	bounce_status(r, out);
	str_printf(out, "\n--%s\nContent-Description: %s\nContent-Type: %s\n", r->boundary,
		   r->headers_only ? "Message Headers" : "Undelivered Message",
		   r->headers_only ? "text/rfc822-headers" : "message/rfc822");
	if (r->eight_bit)
		str_append_cstr(out, "Content-Transfer-Encoding: 8bit\n");
	str_putc(out, '\n');
	str_free(&text);
}

enum { BOUNCE_AT_LINE_START, BOUNCE_IN_LINE, BOUNCE_PAST_HEADER };

size_t bounce_report_filter(const bounce_report_t *r, int *state, const char *data, size_t len)
{
	if (!r->headers_only)
		return len;
	if (*state == BOUNCE_PAST_HEADER)
		return 0;
	for (size_t i = 0; i < len; i++) {
		if (data[i] == '\n' && *state == BOUNCE_AT_LINE_START) {
			*state = BOUNCE_PAST_HEADER;
			return i + 1;
		}
		*state = data[i] == '\n' ? BOUNCE_AT_LINE_START : BOUNCE_IN_LINE;
	}
	return len;
}

void bounce_report_tail(const bounce_report_t *r, str_t *out)
{
	str_printf(out, "\n--%s--\n", r->boundary);
}
