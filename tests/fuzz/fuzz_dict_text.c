/*
 * fuzz_dict_text: a table source (the postmap "key value" format) from an
 * anonymous memfd into dict_text_load, as texthash: and "pochta map" read
 * it (the first input byte chooses that or the aliases-file reading of
 * "pochta map" and newaliases); every entry is then walked and looked up.
 */
#include <unistd.h>

#include "dict_type.h"
#include "harness.h"

#define FUZZ_PATH_SIZE 64

static int fuzz_visit(const char *key, const char *value, void *ctx)
{
	str_t found = STR_INIT;

	(void)value;
	if (dict_lookup(ctx, key, &found) != 1)
		__builtin_trap();
	str_free(&found);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[FUZZ_PATH_SIZE];
	dict_t *dict;
	int fd;

	if (size == 0)
		return 0;
	harness_quiet();
	fd = harness_memfd(data + 1, size - 1);
	harness_fd_path(fd, path, sizeof(path));
	dict = dict_text_load(path, data[0] & 1 ? DICT_BUILD_ALIAS : 0);
	if (dict_error(dict) == NULL)
		(void)dict_walk(dict, fuzz_visit, dict);
	dict_close(dict);
	close(fd);
	return 0;
}
