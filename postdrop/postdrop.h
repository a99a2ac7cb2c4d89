/*
 * postdrop: what the files of the drop helper share (see postdrop.c).
 */
#ifndef POCHTA_POSTDROP_H
#define POCHTA_POSTDROP_H

#define POSTDROP_PROG "postdrop"

/*
 * Running setgid, refuse (fatal, EX_NOPERM) a configuration directory that
 * anyone but root could change: the directory, its main.cf and every
 * directory above it must belong to root and be writable by root alone
 * (a sticky directory such as /tmp excepted, where others cannot rename
 * root's entries). Returns the resolved path to load (caller frees).
 */
char *postdrop_trusted_config(const char *config_dir);

/* Copy the maildrop file on stdin into a new file in maildrop/ (the
 * working directory is queue_directory) and wake pickup; any failure is
 * fatal with a sysexits status. */
void postdrop_store(void);

#endif
