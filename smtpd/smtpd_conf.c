/*
 * smtpd_conf: the main.cf parameters smtpd uses, read once per process
 * (smtpd exits on reload, so they never change under a session).
 */
#include <string.h>
#include <strings.h>

#include "conf.h"
#include "log.h"
#include "smtpd.h"

smtpd_conf_t smtpd_conf;

/* smtpd_forbid_bare_newline: only "reject" changes what smtpd does;
 * bare newlines never end DATA and are always stored as line ends. */
static int smtpd_conf_bare_newline(void)
{
	const char *value = conf_str("smtpd_forbid_bare_newline");
	static const char *const normalize[] = { "normalize", "yes", "no", "note" };

	if (strcasecmp(value, "reject") == 0)
		return 1;
	for (size_t i = 0; i < sizeof(normalize) / sizeof(normalize[0]); i++)
		if (strcasecmp(value, normalize[i]) == 0)
			return 0;
	log_fatal("bad smtpd_forbid_bare_newline value: %s", value);
}

/* smtpd_sasl_security_options as SASL_SERVER_ flags; a bad word is fatal. */
static int smtpd_conf_sasl_security(void)
{
	str_t bad = STR_INIT;
	int flags;

	if (sasl_server_parse_options(conf_str("smtpd_sasl_security_options"), &flags, &bad) < 0)
		log_fatal("unknown smtpd_sasl_security_options value: %s", str_cstr(&bad));
	str_free(&bad);
	return flags;
}

void smtpd_conf_load(void)
{
	smtpd_conf.myhostname = conf_str("myhostname");
	smtpd_conf.banner = conf_str("smtpd_banner");
	smtpd_conf.myorigin = conf_str("myorigin");
	smtpd_conf.mail_name = conf_str("mail_name");
	smtpd_conf.timeout = conf_time("smtpd_timeout");
	smtpd_conf.per_request_deadline = conf_bool("smtpd_per_request_deadline");
	smtpd_conf.min_data_rate = (int)conf_int("smtpd_min_data_rate");
	smtpd_conf.recipient_limit = conf_int("smtpd_recipient_limit");
	smtpd_conf.hard_error_limit = conf_int("smtpd_hard_error_limit");
	smtpd_conf.soft_error_limit = conf_int("smtpd_soft_error_limit");
	smtpd_conf.error_sleep_time = conf_time("smtpd_error_sleep_time");
	smtpd_conf.junk_command_limit = conf_int("smtpd_junk_command_limit");
	smtpd_conf.message_size_limit = conf_int("message_size_limit");
	smtpd_conf.line_length_limit = conf_int("line_length_limit");
	smtpd_conf.disable_vrfy = conf_bool("disable_vrfy_command");
	smtpd_conf.reject_bare_newline = smtpd_conf_bare_newline();
	smtpd_mynet_parse(conf_str("mynetworks"), &smtpd_conf.mynetworks);
	smtpd_conf.sasl_auth_enable = conf_bool("smtpd_sasl_auth_enable");
	smtpd_conf.tls_auth_only = conf_bool("smtpd_tls_auth_only");
	smtpd_conf.sasl_authenticated_header = conf_bool("smtpd_sasl_authenticated_header");
	smtpd_conf.sasl_security = smtpd_conf_sasl_security();
	smtpd_conf.sasl_response_limit = conf_int("smtpd_sasl_response_limit");
	smtpd_conf.sasl_service = conf_str("smtpd_sasl_service");
}
