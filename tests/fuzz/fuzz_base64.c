/*
 * fuzz_base64: a SASL response (RFC 4954) into the strict base64_decode.
 * Whatever it accepts must encode back to exactly the same text, since
 * the decoder admits only the one canonical spelling of any bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "harness.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	str_t decoded = STR_INIT;
	str_t encoded = STR_INIT;

	harness_quiet();
	if (base64_decode((const char *)data, size, &decoded) == 0) {
		base64_encode(decoded.data, decoded.len, &encoded);
		if (encoded.len != size || (size && memcmp(encoded.data, data, size) != 0))
			abort();
	}
	str_free(&decoded);
	str_free(&encoded);
	return 0;
}
