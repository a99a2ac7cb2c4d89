/*
 * fuzz_addr: an RFC 5321 path into addr_parse_path (the first byte picks
 * the flags, the rest is the text after "FROM:"/"TO:"), and every address
 * it accepts through addr_charset, addr_split and addr_quote. An accepted
 * address quoted for the wire must parse back to itself.
 */
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "harness.h"
#include "mem.h"

#define FUZZ_ADDR_FLAGS (ADDR_ALLOW_NULL | ADDR_ALLOW_8BIT | ADDR_ALLOW_NOBRACKETS)

/* "<" quoted ">" must give addr back. */
static void fuzz_round_trip(const char *addr, int flags)
{
	str_t wire = STR_INIT;
	str_t again = STR_INIT;
	const char *rest;
	const char *why;

	str_putc(&wire, '<');
	addr_quote(addr, &wire);
	str_putc(&wire, '>');
	if (addr_parse_path(wire.data, flags | ADDR_ALLOW_NULL, &again, &rest, &why) != 0
	    || strcmp(str_cstr(&again), addr) != 0 || *rest != 0)
		abort();
	str_free(&wire);
	str_free(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	str_t addr = STR_INIT;
	str_t local = STR_INIT;
	str_t domain = STR_INIT;
	const char *rest;
	const char *why;
	char *text;
	int flags;

	if (size == 0)
		return 0;
	harness_quiet();
	flags = data[0] & FUZZ_ADDR_FLAGS;
	text = harness_cstr(data + 1, size - 1);
	if (addr_parse_path(text, flags, &addr, &rest, &why) == 0) {
		const char *a = str_cstr(&addr);

		(void)addr_charset(a);
		addr_split(a, &local, &domain);
		fuzz_round_trip(a, flags);
	}
	(void)addr_atom_valid(text, strlen(text));
	mem_free(text);
	str_free(&addr);
	str_free(&local);
	str_free(&domain);
	return 0;
}
