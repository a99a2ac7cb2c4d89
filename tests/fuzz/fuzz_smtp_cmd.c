/*
 * fuzz_smtp_cmd: one SMTP command line, as smtpd reads it, into
 * smtp_cmd_parse; for MAIL and RCPT the path after "FROM:"/"TO:" into
 * addr_parse_path and the ESMTP parameters after it into
 * smtp_params_parse, with SIZE=, ENVID=, ORCPT= and AUTH= decoded as
 * smtpd decodes them.
 */
#include <string.h>

#include "addr.h"
#include "harness.h"
#include "smtp_cmd.h"
#include "xtext.h"

static void fuzz_params(const char *text)
{
	static const char *const xtext_names[] = { "ENVID", "ORCPT", "AUTH" };
	smtp_params_t params;
	str_t bad = STR_INIT;
	str_t decoded = STR_INIT;
	const smtp_param_t *p;
	const char *why;
	unsigned long long size;
	size_t i;

	smtp_params_init(&params);
	if (smtp_params_parse(text, &params, &bad, &why) == 0) {
		if ((p = smtp_params_find(&params, "SIZE")) && p->value)
			(void)smtp_param_number(p->value, &size);
		for (i = 0; i < sizeof(xtext_names) / sizeof(xtext_names[0]); i++)
			if ((p = smtp_params_find(&params, xtext_names[i])) && p->value) {
				(void)xtext_decode(p->value, &decoded);
				(void)xtext_decode_utf8(p->value, &decoded);
			}
	}
	smtp_params_free(&params);
	str_free(&bad);
	str_free(&decoded);
}

static void fuzz_path(const char *arg, const char *keyword, int flags)
{
	const char *path = smtp_cmd_path(arg, keyword);
	str_t addr = STR_INIT;
	const char *rest;
	const char *why;

	if (path && addr_parse_path(path, flags, &addr, &rest, &why) == 0) {
		(void)addr_charset(addr.data ? addr.data : "");
		fuzz_params(rest);
	}
	str_free(&addr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	smtp_cmd_t cmd;
	const char *why;

	harness_quiet();
	smtp_cmd_init(&cmd);
	if (smtp_cmd_parse((const char *)data, size, &cmd, &why) == 0) {
		const char *verb = str_cstr(&cmd.verb);
		const char *arg = str_cstr(&cmd.arg);

		if (strcmp(verb, "MAIL") == 0)
			fuzz_path(arg, "FROM:", ADDR_ALLOW_NULL | ADDR_ALLOW_8BIT);
		else if (strcmp(verb, "RCPT") == 0)
			fuzz_path(arg, "TO:", ADDR_ALLOW_8BIT | ADDR_ALLOW_NOBRACKETS);
	}
	smtp_cmd_free(&cmd);
	return 0;
}
