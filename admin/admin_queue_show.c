/*
 * admin_queue_show: "pochta queue show [-e] [-h] [-b] ID", one message as
 * postcat -q shows it: the envelope (arrival, sender, attributes, each
 * recipient with its state and DSN fields), then the header, then the
 * body, each part under a "*** ... ***" line. -e, -h and -b pick parts
 * (postcat's flags); none means all. The content is copied from the
 * queue file as it is, in bounded reads.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "admin.h"
#include "admin_queue.h"

#define ADMIN_SHOW_BUF 65536
#define ADMIN_SHOW_TIME_MAX 64

static void admin_show_time(const char *label, time_t t)
{
	char stamp[ADMIN_SHOW_TIME_MAX];
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL || strftime(stamp, sizeof(stamp), "%a %b %e %H:%M:%S %Y", &tm) == 0)
		snprintf(stamp, sizeof(stamp), "%lld", (long long)t);
	printf("%s: %s\n", label, stamp);
}

static void admin_show_notify(int flags)
{
	static const struct { int flag; const char *name; } names[] = {
		{ QUEUE_NOTIFY_NEVER, "NEVER" }, { QUEUE_NOTIFY_SUCCESS, "SUCCESS" },
		{ QUEUE_NOTIFY_FAILURE, "FAILURE" }, { QUEUE_NOTIFY_DELAY, "DELAY" },
	};
	const char *sep = "";

	printf("  notify: ");
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (flags & names[i].flag) {
			printf("%s%s", sep, names[i].name);
			sep = ",";
		}
	}
	putchar('\n');
}

static void admin_show_envelope(const admin_qmsg_t *m)
{
	const queue_msg_t *qm = &m->qm;

	printf("*** ENVELOPE RECORDS %s/%s ***\n", m->queue, qm->id);
	admin_show_time("message_arrival_time", qm->arrival.tv_sec);
	if (strcmp(m->queue, QUEUE_DEFERRED) == 0)
		admin_show_time("next_retry_time", m->mtime);
	printf("message_size: %lld\n", (long long)qm->content_size);
	if (qm->warn_offset)
		printf("delay_warning: %s\n", qm->warned ? "sent" : "not sent");
	printf("sender: %s\n", qm->sender);
	for (size_t i = 0; i < qm->nattrs; i++)
		printf("named_attribute: %s=%s\n", qm->attrs[i].name, qm->attrs[i].value);
	for (size_t i = 0; i < qm->nrcpts; i++) {
		const queue_rcpt_t *r = &qm->rcpts[i];

		printf("%s: %s\n", r->done ? "done_recipient" : "recipient", r->addr);
		if (r->orig)
			printf("  original_recipient: %s\n", r->orig);
		if (r->dsn_notify)
			admin_show_notify(r->dsn_notify);
		if (r->dsn_orcpt)
			printf("  orcpt: %s\n", r->dsn_orcpt);
	}
}

/* Copy the content's header (up to and with the empty line that ends it)
 * and/or its body to stdout. */
static int admin_show_content(const admin_qmsg_t *m, int parts)
{
	char buf[ADMIN_SHOW_BUF];
	off_t off = m->qm.content_offset, end = off + m->qm.content_size;
	int in_header = 1, at_line_start = 1;
	ssize_t n;

	while (off < end && (in_header || parts & ADMIN_SHOW_BODY)) {
		size_t want = end - off < (off_t)sizeof(buf) ? (size_t)(end - off) : sizeof(buf);

		if ((n = pread(m->fd, buf, want, off)) <= 0) {
			admin_say("warning: %s: read error: %s", m->qm.id, n < 0 ? strerror(errno) : "short file");
			return 1;
		}
		for (ssize_t i = 0; i < n; i++) {
			if (in_header ? parts & ADMIN_SHOW_HEADER : parts & ADMIN_SHOW_BODY)
				putchar(buf[i]);
			if (in_header && buf[i] == '\n' && at_line_start) {
				in_header = 0;
				if (parts & ADMIN_SHOW_BODY)
					printf("*** MESSAGE BODY %s/%s ***\n", m->queue, m->qm.id);
			}
			at_line_start = buf[i] == '\n';
		}
		off += n;
	}
	return 0;
}

int admin_queue_show(const char *id, int parts)
{
	admin_qmsg_t m;
	int status = 0;

	if (parts == 0)
		parts = ADMIN_SHOW_ENVELOPE | ADMIN_SHOW_HEADER | ADMIN_SHOW_BODY;
	if (admin_queue_find(id, &m) != 0)
		return 1;
	if (parts & ADMIN_SHOW_ENVELOPE)
		admin_show_envelope(&m);
	if (parts & ADMIN_SHOW_HEADER)
		printf("*** MESSAGE CONTENTS %s/%s ***\n", m.queue, m.qm.id);
	if (parts & (ADMIN_SHOW_HEADER | ADMIN_SHOW_BODY))
		status = admin_show_content(&m, parts);
	printf("*** MESSAGE FILE END %s/%s ***\n", m.queue, m.qm.id);
	admin_qmsg_close(&m);
	return status;
}
