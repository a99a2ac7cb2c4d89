/*
 * sendmail_args: the sendmail command line, with Postfix's meanings.
 *
 *   -t -i -oi -f/-r sender -F name -N dsn -R ret -V envid -B type -C dir
 *   -bm (default) -bs -bv -bp -bi -I -q
 *
 * Harmless historic flags are accepted: -G -U -m -n -v silently (they
 * change nothing worth a word), -h -L -X -O -o<x> and -q<time|site> with
 * a warning. Anything else, and -bd (a daemon mode: use "pochta start"),
 * is EX_USAGE. Options may come among the recipients; "--" ends them.
 * Run as "mailq" it is -bp, as "newaliases" -bi.
 */
#include <getopt.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sysexits.h>

#include "conf.h"
#include "queue.h"
#include "sendmail.h"
#include "usermsg.h"

#define SENDMAIL_OPTIONS ":B:C:F:GIL:N:O:R:UV:X:b:f:h:imno:q::r:tv"

/* -N: "never", or a list of success, delay and failure. */
static int sendmail_notify(const char *text)
{
	static const struct {
		const char *name;
		int flag;
	} words[] = {
		{ "never", QUEUE_NOTIFY_NEVER }, { "success", QUEUE_NOTIFY_SUCCESS },
		{ "delay", QUEUE_NOTIFY_DELAY }, { "failure", QUEUE_NOTIFY_FAILURE },
	};
	size_t count;
	char **items = conf_split_list(text, &count);
	int flags = 0;

	for (size_t i = 0; i < count; i++) {
		size_t w = 0;

		while (w < sizeof(words) / sizeof(words[0]) && strcasecmp(items[i], words[w].name))
			w++;
		flags |= w < sizeof(words) / sizeof(words[0]) ? words[w].flag : 0x100;
	}
	conf_free_list(items, count);
	if (!queue_notify_valid(flags))
		usermsg_fatal(EX_USAGE, "bad -N option value: %s (use never, or success, "
			      "delay, failure)", text);
	return flags;
}

/* One of two words, whatever its case, returned as the first. */
static const char *sendmail_word(const char *text, const char *a, const char *b,
				 const char *option)
{
	if (strcasecmp(text, a) == 0)
		return a;
	if (strcasecmp(text, b) == 0)
		return b;
	usermsg_fatal(EX_USAGE, "bad %s option value: %s (use %s or %s)", option, text, a, b);
}

static void sendmail_envid(sendmail_opts_t *opts, const char *text)
{
	maildrop_env_t probe;

	maildrop_env_init(&probe);
	if (maildrop_env_set_attr(&probe, MAILDROP_ATTR_DSN_ENVID, text) < 0)
		usermsg_fatal(EX_USAGE, "bad -V option value: %s (printable ASCII, at most %d "
			      "characters)", text, MAILDROP_ENVID_MAX);
	maildrop_env_free(&probe);
	opts->envid = text;
}

/* -b: the mode. */
static void sendmail_mode(sendmail_opts_t *opts, const char *text)
{
	static const struct {
		const char *flag;
		enum sendmail_mode mode;
	} modes[] = {
		{ "m", SENDMAIL_DELIVER }, { "s", SENDMAIL_SMTP }, { "v", SENDMAIL_VERIFY },
		{ "p", SENDMAIL_LIST }, { "i", SENDMAIL_NEWALIASES },
	};

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (strcmp(text, modes[i].flag) == 0) {
			opts->mode = modes[i].mode;
			return;
		}
	if (strcmp(text, "d") == 0 || strcmp(text, "D") == 0)
		usermsg_fatal(EX_USAGE, "-b%s: the daemon mode is not supported: use \"pochta start\"",
			      text);
	usermsg_fatal(EX_USAGE, "unsupported: -b%s", text);
}

/* -C: a directory, or a main.cf whose directory is meant. */
static const char *sendmail_config(const char *path)
{
	struct stat st;

	if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
		return dirname(strdup(path));
	return path;
}

/* The options that take no argument or only set a mode. */
static void sendmail_flag(sendmail_opts_t *opts, int opt, const char *arg)
{
	switch (opt) {
	case 'I':
		opts->mode = SENDMAIL_NEWALIASES;
		break;
	case 'i':
		opts->ignore_dots = 1;
		break;
	case 't':
		opts->extract = 1;
		break;
	case 'o':
		if (strcmp(arg, "i") == 0)
			opts->ignore_dots = 1;
		else
			usermsg_warn("-o%s option ignored", arg);
		break;
	case 'q':
		if (arg)
			usermsg_warn("-q%s: delivering the deferred queue now, once", arg);
		opts->mode = SENDMAIL_FLUSH;
		break;
	case 'h':
	case 'L':
	case 'X':
	case 'O':
		usermsg_warn("-%c option ignored", opt);
		break;
	default:		/* G U m n v */
		break;
	}
}

static void sendmail_option(sendmail_opts_t *opts, int opt, const char *arg)
{
	switch (opt) {
	case 'B':
		opts->body_type = sendmail_word(arg, "7BIT", "8BITMIME", "-B");
		break;
	case 'C':
		opts->config_dir = sendmail_config(arg);
		break;
	case 'F':
		opts->fullname = arg;
		break;
	case 'N':
		opts->notify = sendmail_notify(arg);
		break;
	case 'R':
		opts->ret = sendmail_word(arg, "FULL", "HDRS", "-R");
		break;
	case 'V':
		sendmail_envid(opts, arg);
		break;
	case 'b':
		sendmail_mode(opts, arg);
		break;
	case 'f':
	case 'r':
		opts->sender = arg;
		break;
	case ':':
		usermsg_fatal(EX_USAGE, "option -%c requires an argument", optopt);
	case '?':
		usermsg_fatal(EX_USAGE, "unknown option -%c", optopt);
	default:
		sendmail_flag(opts, opt, arg);
	}
}

void sendmail_args(int argc, char **argv, sendmail_opts_t *opts)
{
	const char *name = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	const char *env = getenv("MAIL_CONFIG");
	int opt;

	memset(opts, 0, sizeof(*opts));
	opts->config_dir = env && *env ? env : conf_param_find("config_directory")->dflt;
	opts->fullname = getenv("NAME");
	if (strcmp(name, "mailq") == 0)
		opts->mode = SENDMAIL_LIST;
	else if (strcmp(name, "newaliases") == 0)
		opts->mode = SENDMAIL_NEWALIASES;
	opterr = 0;
	while ((opt = getopt(argc, argv, SENDMAIL_OPTIONS)) != -1)
		sendmail_option(opts, opt, optarg);
	opts->rcpts = argv + optind;
	opts->nrcpts = argc - optind;
}
