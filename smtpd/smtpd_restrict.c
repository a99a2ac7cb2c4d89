/*
 * smtpd_restrict: Postfix's restriction lists (SMTPD_ACCESS_README).
 *
 *   smtpd_client_restrictions      at RCPT TO (smtpd_delay_reject = no: at connect)
 *   smtpd_helo_restrictions        at RCPT TO (no: at HELO/EHLO)
 *   smtpd_sender_restrictions      at RCPT TO (no: at MAIL FROM)
 *   smtpd_relay_restrictions,
 *   smtpd_recipient_restrictions   at RCPT TO, in this order
 *   smtpd_data_restrictions        at DATA (and the first BDAT chunk)
 *
 * With smtpd_delay_reject = yes (the default) the client, HELO and sender
 * lists wait for RCPT TO, as in Postfix, so a reject names the recipient
 * in the log and a client restriction can still let authenticated users
 * through. With no, each runs as soon as what it judges is known: a
 * client rejected at connect gets the reject instead of the greeting and
 * then "503 5.7.0 Error: access denied for name[addr]" to every command
 * but QUIT, a rejected HELO name is not taken, a rejected sender opens no
 * transaction; Postfix does the same.
 *
 * Each list is read left to right; the first rule that permits or rejects
 * ends it, and DUNNO goes on; a list that permits lets the next list
 * decide, so a recipient must pass the relay list and the recipient list.
 * The sender list is followed by the implicit reject_unlisted_sender, the
 * recipient list (smtpd_check.c) by the implicit reject_unlisted_recipient.
 * Once a DISCARD action fired, no rule runs for the rest of the
 * transaction: its mail is accepted and dropped (smtpd_access.c). Lists
 * are parsed once, at start; an unknown rule name is a fatal error.
 */
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

static int smtpd_rs_delay_reject;	/* smtpd_delay_reject */

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
	smtpd_rs_delay_reject = conf_bool("smtpd_delay_reject");
	for (size_t i = 0; i < SMTPD_RS_LIST_COUNT; i++)
		smtpd_rs_parse(&smtpd_rs_lists[i]);
	smtpd_rules_init();
	smtpd_check_init();
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
	for (size_t i = 0; i < list->count && !ctx->s->discard; i++) {
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

/* Lists first..last in order, with the implicit sender check after the
 * sender list; a smtpd_rs_status, the reply set on a reject. */
static int smtpd_rs_run(smtpd_rs_ctx_t *ctx, enum smtpd_rs_which first, enum smtpd_rs_which last)
{
	str_t name = STR_INIT;
	int status = SMTPD_RS_DUNNO;

	for (enum smtpd_rs_which i = first; i <= last && status != SMTPD_RS_REJECT; i++) {
		ctx->name = smtpd_rs_name(ctx, i, &name);
		status = smtpd_rs_eval(ctx, &smtpd_rs_lists[i]);
		if (i == SMTPD_RS_SENDER && status != SMTPD_RS_REJECT
		    && smtpd_check_implicit_sender(ctx) == SMTPD_RS_REJECT)
			status = SMTPD_RS_REJECT;
	}
	str_free(&name);
	return status;
}

/* One list run early (smtpd_delay_reject = no): a reject is replied and
 * logged here, with from=<sender> when one is known. 1 when rejected. */
static int smtpd_rs_early(smtpd_session_t *s, enum smtpd_rs_which which, const char *sender)
{
	str_t reply = STR_INIT;
	smtpd_rs_ctx_t ctx = { .s = s, .envelope = sender != NULL, .reply = &reply };
	int rejected = smtpd_rs_run(&ctx, which, which) == SMTPD_RS_REJECT;

	if (rejected) {
		smtpd_reply(s, "%s", reply.data);
		smtpd_log_action(s, "reject", s->where, reply.data, sender, NULL);
	}
	str_free(&reply);
	return rejected;
}

int smtpd_restrict_connect(smtpd_session_t *s)
{
	smtpd_pipelining_check(s, s->where);
	if (smtpd_rs_delay_reject || !smtpd_rs_early(s, SMTPD_RS_CLIENT, NULL))
		return 0;
	s->access_denied = 1;
	return 1;
}

int smtpd_restrict_denied(smtpd_session_t *s, const char *verb)
{
	if (!s->access_denied || strcmp(verb, "QUIT") == 0)
		return 0;
	smtpd_reply(s, "503 5.7.0 Error: access denied for %s", s->peer.namaddr);
	return 1;
}

/* The list judges the new name, and the log shows it, as in Postfix. */
int smtpd_restrict_helo(smtpd_session_t *s, const char *name)
{
	str_t taken = STR_INIT;
	int rejected;

	if (smtpd_rs_delay_reject)
		return 0;
	str_set(&taken, str_cstr(&s->helo));
	str_set(&s->helo, name);
	rejected = smtpd_rs_early(s, SMTPD_RS_HELO, NULL);
	if (rejected)
		str_set(&s->helo, taken.data);
	str_free(&taken);
	return rejected;
}

int smtpd_restrict_mail(smtpd_session_t *s)
{
	s->hold = 0;
	s->discard = 0;
	return !smtpd_rs_delay_reject && smtpd_rs_early(s, SMTPD_RS_SENDER, str_cstr(&s->sender));
}

int smtpd_restrict_rcpt(smtpd_rs_ctx_t *ctx)
{
	return smtpd_rs_run(ctx, smtpd_rs_delay_reject ? SMTPD_RS_CLIENT : SMTPD_RS_RELAY,
			    SMTPD_RS_RECIPIENT);
}

int smtpd_restrict_data(smtpd_session_t *s, str_t *reply)
{
	smtpd_rs_ctx_t ctx = { .s = s, .envelope = 1, .reply = reply };

	if (smtpd_rs_run(&ctx, SMTPD_RS_DATA, SMTPD_RS_DATA) == SMTPD_RS_REJECT)
		return 1;
	smtpd_access_mark(s);
	return 0;
}
