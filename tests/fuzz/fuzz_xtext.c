/*
 * fuzz_xtext: an ESMTP parameter value (AUTH=, ENVID=, ORCPT=) into
 * xtext_decode and xtext_decode_utf8. Whatever xtext_decode accepts must
 * encode back to xtext that decodes to the same bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "mem.h"
#include "xtext.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = harness_cstr(data, size);
	str_t decoded = STR_INIT;
	str_t encoded = STR_INIT;
	str_t again = STR_INIT;

	harness_quiet();
	if (xtext_decode(text, &decoded) == 0) {
		xtext_encode(str_cstr(&decoded), &encoded);
		if (xtext_decode(str_cstr(&encoded), &again) != 0
		    || strcmp(str_cstr(&again), str_cstr(&decoded)) != 0)
			abort();
	}
	(void)xtext_decode_utf8(text, &decoded);
	mem_free(text);
	str_free(&decoded);
	str_free(&encoded);
	str_free(&again);
	return 0;
}
