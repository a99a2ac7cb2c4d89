/*
 * submit: who may submit mail from this host (sendmail, and pickup, which
 * enforces it with the owner of each maildrop file), with Postfix's
 * parameters:
 *
 * authorized_submit_users (default static:anyone): a list of login names,
 *   "!name" (not this one) and type:table entries (a name the table
 *   finds); the first entry that matches decides, and no match (an empty
 *   list too) means no.
 * local_login_sender_maps (default static:*): tables looked up by login
 *   name whose value lists the envelope senders that login may use: "*"
 *   any, "<>" the null sender, "@domain" any address there, or an address
 *   (without a domain: at $myorigin). A login may always use its own
 *   address, "login" or "login@$myorigin".
 */
#ifndef POCHTA_SUBMIT_H
#define POCHTA_SUBMIT_H

#include "str.h"

enum submit_status { SUBMIT_DENIED = 0, SUBMIT_ALLOWED = 1, SUBMIT_ERROR = -1 };

/* A submit_status; SUBMIT_ERROR when a table cannot be read now (why). */
int submit_user_allowed(const char *login, str_t *why);
/* sender as given ("" for the null sender, "name" or "name@domain"). */
int submit_sender_allowed(const char *login, const char *sender, str_t *why);

#endif
