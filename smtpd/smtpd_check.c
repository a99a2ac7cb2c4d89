/*
 * smtpd_check: may this recipient be accepted? The RCPT verdict is the
 * restriction lists (smtpd_restrict.c), then Postfix's implicit
 * reject_unlisted_recipient (smtpd_reject_unlisted_recipient = yes).
 * reject_unlisted_recipient and reject_unlisted_sender may also be named
 * in any list, and smtpd_reject_unlisted_sender (default no) adds the
 * sender's check after the sender list. An address is looked at once per
 * command: the implicit check is left out when the named one ran, and
 * after a DISCARD action, as in Postfix.
 *
 * An address is judged on what it rewrites to, as a recipient
 * (smtpd_mail.c; rewrite.h): a mailbox, a local recipient, or an address
 * elsewhere. When it expands into several, it is listed if any of them
 * exists; the unknown ones are queued too and bounce at delivery, as they
 * would in Postfix, while one whose every expansion is unknown is refused:
 *
 *   550 5.1.1 <rcpt>: Recipient address rejected: User unknown in virtual mailbox table
 *   550 5.1.0 <sender>: Sender address rejected: User unknown in local recipient table
 */
#include <string.h>

#include "addr.h"
#include "conf.h"
#include "log.h"
#include "resolve.h"
#include "rewrite.h"
#include "smtpd_restrict.h"

#define SMTPD_CHECK_UNKNOWN_CODE 550	/* the *_recipient_reject_code defaults */

static int smtpd_check_rcpt_implicit;	/* smtpd_reject_unlisted_recipient */
static int smtpd_check_sender_implicit;	/* smtpd_reject_unlisted_sender */

void smtpd_check_init(void)
{
	smtpd_check_rcpt_implicit = conf_bool("smtpd_reject_unlisted_recipient");
	smtpd_check_sender_implicit = conf_bool("smtpd_reject_unlisted_sender");
}

/* Why an address cannot receive mail, or NULL when it can. */
static const char *smtpd_check_unknown(const resolve_result_t *res)
{
	if (res->found)
		return NULL;
	switch (res->cls) {
	case RESOLVE_VIRTUAL:
		return "User unknown in virtual mailbox table";
	case RESOLVE_LOCAL:
		return "User unknown in local recipient table";
	case RESOLVE_ALIAS:
		return "User unknown in virtual alias table";
	default:
		return NULL;
	}
}

/* Resolve addr into res; on a lookup failure log it and set a 451 reply
 * naming wire (the address as the client gave it). */
static int smtpd_check_resolve(const char *addr, const char *wire, resolve_result_t *res,
			       str_t *reply)
{
	if (resolve_address(addr, res) == 0)
		return 0;
	log_warning("<%s>: recipient lookup failed: %s", addr, str_cstr(&res->mailbox));
	str_printf(reply, "451 4.3.0 <%s>: Temporary lookup failure", wire);
	return -1;
}

/* Is any of the final addresses a recipient that exists? 1 yes, 0 no
 * (why names the first unknown one's table), -1 lookup error (reply set). */
static int smtpd_check_finals(const char *addr, const resolve_result_t *given,
			      const char *finals, size_t nfinals, const char *wire,
			      const char **why, str_t *reply)
{
	resolve_result_t res;
	const char *final = finals;
	const char *unknown = NULL;
	int status = 0;

	resolve_result_init(&res);
	for (size_t i = 0; i < nfinals && status == 0; i++, final += strlen(final) + 1) {
		if (strcmp(final, addr) == 0)
			unknown = smtpd_check_unknown(given);
		else if (smtpd_check_resolve(final, wire, &res, reply) < 0)
			status = -1;
		else
			unknown = smtpd_check_unknown(&res);
		if (status == 0 && unknown == NULL)
			status = 1;
		else if (status == 0 && *why == NULL)
			*why = unknown;
	}
	resolve_result_free(&res);
	return status;
}

/* addr, rewritten to finals: SMTPD_RS_DUNNO when listed, else
 * SMTPD_RS_REJECT with "550 dsn <addr>: cls rejected: why" or a 451. */
static int smtpd_check_listed(const char *addr, const char *finals, size_t nfinals,
			      const char *cls, const char *dsn, str_t *reply)
{
	resolve_result_t res;
	str_t wire = STR_INIT;
	const char *why = NULL;
	int status = SMTPD_RS_REJECT;

	addr_quote(addr, &wire);
	resolve_result_init(&res);
	str_reset(reply);
	if (smtpd_check_resolve(addr, str_cstr(&wire), &res, reply) < 0) {
		/* reply set */
	} else {
		switch (smtpd_check_finals(addr, &res, finals, nfinals, str_cstr(&wire), &why, reply)) {
		case 1:
			status = SMTPD_RS_DUNNO;
			break;
		case 0:
			str_printf(reply, "%d %s <%s>: %s rejected: %s", SMTPD_CHECK_UNKNOWN_CODE,
				   dsn, str_cstr(&wire), cls, why);
			break;
		default:
			break;	/* reply set */
		}
	}
	resolve_result_free(&res);
	str_free(&wire);
	return status;
}

int smtpd_check_unlisted_rcpt(smtpd_rs_ctx_t *ctx)
{
	if (ctx->rcpt == NULL)
		return SMTPD_RS_DUNNO;
	ctx->rcpt_validated = 1;
	return smtpd_check_listed(ctx->rcpt, ctx->finals, ctx->nfinals, "Recipient address", "5.1.1",
				  ctx->reply);
}

/* The sender rewritten as a recipient would be: REWRITE_OK with its
 * final addresses in finals, or the rewrite_status with why. */
static int smtpd_check_sender_finals(const char *sender, str_t *finals, size_t *count, str_t *why)
{
	str_t canon = STR_INIT;
	int status = rewrite_recipient(sender, &canon, why);

	if (status == REWRITE_OK)
		status = rewrite_virtual_alias(canon.data, finals, count, why);
	str_free(&canon);
	return status;
}

/* The null sender is never looked up; one that cannot be expanded (an
 * alias loop) is a key of the alias table, so it is listed. */
int smtpd_check_unlisted_sender(smtpd_rs_ctx_t *ctx)
{
	const char *sender = str_cstr(&ctx->s->sender);
	str_t finals = STR_INIT;
	str_t why = STR_INIT;
	str_t wire = STR_INIT;
	size_t count = 0;
	int rewritten;
	int status = SMTPD_RS_DUNNO;

	if (*sender == 0)
		return SMTPD_RS_DUNNO;
	ctx->sender_validated = 1;
	rewritten = smtpd_check_sender_finals(sender, &finals, &count, &why);
	if (rewritten == REWRITE_OK) {
		status = smtpd_check_listed(sender, finals.data, count, "Sender address", "5.1.0",
					    ctx->reply);
	} else if (rewritten == REWRITE_LOOKUP_ERROR) {
		log_warning("<%s>: sender lookup failed: %s", sender, str_cstr(&why));
		addr_quote(sender, &wire);
		str_reset(ctx->reply);
		str_printf(ctx->reply, "451 4.3.0 <%s>: Temporary lookup failure", wire.data);
		status = SMTPD_RS_REJECT;
	}
	str_free(&finals);
	str_free(&why);
	str_free(&wire);
	return status;
}

int smtpd_check_implicit_sender(smtpd_rs_ctx_t *ctx)
{
	if (!smtpd_check_sender_implicit || ctx->sender_validated || ctx->s->discard)
		return SMTPD_RS_DUNNO;
	return smtpd_check_unlisted_sender(ctx);
}

int smtpd_check_rcpt(smtpd_session_t *s, const char *rcpt, const char *given, const char *finals,
		     size_t nfinals, str_t *reply)
{
	smtpd_rs_ctx_t ctx = { .s = s, .rcpt = rcpt, .rcpt_given = given, .finals = finals,
			       .nfinals = nfinals, .envelope = 1, .reply = reply };
	int status = smtpd_restrict_rcpt(&ctx);

	if (status != SMTPD_RS_REJECT && smtpd_check_rcpt_implicit && !ctx.rcpt_validated
	    && !s->discard)
		status = smtpd_check_unlisted_rcpt(&ctx);
	return status == SMTPD_RS_REJECT;
}
