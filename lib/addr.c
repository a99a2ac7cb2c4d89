/*
 * addr: RFC 5321 path syntax (see addr.h).
 *
 * The parser walks the text once: optional "<", optional source route
 * (ignored, as RFC 5321 asks), the local part (dot-string or quoted
 * string), "@", then a domain or an address literal, and the closing ">".
 * The internal form has the local part unquoted; addr_quote() puts quotes
 * back for the wire. Control characters are refused everywhere, and 8-bit
 * bytes unless the caller allows them and then checks the result with
 * addr_charset (smtpd: only UTF-8, only after SMTPUTF8), so an address the
 * caller accepts is safe to log and to write into headers.
 */
#include <arpa/inet.h>
#include <string.h>
#include <strings.h>

#include "addr.h"

#define ADDR_LITERAL_MAX 64	/* "[IPv6:...]" text inside the brackets */

/* The parser's position and what it has collected. */
typedef struct addr_parser {
	const char *cp;
	int flags;
	str_t *out;
	const char *why;
} addr_parser_t;

static int addr_fail(addr_parser_t *p, const char *why)
{
	p->why = why;
	return -1;
}

static int addr_is_8bit(int c, int flags)
{
	return (unsigned char)c >= 0x80 && (flags & ADDR_ALLOW_8BIT);
}

/* atext of RFC 5322: letters, digits and these specials. */
static int addr_is_atext(int c, int flags)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return 1;
	if (c != 0 && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL)
		return 1;
	return addr_is_8bit(c, flags);
}

static int addr_is_letdig(int c, int flags)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
	    || (c >= '0' && c <= '9') || addr_is_8bit(c, flags);
}

/* qtextSMTP (and the byte after a backslash): printable ASCII. */
static int addr_is_qtext(int c, int flags)
{
	return (c >= 32 && c <= 126) || addr_is_8bit(c, flags);
}

/* Dot-string: atoms separated by single dots. */
static int addr_dot_string(addr_parser_t *p)
{
	for (;;) {
		const char *start = p->cp;

		while (addr_is_atext(*p->cp, p->flags))
			p->cp++;
		if (p->cp == start)
			return addr_fail(p, "bad local part");
		str_append(p->out, start, (size_t)(p->cp - start));
		if (*p->cp != '.')
			return 0;
		str_putc(p->out, '.');
		p->cp++;
	}
}

/* Quoted string: the quotes and backslashes are removed. */
static int addr_quoted_string(addr_parser_t *p)
{
	p->cp++;
	for (;;) {
		int c = (unsigned char)*p->cp;

		if (c == '"') {
			p->cp++;
			return 0;
		}
		if (c == '\\') {
			c = (unsigned char)*++p->cp;
			if (!addr_is_qtext(c, p->flags))
				return addr_fail(p, "bad quoted pair");
		} else if (!addr_is_qtext(c, p->flags)) {
			return addr_fail(p, c ? "bad character in quoted string" : "unterminated quoted string");
		}
		str_putc(p->out, c);
		p->cp++;
	}
}

static int addr_local_part(addr_parser_t *p)
{
	size_t start = p->out->len;
	int status;

	status = *p->cp == '"' ? addr_quoted_string(p) : addr_dot_string(p);
	if (status < 0)
		return -1;
	if (p->out->len - start > ADDR_LOCAL_MAX)
		return addr_fail(p, "local part too long");
	return 0;
}

/* sub-domain ("." sub-domain)*: labels of letters, digits and inner hyphens. */
static int addr_domain_name(addr_parser_t *p)
{
	for (;;) {
		const char *start = p->cp;

		if (!addr_is_letdig(*p->cp, p->flags))
			return addr_fail(p, "bad domain");
		while (addr_is_letdig(*p->cp, p->flags) || *p->cp == '-')
			p->cp++;
		if (p->cp[-1] == '-')
			return addr_fail(p, "bad domain");
		str_append(p->out, start, (size_t)(p->cp - start));
		if (*p->cp != '.')
			return 0;
		str_putc(p->out, '.');
		p->cp++;
	}
}

/* The inside of an address literal: IPv4, "IPv6:...", or "tag:content". */
static int addr_literal_valid(const char *text)
{
	unsigned char buf[sizeof(struct in6_addr)];
	const char *colon = strchr(text, ':');

	if (colon == NULL)
		return inet_pton(AF_INET, text, buf) == 1;
	if (strncasecmp(text, "IPv6:", 5) == 0)
		return inet_pton(AF_INET6, text + 5, buf) == 1;
	if (colon == text || colon[-1] == '-' || colon[1] == 0)
		return 0;
	for (const char *cp = text; cp < colon; cp++)
		if (!addr_is_letdig(*cp, 0) && *cp != '-')
			return 0;
	return 1;
}

static int addr_address_literal(addr_parser_t *p)
{
	char text[ADDR_LITERAL_MAX + 1];
	size_t len = 0;

	p->cp++;
	while (*p->cp != ']') {
		int c = (unsigned char)*p->cp;

		/* dcontent: printable ASCII but "[", "\" and "]"; nor "@",
		 * which would make the address split at the wrong "@" */
		if (c < 33 || c > 126 || c == '[' || c == '\\' || c == '@')
			return addr_fail(p, "bad address literal");
		if (len == ADDR_LITERAL_MAX)
			return addr_fail(p, "address literal too long");
		text[len++] = (char)c;
		p->cp++;
	}
	text[len] = 0;
	p->cp++;
	if (!addr_literal_valid(text))
		return addr_fail(p, "bad address literal");
	str_printf(p->out, "[%s]", text);
	return 0;
}

static int addr_domain(addr_parser_t *p)
{
	size_t start = p->out->len;
	int status;

	status = *p->cp == '[' ? addr_address_literal(p) : addr_domain_name(p);
	if (status < 0)
		return -1;
	if (p->out->len - start > ADDR_DOMAIN_MAX)
		return addr_fail(p, "domain too long");
	return 0;
}

/* "@a,@b:" before the mailbox: checked, then dropped. */
static int addr_source_route(addr_parser_t *p)
{
	str_t *out = p->out;
	str_t scratch = STR_INIT;
	int status = 0;

	p->out = &scratch;
	while (status == 0 && *p->cp == '@') {
		p->cp++;
		status = addr_domain(p);
		if (status == 0 && *p->cp == ',')
			p->cp++;
		else if (status == 0 && *p->cp != ':')
			status = addr_fail(p, "bad source route");
	}
	p->out = out;
	str_free(&scratch);
	if (status < 0)
		return -1;
	if (*p->cp++ != ':')
		return addr_fail(p, "bad source route");
	return 0;
}

/* local-part ["@" domain]; a bare local part ("<postmaster>") is allowed,
 * but not one with a quoted "@": its internal form ("a@b" from "<\"a@b\">")
 * would read as a local part and a domain. */
static int addr_mailbox(addr_parser_t *p)
{
	size_t start = p->out->len;

	if (addr_local_part(p) < 0)
		return -1;
	if (*p->cp != '@')
		return strchr(p->out->data + start, '@') ? addr_fail(p, "\"@\" in a bare local part") : 0;
	str_putc(p->out, '@');
	p->cp++;
	return addr_domain(p);
}

static int addr_path(addr_parser_t *p)
{
	int bracket = *p->cp == '<';

	if (!bracket && !(p->flags & ADDR_ALLOW_NOBRACKETS))
		return addr_fail(p, "missing \"<\"");
	if (bracket)
		p->cp++;
	if (bracket && *p->cp == '>') {
		p->cp++;
		return (p->flags & ADDR_ALLOW_NULL) ? 0 : addr_fail(p, "null address not allowed");
	}
	if (bracket && *p->cp == '@' && addr_source_route(p) < 0)
		return -1;
	if (addr_mailbox(p) < 0)
		return -1;
	if (p->out->len > ADDR_PATH_MAX - 2)
		return addr_fail(p, "address too long");
	if (bracket && *p->cp++ != '>')
		return addr_fail(p, "missing \">\"");
	return 0;
}

int addr_parse_path(const char *text, int flags, str_t *out, const char **rest, const char **why)
{
	addr_parser_t p = { text, flags, out, NULL };

	str_reset(out);
	str_append(out, "", 0);
	while (*p.cp == ' ')
		p.cp++;
	if (addr_path(&p) == 0 && *p.cp != 0 && *p.cp != ' ')
		addr_fail(&p, "garbage after address");
	if (p.why != NULL) {
		str_reset(out);
		*why = p.why;
		return -1;
	}
	while (*p.cp == ' ')
		p.cp++;
	*rest = p.cp;
	return 0;
}

int addr_atom_valid(const char *text, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!addr_is_atext(text[i], 0))
			return 0;
	return len > 0;
}

/* Length of the well-formed UTF-8 sequence at s, or 0 (RFC 3629: the
 * second byte's range rules out overlong forms, surrogates and code
 * points past U+10FFFF; the NUL at the end is no continuation byte). */
static size_t addr_utf8_length(const unsigned char *s)
{
	unsigned char low = 0x80, high = 0xBF;
	size_t len;

	if (s[0] >= 0xC2 && s[0] <= 0xDF)
		len = 2;
	else if (s[0] >= 0xE0 && s[0] <= 0xEF)
		len = 3;
	else if (s[0] >= 0xF0 && s[0] <= 0xF4)
		len = 4;
	else
		return 0;
	if (s[0] == 0xE0)
		low = 0xA0;
	else if (s[0] == 0xED)
		high = 0x9F;
	else if (s[0] == 0xF0)
		low = 0x90;
	else if (s[0] == 0xF4)
		high = 0x8F;
	if (s[1] < low || s[1] > high)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xBF)
			return 0;
	return len;
}

enum addr_charset addr_charset(const char *addr)
{
	const unsigned char *s = (const unsigned char *)addr;
	enum addr_charset found = ADDR_ASCII;
	size_t len;

	while (*s) {
		if (*s < 0x80) {
			s++;
			continue;
		}
		if ((len = addr_utf8_length(s)) == 0)
			return ADDR_NOT_UTF8;
		found = ADDR_UTF8;
		s += len;
	}
	return found;
}

void addr_split(const char *addr, str_t *local, str_t *domain)
{
	const char *at = strrchr(addr, '@');

	str_reset(local);
	str_reset(domain);
	if (at == NULL) {
		str_append_cstr(local, addr);
		str_append(domain, "", 0);
		return;
	}
	str_append(local, addr, (size_t)(at - addr));
	str_append_cstr(domain, at + 1);
}

/* Does the local part need quotes to be a valid dot-string? */
static int addr_needs_quotes(const char *local, size_t len)
{
	if (len == 0 || local[0] == '.' || local[len - 1] == '.')
		return 1;
	for (size_t i = 0; i < len; i++) {
		if (local[i] == '.' ? local[i + 1] == '.' : !addr_is_atext(local[i], ADDR_ALLOW_8BIT))
			return 1;
	}
	return 0;
}

void addr_quote(const char *addr, str_t *out)
{
	const char *at = strrchr(addr, '@');
	size_t len = at ? (size_t)(at - addr) : strlen(addr);

	if (*addr == 0)
		return;
	if (!addr_needs_quotes(addr, len)) {
		str_append_cstr(out, addr);
		return;
	}
	str_putc(out, '"');
	for (size_t i = 0; i < len; i++) {
		if (addr[i] == '"' || addr[i] == '\\')
			str_putc(out, '\\');
		str_putc(out, addr[i]);
	}
	str_putc(out, '"');
	if (at)
		str_append_cstr(out, at);
}
