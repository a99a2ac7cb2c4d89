/*
 * rewrite: canonical mapping and virtual alias expansion (see rewrite.h).
 *
 * Expansion works on a growing list of addresses, as Postfix's cleanup
 * does: the address at the current position is rewritten in place by the
 * first address of its value while the others are appended, and the
 * position moves on when its address finds nothing, or has been marked
 * as one that expanded into itself. The marks and the final list are
 * small (bounded by the expansion limit), so they are plain arrays.
 */
#include <string.h>
#include <strings.h>

#include "conf.h"
#include "dict_addr.h"
#include "log.h"
#include "maps.h"
#include "mem.h"
#include "resolve.h"
#include "rewrite.h"

static maps_t *rewrite_canonical;	/* canonical_maps */
static maps_t *rewrite_rcpt_canonical;	/* recipient_canonical_maps */
static maps_t *rewrite_sender_canonical;	/* sender_canonical_maps */
static maps_t *rewrite_virtual;		/* virtual_alias_maps */

/* A list of addresses. */
typedef struct rewrite_list {
	char **items;
	size_t count;
} rewrite_list_t;

int rewrite_init(str_t *err)
{
	rewrite_close();
	if ((rewrite_canonical = maps_open("canonical_maps", err)) == NULL
	    || (rewrite_rcpt_canonical = maps_open("recipient_canonical_maps", err)) == NULL
	    || (rewrite_sender_canonical = maps_open("sender_canonical_maps", err)) == NULL
	    || (rewrite_virtual = maps_open("virtual_alias_maps", err)) == NULL) {
		rewrite_close();
		return -1;
	}
	return 0;
}

void rewrite_close(void)
{
	maps_close(rewrite_canonical);
	maps_close(rewrite_rcpt_canonical);
	maps_close(rewrite_sender_canonical);
	maps_close(rewrite_virtual);
	rewrite_canonical = rewrite_rcpt_canonical = rewrite_sender_canonical = NULL;
	rewrite_virtual = NULL;
}

static void rewrite_list_add(rewrite_list_t *list, const char *addr)
{
	list->items = mem_realloc(list->items, (list->count + 1) * sizeof(*list->items));
	list->items[list->count++] = mem_strdup(addr);
}

static int rewrite_list_has(const rewrite_list_t *list, const char *addr)
{
	for (size_t i = 0; i < list->count; i++)
		if (strcasecmp(list->items[i], addr) == 0)
			return 1;
	return 0;
}

static void rewrite_list_free(rewrite_list_t *list)
{
	for (size_t i = 0; i < list->count; i++)
		mem_free(list->items[i]);
	mem_free(list->items);
	list->items = NULL;
	list->count = 0;
}

/* The addresses of a table value: "<>" taken off, @$myorigin added. */
static void rewrite_parse_value(const char *value, rewrite_list_t *out)
{
	size_t count, i, len;
	char **items = conf_split_list(value, &count);
	str_t addr = STR_INIT;
	const char *text;

	for (i = 0; i < count; i++) {
		text = items[i];
		len = strlen(text);
		if (len >= 2 && text[0] == '<' && text[len - 1] == '>') {
			text++;
			len -= 2;
		}
		if (len == 0)
			continue;
		str_reset(&addr);
		str_append(&addr, text, len);
		if (strchr(addr.data, '@') == NULL)
			str_printf(&addr, "@%s", conf_str("myorigin"));
		rewrite_list_add(out, addr.data);
	}
	str_free(&addr);
	conf_free_list(items, count);
}

/* Look addr up in maps: 1 found (its addresses in out), 0 not, -1 error (in why). */
static int rewrite_lookup(const maps_t *maps, const char *addr, rewrite_list_t *out, str_t *why)
{
	const char *at = strrchr(addr, '@');
	str_t value = STR_INIT;
	int local = 0, found;

	if (at != NULL && (local = resolve_domain_local(at + 1, &value)) < 0) {
		str_printf(why, "%s map lookup problem for %s: %s", maps->param, addr, value.data);
		str_free(&value);
		return -1;
	}
	found = maps_lookup_addr(maps, addr, conf_str("recipient_delimiter"),
				 local ? DICT_ADDR_LOCAL : 0, &value);
	if (found < 0)
		str_printf(why, "%s map lookup problem for %s: %s", maps->param, addr,
			   str_cstr(&value));
	else if (found > 0)
		rewrite_parse_value(str_cstr(&value), out);
	str_free(&value);
	return found > 0 && out->count == 0 ? 0 : found;	/* an empty value finds nothing */
}

/* One-to-one rewriting of out through maps. */
static int rewrite_map11(const maps_t *maps, str_t *out, str_t *why)
{
	rewrite_list_t result = { NULL, 0 };
	int count, found;

	for (count = 0; count < REWRITE_CANONICAL_DEPTH; count++) {
		if ((found = rewrite_lookup(maps, str_cstr(out), &result, why)) <= 0)
			return found < 0 ? REWRITE_LOOKUP_ERROR : REWRITE_OK;
		if (result.count > 1)
			log_warning("multi-valued %s entry for %s", maps->param, str_cstr(out));
		found = strcasecmp(result.items[0], str_cstr(out)) == 0;
		str_set(out, result.items[0]);
		rewrite_list_free(&result);
		if (found)
			return REWRITE_OK;
	}
	str_printf(why, "unreasonable %s map nesting for %s", maps->param, str_cstr(out));
	return REWRITE_EXPANSION_ERROR;
}

/* Rewrite addr through first, then through canonical_maps. */
static int rewrite_canonical_pair(const maps_t *first, const char *addr, str_t *out, str_t *why)
{
	int status;

	str_set(out, addr);
	if (*addr == 0)
		return REWRITE_OK;	/* the null sender */
	if ((status = rewrite_map11(first, out, why)) != REWRITE_OK)
		return status;
	return rewrite_map11(rewrite_canonical, out, why);
}

int rewrite_sender(const char *addr, str_t *out, str_t *why)
{
	return rewrite_canonical_pair(rewrite_sender_canonical, addr, out, why);
}

int rewrite_recipient(const char *addr, str_t *out, str_t *why)
{
	return rewrite_canonical_pair(rewrite_rcpt_canonical, addr, out, why);
}

/* Put the value's addresses in place of list->items[pos]; mark the
 * address when it is one of them. */
static void rewrite_replace(rewrite_list_t *list, size_t pos, rewrite_list_t *value,
			    rewrite_list_t *selves)
{
	char *lhs = list->items[pos];

	for (size_t i = 0; i < value->count; i++) {
		if (strcasecmp(lhs, value->items[i]) == 0 && !rewrite_list_has(selves, lhs))
			rewrite_list_add(selves, lhs);
		if (i == 0)
			list->items[pos] = mem_strdup(value->items[0]);
		else
			rewrite_list_add(list, value->items[i]);
	}
	mem_free(lhs);
}

/* Expand list->items[pos] until it finds nothing or is marked. */
static int rewrite_expand_one(rewrite_list_t *list, size_t pos, rewrite_list_t *selves,
			      str_t *why)
{
	long recursion_limit = conf_int("virtual_alias_recursion_limit");
	long expansion_limit = conf_int("virtual_alias_expansion_limit");
	rewrite_list_t value = { NULL, 0 };
	long count;
	int found;

	for (count = 0; !rewrite_list_has(selves, list->items[pos]); count++) {
		if (count >= recursion_limit) {
			str_printf(why, "unreasonable %s map nesting for %s", rewrite_virtual->param,
				   list->items[pos]);
			return REWRITE_EXPANSION_ERROR;
		}
		if ((found = rewrite_lookup(rewrite_virtual, list->items[pos], &value, why)) <= 0)
			return found < 0 ? REWRITE_LOOKUP_ERROR : REWRITE_OK;
		rewrite_replace(list, pos, &value, selves);
		rewrite_list_free(&value);
		if (list->count > (size_t)expansion_limit) {
			str_printf(why, "unreasonable %s map expansion size for %s",
				   rewrite_virtual->param, list->items[pos]);
			return REWRITE_EXPANSION_ERROR;
		}
	}
	return REWRITE_OK;
}

int rewrite_virtual_alias(const char *addr, str_t *out, size_t *count, str_t *why)
{
	rewrite_list_t list = { NULL, 0 };
	rewrite_list_t selves = { NULL, 0 };
	rewrite_list_t done = { NULL, 0 };
	int status = REWRITE_OK;
	size_t pos;

	str_reset(out);
	*count = 0;
	rewrite_list_add(&list, addr);
	for (pos = 0; pos < list.count && status == REWRITE_OK; pos++)
		status = rewrite_expand_one(&list, pos, &selves, why);
	for (pos = 0; pos < list.count && status == REWRITE_OK; pos++) {
		if (rewrite_list_has(&done, list.items[pos]))
			continue;
		rewrite_list_add(&done, list.items[pos]);
		str_append(out, list.items[pos], strlen(list.items[pos]) + 1);
		(*count)++;
	}
	rewrite_list_free(&list);
	rewrite_list_free(&selves);
	rewrite_list_free(&done);
	return status;
}
