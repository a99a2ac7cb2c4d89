/*
 * maildir_list: a Maildir's messages with POP3 sizes and ids (see
 * maildir_list.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "maildir_list.h"
#include "mem.h"
#include "str.h"

static void maildir_list_add(maildir_list_t *list, size_t *cap, const char *sub,
			     const char *base, long long size)
{
	maildir_list_item_t *item;
	str_t name = STR_INIT;

	if (list->count == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		list->items = mem_realloc(list->items, *cap * sizeof(*list->items));
	}
	item = &list->items[list->count++];
	str_printf(&name, "%s/%s", sub, base);
	item->name = str_steal(&name);
	item->uid = mem_strndup(base, strcspn(base, ":"));
	item->size = size;
	list->total += size;
}

long long maildir_list_crlf_size(FILE *f)
{
	long long size = 0;
	int c, prev = 0;

	while ((c = getc(f)) != EOF) {
		size += c == '\n' && prev != '\r' ? 2 : 1;
		prev = c;
	}
	return size;
}

/* The CR LF size of one file; -1 with errno (ENOENT: it went away). */
static long long maildir_list_file_size(int sub_fd, const char *base)
{
	int fd = openat(sub_fd, base, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	long long size;
	FILE *f;

	if (fd < 0 || (f = fdopen(fd, "r")) == NULL) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	size = maildir_list_crlf_size(f);
	fclose(f);
	return size;
}

static int maildir_list_sub(int dir_fd, const char *sub, maildir_list_t *list, size_t *cap)
{
	int sub_fd = openat(dir_fd, sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *dir = sub_fd < 0 ? NULL : fdopendir(sub_fd);
	struct dirent *de;

	if (dir == NULL) {
		if (sub_fd >= 0)
			close(sub_fd);
		return errno == ENOENT ? 0 : -1;
	}
	while ((de = readdir(dir)) != NULL && list->count < MAILDIR_LIST_MAX) {
		long long size;

		if (de->d_name[0] == '.')
			continue;
		size = maildir_list_file_size(sub_fd, de->d_name);
		if (size >= 0)
			maildir_list_add(list, cap, sub, de->d_name, size);
	}
	closedir(dir);
	return 0;
}

/* Unique names start with the delivery time in seconds: order by it,
 * then by the rest of the name. */
static int maildir_list_cmp(const void *a, const void *b)
{
	const maildir_list_item_t *x = a, *y = b;
	long long tx = atoll(x->uid), ty = atoll(y->uid);

	if (tx != ty)
		return tx < ty ? -1 : 1;
	return strcmp(x->uid, y->uid);
}

int maildir_list_read(int dir_fd, maildir_list_t *list)
{
	size_t cap = 0;

	memset(list, 0, sizeof(*list));
	if (maildir_list_sub(dir_fd, "cur", list, &cap) < 0
	    || maildir_list_sub(dir_fd, "new", list, &cap) < 0) {
		int err = errno;

		maildir_list_free(list);
		errno = err;
		return -1;
	}
	if (list->count > 0)
		qsort(list->items, list->count, sizeof(*list->items), maildir_list_cmp);
	return 0;
}

void maildir_list_free(maildir_list_t *list)
{
	for (size_t i = 0; i < list->count; i++) {
		mem_free(list->items[i].name);
		mem_free(list->items[i].uid);
	}
	mem_free(list->items);
	memset(list, 0, sizeof(*list));
}

/* The cur/ name of item once seen: flags kept in order, S among them. */
static void maildir_list_seen_name(const maildir_list_item_t *item, str_t *out)
{
	const char *base = strchr(item->name, '/') + 1;
	const char *info = strstr(base, MAILDIR_LIST_INFO);
	const char *flags = info ? info + strlen(MAILDIR_LIST_INFO) : "";
	int added = 0;

	str_printf(out, "cur/%s" MAILDIR_LIST_INFO, item->uid);
	for (; *flags; flags++) {
		if (!added && *flags > 'S') {
			str_putc(out, 'S');
			added = 1;
		}
		added |= *flags == 'S';
		str_putc(out, *flags);
	}
	if (!added)
		str_putc(out, 'S');
}

int maildir_list_seen(int dir_fd, maildir_list_item_t *item)
{
	str_t seen = STR_INIT;
	int rc = 0;

	maildir_list_seen_name(item, &seen);
	if (strcmp(seen.data, item->name) != 0) {
		rc = renameat(dir_fd, item->name, dir_fd, seen.data);
		if (rc == 0) {
			mem_free(item->name);
			item->name = str_steal(&seen);
		}
	}
	str_free(&seen);
	return rc;
}
