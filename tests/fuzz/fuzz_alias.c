/*
 * fuzz_alias: the aliases(5) syntax local applies when it delivers. The
 * first byte chooses what the rest is: one logical line of an aliases
 * file (alias_split_line, then its value into alias_parse_targets), or
 * the text of a :include: or .forward file, which the recipient's owner
 * writes (alias_parse_file_text).
 */
#include "alias.h"
#include "harness.h"
#include "mem.h"

static void fuzz_line(const uint8_t *data, size_t size, alias_list_t *list)
{
	char *line = harness_cstr(data, size);
	const char *why;
	char *name, *value;

	if (alias_split_line(line, &name, &value, &why) == 0)
		(void)alias_parse_targets(value, list, &why);
	mem_free(line);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	alias_list_t list = { NULL, 0 };
	const char *why;

	if (size == 0)
		return 0;
	harness_quiet();
	if (data[0] & 1)
		(void)alias_parse_file_text((const char *)data + 1, size - 1, &list, &why);
	else
		fuzz_line(data + 1, size - 1, &list);
	alias_list_free(&list);
	return 0;
}
