/*
 * test_daemon: the child side of master's contract - a service started
 * with the status pipe on fd 3 and a listener on fd 4 reports itself
 * available, taken and available again around each client, and exits after
 * max_use clients - and the queue tree queue_dirs creates.
 */
#include <check.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "conf.h"
#include "daemon.h"
#include "queue_dirs.h"
#include "str.h"
#include "stream.h"

#define TEST_DAEMON_PATH_MAX 64

static char test_daemon_dir[TEST_DAEMON_PATH_MAX];

static void test_daemon_file(const char *name, const char *text)
{
	char path[TEST_DAEMON_PATH_MAX + 32];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", test_daemon_dir, name);
	fp = fopen(path, "w");
	ck_assert_ptr_nonnull(fp);
	fputs(text, fp);
	fclose(fp);
}

/* A config dir holding main.cf with the queue below it; mail_owner exists. */
static void test_daemon_setup(void)
{
	str_t main_cf = STR_INIT;

	snprintf(test_daemon_dir, sizeof(test_daemon_dir), "/tmp/pochta-test-daemon-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(test_daemon_dir));
	str_printf(&main_cf, "queue_directory = %s/q\nmaillog_file = %s/log\nmail_owner = nobody\n",
		   test_daemon_dir, test_daemon_dir);
	test_daemon_file("main.cf", str_cstr(&main_cf));
	str_free(&main_cf);
}

static void test_daemon_teardown(void)
{
	char cmd[TEST_DAEMON_PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", test_daemon_dir);
	ck_assert_int_eq(system(cmd), 0);
}

static void test_daemon_serve(stream_t *client)
{
	stream_puts(client, "ok\n");
	stream_flush(client);
}

static int test_daemon_listener(struct sockaddr_un *addr)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);

	addr->sun_family = AF_UNIX;
	snprintf(addr->sun_path, sizeof(addr->sun_path), "%s/sock", test_daemon_dir);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)addr, sizeof(*addr)), 0);
	ck_assert_int_eq(listen(fd, 10), 0);
	return fd;
}

static _Noreturn void test_daemon_child(int status_fd, int listen_fd)
{
	char *argv[] = { "testd", "-c", test_daemon_dir, "-n", "svc", "-t", "unix",
			 "-o", "max_use=2", "extra", NULL };
	int argc = 10, nextra;
	char **extra;

	dup2(status_fd, DAEMON_STATUS_FD);
	dup2(listen_fd, DAEMON_LISTEN_FD);
	daemon_init(argc, argv, "testd", NULL);
	daemon_extra_args(&nextra, &extra);
	if (strcmp(daemon_service(), "svc") != 0 || nextra != 1 || strcmp(extra[0], "extra") != 0)
		_exit(2);
	daemon_single_server(test_daemon_serve);
}

static void test_daemon_expect(int status_fd, pid_t pid, int avail)
{
	daemon_status_t st;

	ck_assert_int_eq(read(status_fd, &st, sizeof(st)), sizeof(st));
	ck_assert_int_eq(st.pid, pid);
	ck_assert_int_eq(st.avail, avail);
}

static void test_daemon_client(const struct sockaddr_un *addr)
{
	char reply[8] = { 0 };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	ck_assert_int_eq(connect(fd, (const struct sockaddr *)addr, sizeof(*addr)), 0);
	ck_assert_int_eq(read(fd, reply, sizeof(reply) - 1), 3);
	ck_assert_str_eq(reply, "ok\n");
	close(fd);
}

START_TEST(test_status_reports_and_max_use)
{
	struct sockaddr_un addr = { 0 };
	int status[2], listen_fd, wstatus;
	char queue[TEST_DAEMON_PATH_MAX + 8];
	pid_t pid;

	snprintf(queue, sizeof(queue), "%s/q", test_daemon_dir);
	ck_assert_int_eq(mkdir(queue, 0755), 0);
	ck_assert_int_eq(pipe(status), 0);
	listen_fd = test_daemon_listener(&addr);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		test_daemon_child(status[1], listen_fd);
	test_daemon_expect(status[0], pid, 1);
	for (int i = 0; i < 2; i++) {
		test_daemon_client(&addr);
		test_daemon_expect(status[0], pid, 0);
		test_daemon_expect(status[0], pid, 1);
	}
	ck_assert_int_eq(waitpid(pid, &wstatus, 0), pid);
	ck_assert(WIFEXITED(wstatus));
	ck_assert_int_eq(WEXITSTATUS(wstatus), 0);
}
END_TEST

static void test_daemon_mode(const char *queue, const char *name, mode_t mode, uid_t uid)
{
	char path[TEST_DAEMON_PATH_MAX + 32];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", queue, name);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_msg(S_ISDIR(st.st_mode), "%s is not a directory", name);
	ck_assert_msg((st.st_mode & 07777) == mode, "%s has mode %o", name, st.st_mode & 07777);
	ck_assert_msg(st.st_uid == uid, "%s has owner %d", name, (int)st.st_uid);
}

static void test_daemon_group(const char *queue, const char *name, gid_t gid)
{
	char path[TEST_DAEMON_PATH_MAX + 32];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", queue, name);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_msg(st.st_gid == gid, "%s has group %d", name, (int)st.st_gid);
}

/* The drop directories' group: setgid_group's as root, when it exists. */
static gid_t test_daemon_drop_group(gid_t owner_group)
{
	struct group *gr = geteuid() == 0 ? getgrnam(conf_str("setgid_group")) : NULL;

	return gr ? gr->gr_gid : owner_group;
}

START_TEST(test_queue_tree_modes_and_owners)
{
	char queue[TEST_DAEMON_PATH_MAX + 8];
	str_t err = STR_INIT;
	uid_t owner;
	gid_t group;

	ck_assert_int_eq(conf_load(test_daemon_dir, &err), 0);
	queue_dirs_owner(&owner, &group);
	if (geteuid() == 0)
		ck_assert_int_eq(owner, getpwnam("nobody")->pw_uid);
	snprintf(queue, sizeof(queue), "%s/q", test_daemon_dir);
	queue_dirs_ensure(queue);
	queue_dirs_ensure(queue);	/* a second run finds everything in place */
	test_daemon_mode(test_daemon_dir, "q", 0755, geteuid());
	test_daemon_mode(queue, "incoming", 0700, owner);
	test_daemon_mode(queue, "active", 0700, owner);
	test_daemon_mode(queue, "deferred", 0700, owner);
	test_daemon_mode(queue, "hold", 0700, owner);
	test_daemon_mode(queue, "corrupt", 0700, owner);
	test_daemon_mode(queue, "defer", 0700, owner);
	test_daemon_mode(queue, "private", 0700, owner);
	test_daemon_mode(queue, "public", 0710, owner);
	test_daemon_mode(queue, "maildrop", 01730, owner);
	test_daemon_mode(queue, "pid", 0755, geteuid());
	test_daemon_group(queue, "maildrop", test_daemon_drop_group(group));
	test_daemon_group(queue, "public", test_daemon_drop_group(group));
	test_daemon_group(queue, "incoming", group);
	str_free(&err);
	conf_unload();
}
END_TEST

Suite *suite_daemon(void)
{
	Suite *s = suite_create("daemon");
	TCase *tc = tcase_create("daemon");

	tcase_add_checked_fixture(tc, test_daemon_setup, test_daemon_teardown);
	tcase_add_test(tc, test_status_reports_and_max_use);
	tcase_add_test(tc, test_queue_tree_modes_and_owners);
	suite_add_tcase(s, tc);
	return s;
}
