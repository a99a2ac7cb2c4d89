/*
 * smtpd_restrict: Postfix's restriction lists (SMTPD_ACCESS_README).
 *
 *   smtpd_client_restrictions, smtpd_helo_restrictions,
 *   smtpd_sender_restrictions, smtpd_relay_restrictions,
 *   smtpd_recipient_restrictions       at RCPT TO, in this order
 *   smtpd_data_restrictions            at DATA
 *
 * With smtpd_delay_reject = yes (the default, and the only setting
 * supported) the client, HELO and sender lists wait for RCPT TO, as in
 * Postfix, so a reject names the recipient in the log and a client
 * restriction can still let authenticated users through. Each list is
 * read left to right; the first rule that permits or rejects ends it, and
 * DUNNO goes on; a list that permits lets the next list decide, so a
 * recipient must pass the relay list and the recipient list. Lists are
 * parsed once, at start; an unknown rule name is a fatal error.
 */
#include <stdarg.h>
#include <string.h>

#include "addr.h"
#include "conf.h"
#include "log.h"
#include "mem.h"
#include "smtpd_restrict.h"

enum smtpd_rs_which {
	SMTPD_RS_CLIENT, SMTPD_RS_HELO, SMTPD_RS_SENDER, SMTPD_RS_RELAY, SMTPD_RS_RECIPIENT,
	SMTPD_RS_DATA, SMTPD_RS_LIST_COUNT
};

typedef struct smtpd_rs_list {
	const char *param;
	const char *cls;		/* the reply's "Class rejected" */
	smtpd_rs_item_t *items;
	size_t count;
} smtpd_rs_list_t;

static smtpd_rs_list_t smtpd_rs_lists[SMTPD_RS_LIST_COUNT] = {
	{ "smtpd_client_restrictions", "Client host", NULL, 0 },
	{ "smtpd_helo_restrictions", "Helo command", NULL, 0 },
	{ "smtpd_sender_restrictions", "Sender address", NULL, 0 },
	{ "smtpd_relay_restrictions", "Recipient address", NULL, 0 },
	{ "smtpd_recipient_restrictions", "Recipient address", NULL, 0 },
	{ "smtpd_data_restrictions", "Data command", NULL, 0 },
};

static const smtpd_rs_rule_t *smtpd_rs_find(const char *name)
{
	for (const smtpd_rs_rule_t *rule = smtpd_rs_rules; rule->name; rule++)
		if (strcmp(rule->name, name) == 0)
			return rule;
	return NULL;
}

/* One list's value into items; a bad name or table is fatal. */
static void smtpd_rs_parse(smtpd_rs_list_t *list)
{
	size_t count;
	char **words = conf_split_list(conf_str(list->param), &count);
	str_t err = STR_INIT;

	list->items = mem_calloc(count ? count : 1, sizeof(*list->items));
	for (size_t i = 0; i < count; i++) {
		smtpd_rs_item_t *item = &list->items[list->count++];

		item->rule = smtpd_rs_find(words[i]);
		if (item->rule == NULL)
			log_fatal("%s: unknown restriction: %s", list->param, words[i]);
		if (!item->rule->takes_table)
			continue;
		if (++i == count)
			log_fatal("%s: %s needs a type:table argument", list->param, words[i - 1]);
		item->table = dict_open(words[i], &err);
		if (item->table == NULL)
			log_fatal("%s: %s %s: %s", list->param, words[i - 1], words[i],
				  str_cstr(&err));
	}
	str_free(&err);
	conf_free_list(words, count);
}

void smtpd_restrict_init(void)
{
	if (!conf_bool("smtpd_delay_reject"))
		log_fatal("smtpd_delay_reject = no is not supported");
	for (size_t i = 0; i < SMTPD_RS_LIST_COUNT; i++)
		smtpd_rs_parse(&smtpd_rs_lists[i]);
	smtpd_rules_init();
}

void smtpd_rs_quote(const char *addr, str_t *out)
{
	str_reset(out);
	if (addr != NULL)
		addr_quote(addr, out);
}

int smtpd_rs_reject(smtpd_rs_ctx_t *ctx, int code, const char *dsn, const char *text)
{
	str_reset(ctx->reply);
	str_printf(ctx->reply, "%d %s <%s>: %s rejected: %s", code, dsn, ctx->name, ctx->cls, text);
	return SMTPD_RS_REJECT;
}

/* One list, left to right: the first rule that permits or rejects wins. */
static int smtpd_rs_eval(smtpd_rs_ctx_t *ctx, const smtpd_rs_list_t *list)
{
	ctx->cls = list->cls;
	for (size_t i = 0; i < list->count; i++) {
		int status = list->items[i].rule->fn(ctx, &list->items[i]);

		if (status != SMTPD_RS_DUNNO)
			return status;
	}
	return SMTPD_RS_DUNNO;
}

/* The name each list's replies give between angle brackets. */
static const char *smtpd_rs_name(smtpd_rs_ctx_t *ctx, enum smtpd_rs_which which, str_t *buf)
{
	switch (which) {
	case SMTPD_RS_CLIENT:
		return ctx->s->peer.namaddr;
	case SMTPD_RS_HELO:
		return str_cstr(&ctx->s->helo);
	case SMTPD_RS_SENDER:
		smtpd_rs_quote(str_cstr(&ctx->s->sender), buf);
		return str_cstr(buf);
	case SMTPD_RS_DATA:
		return "DATA";
	default:
		smtpd_rs_quote(ctx->rcpt, buf);
		return str_cstr(buf);
	}
}

/* Lists first..last in order; 1 with the reply set when one rejects. */
static int smtpd_rs_run(smtpd_rs_ctx_t *ctx, enum smtpd_rs_which first, enum smtpd_rs_which last)
{
	str_t name = STR_INIT;
	int status = SMTPD_RS_DUNNO;

	for (enum smtpd_rs_which i = first; i <= last && status != SMTPD_RS_REJECT; i++) {
		ctx->name = smtpd_rs_name(ctx, i, &name);
		status = smtpd_rs_eval(ctx, &smtpd_rs_lists[i]);
	}
	str_free(&name);
	return status == SMTPD_RS_REJECT;
}

int smtpd_restrict_rcpt(smtpd_session_t *s, const char *rcpt, const char *given, str_t *reply)
{
	smtpd_rs_ctx_t ctx = { s, rcpt, given, NULL, NULL, reply };

	return smtpd_rs_run(&ctx, SMTPD_RS_CLIENT, SMTPD_RS_RECIPIENT);
}

int smtpd_restrict_data(smtpd_session_t *s, str_t *reply)
{
	smtpd_rs_ctx_t ctx = { s, NULL, NULL, NULL, NULL, reply };

	return smtpd_rs_run(&ctx, SMTPD_RS_DATA, SMTPD_RS_DATA);
}
