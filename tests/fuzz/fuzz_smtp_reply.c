/*
 * fuzz_smtp_reply: what a remote SMTP server answers, split into lines
 * at LF, into smtp_reply_feed as the SMTP client reads its replies; each
 * complete reply is joined for the mail log and its lines walked.
 */
#include <string.h>

#include "harness.h"
#include "smtp_reply.h"

static void fuzz_complete(const smtp_reply_t *r)
{
	str_t text = STR_INIT;
	size_t i, len;

	smtp_reply_text(r, &text);
	for (i = 0; i < r->nlines; i++)
		(void)smtp_reply_line_text(r, i, &len);
	str_free(&text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	const char *end = in + size;
	const char *nl;
	const char *why;
	smtp_reply_t r;
	int status;

	harness_quiet();
	smtp_reply_init(&r);
	while (in < end) {
		nl = memchr(in, '\n', (size_t)(end - in));
		nl = nl ? nl + 1 : end;
		status = smtp_reply_feed(&r, in, (size_t)(nl - in), &why);
		if (status == SMTP_REPLY_DONE)
			fuzz_complete(&r);
		if (status != SMTP_REPLY_MORE)
			smtp_reply_reset(&r);
		in = nl;
	}
	smtp_reply_free(&r);
	return 0;
}
