/*
 * sasl_server: SASL authentication through libsasl2 (see sasl_server.h).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sasl/sasl.h>

#include "base64.h"
#include "conf.h"
#include "log.h"
#include "mem.h"
#include "sasl_server.h"

#define SASL_SERVER_APP "pochta"	/* no <app>.conf exists: options come from getopt */
#define SASL_SERVER_GENERIC "authentication failure"	/* said for every bad credential */
#define SASL_SERVER_NOMECH "Invalid authentication mechanism"

struct sasl_server {
	sasl_conn_t *conn;
};

static char *sasl_server_dbpath;
static char *sasl_server_mechlist;

static int sasl_server_getopt(void *context, const char *plugin, const char *option,
			      const char **result, unsigned *len)
{
	(void)context;
	(void)plugin;
	if (strcmp(option, "sasldb_path") == 0)
		*result = sasl_server_dbpath;
	else if (strcmp(option, "pwcheck_method") == 0)
		*result = "auxprop";
	else if (strcmp(option, "auxprop_plugin") == 0)
		*result = "sasldb";
	else if (strcmp(option, "mech_list") == 0 && *sasl_server_mechlist)
		*result = sasl_server_mechlist;
	else
		return SASL_FAIL;
	if (len)
		*len = (unsigned)strlen(*result);
	return SASL_OK;
}

/* The library's own errors and warnings; its notes and traces are dropped. */
static int sasl_server_log(void *context, int level, const char *message)
{
	(void)context;
	if (level <= SASL_LOG_WARN && message != NULL)
		log_warning("SASL authentication problem: %s", message);
	return SASL_OK;
}

/* libsasl2 stores every callback as int (*)(void); void (*)(void) converts cleanly. */
static const sasl_callback_t sasl_server_callbacks[] = {
	{ SASL_CB_GETOPT, (int (*)(void))(void (*)(void))sasl_server_getopt, NULL },
	{ SASL_CB_LOG, (int (*)(void))(void (*)(void))sasl_server_log, NULL },
	{ SASL_CB_LIST_END, NULL, NULL },
};

static void sasl_server_shutdown(void)
{
	sasl_server_done();
	mem_free(sasl_server_dbpath);
	mem_free(sasl_server_mechlist);
	sasl_server_dbpath = sasl_server_mechlist = NULL;
}

void sasl_server_setup(const char *sasldb_path, const char *mech_list)
{
	int rc;

	sasl_server_dbpath = mem_strdup(sasldb_path);
	sasl_server_mechlist = mem_strdup(mech_list);
	rc = sasl_server_init(sasl_server_callbacks, SASL_SERVER_APP);
	if (rc != SASL_OK)
		log_fatal("SASL per-process initialization failed: %s",
			  sasl_errstring(rc, NULL, NULL));
	atexit(sasl_server_shutdown);
}

static const struct {
	const char *name;
	int flag;
} sasl_server_option_names[] = {
	{ "noplaintext", SASL_SERVER_NOPLAINTEXT },
	{ "noactive", SASL_SERVER_NOACTIVE },
	{ "nodictionary", SASL_SERVER_NODICTIONARY },
	{ "noanonymous", SASL_SERVER_NOANONYMOUS },
	{ "mutual_auth", SASL_SERVER_MUTUAL_AUTH },
};

#define SASL_SERVER_OPTION_COUNT (sizeof(sasl_server_option_names) / sizeof(sasl_server_option_names[0]))

/* The flag of one option word, or 0 when unknown. */
static int sasl_server_option(const char *word)
{
	for (size_t i = 0; i < SASL_SERVER_OPTION_COUNT; i++)
		if (strcasecmp(word, sasl_server_option_names[i].name) == 0)
			return sasl_server_option_names[i].flag;
	return 0;
}

int sasl_server_parse_options(const char *text, int *flags, str_t *bad)
{
	size_t count;
	char **words = conf_split_list(text, &count);
	int status = 0;

	*flags = 0;
	for (size_t i = 0; i < count && status == 0; i++) {
		int flag = sasl_server_option(words[i]);

		if (flag == 0) {
			str_set(bad, words[i]);
			status = -1;
		}
		*flags |= flag;
	}
	conf_free_list(words, count);
	return status;
}

/* libsasl2's security properties for the option flags; no security layer. */
static void sasl_server_secprops(int flags, sasl_security_properties_t *props)
{
	memset(props, 0, sizeof(*props));
	props->security_flags = SASL_SEC_NOPLAINTEXT * !!(flags & SASL_SERVER_NOPLAINTEXT)
		| SASL_SEC_NOACTIVE * !!(flags & SASL_SERVER_NOACTIVE)
		| SASL_SEC_NODICTIONARY * !!(flags & SASL_SERVER_NODICTIONARY)
		| SASL_SEC_NOANONYMOUS * !!(flags & SASL_SERVER_NOANONYMOUS)
		| SASL_SEC_MUTUAL_AUTH * !!(flags & SASL_SERVER_MUTUAL_AUTH);
}

sasl_server_t *sasl_server_open(const char *service, const char *hostname, int flags,
				str_t *err)
{
	sasl_security_properties_t props;
	sasl_conn_t *conn = NULL;
	int rc = sasl_server_new(service, hostname, NULL, NULL, NULL, NULL, 0, &conn);
	sasl_server_t *sp;

	if (rc == SASL_OK) {
		sasl_server_secprops(flags, &props);
		rc = sasl_setprop(conn, SASL_SEC_PROPS, &props);
	}
	if (rc != SASL_OK) {
		str_printf(err, "SASL per-connection initialization failed: %s",
			   conn ? sasl_errdetail(conn) : sasl_errstring(rc, NULL, NULL));
		sasl_dispose(&conn);
		return NULL;
	}
	sp = mem_alloc(sizeof(*sp));
	sp->conn = conn;
	return sp;
}

void sasl_server_close(sasl_server_t *sp)
{
	if (sp == NULL)
		return;
	sasl_dispose(&sp->conn);
	mem_free(sp);
}

int sasl_server_mechs(sasl_server_t *sp, str_t *out)
{
	const char *list;
	unsigned len;
	int count;

	if (sasl_listmech(sp->conn, NULL, "", " ", "", &list, &len, &count) != SASL_OK)
		return -1;
	str_set(out, "");
	str_append(out, list, len);
	return 0;
}

/* The outcome of sasl_server_start or _step as a status and reply text. */
static enum sasl_server_status sasl_server_result(int rc, const char *out, unsigned len,
						  str_t *reply)
{
	str_set(reply, "");
	switch (rc) {
	case SASL_OK:
		return SASL_SERVER_DONE;
	case SASL_CONTINUE:
		base64_encode(out, len, reply);
		return SASL_SERVER_MORE;
	case SASL_FAIL:
	case SASL_NOMEM:
	case SASL_TRYAGAIN:
	case SASL_UNAVAIL:
		str_set(reply, sasl_errstring(rc, NULL, NULL));
		return SASL_SERVER_TEMP;
	case SASL_NOMECH:
		str_set(reply, SASL_SERVER_NOMECH);
		return SASL_SERVER_FAIL;
	default:
		/* unknown user, wrong password, disabled account: all the same */
		str_set(reply, SASL_SERVER_GENERIC);
		return SASL_SERVER_FAIL;
	}
}

/* Decode the client's text; -1 with the reply set when it is not base64. */
static int sasl_server_decode(const char *response, const char *where, str_t *raw, str_t *reply)
{
	str_set(raw, "");
	if (base64_decode(response, strlen(response), raw) == 0)
		return 0;
	str_set(reply, "");
	str_printf(reply, "Invalid base64 data in %s", where);
	return -1;
}

enum sasl_server_status sasl_server_begin(sasl_server_t *sp, const char *mech,
					  const char *response, str_t *reply)
{
	str_t raw = STR_INIT;
	const char *out = NULL;
	unsigned len = 0;
	enum sasl_server_status status = SASL_SERVER_MALFORMED;

	if (response == NULL || sasl_server_decode(response, "initial response", &raw, reply) == 0) {
		int rc = sasl_server_start(sp->conn, mech, response ? str_cstr(&raw) : NULL,
					   (unsigned)raw.len, &out, &len);

		status = sasl_server_result(rc, out, len, reply);
	}
	str_free(&raw);
	return status;
}

enum sasl_server_status sasl_server_next(sasl_server_t *sp, const char *response, str_t *reply)
{
	str_t raw = STR_INIT;
	const char *out = NULL;
	unsigned len = 0;
	enum sasl_server_status status = SASL_SERVER_MALFORMED;

	if (sasl_server_decode(response, "continued response", &raw, reply) == 0) {
		int rc = sasl_server_step(sp->conn, str_cstr(&raw), (unsigned)raw.len, &out, &len);

		status = sasl_server_result(rc, out, len, reply);
	}
	str_free(&raw);
	return status;
}

enum sasl_server_status sasl_server_checkpass(sasl_server_t *sp, const char *user,
					      const char *pass, str_t *reply)
{
	int rc = sasl_checkpass(sp->conn, user, (unsigned)strlen(user), pass, (unsigned)strlen(pass));

	return sasl_server_result(rc, NULL, 0, reply);
}

const char *sasl_server_username(sasl_server_t *sp)
{
	const void *name = NULL;

	if (sasl_getprop(sp->conn, SASL_USERNAME, &name) != SASL_OK || name == NULL)
		return "";
	return name;
}
