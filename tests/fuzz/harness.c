/*
 * harness: helpers shared by the fuzz harnesses (see harness.h).
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "harness.h"
#include "log.h"
#include "mem.h"

void harness_quiet(void)
{
	static int done;

	if (!done && log_open_file("/dev/null") == 0)
		done = 1;
}

char *harness_cstr(const uint8_t *data, size_t size)
{
	char *text = mem_alloc(size + 1);

	memcpy(text, data, size);
	text[size] = 0;
	return text;
}

int harness_memfd(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz", MFD_CLOEXEC);
	size_t done = 0;
	ssize_t n;

	if (fd < 0)
		log_panic("memfd_create failed");
	while (done < size) {
		if ((n = write(fd, data + done, size - done)) <= 0)
			log_panic("write to memfd failed");
		done += (size_t)n;
	}
	if (lseek(fd, 0, SEEK_SET) < 0)
		log_panic("lseek on memfd failed");
	return fd;
}

void harness_fd_path(int fd, char *buf, size_t bufsize)
{
	snprintf(buf, bufsize, "/proc/self/fd/%d", fd);
}
