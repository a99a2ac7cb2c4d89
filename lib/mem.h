/*
 * mem: memory helpers that never return NULL.
 *
 * On allocation failure they log a fatal error and exit, so callers never
 * test for NULL. mem_free(NULL) is a no-op.
 */
#ifndef POCHTA_MEM_H
#define POCHTA_MEM_H

#include <stddef.h>

void *mem_alloc(size_t size);
void *mem_calloc(size_t count, size_t size);
void *mem_realloc(void *ptr, size_t size);
char *mem_strdup(const char *s);
char *mem_strndup(const char *s, size_t n);
void mem_free(void *ptr);

#endif
