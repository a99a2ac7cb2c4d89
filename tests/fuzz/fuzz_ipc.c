/*
 * fuzz_ipc: bytes from a peer daemon's socket into ipc_parse (the
 * non-blocking reader) and, through a stream, into ipc_read (the blocking
 * one). Both readers share one parser, so they must agree on whether the
 * input starts with a valid message.
 */
#include <stdlib.h>

#include "harness.h"
#include "ipc.h"

static void fuzz_walk(const ipc_msg_t *msg)
{
	size_t i, len;

	for (i = 0; i < ipc_count(msg); i++) {
		(void)ipc_name(msg, i);
		(void)ipc_value(msg, i, &len);
	}
	(void)ipc_get_int(msg, "status", 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ipc_msg_t *parsed = ipc_new();
	ipc_msg_t *read = ipc_new();
	stream_t *in = stream_open(harness_memfd(data, size));
	size_t used = 0;
	int parse_status, read_status;

	harness_quiet();
	parse_status = ipc_parse((const char *)data, size, parsed, &used);
	if (parse_status == 0 && (used == 0 || used > size))
		abort();
	fuzz_walk(parsed);
	read_status = ipc_read(in, read);
	if ((parse_status == 0) != (read_status == 0)
	    || (parse_status == 0 && ipc_count(parsed) != ipc_count(read)))
		abort();
	fuzz_walk(read);
	stream_close(in);
	ipc_free(parsed);
	ipc_free(read);
	return 0;
}
