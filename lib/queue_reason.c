/*
 * queue_reason: the side files with the reasons why deferred recipients
 * wait (see queue_reason.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fdio.h"
#include "mem.h"
#include "queue.h"
#include "queue_reason.h"

#define QUEUE_REASON_PATH_MAX 128	/* "defer/.tmp.ID" */
#define QUEUE_REASON_LINE_MAX (QUEUE_REASON_MAX + 32)	/* the offset, a space, '\n' */
#define QUEUE_REASON_FILE_MODE 0600
#define QUEUE_REASON_TEMP_PREFIX ".tmp."

void queue_reason_clean(str_t *out, const char *reason)
{
	size_t len = strnlen(reason, QUEUE_REASON_MAX);

	str_reset(out);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)reason[i];

		str_putc(out, c < 0x20 || c == 0x7f ? QUEUE_REASON_REPLACEMENT : c);
	}
}

int queue_reason_parse(const char *line, off_t *offset, const char **text)
{
	char *end;
	intmax_t value;

	if (*line < '0' || *line > '9')
		return -1;
	errno = 0;
	value = strtoimax(line, &end, 10);
	if (errno != 0 || *end != ' ' || value > (intmax_t)INT64_MAX)
		return -1;
	*offset = (off_t)value;
	*text = end + 1;
	return 0;
}

/* defer/PREFIXID: 0, or -1 with errno EINVAL when id is no queue ID. */
static int queue_reason_path(char *path, const char *prefix, const char *id)
{
	if (!queue_id_valid(id)) {
		errno = EINVAL;
		return -1;
	}
	snprintf(path, QUEUE_REASON_PATH_MAX, "%s/%s%s", QUEUE_REASON_DIR, prefix, id);
	return 0;
}

static int queue_reason_write_file(const char *path, const str_t *content)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
		      QUEUE_REASON_FILE_MODE);
	int err;

	if (fd < 0)
		return -1;
	if (fdio_write_all(fd, content->data, content->len) < 0) {
		err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	return close(fd);
}

int queue_reason_save(const char *id, const queue_reason_t *items, size_t count)
{
	char temp[QUEUE_REASON_PATH_MAX], path[QUEUE_REASON_PATH_MAX];
	str_t content = STR_INIT, reason = STR_INIT;
	int rc, err;

	if (count == 0)
		return queue_reason_remove(id);
	if (queue_reason_path(temp, QUEUE_REASON_TEMP_PREFIX, id) < 0
	    || queue_reason_path(path, "", id) < 0)
		return -1;
	for (size_t i = 0; i < count; i++) {
		queue_reason_clean(&reason, items[i].text);
		str_printf(&content, "%jd %s\n", (intmax_t)items[i].offset, str_cstr(&reason));
	}
	rc = queue_reason_write_file(temp, &content);
	if (rc == 0)
		rc = rename(temp, path);
	err = errno;
	if (rc != 0)
		(void)unlink(temp);
	str_free(&content);
	str_free(&reason);
	errno = err;
	return rc;
}

int queue_reason_remove(const char *id)
{
	char path[QUEUE_REASON_PATH_MAX];

	if (queue_reason_path(path, "", id) < 0)
		return -1;
	return unlink(path) == 0 || errno == ENOENT ? 0 : -1;
}

static int queue_reason_cmp(const void *a, const void *b)
{
	off_t x = ((const queue_reason_t *)a)->offset, y = ((const queue_reason_t *)b)->offset;

	return (x > y) - (x < y);
}

/* Keep one line of the file; a malformed one is left out. */
static void queue_reason_add(queue_reasons_t *out, char *line)
{
	off_t offset;
	const char *text;

	line[strcspn(line, "\n")] = 0;
	if (queue_reason_parse(line, &offset, &text) < 0)
		return;
	out->items = mem_realloc(out->items, (out->count + 1) * sizeof(*out->items));
	out->items[out->count].offset = offset;
	out->items[out->count++].text = mem_strndup(text, QUEUE_REASON_MAX);
}

void queue_reason_load(const char *id, queue_reasons_t *out)
{
	char path[QUEUE_REASON_PATH_MAX], line[QUEUE_REASON_LINE_MAX];
	int whole = 1;			/* the previous line ended where fgets stopped */
	FILE *fp;

	memset(out, 0, sizeof(*out));
	if (queue_reason_path(path, "", id) < 0 || (fp = fopen(path, "re")) == NULL)
		return;
	while (out->count < QUEUE_REASON_LINES_MAX && fgets(line, sizeof(line), fp)) {
		int ends = strchr(line, '\n') != NULL;

		if (whole && ends)
			queue_reason_add(out, line);
		whole = ends;		/* the rest of an overlong line is skipped */
	}
	fclose(fp);
	if (out->count > 1)
		qsort(out->items, out->count, sizeof(*out->items), queue_reason_cmp);
}

const char *queue_reason_find(const queue_reasons_t *r, off_t offset)
{
	queue_reason_t key = { .offset = offset };
	const queue_reason_t *hit;

	if (r->count == 0)
		return NULL;
	hit = bsearch(&key, r->items, r->count, sizeof(*r->items), queue_reason_cmp);
	return hit ? hit->text : NULL;
}

void queue_reason_free(queue_reasons_t *r)
{
	for (size_t i = 0; i < r->count; i++)
		mem_free(r->items[i].text);
	mem_free(r->items);
	memset(r, 0, sizeof(*r));
}
