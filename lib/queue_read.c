/*
 * queue_read: reading a queue file (format in queue.h). The reader trusts
 * nothing: every length is checked against its limit and the file size,
 * every record must end in "\n", and the file must end with exactly one
 * "E" record. Content is never loaded, only located.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mem.h"
#include "queue.h"

#define QUEUE_READ_BUF (64 * 1024)
#define QUEUE_USEC_PER_SEC 1000000

typedef struct queue_reader {
	int fd;
	off_t size;
	off_t buf_start;		/* file offset of buf[0] */
	size_t buf_len;
	char buf[QUEUE_READ_BUF];
} queue_reader_t;

/* Bytes available at off (buffered), 0 at the end of the file, -1 on error. */
static ssize_t queue_reader_at(queue_reader_t *rd, off_t off, const char **data)
{
	ssize_t n;
	size_t want;

	if (off >= rd->size)
		return 0;
	if (off < rd->buf_start || off >= rd->buf_start + (off_t)rd->buf_len) {
		want = rd->size - off < (off_t)sizeof(rd->buf) ? (size_t)(rd->size - off) : sizeof(rd->buf);
		do
			n = pread(rd->fd, rd->buf, want, off);
		while (n < 0 && errno == EINTR);
		if (n <= 0)
			return -1;	/* a short file here means it shrank under us */
		rd->buf_start = off;
		rd->buf_len = (size_t)n;
	}
	*data = rd->buf + (off - rd->buf_start);
	return (ssize_t)(rd->buf_len - (size_t)(off - rd->buf_start));
}

/* One byte at off; -1 at the end of the file or on error. */
static int queue_reader_byte(queue_reader_t *rd, off_t off)
{
	const char *data;

	return queue_reader_at(rd, off, &data) > 0 ? (unsigned char)*data : -1;
}

static int queue_reader_copy(queue_reader_t *rd, off_t off, size_t len, str_t *out)
{
	const char *data;
	ssize_t n;

	str_reset(out);
	while (len > 0) {
		if ((n = queue_reader_at(rd, off, &data)) <= 0)
			return -1;
		if ((size_t)n > len)
			n = (ssize_t)len;
		str_append(out, data, (size_t)n);
		off += n;
		len -= (size_t)n;
	}
	return 0;
}

/* A parsed record header: where its data starts and how long it is. */
typedef struct queue_record {
	int type;
	off_t offset;
	off_t data_offset;
	off_t len;
} queue_record_t;

static int queue_reject(str_t *err, const char *fmt, long long offset)
{
	str_printf(err, fmt, offset);
	return -1;
}

/* Parse "type length:" at off and check that the record fits in the file. */
static int queue_record_head(queue_reader_t *rd, off_t off, queue_record_t *rec, str_t *err)
{
	off_t pos = off + 1;
	long long len = 0;
	int digits = 0;
	int c;

	rec->offset = off;
	if ((rec->type = queue_reader_byte(rd, off)) < 0)
		return queue_reject(err, "no end record (file ends at offset %lld)", off);
	while ((c = queue_reader_byte(rd, pos)) != ':') {
		if (c < 0)
			return queue_reject(err, "truncated record at offset %lld", off);
		if (!isdigit(c) || ++digits > QUEUE_LENGTH_DIGITS_MAX || len > (LLONG_MAX - 9) / 10)
			return queue_reject(err, "bad record length at offset %lld", off);
		len = len * 10 + (c - '0');
		pos++;
	}
	if (digits == 0 || (rec->type == 'M' && digits != QUEUE_CONTENT_DIGITS)
	    || (rec->type != 'M' && len > QUEUE_RECORD_MAX))
		return queue_reject(err, "bad record length at offset %lld", off);
	rec->data_offset = pos + 1;
	if (len > (long long)(rd->size - rec->data_offset))
		return queue_reject(err, "truncated record at offset %lld", off);
	rec->len = (off_t)len;
	c = queue_reader_byte(rd, rec->data_offset + rec->len);
	if (c < 0)
		return queue_reject(err, "truncated record at offset %lld", off);
	if (c != '\n')
		return queue_reject(err, "record at offset %lld does not end with a newline", off);
	return 0;
}

static int queue_parse_arrival(const char *text, struct timeval *tv)
{
	char *end;
	long long sec;
	long usec;

	if (!isdigit((unsigned char)text[0]))
		return -1;
	errno = 0;
	sec = strtoll(text, &end, 10);
	if (errno || *end != '.' || !isdigit((unsigned char)end[1]))
		return -1;
	usec = strtol(end + 1, &end, 10);
	if (errno || *end || usec >= QUEUE_USEC_PER_SEC)
		return -1;
	tv->tv_sec = (time_t)sec;
	tv->tv_usec = (suseconds_t)usec;
	return 0;
}

/* Per-file parse state: which once-only records were seen, and the
 * original recipient and DSN data in force (from the last O record and
 * the N and Q records after it). */
typedef struct queue_seen {
	int version, arrival, warn, sender, content;
	char *orig;
	int notify;
	char *orcpt;
} queue_seen_t;

static void queue_take_rcpt(queue_msg_t *msg, const queue_record_t *rec, str_t *data,
			    const queue_seen_t *seen)
{
	queue_rcpt_t *rcpt;

	msg->rcpts = mem_realloc(msg->rcpts, (msg->nrcpts + 1) * sizeof(*msg->rcpts));
	rcpt = &msg->rcpts[msg->nrcpts++];
	rcpt->offset = rec->offset;
	rcpt->done = rec->type == 'D';
	rcpt->orig = seen->orig ? mem_strdup(seen->orig) : NULL;
	rcpt->dsn_notify = seen->notify;
	rcpt->dsn_orcpt = seen->orcpt ? mem_strdup(seen->orcpt) : NULL;
	rcpt->addr = str_steal(data);
}

/* The N record: the decimal flags, no leading zero. */
static int queue_parse_notify(const str_t *data)
{
	int flags = 0;

	if (data->len == 0 || data->len > QUEUE_NOTIFY_DIGITS_MAX || data->data[0] == '0')
		return -1;
	for (size_t i = 0; i < data->len; i++) {
		if (!isdigit((unsigned char)data->data[i]))
			return -1;
		flags = flags * 10 + (data->data[i] - '0');
	}
	return queue_notify_valid(flags) ? flags : -1;
}

/* O, N and Q: what applies to the recipients after them. */
static int queue_take_rcpt_data(const queue_record_t *rec, str_t *data, queue_seen_t *seen,
				str_t *err)
{
	long long off = (long long)rec->offset;

	switch (rec->type) {
	case 'O':
		if (data->len == 0)
			return queue_reject(err, "empty original recipient record at offset %lld", off);
		mem_free(seen->orig);
		mem_free(seen->orcpt);
		seen->orig = str_steal(data);
		seen->orcpt = NULL;
		seen->notify = 0;
		return 0;
	case 'N':
		if (seen->notify || (seen->notify = queue_parse_notify(data)) < 0)
			return queue_reject(err, "bad or repeated notify record at offset %lld", off);
		return 0;
	default:	/* 'Q' */
		if (seen->orcpt || !queue_orcpt_valid(str_cstr(data)))
			return queue_reject(err, "bad or repeated ORCPT record at offset %lld", off);
		seen->orcpt = str_steal(data);
		return 0;
	}
}

/* The W record: one byte, "0" (no delay warning yet) or "1", at most once. */
static int queue_take_warn(queue_msg_t *msg, const queue_record_t *rec, const str_t *data,
			   queue_seen_t *seen, str_t *err)
{
	if (seen->warn++ || data->len != 1
	    || (data->data[0] != QUEUE_WARN_PENDING && data->data[0] != QUEUE_WARN_SENT))
		return queue_reject(err, "bad or repeated delay warning record at offset %lld",
				    (long long)rec->offset);
	msg->warn_offset = rec->data_offset;
	msg->warned = data->data[0] == QUEUE_WARN_SENT;
	return 0;
}

static int queue_take_record(queue_msg_t *msg, const queue_record_t *rec, str_t *data,
			     queue_seen_t *seen, str_t *err)
{
	long long off = (long long)rec->offset;
	char *eq;

	if (rec->type != 'M' && memchr(data->data ? data->data : "", 0, data->len))
		return queue_reject(err, "NUL byte in record at offset %lld", off);
	if (!seen->version && rec->type != 'V')
		return queue_reject(err, "record at offset %lld comes before the version record", off);
	if (seen->content)
		return queue_reject(err, "record at offset %lld follows the content", off);
	switch (rec->type) {
	case 'V':
		if (seen->version++ || strcmp(str_cstr(data), QUEUE_FORMAT_VERSION) != 0)
			return queue_reject(err, "bad or repeated version record at offset %lld", off);
		return 0;
	case 'T':
		if (seen->arrival++ || queue_parse_arrival(str_cstr(data), &msg->arrival) < 0)
			return queue_reject(err, "bad or repeated arrival record at offset %lld", off);
		return 0;
	case 'W':
		return queue_take_warn(msg, rec, data, seen, err);
	case 'S':
		if (seen->sender++)
			return queue_reject(err, "repeated sender record at offset %lld", off);
		msg->sender = str_steal(data);
		return 0;
	case 'A':
		if ((eq = strchr(str_cstr(data), '=')) == NULL || eq == data->data)
			return queue_reject(err, "bad attribute record at offset %lld", off);
		msg->attrs = mem_realloc(msg->attrs, (msg->nattrs + 1) * sizeof(*msg->attrs));
		msg->attrs[msg->nattrs].name = mem_strndup(data->data, (size_t)(eq - data->data));
		msg->attrs[msg->nattrs++].value = mem_strdup(eq + 1);
		return 0;
	case 'O':
	case 'N':
	case 'Q':
		return queue_take_rcpt_data(rec, data, seen, err);
	case 'R':
	case 'D':
		queue_take_rcpt(msg, rec, data, seen);
		return 0;
	case 'M':
		seen->content = 1;
		msg->content_offset = rec->data_offset;
		msg->content_size = rec->len;
		return 0;
	default:
		str_printf(err, "unknown record type 0x%02X at offset %lld", rec->type, off);
		return -1;
	}
}

/* The final record: "E0:\n" ending exactly at the end of the file. */
static int queue_check_end(const queue_reader_t *rd, const queue_record_t *rec,
			   const queue_seen_t *seen, str_t *err)
{
	off_t end = rec->data_offset + rec->len + 1;

	if (rec->len != 0)
		return queue_reject(err, "bad end record at offset %lld", (long long)rec->offset);
	if (end != rd->size)
		return queue_reject(err, "data after the end record at offset %lld", (long long)end);
	if (!seen->version || !seen->arrival || !seen->sender || !seen->content) {
		str_printf(err, "missing %s record", !seen->version ? "version"
			   : !seen->arrival ? "arrival time" : !seen->sender ? "sender" : "content");
		return -1;
	}
	return 0;
}

static int queue_parse(queue_reader_t *rd, queue_msg_t *msg, str_t *err)
{
	queue_record_t rec;
	queue_seen_t seen = { 0, 0, 0, 0, 0, NULL, 0, NULL };
	str_t data = STR_INIT;
	off_t off = 0;
	int ret;

	for (;;) {
		if ((ret = queue_record_head(rd, off, &rec, err)) < 0)
			break;
		if (rec.type == 'E') {
			ret = queue_check_end(rd, &rec, &seen, err);
			break;
		}
		if (rec.type != 'M' && queue_reader_copy(rd, rec.data_offset, (size_t)rec.len, &data) < 0) {
			ret = queue_reject(err, "read error in record at offset %lld", (long long)off);
			break;
		}
		if ((ret = queue_take_record(msg, &rec, &data, &seen, err)) < 0)
			break;
		off = rec.data_offset + rec.len + 1;
	}
	mem_free(seen.orig);
	mem_free(seen.orcpt);
	str_free(&data);
	return ret;
}

int queue_read(int fd, const char *id, queue_msg_t *msg, str_t *err)
{
	queue_reader_t *rd;
	struct stat st;
	int ret;

	memset(msg, 0, sizeof(*msg));
	snprintf(msg->id, sizeof(msg->id), "%s", id);
	if (fstat(fd, &st) < 0) {
		str_printf(err, "fstat: %s", strerror(errno));
		return -1;
	}
	rd = mem_alloc(sizeof(*rd));
	rd->fd = fd;
	rd->size = st.st_size;
	rd->buf_start = 0;
	rd->buf_len = 0;
	msg->file_size = st.st_size;
	ret = queue_parse(rd, msg, err);
	mem_free(rd);
	if (ret < 0) {
		queue_msg_free(msg);
		snprintf(msg->id, sizeof(msg->id), "%s", id);
	}
	return ret;
}

void queue_msg_free(queue_msg_t *msg)
{
	size_t i;

	mem_free(msg->sender);
	for (i = 0; i < msg->nattrs; i++) {
		mem_free(msg->attrs[i].name);
		mem_free(msg->attrs[i].value);
	}
	mem_free(msg->attrs);
	for (i = 0; i < msg->nrcpts; i++) {
		mem_free(msg->rcpts[i].addr);
		mem_free(msg->rcpts[i].orig);
		mem_free(msg->rcpts[i].dsn_orcpt);
	}
	mem_free(msg->rcpts);
	memset(msg, 0, sizeof(*msg));
}

const queue_rcpt_t *queue_msg_rcpt_at(const queue_msg_t *msg, const char *offset_text)
{
	char *end;
	long long offset;

	errno = 0;
	offset = strtoll(offset_text, &end, 10);
	if (*offset_text == 0 || *end != 0 || errno != 0)
		return NULL;
	for (size_t i = 0; i < msg->nrcpts; i++)
		if (msg->rcpts[i].offset == (off_t)offset)
			return &msg->rcpts[i];
	return NULL;
}

const char *queue_msg_attr(const queue_msg_t *msg, const char *name)
{
	size_t i;

	for (i = 0; i < msg->nattrs; i++)
		if (strcmp(msg->attrs[i].name, name) == 0)
			return msg->attrs[i].value;
	return NULL;
}
