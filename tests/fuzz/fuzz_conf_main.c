/*
 * fuzz_conf_main: a main.cf, written to a private temporary directory,
 * into conf_load as every program reads it at start; when it loads, every
 * known parameter is expanded ($name, ${name?text}, ${name:text}).
 *
 * A $name loop or an expansion past CONF_VALUE_MAX is a fatal error by
 * design (conf.h): this harness is linked with --wrap=log_fatal, so such
 * an input returns here instead of ending the run. What the abandoned
 * expansion had allocated is then unreachable, so leaks from the frames
 * a fatal error unwinds are suppressed; master.cf's harness checks the
 * shared line reader with no suppression.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "conf.h"
#include "harness.h"
#include "log.h"

#define FUZZ_PATH_SIZE 256

static jmp_buf fuzz_fatal_return;
static char fuzz_dir[FUZZ_PATH_SIZE] = "";
static char fuzz_main_cf[FUZZ_PATH_SIZE];

_Noreturn void __wrap_log_fatal(const char *fmt, ...);
const char *__lsan_default_suppressions(void);

_Noreturn void __wrap_log_fatal(const char *fmt, ...)
{
	(void)fmt;
	longjmp(fuzz_fatal_return, 1);
}

const char *__lsan_default_suppressions(void)
{
	return "leak:conf_expand\nleak:conf_read_file\nleak:conf_lines_next\n";
}

static void fuzz_remove_dir(void)
{
	unlink(fuzz_main_cf);
	rmdir(fuzz_dir);
}

static void fuzz_make_dir(void)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(fuzz_dir, sizeof(fuzz_dir), "%s/pochta-fuzz-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(fuzz_dir) == NULL)
		log_panic("mkdtemp %s failed", fuzz_dir);
	snprintf(fuzz_main_cf, sizeof(fuzz_main_cf), "%s/main.cf", fuzz_dir);
	atexit(fuzz_remove_dir);
}

static void fuzz_write_main_cf(const uint8_t *data, size_t size)
{
	int fd = open(fuzz_main_cf, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0 || write(fd, data, size) != (ssize_t)size || close(fd) != 0)
		log_panic("cannot write %s", fuzz_main_cf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	str_t err = STR_INIT;
	const conf_param_t *p;

	harness_quiet();
	if (fuzz_dir[0] == 0)
		fuzz_make_dir();
	fuzz_write_main_cf(data, size);
	if (setjmp(fuzz_fatal_return) == 0 && conf_load(fuzz_dir, &err) == 0)
		for (p = conf_params; p->name; p++)
			(void)conf_get(p->name);
	conf_unload();
	str_free(&err);
	return 0;
}
