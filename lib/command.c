/*
 * command: shell decision, argument vector, exit status and output
 * status of external commands (see command.h).
 */
#include <ctype.h>
#include <string.h>
#include <sysexits.h>

#include "command.h"
#include "mem.h"
#include "str.h"

#define COMMAND_BLANK " \t"
#define COMMAND_PLAIN "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ" \
	"0123456789!@%-_=+:,./" COMMAND_BLANK

static const struct command_sysexit {
	int status;
	command_exit_t exit;
} command_sysexits[] = {
	{ EX_USAGE, { "5.3.0", "command line usage error" } },
	{ EX_DATAERR, { "5.6.0", "data format error" } },
	{ EX_NOINPUT, { "5.3.0", "cannot open input" } },
	{ EX_NOUSER, { "5.1.1", "user unknown" } },
	{ EX_NOHOST, { "5.1.2", "host name unknown" } },
	{ EX_UNAVAILABLE, { "5.3.0", "service unavailable" } },
	{ EX_SOFTWARE, { "5.3.0", "internal software error" } },
	{ EX_OSERR, { "4.3.0", "system resource problem" } },
	{ EX_OSFILE, { "5.3.0", "critical OS file missing" } },
	{ EX_CANTCREAT, { "5.2.0", "can't create user output file" } },
	{ EX_IOERR, { "5.3.0", "input/output error" } },
	{ EX_TEMPFAIL, { "4.3.0", "temporary failure" } },
	{ EX_PROTOCOL, { "5.5.0", "remote error in protocol" } },
	{ EX_NOPERM, { "5.7.0", "permission denied" } },
	{ EX_CONFIG, { "5.3.5", "local configuration error" } },
};

int command_needs_shell(const char *command)
{
	return command[strspn(command, COMMAND_PLAIN)] != 0 ||
	       command[strspn(command, COMMAND_BLANK)] == 0;
}

char **command_split(const char *command)
{
	char **argv = mem_calloc(COMMAND_ARGS_MAX + 1, sizeof(*argv));
	size_t n = 0, len;

	for (;;) {
		command += strspn(command, COMMAND_BLANK);
		if (*command == 0)
			break;
		if (n == COMMAND_ARGS_MAX) {
			command_free_argv(argv);
			return NULL;
		}
		len = strcspn(command, COMMAND_BLANK);
		argv[n++] = mem_strndup(command, len);
		command += len;
	}
	if (n == 0) {
		mem_free(argv);
		return NULL;
	}
	return argv;
}

void command_free_argv(char **argv)
{
	if (argv == NULL)
		return;
	for (char **p = argv; *p; p++)
		mem_free(*p);
	mem_free(argv);
}

command_exit_t command_exit_status(int status)
{
	static const command_exit_t other = { "5.3.0", NULL };

	for (size_t i = 0; i < sizeof(command_sysexits) / sizeof(command_sysexits[0]); i++)
		if (command_sysexits[i].status == status)
			return command_sysexits[i].exit;
	return other;
}

/* Digits of one detail field: 1 to 3 of them. */
static size_t command_dsn_field(const char *p)
{
	size_t n = 0;

	while (n < 4 && isdigit((unsigned char)p[n]))
		n++;
	return n >= 1 && n <= 3 ? n : 0;
}

const char *command_output_dsn(const char *text, char dsn[COMMAND_DSN_MAX])
{
	const char *p = text + 2;
	size_t n;

	if ((text[0] != '2' && text[0] != '4' && text[0] != '5') || text[1] != '.')
		return NULL;
	if ((n = command_dsn_field(p)) == 0 || p[n] != '.')
		return NULL;
	p += n + 1;
	if ((n = command_dsn_field(p)) == 0 || (p[n] != ' ' && p[n] != 0))
		return NULL;
	p += n;
	memcpy(dsn, text, (size_t)(p - text));
	dsn[p - text] = 0;
	return p + strspn(p, COMMAND_BLANK);
}

char *command_env_entry(const char *name, const char *value)
{
	str_t s = STR_INIT;

	str_printf(&s, "%s=%s", name, value ? value : "");
	return str_steal(&s);
}
