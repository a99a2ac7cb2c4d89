/*
 * admin_queue_summary: "pochta queue summary [-s] [queue...]", the table
 * qshape prints: one row per recipient domain (-s: sender domain), the
 * busiest first after a TOTAL row, with the total and the count per age
 * bucket. Buckets double from ADMIN_SUMMARY_FIRST minutes ("5 10 20 ...
 * 1280 1280+"); a message's age is the time since it arrived. Recipient
 * rows count pending recipients, sender rows count messages. Without
 * queue names it shows incoming and active, as qshape does.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "admin_queue.h"
#include "mem.h"

#define ADMIN_SUMMARY_BUCKETS 10	/* columns after T, the last open-ended */
#define ADMIN_SUMMARY_FIRST 5		/* minutes: the first bucket's limit */
#define ADMIN_SUMMARY_LABEL_MAX 24	/* a long and "+" */
#define ADMIN_SUMMARY_NO_DOMAIN "(none)"
#define ADMIN_SUMMARY_NULL_SENDER "MAILER-DAEMON"

typedef struct admin_sample {
	char *domain;
	int bucket;
} admin_sample_t;

typedef struct admin_row {
	const char *domain;
	long count[ADMIN_SUMMARY_BUCKETS + 1];	/* [0]: total */
} admin_row_t;

typedef struct admin_summary {
	int by_sender;
	time_t now;
	admin_sample_t *samples;
	size_t nsamples;
} admin_summary_t;

static int admin_summary_bucket(long age_minutes)
{
	long limit = ADMIN_SUMMARY_FIRST;

	for (int b = 0; b < ADMIN_SUMMARY_BUCKETS - 1; b++, limit *= 2)
		if (age_minutes < limit)
			return b;
	return ADMIN_SUMMARY_BUCKETS - 1;
}

static void admin_summary_add(admin_summary_t *s, const char *addr, int bucket)
{
	const char *at = strrchr(addr, '@');
	const char *domain = *addr == 0 && s->by_sender ? ADMIN_SUMMARY_NULL_SENDER
		: at && at[1] ? at + 1 : ADMIN_SUMMARY_NO_DOMAIN;
	char *copy = mem_strdup(domain);

	for (char *p = copy; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	s->samples = mem_realloc(s->samples, (s->nsamples + 1) * sizeof(*s->samples));
	s->samples[s->nsamples++] = (admin_sample_t){ copy, bucket };
}

static int admin_summary_visit(admin_qmsg_t *m, void *ctx)
{
	admin_summary_t *s = ctx;
	long age = (long)(s->now - m->qm.arrival.tv_sec);
	int bucket = admin_summary_bucket(age > 0 ? age / 60 : 0);

	if (s->by_sender) {
		admin_summary_add(s, m->qm.sender, bucket);
		return 0;
	}
	for (size_t i = 0; i < m->qm.nrcpts; i++)
		if (!m->qm.rcpts[i].done)
			admin_summary_add(s, m->qm.rcpts[i].addr, bucket);
	return 0;
}

static int admin_sample_cmp(const void *a, const void *b)
{
	return strcmp(((const admin_sample_t *)a)->domain, ((const admin_sample_t *)b)->domain);
}

static int admin_row_cmp(const void *a, const void *b)
{
	const admin_row_t *x = a, *y = b;

	if (x->count[0] != y->count[0])
		return x->count[0] < y->count[0] ? 1 : -1;
	return strcmp(x->domain, y->domain);
}

/* Rows per domain, busiest first; rows[0] is TOTAL. */
static admin_row_t *admin_summary_rows(admin_summary_t *s, size_t *count)
{
	admin_row_t *rows = mem_calloc(s->nsamples + 1, sizeof(*rows));
	size_t n = 1;

	rows[0].domain = "TOTAL";
	if (s->nsamples > 1)
		qsort(s->samples, s->nsamples, sizeof(*s->samples), admin_sample_cmp);
	for (size_t i = 0; i < s->nsamples; i++) {
		if (i == 0 || strcmp(s->samples[i - 1].domain, s->samples[i].domain) != 0)
			rows[n++].domain = s->samples[i].domain;
		rows[n - 1].count[0]++;
		rows[n - 1].count[1 + s->samples[i].bucket]++;
		rows[0].count[0]++;
		rows[0].count[1 + s->samples[i].bucket]++;
	}
	if (n > 2)
		qsort(rows + 1, n - 1, sizeof(*rows), admin_row_cmp);
	*count = n;
	return rows;
}

static void admin_summary_print(const admin_row_t *rows, size_t n)
{
	char labels[ADMIN_SUMMARY_BUCKETS + 1][ADMIN_SUMMARY_LABEL_MAX];
	int width[ADMIN_SUMMARY_BUCKETS + 1], name_width = 0, len;
	long limit = ADMIN_SUMMARY_FIRST;

	snprintf(labels[0], sizeof(labels[0]), "T");
	for (int b = 1; b <= ADMIN_SUMMARY_BUCKETS; b++, limit *= 2)
		snprintf(labels[b], sizeof(labels[b]), b < ADMIN_SUMMARY_BUCKETS ? "%ld" : "%ld+",
			 b < ADMIN_SUMMARY_BUCKETS ? limit : limit / 2);
	for (int c = 0; c <= ADMIN_SUMMARY_BUCKETS; c++)
		width[c] = (int)strlen(labels[c]);
	for (size_t r = 0; r < n; r++) {
		if ((len = (int)strlen(rows[r].domain)) > name_width)
			name_width = len;
		for (int c = 0; c <= ADMIN_SUMMARY_BUCKETS; c++)
			if ((len = snprintf(NULL, 0, "%ld", rows[r].count[c])) > width[c])
				width[c] = len;
	}
	printf("%*s", name_width, "");
	for (int c = 0; c <= ADMIN_SUMMARY_BUCKETS; c++)
		printf(" %*s", width[c], labels[c]);
	putchar('\n');
	for (size_t r = 0; r < n; r++) {
		printf("%*s", name_width, rows[r].domain);
		for (int c = 0; c <= ADMIN_SUMMARY_BUCKETS; c++)
			printf(" %*ld", width[c], rows[r].count[c]);
		putchar('\n');
	}
}

int admin_queue_summary(char **queues, int count, int by_sender)
{
	admin_summary_t s = { by_sender, time(NULL), NULL, 0 };
	admin_qfilter_t f;
	admin_row_t *rows;
	size_t n;

	admin_qfilter_init(&f);
	if (count > ADMIN_QUEUE_COUNT)
		admin_fatal("too many queue names");
	for (int i = 0; i < count; i++)
		if ((f.queues[i] = admin_queue_name(queues[i])) == NULL)
			admin_fatal("%s: no such queue (incoming, active, deferred, hold)", queues[i]);
	if (count == 0) {
		f.queues[0] = QUEUE_INCOMING;
		f.queues[1] = QUEUE_ACTIVE;
	}
	admin_queue_walk(&f, admin_summary_visit, &s);
	rows = admin_summary_rows(&s, &n);
	admin_summary_print(rows, n);
	for (size_t i = 0; i < s.nsamples; i++)
		mem_free(s.samples[i].domain);
	mem_free(s.samples);
	mem_free(rows);
	return 0;
}
