/*
 * fdio: plain descriptor I/O helpers for files (queue files, Maildir and
 * mbox deliveries), where a short write is not an error but EINTR and
 * partial writes must be retried.
 */
#ifndef POCHTA_FDIO_H
#define POCHTA_FDIO_H

#include <stddef.h>

/* Write all len bytes; 0, or -1 with errno. */
int fdio_write_all(int fd, const void *data, size_t len);

#endif
