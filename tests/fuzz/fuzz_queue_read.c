/*
 * fuzz_queue_read: a queue file (format in queue.h) from an anonymous
 * memfd into queue_read, as qmgr and the delivery agents read a file
 * from incoming/, active/ or deferred/; each recipient found is then
 * looked up again by its offset, as qmgr names it to delivery agents.
 */
#include <stdio.h>
#include <unistd.h>

#include "harness.h"
#include "queue.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = harness_memfd(data, size);
	str_t err = STR_INIT;
	queue_msg_t msg;
	char offset[32];
	size_t i;

	harness_quiet();
	if (queue_read(fd, "0000000000000z1", &msg, &err) == 0) {
		(void)queue_msg_attr(&msg, "dsn_ret");
		for (i = 0; i < msg.nrcpts; i++) {
			snprintf(offset, sizeof(offset), "%lld", (long long)msg.rcpts[i].offset);
			if (queue_msg_rcpt_at(&msg, offset) != &msg.rcpts[i])
				__builtin_trap();
		}
	}
	queue_msg_free(&msg);
	str_free(&err);
	close(fd);
	return 0;
}
