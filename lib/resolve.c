/*
 * resolve: the address class and mailbox of a recipient (see resolve.h).
 *
 * Domain lists (mydestination, virtual_mailbox_domains) hold domain names
 * and "type:name" tables. A domain matches a table when the table has the
 * domain as a key (Postfix's rule) or, for tables that can list their keys,
 * when some key ends in "@domain": a virtual_mailbox_maps source that lists
 * only "user@domain" lines still makes its domains virtual, which is what
 * the default "virtual_mailbox_domains = $virtual_mailbox_maps" intends.
 *
 * Order: virtual first, then local, then relay. Postfix warns about a domain
 * in both lists; Pochta lets virtual win, so an instance that serves
 * "localhost" virtually works with the default mydestination.
 *
 * An address without a domain belongs to $myorigin. Domains compare
 * without case and without one trailing dot; local parts are folded to
 * lower case for lookups (recipient_delimiter is not handled here).
 */
#include <ctype.h>
#include <pwd.h>
#include <string.h>

#include "addr.h"
#include "conf.h"
#include "dict.h"
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
static dict_t **resolve_vmaps;		/* virtual_mailbox_maps, in order */
static size_t resolve_nvmaps;
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

static int resolve_read_maps(str_t *err)
{
	size_t count, i;
	char **items = conf_split_list(conf_str("virtual_mailbox_maps"), &count);
	dict_t *dict;
	int ret = 0;

	for (i = 0; i < count && ret == 0; i++) {
		if ((dict = resolve_table(items[i], err)) == NULL) {
			str_printf(err, " (in virtual_mailbox_maps)");
			ret = -1;
			continue;
		}
		resolve_vmaps = mem_realloc(resolve_vmaps, (resolve_nvmaps + 1) * sizeof(*resolve_vmaps));
		resolve_vmaps[resolve_nvmaps++] = dict;
	}
	conf_free_list(items, count);
	return ret;
}

int resolve_init(str_t *err)
{
	resolve_close();
	if (resolve_read_maps(err) < 0
	    || resolve_read_domains("virtual_mailbox_domains", &resolve_virtual_domains, err) < 0
	    || resolve_read_domains("mydestination", &resolve_local_domains, err) < 0) {
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
	for (i = 0; i < resolve_nopened; i++)
		dict_close(resolve_opened[i]);
	mem_free(resolve_opened);
	resolve_opened = NULL;
	resolve_nopened = 0;
	mem_free(resolve_vmaps);
	resolve_vmaps = NULL;
	resolve_nvmaps = 0;
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

/* Look the folded "local@domain" up in virtual_mailbox_maps. */
static int resolve_virtual(const char *local, resolve_result_t *res)
{
	str_t key = STR_INIT;
	size_t i;
	int found = 0;

	str_printf(&key, "%s@%s", local, res->domain.data);
	resolve_fold(&key);
	for (i = 0; i < resolve_nvmaps && found == 0; i++)
		found = dict_lookup(resolve_vmaps[i], key.data, &res->mailbox);
	str_free(&key);
	if (found == 0)
		str_reset(&res->mailbox);
	res->found = found > 0;
	return found < 0 ? -1 : 0;
}

static void resolve_local(str_t *local, resolve_result_t *res)
{
	resolve_fold(local);
	str_set(&res->mailbox, str_cstr(local));
	res->found = local->len > 0 && getpwnam(local->data) != NULL;
}

/* Which list the domain is in: 1 virtual, 2 local, 0 neither, -1 table error. */
static int resolve_domain_class(resolve_result_t *res)
{
	int match = resolve_domain_match(&resolve_virtual_domains, res->domain.data, &res->mailbox);

	if (match != 0)
		return match;
	match = resolve_domain_match(&resolve_local_domains, res->domain.data, &res->mailbox);
	return match > 0 ? 2 : match;
}

int resolve_address(const char *addr, resolve_result_t *res)
{
	str_t local = STR_INIT;
	int ret = 0;

	addr_split(addr, &local, &res->domain);
	if (res->domain.len == 0)
		str_set(&res->domain, conf_str("myorigin"));
	resolve_fold_domain(&res->domain);
	str_reset(&res->mailbox);
	res->found = 0;
	switch (resolve_domain_class(res)) {
	case 1:
		res->cls = RESOLVE_VIRTUAL;
		ret = resolve_virtual(str_cstr(&local), res);
		break;
	case 2:
		res->cls = RESOLVE_LOCAL;
		resolve_local(&local, res);
		break;
	case 0:
		res->cls = RESOLVE_RELAY;
		res->found = 1;	/* not ours to judge */
		str_reset(&res->mailbox);
		break;
	default:
		ret = -1;	/* the table's message is in res->mailbox */
	}
	str_free(&local);
	return ret;
}
