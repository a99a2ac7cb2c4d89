/*
 * sendmail: what the files of the sendmail command share.
 *
 * sendmail.c picks the mode from the program name and the options
 * (sendmail_args.c); a message is read by sendmail_input.c, its envelope
 * is built by sendmail_envelope.c and handed to postdrop by
 * sendmail_drop.c. -bs is sendmail_smtp.c, -bv sendmail_verify.c, and
 * -bp, -bi and -q run the pochta command (sendmail_run.c).
 */
#ifndef POCHTA_SENDMAIL_H
#define POCHTA_SENDMAIL_H

#include <sys/types.h>

#include "maildrop.h"
#include "str.h"
#include "stream.h"

#define SENDMAIL_PROG "sendmail"
#define SENDMAIL_POSTDROP "postdrop"	/* beside sendmail */
#define SENDMAIL_POCHTA "pochta"	/* beside sendmail, or in command_directory */
#define SENDMAIL_PIECE_MAX 65536	/* bytes of input taken at a time */

enum sendmail_mode {
	SENDMAIL_DELIVER,	/* -bm: read a message and queue it */
	SENDMAIL_SMTP,		/* -bs */
	SENDMAIL_VERIFY,	/* -bv */
	SENDMAIL_LIST,		/* -bp, mailq */
	SENDMAIL_NEWALIASES,	/* -bi, -I, newaliases */
	SENDMAIL_FLUSH,		/* -q */
};

typedef struct sendmail_opts {
	enum sendmail_mode mode;
	const char *config_dir;	/* -C, MAIL_CONFIG, or the default */
	const char *sender;	/* -f or -r; NULL: the user's own address */
	const char *fullname;	/* -F, else $NAME; NULL: none */
	int extract;		/* -t */
	int ignore_dots;	/* -i, -oi */
	int notify;		/* -N, QUEUE_NOTIFY_ flags; 0: not given */
	const char *ret;	/* -R: "FULL" or "HDRS" */
	const char *envid;	/* -V */
	const char *body_type;	/* -B: "7BIT" or "8BITMIME" */
	char **rcpts;		/* the arguments after the options */
	int nrcpts;
} sendmail_opts_t;

/* Parse the command line (fatal with EX_USAGE on a bad one). */
void sendmail_args(int argc, char **argv, sendmail_opts_t *opts);

/* The login name of the user running sendmail (fatal when it has none). */
const char *sendmail_login(void);
/* Refuse (fatal, EX_NOPERM) a user authorized_submit_users leaves out
 * or a sender local_login_sender_maps does not allow; pickup checks the
 * same again, this is for a clear message now. */
void sendmail_check_user(const char *sender);

/* Addresses. Each returns 0 and the address in the queue's form (addr.h),
 * or -1 with the reason in why. */
int sendmail_parse_sender(const char *text, str_t *out, str_t *why);
/* Every address of an address list ("a@x, Bob <b@x>") added to env. */
int sendmail_add_rcpts(maildrop_env_t *env, const char *list, str_t *why);

/* The envelope from the options: sender, full name, DSN, body type, and
 * the recipients on the command line (fatal with EX_NOUSER for a bad
 * address). */
void sendmail_envelope(const sendmail_opts_t *opts, maildrop_env_t *env);

/* Reading a message: LF line ends, and where it ends. */
enum sendmail_dots {
	SENDMAIL_DOTS_NONE,	/* -i: only the end of input ends it */
	SENDMAIL_DOTS_END,	/* a line of one "." ends it */
	SENDMAIL_DOTS_SMTP,	/* as SMTP DATA: "." ends it, a leading "." is removed */
};

typedef struct sendmail_input {
	stream_t *in;
	enum sendmail_dots dots;
	int at_line_start;
	int done;
} sendmail_input_t;

void sendmail_input_init(sendmail_input_t *si, stream_t *in, enum sendmail_dots dots);
/* The next piece of the message into piece (replaced): 1, or 0 at its
 * end; -1 on a read error. A line's CR LF becomes LF, and a last line
 * without LF gets one. */
int sendmail_input_read(sendmail_input_t *si, str_t *piece);

/* postdrop, running with a pipe on its stdin. */
typedef struct sendmail_drop {
	pid_t pid;
	int fd;			/* the pipe; -1 once postdrop went away */
	str_t buf;
} sendmail_drop_t;

void sendmail_drop_open(sendmail_drop_t *drop, const char *config_dir);
void sendmail_drop_write(sendmail_drop_t *drop, const str_t *data, int flush);
/* End the pipe and wait: postdrop's exit status (a sysexits.h value). */
int sendmail_drop_close(sendmail_drop_t *drop);
/* Stop postdrop without a complete file: it keeps nothing. */
void sendmail_drop_abort(sendmail_drop_t *drop);

/* Queue one message read from si with this envelope (-t: add the
 * recipients from its header and drop Bcc:). A sysexits status; *why
 * says what went wrong. */
int sendmail_submit(const sendmail_opts_t *opts, maildrop_env_t *env, sendmail_input_t *si,
		    int extract, str_t *why);

/* The directory of this program, where postdrop is. */
void sendmail_self_dir(str_t *dir);
/* Run "pochta -c CONFIG_DIR args..." in place of this process. */
_Noreturn void sendmail_run_pochta(const char *config_dir, const char *const *args);

/* -bs and -bv: an exit status. */
int sendmail_smtp(const sendmail_opts_t *opts);
int sendmail_verify(const sendmail_opts_t *opts);

#endif
