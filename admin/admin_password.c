/*
 * admin_password: random passwords for new mailbox users.
 *
 * The alphabet leaves out characters that look alike (0/O, 1/l/I) and
 * anything a shell or URL would need quoted, so a password can be read
 * off a terminal and typed into a mail client. Rejection sampling keeps
 * every character equally likely.
 */
#include <string.h>

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
