/*
 * submit: authorized_submit_users and local_login_sender_maps (see
 * submit.h). The tables are opened for each question and closed again:
 * sendmail asks once, and pickup once per submission.
 */
#include <string.h>
#include <strings.h>

#include "conf.h"
#include "dict.h"
#include "submit.h"

/* Does one list entry match the login? A submit_status. */
static int submit_entry_matches(const char *entry, const char *login, str_t *why)
{
	str_t value = STR_INIT;
	dict_t *table;
	int found;

	if (strchr(entry, ':') == NULL)
		return strcmp(entry, login) == 0 ? SUBMIT_ALLOWED : SUBMIT_DENIED;
	if ((table = dict_open(entry, why)) == NULL)
		return SUBMIT_ERROR;
	found = dict_lookup(table, login, &value);
	if (found < 0)
		str_set(why, value.data);
	dict_close(table);
	str_free(&value);
	return found < 0 ? SUBMIT_ERROR : found ? SUBMIT_ALLOWED : SUBMIT_DENIED;
}

int submit_user_allowed(const char *login, str_t *why)
{
	size_t count;
	char **items = conf_split_list(conf_str("authorized_submit_users"), &count);
	int status = SUBMIT_DENIED;

	for (size_t i = 0; i < count; i++) {
		int negated = items[i][0] == '!';
		int match = submit_entry_matches(items[i] + negated, login, why);

		if (match != SUBMIT_DENIED) {
			status = match == SUBMIT_ERROR ? SUBMIT_ERROR
				 : negated ? SUBMIT_DENIED : SUBMIT_ALLOWED;
			break;
		}
	}
	conf_free_list(items, count);
	return status;
}

/* "name" as an address: "name@$myorigin"; an address stays as it is. */
static void submit_qualify(const char *addr, str_t *out)
{
	str_set(out, addr);
	if (*addr && strchr(addr, '@') == NULL)
		str_printf(out, "@%s", conf_str("myorigin"));
}

/* Does one pattern of a local_login_sender_maps value allow the
 * (qualified) sender? */
static int submit_pattern_allows(const char *pattern, const char *sender)
{
	const char *at = strrchr(sender, '@');
	str_t addr = STR_INIT;
	int allows;

	if (strcmp(pattern, "*") == 0)
		return 1;
	if (strcmp(pattern, "<>") == 0)
		return *sender == 0;
	if (pattern[0] == '@')
		return at != NULL && strcasecmp(at, pattern) == 0;
	submit_qualify(pattern, &addr);
	allows = *sender && strcasecmp(addr.data, sender) == 0;
	str_free(&addr);
	return allows;
}

/* Do the patterns in one table's value for login allow sender? */
static int submit_value_allows(const char *value, const char *sender)
{
	size_t count;
	char **patterns = conf_split_list(value, &count);
	int allows = 0;

	for (size_t i = 0; i < count && !allows; i++)
		allows = submit_pattern_allows(patterns[i], sender);
	conf_free_list(patterns, count);
	return allows;
}

/* The first table that knows the login decides. */
static int submit_sender_maps(const char *login, const char *sender, str_t *why)
{
	size_t count;
	char **specs = conf_split_list(conf_str("local_login_sender_maps"), &count);
	str_t value = STR_INIT;
	int status = SUBMIT_DENIED, found = 0;

	for (size_t i = 0; i < count && found == 0; i++) {
		dict_t *table = dict_open(specs[i], why);

		if (table == NULL) {
			found = -1;
			break;
		}
		found = dict_lookup(table, login, &value);
		if (found < 0)
			str_set(why, value.data);
		else if (found > 0 && submit_value_allows(value.data, sender))
			status = SUBMIT_ALLOWED;
		dict_close(table);
	}
	conf_free_list(specs, count);
	str_free(&value);
	return found < 0 ? SUBMIT_ERROR : status;
}

int submit_sender_allowed(const char *login, const char *sender, str_t *why)
{
	str_t own = STR_INIT, given = STR_INIT;
	int status;

	submit_qualify(login, &own);
	submit_qualify(sender, &given);
	if (*sender && strcasecmp(own.data, given.data) == 0)
		status = SUBMIT_ALLOWED;
	else
		status = submit_sender_maps(login, given.data, why);
	str_free(&own);
	str_free(&given);
	return status;
}
