# Pochta: the one Makefile. Builds lib/ into libpochta.a, one program per
# directory, the Check unit tests, and runs the integration tests.
#
#   make            build everything under build/
#   make SAN=1      the same with ASan+UBSan under build/san/
#   make run        dependencies, build, sandbox instance in ./run (foreground)
#   make check      dependencies, build, unit and integration tests, plain and sanitized
#   make fuzz       every libFuzzer harness for FUZZ_SECONDS each (clang)
#   make fuzz-smoke each harness for a few seconds (part of make check)
#   make torture    kill -9 of random daemons under TORTURE_MESSAGES (3000) messages
#   make bench      load benchmark against a fresh instance
#   make bench-compare  Pochta against the reference Postfix in one run (root; ../shared)
#   make install    PREFIX=/usr DESTDIR= INSTALL_SENDMAIL=no (README: Installing)
#   make clean

PREFIX  ?= /usr
DESTDIR ?=
SBINDIR  = $(PREFIX)/sbin
LIBEXEC  = $(PREFIX)/libexec/pochta
ETCDIR  ?= /etc/pochta
MANDIR  ?= $(PREFIX)/share/man
UNITDIR ?= $(PREFIX)/lib/systemd/system
QUEUEDIR ?= /var/spool/pochta
# The users make install creates when missing (only without DESTDIR), as
# main.cf's mail_owner and setgid_group name them.
MAIL_OWNER   ?= pochta
SETGID_GROUP ?= pochta-drop
# yes: /usr/sbin/sendmail, /usr/bin/mailq and /usr/bin/newaliases become Pochta's.
INSTALL_SENDMAIL ?= no

SAN ?= 0
ifeq ($(SAN),1)
BUILD    ?= build/san
SANFLAGS  = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
OPT       = -O1
else
BUILD    ?= build
SANFLAGS  =
OPT       = -O2
endif

CC      ?= cc
CFLAGS  += -std=c11 -Wall -Wextra -Werror $(OPT) -g -D_GNU_SOURCE -Ilib $(SANFLAGS)
LDFLAGS += $(SANFLAGS)
LDLIBS   = -lssl -lcrypto -ldb -lsasl2

# Program directories and the binary each one builds.
PROG_DIRS = $(foreach d,master smtpd qmgr local smtp anvil showq pickup pop3d sendmail postdrop admin,$(if $(wildcard $(d)/*.c),$(d)))
bin_name  = $(if $(filter admin,$(1)),pochta,$(1))
PROGRAMS  = $(foreach d,$(PROG_DIRS),$(BUILD)/bin/$(call bin_name,$(d)))

LIB_SRC = $(wildcard lib/*.c)
LIB_OBJ = $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
LIB_A   = $(BUILD)/libpochta.a

UNIT_SRC   = $(wildcard tests/unit/test_*.c)
UNIT_OBJ   = $(UNIT_SRC:%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/tests/unit/runner.o
UNIT_BIN   = $(BUILD)/tests/unit
SUITES_H   = $(BUILD)/tests/suites.h
BENCH_BIN  = $(BUILD)/bin/smtp-load
# Manual pages: man/*.[1-8] as written, and pochta-conf(5) made at build
# time from lib/conf_params.c by man/mkman_params.c, so that it always
# lists the defaults the programs use.
MAN_GEN       = $(BUILD)/tools/mkman_params
MAN_GENERATED = $(BUILD)/man/pochta-conf.5
# The first python3 with pytest: a python3 earlier in PATH may lack Debian's.
PYTHON    ?= $(firstword $(foreach p,python3 /usr/bin/python3,$(if $(shell $(p) -c 'import pytest' 2>/dev/null && echo y),$(p))) python3)

.PHONY: all deps run check unit unit-san integration integration-san bench bench-compare install clean
.PHONY: torture
.PHONY: fuzz fuzz-smoke fuzz-build fuzz-clang
all: $(PROGRAMS) $(BENCH_BIN) $(MAN_GENERATED)

deps:
	@sh scripts/deps.sh

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

$(LIB_A): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

define program_rule
$(BUILD)/bin/$(call bin_name,$(1)): $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard $(1)/*.c)) $(LIB_A)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(LDFLAGS) -o $$@ $$^ $$(LDLIBS)
endef
$(foreach d,$(PROG_DIRS),$(eval $(call program_rule,$(d))))

$(BENCH_BIN): $(BUILD)/obj/tests/bench/smtp-load.o $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(MAN_GEN): $(BUILD)/obj/man/mkman_params.o $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/man/%: man/%.in $(MAN_GEN)
	@mkdir -p $(dir $@)
	$(MAN_GEN) < $< > $@.tmp && mv $@.tmp $@

# The unit test runner: every tests/unit/test_NAME.c defines Suite *suite_NAME(void).
$(SUITES_H): $(UNIT_SRC) Makefile
	@mkdir -p $(dir $@)
	@for f in $(notdir $(basename $(UNIT_SRC))); do echo "SUITE($${f#test_})"; done > $@.tmp && mv $@.tmp $@

$(BUILD)/obj/tests/unit/runner.o: tests/unit/runner.c $(SUITES_H)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -I$(BUILD)/tests -c -o $@ $<

$(UNIT_BIN): $(UNIT_OBJ) $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $$(pkg-config --libs check)

unit: $(UNIT_BIN)
	$(UNIT_BIN)

unit-san:
	$(MAKE) SAN=1 unit

integration: all
	POCHTA_BIN=$(abspath $(BUILD)/bin) $(PYTHON) -m pytest -q -p no:cacheprovider tests/integration

# The same suite against daemons built with ASan+UBSan: their reports land
# in each instance's mail log, which the suite checks.
integration-san:
	$(MAKE) SAN=1 integration

# The kill -9 torture test with TORTURE_MESSAGES (make check runs 300).
TORTURE_MESSAGES ?= 3000
torture: all
	TORTURE_MESSAGES=$(TORTURE_MESSAGES) POCHTA_BIN=$(abspath $(BUILD)/bin) \
		$(PYTHON) -m pytest -q -p no:cacheprovider tests/integration/test_torture.py

check: deps
	$(MAKE) all
	$(MAKE) unit
	$(MAKE) unit-san
	$(MAKE) integration
	$(MAKE) integration-san
	$(MAKE) fuzz-smoke

# Fuzzing: lib/ built again with clang into FUZZ_BUILD, instrumented for
# libFuzzer with ASan+UBSan, and one binary per tests/fuzz/fuzz_NAME.c.
# Each run reads the seeds in tests/fuzz/corpus/NAME/ (regression inputs
# included) and keeps what it learns in FUZZ_BUILD, never in the tree;
# a crash leaves its input in FUZZ_BUILD/crashes/.
FUZZ_CC      ?= clang
FUZZ_BUILD   ?= build/fuzz
FUZZ_SECONDS ?= 60
FUZZ_SMOKE_SECONDS ?= 2
FUZZ_SAN      = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS   = -std=c11 -Wall -Wextra -Werror -O1 -g -D_GNU_SOURCE -Ilib -Itests/fuzz \
		$(FUZZ_SAN) -fsanitize=fuzzer-no-link
# -timeout: an input that takes this long is a hang; -rss_limit_mb bounds memory.
FUZZ_RUN_FLAGS = -timeout=10 -rss_limit_mb=1024 -print_final_stats=1
FUZZ_NAMES    = $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS     = $(FUZZ_NAMES:%=$(FUZZ_BUILD)/bin/fuzz_%)
FUZZ_LIB_A    = $(FUZZ_BUILD)/libpochta.a
FUZZ_HARNESS  = $(FUZZ_BUILD)/obj/tests/fuzz/harness.o
# main.cf's fatal errors ($name loops) return to its harness (see there).
FUZZ_LDFLAGS_conf_main = -Wl,--wrap=log_fatal
# pop3d's harnesses link every pop3d file but pop3d.c (its main() is in
# the way; tests/fuzz/harness_pop3d.c stands in for the rest of it); the
# command loop's harness logs in against a fake libsasl2 (see there).
FUZZ_POP3D_OBJ = $(patsubst %.c,$(FUZZ_BUILD)/obj/%.o,$(filter-out pop3d/pop3d.c,$(wildcard pop3d/*.c)) \
		tests/fuzz/harness_pop3d.c)
$(FUZZ_BUILD)/bin/fuzz_pop3_cmd $(FUZZ_BUILD)/bin/fuzz_pop3_handoff: $(FUZZ_POP3D_OBJ)
$(FUZZ_BUILD)/obj/tests/fuzz/fuzz_pop3_%.o $(FUZZ_BUILD)/obj/tests/fuzz/harness_pop3d.o: FUZZ_CFLAGS += -Ipop3d
FUZZ_LDFLAGS_pop3_cmd = -Wl,--wrap=sasl_server_open,--wrap=sasl_server_close \
		-Wl,--wrap=sasl_server_mechs,--wrap=sasl_server_begin,--wrap=sasl_server_next \
		-Wl,--wrap=sasl_server_checkpass,--wrap=sasl_server_username

fuzz-clang:
	@command -v $(FUZZ_CC) >/dev/null 2>&1 || { echo "fuzz: $(FUZZ_CC) not found;" \
		"install clang and libclang-rt-dev (make deps does as root)" >&2; exit 1; }

$(FUZZ_BUILD)/obj/%.o: %.c | fuzz-clang
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -MMD -MP -c -o $@ $<

$(FUZZ_LIB_A): $(LIB_SRC:%.c=$(FUZZ_BUILD)/obj/%.o)
	rm -f $@ && ar rcs $@ $^

# Objects first, the archive after them: a harness's extra objects come
# last in $^ but need the library too.
$(FUZZ_BUILD)/bin/fuzz_%: $(FUZZ_BUILD)/obj/tests/fuzz/fuzz_%.o $(FUZZ_HARNESS) $(FUZZ_LIB_A)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer $(FUZZ_LDFLAGS_$*) -o $@ $(filter %.o,$^) $(FUZZ_LIB_A) $(LDLIBS)

fuzz-build: $(FUZZ_BINS)
# Keep the harness objects make would otherwise delete as intermediate.
.SECONDARY: $(FUZZ_NAMES:%=$(FUZZ_BUILD)/obj/tests/fuzz/fuzz_%.o) $(FUZZ_HARNESS)

# $(1) seconds per harness, each growing its corpus in FUZZ_BUILD/$(2)/NAME;
# prints each one's executions and executions per second.
define fuzz_run
	@for n in $(FUZZ_NAMES); do \
		work=$(FUZZ_BUILD)/$(2)/$$n; mkdir -p $$work $(FUZZ_BUILD)/crashes; \
		echo "fuzz: $$n for $(1) s"; \
		$(FUZZ_BUILD)/bin/fuzz_$$n $(FUZZ_RUN_FLAGS) -max_total_time=$(1) \
			-artifact_prefix=$(FUZZ_BUILD)/crashes/$$n- $$work tests/fuzz/corpus/$$n \
			> $(FUZZ_BUILD)/$$n.log 2>&1 || { tail -n 40 $(FUZZ_BUILD)/$$n.log; exit 1; }; \
		grep -E '^stat::(number_of_executed_units|average_exec_per_sec)' $(FUZZ_BUILD)/$$n.log | tr '\n' ' '; echo; \
	done
endef

fuzz: fuzz-build
	$(call fuzz_run,$(FUZZ_SECONDS),corpus)

# A fresh work corpus each time, so the smoke run starts from the seeds.
fuzz-smoke: fuzz-build
	rm -rf $(FUZZ_BUILD)/smoke
	$(call fuzz_run,$(FUZZ_SMOKE_SECONDS),smoke)

run: deps
	$(MAKE) all
	@sh scripts/run.sh $(abspath $(BUILD)/bin)

bench: deps
	$(MAKE) all
	@sh tests/bench/run.sh $(abspath $(BUILD)/bin)

bench-compare: deps
	$(MAKE) all
	@sh tests/bench/compare.sh $(abspath $(BUILD)/bin)

# make install: the users first (not under DESTDIR: a staged install
# leaves the host's users alone), then programs, manual pages, the default
# configuration (never over an existing file), the systemd unit, and the
# queue, which "pochta check" lays out with the owners and modes master
# uses and then verifies.
install: all
	@if [ -z "$(DESTDIR)" ]; then \
		getent group $(SETGID_GROUP) >/dev/null || groupadd --system $(SETGID_GROUP); \
		getent passwd $(MAIL_OWNER) >/dev/null || useradd --system --no-create-home \
			--home-dir /nonexistent --shell /usr/sbin/nologin --user-group $(MAIL_OWNER); \
	fi
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(LIBEXEC) $(DESTDIR)$(ETCDIR)
	install -m 755 $(BUILD)/bin/pochta $(DESTDIR)$(SBINDIR)/pochta
	for p in master smtpd qmgr local smtp anvil showq pop3d; do install -m 755 $(BUILD)/bin/$$p $(DESTDIR)$(LIBEXEC)/$$p; done
	for p in pickup sendmail postdrop; do install -m 755 $(BUILD)/bin/$$p $(DESTDIR)$(LIBEXEC)/$$p; done
	# postdrop is setgid to the drop group, when root may give it that group
	if [ "$$(id -u)" = 0 ] && getent group $(SETGID_GROUP) >/dev/null; then \
		chgrp $(SETGID_GROUP) $(DESTDIR)$(LIBEXEC)/postdrop && chmod 2755 $(DESTDIR)$(LIBEXEC)/postdrop; fi
	[ -e $(DESTDIR)$(ETCDIR)/master.cf ] || install -m 644 conf/master.cf $(DESTDIR)$(ETCDIR)/master.cf
	[ -e $(DESTDIR)$(ETCDIR)/main.cf ] || { sed -e 's|^daemon_directory = .*|daemon_directory = $(LIBEXEC)|' \
		-e 's|^command_directory = .*|command_directory = $(SBINDIR)|' conf/main.cf > $(DESTDIR)$(ETCDIR)/main.cf && chmod 644 $(DESTDIR)$(ETCDIR)/main.cf; }
	for page in man/*.[1-8] $(MAN_GENERATED); do \
		sect=$${page##*.}; install -d $(DESTDIR)$(MANDIR)/man$$sect && \
		install -m 644 $$page $(DESTDIR)$(MANDIR)/man$$sect/ || exit 1; done
	install -d $(DESTDIR)$(UNITDIR)
	sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@ETCDIR@|$(ETCDIR)|g' -e 's|@QUEUEDIR@|$(QUEUEDIR)|g' \
		conf/pochta.service > $(DESTDIR)$(UNITDIR)/pochta.service
	install -d $(DESTDIR)$(dir $(QUEUEDIR))
	$(BUILD)/bin/pochta -c $(DESTDIR)$(ETCDIR) -o queue_directory=$(DESTDIR)$(QUEUEDIR) \
		-o daemon_directory=$(DESTDIR)$(LIBEXEC) check || [ -n "$(DESTDIR)" ]
	if [ "$(INSTALL_SENDMAIL)" = yes ]; then \
		install -d $(DESTDIR)/usr/sbin $(DESTDIR)/usr/bin && \
		ln -sf $(LIBEXEC)/sendmail $(DESTDIR)/usr/sbin/sendmail && \
		ln -sf $(LIBEXEC)/sendmail $(DESTDIR)/usr/bin/mailq && \
		ln -sf $(LIBEXEC)/sendmail $(DESTDIR)/usr/bin/newaliases; fi

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
-include $(shell find $(FUZZ_BUILD)/obj -name '*.d' 2>/dev/null)
