/*
 * admin_demo: the demo mailbox user of a new instance, demo@localhost.
 *
 * Its Maildir lives under virtual_mailbox_base and belongs to the mailbox
 * owner. Its random password is shown once by init, kept in
 * etc/demo.password (readable by root only, or by the instance's user),
 * and stored in etc/sasldb2, the user database that SMTP AUTH, POP3 and
 * IMAP authenticate against. The daemons read sasldb2 after dropping to
 * mail_owner, so a root instance gives it to mail_owner's group, read-only.
 */
#include "admin_init.h"

#define ADMIN_MAILDIR_MODE 0700
#define ADMIN_SECRET_MODE 0600
#define ADMIN_SASLDB "etc/sasldb2"

static const char *const admin_maildir_parts[] = {
	"mail/" ADMIN_DEMO_DOMAIN,
	"mail/" ADMIN_DEMO_DOMAIN "/" ADMIN_DEMO_USER,
	"mail/" ADMIN_DEMO_DOMAIN "/" ADMIN_DEMO_USER "/cur",
	"mail/" ADMIN_DEMO_DOMAIN "/" ADMIN_DEMO_USER "/new",
	"mail/" ADMIN_DEMO_DOMAIN "/" ADMIN_DEMO_USER "/tmp",
	NULL,
};

static void admin_demo_sasldb(const admin_instance_t *inst, const char *password)
{
	str_t path = STR_INIT;
	str_t err = STR_INIT;

	admin_inst_path(inst, ADMIN_SASLDB, &path);
	if (admin_sasl_setpass(str_cstr(&path), ADMIN_DEMO_USER, ADMIN_DEMO_DOMAIN,
			       password, &err) != 0)
		admin_fatal("%s: %s", str_cstr(&path), str_cstr(&err));
	admin_sasl_protect(str_cstr(&path), inst->root ? &inst->owner : NULL);
	str_free(&path);
	str_free(&err);
}

void admin_demo_create(const admin_instance_t *inst, char password[ADMIN_PASSWORD_LEN + 1])
{
	str_t text = STR_INIT;

	for (const char *const *part = admin_maildir_parts; *part; part++)
		admin_inst_mkdir(inst, *part, ADMIN_MAILDIR_MODE, &inst->vmail);
	admin_password_random(password);
	str_printf(&text, "%s\n", password);
	admin_inst_write(inst, "etc/demo.password", str_cstr(&text), ADMIN_SECRET_MODE, NULL);
	str_free(&text);
	admin_demo_sasldb(inst, password);
}
