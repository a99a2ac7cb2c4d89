/*
 * admin_initconf: the configuration files of a new instance, written by
 * "pochta init". Every path is absolute, so the instance works from any
 * working directory, and every setting carries a comment saying why it is
 * there. Parameter names and meanings are Postfix's.
 */
#include "admin_init.h"
#include "dict.h"

#define ADMIN_PORT_SMTPS 465		/* implicit TLS, RFC 8314 */
#define ADMIN_PORT_SUBMISSION 587	/* RFC 6409 */
#define ADMIN_PORT_POP3 110		/* RFC 1939 */
#define ADMIN_PORT_POP3S 995		/* POP3 over implicit TLS, RFC 8314 */

/* Submission and smtps: Postfix's documented settings for mail clients. */
#define ADMIN_INITCONF_MUA_RESTRICTIONS \
	"    -o smtpd_client_restrictions=permit_sasl_authenticated,reject\n" \
	"    -o smtpd_sender_restrictions=reject_sender_login_mismatch\n" \
	"    -o smtpd_relay_restrictions=permit_sasl_authenticated,reject\n"

static void admin_initconf_paths(const admin_instance_t *inst, str_t *t)
{
	str_printf(t, "# Pochta main.cf for the instance in %s, written by \"pochta init\".\n"
		   "# Parameter names and meanings follow Postfix; run it with\n"
		   "#   pochta -c %s/etc start\n\n", inst->dir, inst->dir);
	str_printf(t, "# Queue files, daemon sockets and master's pid file.\n"
		   "queue_directory = %s/queue\n\n", inst->dir);
	str_printf(t, "# Where master finds smtpd, qmgr, local and the other daemons.\n"
		   "daemon_directory = %s\n\n", inst->daemon_dir);
	str_printf(t, "# The mail log; each daemon opens it before dropping privileges.\n"
		   "maillog_file = %s/log/maillog\n\n", inst->dir);
}

static void admin_initconf_identity(const admin_instance_t *inst, str_t *t)
{
	str_append_cstr(t, "# The name this server gives itself in SMTP greetings and headers.\n"
			"myhostname = localhost\n\n"
			"# No domains are delivered to system users: localhost is a\n"
			"# virtual domain below, with mailboxes that belong to the instance.\n"
			"mydestination =\n\n"
			"# Listen on loopback only; the ports are in master.cf.\n"
			"inet_interfaces = 127.0.0.1\n\n");
	str_printf(t, "# The unprivileged user that smtpd and qmgr run as%s.\n"
		   "mail_owner = %s\n\n",
		   inst->root ? " (master runs as root)" : " (this whole instance runs as it)",
		   inst->owner.name);
}

static void admin_initconf_virtual(const admin_instance_t *inst, str_t *t)
{
	str_append_cstr(t, "# Virtual mailboxes: which addresses (\"address path/\" lines; a\n"
			"# trailing / means Maildir; \"pochta user\" edits them), under which\n"
			"# directory, and which domains: every domain with an address in the\n"
			"# table, so that adding a user in a new domain makes the domain ours.\n");
	str_printf(t, "virtual_mailbox_maps = texthash:%s/etc/vmailbox\n"
		   "virtual_mailbox_base = %s/mail\n"
		   "virtual_mailbox_domains = $virtual_mailbox_maps\n\n", inst->dir, inst->dir);
	if (inst->root)
		str_printf(t, "# The owner of the mailboxes (%s), kept apart from mail_owner so\n"
			   "# that the daemons that talk to the network cannot read stored mail.\n",
			   inst->vmail.name);
	else
		str_printf(t, "# The owner of the mailboxes: %s, who runs this instance.\n",
			   inst->vmail.name);
	str_printf(t, "virtual_uid_maps = static:%ld\n"
		   "virtual_gid_maps = static:%ld\n\n", (long)inst->vmail.uid, (long)inst->vmail.gid);
}

static void admin_initconf_alias_maps(const admin_instance_t *inst, str_t *t)
{
	str_printf(t, "# Local aliases (aliases(5)) for the domains in mydestination (none\n"
		   "# above); after editing etc/aliases run \"pochta -c %s/etc newaliases\".\n"
		   "alias_maps = hash:%s/etc/aliases\n"
		   "alias_database = hash:%s/etc/aliases\n\n", inst->dir, inst->dir, inst->dir);
}

static void admin_initconf_tls(const admin_instance_t *inst, str_t *t)
{
	str_printf(t, "# The self-signed certificate made by init (CN and SAN localhost);\n"
		   "# replace both files to use a real one.\n"
		   "smtpd_tls_cert_file = %s/etc/tls/cert.pem\n"
		   "smtpd_tls_key_file = %s/etc/tls/key.pem\n\n", inst->dir, inst->dir);
	str_append_cstr(t, "# Offer STARTTLS on port 25; clients may still send in the clear.\n"
			"# Submission requires it and smtps starts with TLS (master.cf).\n"
			"smtpd_tls_security_level = may\n\n"
			"# Log the protocol and cipher of every TLS session.\n"
			"smtpd_tls_loglevel = 1\n");
}

static void admin_initconf_auth(str_t *t)
{
	str_append_cstr(t, "\n# SMTP AUTH against etc/sasldb2 (\"pochta user\" manages it). The\n"
			"# sandbox listens on loopback only, so it allows plaintext AUTH\n"
			"# also without TLS; a real server keeps smtpd_tls_auth_only = yes.\n"
			"smtpd_sasl_auth_enable = yes\n"
			"smtpd_tls_auth_only = no\n");
	str_append_cstr(t, "\n# POP3 logins with USER/PASS before STLS, for the same reason; a\n"
			"# real server keeps pop3d_disable_plaintext_auth = yes.\n"
			"pop3d_disable_plaintext_auth = no\n");
	str_append_cstr(t, "\n# Relay for mynetworks and logged-in users only; mail for elsewhere\n"
			"# from anyone else is refused at once (554) rather than deferred by\n"
			"# Postfix's default defer_unauth_destination.\n"
			"smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated,\n"
			"    reject_unauth_destination\n");
}

void admin_initconf_main_cf(const admin_instance_t *inst, str_t *text)
{
	admin_initconf_paths(inst, text);
	admin_initconf_identity(inst, text);
	admin_initconf_virtual(inst, text);
	admin_initconf_alias_maps(inst, text);
	admin_initconf_tls(inst, text);
	admin_initconf_auth(text);
}

void admin_initconf_master_cf(const admin_instance_t *inst, str_t *text)
{
	str_printf(text, "# Pochta master.cf for the instance in %s, written by \"pochta init\".\n"
		   "# One service per line; \"-\" means the default shown in parentheses.\n"
		   "#\n"
		   "# service   type  private unpriv  chroot  wakeup  maxproc command + args\n"
		   "#                 (yes)   (yes)   (no)    (never) (100)\n"
		   "# ==========================================================================\n"
		   "# SMTP on port %ld (%ld + 25), on the addresses in inet_interfaces.\n"
		   "# IMAP (+143, +993) is added here when that service exists.\n",
		   inst->dir, inst->port_offset + ADMIN_PORT_SMTP, inst->port_offset);
	str_printf(text, "%-9ld   inet  n       -       n       -       -       smtpd\n",
		   inst->port_offset + ADMIN_PORT_SMTP);
	str_printf(text, "# smtps (RFC 8314): TLS from the first byte, then AUTH; only logged-in\n"
		   "# users, sending as their own address (smtpd_sender_login_maps).\n"
		   "%-9ld   inet  n       -       n       -       -       smtpd\n"
		   "    -o smtpd_tls_wrappermode=yes -o smtpd_sasl_auth_enable=yes\n%s",
		   inst->port_offset + ADMIN_PORT_SMTPS, ADMIN_INITCONF_MUA_RESTRICTIONS);
	str_printf(text, "# Submission (RFC 6409): STARTTLS before anything else, then AUTH,\n"
		   "# with the same restrictions as smtps.\n"
		   "%-9ld   inet  n       -       n       -       -       smtpd\n"
		   "    -o smtpd_tls_security_level=encrypt -o smtpd_sasl_auth_enable=yes\n%s",
		   inst->port_offset + ADMIN_PORT_SUBMISSION, ADMIN_INITCONF_MUA_RESTRICTIONS);
	str_printf(text, "# POP3 on port %ld (+110) with STLS, and pop3s on %ld (+995) with TLS\n"
		   "# from the first byte. pop3d starts as root (unpriv n) only to give each\n"
		   "# session the mailbox owner's ids; a login process of mail_owner's reads\n"
		   "# the client until then.\n"
		   "%-9ld   inet  n       n       n       -       -       pop3d\n"
		   "%-9ld   inet  n       n       n       -       -       pop3d\n"
		   "    -o pop3d_tls_wrappermode=yes\n",
		   inst->port_offset + ADMIN_PORT_POP3, inst->port_offset + ADMIN_PORT_POP3S,
		   inst->port_offset + ADMIN_PORT_POP3, inst->port_offset + ADMIN_PORT_POP3S);
	str_append_cstr(text,
			"# The queue manager: one resident process, woken by smtpd, and on its\n"
			"# own every 300 seconds.\n"
			"qmgr        unix  n       -       n       300     1       qmgr\n"
			"# Local submission: what sendmail left in maildrop/ goes into the\n"
			"# queue; woken by postdrop, and on its own every 60 seconds.\n"
			"pickup      unix  n       -       n       60      1       pickup\n"
			"# Delivery into Maildirs; runs as root only to switch to the mailbox owner.\n"
			"local       unix  -       n       n       -       -       local\n"
			"# Client connection and rate counts for smtpd's limits: one process.\n"
			"anvil       unix  -       -       n       -       1       anvil\n"
			"# The queue listing for local users (mailq): queue_directory/showq.\n"
			"../showq    unix  n       -       n       -       -       showq\n"
			"# Delivery to other servers over SMTP: relay is the transport of\n"
			"# relay_domains, smtp that of every other remote domain.\n"
			"smtp        unix  -       -       n       -       -       smtp\n"
			"relay       unix  -       -       n       -       -       smtp\n");
}

void admin_initconf_vmailbox(str_t *text)
{
	str_append_cstr(text, "# Virtual mailboxes: address, then the Maildir under\n"
			"# virtual_mailbox_base (a trailing / means Maildir).\n"
			"# \"pochta user add|del\" edit this file and keep the rest of it.\n"
			ADMIN_DEMO_USER "@" ADMIN_DEMO_DOMAIN "    "
			ADMIN_DEMO_DOMAIN "/" ADMIN_DEMO_USER "/\n");
}

void admin_initconf_aliases(const admin_instance_t *inst, mode_t mode)
{
	str_t path = STR_INIT, spec = STR_INIT, err = STR_INIT;

	admin_inst_write(inst, "etc/aliases",
			 "# Local aliases (aliases(5)): \"name: target, ...\". They apply to the\n"
			 "# domains in mydestination; run \"pochta newaliases\" after a change.\n"
			 "# postmaster and MAILER-DAEMON must reach a person: the demo mailbox.\n"
			 "mailer-daemon: postmaster\n"
			 "postmaster: " ADMIN_DEMO_USER "@" ADMIN_DEMO_DOMAIN "\n",
			 mode, NULL);
	admin_inst_path(inst, "etc/aliases", &path);
	str_printf(&spec, "hash:%s", str_cstr(&path));
	if (dict_build(str_cstr(&spec), DICT_BUILD_ALIAS, &err) != 0)
		admin_fatal("%s", str_cstr(&err));
	str_free(&path);
	str_free(&spec);
	str_free(&err);
}
