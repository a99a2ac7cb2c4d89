/*
 * admin_sasl: passwords in the instance's SASL user database (a Berkeley
 * DB "sasldb" file, main.cf's sasldb_path), written and checked through
 * libsasl2 itself so that smtpd, pop3d and imapd, which authenticate
 * through libsasl2, read exactly what was stored. The database path is
 * handed to the library with a getopt callback, so no system-wide SASL
 * configuration is read or needed.
 *
 * An entry is a user name and a realm: Pochta stores user@domain as the
 * local part in the realm of the domain, which is also how libsasl2 splits
 * "user@domain" when a client authenticates with the whole address. Each
 * call initializes the library for one operation and shuts it down again.
 */
#include <string.h>
#include <sys/stat.h>

#include <sasl/sasl.h>

#include "admin.h"

#define ADMIN_SASL_APP "pochta"
#define ADMIN_SASL_SERVICE "pochta-admin"
#define ADMIN_SASL_DB_UMASK 077		/* nothing readable before the caller sets the mode */
#define ADMIN_SASLDB_PRIVATE_MODE 0600	/* the instance's own user reads and writes */
#define ADMIN_SASLDB_SHARED_MODE 0640	/* root writes, mail_owner's group reads */

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

/* One operation on a server connection for the realm; returns a SASL_ code. */
typedef int (*admin_sasl_op_fn)(sasl_conn_t *conn, const char *user, const char *realm,
				const char *password);

/* Run op with the library set up for sasldb_path; its SASL_ code, with a
 * message in err (prefixed by what) when it is neither SASL_OK nor one of
 * the answers the caller expects (SASL_NOUSER, SASL_BADAUTH). */
static int admin_sasl_run(const char *sasldb_path, const char *user, const char *realm,
			  const char *password, admin_sasl_op_fn op, const char *what, str_t *err)
{
	mode_t old_mask = umask(ADMIN_SASL_DB_UMASK);
	sasl_conn_t *conn = NULL;
	int rc;

	admin_sasl_dbpath = sasldb_path;
	rc = sasl_server_init(admin_sasl_callbacks, ADMIN_SASL_APP);
	if (rc == SASL_OK)
		rc = sasl_server_new(ADMIN_SASL_SERVICE, realm, realm, NULL, NULL, NULL, 0, &conn);
	if (rc == SASL_OK)
		rc = op(conn, user, realm, password);
	if (rc != SASL_OK && rc != SASL_NOUSER && rc != SASL_BADAUTH)
		str_printf(err, "%s %s@%s: %s", what, user, realm,
			   conn ? sasl_errdetail(conn) : sasl_errstring(rc, NULL, NULL));
	sasl_dispose(&conn);
	sasl_server_done();
	umask(old_mask);
	return rc;
}

static int admin_sasl_op_set(sasl_conn_t *conn, const char *user, const char *realm,
			     const char *password)
{
	(void)realm;
	return sasl_setpass(conn, user, password, (unsigned)strlen(password), NULL, 0,
			    SASL_SET_CREATE);
}

static int admin_sasl_op_delete(sasl_conn_t *conn, const char *user, const char *realm,
				const char *password)
{
	(void)realm;
	(void)password;
	return sasl_setpass(conn, user, NULL, 0, NULL, 0, SASL_SET_DISABLE);
}

static int admin_sasl_op_exists(sasl_conn_t *conn, const char *user, const char *realm,
				const char *password)
{
	(void)password;
	return sasl_user_exists(conn, ADMIN_SASL_SERVICE, realm, user);
}

static int admin_sasl_op_check(sasl_conn_t *conn, const char *user, const char *realm,
			       const char *password)
{
	(void)realm;
	return sasl_checkpass(conn, user, (unsigned)strlen(user), password,
			      (unsigned)strlen(password));
}

int admin_sasl_setpass(const char *sasldb_path, const char *user, const char *realm,
		       const char *password, str_t *err)
{
	return admin_sasl_run(sasldb_path, user, realm, password, admin_sasl_op_set,
			      "store the password of", err) == SASL_OK ? 0 : -1;
}

int admin_sasl_delete(const char *sasldb_path, const char *user, const char *realm, str_t *err)
{
	int rc = admin_sasl_run(sasldb_path, user, realm, NULL, admin_sasl_op_delete,
				"remove the password of", err);

	return rc == SASL_OK || rc == SASL_NOUSER ? 0 : -1;
}

int admin_sasl_exists(const char *sasldb_path, const char *user, const char *realm, str_t *err)
{
	if (!admin_exists(sasldb_path))
		return 0;	/* a missing database has no users; libsasl2 would call it an error */
	switch (admin_sasl_run(sasldb_path, user, realm, NULL, admin_sasl_op_exists,
			       "look up", err)) {
	case SASL_OK:
		return 1;
	case SASL_NOUSER:
		return 0;
	default:
		return -1;
	}
}

int admin_sasl_checkpass(const char *sasldb_path, const char *user, const char *realm,
			 const char *password, str_t *err)
{
	switch (admin_sasl_run(sasldb_path, user, realm, password, admin_sasl_op_check,
			       "check the password of", err)) {
	case SASL_OK:
		return 1;
	case SASL_NOUSER:
	case SASL_BADAUTH:
		return 0;
	default:
		return -1;
	}
}

void admin_sasl_protect(const char *sasldb_path, const admin_user_t *reader)
{
	if (reader == NULL)
		admin_set_mode(sasldb_path, ADMIN_SASLDB_PRIVATE_MODE, ADMIN_NO_OWNER, 0);
	else
		admin_set_mode(sasldb_path, ADMIN_SASLDB_SHARED_MODE, 0, reader->gid);
}
