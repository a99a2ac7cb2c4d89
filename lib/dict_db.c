/*
 * dict_db: hash: and btree:, Berkeley DB files (NAME.db) built by
 * "pochta map" from the text source NAME.
 *
 * Reading: NAME.db is opened read-only, without a database environment
 * or locks: a rebuild never changes the file a reader has open, it renames
 * a new file over the name (see dict_db_build), so a reader keeps the old
 * table until it opens the name again, which a daemon does when
 * dict_changed() says so. A NAME.db that cannot be opened makes a table
 * whose lookups fail for now ("open database NAME.db: reason").
 *
 * Keys and values are stored without their terminating null byte, or with
 * it (DICT_BUILD_NULL, as Postfix's postmap does by default on most
 * systems); a lookup tries both until one form is found, then keeps to
 * that form, so files made either way are read.
 */
#include <db.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "dict_type.h"
#include "log.h"
#include "mem.h"

#define DICT_DB_TMP ".tmp."		/* NAME.db.tmp.PID while it is built */
#define DICT_DB_MODE_BITS 07777
#define DICT_DB_TRY0NULL 0x1		/* keys may be stored without a null byte */
#define DICT_DB_TRY1NULL 0x2		/* keys may be stored with one */

typedef struct dict_db {
	dict_t dict;
	DB *db;
	char *path;			/* NAME.db */
	int try;			/* DICT_DB_TRY0NULL | DICT_DB_TRY1NULL */
} dict_db_t;

/* Berkeley DB's own explanations go to the mail log. */
static void dict_db_errcall(const DB_ENV *env, const char *prefix, const char *msg)
{
	(void)env;
	log_warning("%s: %s", prefix ? prefix : "Berkeley DB", msg);
}

static void dict_db_text(const DBT *dbt, str_t *out)
{
	size_t size = dbt->size;

	if (size > 0 && ((const char *)dbt->data)[size - 1] == 0)
		size--;
	str_reset(out);
	str_append(out, dbt->data, size);
}

/* One form of the key: 1 found, 0 not found, -1 error (in value). */
static int dict_db_get(dict_db_t *dd, const char *key, size_t size, str_t *value)
{
	DBT k = { 0 }, v = { 0 };
	int rc;

	k.data = (void *)key;
	k.size = (u_int32_t)size;
	if ((rc = dd->db->get(dd->db, NULL, &k, &v, 0)) == DB_NOTFOUND)
		return 0;
	if (rc != 0) {
		str_reset(value);
		str_printf(value, "lookup in %s: %s", dd->path, db_strerror(rc));
		return -1;
	}
	dict_db_text(&v, value);
	return 1;
}

static int dict_db_lookup(dict_t *dict, const char *key, str_t *value)
{
	dict_db_t *dd = (dict_db_t *)dict;
	size_t len = strlen(key);
	int found = 0;

	if (dd->try & DICT_DB_TRY0NULL) {
		if ((found = dict_db_get(dd, key, len, value)) > 0)
			dd->try = DICT_DB_TRY0NULL;
	}
	if (found == 0 && (dd->try & DICT_DB_TRY1NULL)) {
		if ((found = dict_db_get(dd, key, len + 1, value)) > 0)
			dd->try = DICT_DB_TRY1NULL;
	}
	return found;
}

static int dict_db_walk(dict_t *dict, dict_walk_fn fn, void *ctx)
{
	dict_db_t *dd = (dict_db_t *)dict;
	str_t key = STR_INIT, value = STR_INIT;
	DBT k = { 0 }, v = { 0 };
	DBC *cursor;
	int rc;

	if ((rc = dd->db->cursor(dd->db, NULL, &cursor, 0)) != 0) {
		log_warning("list %s: %s", dd->path, db_strerror(rc));
		return -1;
	}
	while ((rc = cursor->get(cursor, &k, &v, DB_NEXT)) == 0) {
		dict_db_text(&k, &key);
		dict_db_text(&v, &value);
		if (fn(str_cstr(&key), str_cstr(&value), ctx) != 0)
			break;
	}
	cursor->close(cursor);
	str_free(&key);
	str_free(&value);
	if (rc != 0 && rc != DB_NOTFOUND) {
		log_warning("list %s: %s", dd->path, db_strerror(rc));
		return -1;
	}
	return 0;
}

static void dict_db_close(dict_t *dict)
{
	dict_db_t *dd = (dict_db_t *)dict;

	dd->db->close(dd->db, 0);
	mem_free(dd->path);
}

/* A handle with Pochta's error reporting; NULL with err. */
static DB *dict_db_handle(const char *path, str_t *err)
{
	DB *db;
	int rc;

	if ((rc = db_create(&db, NULL, 0)) != 0) {
		str_printf(err, "open database %s: %s", path, db_strerror(rc));
		return NULL;
	}
	db->set_errcall(db, dict_db_errcall);
	return db;
}

static char *dict_db_path(const char *name)
{
	str_t path = STR_INIT;

	str_printf(&path, "%s%s", name, DICT_DB_SUFFIX);
	return str_steal(&path);
}

static dict_t *dict_db_open(const char *name, DBTYPE type)
{
	dict_db_t *dd = (dict_db_t *)dict_alloc(sizeof(*dd));
	str_t why = STR_INIT;
	struct stat st;
	dict_t *dict;
	int rc, fd;

	dd->path = dict_db_path(name);
	if ((dd->db = dict_db_handle(dd->path, &why)) != NULL) {
		dd->db->set_errpfx(dd->db, dd->path);
		rc = dd->db->open(dd->db, NULL, dd->path, NULL, type, DB_RDONLY, 0);
		if (rc == 0 && dd->db->fd(dd->db, &fd) == 0 && fstat(fd, &st) == 0) {
			dd->dict.lookup = dict_db_lookup;
			dd->dict.walk = dict_db_walk;
			dd->dict.close = dict_db_close;
			dd->try = DICT_DB_TRY0NULL | DICT_DB_TRY1NULL;
			dict_watch(&dd->dict, dd->path, &st);
			return &dd->dict;
		}
		str_printf(&why, "open database %s: %s", dd->path,
			   rc ? db_strerror(rc) : strerror(errno));
		dd->db->close(dd->db, 0);
	}
	dict = dict_unavailable(dd->path, "%s", str_cstr(&why));
	mem_free(dd->path);
	mem_free(dd);
	str_free(&why);
	return dict;
}

dict_t *dict_hash_open(const char *name, str_t *err)
{
	(void)err;		/* a missing file is temporary, not a wrong name */
	return dict_db_open(name, DB_HASH);
}

dict_t *dict_btree_open(const char *name, str_t *err)
{
	(void)err;
	return dict_db_open(name, DB_BTREE);
}

/* Building. */

typedef struct dict_db_put {
	DB *db;
	int with_null;
	const char *path;
	str_t *err;
} dict_db_put_t;

static int dict_db_put_one(const char *key, const char *value, void *ctx)
{
	dict_db_put_t *put = ctx;
	DBT k = { 0 }, v = { 0 };
	int rc;

	k.data = (void *)key;
	k.size = (u_int32_t)(strlen(key) + (put->with_null ? 1 : 0));
	v.data = (void *)value;
	v.size = (u_int32_t)(strlen(value) + (put->with_null ? 1 : 0));
	if ((rc = put->db->put(put->db, NULL, &k, &v, 0)) != 0) {
		str_printf(put->err, "write %s: %s", put->path, db_strerror(rc));
		return -1;
	}
	return 0;
}

/* Write every entry of source into a new file at tmp; 0 or -1 with err. */
static int dict_db_write(const char *tmp, DBTYPE type, dict_t *source, int flags, str_t *err)
{
	dict_db_put_t put = { .with_null = flags & DICT_BUILD_NULL, .path = tmp, .err = err };
	size_t err_len = err->len;
	int rc;

	if ((put.db = dict_db_handle(tmp, err)) == NULL)
		return -1;
	put.db->set_errpfx(put.db, tmp);
	if ((rc = put.db->open(put.db, NULL, tmp, NULL, type, DB_CREATE | DB_EXCL, 0600)) != 0) {
		str_printf(err, "create database %s: %s", tmp, db_strerror(rc));
		put.db->close(put.db, 0);
		return -1;
	}
	dict_walk(source, dict_db_put_one, &put);
	if ((rc = put.db->close(put.db, 0)) != 0 && err->len == err_len)
		str_printf(err, "write %s: %s", tmp, db_strerror(rc));
	return err->len == err_len ? 0 : -1;
}

/* The directory entry of a rename is durable only once its directory is synced. */
static int dict_db_sync_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash ? mem_strndup(path, slash == path ? 1 : (size_t)(slash - path))
			  : mem_strdup(".");
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int ret = fd >= 0 && fsync(fd) == 0 ? 0 : -1;

	if (fd >= 0)
		close(fd);
	mem_free(dir);
	return ret;
}

/* Give tmp the source's mode (and owner, as root), make it durable, and
 * rename it to path; 0 or -1 with err. */
static int dict_db_commit(const char *tmp, const char *path, const struct stat *src, str_t *err)
{
	int fd = open(tmp, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	int ok = fd >= 0;

	ok = ok && (geteuid() != 0 || fchown(fd, src->st_uid, src->st_gid) == 0);
	ok = ok && fchmod(fd, src->st_mode & DICT_DB_MODE_BITS) == 0;
	ok = ok && fsync(fd) == 0;
	if (fd >= 0 && close(fd) != 0)
		ok = 0;
	if (!ok) {
		str_printf(err, "write %s: %s", tmp, strerror(errno));
		return -1;
	}
	if (rename(tmp, path) != 0) {
		str_printf(err, "rename %s to %s: %s", tmp, path, strerror(errno));
		return -1;
	}
	if (dict_db_sync_dir(path) != 0) {
		str_printf(err, "sync the directory of %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int dict_db_build(const char *name, DBTYPE type, dict_t *source, int flags, str_t *err)
{
	char *path = dict_db_path(name);
	str_t tmp = STR_INIT;
	struct stat st;
	int ret = -1;

	str_printf(&tmp, "%s%s%ld", path, DICT_DB_TMP, (long)getpid());
	if (stat(name, &st) != 0) {
		str_printf(err, "%s: %s", name, strerror(errno));
	} else {
		unlink(tmp.data);	/* left by an earlier run that had this pid */
		ret = dict_db_write(tmp.data, type, source, flags, err);
		if (ret == 0)
			ret = dict_db_commit(tmp.data, path, &st, err);
		if (ret != 0)
			unlink(tmp.data);
	}
	str_free(&tmp);
	mem_free(path);
	return ret;
}

int dict_hash_build(const char *name, dict_t *source, int flags, str_t *err)
{
	return dict_db_build(name, DB_HASH, source, flags, err);
}

int dict_btree_build(const char *name, dict_t *source, int flags, str_t *err)
{
	return dict_db_build(name, DB_BTREE, source, flags, err);
}
