/*
 * sendmail_submit: one message through postdrop. The header section is
 * read first (at most header_size_limit bytes; header_scan.h), because
 * with -t it holds recipients, which the envelope needs before the
 * content: To:, Cc: and Bcc: (or, when the message has any, only
 * Resent-To:, Resent-Cc: and Resent-Bcc:, as Postfix does), added to
 * those of the command line. With -t, Bcc: and Resent-Bcc: fields are
 * left out of the message. The rest is streamed to postdrop as it comes,
 * against message_size_limit.
 */
#include <string.h>
#include <sysexits.h>

#include "conf.h"
#include "header_scan.h"
#include "mem.h"
#include "sendmail.h"

/* What the header section tells, and where the Bcc fields are. */
typedef struct sendmail_head {
	int extract;
	str_t plain;		/* To, Cc, Bcc texts, separated by "," */
	str_t resent;		/* Resent-To, -Cc, -Bcc texts */
	int has_resent;
	size_t *cuts;		/* Bcc fields: offset and length, in pairs */
	size_t ncuts;
	str_t buf;
	header_scan_t scan;
} sendmail_head_t;

static int sendmail_field_among(const char *field, size_t name_len, const char *const *names)
{
	for (; *names; names++)
		if (header_scan_name_is(field, name_len, *names))
			return 1;
	return 0;
}

static void sendmail_field(void *ctx, const char *field, size_t len, size_t name_len)
{
	static const char *const plain[] = { "to", "cc", "bcc", NULL };
	static const char *const resent[] = { "resent-to", "resent-cc", "resent-bcc", NULL };
	static const char *const bcc[] = { "bcc", "resent-bcc", NULL };
	sendmail_head_t *h = ctx;
	const char *colon = memchr(field, ':', len);
	str_t *to = NULL;

	if (!h->extract)
		return;
	if (sendmail_field_among(field, name_len, plain))
		to = &h->plain;
	else if (sendmail_field_among(field, name_len, resent))
		to = &h->resent, h->has_resent = 1;
	if (to) {
		str_putc(to, ',');
		str_append(to, colon + 1, len - (size_t)(colon + 1 - field));
	}
	if (sendmail_field_among(field, name_len, bcc)) {
		h->cuts = mem_realloc(h->cuts, (h->ncuts + 1) * 2 * sizeof(*h->cuts));
		h->cuts[2 * h->ncuts] = (size_t)(field - h->buf.data);
		h->cuts[2 * h->ncuts++ + 1] = len;
	}
}

/* Read until the header section is known; the input's status. */
static int sendmail_head_read(sendmail_head_t *h, sendmail_input_t *si)
{
	size_t limit = (size_t)conf_int("header_size_limit");
	str_t piece = STR_INIT;
	int more = 1;

	while (!h->scan.found_end && more > 0) {
		if ((more = sendmail_input_read(si, &piece)) > 0)
			str_append(&h->buf, piece.data, piece.len);
		header_scan_feed(&h->scan, &h->buf, sendmail_field, h);
		if (more == 0 || h->buf.len > limit)
			header_scan_stop(&h->scan, &h->buf, sendmail_field, h);
	}
	str_free(&piece);
	return more;
}

/* The header section without the Bcc fields, and what was read after it. */
static void sendmail_head_content(const sendmail_head_t *h, str_t *out)
{
	size_t at = 0;

	for (size_t i = 0; i < h->ncuts; i++) {
		str_append(out, h->buf.data + at, h->cuts[2 * i] - at);
		at = h->cuts[2 * i] + h->cuts[2 * i + 1];
	}
	str_append(out, h->buf.data + at, h->buf.len - at);
}

/* Stream the content to postdrop: the status, EX_OK when complete. */
static int sendmail_content(const sendmail_head_t *h, sendmail_input_t *si,
			    sendmail_drop_t *drop, str_t *why)
{
	long long limit = conf_int("message_size_limit"), size = 0;
	str_t piece = STR_INIT, out = STR_INIT;
	int more = 1, status = EX_OK;

	sendmail_head_content(h, &piece);
	do {
		size += (long long)piece.len;
		if (limit > 0 && size > limit) {
			str_printf(why, "message too big: more than %lld bytes "
				   "(message_size_limit)", limit);
			status = EX_DATAERR;
			break;
		}
		str_reset(&out);
		maildrop_put_content(&out, piece.data, piece.len);
		sendmail_drop_write(drop, &out, 0);
	} while ((more = sendmail_input_read(si, &piece)) > 0);
	if (more < 0) {
		str_set(why, "error reading the message");
		status = EX_IOERR;
	}
	str_free(&piece);
	str_free(&out);
	return status;
}

/* The recipients of the header, when -t asked for them. */
static int sendmail_extract(const sendmail_head_t *h, maildrop_env_t *env, str_t *why)
{
	const str_t *list = h->has_resent ? &h->resent : &h->plain;

	if (!h->extract)
		return EX_OK;
	if (list->len && sendmail_add_rcpts(env, list->data, why) < 0)
		return EX_NOUSER;
	if (env->nrcpts == 0) {
		str_set(why, "no recipient addresses found in the message header");
		return EX_USAGE;
	}
	return EX_OK;
}

int sendmail_submit(const sendmail_opts_t *opts, maildrop_env_t *env, sendmail_input_t *si,
		    int extract, str_t *why)
{
	sendmail_head_t h = { .extract = extract, .plain = STR_INIT, .resent = STR_INIT,
			      .buf = STR_INIT };
	sendmail_drop_t drop;
	str_t out = STR_INIT;
	int status;

	header_scan_init(&h.scan);
	status = sendmail_head_read(&h, si) < 0 ? EX_IOERR : sendmail_extract(&h, env, why);
	if (status == EX_IOERR)
		str_set(why, "error reading the message");
	if (status == EX_OK) {
		sendmail_drop_open(&drop, opts->config_dir);
		maildrop_put_envelope(&out, env);
		sendmail_drop_write(&drop, &out, 0);
		status = sendmail_content(&h, si, &drop, why);
		if (status != EX_OK) {
			sendmail_drop_abort(&drop);
		} else {
			str_reset(&out);
			maildrop_put_end(&out);
			sendmail_drop_write(&drop, &out, 1);
			status = sendmail_drop_close(&drop);
		}
	}
	str_free(&h.plain);
	str_free(&h.resent);
	str_free(&h.buf);
	mem_free(h.cuts);
	str_free(&out);
	return status;
}
