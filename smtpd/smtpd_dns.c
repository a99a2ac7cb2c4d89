/*
 * smtpd_dns: reject_unknown_sender_domain and
 * reject_unknown_recipient_domain, with Postfix's semantics (postconf(5)).
 *
 * The address's domain must have an MX record or, without one, an A or
 * AAAA record. No lookup is made for the null sender, for address
 * literals, or for domains Pochta is the final destination of (the
 * virtual mailbox, local and virtual alias classes); as in Postfix,
 * relay_domains are looked up like any other domain. Replies:
 *
 *   no such domain, or a malformed MX record:
 *       unknown_address_reject_code (450) 4.1.8 (sender) or 4.1.2
 *       (recipient) "<addr>: Sender address rejected: Domain not found"
 *   a temporary DNS failure: 450 with the same text, at once (Postfix's
 *       unknown_address_tempfail_action, defer_if_permit, is not
 *       supported: the restriction lists have no deferred verdict)
 *   a null MX (RFC 7505): 550 5.7.27 (sender) or 556 5.1.10 (recipient)
 *       "<addr>: ... rejected: Domain x does not accept mail (nullMX)"
 */
#include <sys/socket.h>

#include "conf.h"
#include "dns.h"
#include "log.h"
#include "resolve.h"
#include "smtpd_restrict.h"

#define SMTPD_DNS_TEMPFAIL_CODE 450

/* How the replies name the address each restriction checks. */
typedef struct smtpd_dns_role {
	const char *cls;		/* "Sender address" */
	const char *dsn_detail;		/* "1.8": after the class digit */
	int nullmx_code;
	const char *nullmx_dsn;
} smtpd_dns_role_t;

static const smtpd_dns_role_t smtpd_dns_sender = { "Sender address", "1.8", 550, "5.7.27" };
static const smtpd_dns_role_t smtpd_dns_recipient = { "Recipient address", "1.2", 556, "5.1.10" };

/* The domain's mail hosts: an MX, or else an address. A failure for now
 * of either lookup counts only when the other finds nothing. */
static int smtpd_dns_mail_domain(const char *domain)
{
	dns_mx_list_t mx;
	dns_addr_list_t addrs;
	int status = dns_lookup_mx(domain, &mx, NULL);
	int addr_status;

	if (status != DNS_NOTFOUND && status != DNS_RETRY)
		return status;
	addr_status = dns_lookup_addr(domain, AF_UNSPEC, &addrs, NULL);
	if (addr_status == DNS_OK || status == DNS_NOTFOUND)
		return addr_status;
	return DNS_RETRY;
}

/* "Domain not found" with code, its enhanced code made to match. */
static int smtpd_dns_not_found(smtpd_rs_ctx_t *ctx, const smtpd_dns_role_t *role, int code)
{
	str_t dsn = STR_INIT;
	int status;

	str_printf(&dsn, "%d.%s", code / 100, role->dsn_detail);
	status = smtpd_rs_reject(ctx, code, dsn.data, "Domain not found");
	str_free(&dsn);
	return status;
}

static int smtpd_dns_verdict(smtpd_rs_ctx_t *ctx, const smtpd_dns_role_t *role,
			     const char *domain)
{
	str_t text = STR_INIT;
	int status;

	switch (smtpd_dns_mail_domain(domain)) {
	case DNS_OK:
		return SMTPD_RS_DUNNO;
	case DNS_RETRY:
		return smtpd_dns_not_found(ctx, role, SMTPD_DNS_TEMPFAIL_CODE);
	case DNS_NULLMX:
		str_printf(&text, "Domain %s does not accept mail (nullMX)", domain);
		status = smtpd_rs_reject(ctx, role->nullmx_code, role->nullmx_dsn, text.data);
		str_free(&text);
		return status;
	default:
		return smtpd_dns_not_found(ctx, role, (int)conf_int("unknown_address_reject_code"));
	}
}

/* Is addr's domain worth a DNS lookup? 1 yes, 0 no, -1 table error (reply set). */
static int smtpd_dns_wanted(smtpd_rs_ctx_t *ctx, const char *addr, str_t *domain)
{
	resolve_result_t res;
	int wanted = 0;

	resolve_result_init(&res);
	if (resolve_address(addr, &res) < 0) {
		log_warning("<%s>: address lookup failed: %s", addr, str_cstr(&res.mailbox));
		str_reset(ctx->reply);
		str_printf(ctx->reply, "451 4.3.0 <%s>: Temporary lookup failure", ctx->name);
		wanted = -1;
	} else if ((res.cls == RESOLVE_RELAY || res.cls == RESOLVE_RELAY_DOMAIN)
		   && str_cstr(&res.domain)[0] != '[') {
		str_set(domain, str_cstr(&res.domain));
		wanted = 1;
	}
	resolve_result_free(&res);
	return wanted;
}

static int smtpd_dns_check(smtpd_rs_ctx_t *ctx, const char *addr, const smtpd_dns_role_t *role)
{
	smtpd_rs_ctx_t mine = *ctx;
	str_t name = STR_INIT;
	str_t domain = STR_INIT;
	int status = SMTPD_RS_DUNNO;

	smtpd_rs_quote(addr, &name);
	mine.name = str_cstr(&name);
	mine.cls = role->cls;
	switch (smtpd_dns_wanted(&mine, addr, &domain)) {
	case 1:
		status = smtpd_dns_verdict(&mine, role, domain.data);
		break;
	case -1:
		status = SMTPD_RS_REJECT;
		break;
	default:
		break;
	}
	str_free(&name);
	str_free(&domain);
	return status;
}

int smtpd_dns_unknown_sender(smtpd_rs_ctx_t *ctx, const smtpd_rs_item_t *item)
{
	(void)item;
	if (ctx->s->sender.len == 0)
		return SMTPD_RS_DUNNO;
	return smtpd_dns_check(ctx, ctx->s->sender.data, &smtpd_dns_sender);
}

int smtpd_dns_unknown_recipient(smtpd_rs_ctx_t *ctx, const smtpd_rs_item_t *item)
{
	(void)item;
	if (ctx->rcpt == NULL)
		return SMTPD_RS_DUNNO;
	return smtpd_dns_check(ctx, ctx->rcpt, &smtpd_dns_recipient);
}
