/*
 * dict_addr: an address looked up in a table in Postfix's order (see
 * dict_addr.h). The candidate keys are made once, in order, and tried
 * until one is found or a lookup fails.
 */
#include <ctype.h>
#include <string.h>

#include "dict_addr.h"

#define DICT_ADDR_FORMS 5		/* candidate keys at most */

size_t dict_addr_unextended(const char *local, size_t len, const char *delimiters)
{
	static const char *const whole[] = { "postmaster", "mailer-daemon" };
	size_t i, cut;

	if (*delimiters == 0)
		return len;
	for (i = 0; i < sizeof(whole) / sizeof(whole[0]); i++)
		if (strlen(whole[i]) == len && strncmp(local, whole[i], len) == 0)
			return len;
	if (strchr(delimiters, '-') != NULL
	    && ((len > 6 && strncmp(local, "owner-", 6) == 0)
		|| (len > 8 && strncmp(local + len - 8, "-request", 8) == 0)))
		return len;
	for (cut = 0; cut < len && strchr(delimiters, local[cut]) == NULL; cut++)
		continue;
	return cut == 0 ? len : cut;
}

static void dict_addr_form(str_t *forms, size_t *n, const char *local, size_t len,
			   const char *domain)
{
	str_t *form = &forms[(*n)++];

	str_append(form, local, len);
	if (domain != NULL) {
		str_putc(form, '@');
		str_append_cstr(form, domain);
	}
}

/* The candidate keys of addr (folded) in the order they are tried. */
static size_t dict_addr_forms(const char *addr, const char *delimiters, int flags,
			      str_t *forms)
{
	const char *at = strrchr(addr, '@');
	const char *domain = at ? at + 1 : NULL;
	size_t len = at ? (size_t)(at - addr) : strlen(addr);
	size_t bare = dict_addr_unextended(addr, len, delimiters);
	size_t n = 0;

	dict_addr_form(forms, &n, addr, len, domain);
	if (bare < len)
		dict_addr_form(forms, &n, addr, bare, domain);
	if (domain != NULL && (flags & DICT_ADDR_LOCAL)) {
		dict_addr_form(forms, &n, addr, len, NULL);
		if (bare < len)
			dict_addr_form(forms, &n, addr, bare, NULL);
	}
	if (domain != NULL)
		dict_addr_form(forms, &n, "", 0, domain);
	return n;
}

int dict_lookup_addr(dict_t *dict, const char *addr, const char *delimiters, int flags,
		     str_t *value)
{
	str_t folded = STR_INIT;
	str_t forms[DICT_ADDR_FORMS];
	size_t n, i;
	int found = 0;

	str_set(&folded, addr);
	for (i = 0; i < folded.len; i++)
		folded.data[i] = (char)tolower((unsigned char)folded.data[i]);
	for (i = 0; i < DICT_ADDR_FORMS; i++)
		str_init(&forms[i]);
	n = dict_addr_forms(str_cstr(&folded), delimiters, flags, forms);
	for (i = 0; i < n && found == 0; i++)
		found = dict_lookup(dict, str_cstr(&forms[i]), value);
	for (i = 0; i < DICT_ADDR_FORMS; i++)
		str_free(&forms[i]);
	str_free(&folded);
	return found;
}
