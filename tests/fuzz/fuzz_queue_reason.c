/*
 * fuzz_queue_reason: the text of a defer/ID side file, split into lines
 * at LF, into queue_reason_parse as the queue listing reads it, and each
 * reason it finds through queue_reason_clean, which must leave no
 * control character and no more than QUEUE_REASON_MAX bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "mem.h"
#include "queue_reason.h"

static void fuzz_line(const char *line)
{
	str_t clean = STR_INIT;
	const char *text;
	off_t offset;

	if (queue_reason_parse(line, &offset, &text) == 0) {
		if (offset < 0)
			abort();
		queue_reason_clean(&clean, text);
		if (clean.len > QUEUE_REASON_MAX)
			abort();
		for (size_t i = 0; i < clean.len; i++)
			if ((unsigned char)clean.data[i] < 0x20 || clean.data[i] == 0x7f)
				abort();
	}
	str_free(&clean);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = harness_cstr(data, size);
	char *save = NULL;
	char *line;

	harness_quiet();
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		fuzz_line(line);
	mem_free(text);
	return 0;
}
