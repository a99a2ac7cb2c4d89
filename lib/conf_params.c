/*
 * conf_params: every main.cf parameter Pochta knows, with its type, default
 * and bounds. Names and defaults follow Postfix where Postfix has the same
 * parameter. A NULL default is computed at load time (myhostname, mydomain).
 */
#include "conf.h"

#include <limits.h>

#define NOLIMIT LONG_MAX

const conf_param_t conf_params[] = {
	/* Locations and identity */
	{ "config_directory", CONF_STR, "/etc/pochta", 0, 0, 0 },
	{ "queue_directory", CONF_STR, "/var/spool/pochta", 0, 0, 0 },
	{ "daemon_directory", CONF_STR, "/usr/local/libexec/pochta", 0, 0, 0 },
	{ "mail_owner", CONF_STR, "pochta", 0, 0, 0 },
	{ "mail_name", CONF_STR, "Pochta", 0, 0, 0 },
	{ "mail_version", CONF_STR, "0.1", 0, 0, 0 },
	{ "syslog_name", CONF_STR, "pochta", 0, 0, 0 },
	{ "maillog_file", CONF_STR, "", 0, 0, 0 },
	{ "myhostname", CONF_STR, NULL, 0, 0, 0 },
	{ "mydomain", CONF_STR, NULL, 0, 0, 0 },
	{ "myorigin", CONF_STR, "$myhostname", 0, 0, 0 },
	{ "mydestination", CONF_STR, "$myhostname, localhost.$mydomain, localhost", 0, 0, 0 },
	{ "mynetworks", CONF_STR, "127.0.0.0/8 [::1]/128", 0, 0, 0 },
	{ "inet_interfaces", CONF_STR, "all", 0, 0, 0 },
	{ "recipient_delimiter", CONF_STR, "", 0, 0, 0 },

	/* master */
	{ "default_process_limit", CONF_INT, "100", 1, 100000, 0 },
	{ "max_use", CONF_INT, "100", 1, NOLIMIT, 0 },
	{ "max_idle", CONF_TIME, "100s", 1, NOLIMIT, 's' },
	{ "service_throttle_time", CONF_TIME, "60s", 1, NOLIMIT, 's' },
	{ "ipc_timeout", CONF_TIME, "3600s", 1, NOLIMIT, 's' },
	{ "daemon_timeout", CONF_TIME, "18000s", 1, NOLIMIT, 's' },

	/* smtpd */
	{ "smtpd_banner", CONF_STR, "$myhostname ESMTP $mail_name", 0, 0, 0 },
	{ "smtpd_timeout", CONF_TIME, "300s", 1, NOLIMIT, 's' },
	{ "smtpd_recipient_limit", CONF_INT, "1000", 1, NOLIMIT, 0 },
	{ "smtpd_hard_error_limit", CONF_INT, "20", 1, NOLIMIT, 0 },
	{ "smtpd_soft_error_limit", CONF_INT, "10", 1, NOLIMIT, 0 },
	{ "smtpd_error_sleep_time", CONF_TIME, "1s", 0, NOLIMIT, 's' },
	{ "smtpd_junk_command_limit", CONF_INT, "100", 1, NOLIMIT, 0 },
	{ "smtpd_forbid_bare_newline", CONF_STR, "normalize", 0, 0, 0 },
	{ "disable_vrfy_command", CONF_BOOL, "no", 0, 0, 0 },
	{ "message_size_limit", CONF_INT, "10240000", 0, NOLIMIT, 0 },
	{ "line_length_limit", CONF_INT, "2048", 512, 1 << 20, 0 },
	{ "header_size_limit", CONF_INT, "102400", 1024, NOLIMIT, 0 },

	/* TLS in smtpd: STARTTLS (RFC 3207) and, with wrappermode, implicit
	 * TLS (RFC 8314). Postfix's names and defaults: an empty security
	 * level means none. smtpd_tls_protocols takes ">=TLSv1.2" or
	 * ">=TLSv1.3"; TLS 1.2 ciphers are fixed (ECDHE with AES-GCM or
	 * ChaCha20-Poly1305). smtpd_tls_loglevel 1 logs each TLS session. */
	{ "smtpd_tls_security_level", CONF_STR, "", 0, 0, 0 },
	{ "smtpd_tls_cert_file", CONF_STR, "", 0, 0, 0 },
	{ "smtpd_tls_key_file", CONF_STR, "", 0, 0, 0 },
	{ "smtpd_tls_wrappermode", CONF_BOOL, "no", 0, 0, 0 },
	{ "smtpd_starttls_timeout", CONF_TIME, "300s", 1, NOLIMIT, 's' },
	{ "smtpd_tls_protocols", CONF_STR, ">=TLSv1.2", 0, 0, 0 },
	{ "smtpd_tls_loglevel", CONF_INT, "0", 0, 4, 0 },

	/* queue and scheduling */
	{ "queue_run_delay", CONF_TIME, "300s", 1, NOLIMIT, 's' },
	{ "minimal_backoff_time", CONF_TIME, "300s", 1, NOLIMIT, 's' },
	{ "maximal_backoff_time", CONF_TIME, "4000s", 1, NOLIMIT, 's' },
	{ "maximal_queue_lifetime", CONF_TIME, "5d", 0, NOLIMIT, 'd' },
	{ "qmgr_message_active_limit", CONF_INT, "20000", 1, NOLIMIT, 0 },
	{ "local_destination_concurrency_limit", CONF_INT, "2", 1, NOLIMIT, 0 },
	{ "virtual_destination_concurrency_limit", CONF_INT,
	  "$default_destination_concurrency_limit", 1, NOLIMIT, 0 },
	{ "default_destination_concurrency_limit", CONF_INT, "20", 1, NOLIMIT, 0 },

	/* delivery */
	{ "virtual_mailbox_domains", CONF_STR, "$virtual_mailbox_maps", 0, 0, 0 },
	{ "virtual_mailbox_maps", CONF_STR, "", 0, 0, 0 },
	{ "virtual_mailbox_base", CONF_STR, "", 0, 0, 0 },
	{ "virtual_uid_maps", CONF_STR, "", 0, 0, 0 },
	{ "virtual_gid_maps", CONF_STR, "", 0, 0, 0 },
	{ "virtual_minimum_uid", CONF_INT, "100", 0, NOLIMIT, 0 },

	/* users and authentication: the Cyrus SASL user database (a Berkeley
	 * DB file) that "pochta user" writes and SMTP AUTH, POP3 and IMAP
	 * read through libsasl2; the name is Cyrus SASL's own option for it */
	{ "sasldb_path", CONF_STR, "$config_directory/sasldb2", 0, 0, 0 },

	/* SMTP AUTH in smtpd (RFC 4954) through libsasl2 against sasldb_path.
	 * Postfix's names and defaults, except smtpd_tls_auth_only: Pochta
	 * offers AUTH only under TLS unless the administrator says otherwise */
	{ "smtpd_sasl_auth_enable", CONF_BOOL, "no", 0, 0, 0 },
	{ "smtpd_tls_auth_only", CONF_BOOL, "yes", 0, 0, 0 },
	{ "smtpd_sasl_security_options", CONF_STR, "noanonymous", 0, 0, 0 },
	{ "smtpd_sasl_response_limit", CONF_INT, "12288", 1, NOLIMIT, 0 },
	{ "smtpd_sasl_service", CONF_STR, "smtp", 0, 0, 0 },
	/* Pochta's own: the mechanisms libsasl2 may offer (its mech_list;
	 * empty: every installed plugin). Not SCRAM by default: Cyrus SCRAM
	 * answers an unknown user at once, which tells who exists. */
	{ "smtpd_sasl_mechanism_list", CONF_STR, "PLAIN LOGIN CRAM-MD5", 0, 0, 0 },

	/* smtpd's restriction lists (SMTPD_ACCESS_README), Postfix's names,
	 * order and defaults; smtpd_sender_login_maps empty means each address
	 * is owned by the SASL login of the same name (smtpd_rules.c) */
	{ "smtpd_client_restrictions", CONF_STR, "", 0, 0, 0 },
	{ "smtpd_helo_restrictions", CONF_STR, "", 0, 0, 0 },
	{ "smtpd_sender_restrictions", CONF_STR, "", 0, 0, 0 },
	{ "smtpd_relay_restrictions", CONF_STR,
	  "permit_mynetworks, permit_sasl_authenticated, defer_unauth_destination", 0, 0, 0 },
	{ "smtpd_recipient_restrictions", CONF_STR, "", 0, 0, 0 },
	{ "smtpd_data_restrictions", CONF_STR, "", 0, 0, 0 },
	{ "smtpd_delay_reject", CONF_BOOL, "yes", 0, 0, 0 },
	{ "smtpd_sender_login_maps", CONF_STR, "", 0, 0, 0 },

	/* address classes and rewriting: the domain lists that decide a
	 * recipient's class, the recipient check for local domains, and the
	 * canonical and virtual alias tables applied as mail is queued */
	{ "virtual_alias_maps", CONF_STR, "", 0, 0, 0 },
	{ "virtual_alias_domains", CONF_STR, "$virtual_alias_maps", 0, 0, 0 },
	{ "virtual_alias_recursion_limit", CONF_INT, "1000", 1, NOLIMIT, 0 },
	{ "virtual_alias_expansion_limit", CONF_INT, "1000", 1, NOLIMIT, 0 },
	{ "relay_domains", CONF_STR, "", 0, 0, 0 },
	{ "local_recipient_maps", CONF_STR, "unix:passwd.byname $alias_maps", 0, 0, 0 },
	{ "alias_maps", CONF_STR, "hash:/etc/aliases", 0, 0, 0 },	/* local aliases, read by local too */
	{ "canonical_maps", CONF_STR, "", 0, 0, 0 },
	{ "recipient_canonical_maps", CONF_STR, "", 0, 0, 0 },
	{ "sender_canonical_maps", CONF_STR, "", 0, 0, 0 },

	/* local delivery methods: commands, files, home mailboxes and quota.
	 * home_mailbox: Postfix's default is empty (mail_spool_directory);
	 * Pochta's is "Maildir/" below the user's home. The limits are
	 * Postfix's; virtual_mailbox_limit caps a whole virtual Maildir (with
	 * Maildir++ maildirsize), as the Postfix VDA extension does. */
	{ "mailbox_command", CONF_STR, "", 0, 0, 0 },
	{ "home_mailbox", CONF_STR, "Maildir/", 0, 0, 0 },
	{ "mail_spool_directory", CONF_STR, "/var/mail", 0, 0, 0 },
	{ "command_time_limit", CONF_TIME, "1000s", 1, NOLIMIT, 's' },
	{ "command_execution_directory", CONF_STR, "", 0, 0, 0 },
	{ "default_privs", CONF_STR, "nobody", 0, 0, 0 },
	{ "mailbox_size_limit", CONF_INT, "51200000", 0, NOLIMIT, 0 },
	{ "virtual_mailbox_limit", CONF_INT, "51200000", 0, NOLIMIT, 0 },

	/* local aliases and forwarding: alias_database for newaliases, which
	 * targets may be commands or files, where .forward files are, and
	 * owner- aliases (alias_maps itself is declared above) */
	{ "alias_database", CONF_STR, "hash:/etc/aliases", 0, 0, 0 },
	{ "allow_mail_to_commands", CONF_STR, "alias, forward", 0, 0, 0 },
	{ "allow_mail_to_files", CONF_STR, "alias, forward", 0, 0, 0 },
	{ "forward_path", CONF_STR,
	  "$home/.forward${recipient_delimiter}${extension}, $home/.forward", 0, 0, 0 },
	{ "owner_request_special", CONF_BOOL, "yes", 0, 0, 0 },
	{ "propagate_unmatched_extensions", CONF_STR, "canonical, virtual", 0, 0, 0 },

	{ NULL, CONF_STR, NULL, 0, 0, 0 }
};
