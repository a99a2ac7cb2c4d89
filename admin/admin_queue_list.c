/*
 * admin_queue_list: "pochta queue list" (-p) and "list --json" (-j).
 *
 * The text form is mailq's as Postfix prints it, which scripts parse:
 *
 *   -Queue ID-  --Size-- ----Arrival Time---- -Sender/Recipient-------
 *   ID*             1234 Mon Oct 31 10:30:45  sender@example.org
 *                                            rcpt@example.net
 *
 *   -- 2 Kbytes in 1 Request.
 *
 * "*" marks a message in the active queue (being delivered), "!" one on
 * hold; the null sender shows as MAILER-DAEMON; only recipients still
 * pending are listed. A recipient that waits for a known reason (qmgr's
 * defer/ID, queue_reason.h) has it in parentheses on the line before,
 * ending at column ADMIN_LIST_REASON_END when it fits, and shared with the
 * recipients after it that wait for the same one, as mailq shows it:
 *
 *       (connect to 127.0.0.1[127.0.0.1]:25: Connection refused)
 *                                            rcpt@example.net
 *
 * The JSON form is postqueue -j's: one object per line with queue_name,
 * queue_id, arrival_time, message_size, forced_expire, sender and
 * recipients [{address, delay_reason}], delay_reason only when known.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "addr.h"
#include "admin.h"
#include "admin_queue.h"
#include "queue_reason.h"

#define ADMIN_LIST_TIME_MAX 32		/* "Mon Oct 31 10:30:45" */
#define ADMIN_LIST_RCPT_INDENT 42	/* the sender column */
#define ADMIN_LIST_REASON_END 78	/* the column a short reason ends at */
#define ADMIN_LIST_KBYTE 1024
#define ADMIN_NULL_SENDER "MAILER-DAEMON"

typedef struct admin_list_state {
	int json;
	long long bytes;
	long count;
} admin_list_state_t;

static char admin_list_mark(const char *queue)
{
	if (strcmp(queue, QUEUE_ACTIVE) == 0)
		return '*';
	if (strcmp(queue, QUEUE_HOLD) == 0)
		return '!';
	return ' ';
}

/* "(reason)", ending at ADMIN_LIST_REASON_END when it fits. */
static void admin_list_reason(const char *reason)
{
	int pad = ADMIN_LIST_REASON_END - 2 - (int)strlen(reason);

	printf("%*s(%s)\n", pad > 0 ? pad : 0, "", reason);
}

static void admin_list_text(const admin_qmsg_t *m, const queue_reasons_t *reasons)
{
	const char *reason, *shown = NULL;
	char stamp[ADMIN_LIST_TIME_MAX];
	time_t arrival = m->qm.arrival.tv_sec;
	struct tm tm;

	if (localtime_r(&arrival, &tm) == NULL
	    || strftime(stamp, sizeof(stamp), "%a %b %e %H:%M:%S", &tm) == 0)
		snprintf(stamp, sizeof(stamp), "??? ??? ?? ??:??:??");
	printf("%s%c %8lld %-20s %s\n", m->qm.id, admin_list_mark(m->queue),
	       (long long)m->qm.content_size, stamp,
	       *m->qm.sender ? m->qm.sender : ADMIN_NULL_SENDER);
	for (size_t i = 0; i < m->qm.nrcpts; i++) {
		if (m->qm.rcpts[i].done)
			continue;
		reason = queue_reason_find(reasons, m->qm.rcpts[i].offset);
		if (reason && (shown == NULL || strcmp(reason, shown) != 0))
			admin_list_reason(reason);
		shown = reason;
		printf("%*s%s\n", ADMIN_LIST_RCPT_INDENT, "", m->qm.rcpts[i].addr);
	}
	putchar('\n');
}

/* A JSON string; bytes that are not UTF-8 come out as \u00XX. */
static void admin_json_string(const char *s)
{
	int raw_8bit = addr_charset(s) != ADDR_NOT_UTF8;

	putchar('"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f || (*p >= 0x80 && !raw_8bit))
			printf("\\u%04x", *p);
		else
			putchar(*p);
	}
	putchar('"');
}

static void admin_list_json(const admin_qmsg_t *m, const queue_reasons_t *reasons)
{
	const char *reason;
	int first = 1;

	printf("{\"queue_name\": \"%s\", \"queue_id\": \"%s\", \"arrival_time\": %lld, "
	       "\"message_size\": %lld, \"forced_expire\": false, \"sender\": ", m->queue, m->qm.id,
	       (long long)m->qm.arrival.tv_sec, (long long)m->qm.content_size);
	admin_json_string(m->qm.sender);
	printf(", \"recipients\": [");
	for (size_t i = 0; i < m->qm.nrcpts; i++) {
		if (m->qm.rcpts[i].done)
			continue;
		printf("%s{\"address\": ", first ? "" : ", ");
		admin_json_string(m->qm.rcpts[i].addr);
		if ((reason = queue_reason_find(reasons, m->qm.rcpts[i].offset)) != NULL) {
			printf(", \"delay_reason\": ");
			admin_json_string(reason);
		}
		putchar('}');
		first = 0;
	}
	printf("]}\n");
}

static int admin_list_visit(admin_qmsg_t *m, void *ctx)
{
	admin_list_state_t *st = ctx;
	queue_reasons_t reasons;

	queue_reason_load(m->qm.id, &reasons);
	if (st->json) {
		admin_list_json(m, &reasons);
	} else {
		if (st->count == 0)
			printf("%-10s %8s %-20s %s\n", "-Queue ID-", "--Size--",
			       "----Arrival Time----", "-Sender/Recipient-------");
		admin_list_text(m, &reasons);
		st->bytes += m->qm.content_size;
		st->count++;
	}
	queue_reason_free(&reasons);
	return 0;
}

int admin_queue_list(const admin_list_opts_t *opts)
{
	admin_list_state_t st = { opts->json, 0, 0 };

	admin_queue_walk(&opts->filter, admin_list_visit, &st);
	if (st.json)
		return 0;
	if (st.count == 0)
		printf("Mail queue is empty\n");
	else
		printf("-- %lld Kbytes in %ld Request%s.\n",
		       (st.bytes + ADMIN_LIST_KBYTE - 1) / ADMIN_LIST_KBYTE, st.count,
		       st.count == 1 ? "" : "s");
	return 0;
}
