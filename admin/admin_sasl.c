/*
 * admin_sasl: passwords in the instance's SASL user database (a Berkeley
 * DB "sasldb" file), written through libsasl2 itself so that smtpd, pop3d
 * and imapd, which authenticate through libsasl2, read exactly what was
 * stored. The database path is handed to the library with a getopt
 * callback, so no system-wide SASL configuration is read or needed.
 */
#include <string.h>
#include <sys/stat.h>

#include <sasl/sasl.h>

#include "admin.h"

#define ADMIN_SASL_APP "pochta"
#define ADMIN_SASL_SERVICE "pochta-admin"
#define ADMIN_SASL_DB_UMASK 077		/* nothing readable before the caller sets the mode */

static const char *admin_sasl_dbpath;

static int admin_sasl_getopt(void *context, const char *plugin, const char *option,
			     const char **result, unsigned *len)
{
	(void)context;
	(void)plugin;
	if (strcmp(option, "sasldb_path") == 0)
		*result = admin_sasl_dbpath;
	else if (strcmp(option, "auxprop_plugin") == 0)
		*result = "sasldb";
	else
		return SASL_FAIL;
	if (len)
		*len = (unsigned)strlen(*result);
	return SASL_OK;
}

/* libsasl2 stores every callback as int (*)(void); void (*)(void) converts cleanly. */
static sasl_callback_t admin_sasl_callbacks[] = {
	{ SASL_CB_GETOPT, (int (*)(void))(void (*)(void))admin_sasl_getopt, NULL },
	{ SASL_CB_LIST_END, NULL, NULL },
};

static int admin_sasl_store(const char *user, const char *realm, const char *password,
			    str_t *err)
{
	sasl_conn_t *conn = NULL;
	int rc = sasl_server_init(admin_sasl_callbacks, ADMIN_SASL_APP);

	if (rc != SASL_OK) {
		str_printf(err, "SASL library initialization: %s", sasl_errstring(rc, NULL, NULL));
		return -1;
	}
	rc = sasl_server_new(ADMIN_SASL_SERVICE, realm, realm, NULL, NULL, NULL, 0, &conn);
	if (rc == SASL_OK)
		rc = sasl_setpass(conn, user, password, (unsigned)strlen(password), NULL, 0,
				  SASL_SET_CREATE);
	if (rc != SASL_OK)
		str_printf(err, "store the password of %s@%s: %s", user, realm,
			   conn ? sasl_errdetail(conn) : sasl_errstring(rc, NULL, NULL));
	sasl_dispose(&conn);
	sasl_server_done();
	return rc == SASL_OK ? 0 : -1;
}

int admin_sasl_setpass(const char *sasldb_path, const char *user, const char *realm,
		       const char *password, str_t *err)
{
	mode_t old_mask = umask(ADMIN_SASL_DB_UMASK);
	int rc;

	admin_sasl_dbpath = sasldb_path;
	rc = admin_sasl_store(user, realm, password, err);
	umask(old_mask);
	return rc;
}
