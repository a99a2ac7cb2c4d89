/*
 * sendmail_envelope: the envelope of a submission. The sender is -f (or
 * -r) when given, else the user's login name, which pickup qualifies
 * with $myorigin; recipients come from the command line (and with -t
 * from the header, sendmail_submit.c). Addresses may be written as in a
 * header ("Jo <jo@example.org>, al@example.org") and must then be valid
 * RFC 5321 paths; a bad one is EX_NOUSER.
 */
#include <pwd.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "addr.h"
#include "addr_list.h"
#include "sendmail.h"
#include "submit.h"
#include "usermsg.h"

const char *sendmail_login(void)
{
	static str_t login = STR_INIT;
	struct passwd *pw;

	if (login.len == 0) {
		if ((pw = getpwuid(getuid())) == NULL)
			usermsg_fatal(EX_OSERR, "no login name found for user ID %ld", (long)getuid());
		str_set(&login, pw->pw_name);
	}
	return login.data;
}

/* One address of a list, checked, in the queue's form. */
static int sendmail_one_addr(const char *text, int flags, str_t *out, str_t *why)
{
	const char *rest, *reason;

	if (addr_parse_path(text, flags | ADDR_ALLOW_NOBRACKETS | ADDR_ALLOW_8BIT, out, &rest,
			    &reason) < 0 || *rest) {
		str_printf(why, "bad address syntax: %s", text);
		return -1;
	}
	if (addr_charset(out->data) == ADDR_NOT_UTF8) {
		str_printf(why, "bad address: %s: not valid UTF-8", text);
		return -1;
	}
	return 0;
}

int sendmail_add_rcpts(maildrop_env_t *env, const char *list, str_t *why)
{
	str_t found = STR_INIT, addr = STR_INIT;
	size_t count = 0;
	const char *a;
	int status = addr_list_parse(list, &found, &count);

	if (status < 0)
		str_printf(why, "bad address syntax: %s", list);
	a = found.data;
	for (size_t i = 0; status == 0 && i < count; i++, a += strlen(a) + 1) {
		if (env->nrcpts >= MAILDROP_RCPT_MAX) {
			str_printf(why, "too many recipients (at most %d)", MAILDROP_RCPT_MAX);
			status = -1;
		} else if ((status = sendmail_one_addr(a, 0, &addr, why)) == 0) {
			maildrop_env_add_rcpt(env, addr.data);
		}
	}
	str_free(&found);
	str_free(&addr);
	return status;
}

int sendmail_parse_sender(const char *text, str_t *out, str_t *why)
{
	str_t found = STR_INIT;
	size_t count = 0;
	int status = 0;

	str_set(out, "");
	if (*text == 0 || strcmp(text, "<>") == 0)
		return 0;	/* the null sender */
	if (addr_list_parse(text, &found, &count) < 0 || count != 1) {
		str_printf(why, "bad sender address syntax: %s", text);
		status = -1;
	} else {
		status = sendmail_one_addr(found.data, ADDR_ALLOW_NULL, out, why);
	}
	str_free(&found);
	return status;
}

void sendmail_check_user(const char *sender)
{
	const char *login = sendmail_login();
	str_t why = STR_INIT;
	int status = submit_user_allowed(login, &why);

	if (status == SUBMIT_DENIED)
		usermsg_fatal(EX_NOPERM, "User %s(%ld) is not allowed to submit mail", login,
			      (long)getuid());
	if (status == SUBMIT_ALLOWED
	    && submit_sender_allowed(login, sender, &why) == SUBMIT_DENIED)
		usermsg_fatal(EX_NOPERM, "User %s(%ld) is not allowed to use sender address <%s>",
			      login, (long)getuid(), sender);
	/* a table this user cannot read: pickup decides */
	str_free(&why);
}

void sendmail_envelope(const sendmail_opts_t *opts, maildrop_env_t *env)
{
	str_t why = STR_INIT;

	maildrop_env_init(env);
	if (opts->sender == NULL)
		str_set(&env->sender, sendmail_login());
	else if (sendmail_parse_sender(opts->sender, &env->sender, &why) < 0)
		usermsg_fatal(EX_NOUSER, "%s", why.data);
	sendmail_check_user(env->sender.data);
	if (opts->fullname && *opts->fullname)
		str_set(&env->fullname, opts->fullname);
	env->notify = opts->notify;
	if (opts->ret)
		str_set(&env->dsn_ret, opts->ret);
	if (opts->envid)
		str_set(&env->dsn_envid, opts->envid);
	if (opts->body_type)
		str_set(&env->body_type, opts->body_type);
	for (int i = 0; i < opts->nrcpts; i++)
		if (sendmail_add_rcpts(env, opts->rcpts[i], &why) < 0)
			usermsg_fatal(EX_NOUSER, "%s", why.data);
	str_free(&why);
}
