/*
 * local_virtual: who owns a virtual mailbox. virtual_uid_maps and
 * virtual_gid_maps are looked up with the full address, then with
 * "@domain"; a missing entry or a uid below virtual_minimum_uid is a
 * configuration error: the mail waits (4.3.5) and the log says why.
 */
#include <stdlib.h>
#include <string.h>

#include "local.h"
#include "log.h"

static void local_config_error(local_status_t *st)
{
	local_status_set(st, "4.3.5", "mail system configuration error");
}

static int local_lookup(dict_t *map, const char *param, const char *rcpt, str_t *value,
			local_status_t *st)
{
	const char *at = strrchr(rcpt, '@');
	int rc;

	if (map == NULL) {
		log_warning("%s is not set: cannot deliver to %s", param, rcpt);
		local_config_error(st);
		return -1;
	}
	rc = dict_lookup(map, rcpt, value);
	if (rc == 0 && at != NULL)
		rc = dict_lookup(map, at, value);
	if (rc < 0) {
		log_warning("%s lookup for %s: %s", param, rcpt, str_cstr(value));
		local_status_set(st, "4.3.0", "temporary lookup failure");
		return -1;
	}
	if (rc == 0) {
		log_warning("recipient %s: not found in %s", rcpt, param);
		local_config_error(st);
		return -1;
	}
	return 0;
}

/* Look up one numeric id; -1 with st set. */
static int local_lookup_id(dict_t *map, const char *param, const char *rcpt, long *id,
			   local_status_t *st)
{
	str_t value = STR_INIT;
	char *end;
	int rc = local_lookup(map, param, rcpt, &value, st);

	if (rc == 0) {
		*id = strtol(str_cstr(&value), &end, 10);
		if (value.len == 0 || *end != 0 || *id < 0) {
			log_warning("recipient %s: bad %s value \"%s\"", rcpt, param,
				    str_cstr(&value));
			local_config_error(st);
			rc = -1;
		}
	}
	str_free(&value);
	return rc;
}

int local_virtual_owner(const local_ctx_t *ctx, const char *rcpt, uid_t *uid, gid_t *gid,
			local_status_t *st)
{
	long u, g;

	if (local_lookup_id(ctx->uid_map, "virtual_uid_maps", rcpt, &u, st) < 0 ||
	    local_lookup_id(ctx->gid_map, "virtual_gid_maps", rcpt, &g, st) < 0)
		return -1;
	if (u < ctx->minimum_uid) {
		log_warning("recipient %s: uid %ld is below virtual_minimum_uid %ld", rcpt, u,
			    ctx->minimum_uid);
		local_config_error(st);
		return -1;
	}
	*uid = (uid_t)u;
	*gid = (gid_t)g;
	return 0;
}
