/*
 * smtpd_dsn: the delivery status notification requests of RFC 3461 that
 * come with the envelope - RET= and ENVID= of MAIL FROM, NOTIFY= and
 * ORCPT= of RCPT TO - checked, decoded from xtext and written into the
 * queue file (the dsn_ret and dsn_envid attributes, and N and Q records
 * after a recipient's O record: see queue.h). A bad value gets Postfix's
 * reply. The notifications themselves are the queue manager's business.
 *
 * ORCPT's address is xtext for any address type but RFC 6533's "utf-8",
 * whose address is utf-8-addr-xtext ("\x{F6}"); decoded, it must be
 * printable ASCII, or UTF-8 for "utf-8".
 */
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "smtpd.h"
#include "xtext.h"

#define SMTPD_DSN_ENVID_MAX 100		/* RFC 3461 4.4: characters of ENVID= */
#define SMTPD_DSN_ORCPT_MAX 500		/* RFC 3461 4: what ORCPT= may add to RCPT */
#define SMTPD_DSN_UTF8_TYPE "utf-8"	/* RFC 6533's address type */

/* What RFC 3461 allows in ENVID and in an ORCPT address: printable
 * US-ASCII and spaces. */
static int smtpd_dsn_printable(const str_t *text)
{
	for (size_t i = 0; i < text->len; i++)
		if ((unsigned char)text->data[i] < ' ' || (unsigned char)text->data[i] > '~')
			return 0;
	return 1;
}

int smtpd_dsn_ret(smtpd_session_t *s, const char *value)
{
	if (value != NULL && strcasecmp(value, "FULL") == 0) {
		s->dsn_ret = "FULL";
	} else if (value != NULL && strcasecmp(value, "HDRS") == 0) {
		s->dsn_ret = "HDRS";
	} else {
		smtpd_reply(s, "501 5.5.4 Bad RET parameter syntax");
		return -1;
	}
	return 0;
}

int smtpd_dsn_envid(smtpd_session_t *s, const char *value)
{
	if (value == NULL || strlen(value) > SMTPD_DSN_ENVID_MAX
	    || xtext_decode(value, &s->dsn_envid) < 0 || !smtpd_dsn_printable(&s->dsn_envid)) {
		str_free(&s->dsn_envid);
		smtpd_reply(s, "501 5.5.4 Bad ENVID parameter syntax");
		return -1;
	}
	return 0;
}

/* One word of NOTIFY=, any case: its flag, or 0. */
static int smtpd_dsn_notify_word(const char *word, size_t len)
{
	static const struct {
		const char *word;
		int flag;
	} words[] = {
		{ "NEVER", QUEUE_NOTIFY_NEVER },
		{ "SUCCESS", QUEUE_NOTIFY_SUCCESS },
		{ "FAILURE", QUEUE_NOTIFY_FAILURE },
		{ "DELAY", QUEUE_NOTIFY_DELAY },
	};

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strlen(words[i].word) == len && strncasecmp(word, words[i].word, len) == 0)
			return words[i].flag;
	return 0;
}

/* NOTIFY=NEVER, or a comma list of SUCCESS, FAILURE and DELAY, each at
 * most once; 0 and the flags, or -1. */
static int smtpd_dsn_notify(const char *value, int *flags)
{
	const char *item = value;

	*flags = 0;
	while (item != NULL) {
		size_t len = strcspn(item, ",");
		int flag = smtpd_dsn_notify_word(item, len);

		if (flag == 0 || (*flags & flag))
			return -1;
		*flags |= flag;
		item = item[len] == ',' ? item + len + 1 : NULL;
	}
	return queue_notify_valid(*flags) ? 0 : -1;
}

/* ORCPT=addr-type;address into orcpt as "addr-type;decoded address";
 * 0, or -1. */
static int smtpd_dsn_orcpt(const char *value, str_t *orcpt)
{
	const char *semi = value ? strchr(value, ';') : NULL;
	size_t type_len = semi ? (size_t)(semi - value) : 0;
	str_t addr = STR_INIT;
	int ok;

	if (semi == NULL || strlen(value) > SMTPD_DSN_ORCPT_MAX || !addr_atom_valid(value, type_len))
		return -1;
	if (type_len == strlen(SMTPD_DSN_UTF8_TYPE)
	    && strncasecmp(value, SMTPD_DSN_UTF8_TYPE, type_len) == 0)
		ok = xtext_decode_utf8(semi + 1, &addr) == 0;
	else
		ok = xtext_decode(semi + 1, &addr) == 0 && smtpd_dsn_printable(&addr);
	ok = ok && addr.len > 0;
	if (ok) {
		str_reset(orcpt);
		str_append(orcpt, value, type_len + 1);
		str_append(orcpt, addr.data, addr.len);
	}
	str_free(&addr);
	return ok ? 0 : -1;
}

int smtpd_dsn_rcpt_params(smtpd_session_t *s, const smtp_params_t *params, smtpd_dsn_rcpt_t *dsn)
{
	for (size_t i = 0; i < params->count; i++) {
		const smtp_param_t *p = &params->items[i];

		if (strcasecmp(p->name, "NOTIFY") == 0) {
			if (smtpd_dsn_notify(p->value, &dsn->notify) < 0) {
				smtpd_reply(s, "501 5.5.4 Error: Bad NOTIFY parameter syntax");
				return -1;
			}
		} else if (strcasecmp(p->name, "ORCPT") == 0) {
			if (smtpd_dsn_orcpt(p->value, &dsn->orcpt) < 0) {
				smtpd_reply(s, "501 5.5.4 Error: Bad ORCPT parameter syntax");
				return -1;
			}
		} else {
			smtpd_reply(s, "555 5.5.4 Unsupported option: %s", p->name);
			return -1;
		}
	}
	return 0;
}

void smtpd_dsn_rcpt_free(smtpd_dsn_rcpt_t *dsn)
{
	dsn->notify = 0;
	str_free(&dsn->orcpt);
}

int smtpd_dsn_put_mail(smtpd_session_t *s)
{
	if (s->dsn_ret && queue_put_attr(s->qw, "dsn_ret", s->dsn_ret) < 0)
		return -1;
	return s->dsn_envid.len ? queue_put_attr(s->qw, "dsn_envid", s->dsn_envid.data) : 0;
}

int smtpd_dsn_put_rcpt(smtpd_session_t *s, const smtpd_dsn_rcpt_t *dsn)
{
	if (dsn->notify && queue_put_notify(s->qw, dsn->notify) < 0)
		return -1;
	return dsn->orcpt.len ? queue_put_orcpt(s->qw, dsn->orcpt.data) : 0;
}
