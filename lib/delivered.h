/*
 * delivered: the mail forwarding loop check.
 *
 * Every local delivery adds "Delivered-To: RCPT" at the top of the
 * message. A message whose header already names RCPT in a Delivered-To:
 * line has been here before and is going round in circles, so it must
 * bounce ("5.4.6 mail forwarding loop for RCPT") instead of being
 * delivered again.
 */
#ifndef POCHTA_DELIVERED_H
#define POCHTA_DELIVERED_H

#include <stddef.h>

/*
 * Does the message header in text (the message from its first byte, LF
 * line ends; only the part before the first empty line counts) have a
 * Delivered-To: field whose value is rcpt? Names and addresses compare
 * without regard to case; white space around the value is ignored.
 */
int delivered_to_seen(const char *text, size_t len, const char *rcpt);

#endif
