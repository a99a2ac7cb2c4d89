/*
 * smtpd_check: may this recipient be accepted? First the restriction
 * lists (smtpd_restrict.c: client, HELO, sender, relay, recipient), which
 * judge the address the client gave; then, as Postfix's implicit
 * reject_unlisted_recipient, whether the recipient exists, judged on what
 * it rewrites to (smtpd_mail.c): a mailbox, a local recipient, or an
 * address elsewhere. When the address expands into several, it is
 * accepted if any of them exists; the unknown ones are queued too and
 * bounce at delivery, as they would in Postfix, while one whose every
 * expansion is unknown is refused here.
 */
#include <string.h>

#include "addr.h"
#include "log.h"
#include "resolve.h"
#include "smtpd.h"

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
 * naming wire (the recipient as the client gave it). */
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
static int smtpd_check_finals(const char *rcpt, const resolve_result_t *given,
			      const char *finals, size_t nfinals, const char *wire,
			      const char **why, str_t *reply)
{
	resolve_result_t res;
	const char *addr = finals;
	const char *unknown = NULL;
	int status = 0;

	resolve_result_init(&res);
	for (size_t i = 0; i < nfinals && status == 0; i++, addr += strlen(addr) + 1) {
		if (strcmp(addr, rcpt) == 0)
			unknown = smtpd_check_unknown(given);
		else if (smtpd_check_resolve(addr, wire, &res, reply) < 0)
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

/* Returns 0 to accept, or 1 with the reply in reply. */
int smtpd_check_rcpt(smtpd_session_t *s, const char *rcpt, const char *given, const char *finals,
		     size_t nfinals, str_t *reply)
{
	resolve_result_t res;
	str_t wire = STR_INIT;
	const char *why = NULL;
	int reject = 1;

	if (smtpd_restrict_rcpt(s, rcpt, given, reply) != 0)
		return 1;
	addr_quote(rcpt, &wire);
	resolve_result_init(&res);
	if (smtpd_check_resolve(rcpt, str_cstr(&wire), &res, reply) < 0) {
		/* reply set */
	} else {
		switch (smtpd_check_finals(rcpt, &res, finals, nfinals, str_cstr(&wire), &why, reply)) {
		case 1:
			reject = 0;
			break;
		case 0:
			str_printf(reply, "550 5.1.1 <%s>: Recipient address rejected: %s",
				   str_cstr(&wire), why);
			break;
		default:
			break;	/* reply set */
		}
	}
	resolve_result_free(&res);
	str_free(&wire);
	return reject;
}
