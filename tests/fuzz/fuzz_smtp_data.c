/*
 * fuzz_smtp_data: the bytes a client sends after DATA into the
 * end-of-data state machine (smtp_data_feed), once whole and once in
 * pieces whose sizes come from the input itself. Where the message ends
 * and what is stored must not depend on how the bytes were split into
 * reads, and the stored content never holds a CR.
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "smtp_data.h"

/* Feed in[0..len) in pieces of 1 + step[i % nstep] % 7 bytes. */
static size_t fuzz_feed(const char *in, size_t len, const uint8_t *step, size_t nstep,
			str_t *out, smtp_data_t *sd)
{
	size_t used = 0;
	size_t piece;
	size_t i = 0;

	smtp_data_init(sd);
	while (used < len && !sd->done) {
		piece = nstep ? 1 + step[i++ % nstep] % 7 : len - used;
		if (piece > len - used)
			piece = len - used;
		used += smtp_data_feed(sd, in + used, piece, out);
	}
	return used;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	str_t whole = STR_INIT;
	str_t split = STR_INIT;
	smtp_data_t a, b;
	size_t used_a, used_b;

	harness_quiet();
	used_a = fuzz_feed((const char *)data, size, NULL, 0, &whole, &a);
	used_b = fuzz_feed((const char *)data, size, data, size < 16 ? size : 16, &split, &b);
	if (used_a != used_b || a.done != b.done || a.flags != b.flags || whole.len != split.len
	    || (whole.len && memcmp(whole.data, split.data, whole.len) != 0)
	    || (whole.len && memchr(whole.data, '\r', whole.len)))
		abort();
	str_free(&whole);
	str_free(&split);
	return 0;
}
