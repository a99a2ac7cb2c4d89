/*
 * conf_lines: reading text files in main.cf syntax (see conf.h): a bounded
 * read of the whole file, then logical lines with comments and blank lines
 * skipped and continuation lines joined. main.cf, master.cf and the table
 * sources all go through here.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "str.h"

#define CONF_READ_CHUNK 8192

int conf_read_file(const char *path, size_t max, str_t *text, str_t *err)
{
	char buf[CONF_READ_CHUNK];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		str_printf(err, "%s: %s", path, strerror(errno));
		return -1;
	}
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || text->len + (size_t)n > max) {
			str_printf(err, "%s: %s", path, n < 0 ? strerror(errno) : "file too large");
			close(fd);
			return -1;
		}
		str_append(text, buf, (size_t)n);
	}
	close(fd);
	return 0;
}

/* The next physical line; its length, or -1 at the end of the text. */
static ssize_t conf_lines_physical(conf_lines_t *rd, const char **line)
{
	const char *start = rd->text + rd->pos;
	const char *nl;
	size_t len;

	if (rd->pos >= rd->len)
		return -1;
	nl = memchr(start, '\n', rd->len - rd->pos);
	len = nl ? (size_t)(nl - start) : rd->len - rd->pos;
	rd->pos += len + (nl != NULL);
	rd->lineno++;
	*line = start;
	return (ssize_t)len;
}

/* Blank and comment lines ("#" after optional white space) carry nothing. */
static int conf_line_empty(const char *line, size_t len)
{
	size_t i = 0;

	while (i < len && isspace((unsigned char)line[i]))
		i++;
	return i == len || line[i] == '#';
}

/*
 * The next logical line into out, trimmed, continuation lines joined with
 * one space; *first_line is where it started. Blank and comment lines are
 * skipped, also between continuation lines. 0, or -1 at the end.
 */
int conf_lines_next(conf_lines_t *rd, str_t *out, int *first_line)
{
	const char *line;
	ssize_t len;
	size_t mark;
	int mark_line;
	char *trimmed;

	str_reset(out);
	do {
		if ((len = conf_lines_physical(rd, &line)) < 0)
			return -1;
	} while (conf_line_empty(line, (size_t)len));
	if (isspace((unsigned char)line[0]))
		log_warning("%s, line %d: ignoring leading whitespace", rd->path, rd->lineno);
	*first_line = rd->lineno;
	str_append(out, line, (size_t)len);
	for (;;) {
		mark = rd->pos;
		mark_line = rd->lineno;
		if ((len = conf_lines_physical(rd, &line)) < 0)
			break;
		if (conf_line_empty(line, (size_t)len))
			continue;
		if (!isspace((unsigned char)line[0])) {
			rd->pos = mark;
			rd->lineno = mark_line;
			break;
		}
		while (out->len > 0 && isspace((unsigned char)out->data[out->len - 1]))
			str_truncate(out, out->len - 1);
		while (len > 0 && isspace((unsigned char)*line))
			line++, len--;
		str_putc(out, ' ');
		str_append(out, line, (size_t)len);
	}
	trimmed = str_trim(out->data);
	str_set(out, trimmed);
	return 0;
}

void conf_lines_init(conf_lines_t *rd, const char *path, const str_t *text)
{
	rd->path = path;
	rd->text = text->data ? text->data : "";
	rd->len = text->len;
	rd->pos = 0;
	rd->lineno = 0;
}
