/*
 * sendmail: the sendmail-compatible command, as Postfix's sendmail(1),
 * also installed as mailq (= -bp) and newaliases (= -bi).
 *
 *   sendmail [options] [recipient ...] < message
 *
 * It runs as the user who calls it and is neither setuid nor setgid: it
 * reads the message and hands it to postdrop (the setgid drop helper,
 * beside it), which leaves it in maildrop/ for pickup, also while the
 * mail system is stopped. -bp, -bi and -q run the pochta command
 * (sendmail_run.c). The instance is the one of -C, else $MAIL_CONFIG, else the default
 * configuration directory. Exit statuses are sysexits.h's: EX_USAGE for a
 * bad command line or no recipient, EX_NOUSER for a bad address,
 * EX_NOPERM for a user who may not submit, EX_DATAERR for a message over
 * message_size_limit, EX_TEMPFAIL when it could not be queued.
 */
#include <signal.h>
#include <sysexits.h>

#include "conf.h"
#include "sendmail.h"
#include "usermsg.h"

static void sendmail_load(const char *config_dir)
{
	str_t err = STR_INIT;

	if (conf_load(config_dir, &err) != 0)
		usermsg_fatal(EX_CONFIG, "%s", str_cstr(&err));
	str_free(&err);
}

/* -bm: the message on stdin. */
static int sendmail_deliver(const sendmail_opts_t *opts)
{
	maildrop_env_t env;
	sendmail_input_t si;
	str_t why = STR_INIT;
	int status;

	if (opts->nrcpts == 0 && !opts->extract)
		usermsg_fatal(EX_USAGE, "no recipient addresses: give them on the command line "
			      "or use -t");
	sendmail_envelope(opts, &env);
	sendmail_input_init(&si, stream_open(0),
			    opts->ignore_dots ? SENDMAIL_DOTS_NONE : SENDMAIL_DOTS_END);
	status = sendmail_submit(opts, &env, &si, opts->extract, &why);
	if (status != EX_OK && why.len)
		usermsg_fatal(status, "%s", why.data);
	stream_close(si.in);
	maildrop_env_free(&env);
	str_free(&why);
	return status;
}

int main(int argc, char **argv)
{
	static const char *const list[] = { "queue", "-p", NULL };
	static const char *const flush[] = { "queue", "-f", NULL };
	static const char *const newaliases[] = { "newaliases", NULL };
	sendmail_opts_t opts;

	usermsg_init(SENDMAIL_PROG);
	signal(SIGPIPE, SIG_IGN);	/* a postdrop that went away is seen in its status */
	sendmail_args(argc, argv, &opts);
	sendmail_load(opts.config_dir);
	switch (opts.mode) {
	case SENDMAIL_LIST:
		sendmail_run_pochta(opts.config_dir, list);
	case SENDMAIL_FLUSH:
		sendmail_run_pochta(opts.config_dir, flush);
	case SENDMAIL_NEWALIASES:
		sendmail_run_pochta(opts.config_dir, newaliases);
	case SENDMAIL_SMTP:
		return sendmail_smtp(&opts);
	case SENDMAIL_VERIFY:
		return sendmail_verify(&opts);
	default:
		return sendmail_deliver(&opts);
	}
}
