/*
 * sendmail_verify: sendmail -bv. Each recipient is rewritten and resolved
 * as pickup and qmgr would (canonical maps, virtual aliases, the address
 * classes of resolve.h), and the verdict is printed, one line per final
 * address, rather than mailed as Postfix does:
 *
 *   demo@localhost: deliverable: virtual mailbox localhost/demo/
 *   nobody@localhost: undeliverable: User unknown in virtual mailbox table
 *   team@example.org -> ann@example.org: deliverable: relayed to example.org
 *
 * The tables are read as the user who runs it; one that user cannot read
 * is a temporary failure. Exit status: EX_OK when every address is
 * deliverable, else EX_NOUSER, or EX_TEMPFAIL when a table failed.
 */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "conf.h"
#include "resolve.h"
#include "rewrite.h"
#include "sendmail.h"
#include "usermsg.h"

/* The verdict on one final address. */
static int sendmail_verdict(const resolve_result_t *res, str_t *text)
{
	static const char *const unknown[] = {
		[RESOLVE_VIRTUAL] = "virtual mailbox table",
		[RESOLVE_LOCAL] = "local recipient table",
		[RESOLVE_ALIAS] = "virtual alias table",
	};

	if (!res->found) {
		str_printf(text, "undeliverable: User unknown in %s",
			   res->cls < sizeof(unknown) / sizeof(unknown[0]) && unknown[res->cls]
			   ? unknown[res->cls] : "the recipient tables");
		return EX_NOUSER;
	}
	if (res->cls == RESOLVE_VIRTUAL)
		str_printf(text, "deliverable: virtual mailbox %s", res->mailbox.data);
	else if (res->cls == RESOLVE_LOCAL)
		str_printf(text, "deliverable: local user %s", res->mailbox.data);
	else
		str_printf(text, "deliverable: relayed to %s", res->domain.data);
	return EX_OK;
}

/* One final address, printed; its status. */
static int sendmail_verify_final(const char *given, const char *final)
{
	resolve_result_t res;
	str_t text = STR_INIT;
	int status;

	resolve_result_init(&res);
	if (resolve_address(final, &res) < 0) {
		str_printf(&text, "undeliverable for now: %s", res.mailbox.data);
		status = EX_TEMPFAIL;
	} else {
		status = sendmail_verdict(&res, &text);
	}
	if (strcmp(given, final) == 0)
		printf("%s: %s\n", given, text.data);
	else
		printf("%s -> %s: %s\n", given, final, text.data);
	resolve_result_free(&res);
	str_free(&text);
	return status;
}

/* One recipient, qualified and rewritten; the worst status of its finals. */
static int sendmail_verify_one(const char *rcpt)
{
	str_t given = STR_INIT, canon = STR_INIT, finals = STR_INIT, why = STR_INIT;
	size_t count = 0;
	int status = EX_OK;

	str_set(&given, rcpt);
	if (strchr(rcpt, '@') == NULL)
		str_printf(&given, "@%s", conf_str("myorigin"));
	if (rewrite_recipient(given.data, &canon, &why) != REWRITE_OK
	    || rewrite_virtual_alias(canon.data, &finals, &count, &why) != REWRITE_OK) {
		printf("%s: undeliverable for now: %s\n", given.data, why.data);
		status = EX_TEMPFAIL;
	}
	for (const char *f = finals.data; count > 0; count--, f += strlen(f) + 1) {
		int one = sendmail_verify_final(given.data, f);

		if (status != EX_TEMPFAIL && one != EX_OK)
			status = one;
	}
	str_free(&given);
	str_free(&canon);
	str_free(&finals);
	str_free(&why);
	return status;
}

int sendmail_verify(const sendmail_opts_t *opts)
{
	maildrop_env_t env;
	str_t err = STR_INIT;
	const char *rcpt;
	int status = EX_OK;

	if (opts->nrcpts == 0)
		usermsg_fatal(EX_USAGE, "-bv: no recipient addresses to verify");
	maildrop_env_init(&env);
	for (int i = 0; i < opts->nrcpts; i++)
		if (sendmail_add_rcpts(&env, opts->rcpts[i], &err) < 0)
			usermsg_fatal(EX_NOUSER, "%s", err.data);
	if (resolve_init(&err) != 0 || rewrite_init(&err) != 0)
		usermsg_fatal(EX_TEMPFAIL, "%s", err.data);
	rcpt = env.rcpts.data;
	for (size_t i = 0; i < env.nrcpts; i++, rcpt += strlen(rcpt) + 1) {
		int one = sendmail_verify_one(rcpt);

		if (status != EX_TEMPFAIL && one != EX_OK)
			status = one;
	}
	maildrop_env_free(&env);
	str_free(&err);
	return status;
}
