/*
 * admin_password: passwords for mailbox users, made up or typed in.
 *
 * A random password uses an alphabet without characters that look alike
 * (0/O, 1/l/I) and without anything a shell or URL would need quoted, so
 * it can be read off a terminal and typed into a mail client. Rejection
 * sampling keeps every character equally likely.
 *
 * A typed password never comes from the command line, where other users
 * could see it in the process list: on a terminal it is prompted for with
 * echo off (and asked again to catch typing errors, as saslpasswd2 does),
 * otherwise it is the first line of stdin, for scripts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "admin.h"

static const char admin_password_alphabet[] =
	"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";

void admin_password_random(char out[ADMIN_PASSWORD_LEN + 1])
{
	size_t size = strlen(admin_password_alphabet);
	size_t limit = 256 - 256 % size;	/* bytes at or above this would bias the draw */
	size_t have = 0;

	while (have < ADMIN_PASSWORD_LEN) {
		unsigned char byte;

		if (RAND_bytes(&byte, 1) != 1)
			admin_fatal("cannot get random bytes for a password");
		if (byte < limit)
			out[have++] = admin_password_alphabet[byte % size];
	}
	out[have] = 0;
}

void admin_password_forget(str_t *password)
{
	if (password->data)
		explicit_bzero(password->data, password->cap);
	str_free(password);
}

_Noreturn static void admin_password_refuse(str_t *password, const char *why)
{
	admin_password_forget(password);
	admin_say("%s", why);
	exit(ADMIN_EXIT_DATAERR);
}

/* One line of stdin without its line end: NULL, or why it cannot be a password. */
static const char *admin_password_line(str_t *password)
{
	const char *why = NULL;
	int c;

	str_reset(password);
	while ((c = getchar()) != EOF && c != '\n') {
		if (c == 0)
			why = "the password contains a NUL byte";
		else if (password->len >= ADMIN_PASSWORD_MAX)
			why = "the password is too long";
		else
			str_putc(password, c);
	}
	if (password->len > 0 && password->data[password->len - 1] == '\r')
		str_truncate(password, password->len - 1);
	if (why == NULL && password->len == 0)
		why = "empty password";
	return why;
}

/* Prompt on the terminal with echo off (the typed newline is still shown);
 * the terminal is restored before a bad password is refused. */
static void admin_password_prompt(const char *prompt, str_t *password)
{
	struct termios saved, quiet;
	int have_tty = tcgetattr(STDIN_FILENO, &saved) == 0;
	const char *why;

	if (have_tty) {
		quiet = saved;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		quiet.c_lflag |= ECHONL;
		tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
	}
	fputs(prompt, stderr);
	fflush(stderr);
	why = admin_password_line(password);
	if (have_tty)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
	if (why)
		admin_password_refuse(password, why);
}

void admin_password_read(int confirm, str_t *password)
{
	str_t again = STR_INIT;
	const char *why;

	if (!isatty(STDIN_FILENO)) {
		if ((why = admin_password_line(password)) != NULL)
			admin_password_refuse(password, why);
		return;
	}
	admin_password_prompt("Password: ", password);
	if (!confirm)
		return;
	admin_password_prompt("Again (for verification): ", &again);
	if (strcmp(str_cstr(password), str_cstr(&again)) != 0) {
		admin_password_forget(&again);
		admin_password_refuse(password, "the passwords do not match");
	}
	admin_password_forget(&again);
}
