/*
 * smtp-load: an SMTP load generator for benchmarking Pochta, in the manner
 * of Postfix's smtp-source.
 *
 *   smtp-load [-n messages] [-c sessions] [-s KB] [-f from] [-t to]
 *             [-r reuse] [-h helo] [-S | -R] [-a user:password] host port
 *
 * Opens `sessions` parallel SMTP sessions (one thread each) to host:port and
 * sends `messages` messages in total, each MAIL/RCPT/DATA with a body of
 * about KB kilobytes and a unique Message-ID, `reuse` messages per
 * connection before QUIT and a new connection. Counts the 250 replies to the
 * end of DATA and prints the accepted rate. Exits 0 when every message was
 * accepted, 1 on any protocol error (unexpected reply, lost connection,
 * timeout, failed handshake), 2 on a usage error. Talks to the given address
 * only; every loop stops after the message count.
 *
 * -S turns each connection to TLS with STARTTLS (a full handshake each
 * time); -R does too, but each thread offers the session of its previous
 * connection, so handshakes after the first resume (as a mail client with
 * a session cache does). -a logs in with AUTH PLAIN after EHLO (over TLS
 * with -S or -R), for submission ports. The server's certificate is not
 * verified: this is a load generator for loopback, not a mail client.
 * With TLS a line "smtp-load TLS: H handshakes, R resumed" comes before
 * the last line.
 */
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "base64.h"
#include "str.h"

#define LOAD_MAX_SESSIONS 1000
#define LOAD_MAX_KB (100 * 1024)	/* 100 MB bodies at most */
#define LOAD_MAX_MESSAGES 100000000L
#define LOAD_IO_TIMEOUT 60		/* seconds for one read or write */
#define LOAD_REPLY_LINE_MAX 4096	/* one reply line */
#define LOAD_REPLY_LINES_MAX 100	/* lines of one multi-line reply */
#define LOAD_BODY_LINE 76		/* bytes per body line, LF included */
#define LOAD_HEADER_MAX 1024
#define LOAD_ERRORS_SHOWN 10		/* protocol errors printed in full */
#define LOAD_TLS_REASON_MAX 256		/* one OpenSSL error string */

struct load_opts {
	long messages;
	int sessions;
	long kb;
	long reuse;
	const char *from;
	const char *to;
	const char *helo;
	const char *auth;		/* "user:password" for AUTH PLAIN, or NULL */
	int tls;			/* STARTTLS on every connection */
	int resume;			/* offer the previous connection's TLS session */
	const char *host;
	const char *port;
};

/* Shared by the threads; counters are atomic, the options read-only. */
struct load_state {
	const struct load_opts *opts;
	const char *body;		/* CRLF lines, no leading dots */
	size_t body_len;
	atomic_long next;		/* next message number to take */
	atomic_long accepted;
	atomic_long errors;
	atomic_long connections;
	SSL_CTX *tls;			/* with -S or -R */
	char *auth_command;		/* "AUTH PLAIN <base64>\r\n", or NULL */
	atomic_long handshakes;
	atomic_long resumed;
};

/* One connection with a small read buffer for reply lines. */
struct load_conn {
	int fd;
	SSL *ssl;			/* after STARTTLS */
	char buf[LOAD_REPLY_LINE_MAX];
	size_t start, end;
};

static void load_usage(void)
{
	fprintf(stderr, "usage: smtp-load [-n messages] [-c sessions] [-s KB] [-f from] [-t to] "
		"[-r reuse] [-h helo] [-S | -R] [-a user:password] host port\n");
	exit(2);
}

static long load_number(const char *text, long min, long max)
{
	char *end;
	long value;

	errno = 0;
	value = strtol(text, &end, 10);
	if (errno || *text == '\0' || *end != '\0' || value < min || value > max) {
		fprintf(stderr, "smtp-load: bad number \"%s\" (%ld..%ld)\n", text, min, max);
		exit(2);
	}
	return value;
}

static void load_parse(int argc, char **argv, struct load_opts *o)
{
	int ch;

	*o = (struct load_opts){ 5000, 20, 4, 1, "load@example.org", "demo@localhost",
				 "smtp-load.example", NULL, 0, 0, NULL, NULL };
	while ((ch = getopt(argc, argv, "n:c:s:f:t:r:h:SRa:")) != -1) {
		switch (ch) {
		case 'n': o->messages = load_number(optarg, 1, LOAD_MAX_MESSAGES); break;
		case 'c': o->sessions = (int)load_number(optarg, 1, LOAD_MAX_SESSIONS); break;
		case 's': o->kb = load_number(optarg, 0, LOAD_MAX_KB); break;
		case 'f': o->from = optarg; break;
		case 't': o->to = optarg; break;
		case 'r': o->reuse = load_number(optarg, 1, LOAD_MAX_MESSAGES); break;
		case 'h': o->helo = optarg; break;
		case 'S': o->tls = 1; break;
		case 'R': o->tls = o->resume = 1; break;
		case 'a': o->auth = optarg; break;
		default: load_usage();
		}
	}
	if (argc - optind != 2 || (o->auth && strchr(o->auth, ':') == NULL))
		load_usage();
	o->host = argv[optind];
	o->port = argv[optind + 1];
}

/* A body of about kb kilobytes: CRLF lines of letters, never a leading dot. */
static char *load_make_body(long kb, size_t *len)
{
	size_t want = (size_t)kb * 1024, lines = want / LOAD_BODY_LINE + 1, i, j;
	char *body = malloc(lines * LOAD_BODY_LINE + 1), *p;

	if (body == NULL) {
		perror("smtp-load: malloc");
		exit(1);
	}
	p = body;
	for (i = 0; i < lines; i++) {
		for (j = 0; j < LOAD_BODY_LINE - 2; j++)
			*p++ = (char)('a' + (i + j) % 26);
		*p++ = '\r';
		*p++ = '\n';
	}
	*p = '\0';
	*len = (size_t)(p - body);
	return body;
}

static void load_error(struct load_state *st, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void load_error(struct load_state *st, const char *fmt, ...)
{
	va_list ap;

	if (atomic_fetch_add(&st->errors, 1) >= LOAD_ERRORS_SHOWN)
		return;
	va_start(ap, fmt);
	fputs("smtp-load: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static int load_connect(const struct load_opts *o)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
	struct addrinfo *res, *ai;
	struct timeval tv = { LOAD_IO_TIMEOUT, 0 };
	int fd = -1, on = 1;

	if (getaddrinfo(o->host, o->port, &hints, &res) != 0)
		return -1;
	for (ai = res; ai != NULL && fd < 0; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
		if (fd < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		/* a message goes out in several writes: Nagle would hold each
		 * back for the server's delayed ACK, and measure that instead */
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	return fd;
}

/* Blocking socket I/O, through TLS once it is on. */
static ssize_t load_send(struct load_conn *c, const char *data, size_t len)
{
	if (c->ssl != NULL)
		return SSL_write(c->ssl, data, (int)len);
	return send(c->fd, data, len, MSG_NOSIGNAL);
}

static ssize_t load_recv(struct load_conn *c, char *buf, size_t len)
{
	if (c->ssl != NULL)
		return SSL_read(c->ssl, buf, (int)len);
	return recv(c->fd, buf, len, 0);
}

static int load_write(struct load_conn *c, const char *data, size_t len)
{
	while (len > 0) {
		size_t chunk = c->ssl != NULL && len > INT_MAX ? INT_MAX : len;	/* SSL_write's int */
		ssize_t n = load_send(c, data, chunk);

		if (n < 0 && errno == EINTR && c->ssl == NULL)
			continue;
		if (n <= 0)
			return -1;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/* One reply line (without CRLF) into line; -1 on EOF, error or overflow. */
static int load_getline(struct load_conn *c, char *line, size_t size)
{
	for (;;) {
		char *nl = memchr(c->buf + c->start, '\n', c->end - c->start);

		if (nl != NULL) {
			size_t n = (size_t)(nl - (c->buf + c->start));

			if (n > 0 && nl[-1] == '\r')
				n--;
			if (n >= size)
				return -1;
			memcpy(line, c->buf + c->start, n);
			line[n] = '\0';
			c->start = (size_t)(nl - c->buf) + 1;
			return 0;
		}
		if (c->start > 0) {
			memmove(c->buf, c->buf + c->start, c->end - c->start);
			c->end -= c->start;
			c->start = 0;
		}
		if (c->end == sizeof(c->buf))
			return -1;
		ssize_t n = load_recv(c, c->buf + c->end, sizeof(c->buf) - c->end);
		if (n < 0 && errno == EINTR && c->ssl == NULL)
			continue;
		if (n <= 0)
			return -1;
		c->end += (size_t)n;
	}
}

/* Read a whole (multi-line) reply; its code, or -1. last gets the last line. */
static int load_reply(struct load_conn *c, char *last, size_t size)
{
	int lines;

	for (lines = 0; lines < LOAD_REPLY_LINES_MAX; lines++) {
		if (load_getline(c, last, size) < 0)
			return -1;
		if (strlen(last) < 3 || last[0] < '1' || last[0] > '5')
			return -1;
		if (last[3] != '-')
			return atoi(last);
	}
	return -1;
}

/* Send a command and expect a reply code; 0 or -1 (error already counted). */
static int load_command(struct load_state *st, struct load_conn *c,
			const char *cmd, int expect)
{
	char line[LOAD_REPLY_LINE_MAX];
	int code;

	if (cmd != NULL && load_write(c, cmd, strlen(cmd)) < 0) {
		load_error(st, "write failed: %s", strerror(errno));
		return -1;
	}
	code = load_reply(c, line, sizeof(line));
	if (code != expect) {
		load_error(st, "after \"%.*s\": expected %d, got %s", cmd ? (int)strcspn(cmd, "\r") : 8,
			   cmd ? cmd : "greeting", expect, code < 0 ? "no reply" : line);
		return -1;
	}
	return 0;
}

static int load_message(struct load_state *st, struct load_conn *c, long seq)
{
	const struct load_opts *o = st->opts;
	char cmd[LOAD_HEADER_MAX], head[LOAD_HEADER_MAX];
	int n;

	snprintf(cmd, sizeof(cmd), "MAIL FROM:<%s>\r\n", o->from);
	if (load_command(st, c, cmd, 250) < 0)
		return -1;
	snprintf(cmd, sizeof(cmd), "RCPT TO:<%s>\r\n", o->to);
	if (load_command(st, c, cmd, 250) < 0 || load_command(st, c, "DATA\r\n", 354) < 0)
		return -1;
	n = snprintf(head, sizeof(head),
		     "From: <%s>\r\nTo: <%s>\r\nSubject: smtp-load message %ld\r\n"
		     "Message-ID: <smtp-load.%ld.%ld.%ld@%s>\r\n\r\n",
		     o->from, o->to, seq, (long)getpid(), (long)time(NULL), seq, o->helo);
	if (load_write(c, head, (size_t)n) < 0 || load_write(c, st->body, st->body_len) < 0) {
		load_error(st, "write failed in DATA: %s", strerror(errno));
		return -1;
	}
	if (load_command(st, c, ".\r\n", 250) < 0)
		return -1;
	atomic_fetch_add(&st->accepted, 1);
	return 0;
}

/* STARTTLS and the handshake, offering *session when there is one; 0 or -1. */
static int load_starttls(struct load_state *st, struct load_conn *c, SSL_SESSION *session)
{
	char reason[LOAD_TLS_REASON_MAX];

	if (load_command(st, c, "STARTTLS\r\n", 220) < 0)
		return -1;
	if (c->start != c->end) {
		load_error(st, "bytes after the 220 to STARTTLS");
		return -1;
	}
	c->ssl = SSL_new(st->tls);
	if (c->ssl == NULL || SSL_set_fd(c->ssl, c->fd) != 1
	    || (session != NULL && SSL_set_session(c->ssl, session) != 1) || SSL_connect(c->ssl) != 1) {
		ERR_error_string_n(ERR_get_error(), reason, sizeof(reason));
		ERR_clear_error();
		load_error(st, "TLS handshake failed: %s", reason);
		return -1;
	}
	atomic_fetch_add(&st->handshakes, 1);
	if (SSL_session_reused(c->ssl))
		atomic_fetch_add(&st->resumed, 1);
	return 0;
}

/* Greeting, EHLO, and with the options STARTTLS, EHLO again, AUTH. */
static int load_hello(struct load_state *st, struct load_conn *c, SSL_SESSION *session)
{
	char cmd[LOAD_HEADER_MAX];

	snprintf(cmd, sizeof(cmd), "EHLO %s\r\n", st->opts->helo);
	if (load_command(st, c, NULL, 220) < 0 || load_command(st, c, cmd, 250) < 0)
		return -1;
	if (st->tls && (load_starttls(st, c, session) < 0 || load_command(st, c, cmd, 250) < 0))
		return -1;
	if (st->auth_command && load_command(st, c, st->auth_command, 235) < 0)
		return -1;
	return 0;
}

/* Keep the TLS session for the next connection (with -R), then let go:
 * close_notify first, or OpenSSL deems the session not resumable. */
static void load_tls_end(struct load_state *st, struct load_conn *c, SSL_SESSION **session)
{
	if (c->ssl == NULL)
		return;
	if (st->opts->resume) {
		SSL_SESSION_free(*session);
		*session = SSL_get1_session(c->ssl);
	}
	(void)SSL_shutdown(c->ssl);
	SSL_free(c->ssl);
	ERR_clear_error();
}

/* One connection: greeting, EHLO (STARTTLS, AUTH), up to reuse messages
 * starting with seq, QUIT. */
static int load_session(struct load_state *st, long seq, SSL_SESSION **session)
{
	struct load_conn c = { .fd = -1 };
	long sent = 0;
	int rc = 0;

	c.fd = load_connect(st->opts);
	if (c.fd < 0) {
		load_error(st, "cannot connect to %s port %s", st->opts->host, st->opts->port);
		return -1;
	}
	atomic_fetch_add(&st->connections, 1);
	rc = load_hello(st, &c, *session);
	while (rc == 0) {
		rc = load_message(st, &c, seq);
		if (rc < 0 || ++sent >= st->opts->reuse)
			break;
		seq = atomic_fetch_add(&st->next, 1);
		if (seq >= st->opts->messages)
			break;
	}
	if (rc == 0)
		rc = load_command(st, &c, "QUIT\r\n", 221);
	load_tls_end(st, &c, session);
	close(c.fd);
	return rc;
}

/* Take message numbers until none is left; stop at the first failed session. */
static void *load_thread(void *arg)
{
	struct load_state *st = arg;
	SSL_SESSION *session = NULL;	/* this thread's, for -R */
	long seq;

	while ((seq = atomic_fetch_add(&st->next, 1)) < st->opts->messages)
		if (load_session(st, seq, &session) < 0)
			break;
	SSL_SESSION_free(session);
	return NULL;
}

/* The client context (TLS 1.2 or later, any certificate) and the AUTH line. */
static void load_setup(struct load_state *st, const struct load_opts *o)
{
	if (o->tls) {
		/* OpenSSL writes to the socket without MSG_NOSIGNAL */
		signal(SIGPIPE, SIG_IGN);
		st->tls = SSL_CTX_new(TLS_client_method());
		if (st->tls == NULL || SSL_CTX_set_min_proto_version(st->tls, TLS1_2_VERSION) != 1) {
			fprintf(stderr, "smtp-load: cannot set up TLS\n");
			exit(1);
		}
	}
	if (o->auth) {
		const char *colon = strchr(o->auth, ':');
		str_t plain = STR_INIT, line = STR_INIT;

		/* RFC 4616: authzid (empty) NUL authcid NUL password */
		str_putc(&plain, 0);
		str_append(&plain, o->auth, (size_t)(colon - o->auth));
		str_putc(&plain, 0);
		str_append_cstr(&plain, colon + 1);
		str_append_cstr(&line, "AUTH PLAIN ");
		base64_encode(plain.data, plain.len, &line);
		str_append_cstr(&line, "\r\n");
		st->auth_command = str_steal(&line);
		str_free(&plain);
	}
}

static double load_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct load_opts opts;
	struct load_state st;
	pthread_t *threads;
	double start, secs;
	int i, started;

	load_parse(argc, argv, &opts);
	memset(&st, 0, sizeof(st));
	st.opts = &opts;
	st.body = load_make_body(opts.kb, &st.body_len);
	load_setup(&st, &opts);
	threads = calloc((size_t)opts.sessions, sizeof(*threads));
	if (threads == NULL) {
		perror("smtp-load: calloc");
		return 1;
	}
	start = load_now();
	for (started = 0; started < opts.sessions; started++)
		if (pthread_create(&threads[started], NULL, load_thread, &st) != 0)
			break;
	for (i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	secs = load_now() - start;
	if (secs <= 0)
		secs = 1e-9;
	printf("smtp-load: %ld of %ld messages accepted over %ld connections in %.2f s, "
	       "%ld errors\n", (long)st.accepted, opts.messages, (long)st.connections,
	       secs, (long)st.errors);
	if (opts.tls)
		printf("smtp-load TLS: %ld handshakes, %ld resumed\n", (long)st.handshakes,
		       (long)st.resumed);
	printf("smtp-load accepted: %.1f msg/s\n", (double)st.accepted / secs);
	SSL_CTX_free(st.tls);
	free(st.auth_command);
	free(threads);
	free((void *)st.body);
	return (st.errors == 0 && st.accepted == opts.messages && started == opts.sessions) ? 0 : 1;
}
