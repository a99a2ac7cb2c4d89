/*
 * admin_log: "pochta log [-f file] ID|message-id" follows one message
 * through the mail log: its reception (smtpd's client= and message-id=
 * lines), qmgr's lines, each delivery attempt, queue changes made with
 * "pochta queue", its removal, and the messages it caused (a bounce or
 * delay notice, a forwarded copy), whose lines are followed too. Lines
 * come in the order the log has them, which is the order they were
 * written.
 *
 * A line belongs to a message when its text (after "host tag[pid]: ")
 * starts with "ID: ". A message-id (with or without <>) stands for every
 * queue ID logged with "ID: message-id=<...>". Another queue ID named in
 * a followed message's line ("notification: NEWID", "forwarded as
 * NEWID") is followed as well: the log is read once per generation of
 * such messages (at most ADMIN_LOG_GENERATIONS), then once to print.
 * The log is maillog_file, or the file given with -f (for syslog's file).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "admin.h"
#include "conf.h"
#include "mem.h"
#include "queue.h"

#define ADMIN_LOG_USAGE "log [-f file] queue_id|message-id"
#define ADMIN_LOG_LINE_MAX 8192		/* longer lines are no Pochta lines: skipped */
#define ADMIN_LOG_GENERATIONS 10	/* bounce of a bounce of ... */
#define ADMIN_LOG_IDS_MAX 1000		/* messages followed at once */

typedef struct admin_log_ids {
	char ids[ADMIN_LOG_IDS_MAX][QUEUE_ID_SIZE];
	size_t count;
	int added;		/* this pass found new ones */
} admin_log_ids_t;

static int admin_log_has(const admin_log_ids_t *set, const char *id, size_t len)
{
	for (size_t i = 0; i < set->count; i++)
		if (strlen(set->ids[i]) == len && memcmp(set->ids[i], id, len) == 0)
			return 1;
	return 0;
}

static void admin_log_add(admin_log_ids_t *set, const char *id, size_t len)
{
	if (len >= QUEUE_ID_SIZE || admin_log_has(set, id, len))
		return;
	if (set->count == ADMIN_LOG_IDS_MAX) {
		admin_say("warning: more than %d related messages: following the first ones",
			  ADMIN_LOG_IDS_MAX);
		return;
	}
	memcpy(set->ids[set->count], id, len);
	set->ids[set->count++][len] = 0;
	set->added = 1;
}

/* The message text of a log line ("ID: ..."), after "tag[pid]: ". */
static const char *admin_log_text(const char *line)
{
	const char *text = strstr(line, "]: ");

	return text ? text + 3 : NULL;
}

/* The queue ID a text starts with ("ID: ..."), as a length; 0 if none. */
static size_t admin_log_id_len(const char *text)
{
	size_t len = strspn(text, "0123456789ABCDEFz");
	char id[QUEUE_ID_SIZE];

	if (len == 0 || len >= QUEUE_ID_SIZE || text[len] != ':')
		return 0;
	memcpy(id, text, len);
	id[len] = 0;
	return queue_id_valid(id) ? len : 0;
}

/* Queue IDs other than the line's own, as words of the text. */
static void admin_log_add_named(admin_log_ids_t *set, const char *text, size_t own_len)
{
	char word[QUEUE_ID_SIZE];
	size_t len;

	for (const char *cp = text + own_len; *cp; cp += len ? len : 1) {
		len = 0;
		if (!isalnum((unsigned char)*cp) || (cp > text && isalnum((unsigned char)cp[-1])))
			continue;
		len = strspn(cp, "0123456789ABCDEFz");
		if (len == 0 || len >= QUEUE_ID_SIZE || isalnum((unsigned char)cp[len]))
			continue;
		memcpy(word, cp, len);
		word[len] = 0;
		if (queue_id_valid(word))
			admin_log_add(set, word, len);
	}
}

/* "ID: message-id=<...>" of the message-id asked for. */
static int admin_log_is_message_id(const char *text, size_t id_len, const char *mid)
{
	static const char key[] = ": message-id=";
	const char *value = text + id_len;
	size_t mid_len = strlen(mid);

	if (strncmp(value, key, sizeof(key) - 1) != 0)
		return 0;
	value += sizeof(key) - 1;
	if (*mid != '<')	/* the log keeps the brackets */
		return value[0] == '<' && strncmp(value + 1, mid, mid_len) == 0
			&& value[1 + mid_len] == '>' && value[2 + mid_len] == 0;
	return strcmp(value, mid) == 0;
}

/* One pass: print the lines of the set (print), or grow the set. */
static void admin_log_pass(FILE *fp, admin_log_ids_t *set, const char *mid, int print,
			   long *printed)
{
	char line[ADMIN_LOG_LINE_MAX];
	const char *text;
	size_t len, id_len;
	int skipping = 0;

	rewind(fp);
	set->added = 0;
	while (fgets(line, sizeof(line), fp)) {
		len = strlen(line);
		if (len > 0 && line[len - 1] != '\n' && !feof(fp)) {
			skipping = 1;	/* the start of an overlong line */
			continue;
		}
		if (skipping) {		/* its end */
			skipping = 0;
			continue;
		}
		line[strcspn(line, "\n")] = 0;
		if ((text = admin_log_text(line)) == NULL || (id_len = admin_log_id_len(text)) == 0)
			continue;
		if (mid && !print && admin_log_is_message_id(text, id_len, mid))
			admin_log_add(set, text, id_len);
		if (!admin_log_has(set, text, id_len))
			continue;
		if (print) {
			printf("%s\n", line);
			(*printed)++;
		} else {
			admin_log_add_named(set, text, id_len);
		}
	}
}

static const char *admin_log_file(int argc, char **argv, const char *config_dir)
{
	const char *file = NULL;
	int opt;

	while ((opt = getopt(argc, argv, "+f:")) != -1) {
		if (opt != 'f')
			admin_usage(ADMIN_LOG_USAGE);
		file = optarg;
	}
	if (argc - optind != 1)
		admin_usage(ADMIN_LOG_USAGE);
	if (file)
		return file;
	admin_conf_load(config_dir);
	file = conf_str("maillog_file");
	if (*file == 0 || strcmp(file, "/dev/stderr") == 0)
		admin_fatal("maillog_file is not set: the log goes to syslog; name syslog's "
			    "mail log file with -f (e.g. -f /var/log/mail.log)");
	return file;
}

int admin_log_cmd(int argc, char **argv, const char *config_dir)
{
	static admin_log_ids_t set;	/* large: not on the stack */
	const char *file = admin_log_file(argc, argv, config_dir);
	const char *wanted = argv[optind];
	const char *mid = queue_id_valid(wanted) ? NULL : wanted;
	FILE *fp = fopen(file, "r");
	long printed = 0;

	if (fp == NULL)
		admin_fatal("open %s: %s", file, strerror(errno));
	if (mid == NULL)
		admin_log_add(&set, wanted, strlen(wanted));
	for (int gen = 0; gen < ADMIN_LOG_GENERATIONS; gen++) {
		admin_log_pass(fp, &set, mid, 0, &printed);
		if (!set.added)
			break;
	}
	admin_log_pass(fp, &set, mid, 1, &printed);
	fclose(fp);
	if (printed == 0) {
		admin_say("no log lines for %s in %s", wanted, file);
		return 1;
	}
	return 0;
}
