/*
 * fuzz_smtp_bdat: BDAT chunk octets into smtp_bdat_feed, once as one
 * chunk and once in chunks whose sizes come from the input. The stored
 * content and the bare CR / bare LF flags must not depend on the chunk
 * boundaries, and the content never holds a CR.
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "smtp_bdat.h"

static void fuzz_feed(const char *in, size_t len, const uint8_t *step, size_t nstep,
		      str_t *out, smtp_bdat_t *sb)
{
	size_t used = 0;
	size_t piece;
	size_t i = 0;

	smtp_bdat_init(sb);
	while (used < len) {
		piece = nstep ? 1 + step[i++ % nstep] % 5 : len - used;
		if (piece > len - used)
			piece = len - used;
		smtp_bdat_feed(sb, in + used, piece, out);
		used += piece;
	}
	smtp_bdat_end(sb, out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	str_t whole = STR_INIT;
	str_t split = STR_INIT;
	smtp_bdat_t a, b;

	harness_quiet();
	fuzz_feed((const char *)data, size, NULL, 0, &whole, &a);
	fuzz_feed((const char *)data, size, data, size < 16 ? size : 16, &split, &b);
	if (a.flags != b.flags || whole.len != split.len
	    || (whole.len && memcmp(whole.data, split.data, whole.len) != 0)
	    || (whole.len && memchr(whole.data, '\r', whole.len)))
		abort();
	str_free(&whole);
	str_free(&split);
	return 0;
}
