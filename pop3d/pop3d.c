/*
 * pop3d: the POP3 server. master starts it with a listening socket; for
 * each client in turn it forks two processes and waits for them:
 *
 *   login (pop3d_login.c, mail_owner): greeting, [TLS], USER/PASS or AUTH
 *     -> the login, handed over on a local socket
 *   session (pop3d_session.c, the mailbox owner): "+OK Logged in",
 *     TRANSACTION, QUIT -> UPDATE, "Logout: ..."
 *
 * Without TLS the session process reads the client's descriptor; with TLS
 * the login process relays for it. This process keeps the ids master
 * started it with (root, master.cf unpriv "n", so that it can give the
 * session process the mailbox owner's), reads nothing from the client,
 * and checks the hand-over before acting on it. The certificate, key and
 * SASL library are set up once here and inherited.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "conf.h"
#include "daemon.h"
#include "log.h"
#include "pop3d.h"

pop3d_conf_t pop3d_conf;

static void pop3d_pre_drop(void)
{
	pop3d_conf.myhostname = conf_str("myhostname");
	pop3d_conf.timeout = conf_time("pop3d_timeout");
	pop3d_conf.auth_failure_delay = conf_time("pop3d_auth_failure_delay");
	pop3d_conf.auth_failure_limit = conf_int("pop3d_auth_failure_limit");
	pop3d_conf.disable_plaintext_auth = conf_bool("pop3d_disable_plaintext_auth");
	pop3d_conf.sasl_service = conf_str("pop3d_sasl_service");
	pop3d_conf.tls_wrappermode = conf_bool("pop3d_tls_wrappermode");
	pop3d_tls_init();
	pop3d_mailbox_init();
	pop3d_privs_init();
}

static void pop3d_post_drop(void)
{
	daemon_watch_master();
	pop3d_anvil_init();
	pop3d_tls_setup();
	pop3d_auth_setup();
}

static void pop3d_peer(stream_t *client, char rip[POP3D_ADDR_MAX])
{
	struct sockaddr_storage sa;
	socklen_t len = sizeof(sa);
	const void *addr = NULL;

	snprintf(rip, POP3D_ADDR_MAX, "unknown");
	if (getpeername(stream_fd(client), (struct sockaddr *)&sa, &len) != 0)
		return;
	if (sa.ss_family == AF_INET)
		addr = &((struct sockaddr_in *)&sa)->sin_addr;
	else if (sa.ss_family == AF_INET6)
		addr = &((struct sockaddr_in6 *)&sa)->sin6_addr;
	if (addr != NULL)
		inet_ntop(sa.ss_family, addr, rip, POP3D_ADDR_MAX);
}

/* Wait for a child of this process to end. */
static void pop3d_reap(pid_t pid)
{
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

/* After the login process hands a login over: the session process. */
static void pop3d_serve_login(stream_t *client, stream_t *from_login, const char *rip)
{
	pop3d_handoff_t h = { STR_INIT, STR_INIT, 0, STR_INIT };
	pid_t session = -1;

	if (pop3d_handoff_read(from_login, &h) == 0)
		session = pop3d_session_run(h.secured ? from_login : client, &h, rip);
	stream_close(from_login);	/* the relay ends when the session does */
	if (session > 0)
		pop3d_reap(session);
	pop3d_handoff_free(&h);
}

/* The login process, then the session process if there is a login. */
static void pop3d_serve_client(stream_t *client, const char *rip)
{
	int sv[2];
	pid_t login;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		log_warning("rip=%s: socketpair: %m", rip);
		return;
	}
	if ((login = fork()) == 0) {
		close(sv[0]);
		pop3d_login_main(client, rip, sv[1]);
	}
	close(sv[1]);
	if (login < 0) {
		log_warning("rip=%s: cannot start a login process: %m", rip);
		close(sv[0]);
		return;
	}
	pop3d_serve_login(client, stream_open(sv[0]), rip);
	pop3d_reap(login);
}

static void pop3d_serve(stream_t *client)
{
	char rip[POP3D_ADDR_MAX];
	int counted;

	pop3d_peer(client, rip);
	stream_no_delay(client);	/* a message's last bytes must not wait for an ACK */
	if ((counted = pop3d_anvil_connect(client, rip)) < 0)
		return;
	pop3d_serve_client(client, rip);
	if (counted)
		pop3d_anvil_disconnect(rip);
}

int main(int argc, char **argv)
{
	static const daemon_hooks_t hooks = { pop3d_pre_drop, pop3d_post_drop };

	daemon_init(argc, argv, "pop3d", &hooks);
	daemon_single_server(pop3d_serve);
}
