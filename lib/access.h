/*
 * access: the result of an access(5) table lookup, as Postfix reads it
 * for check_client_access, check_helo_access, check_sender_access and
 * check_recipient_access:
 *
 *   OK, or an all-digit value     permit
 *   DUNNO                         go on with the next restriction
 *   REJECT [text]                 reject with access_map_reject_code (554)
 *   DEFER [text]                  defer with access_map_defer_code (450)
 *   4NN text, 5NN text            reject with that code (a bare "550" is
 *                                 all digits: OK, as in Postfix)
 *
 * The text may start with an enhanced status code ("5.7.0 text") of the
 * reply's class; without one it is X.7.1. An empty text is "Access denied".
 * Anything else is an unknown action: a configuration error.
 */
#ifndef POCHTA_ACCESS_H
#define POCHTA_ACCESS_H

#define ACCESS_DSN_MAX 16		/* "5.123.456" and its NUL */
#define ACCESS_DEFAULT_TEXT "Access denied"

enum access_action { ACCESS_DUNNO, ACCESS_OK, ACCESS_REJECT, ACCESS_UNKNOWN };

typedef struct access_result {
	enum access_action action;
	int code;			/* ACCESS_REJECT: 4NN or 5NN */
	char dsn[ACCESS_DSN_MAX];	/* ACCESS_REJECT: "5.7.1" */
	const char *text;		/* ACCESS_REJECT: points into the value, or the default */
} access_result_t;

/* Read value; reject_code and defer_code are the REJECT and DEFER codes. */
void access_parse(const char *value, int reject_code, int defer_code, access_result_t *res);

#endif
