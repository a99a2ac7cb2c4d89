/*
 * mkman_params: writes the pochta-conf(5) manual page at build time.
 *
 *   mkman_params < man/pochta-conf.5.in > pochta-conf.5
 *
 * It copies the template and replaces its "@PARAMETERS@" line with one
 * entry per parameter of conf_params.c, in name order, with its default
 * and the values it takes: the same table that gives the programs their
 * defaults and "pochta conf -d" its output, so the page cannot disagree
 * with them.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

#define MKMAN_MARK "@PARAMETERS@"
#define MKMAN_LINE_MAX 4096

/* Text in roff: backslashes and minus signs escaped, and a line never
 * starting with a control character. */
static void mkman_text(const char *s)
{
	if (*s == '.' || *s == '\'')
		fputs("\\&", stdout);
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\e", stdout);
		else if (*s == '-')
			fputs("\\-", stdout);
		else
			putchar(*s);
	}
}

static void mkman_range(const conf_param_t *p, const char *unit)
{
	if (p->max == LONG_MAX)
		printf("%ld%s or more", p->min, unit);
	else
		printf("%ld to %ld%s", p->min, p->max, unit);
}

static void mkman_values(const conf_param_t *p)
{
	switch (p->type) {
	case CONF_STR:
		return;
	case CONF_BOOL:
		printf(".br\nyes or no.\n");
		return;
	case CONF_INT:
		printf(".br\nA number, ");
		mkman_range(p, "");
		printf(".\n");
		return;
	case CONF_TIME:
		printf(".br\nA time: a number and a unit, s (seconds), m, h, d or w; "
		       "a number alone counts in %c. ", p->unit);
		mkman_range(p, " seconds");
		printf(".\n");
		return;
	}
}

static void mkman_param(const conf_param_t *p)
{
	printf(".TP\n.B %s\nDefault: ", p->name);
	if (p->dflt == NULL)
		printf("computed when the configuration is read (\\fBpochta conf \\-d\\fR shows it)");
	else if (*p->dflt == 0)
		printf("empty");
	else {
		fputs("\\fB", stdout);
		mkman_text(p->dflt);
		fputs("\\fR", stdout);
	}
	putchar('\n');
	mkman_values(p);
}

static int mkman_cmp(const void *a, const void *b)
{
	return strcmp((*(const conf_param_t *const *)a)->name, (*(const conf_param_t *const *)b)->name);
}

static void mkman_params(void)
{
	const conf_param_t **sorted;
	size_t n = 0;

	while (conf_params[n].name)
		n++;
	if ((sorted = calloc(n, sizeof(*sorted))) == NULL) {
		perror("mkman_params");
		exit(1);
	}
	for (size_t i = 0; i < n; i++)
		sorted[i] = &conf_params[i];
	qsort(sorted, n, sizeof(*sorted), mkman_cmp);
	for (size_t i = 0; i < n; i++)
		mkman_param(sorted[i]);
	free(sorted);
}

int main(void)
{
	char line[MKMAN_LINE_MAX];
	int marks = 0;

	while (fgets(line, sizeof(line), stdin)) {
		if (strncmp(line, MKMAN_MARK, strlen(MKMAN_MARK)) == 0) {
			mkman_params();
			marks++;
		} else {
			fputs(line, stdout);
		}
	}
	if (marks != 1 || ferror(stdin) || fflush(stdout) != 0) {
		fprintf(stderr, "mkman_params: the template needs one %s line\n", MKMAN_MARK);
		return 1;
	}
	return 0;
}
