/*
 * fuzz_conf_master: a master.cf from an anonymous memfd into
 * conf_master_load, as master reads it at start and on reload (with
 * main.cf's defaults for "-" fields).
 */
#include <unistd.h>

#include "conf.h"
#include "harness.h"

#define FUZZ_PATH_SIZE 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = harness_memfd(data, size);
	char path[FUZZ_PATH_SIZE];
	conf_service_t *services;
	str_t err = STR_INIT;
	size_t count;

	harness_quiet();
	harness_fd_path(fd, path, sizeof(path));
	if (conf_master_load(path, &services, &count, &err) == 0)
		conf_master_free(services, count);
	str_free(&err);
	close(fd);
	return 0;
}
