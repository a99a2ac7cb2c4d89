/*
 * fuzz_pop3_handoff: the bytes the pop3d process reads from a login
 * process after a login (the hand-over, pop3d_login.c), from an anonymous
 * memfd through a stream into pop3d_handoff_read, which runs as root in a
 * root-started instance. What it accepts must be what the session
 * process relies on: a user name and a method that are one non-empty
 * text line within their limits, and a "rest" that the session's stream
 * can take back (stream_preload on a fresh stream).
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "pop3d.h"

static int fuzz_text_ok(const str_t *text, size_t max)
{
	return text->len > 0 && text->len <= max && strlen(text->data) == text->len
	    && strpbrk(text->data, "\r\n") == NULL;
}

static void fuzz_check(const pop3d_handoff_t *h)
{
	stream_t *session = stream_open(-1);	/* no descriptor: only preloaded */

	if (!fuzz_text_ok(&h->user, POP3D_USER_MAX) || !fuzz_text_ok(&h->method, POP3D_METHOD_MAX)
	    || stream_preload(session, h->rest.data, h->rest.len) < 0)
		abort();
	stream_close(session);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	stream_t *from_login = stream_open(harness_memfd(data, size));
	pop3d_handoff_t h = { STR_INIT, STR_INIT, 0, STR_INIT };

	harness_quiet();
	if (pop3d_handoff_read(from_login, &h) == 0)
		fuzz_check(&h);
	pop3d_handoff_free(&h);
	stream_close(from_login);
	return 0;
}
