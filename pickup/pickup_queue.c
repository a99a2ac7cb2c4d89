/*
 * pickup_queue: the queue file of one submission, written as smtpd
 * writes one (smtpd_mail.c): a bare "user" gets "@$myorigin", the sender
 * goes through the canonical maps, each recipient through the canonical
 * maps and virtual_alias_maps, and each original recipient gets its O
 * record (with sendmail -N's NOTIFY) before its final recipients, none of
 * which is queued twice. An address that is not ASCII must be UTF-8, and
 * makes the message an SMTPUTF8 one.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "conf.h"
#include "log.h"
#include "pickup.h"
#include "rewrite.h"

/* The envelope being written. */
typedef struct pickup_env {
	queue_writer_t *qw;
	str_t finals;		/* the final recipients queued so far, each ended by a NUL */
	int smtputf8;
} pickup_env_t;

static void pickup_qualify(const char *addr, str_t *out)
{
	str_set(out, addr);
	if (*addr && strchr(addr, '@') == NULL)
		str_printf(out, "@%s", conf_str("myorigin"));
}

/* A rewrite failure: a lookup error or an alias loop waits for the
 * administrator, as smtpd answers 451 for them. */
static enum pickup_result pickup_rewrite_failed(pickup_sub_t *sub, const str_t *why)
{
	str_set(&sub->why, why->data);
	return PICKUP_LATER;
}

static enum pickup_result pickup_charset(pickup_sub_t *sub, pickup_env_t *pe, const char *addr)
{
	enum addr_charset charset = addr_charset(addr);

	if (charset == ADDR_NOT_UTF8) {
		str_printf(&sub->why, "address not valid UTF-8");
		return PICKUP_CORRUPT;
	}
	pe->smtputf8 |= charset == ADDR_UTF8;
	return PICKUP_QUEUED;
}

static int pickup_seen(const pickup_env_t *pe, const char *addr)
{
	for (size_t off = 0; off < pe->finals.len; off += strlen(pe->finals.data + off) + 1)
		if (strcmp(pe->finals.data + off, addr) == 0)
			return 1;
	return 0;
}

/* One recipient of the submission: O record, DSN, final recipients. */
static enum pickup_result pickup_rcpt(pickup_sub_t *sub, pickup_env_t *pe, const char *given)
{
	str_t orig = STR_INIT, canon = STR_INIT, finals = STR_INIT, why = STR_INIT;
	enum pickup_result result = pickup_charset(sub, pe, given);
	size_t count = 0;
	const char *addr;
	int orig_written = 0;

	pickup_qualify(given, &orig);
	if (result == PICKUP_QUEUED
	    && (rewrite_recipient(orig.data, &canon, &why) != REWRITE_OK
		|| rewrite_virtual_alias(canon.data, &finals, &count, &why) != REWRITE_OK))
		result = pickup_rewrite_failed(sub, &why);
	addr = finals.data;
	for (size_t i = 0; result == PICKUP_QUEUED && i < count; i++, addr += strlen(addr) + 1) {
		if (pickup_seen(pe, addr))
			continue;
		if ((!orig_written++ && (queue_put_orig(pe->qw, orig.data) < 0
					 || (sub->env.notify
					     && queue_put_notify(pe->qw, sub->env.notify) < 0)))
		    || queue_put_rcpt(pe->qw, addr) < 0) {
			str_printf(&sub->why, "queue file write error: %s", strerror(errno));
			result = PICKUP_LATER;
		}
		str_append(&pe->finals, addr, strlen(addr) + 1);
	}
	str_free(&orig);
	str_free(&canon);
	str_free(&finals);
	str_free(&why);
	return result;
}

/* The sender and the attributes: the final sender, in sender. */
static enum pickup_result pickup_sender(pickup_sub_t *sub, pickup_env_t *pe, str_t *sender)
{
	const maildrop_env_t *env = &sub->env;
	str_t qualified = STR_INIT, why = STR_INIT;
	enum pickup_result result = pickup_charset(sub, pe, env->sender.data);

	pickup_qualify(env->sender.data, &qualified);
	if (result == PICKUP_QUEUED && rewrite_sender(qualified.data, sender, &why) != REWRITE_OK)
		result = pickup_rewrite_failed(sub, &why);
	if (result == PICKUP_QUEUED
	    && (queue_put_sender(pe->qw, sender->data) < 0
		|| (env->dsn_ret.len && queue_put_attr(pe->qw, "dsn_ret", env->dsn_ret.data) < 0)
		|| (env->dsn_envid.len
		    && queue_put_attr(pe->qw, "dsn_envid", env->dsn_envid.data) < 0)
		|| (env->body_type.len
		    && queue_put_attr(pe->qw, "body_type", env->body_type.data) < 0))) {
		str_printf(&sub->why, "queue file write error: %s", strerror(errno));
		result = PICKUP_LATER;
	}
	str_free(&qualified);
	str_free(&why);
	return result;
}

/* Everything before the content. */
static enum pickup_result pickup_envelope(pickup_sub_t *sub, pickup_env_t *pe, str_t *sender)
{
	enum pickup_result result = pickup_sender(sub, pe, sender);
	const char *rcpt = sub->env.rcpts.data;

	for (size_t i = 0; result == PICKUP_QUEUED && i < sub->env.nrcpts;
	     i++, rcpt += strlen(rcpt) + 1)
		result = pickup_rcpt(sub, pe, rcpt);
	if (result == PICKUP_QUEUED && pe->smtputf8 && queue_put_attr(pe->qw, "smtputf8", "yes") < 0) {
		str_printf(&sub->why, "queue file write error: %s", strerror(errno));
		result = PICKUP_LATER;
	}
	return result;
}

enum pickup_result pickup_queue_write(pickup_sub_t *sub)
{
	pickup_env_t pe = { .qw = queue_create(QUEUE_INCOMING), .finals = STR_INIT };
	str_t sender = STR_INIT;
	enum pickup_result result;

	if (pe.qw == NULL) {
		str_printf(&sub->why, "cannot create queue file: %s", strerror(errno));
		return PICKUP_LATER;
	}
	snprintf(sub->id, sizeof(sub->id), "%s", queue_writer_id(pe.qw));
	result = pickup_envelope(sub, &pe, &sender);
	if (result == PICKUP_QUEUED)
		result = pickup_header_copy(sub, pe.qw, sender.data);
	if (result == PICKUP_QUEUED && queue_commit(pe.qw) < 0) {
		str_printf(&sub->why, "cannot commit queue file %s: %s", sub->id, strerror(errno));
		result = PICKUP_LATER;
	} else if (result != PICKUP_QUEUED) {
		queue_abort(pe.qw);
	}
	str_free(&sender);
	str_free(&pe.finals);
	return result;
}
