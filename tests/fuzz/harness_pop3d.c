/*
 * harness_pop3d: what pop3d.c provides to the other pop3d files, for the
 * pop3d harnesses, which link every pop3d file but pop3d.c (its main()
 * would take the place of libFuzzer's): the configuration, which each
 * harness fills in.
 */
#include "pop3d.h"

pop3d_conf_t pop3d_conf;
