/*
 * maildir_list: the messages of one Maildir as a POP3 server sees them
 * (RFC 1939): new/ and cur/ in delivery order, each with a stable unique
 * id (the file's base name up to ":", the same after new/ -> cur/) and its
 * size as the network sees it, every line ending in CR LF.
 *
 *   maildir_list_t list;
 *   maildir_list_read(dir_fd, &list);   dir_fd: the Maildir (O_PATH is fine)
 *   ... list.items[i].name ("new/1700.M1P2Q3.host,S=99") ...
 *   maildir_list_seen(dir_fd, &list.items[i]);   into cur/ with ":2,S"
 *   maildir_list_free(&list);
 */
#ifndef POCHTA_MAILDIR_LIST_H
#define POCHTA_MAILDIR_LIST_H

#include <stddef.h>
#include <stdio.h>

#define MAILDIR_LIST_MAX 100000		/* messages one listing holds */
#define MAILDIR_LIST_INFO ":2,"		/* where a cur/ name's flags start */

typedef struct maildir_list_item {
	char *name;		/* "new/UNIQUE" or "cur/UNIQUE:2,FLAGS" */
	char *uid;		/* UNIQUE */
	long long size;		/* bytes with every line end as CR LF */
} maildir_list_item_t;

typedef struct maildir_list {
	maildir_list_item_t *items;
	size_t count;
	long long total;	/* sum of the sizes */
} maildir_list_t;

/* List the Maildir; 0, or -1 with errno. Files that vanish while it is
 * read are left out; beyond MAILDIR_LIST_MAX the newest are left out. */
int maildir_list_read(int dir_fd, maildir_list_t *list);
void maildir_list_free(maildir_list_t *list);

/* The size of f's content with CR LF line ends (bare LF counted as two). */
long long maildir_list_crlf_size(FILE *f);

/* Mark the message seen: new/ -> cur/ with ":2,S", or add S to the
 * flags of a cur/ name; item->name follows. 0, or -1 with errno. */
int maildir_list_seen(int dir_fd, maildir_list_item_t *item);

#endif
