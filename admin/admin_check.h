/*
 * admin_check: the parts of "pochta check" (admin_check.c): the
 * configuration and users there, the queue tree in admin_check_queue.c.
 */
#ifndef POCHTA_ADMIN_CHECK_H
#define POCHTA_ADMIN_CHECK_H

typedef struct admin_check {
	int errors;
} admin_check_t;

/* "pochta: error: text" on stderr, counted. */
void admin_check_error(admin_check_t *chk, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Every queue directory master makes, with its owner and mode. */
void admin_check_queue(admin_check_t *chk, const char *queue_directory);

#endif
