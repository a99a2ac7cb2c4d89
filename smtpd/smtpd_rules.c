/*
 * smtpd_rules: the built-in restrictions, with Postfix's names, codes and
 * texts (postconf(5)):
 *
 *   permit, reject (554 5.7.1), defer (450 4.7.1)
 *   permit_mynetworks, permit_sasl_authenticated
 *   reject_unauth_destination (554), defer_unauth_destination (450):
 *       mail for a domain that is neither ours nor in relay_domains
 *   reject_non_fqdn_sender, reject_non_fqdn_recipient,
 *   reject_non_fqdn_helo_hostname (504 5.5.2)
 *   reject_invalid_helo_hostname (501 5.5.2)
 *   reject_sender_login_mismatch and its authenticated/unauthenticated
 *       halves (553 5.7.1), with smtpd_sender_login_maps
 *   reject_unlisted_recipient (550 5.1.1), reject_unlisted_sender
 *       (550 5.1.0): an address no mailbox, local user or alias has
 *       (smtpd_check.c)
 *   reject_unauth_pipelining (503 5.5.0): the client sent commands ahead
 *       of the replies without PIPELINING (smtpd_pipelining.c)
 *   check_client_access, check_helo_access, check_sender_access,
 *   check_recipient_access type:table (smtpd_access.c)
 *   reject_unknown_sender_domain, reject_unknown_recipient_domain
 *       (unknown_address_reject_code, 450): no MX and no address in DNS
 *       (smtpd_dns.c)
 *
 * smtpd_sender_login_maps gives each sender address its owners, the SASL
 * logins that may use it (comma or space separated), looked up like
 * virtual(5) addresses. Pochta's addition: when it is empty, each address
 * is owned by the login of the same name, which is how "pochta user"
 * names users ("demo@localhost"), so a user may send as itself only.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "conf.h"
#include "dict_addr.h"
#include "log.h"
#include "resolve.h"
#include "smtpd_restrict.h"

#define SMTPD_RULES_HOST_MAX 255	/* a host name */
#define SMTPD_RULES_LABEL_MAX 63	/* one label of it */
#define SMTPD_RULES_IPV6_TAG "IPv6:"	/* address literal prefix (RFC 5321) */
#define SMTPD_RULES_PIPELINING_CODE 503	/* reject_unauth_pipelining */

static dict_t *smtpd_rules_login_map;	/* NULL: an address is its own owner */

void smtpd_rules_init(void)
{
	const char *spec = conf_str("smtpd_sender_login_maps");
	str_t err = STR_INIT;

	if (*spec == 0)
		return;
	smtpd_rules_login_map = dict_open(spec, &err);
	if (smtpd_rules_login_map == NULL)
		log_fatal("smtpd_sender_login_maps: %s: %s", spec, str_cstr(&err));
	str_free(&err);
}

static int smtpd_rules_permit(smtpd_rs_ctx_t *ctx, const smtpd_rs_item_t *item)
{
	(void)ctx;
	(void)item;
	return SMTPD_RS_PERMIT;
}

static int smtpd_rules_reject(smtpd_rs_ctx_t *ctx, const smtpd_rs_item_t *item)
{
	(void)item;
	return smtpd_rs_reject(ctx, SMTPD_RS_REJECT_CODE, "5.7.1", "Access denied");
}

static int smtpd_rules_defer(smtpd_rs_ctx_t *ctx, const smtpd_rs_item_t *item)
{
	(void)item;
	return smtpd_rs_reject(ctx, SMTPD_RS_DEFER_CODE, "4.7.1", "Try again later");
}

static int smtpd_rules_mynetworks(smtpd_rs_ctx_t *ctx, const smtpd_rs_item_t *item)
{
	(void)item;
	return smtpd_mynet_match(&smtpd_conf.mynetworks, &ctx->s->peer.sa) ? SMTPD_RS_PERMIT
									     : SMTPD_RS_DUNNO;
}

static int smtpd_rules_sasl(smtpd_rs_ctx_t *ctx, const smtpd_rs_item_t *item)
{
	(void)item;
	return ctx->s->sasl_username.len > 0 ? SMTPD_RS_PERMIT : SMTPD_RS_DUNNO;
}

/* Relay access for code (554 or 450): DUNNO for our domains and relay_domains. */
static int smtpd_rules_unauth_dest(smtpd_rs_ctx_t *ctx, int code, const char *dsn)
{
	resolve_result_t res;
	str_t wire = STR_INIT;
	int status = SMTPD_RS_DUNNO;

	if (ctx->rcpt == NULL)
		return SMTPD_RS_DUNNO;
	resolve_result_init(&res);
	smtpd_rs_quote(ctx->rcpt, &wire);
	str_reset(ctx->reply);
	if (resolve_address(ctx->rcpt, &res) < 0) {
		log_warning("<%s>: recipient lookup failed: %s", ctx->rcpt, str_cstr(&res.mailbox));
		str_printf(ctx->reply, "451 4.3.0 <%s>: Temporary lookup failure", str_cstr(&wire));
		status = SMTPD_RS_REJECT;
	} else if (res.cls == RESOLVE_RELAY) {
		str_printf(ctx->reply, "%d %s <%s>: Relay access denied", code, dsn, str_cstr(&wire));
		status = SMTPD_RS_REJECT;
	}
	resolve_result_free(&res);
	str_free(&wire);
	return status;
}

static int smtpd_rules_reject_unauth(smtpd_rs_ctx_t *ctx, const smtpd_rs_item_t *item)
{
	(void)item;
	return smtpd_rules_unauth_dest(ctx, SMTPD_RS_REJECT_CODE, "5.7.1");
}

static int smtpd_rules_defer_unauth(smtpd_rs_ctx_t *ctx, const smtpd_rs_item_t *item)
{
	(void)item;
	return smtpd_rules_unauth_dest(ctx, SMTPD_RS_DEFER_CODE, "4.7.1");
}

/* A host name: labels of letters, digits and inner hyphens. */
static int smtpd_rules_hostname(const char *name)
{
	size_t label = 0;
	size_t len = strlen(name);

	if (len == 0 || len > SMTPD_RULES_HOST_MAX || name[0] == '.')
		return 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c == '.') {
			if (label == 0 || name[i - 1] == '-')
				return 0;
			label = 0;
		} else if (isalnum(c) || (c == '-' && label > 0)) {
			if (++label > SMTPD_RULES_LABEL_MAX)
				return 0;
		} else {
			return 0;
		}
	}
	return name[len - 1] != '-';
}

/* "[192.0.2.1]" or "[IPv6:2001:db8::1]". */
static int smtpd_rules_literal(const char *name)
{
	char buf[SMTPD_RULES_HOST_MAX + 1];
	unsigned char addr[sizeof(struct in6_addr)];
	size_t len = strlen(name);
	size_t tag = strlen(SMTPD_RULES_IPV6_TAG);

	if (len < 2 || len > SMTPD_RULES_HOST_MAX || name[0] != '[' || name[len - 1] != ']')
		return 0;
	memcpy(buf, name + 1, len - 2);
	buf[len - 2] = 0;
	if (strncasecmp(buf, SMTPD_RULES_IPV6_TAG, tag) == 0)
		return inet_pton(AF_INET6, buf + tag, addr) == 1;
	return inet_pton(AF_INET, buf, addr) == 1;
}

/* A host name with a dot (not counting a trailing one), or an address literal. */
static int smtpd_rules_fqdn_host(const char *name)
{
	const char *dot = strchr(name, '.');

	if (smtpd_rules_literal(name))
		return 1;
	return smtpd_rules_hostname(name) && dot != NULL && dot[1] != 0;
}

/* The domain of addr, or NULL when it has none. */
static const char *smtpd_rules_domain(const char *addr)
{
	const char *at = strrchr(addr, '@');

	return at ? at + 1 : NULL;
}

static int smtpd_rules_fqdn_addr(const char *addr)
{
	const char *domain = smtpd_rules_domain(addr);

	return domain != NULL && smtpd_rules_fqdn_host(domain);
}

/* "code <addr>: cls rejected: text" */
static int smtpd_rules_addr_reply(smtpd_rs_ctx_t *ctx, const char *code, const char *addr,
				  const char *cls, const char *text)
{
	str_t wire = STR_INIT;

	smtpd_rs_quote(addr, &wire);
	str_reset(ctx->reply);
	str_printf(ctx->reply, "%s <%s>: %s rejected: %s", code, str_cstr(&wire), cls, text);
	str_free(&wire);
	return SMTPD_RS_REJECT;
}

/* A sender the client gave without a domain was qualified with @$myorigin. */
static int smtpd_rules_non_fqdn_sender(smtpd_rs_ctx_t *ctx, const smtpd_rs_item_t *item)
{
	const smtpd_session_t *s = ctx->s;

	(void)item;
	if (s->sender.len == 0 || (!s->sender_qualified && smtpd_rules_fqdn_addr(s->sender.data)))
		return SMTPD_RS_DUNNO;
	return smtpd_rules_addr_reply(ctx, "504 5.5.2", s->sender.data, "Sender address",
				      "need fully-qualified address");
}

static int smtpd_rules_non_fqdn_rcpt(smtpd_rs_ctx_t *ctx, const smtpd_rs_item_t *item)
{
	(void)item;
	if (ctx->rcpt_given == NULL || smtpd_rules_fqdn_addr(ctx->rcpt_given))
		return SMTPD_RS_DUNNO;
	return smtpd_rules_addr_reply(ctx, "504 5.5.2", ctx->rcpt_given, "Recipient address",
				      "need fully-qualified address");
}

/* "code <helo>: Helo command rejected: text" */
static int smtpd_rules_helo_reply(smtpd_rs_ctx_t *ctx, const char *code, const char *text)
{
	str_reset(ctx->reply);
	str_printf(ctx->reply, "%s <%s>: Helo command rejected: %s", code, ctx->s->helo.data, text);
	return SMTPD_RS_REJECT;
}

static int smtpd_rules_non_fqdn_helo(smtpd_rs_ctx_t *ctx, const smtpd_rs_item_t *item)
{
	(void)item;
	if (ctx->s->helo.len == 0 || smtpd_rules_fqdn_host(ctx->s->helo.data))
		return SMTPD_RS_DUNNO;
	return smtpd_rules_helo_reply(ctx, "504 5.5.2", "need fully-qualified hostname");
}

static int smtpd_rules_invalid_helo(smtpd_rs_ctx_t *ctx, const smtpd_rs_item_t *item)
{
	const char *helo = str_cstr(&ctx->s->helo);

	(void)item;
	if (*helo == 0 || smtpd_rules_literal(helo) || smtpd_rules_hostname(helo))
		return SMTPD_RS_DUNNO;
	return smtpd_rules_helo_reply(ctx, "501 5.5.2", "Invalid name");
}

/* Is login among the owners (comma/space list) of the sender? */
static int smtpd_rules_owner_listed(const char *owners, const char *login)
{
	size_t count;
	char **items = conf_split_list(owners, &count);
	int found = 0;

	for (size_t i = 0; i < count && !found; i++)
		found = strcasecmp(items[i], login) == 0;
	conf_free_list(items, count);
	return found;
}

/* The sender's owners into owners: 1 some, 0 none, -1 lookup error. */
static int smtpd_rules_owners(const char *sender, str_t *owners)
{
	int status;

	if (smtpd_rules_login_map == NULL) {
		str_set(owners, sender);
		return 1;
	}
	status = dict_lookup_addr(smtpd_rules_login_map, sender, conf_str("recipient_delimiter"),
				  0, owners);
	if (status < 0)
		log_warning("smtpd_sender_login_maps: %s: %s", sender, str_cstr(owners));
	return status;
}

/* reject_*sender_login_mismatch: which sessions it applies to. */
enum smtpd_rules_login { SMTPD_LOGIN_AUTH = 1, SMTPD_LOGIN_UNAUTH = 2 };

static int smtpd_rules_login(smtpd_rs_ctx_t *ctx, int which)
{
	smtpd_session_t *s = ctx->s;
	int auth = s->sasl_username.len > 0;
	str_t owners = STR_INIT;
	str_t wire = STR_INIT;
	int found;

	if (s->sender.len == 0 || !(which & (auth ? SMTPD_LOGIN_AUTH : SMTPD_LOGIN_UNAUTH)))
		return SMTPD_RS_DUNNO;
	found = smtpd_rules_owners(s->sender.data, &owners);
	smtpd_rs_quote(s->sender.data, &wire);
	str_reset(ctx->reply);
	if (found < 0)
		str_printf(ctx->reply, "451 4.3.0 <%s>: Temporary lookup failure", str_cstr(&wire));
	else if (auth && (found == 0 || !smtpd_rules_owner_listed(owners.data, s->sasl_username.data)))
		str_printf(ctx->reply, "553 5.7.1 <%s>: Sender address rejected: not owned by user %s",
			   str_cstr(&wire), s->sasl_username.data);
	else if (!auth && found > 0)
		str_printf(ctx->reply, "553 5.7.1 <%s>: Sender address rejected: not logged in",
			   str_cstr(&wire));
	str_free(&owners);
	str_free(&wire);
	return ctx->reply->len > 0 ? SMTPD_RS_REJECT : SMTPD_RS_DUNNO;
}

static int smtpd_rules_login_any(smtpd_rs_ctx_t *ctx, const smtpd_rs_item_t *item)
{
	(void)item;
	return smtpd_rules_login(ctx, SMTPD_LOGIN_AUTH | SMTPD_LOGIN_UNAUTH);
}

static int smtpd_rules_login_auth(smtpd_rs_ctx_t *ctx, const smtpd_rs_item_t *item)
{
	(void)item;
	return smtpd_rules_login(ctx, SMTPD_LOGIN_AUTH);
}

static int smtpd_rules_login_unauth(smtpd_rs_ctx_t *ctx, const smtpd_rs_item_t *item)
{
	(void)item;
	return smtpd_rules_login(ctx, SMTPD_LOGIN_UNAUTH);
}

static int smtpd_rules_unlisted_rcpt(smtpd_rs_ctx_t *ctx, const smtpd_rs_item_t *item)
{
	(void)item;
	return smtpd_check_unlisted_rcpt(ctx);
}

static int smtpd_rules_unlisted_sender(smtpd_rs_ctx_t *ctx, const smtpd_rs_item_t *item)
{
	(void)item;
	return smtpd_check_unlisted_sender(ctx);
}

static int smtpd_rules_unauth_pipelining(smtpd_rs_ctx_t *ctx, const smtpd_rs_item_t *item)
{
	(void)item;
	if (!ctx->s->pipelining_abused)
		return SMTPD_RS_DUNNO;
	return smtpd_rs_reject(ctx, SMTPD_RULES_PIPELINING_CODE, "5.5.0",
			       "Improper use of SMTP command pipelining");
}

const smtpd_rs_rule_t smtpd_rs_rules[] = {
	{ "permit", smtpd_rules_permit, 0 },
	{ "reject", smtpd_rules_reject, 0 },
	{ "defer", smtpd_rules_defer, 0 },
	{ "permit_mynetworks", smtpd_rules_mynetworks, 0 },
	{ "permit_sasl_authenticated", smtpd_rules_sasl, 0 },
	{ "reject_unauth_destination", smtpd_rules_reject_unauth, 0 },
	{ "defer_unauth_destination", smtpd_rules_defer_unauth, 0 },
	{ "reject_non_fqdn_sender", smtpd_rules_non_fqdn_sender, 0 },
	{ "reject_non_fqdn_recipient", smtpd_rules_non_fqdn_rcpt, 0 },
	{ "reject_non_fqdn_helo_hostname", smtpd_rules_non_fqdn_helo, 0 },
	{ "reject_invalid_helo_hostname", smtpd_rules_invalid_helo, 0 },
	{ "reject_sender_login_mismatch", smtpd_rules_login_any, 0 },
	{ "reject_authenticated_sender_login_mismatch", smtpd_rules_login_auth, 0 },
	{ "reject_unauthenticated_sender_login_mismatch", smtpd_rules_login_unauth, 0 },
	{ "reject_unlisted_recipient", smtpd_rules_unlisted_rcpt, 0 },
	{ "reject_unlisted_sender", smtpd_rules_unlisted_sender, 0 },
	{ "reject_unauth_pipelining", smtpd_rules_unauth_pipelining, 0 },
	{ "check_client_access", smtpd_access_client, 1 },
	{ "check_helo_access", smtpd_access_helo, 1 },
	{ "check_sender_access", smtpd_access_sender, 1 },
	{ "check_recipient_access", smtpd_access_recipient, 1 },
	{ "reject_unknown_sender_domain", smtpd_dns_unknown_sender, 0 },
	{ "reject_unknown_recipient_domain", smtpd_dns_unknown_recipient, 0 },
	{ NULL, NULL, 0 },
};
