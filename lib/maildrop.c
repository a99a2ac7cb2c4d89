/*
 * maildrop: the maildrop file format (see maildrop.h): the writer that
 * sendmail and postdrop use, and the strict reader that postdrop and
 * pickup use. The reader takes one record header at a time, checks the
 * order of the records with a small state machine, and reads no record
 * data before its length is known to be within bounds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "maildrop.h"
#include "mem.h"
#include "queue.h"

/* Where the reader is: which record types may come next. */
enum maildrop_state {
	MAILDROP_AT_VERSION,	/* nothing read yet */
	MAILDROP_AT_SENDER,	/* after V */
	MAILDROP_AT_OPTIONS,	/* after S: F, A, N or the first R */
	MAILDROP_AT_RCPTS,	/* after an R: more R, M or E */
	MAILDROP_AT_CONTENT,	/* after an M: more M or E */
};

void maildrop_env_init(maildrop_env_t *env)
{
	memset(env, 0, sizeof(*env));
}

void maildrop_env_free(maildrop_env_t *env)
{
	str_free(&env->sender);
	str_free(&env->fullname);
	str_free(&env->dsn_ret);
	str_free(&env->dsn_envid);
	str_free(&env->body_type);
	str_free(&env->rcpts);
	maildrop_env_init(env);
}

void maildrop_env_add_rcpt(maildrop_env_t *env, const char *rcpt)
{
	str_append(&env->rcpts, rcpt, strlen(rcpt) + 1);
	env->nrcpts++;
}

/* Printable ASCII without space, as RFC 3461 allows in ENVID once decoded. */
static int maildrop_envid_valid(const char *value)
{
	size_t len = strlen(value);

	if (len == 0 || len > MAILDROP_ENVID_MAX)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (value[i] < '!' || value[i] > '~')
			return 0;
	return 1;
}

int maildrop_env_set_attr(maildrop_env_t *env, const char *name, const char *value)
{
	str_t *slot;

	if (strcmp(name, MAILDROP_ATTR_DSN_RET) == 0) {
		if (strcmp(value, "FULL") != 0 && strcmp(value, "HDRS") != 0)
			return -1;
		slot = &env->dsn_ret;
	} else if (strcmp(name, MAILDROP_ATTR_DSN_ENVID) == 0) {
		if (!maildrop_envid_valid(value))
			return -1;
		slot = &env->dsn_envid;
	} else if (strcmp(name, MAILDROP_ATTR_BODY_TYPE) == 0) {
		if (strcmp(value, "7BIT") != 0 && strcmp(value, "8BITMIME") != 0)
			return -1;
		slot = &env->body_type;
	} else {
		return -1;
	}
	if (slot->len > 0)
		return -1;	/* each at most once */
	str_set(slot, value);
	return 0;
}

/* --- writing ------------------------------------------------------------ */

static void maildrop_put(str_t *out, int type, const void *data, size_t len)
{
	str_printf(out, "%c%zu:", type, len);
	str_append(out, data, len);
	str_putc(out, '\n');
}

static void maildrop_put_cstr(str_t *out, int type, const char *text)
{
	maildrop_put(out, type, text, strlen(text));
}

static void maildrop_put_attr(str_t *out, const char *name, const str_t *value)
{
	str_t pair = STR_INIT;

	if (value->len == 0)
		return;
	str_printf(&pair, "%s=%s", name, value->data);
	maildrop_put(out, MAILDROP_REC_ATTR, pair.data, pair.len);
	str_free(&pair);
}

void maildrop_put_envelope(str_t *out, const maildrop_env_t *env)
{
	const char *rcpt = env->rcpts.data;

	maildrop_put_cstr(out, MAILDROP_REC_VERSION, MAILDROP_VERSION);
	maildrop_put(out, MAILDROP_REC_SENDER, env->sender.data, env->sender.len);
	if (env->fullname.len > 0)
		maildrop_put(out, MAILDROP_REC_FULLNAME, env->fullname.data, env->fullname.len);
	maildrop_put_attr(out, MAILDROP_ATTR_DSN_RET, &env->dsn_ret);
	maildrop_put_attr(out, MAILDROP_ATTR_DSN_ENVID, &env->dsn_envid);
	maildrop_put_attr(out, MAILDROP_ATTR_BODY_TYPE, &env->body_type);
	if (env->notify != 0)
		str_printf(out, "%c%d:%d\n", MAILDROP_REC_NOTIFY,
			   snprintf(NULL, 0, "%d", env->notify), env->notify);
	for (size_t i = 0; i < env->nrcpts; i++, rcpt += strlen(rcpt) + 1)
		maildrop_put_cstr(out, MAILDROP_REC_RCPT, rcpt);
}

void maildrop_put_content(str_t *out, const char *data, size_t len)
{
	while (len > 0) {
		size_t piece = len < MAILDROP_PIECE_MAX ? len : MAILDROP_PIECE_MAX;

		maildrop_put(out, MAILDROP_REC_CONTENT, data, piece);
		data += piece;
		len -= piece;
	}
}

void maildrop_put_end(str_t *out)
{
	maildrop_put(out, MAILDROP_REC_END, "", 0);
}

void maildrop_name(char *buf, size_t size, ino_t inode)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	/* a queue ID (queue.h), so queue_id_valid accepts it */
	queue_id_make(buf, size, tv, (unsigned long long)inode);
}

/* --- reading ------------------------------------------------------------ */

void maildrop_reader_init(maildrop_reader_t *r, stream_t *in, long long content_max)
{
	memset(r, 0, sizeof(*r));
	r->in = in;
	r->content_max = content_max;
	r->state = MAILDROP_AT_VERSION;
}

/* A failed or short read: MAILDROP_IO with the reason. */
static int maildrop_io_error(int status, str_t *err)
{
	str_reset(err);
	if (status == STREAM_EOF)
		str_append_cstr(err, "the file ends before its end record");
	else if (status == STREAM_TIMEOUT)
		str_append_cstr(err, "read timeout");
	else
		str_append_cstr(err, "read error");
	return MAILDROP_IO;
}

static int maildrop_bad(str_t *err, const char *fmt, int type)
{
	str_reset(err);
	if (type >= '!' && type <= '~')
		str_printf(err, fmt, type);
	else
		str_printf(err, fmt, '?');
	return MAILDROP_BAD;
}

/* One byte; MAILDROP_OK or MAILDROP_IO. */
static int maildrop_byte(maildrop_reader_t *r, int *c, str_t *err)
{
	str_t one = STR_INIT;
	int status = stream_read_exact(r->in, &one, 1);

	if (status == STREAM_OK)
		*c = (unsigned char)one.data[0];
	str_free(&one);
	return status == STREAM_OK ? MAILDROP_OK : maildrop_io_error(status, err);
}

/* "type length ":"": the type and the length, checked for its digits. */
static int maildrop_header(maildrop_reader_t *r, int *type, size_t *len, str_t *err)
{
	int status, c, digits = 0;

	if ((status = maildrop_byte(r, type, err)) != MAILDROP_OK)
		return status;
	*len = 0;
	for (;;) {
		if ((status = maildrop_byte(r, &c, err)) != MAILDROP_OK)
			return status;
		if (c == ':' && digits > 0)
			return MAILDROP_OK;
		if (c < '0' || c > '9' || digits == MAILDROP_LENGTH_DIGITS_MAX
		    || (digits == 1 && *len == 0))
			return maildrop_bad(err, "record '%c': bad length", *type);
		*len = *len * 10 + (size_t)(c - '0');
		digits++;
	}
}

/* The data of a record and its "\n", into data (replaced). */
static int maildrop_data(maildrop_reader_t *r, int type, size_t len, str_t *data, str_t *err)
{
	int status, c;

	str_reset(data);
	str_append(data, "", 0);	/* a C string even when the record is empty ("V0:") */
	if (len > 0 && (status = stream_read_exact(r->in, data, len)) != STREAM_OK)
		return maildrop_io_error(status, err);
	if ((status = maildrop_byte(r, &c, err)) != MAILDROP_OK)
		return status;
	if (c != '\n')
		return maildrop_bad(err, "record '%c': no newline after its data", type);
	return MAILDROP_OK;
}

/* Envelope data: bounded, no NUL or other control byte. */
static int maildrop_field(maildrop_reader_t *r, int type, size_t len, str_t *data, str_t *err)
{
	int status;

	if (len > MAILDROP_FIELD_MAX)
		return maildrop_bad(err, "record '%c': too long", type);
	if ((status = maildrop_data(r, type, len, data, err)) != MAILDROP_OK)
		return status;
	for (size_t i = 0; i < data->len; i++) {
		unsigned char c = (unsigned char)data->data[i];

		if (c < ' ' || c == 0x7f)
			return maildrop_bad(err, "record '%c': control character in its data", type);
	}
	return MAILDROP_OK;
}

static int maildrop_take_attr(maildrop_env_t *env, const str_t *data, str_t *err)
{
	char *copy = mem_strndup(data->data, data->len);
	char *eq = strchr(copy, '=');
	int status = MAILDROP_OK;

	if (eq == NULL || (*eq = 0, maildrop_env_set_attr(env, copy, eq + 1) < 0))
		status = maildrop_bad(err, "record '%c': bad or repeated attribute", MAILDROP_REC_ATTR);
	mem_free(copy);
	return status;
}

static int maildrop_take_notify(maildrop_env_t *env, const str_t *data, str_t *err)
{
	char *end;
	long flags = data->len ? strtol(data->data, &end, 10) : 0;

	if (data->len == 0 || data->len > QUEUE_NOTIFY_DIGITS_MAX || *end
	    || data->data[0] == '0' || !queue_notify_valid((int)flags))
		return maildrop_bad(err, "record '%c': bad NOTIFY flags", MAILDROP_REC_NOTIFY);
	env->notify = (int)flags;
	return MAILDROP_OK;
}

/* Store one envelope record that arrived in its place. */
static int maildrop_take(maildrop_reader_t *r, maildrop_env_t *env, int type, str_t *data,
			 str_t *err)
{
	switch (type) {
	case MAILDROP_REC_VERSION:
		if (strcmp(data->data, MAILDROP_VERSION) != 0)
			return maildrop_bad(err, "record '%c': unknown version", type);
		r->state = MAILDROP_AT_SENDER;
		return MAILDROP_OK;
	case MAILDROP_REC_SENDER:
		str_set(&env->sender, data->data);
		r->state = MAILDROP_AT_OPTIONS;
		return MAILDROP_OK;
	case MAILDROP_REC_FULLNAME:
		if (env->fullname.len > 0 || data->len == 0)
			return maildrop_bad(err, "record '%c': empty or repeated", type);
		str_set(&env->fullname, data->data);
		return MAILDROP_OK;
	case MAILDROP_REC_ATTR:
		return maildrop_take_attr(env, data, err);
	case MAILDROP_REC_NOTIFY:
		if (env->notify != 0)
			return maildrop_bad(err, "record '%c': repeated", type);
		return maildrop_take_notify(env, data, err);
	default:		/* MAILDROP_REC_RCPT */
		if (data->len == 0 || env->nrcpts >= MAILDROP_RCPT_MAX)
			return maildrop_bad(err, "record '%c': empty, or too many recipients", type);
		maildrop_env_add_rcpt(env, data->data);
		r->state = MAILDROP_AT_RCPTS;
		return MAILDROP_OK;
	}
}

/* May a record of this type come now? */
static int maildrop_in_order(const maildrop_reader_t *r, int type)
{
	switch (r->state) {
	case MAILDROP_AT_VERSION:
		return type == MAILDROP_REC_VERSION;
	case MAILDROP_AT_SENDER:
		return type == MAILDROP_REC_SENDER;
	case MAILDROP_AT_OPTIONS:
		return strchr("FANR", type) != NULL;
	case MAILDROP_AT_RCPTS:
		return strchr("RME", type) != NULL;
	default:
		return strchr("ME", type) != NULL;
	}
}

/* The next record header, checked against the order. */
static int maildrop_next(maildrop_reader_t *r, int *type, size_t *len, str_t *err)
{
	int status;

	if (r->have_pending) {
		r->have_pending = 0;
		*type = r->pending_type;
		*len = r->pending_len;
		return MAILDROP_OK;
	}
	if (r->done)
		return maildrop_bad(err, "record '%c': data after the end record", MAILDROP_REC_END);
	if ((status = maildrop_header(r, type, len, err)) != MAILDROP_OK)
		return status;
	if (*type == 0 || strchr("VSFANRME", *type) == NULL)
		return maildrop_bad(err, "record '%c': unknown record type", *type);
	if (!maildrop_in_order(r, *type))
		return maildrop_bad(err, "record '%c': out of order", *type);
	return MAILDROP_OK;
}

int maildrop_read_envelope(maildrop_reader_t *r, maildrop_env_t *env, str_t *err)
{
	str_t data = STR_INIT;
	size_t len;
	int type, status;

	while ((status = maildrop_next(r, &type, &len, err)) == MAILDROP_OK) {
		if (type == MAILDROP_REC_CONTENT || type == MAILDROP_REC_END) {
			r->have_pending = 1;	/* for maildrop_read_content */
			r->pending_type = type;
			r->pending_len = len;
			break;
		}
		if ((status = maildrop_field(r, type, len, &data, err)) != MAILDROP_OK
		    || (status = maildrop_take(r, env, type, &data, err)) != MAILDROP_OK)
			break;
	}
	str_free(&data);
	return status;
}

/* After the E record: its data is empty and the input ends there. */
static int maildrop_end(maildrop_reader_t *r, size_t len, str_t *err)
{
	str_t data = STR_INIT;
	int status = len ? maildrop_bad(err, "record '%c': not empty", MAILDROP_REC_END)
			 : maildrop_data(r, MAILDROP_REC_END, 0, &data, err);

	if (status == MAILDROP_OK) {
		int probe = stream_read_exact(r->in, &data, 1);

		if (probe != STREAM_EOF)
			status = probe == STREAM_OK
				 ? maildrop_bad(err, "record '%c': data after the end record",
						MAILDROP_REC_END)
				 : maildrop_io_error(probe, err);
	}
	r->done = 1;
	str_free(&data);
	return status;
}

int maildrop_read_content(maildrop_reader_t *r, str_t *data, int *more, str_t *err)
{
	size_t len;
	int type, status;

	*more = 0;
	if (r->state < MAILDROP_AT_RCPTS)	/* maildrop_read_envelope first */
		return maildrop_bad(err, "record '%c': no recipient before it", MAILDROP_REC_CONTENT);
	if ((status = maildrop_next(r, &type, &len, err)) != MAILDROP_OK)
		return status;
	if (type == MAILDROP_REC_END)
		return maildrop_end(r, len, err);
	if (len == 0 || len > MAILDROP_PIECE_MAX)
		return maildrop_bad(err, "record '%c': empty or too long", type);
	if (r->content_max > 0 && r->content_size + (long long)len > r->content_max) {
		str_reset(err);
		str_printf(err, "message content larger than %lld bytes", r->content_max);
		return MAILDROP_TOOBIG;
	}
	if ((status = maildrop_data(r, type, len, data, err)) != MAILDROP_OK)
		return status;
	r->content_size += (long long)len;
	r->state = MAILDROP_AT_CONTENT;
	*more = 1;
	return MAILDROP_OK;
}
