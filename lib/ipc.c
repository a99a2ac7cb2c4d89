/*
 * ipc: the request/reply format between Pochta's daemons (see ipc.h).
 *
 *   P1 2\n
 *   sender 17:alice@example.org\n
 *   rcpt 15:bob@example.org\n
 *
 * The reader trusts nothing: every size is checked before memory is
 * committed, and any deviation from the format is IPC_BAD, after which the
 * caller should drop the connection (the stream is no longer in step).
 *
 * One parser serves both readers. It pulls its bytes from a source: a
 * stream (ipc_read), which runs dry only at the peer's end of file, or a
 * buffer (ipc_parse), which runs dry when the rest has not arrived yet.
 * Each piece is bounded before it is taken, so a buffer source is
 * incomplete only while it is shorter than IPC_WIRE_MAX.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipc.h"
#include "log.h"
#include "mem.h"
#include "str.h"

#define IPC_COUNT_DIGITS_MAX 5		/* digits of IPC_ATTR_MAX, and of a version */
#define IPC_NO_STOP (-1)		/* ipc_src_t.take: stop at no byte */
#define IPC_INT_TEXT_MAX 32		/* a long long in decimal */

struct ipc_attr {
	char *name;
	char *value;		/* NUL-terminated copy */
	size_t len;		/* real length of value */
};

struct ipc_msg {
	struct ipc_attr *attrs;
	size_t count;
	size_t cap;
};

/*
 * Where the parser's bytes come from. take appends to out up to max bytes,
 * ending early after a byte equal to stop (IPC_NO_STOP: none), and returns
 * STREAM_OK when it took max bytes or the stop byte. When the source runs
 * dry first it returns STREAM_EOF (stream) or IPC_INCOMPLETE (buffer), and
 * out holds what was taken, if anything; other stream statuses pass through.
 */
typedef struct ipc_src ipc_src_t;
struct ipc_src {
	int (*take)(ipc_src_t *src, str_t *out, size_t max, int stop);
	stream_t *st;			/* a stream source */
	const char *buf;		/* a buffer source: buf[pos..len) is unread */
	size_t len;
	size_t pos;
};

ipc_msg_t *ipc_new(void)
{
	return mem_calloc(1, sizeof(ipc_msg_t));
}

void ipc_clear(ipc_msg_t *msg)
{
	for (size_t i = 0; i < msg->count; i++) {
		mem_free(msg->attrs[i].name);
		mem_free(msg->attrs[i].value);
	}
	msg->count = 0;
}

void ipc_free(ipc_msg_t *msg)
{
	if (msg == NULL)
		return;
	ipc_clear(msg);
	mem_free(msg->attrs);
	mem_free(msg);
}

static int ipc_name_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

static int ipc_name_valid(const char *name, size_t len)
{
	if (len == 0 || len > IPC_NAME_MAX)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!ipc_name_char((unsigned char)name[i]))
			return 0;
	return 1;
}

/* Takes ownership of name and value. */
static void ipc_push(ipc_msg_t *msg, char *name, char *value, size_t len)
{
	if (msg->count == msg->cap) {
		msg->cap = msg->cap ? msg->cap * 2 : 8;
		msg->attrs = mem_realloc(msg->attrs, msg->cap * sizeof(*msg->attrs));
	}
	msg->attrs[msg->count].name = name;
	msg->attrs[msg->count].value = value;
	msg->attrs[msg->count].len = len;
	msg->count++;
}

/* A writer breaking the format is a bug in Pochta, not bad input. */
void ipc_add_len(ipc_msg_t *msg, const char *name, const void *value, size_t len)
{
	char *copy;

	if (!ipc_name_valid(name, strlen(name)))
		log_panic("ipc_add: bad attribute name \"%.*s\"", IPC_NAME_MAX, name);
	if (len > IPC_VALUE_MAX)
		log_panic("ipc_add: value of \"%s\" too long: %zu bytes", name, len);
	if (msg->count >= IPC_ATTR_MAX)
		log_panic("ipc_add: more than %d attributes", IPC_ATTR_MAX);
	copy = mem_alloc(len + 1);
	memcpy(copy, value, len);
	copy[len] = 0;
	ipc_push(msg, mem_strdup(name), copy, len);
}

void ipc_add(ipc_msg_t *msg, const char *name, const char *value)
{
	ipc_add_len(msg, name, value, strlen(value));
}

void ipc_add_int(ipc_msg_t *msg, const char *name, long long value)
{
	char text[IPC_INT_TEXT_MAX];

	snprintf(text, sizeof(text), "%lld", value);
	ipc_add(msg, name, text);
}

size_t ipc_count(const ipc_msg_t *msg)
{
	return msg->count;
}

static const struct ipc_attr *ipc_attr(const ipc_msg_t *msg, size_t index)
{
	if (index >= msg->count)
		log_panic("ipc: attribute index %zu out of %zu", index, msg->count);
	return &msg->attrs[index];
}

const char *ipc_name(const ipc_msg_t *msg, size_t index)
{
	return ipc_attr(msg, index)->name;
}

const char *ipc_value(const ipc_msg_t *msg, size_t index, size_t *len)
{
	const struct ipc_attr *attr = ipc_attr(msg, index);

	if (len)
		*len = attr->len;
	return attr->value;
}

const char *ipc_get(const ipc_msg_t *msg, const char *name)
{
	for (size_t i = 0; i < msg->count; i++)
		if (strcmp(msg->attrs[i].name, name) == 0)
			return msg->attrs[i].value;
	return NULL;
}

long long ipc_get_int(const ipc_msg_t *msg, const char *name, long long dflt)
{
	const char *text = ipc_get(msg, name);
	char *end;
	long long value;

	if (text == NULL || (text[0] != '-' && (text[0] < '0' || text[0] > '9')))
		return dflt;
	errno = 0;
	value = strtoll(text, &end, 10);
	if (errno != 0 || end == text || *end != 0)
		return dflt;
	return value;
}

int ipc_write(stream_t *st, const ipc_msg_t *msg)
{
	int status = stream_printf(st, "P%d %zu\n", IPC_VERSION, msg->count);

	for (size_t i = 0; i < msg->count && status == STREAM_OK; i++) {
		const struct ipc_attr *attr = &msg->attrs[i];

		status = stream_printf(st, "%s %zu:", attr->name, attr->len);
		if (status == STREAM_OK)
			status = stream_write(st, attr->value, attr->len);
		if (status == STREAM_OK)
			status = stream_write(st, "\n", 1);
	}
	return status;
}

/* Byte by byte when there is a stop byte: what follows it is not ours. */
static int ipc_stream_take(ipc_src_t *src, str_t *out, size_t max, int stop)
{
	int status = STREAM_OK;

	if (stop == IPC_NO_STOP)
		return stream_read_exact(src->st, out, max);
	for (size_t n = 0; n < max && status == STREAM_OK; n++) {
		status = stream_read_exact(src->st, out, 1);
		if (status == STREAM_OK && (unsigned char)out->data[out->len - 1] == stop)
			break;
	}
	return status;
}

static int ipc_buf_take(ipc_src_t *src, str_t *out, size_t max, int stop)
{
	const char *start = src->buf + src->pos;
	size_t avail = src->len - src->pos;
	size_t n = avail < max ? avail : max;
	const char *hit = stop == IPC_NO_STOP ? NULL : memchr(start, stop, n);

	if (hit != NULL)
		n = (size_t)(hit - start) + 1;
	else if (n < max)
		return IPC_INCOMPLETE;
	str_append(out, start, n);
	src->pos += n;
	return STREAM_OK;
}

/* A source that ran dry inside a message: a stream's end is malformed input. */
static int ipc_truncated(int status)
{
	return status == STREAM_EOF ? IPC_BAD : status;
}

/*
 * Parse decimal digits at *p (no sign, no leading zero unless the number is
 * 0) up to max_digits; advances *p. -1 when there are none or too many.
 */
static long ipc_parse_count(const char **p, int max_digits)
{
	const char *s = *p;
	long value = 0;
	int digits = 0;

	while (*s >= '0' && *s <= '9') {
		if (++digits > max_digits)
			return -1;
		value = value * 10 + (*s++ - '0');
	}
	if (digits == 0 || (digits > 1 && **p == '0'))
		return -1;
	*p = s;
	return value;
}

/* "P1 COUNT\n": the attribute count, or a negative status (the source's
 * own when it is dry before the first byte: a clean end of stream). */
static long ipc_parse_header(ipc_src_t *src, str_t *line)
{
	int status;
	const char *p;
	long version;
	long count;

	str_reset(line);
	status = src->take(src, line, IPC_HEADER_MAX, '\n');
	if (status != STREAM_OK)
		return line->len == 0 ? status : ipc_truncated(status);
	p = str_cstr(line);
	if (*p++ != 'P')
		return IPC_BAD;
	version = ipc_parse_count(&p, IPC_COUNT_DIGITS_MAX);
	if (version != IPC_VERSION || *p++ != ' ')
		return IPC_BAD;
	count = ipc_parse_count(&p, IPC_COUNT_DIGITS_MAX);
	if (count < 0 || count > IPC_ATTR_MAX || strcmp(p, "\n") != 0)
		return IPC_BAD;
	return count;
}

/* "name LEN:" into prefix; the value's length, or a negative status. */
static long ipc_parse_prefix(ipc_src_t *src, str_t *prefix, size_t *name_len)
{
	const char *space;
	const char *p;
	long len;
	int status;

	str_reset(prefix);
	if ((status = src->take(src, prefix, IPC_PREFIX_MAX, ':')) != STREAM_OK)
		return ipc_truncated(status);
	if (prefix->data[prefix->len - 1] != ':')
		return IPC_BAD;
	space = memchr(prefix->data, ' ', prefix->len);
	if (space == NULL || !ipc_name_valid(prefix->data, (size_t)(space - prefix->data)))
		return IPC_BAD;
	*name_len = (size_t)(space - prefix->data);
	p = space + 1;
	len = ipc_parse_count(&p, IPC_LENGTH_DIGITS_MAX);
	if (len < 0 || len > IPC_VALUE_MAX || *p != ':')
		return IPC_BAD;
	return len;
}

/* One attribute; *total counts the value bytes of the message so far. */
static int ipc_parse_attr(ipc_src_t *src, ipc_msg_t *msg, str_t *buf, size_t *total)
{
	str_t value = STR_INIT;
	size_t name_len = 0;
	long len = ipc_parse_prefix(src, buf, &name_len);
	int status;

	if (len < 0)
		return (int)len;
	if (*total + (size_t)len > IPC_MSG_MAX)
		return IPC_BAD;
	status = src->take(src, &value, (size_t)len + 1, IPC_NO_STOP);
	if (status == STREAM_OK && value.data[len] != '\n')
		status = IPC_BAD;
	if (status != STREAM_OK) {
		str_free(&value);
		return ipc_truncated(status);
	}
	str_truncate(&value, (size_t)len);
	ipc_push(msg, mem_strndup(buf->data, name_len), str_steal(&value), (size_t)len);
	*total += (size_t)len;
	return STREAM_OK;
}

/* The one parser: msg gets the next message from src, or stays empty. */
static int ipc_parse_msg(ipc_src_t *src, ipc_msg_t *msg)
{
	str_t buf = STR_INIT;
	long count;
	int status = STREAM_OK;
	size_t total = 0;

	ipc_clear(msg);
	count = ipc_parse_header(src, &buf);
	if (count < 0)
		status = (int)count;
	for (long i = 0; i < count && status == STREAM_OK; i++)
		status = ipc_parse_attr(src, msg, &buf, &total);
	if (status != STREAM_OK)
		ipc_clear(msg);
	str_free(&buf);
	return status;
}

int ipc_read(stream_t *st, ipc_msg_t *msg)
{
	ipc_src_t src = { .take = ipc_stream_take, .st = st };

	return ipc_parse_msg(&src, msg);
}

int ipc_parse(const char *buf, size_t len, ipc_msg_t *msg, size_t *used)
{
	ipc_src_t src = { .take = ipc_buf_take, .buf = buf, .len = len };
	int status = ipc_parse_msg(&src, msg);

	if (status == STREAM_OK)
		*used = src.pos;
	return status;
}
