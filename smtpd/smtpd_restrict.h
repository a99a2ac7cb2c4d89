/*
 * smtpd_restrict: the restriction lists' shared types, between the list
 * engine (smtpd_restrict.c), the built-in restrictions (smtpd_rules.c),
 * the access tables and their actions (smtpd_access.c) and the recipient
 * and sender validation (smtpd_check.c).
 *
 * Each list is parsed once, at smtpd start, into items: a rule (its name
 * and function) and, for check_*_access, the open table. A rule returns
 * SMTPD_RS_DUNNO to go on, SMTPD_RS_PERMIT to end the list with success,
 * or SMTPD_RS_REJECT with the whole reply ("554 5.7.1 ...") in ctx->reply;
 * a 4xx reply (defer, lookup failure) is a reject too.
 */
#ifndef POCHTA_SMTPD_RESTRICT_H
#define POCHTA_SMTPD_RESTRICT_H

#include <stddef.h>

#include "dict.h"
#include "smtpd.h"

enum smtpd_rs_status { SMTPD_RS_DUNNO, SMTPD_RS_PERMIT, SMTPD_RS_REJECT };

#define SMTPD_RS_REJECT_CODE 554	/* reject, access_map_reject_code */
#define SMTPD_RS_DEFER_CODE 450		/* defer, access_map_defer_code */

/* What the rules look at, for one evaluation of the lists of one command. */
typedef struct smtpd_rs_ctx {
	smtpd_session_t *s;
	const char *rcpt;		/* qualified recipient; NULL before RCPT and at DATA */
	const char *rcpt_given;		/* as the client gave it; NULL likewise */
	const char *finals;		/* rcpt rewritten: addresses each ended by a NUL */
	size_t nfinals;
	int envelope;			/* at MAIL or later: HOLD and DISCARD may apply */
	int rcpt_validated;		/* reject_unlisted_recipient ran for rcpt */
	int sender_validated;		/* reject_unlisted_sender ran */
	const char *name;		/* the list's reply name: "<name>: Class rejected" */
	const char *cls;		/* "Client host", "Helo command", ... */
	str_t *reply;
} smtpd_rs_ctx_t;

typedef struct smtpd_rs_item smtpd_rs_item_t;

typedef struct smtpd_rs_rule {
	const char *name;
	int (*fn)(smtpd_rs_ctx_t *ctx, const smtpd_rs_item_t *item);
	int takes_table;		/* followed by "type:table" */
} smtpd_rs_rule_t;

struct smtpd_rs_item {
	const smtpd_rs_rule_t *rule;
	dict_t *table;			/* check_*_access */
};

/* smtpd_rules.c: the rules, ended by a NULL name */
extern const smtpd_rs_rule_t smtpd_rs_rules[];
void smtpd_rules_init(void);		/* smtpd_sender_login_maps */

/* smtpd_restrict.c: the lists that run at RCPT TO for ctx->rcpt (client,
 * HELO and sender too with smtpd_delay_reject = yes); a smtpd_rs_status */
int smtpd_restrict_rcpt(smtpd_rs_ctx_t *ctx);
/* Set "code dsn <name>: cls rejected: text" and return SMTPD_RS_REJECT. */
int smtpd_rs_reject(smtpd_rs_ctx_t *ctx, int code, const char *dsn, const char *text);
/* The address as it goes between angle brackets in a reply. */
void smtpd_rs_quote(const char *addr, str_t *out);

/* smtpd_access.c: check_client_access and friends */
int smtpd_access_client(smtpd_rs_ctx_t *ctx, const smtpd_rs_item_t *item);
int smtpd_access_helo(smtpd_rs_ctx_t *ctx, const smtpd_rs_item_t *item);
int smtpd_access_sender(smtpd_rs_ctx_t *ctx, const smtpd_rs_item_t *item);
int smtpd_access_recipient(smtpd_rs_ctx_t *ctx, const smtpd_rs_item_t *item);
/* At DATA: the transaction's HOLD or DISCARD into its queue file. */
void smtpd_access_mark(smtpd_session_t *s);

/* smtpd_check.c: reject_unlisted_recipient and reject_unlisted_sender, as
 * named restrictions and as the implicit checks after the lists
 * (smtpd_reject_unlisted_recipient, smtpd_reject_unlisted_sender); each
 * returns a smtpd_rs_status. */
void smtpd_check_init(void);
int smtpd_check_unlisted_rcpt(smtpd_rs_ctx_t *ctx);
int smtpd_check_unlisted_sender(smtpd_rs_ctx_t *ctx);
int smtpd_check_implicit_sender(smtpd_rs_ctx_t *ctx);

/* smtpd_dns.c: reject_unknown_sender_domain, reject_unknown_recipient_domain */
int smtpd_dns_unknown_sender(smtpd_rs_ctx_t *ctx, const smtpd_rs_item_t *item);
int smtpd_dns_unknown_recipient(smtpd_rs_ctx_t *ctx, const smtpd_rs_item_t *item);

#endif
