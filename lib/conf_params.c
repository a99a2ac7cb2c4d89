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
	{ "daemon_directory", CONF_STR, "/usr/libexec/pochta", 0, 0, 0 },
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
	/* Postfix's overload flag: master adds "-o stress=yes" for the extra
	 * process that answers "busy" while a service is at its process limit */
	{ "stress", CONF_STR, "", 0, 0, 0 },

	/* smtpd */
	{ "smtpd_banner", CONF_STR, "$myhostname ESMTP $mail_name", 0, 0, 0 },
	{ "smtpd_timeout", CONF_TIME, "300s", 1, NOLIMIT, 's' },
	/* smtpd_timeout per whole request rather than per read or write;
	 * Postfix's default: on only under stress */
	{ "smtpd_per_request_deadline", CONF_BOOL, "${stress?yes}${stress:no}", 0, 0, 0 },
	{ "smtpd_min_data_rate", CONF_INT, "500", 1, INT_MAX, 0 },
	{ "smtpd_recipient_limit", CONF_INT, "1000", 1, NOLIMIT, 0 },
	{ "smtpd_hard_error_limit", CONF_INT, "20", 1, NOLIMIT, 0 },
	{ "smtpd_soft_error_limit", CONF_INT, "10", 1, NOLIMIT, 0 },
	{ "smtpd_error_sleep_time", CONF_TIME, "1s", 0, NOLIMIT, 's' },
	{ "smtpd_junk_command_limit", CONF_INT, "100", 1, NOLIMIT, 0 },
	{ "smtpd_forbid_bare_newline", CONF_STR, "normalize", 0, 0, 0 },
	{ "disable_vrfy_command", CONF_BOOL, "no", 0, 0, 0 },
	{ "message_size_limit", CONF_INT, "10240000", 0, NOLIMIT, 0 },
	{ "queue_minfree", CONF_INT, "0", 0, NOLIMIT, 0 },
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
	/* how long a resumable TLS session lives, and how often master makes a
	 * new ticket key (tlsmgr's job in Postfix); 0: no resumption. At most
	 * 100 days, as in Postfix */
	{ "smtpd_tls_session_cache_timeout", CONF_TIME, "3600s", 0, 8640000, 's' },

	/* queue and scheduling */
	{ "queue_run_delay", CONF_TIME, "300s", 1, NOLIMIT, 's' },
	{ "minimal_backoff_time", CONF_TIME, "300s", 1, NOLIMIT, 's' },
	{ "maximal_backoff_time", CONF_TIME, "4000s", 1, NOLIMIT, 's' },
	{ "maximal_queue_lifetime", CONF_TIME, "5d", 0, NOLIMIT, 'd' },
	{ "bounce_queue_lifetime", CONF_TIME, "5d", 0, NOLIMIT, 'd' },
	/* who hears of mail problems: "2bounce" sends a failed notice about
	 * a bounce to 2bounce_notice_recipient (dropped otherwise) */
	{ "notify_classes", CONF_STR, "resource, software", 0, 0, 0 },
	{ "2bounce_notice_recipient", CONF_STR, "postmaster", 0, 0, 0 },
	{ "qmgr_message_active_limit", CONF_INT, "20000", 1, NOLIMIT, 0 },
	{ "local_destination_concurrency_limit", CONF_INT, "2", 1, NOLIMIT, 0 },
	{ "virtual_destination_concurrency_limit", CONF_INT,
	  "$default_destination_concurrency_limit", 1, NOLIMIT, 0 },
	{ "default_destination_concurrency_limit", CONF_INT, "20", 1, NOLIMIT, 0 },
	{ "smtp_destination_concurrency_limit", CONF_INT,
	  "$default_destination_concurrency_limit", 1, NOLIMIT, 0 },
	{ "relay_destination_concurrency_limit", CONF_INT,
	  "$default_destination_concurrency_limit", 1, NOLIMIT, 0 },
	/* qmgr's per-destination scheduling (a destination is a transport
	 * and a next hop): slow start from initial_destination_concurrency,
	 * recipients per request, and how many pseudo-cohorts of connection
	 * failures make a destination dead (0: never). NAME_ variants for
	 * other master.cf transports are read the same way */
	{ "initial_destination_concurrency", CONF_INT, "5", 1, NOLIMIT, 0 },
	{ "default_destination_recipient_limit", CONF_INT, "50", 1, NOLIMIT, 0 },
	{ "smtp_destination_recipient_limit", CONF_INT,
	  "$default_destination_recipient_limit", 1, NOLIMIT, 0 },
	{ "relay_destination_recipient_limit", CONF_INT,
	  "$default_destination_recipient_limit", 1, NOLIMIT, 0 },
	{ "default_destination_concurrency_failed_cohort_limit", CONF_INT, "1", 0, NOLIMIT, 0 },
	{ "smtp_destination_concurrency_failed_cohort_limit", CONF_INT,
	  "$default_destination_concurrency_failed_cohort_limit", 0, NOLIMIT, 0 },
	{ "relay_destination_concurrency_failed_cohort_limit", CONF_INT,
	  "$default_destination_concurrency_failed_cohort_limit", 0, NOLIMIT, 0 },
	/* a sender whose message has waited this long is told once that it
	 * is still being retried; 0: never */
	{ "delay_warning_time", CONF_TIME, "0h", 0, NOLIMIT, 'h' },

	/* routing in qmgr (transport(5)): transport_maps first, then
	 * relay_transport for relay_domains and default_transport for the
	 * rest, whose next hop is relayhost when set */
	{ "transport_maps", CONF_STR, "", 0, 0, 0 },
	{ "default_transport", CONF_STR, "smtp", 0, 0, 0 },
	{ "relay_transport", CONF_STR, "relay", 0, 0, 0 },
	{ "relayhost", CONF_STR, "", 0, 0, 0 },

	/* the smtp client (delivery agent): Postfix's names and defaults;
	 * smtp_tls_security_level takes none, may, encrypt or verify */
	{ "smtp_helo_name", CONF_STR, "$myhostname", 0, 0, 0 },
	{ "smtp_connect_timeout", CONF_TIME, "30s", 1, NOLIMIT, 's' },
	{ "smtp_helo_timeout", CONF_TIME, "300s", 1, NOLIMIT, 's' },
	{ "smtp_starttls_timeout", CONF_TIME, "300s", 1, NOLIMIT, 's' },
	{ "smtp_mail_timeout", CONF_TIME, "300s", 1, NOLIMIT, 's' },
	{ "smtp_rcpt_timeout", CONF_TIME, "300s", 1, NOLIMIT, 's' },
	{ "smtp_data_init_timeout", CONF_TIME, "120s", 1, NOLIMIT, 's' },
	{ "smtp_data_xfer_timeout", CONF_TIME, "180s", 1, NOLIMIT, 's' },
	{ "smtp_data_done_timeout", CONF_TIME, "600s", 1, NOLIMIT, 's' },
	{ "smtp_rset_timeout", CONF_TIME, "20s", 1, NOLIMIT, 's' },
	{ "smtp_quit_timeout", CONF_TIME, "300s", 1, NOLIMIT, 's' },
	{ "smtp_mx_address_limit", CONF_INT, "5", 0, NOLIMIT, 0 },
	{ "smtp_tls_security_level", CONF_STR, "", 0, 0, 0 },
	{ "smtp_tls_CAfile", CONF_STR, "", 0, 0, 0 },
	{ "smtp_tls_loglevel", CONF_INT, "0", 0, 4, 0 },
	{ "smtp_sasl_auth_enable", CONF_BOOL, "no", 0, 0, 0 },
	{ "smtp_sasl_password_maps", CONF_STR, "", 0, 0, 0 },
	{ "smtp_sasl_security_options", CONF_STR, "noplaintext, noanonymous", 0, 0, 0 },
	{ "smtp_sasl_tls_security_options", CONF_STR, "$smtp_sasl_security_options", 0, 0, 0 },
	{ "smtp_connection_cache_time_limit", CONF_TIME, "2s", 0, NOLIMIT, 's' },
	{ "smtp_connection_reuse_count_limit", CONF_INT, "0", 0, NOLIMIT, 0 },
	{ "smtp_connection_reuse_time_limit", CONF_TIME, "300s", 1, NOLIMIT, 's' },

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
	{ "smtpd_sasl_authenticated_header", CONF_BOOL, "no", 0, 0, 0 },
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
	/* reject_unlisted_recipient/_sender even when no list names them */
	{ "smtpd_reject_unlisted_recipient", CONF_BOOL, "yes", 0, 0, 0 },
	{ "smtpd_reject_unlisted_sender", CONF_BOOL, "no", 0, 0, 0 },
	/* reject_unknown_sender_domain, reject_unknown_recipient_domain:
	 * the code for a domain that has no MX and no address */
	{ "unknown_address_reject_code", CONF_INT, "450", 400, 599, 0 },

	/* smtpd's per-client limits, counted by the anvil service over
	 * anvil_rate_time_unit (Postfix's names and defaults; 0 = no limit;
	 * the exceptions default to $mynetworks, which is what Postfix's
	 * default gives unless its older name for the list is set). Pochta's
	 * own smtpd_greet_wait: how long a plaintext client must stay silent
	 * before the greeting. */
	{ "smtpd_client_connection_count_limit", CONF_INT, "50", 0, NOLIMIT, 0 },
	{ "smtpd_client_connection_rate_limit", CONF_INT, "0", 0, NOLIMIT, 0 },
	{ "smtpd_client_message_rate_limit", CONF_INT, "0", 0, NOLIMIT, 0 },
	{ "smtpd_client_recipient_rate_limit", CONF_INT, "0", 0, NOLIMIT, 0 },
	{ "smtpd_client_auth_rate_limit", CONF_INT, "0", 0, NOLIMIT, 0 },
	{ "smtpd_client_event_limit_exceptions", CONF_STR, "$mynetworks", 0, 0, 0 },
	{ "anvil_rate_time_unit", CONF_TIME, "60s", 1, NOLIMIT, 's' },
	{ "anvil_status_update_time", CONF_TIME, "600s", 1, NOLIMIT, 's' },
	{ "smtpd_greet_wait", CONF_TIME, "0s", 0, 3600, 's' },

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

	/* local submission (sendmail, postdrop, pickup): who may submit and
	 * with which envelope senders (submit.h), and the group of the setgid
	 * postdrop, which owns maildrop/ and public/ (Postfix's "postdrop";
	 * Pochta's own name, beside pochta and pochta-vmail) */
	{ "authorized_submit_users", CONF_STR, "static:anyone", 0, 0, 0 },
	{ "local_login_sender_maps", CONF_STR, "static:*", 0, 0, 0 },
	{ "setgid_group", CONF_STR, "pochta-drop", 0, 0, 0 },
	/* where sendmail finds the pochta command (for mailq, newaliases,
	 * -q) when it is not beside sendmail, as in a build tree */
	{ "command_directory", CONF_STR, "/usr/sbin", 0, 0, 0 },

	/* "pochta queue": who besides root and mail_owner may list the queue
	 * (user names, !name, type:table; Postfix's name and default) */
	{ "authorized_mailq_users", CONF_STR, "static:anyone", 0, 0, 0 },

	/* pop3d (RFC 1939, 2449, 2595): Pochta's own names, with Dovecot's
	 * meanings where Dovecot has the setting (disable_plaintext_auth,
	 * auth_failure_delay); the certificate defaults to smtpd's */
	{ "pop3d_timeout", CONF_TIME, "600s", 1, NOLIMIT, 's' },
	{ "pop3d_auth_failure_delay", CONF_TIME, "2s", 0, NOLIMIT, 's' },
	{ "pop3d_disable_plaintext_auth", CONF_BOOL, "yes", 0, 0, 0 },
	{ "pop3d_sasl_service", CONF_STR, "pop", 0, 0, 0 },
	{ "pop3d_tls_cert_file", CONF_STR, "$smtpd_tls_cert_file", 0, 0, 0 },
	{ "pop3d_tls_key_file", CONF_STR, "$smtpd_tls_key_file", 0, 0, 0 },
	{ "pop3d_tls_wrappermode", CONF_BOOL, "no", 0, 0, 0 },
	/* connections from one address at a time (0: no limit), and failed
	 * logins in one connection before it is closed */
	{ "pop3d_client_connection_count_limit", CONF_INT, "20", 0, NOLIMIT, 0 },
	{ "pop3d_auth_failure_limit", CONF_INT, "3", 1, NOLIMIT, 0 },
	/* the lowest uid a system user's mailbox session may run as (Dovecot's
	 * name; Debian's first ordinary user) */
	{ "first_valid_uid", CONF_INT, "1000", 0, NOLIMIT, 0 },

	{ NULL, CONF_STR, NULL, 0, 0, 0 }
};
