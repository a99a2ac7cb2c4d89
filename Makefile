# Pochta: the one Makefile. Builds lib/ into libpochta.a, one program per
# directory, the Check unit tests, and runs the integration tests.
#
#   make            build everything under build/
#   make SAN=1      the same with ASan+UBSan under build/san/
#   make run        dependencies, build, sandbox instance in ./run (foreground)
#   make check      dependencies, build, unit and integration tests, plain and sanitized
#   make bench      load benchmark against a fresh instance
#   make bench-compare  Pochta against the reference Postfix in one run (root; ../shared)
#   make install    PREFIX=/usr/local DESTDIR=
#   make clean

PREFIX  ?= /usr/local
DESTDIR ?=
SBINDIR  = $(PREFIX)/sbin
LIBEXEC  = $(PREFIX)/libexec/pochta
ETCDIR  ?= /etc/pochta

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
PROG_DIRS = $(foreach d,master smtpd qmgr local admin,$(if $(wildcard $(d)/*.c),$(d)))
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
# The first python3 with pytest: a python3 earlier in PATH may lack Debian's.
PYTHON    ?= $(firstword $(foreach p,python3 /usr/bin/python3,$(if $(shell $(p) -c 'import pytest' 2>/dev/null && echo y),$(p))) python3)

.PHONY: all deps run check unit unit-san integration integration-san bench bench-compare install clean
all: $(PROGRAMS) $(BENCH_BIN)

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

check: deps
	$(MAKE) all
	$(MAKE) unit
	$(MAKE) unit-san
	$(MAKE) integration
	$(MAKE) integration-san

run: deps
	$(MAKE) all
	@sh scripts/run.sh $(abspath $(BUILD)/bin)

bench: deps
	$(MAKE) all
	@sh tests/bench/run.sh $(abspath $(BUILD)/bin)

bench-compare: deps
	$(MAKE) all
	@sh tests/bench/compare.sh $(abspath $(BUILD)/bin)

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(LIBEXEC) $(DESTDIR)$(ETCDIR)
	install -m 755 $(BUILD)/bin/pochta $(DESTDIR)$(SBINDIR)/pochta
	for p in master smtpd qmgr local; do install -m 755 $(BUILD)/bin/$$p $(DESTDIR)$(LIBEXEC)/$$p; done
	[ -e $(DESTDIR)$(ETCDIR)/master.cf ] || install -m 644 conf/master.cf $(DESTDIR)$(ETCDIR)/master.cf
	[ -e $(DESTDIR)$(ETCDIR)/main.cf ] || { sed 's|^daemon_directory = .*|daemon_directory = $(LIBEXEC)|' \
		conf/main.cf > $(DESTDIR)$(ETCDIR)/main.cf && chmod 644 $(DESTDIR)$(ETCDIR)/main.cf; }

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
