/*
 * smtpd_check: may this recipient be accepted? Mail for our virtual and
 * local domains needs an existing mailbox; mail for anywhere else is
 * relayed only for clients in mynetworks. This is the fixed policy of the
 * base server; configurable restriction lists will replace it and keep
 * these reply texts, which are Postfix's.
 */
#include "addr.h"
#include "log.h"
#include "resolve.h"
#include "smtpd.h"

/* Returns 0 to accept, or 1 with the reply in reply. */
int smtpd_check_rcpt(smtpd_session_t *s, const char *rcpt, str_t *reply)
{
	resolve_result_t res;
	str_t wire = STR_INIT;
	int reject = 1;

	addr_quote(rcpt, &wire);
	resolve_result_init(&res);
	if (resolve_address(rcpt, &res) < 0) {
		log_warning("%s: recipient lookup failed: %s", str_cstr(&wire), str_cstr(&res.mailbox));
		str_printf(reply, "451 4.3.0 <%s>: Temporary lookup failure", str_cstr(&wire));
	} else if (res.cls == RESOLVE_VIRTUAL && !res.found) {
		str_printf(reply, "550 5.1.1 <%s>: Recipient address rejected: "
			   "User unknown in virtual mailbox table", str_cstr(&wire));
	} else if (res.cls == RESOLVE_LOCAL && !res.found) {
		str_printf(reply, "550 5.1.1 <%s>: Recipient address rejected: "
			   "User unknown in local recipient table", str_cstr(&wire));
	} else if (res.cls == RESOLVE_RELAY && !smtpd_mynet_match(&smtpd_conf.mynetworks, &s->peer.sa)) {
		str_printf(reply, "554 5.7.1 <%s>: Relay access denied", str_cstr(&wire));
	} else {
		reject = 0;
	}
	resolve_result_free(&res);
	str_free(&wire);
	return reject;
}
