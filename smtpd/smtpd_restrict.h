/*
 * smtpd_restrict: the restriction lists' shared types, between the list
 * engine (smtpd_restrict.c), the built-in restrictions (smtpd_rules.c) and
 * the access tables (smtpd_access.c).
 *
 * Each list is parsed once, at smtpd start, into items: a rule (its name
 * and function) and, for check_*_access, the open table. A rule returns
 * SMTPD_RS_DUNNO to go on, SMTPD_RS_PERMIT to end the list with success,
 * or SMTPD_RS_REJECT with the whole reply ("554 5.7.1 ...") in ctx->reply;
 * a 4xx reply (defer, lookup failure) is a reject too.
 */
#ifndef POCHTA_SMTPD_RESTRICT_H
#define POCHTA_SMTPD_RESTRICT_H

#include "dict.h"
#include "smtpd.h"

enum smtpd_rs_status { SMTPD_RS_DUNNO, SMTPD_RS_PERMIT, SMTPD_RS_REJECT };

#define SMTPD_RS_REJECT_CODE 554	/* reject, access_map_reject_code */
#define SMTPD_RS_DEFER_CODE 450		/* defer, access_map_defer_code */

/* What the rules look at, for one evaluation of one list. */
typedef struct smtpd_rs_ctx {
	smtpd_session_t *s;
	const char *rcpt;		/* qualified recipient; NULL for DATA */
	const char *rcpt_given;		/* as the client gave it; NULL for DATA */
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

/* smtpd_restrict.c: set "code dsn <name>: cls rejected: text" and return SMTPD_RS_REJECT */
int smtpd_rs_reject(smtpd_rs_ctx_t *ctx, int code, const char *dsn, const char *text);
/* The address as it goes between angle brackets in a reply. */
void smtpd_rs_quote(const char *addr, str_t *out);

/* smtpd_access.c: check_client_access and friends */
int smtpd_access_client(smtpd_rs_ctx_t *ctx, const smtpd_rs_item_t *item);
int smtpd_access_helo(smtpd_rs_ctx_t *ctx, const smtpd_rs_item_t *item);
int smtpd_access_sender(smtpd_rs_ctx_t *ctx, const smtpd_rs_item_t *item);
int smtpd_access_recipient(smtpd_rs_ctx_t *ctx, const smtpd_rs_item_t *item);

#endif
