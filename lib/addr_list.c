/*
 * addr_list: a small scanner over RFC 5322 address lists (addr_list.h).
 * It walks the text once, copying the parts that make up an addr-spec
 * (atoms, quoted strings, dots, "@", domain literals) into the mailbox
 * being built, skipping comments and white space, and letting an
 * angle-addr replace whatever display name came before it.
 */
#include <string.h>

#include "addr_list.h"

typedef struct addr_list_scan {
	const char *p;		/* next byte of the text */
	str_t plain;		/* the mailbox so far, outside angle brackets */
	str_t angle;		/* the content of its angle-addr */
	int has_angle;
	str_t *out;
	size_t found;
} addr_list_scan_t;

/* A quoted string or domain literal from its opening byte, copied with
 * its delimiters and backslash pairs; -1 when it does not close. */
static int addr_list_copy_until(addr_list_scan_t *sc, char close, str_t *to)
{
	str_putc(to, *sc->p++);
	while (*sc->p && *sc->p != close) {
		if (*sc->p == '\\' && sc->p[1])
			str_putc(to, *sc->p++);
		str_putc(to, *sc->p++);
	}
	if (*sc->p != close)
		return -1;
	str_putc(to, *sc->p++);
	return 0;
}

/* A comment from its "(", nested ones included; -1 when it does not close. */
static int addr_list_skip_comment(addr_list_scan_t *sc)
{
	int depth = 0;

	do {
		if (*sc->p == 0)
			return -1;
		if (*sc->p == '\\' && sc->p[1])
			sc->p++;
		else if (*sc->p == '(' && ++depth > ADDR_LIST_COMMENT_DEPTH_MAX)
			return -1;
		else if (*sc->p == ')')
			depth--;
		sc->p++;
	} while (depth > 0);
	return 0;
}

/* The content of an angle-addr from its "<", a source route dropped. */
static int addr_list_angle(addr_list_scan_t *sc)
{
	const char *colon;

	sc->p++;
	str_reset(&sc->angle);
	while (*sc->p && *sc->p != '>') {
		if (*sc->p == '"' || *sc->p == '[') {
			if (addr_list_copy_until(sc, *sc->p == '"' ? '"' : ']', &sc->angle) < 0)
				return -1;
		} else if (*sc->p == '(') {
			if (addr_list_skip_comment(sc) < 0)
				return -1;
		} else if (*sc->p == ' ' || *sc->p == '\t' || *sc->p == '\r' || *sc->p == '\n') {
			sc->p++;
		} else {
			str_putc(&sc->angle, *sc->p++);
		}
	}
	if (*sc->p != '>')
		return -1;
	sc->p++;
	if (sc->angle.len && sc->angle.data[0] == '@' && (colon = strchr(sc->angle.data, ':'))) {
		size_t skip = (size_t)(colon + 1 - sc->angle.data);

		memmove(sc->angle.data, colon + 1, sc->angle.len - skip + 1);
		str_truncate(&sc->angle, sc->angle.len - skip);
	}
	sc->has_angle = 1;
	return 0;
}

/* The end of one mailbox: keep its address, start the next. */
static void addr_list_emit(addr_list_scan_t *sc)
{
	const str_t *addr = sc->has_angle ? &sc->angle : &sc->plain;

	if (addr->len > 0) {
		str_append(sc->out, addr->data, addr->len);
		str_putc(sc->out, 0);
		sc->found++;
	}
	str_reset(&sc->plain);
	str_reset(&sc->angle);
	sc->has_angle = 0;
}

/* One step of the scan: 0, or -1 on an unclosed construct. */
static int addr_list_step(addr_list_scan_t *sc)
{
	switch (*sc->p) {
	case '"':
		return addr_list_copy_until(sc, '"', &sc->plain);
	case '[':
		return addr_list_copy_until(sc, ']', &sc->plain);
	case '(':
		return addr_list_skip_comment(sc);
	case '<':
		return addr_list_angle(sc);
	case ':':		/* a group's name ends: drop it */
		str_reset(&sc->plain);
		sc->p++;
		return 0;
	case ',':
	case ';':
		addr_list_emit(sc);
		sc->p++;
		return 0;
	case ' ':
	case '\t':
	case '\r':
	case '\n':
		sc->p++;
		return 0;
	default:
		str_putc(&sc->plain, *sc->p++);
		return 0;
	}
}

int addr_list_parse(const char *text, str_t *out, size_t *count)
{
	addr_list_scan_t sc = { .p = text, .plain = STR_INIT, .angle = STR_INIT, .out = out };
	size_t start = out->len;
	int status = 0;

	while (*sc.p && status == 0)
		status = addr_list_step(&sc);
	if (status == 0)
		addr_list_emit(&sc);
	if (status == 0)
		*count += sc.found;
	else
		str_truncate(out, start);
	str_free(&sc.plain);
	str_free(&sc.angle);
	return status;
}
