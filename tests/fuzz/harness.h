/*
 * harness: what every libFuzzer harness in tests/fuzz/ shares. Each
 * fuzz_NAME.c defines LLVMFuzzerTestOneInput and feeds the bytes to one
 * parser; these helpers keep the runs quiet, deterministic and inside
 * memory (no file is written outside an anonymous memfd or a private
 * temporary directory).
 */
#ifndef POCHTA_FUZZ_HARNESS_H
#define POCHTA_FUZZ_HARNESS_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Send the mail log to /dev/null (once): parsers warn about bad input. */
void harness_quiet(void);
/* The input as a NUL-terminated copy (an embedded NUL ends the C string
 * early, as it would for the caller); free with mem_free. */
char *harness_cstr(const uint8_t *data, size_t size);
/* An anonymous file holding the input, positioned at its start. */
int harness_memfd(const uint8_t *data, size_t size);
/* "/proc/self/fd/N" for fd, to hand to readers that take a path. */
void harness_fd_path(int fd, char *buf, size_t bufsize);

#endif
