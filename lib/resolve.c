/*
 * resolve: the address class and mailbox of a recipient (see resolve.h).
 *
 * Domain lists (mydestination, virtual_mailbox_domains,
 * virtual_alias_domains, relay_domains) hold domain names and "type:name"
 * tables. A domain matches a table when the table has the domain as a key
 * (Postfix's rule) or, for tables that can list their keys, when some key
 * ends in "@domain": a virtual_mailbox_maps or virtual_alias_maps source
 * that lists only "user@domain" lines still makes its domains virtual,
 * which is what the defaults "virtual_mailbox_domains =
 * $virtual_mailbox_maps" and "virtual_alias_domains = $virtual_alias_maps"
 * intend.
 *
 * Order: virtual mailbox, local, virtual alias, relay_domains, default.
 * Postfix warns about a domain in more than one list; Pochta lets the
 * first class win, so an instance that serves "localhost" virtually works
 * with the default mydestination, and an alias for one address of a
 * mailbox domain (which puts the domain into the default
 * virtual_alias_domains too) does not turn the domain's mailboxes away.
 *
 * An address without a domain belongs to $myorigin. Domains compare
 * without case and without one trailing dot. Mailboxes and local
 * recipients are looked up in Postfix's order for addresses (dict_addr.h)
 * with recipient_delimiter, so "user+ext@domain" finds "user@domain".
 */
#include <ctype.h>
#include <string.h>

#include "addr.h"
#include "conf.h"
#include "dict.h"
#include "dict_addr.h"
#include "maps.h"
#include "mem.h"
#include "resolve.h"

/* A domain list: literal names (folded) and tables. */
typedef struct resolve_domains {
	char **names;
	size_t nnames;
	dict_t **tables;
	size_t ntables;
} resolve_domains_t;

static resolve_domains_t resolve_local_domains;
static resolve_domains_t resolve_virtual_domains;
static resolve_domains_t resolve_alias_domains;
static resolve_domains_t resolve_relay_domains;
static maps_t *resolve_vmaps;		/* virtual_mailbox_maps */
static maps_t *resolve_local_maps;	/* local_recipient_maps */
static dict_t **resolve_opened;		/* every table opened, each once */
static size_t resolve_nopened;

static void resolve_fold(str_t *s)
{
	size_t i;

	for (i = 0; i < s->len; i++)
		s->data[i] = (char)tolower((unsigned char)s->data[i]);
}

/* Fold a domain and drop one trailing dot. */
static void resolve_fold_domain(str_t *domain)
{
	resolve_fold(domain);
	if (domain->len > 0 && domain->data[domain->len - 1] == '.')
		str_truncate(domain, domain->len - 1);
}

/* Open spec, or reuse the table if an earlier list named it too. */
static dict_t *resolve_table(const char *spec, str_t *err)
{
	dict_t *dict;
	size_t i;

	for (i = 0; i < resolve_nopened; i++)
		if (strcmp(dict_name(resolve_opened[i]), spec) == 0)
			return resolve_opened[i];
	if ((dict = dict_open(spec, err)) == NULL)
		return NULL;
	resolve_opened = mem_realloc(resolve_opened, (resolve_nopened + 1) * sizeof(*resolve_opened));
	resolve_opened[resolve_nopened++] = dict;
	return dict;
}

static void resolve_add_name(resolve_domains_t *list, const char *name)
{
	str_t folded = STR_INIT;
	size_t i;

	str_set(&folded, name);
	resolve_fold_domain(&folded);
	for (i = 0; i < list->nnames; i++)
		if (strcmp(list->names[i], folded.data) == 0)
			break;
	if (i < list->nnames || folded.len == 0) {
		str_free(&folded);
		return;
	}
	list->names = mem_realloc(list->names, (list->nnames + 1) * sizeof(*list->names));
	list->names[list->nnames++] = str_steal(&folded);
}

/* dict_walk callback: the domain of every "user@domain" key. */
static int resolve_collect_domain(const char *key, const char *value, void *ctx)
{
	const char *at = strrchr(key, '@');

	(void)value;
	if (at && at[1])
		resolve_add_name(ctx, at + 1);
	return 0;
}

static int resolve_add_table(resolve_domains_t *list, const char *spec, str_t *err)
{
	dict_t *dict = resolve_table(spec, err);

	if (dict == NULL)
		return -1;
	list->tables = mem_realloc(list->tables, (list->ntables + 1) * sizeof(*list->tables));
	list->tables[list->ntables++] = dict;
	dict_walk(dict, resolve_collect_domain, list);	/* types that cannot list: lookups only */
	return 0;
}

/* Read one domain list parameter; -1 with "param: reason" in err. */
static int resolve_read_domains(const char *param, resolve_domains_t *list, str_t *err)
{
	size_t count, i;
	char **items = conf_split_list(conf_str(param), &count);
	int ret = 0;

	for (i = 0; i < count && ret == 0; i++) {
		if (strchr(items[i], ':') == NULL) {
			resolve_add_name(list, items[i]);
		} else if (resolve_add_table(list, items[i], err) < 0) {
			str_printf(err, " (in %s)", param);
			ret = -1;
		}
	}
	conf_free_list(items, count);
	return ret;
}

int resolve_init(str_t *err)
{
	resolve_close();
	if ((resolve_vmaps = maps_open("virtual_mailbox_maps", err)) == NULL
	    || (resolve_local_maps = maps_open("local_recipient_maps", err)) == NULL
	    || resolve_read_domains("virtual_mailbox_domains", &resolve_virtual_domains, err) < 0
	    || resolve_read_domains("mydestination", &resolve_local_domains, err) < 0
	    || resolve_read_domains("virtual_alias_domains", &resolve_alias_domains, err) < 0
	    || resolve_read_domains("relay_domains", &resolve_relay_domains, err) < 0) {
		resolve_close();
		return -1;
	}
	return 0;
}

static void resolve_free_domains(resolve_domains_t *list)
{
	size_t i;

	for (i = 0; i < list->nnames; i++)
		mem_free(list->names[i]);
	mem_free(list->names);
	mem_free(list->tables);	/* the tables themselves are in resolve_opened */
	memset(list, 0, sizeof(*list));
}

void resolve_close(void)
{
	size_t i;

	resolve_free_domains(&resolve_local_domains);
	resolve_free_domains(&resolve_virtual_domains);
	resolve_free_domains(&resolve_alias_domains);
	resolve_free_domains(&resolve_relay_domains);
	for (i = 0; i < resolve_nopened; i++)
		dict_close(resolve_opened[i]);
	mem_free(resolve_opened);
	resolve_opened = NULL;
	resolve_nopened = 0;
	maps_close(resolve_vmaps);
	resolve_vmaps = NULL;
	maps_close(resolve_local_maps);
	resolve_local_maps = NULL;
}

void resolve_result_init(resolve_result_t *res)
{
	res->cls = RESOLVE_RELAY;
	res->found = 0;
	str_init(&res->mailbox);
	str_init(&res->domain);
}

void resolve_result_free(resolve_result_t *res)
{
	str_free(&res->mailbox);
	str_free(&res->domain);
}

/* 1 when domain is in the list, 0 when not, -1 on a table error (in why). */
static int resolve_domain_match(const resolve_domains_t *list, const char *domain, str_t *why)
{
	size_t i;
	int found;

	for (i = 0; i < list->nnames; i++)
		if (strcmp(list->names[i], domain) == 0)
			return 1;
	for (i = 0; i < list->ntables; i++)
		if ((found = dict_lookup(list->tables[i], domain, why)) != 0)
			return found;
	return 0;
}

/* Look the address up in virtual_mailbox_maps. */
static int resolve_virtual(const char *local, resolve_result_t *res)
{
	str_t key = STR_INIT;
	int found;

	str_printf(&key, "%s@%s", local, res->domain.data);
	found = maps_lookup_addr(resolve_vmaps, key.data, conf_str("recipient_delimiter"), 0,
				 &res->mailbox);
	str_free(&key);
	if (found == 0)
		str_reset(&res->mailbox);
	res->found = found > 0;
	return found < 0 ? -1 : 0;
}

/* A local recipient exists when local_recipient_maps knows it; an empty
 * local_recipient_maps accepts every local part. The mailbox is the
 * folded local part. */
static int resolve_local(str_t *local, resolve_result_t *res)
{
	str_t key = STR_INIT;
	int found = 1;

	resolve_fold(local);
	if (local->len == 0)
		found = 0;
	else if (resolve_local_maps->count > 0) {
		str_printf(&key, "%s@%s", local->data, res->domain.data);
		found = maps_lookup_addr(resolve_local_maps, key.data,
					 conf_str("recipient_delimiter"), DICT_ADDR_LOCAL,
					 &res->mailbox);
		str_free(&key);
		if (found < 0)
			return -1;	/* the message is in res->mailbox */
	}
	str_set(&res->mailbox, str_cstr(local));
	res->found = found > 0;
	return 0;
}

/* The class of the domain in res, or -1 on a table error (message in res->mailbox). */
static int resolve_domain_class(resolve_result_t *res)
{
	static const struct {
		const resolve_domains_t *list;
		enum resolve_class cls;
	} order[] = {
		{ &resolve_virtual_domains, RESOLVE_VIRTUAL },
		{ &resolve_local_domains, RESOLVE_LOCAL },
		{ &resolve_alias_domains, RESOLVE_ALIAS },
		{ &resolve_relay_domains, RESOLVE_RELAY_DOMAIN },
	};
	size_t i;
	int match;

	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if ((match = resolve_domain_match(order[i].list, res->domain.data, &res->mailbox)) != 0)
			return match < 0 ? -1 : (int)order[i].cls;
	return RESOLVE_RELAY;
}

int resolve_domain_local(const char *domain, str_t *why)
{
	str_t folded = STR_INIT;
	str_t origin = STR_INIT;
	int match;

	str_set(&folded, domain);
	resolve_fold_domain(&folded);
	str_set(&origin, conf_str("myorigin"));
	resolve_fold_domain(&origin);
	match = strcmp(folded.data ? folded.data : "", str_cstr(&origin)) == 0 ? 1
		: resolve_domain_match(&resolve_local_domains, str_cstr(&folded), why);
	str_free(&folded);
	str_free(&origin);
	return match;
}

int resolve_address(const char *addr, resolve_result_t *res)
{
	str_t local = STR_INIT;
	int ret = 0;
	int cls;

	addr_split(addr, &local, &res->domain);
	if (res->domain.len == 0)
		str_set(&res->domain, conf_str("myorigin"));
	resolve_fold_domain(&res->domain);
	str_reset(&res->mailbox);
	res->found = 0;
	if ((cls = resolve_domain_class(res)) < 0) {
		str_free(&local);
		return -1;	/* the table's message is in res->mailbox */
	}
	res->cls = (enum resolve_class)cls;
	str_reset(&res->mailbox);	/* a domain table's value may be there */
	switch (res->cls) {
	case RESOLVE_VIRTUAL:
		ret = resolve_virtual(str_cstr(&local), res);
		break;
	case RESOLVE_LOCAL:
		ret = resolve_local(&local, res);
		break;
	case RESOLVE_ALIAS:
		break;		/* no mailbox: virtual_alias_maps should have rewritten it */
	case RESOLVE_RELAY_DOMAIN:
	case RESOLVE_RELAY:
		res->found = 1;	/* not ours to judge */
		break;
	}
	str_free(&local);
	return ret;
}
