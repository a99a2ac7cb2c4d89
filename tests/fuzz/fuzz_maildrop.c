/*
 * fuzz_maildrop: a maildrop file (format in maildrop.h), written by a
 * local user and so hostile, from an anonymous memfd through a stream
 * into maildrop_read_envelope and maildrop_read_content, as pickup reads
 * it, with a content limit small enough for the fuzzer to reach.
 */
#include "harness.h"
#include "maildrop.h"

#define FUZZ_MAILDROP_CONTENT_MAX 4096
#define FUZZ_MAILDROP_PIECES_MAX 10000

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	stream_t *in = stream_open(harness_memfd(data, size));
	maildrop_reader_t rd;
	maildrop_env_t env;
	str_t err = STR_INIT;
	str_t piece = STR_INIT;
	int more = 1;
	int pieces = 0;

	harness_quiet();
	maildrop_env_init(&env);
	maildrop_reader_init(&rd, in, FUZZ_MAILDROP_CONTENT_MAX);
	if (maildrop_read_envelope(&rd, &env, &err) == MAILDROP_OK)
		while (more && pieces++ < FUZZ_MAILDROP_PIECES_MAX
		       && maildrop_read_content(&rd, &piece, &more, &err) == MAILDROP_OK)
			;
	maildrop_env_free(&env);
	str_free(&err);
	str_free(&piece);
	stream_close(in);
	return 0;
}
