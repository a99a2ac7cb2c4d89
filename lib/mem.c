/*
 * mem: allocation wrappers that never return NULL.
 *
 * Running out of memory is fatal for a mail daemon's current job, and
 * master restarts the process, so every helper logs and exits instead of
 * handing NULL to a caller that would have to unwind.
 */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "mem.h"

/* malloc(0) may legitimately return NULL; ask for one byte instead. */
static size_t mem_nonzero(size_t size)
{
	return size ? size : 1;
}

static void *mem_check(void *ptr)
{
	if (ptr == NULL)
		log_fatal("out of memory");
	return ptr;
}

void *mem_alloc(size_t size)
{
	return mem_check(malloc(mem_nonzero(size)));
}

void *mem_calloc(size_t count, size_t size)
{
	if (count == 0 || size == 0)
		count = size = 1;
	return mem_check(calloc(count, size));
}

void *mem_realloc(void *ptr, size_t size)
{
	return mem_check(realloc(ptr, mem_nonzero(size)));
}

char *mem_strdup(const char *s)
{
	return mem_check(strdup(s));
}

char *mem_strndup(const char *s, size_t n)
{
	return mem_check(strndup(s, n));
}

void mem_free(void *ptr)
{
	free(ptr);
}
