/*
 * smtpd_access: check_client_access, check_helo_access,
 * check_sender_access and check_recipient_access type:table, with
 * access(5)'s lookup order; the first key found decides (access.h):
 *
 *   client    its verified name, then each parent domain
 *             ("mail.example.com", "example.com", "com"); then its address
 *             and the networks around it ("192.0.2.1", "192.0.2", "192.0",
 *             "192"; IPv6 by ":" groups)
 *   helo      the HELO name, then each parent domain
 *   address   "user+ext@domain", "user@domain", then the domain and each
 *             parent domain, then "user+ext@", "user@"; the null sender
 *             is looked up as "<>"
 *
 * (Parent domains match as with Postfix's default
 * parent_domain_matches_subdomains, which includes smtpd_access_maps.)
 *
 * Besides access.h's results, two actions smtpd carries out itself, as
 * Postfix does (FILTER, REDIRECT and the others are not supported):
 *
 *   HOLD [text]     accept, but keep the message in hold/; the rules go on
 *   DISCARD [text]  accept with the usual replies, deliver to no recipient;
 *                   no rule runs for the rest of the transaction
 *
 * Each logs "ID: hold: RCPT from name[addr]: <what>: Class triggers HOLD
 * action; from=<s> to=<r> ..." (the text, when given, replaces "triggers
 * ... action") and applies to the whole message: at DATA it goes into the
 * queue file as an attribute that qmgr honours (qmgr_active.c). Outside a
 * mail transaction (the client and HELO lists with smtpd_delay_reject =
 * no) they are skipped with a warning, as in Postfix.
 */
#include <string.h>
#include <strings.h>

#include "access.h"
#include "conf.h"
#include "dict_addr.h"
#include "log.h"
#include "smtpd_restrict.h"

#define SMTPD_ACCESS_NULL_KEY "<>"	/* smtpd_null_access_lookup_key */
#define SMTPD_ACCESS_BLANKS " \t"

/* "<what>: Class text" as the hold or discard log line says it. */
static void smtpd_access_log(smtpd_rs_ctx_t *ctx, const char *action, const char *text,
			     const char *dflt)
{
	str_t line = STR_INIT;

	str_printf(&line, "<%s>: %s %s", ctx->name, ctx->cls, *text ? text : dflt);
	smtpd_log_action(ctx->s, action, ctx->s->where, line.data, str_cstr(&ctx->s->sender),
			 ctx->rcpt);
	str_free(&line);
}

/* HOLD or DISCARD: 1 when value is one of them, with *status set. */
static int smtpd_access_action(smtpd_rs_ctx_t *ctx, const smtpd_rs_item_t *item,
			       const char *value, int *status)
{
	size_t len = strcspn(value, SMTPD_ACCESS_BLANKS);
	const char *text = value + len + strspn(value + len, SMTPD_ACCESS_BLANKS);
	int discard = len == strlen("DISCARD") && strncasecmp(value, "DISCARD", len) == 0;

	if (!discard && !(len == strlen("HOLD") && strncasecmp(value, "HOLD", len) == 0))
		return 0;
	*status = SMTPD_RS_DUNNO;
	if (!ctx->envelope) {
		log_warning("access table %s: with smtpd_delay_reject=no, action %s is always "
			    "skipped in Client host or Helo command restrictions",
			    dict_name(item->table), discard ? "DISCARD" : "HOLD");
	} else if (discard) {
		smtpd_access_log(ctx, "discard", text, "triggers DISCARD action");
		ctx->s->discard = 1;
		*status = SMTPD_RS_PERMIT;
	} else if (!ctx->s->hold) {
		smtpd_access_log(ctx, "hold", text, "triggers HOLD action");
		ctx->s->hold = 1;
	}
	return 1;
}

/* A failed write is sticky in the queue writer: the content written
 * next fails too, and the client is told then. */
void smtpd_access_mark(smtpd_session_t *s)
{
	const char *action = s->discard ? "discard" : s->hold ? "hold" : NULL;

	if (action != NULL && queue_put_attr(s->qw, QUEUE_ATTR_ACCESS_ACTION, action) < 0)
		log_warning("%s: queue file write error: %m", queue_writer_id(s->qw));
}

/* Apply a value that was found. Whatever the list, the reply names what
 * was looked up (ctx->name and ctx->cls are set by the caller). */
static int smtpd_access_result(smtpd_rs_ctx_t *ctx, const smtpd_rs_item_t *item,
			       const char *value)
{
	access_result_t res;
	int status;

	value += strspn(value, SMTPD_ACCESS_BLANKS);
	if (smtpd_access_action(ctx, item, value, &status))
		return status;
	access_parse(value, SMTPD_RS_REJECT_CODE, SMTPD_RS_DEFER_CODE, &res);
	switch (res.action) {
	case ACCESS_OK:
		return SMTPD_RS_PERMIT;
	case ACCESS_DUNNO:
		return SMTPD_RS_DUNNO;
	case ACCESS_REJECT:
		return smtpd_rs_reject(ctx, res.code, res.dsn, res.text);
	default:
		log_warning("%s: unknown access action: %s", dict_name(item->table), value);
		str_reset(ctx->reply);
		str_printf(ctx->reply, "451 4.3.5 Server configuration error");
		return SMTPD_RS_REJECT;
	}
}

/* Look key up: 1 found or failed (status set), 0 not found. */
static int smtpd_access_key(smtpd_rs_ctx_t *ctx, const smtpd_rs_item_t *item, const char *key,
			    int *status)
{
	str_t value = STR_INIT;
	int found = dict_lookup(item->table, key, &value);

	if (found < 0) {
		log_warning("%s: %s: lookup failed: %s", dict_name(item->table), key,
			    str_cstr(&value));
		str_reset(ctx->reply);
		str_printf(ctx->reply, "451 4.3.0 <%s>: Temporary lookup failure", ctx->name);
		*status = SMTPD_RS_REJECT;
	} else if (found > 0) {
		*status = smtpd_access_result(ctx, item, value.data);
	}
	str_free(&value);
	return found != 0;
}

/* name, then each parent domain. */
static int smtpd_access_domain(smtpd_rs_ctx_t *ctx, const smtpd_rs_item_t *item,
			       const char *name, int *status)
{
	const char *p = name;

	while (p != NULL && *p) {
		if (smtpd_access_key(ctx, item, p, status))
			return 1;
		p = strchr(p, '.');
		if (p != NULL)
			p++;
	}
	return 0;
}

/* The address, then its networks: cut at the last "." or ":" each time. */
static int smtpd_access_network(smtpd_rs_ctx_t *ctx, const smtpd_rs_item_t *item,
				const char *addr, int *status)
{
	str_t key = STR_INIT;
	int done = 0;

	str_set(&key, addr);
	while (!done && key.len > 0) {
		char *cut = strrchr(key.data, strchr(key.data, ':') ? ':' : '.');

		done = smtpd_access_key(ctx, item, key.data, status);
		str_truncate(&key, cut ? (size_t)(cut - key.data) : 0);
	}
	str_free(&key);
	return done;
}

/* A DUNNO for the name ends the walk over parent domains, not the
 * address lookups, as in Postfix. */
int smtpd_access_client(smtpd_rs_ctx_t *ctx, const smtpd_rs_item_t *item)
{
	const smtpd_peer_t *peer = &ctx->s->peer;
	smtpd_rs_ctx_t mine = *ctx;
	int status = SMTPD_RS_DUNNO;

	mine.name = peer->namaddr;
	mine.cls = "Client host";
	if (strcmp(peer->name, "unknown") != 0)
		smtpd_access_domain(&mine, item, peer->name, &status);
	if (status == SMTPD_RS_DUNNO && peer->known)
		smtpd_access_network(&mine, item, peer->addr, &status);
	return status;
}

int smtpd_access_helo(smtpd_rs_ctx_t *ctx, const smtpd_rs_item_t *item)
{
	smtpd_rs_ctx_t mine = *ctx;
	int status = SMTPD_RS_DUNNO;

	mine.name = ctx->s->helo.data;
	mine.cls = "Helo command";
	if (ctx->s->helo.len > 0)
		smtpd_access_domain(&mine, item, ctx->s->helo.data, &status);
	return status;
}

/* "local@" with and without its extension. */
static int smtpd_access_local(smtpd_rs_ctx_t *ctx, const smtpd_rs_item_t *item,
			      const char *addr, size_t local_len, int *status)
{
	size_t base = dict_addr_unextended(addr, local_len, conf_str("recipient_delimiter"));
	str_t key = STR_INIT;
	int done;

	str_append(&key, addr, local_len);
	str_append_cstr(&key, "@");
	done = smtpd_access_key(ctx, item, key.data, status);
	if (!done && base < local_len) {
		str_reset(&key);
		str_append(&key, addr, base);
		str_append_cstr(&key, "@");
		done = smtpd_access_key(ctx, item, key.data, status);
	}
	str_free(&key);
	return done;
}

/* The whole address with and without its extension. */
static int smtpd_access_full(smtpd_rs_ctx_t *ctx, const smtpd_rs_item_t *item,
			     const char *addr, size_t local_len, int *status)
{
	size_t base = dict_addr_unextended(addr, local_len, conf_str("recipient_delimiter"));
	str_t key = STR_INIT;
	int done = smtpd_access_key(ctx, item, addr, status);

	if (!done && base < local_len) {
		str_append(&key, addr, base);
		str_append_cstr(&key, addr + local_len);
		done = smtpd_access_key(ctx, item, key.data, status);
	}
	str_free(&key);
	return done;
}

static int smtpd_access_lookup_addr(smtpd_rs_ctx_t *ctx, const smtpd_rs_item_t *item,
				    const char *addr)
{
	const char *at = strrchr(addr, '@');
	size_t local_len = at ? (size_t)(at - addr) : strlen(addr);
	int status = SMTPD_RS_DUNNO;

	if (*addr == 0) {
		smtpd_access_key(ctx, item, SMTPD_ACCESS_NULL_KEY, &status);
		return status;
	}
	if (smtpd_access_full(ctx, item, addr, local_len, &status)
	    || (at && smtpd_access_domain(ctx, item, at + 1, &status)))
		return status;
	smtpd_access_local(ctx, item, addr, local_len, &status);
	return status;
}

/* addr, with cls as the reply's class. */
static int smtpd_access_addr(smtpd_rs_ctx_t *ctx, const smtpd_rs_item_t *item, const char *addr,
			     const char *cls)
{
	smtpd_rs_ctx_t mine = *ctx;
	str_t name = STR_INIT;
	int status;

	smtpd_rs_quote(addr, &name);
	mine.name = str_cstr(&name);
	mine.cls = cls;
	status = smtpd_access_lookup_addr(&mine, item, addr);
	str_free(&name);
	return status;
}

int smtpd_access_sender(smtpd_rs_ctx_t *ctx, const smtpd_rs_item_t *item)
{
	return smtpd_access_addr(ctx, item, str_cstr(&ctx->s->sender), "Sender address");
}

int smtpd_access_recipient(smtpd_rs_ctx_t *ctx, const smtpd_rs_item_t *item)
{
	return ctx->rcpt ? smtpd_access_addr(ctx, item, ctx->rcpt, "Recipient address")
			 : SMTPD_RS_DUNNO;
}
