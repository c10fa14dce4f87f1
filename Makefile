# mxwatch build. GNU make, C11. `make run` and `make test` are the two commands a new
# machine needs; both install what they need through `make deps` first.
#
#   make                  build build/mxwatch and the test helpers
#   make run              the agent on its embedded demo world (CONFIG=file for a real config)
#   make test             the whole suite; ends with "N passed, N failed"
#   make SANITIZE=address,undefined test   the same, instrumented
#   make soak             the agent for DURATION (15m; Ns, Nm, Nh) on the demo world plus
#                         hostile servers under load; fails if RSS, fds or loop lag grow
#   make bench            side-by-side figures against the peers (docs/PERFORMANCE.md)
#   make fuzz             libFuzzer on every parser of outside input, FUZZ_SECONDS (60) each
#   make format           apply .clang-format to every C file
#   make lint             cppcheck and clang-tidy, clean on the tree (also run by make test)
#   make install          the binary, MIB, example config, systemd unit, manual pages and
#                         SNMP snippets under PREFIX (/usr/local), staged in DESTDIR
#   make uninstall        removes what install put there (a changed config stays)

VERSION  := 0.1.0
REVISION := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)

CC       ?= cc
BUILD    ?= build
WERROR   ?= 1
SANITIZE ?=
V        ?= 0
ifeq ($(V),0)
Q        := @
endif

PKGS     := libcares libcurl libmicrohttpd yaml-0.1 json-c libxml-2.0 zlib
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
SNMP_LIBS  = $(shell net-snmp-config --agent-libs 2>/dev/null)

WARN     := -Wall -Wextra -Wshadow -Wformat=2 -Wconversion -Wstrict-prototypes \
            -Wmissing-prototypes -Wno-sign-conversion
ifeq ($(WERROR),1)
WARN     += -Werror
endif
# FUZZ=1: the build of the libFuzzer targets (`make fuzz` runs it as a make of its own, in
# build/fuzz): every layer's archive compiled by clang with coverage and the sanitizers,
# which make any undefined behaviour a crash.
FUZZ_CC  ?= clang
ifeq ($(FUZZ),1)
CC       := $(FUZZ_CC)
CFLAGS   := -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined \
            -fno-sanitize-recover=all
endif
CFLAGS   ?= -O2 -g
CFLAGS   += -std=c11 -D_GNU_SOURCE -pthread $(WARN) -MMD -MP $(PKG_CFLAGS) \
            -DMXW_VERSION='"$(VERSION)"' -DMXW_REVISION='"$(REVISION)"'
LDLIBS   += $(PKG_LIBS) $(SNMP_LIBS) -lcrypt -lssl -lcrypto -pthread -lm
ifneq ($(SANITIZE),)
# -fno-sanitize-recover: undefined behaviour stops the program, so a unit test fails on it
# as an integration test does (its logs are searched for "runtime error:").
CFLAGS   += -fsanitize=$(SANITIZE) -fno-sanitize-recover=all -fno-omit-frame-pointer
LDFLAGS  += -fsanitize=$(SANITIZE) -fno-sanitize-recover=all
BUILD    := build/san
endif

# The layers (docs/ARCHITECTURE.md), bottom first. Each is one folder and one static
# library; a layer sees only its own headers and those of the layers it names in BELOW_*,
# so an include that points up or sideways fails to compile, and a call that does fails to
# link. Unit tests live in tests/unit/LAYER/ and get the same view of the tree.
LAYERS        := lib core probes sources prom snmp web cli agent
DIR_lib       := agent/lib
DIR_core      := agent/core
DIR_probes    := probes
DIR_sources   := probes/sources
DIR_prom      := exporters/prom
DIR_snmp      := exporters/snmp
DIR_web       := exporters/web
DIR_cli       := agent/cli
DIR_agent     := agent
BELOW_lib     :=
BELOW_core    := lib
BELOW_probes  := core lib
BELOW_sources := core lib
BELOW_prom    := core lib
BELOW_snmp    := core lib
BELOW_web     := prom core lib
BELOW_cli     := web prom probes core lib
BELOW_agent   := cli snmp web prom sources probes core lib

# layer_inc/layer_libs LAYER: the include flags and the archives (link order) it may use.
layer_inc  = $(foreach l,$(1) $(BELOW_$(1)),-I$(DIR_$(l)))
layer_libs = $(foreach l,$(1) $(BELOW_$(1)),$(BUILD)/lib/libmxw_$(l).a)
layer_objs = $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard $(DIR_$(1))/*.c))

# The status page's files (exporters/web/ui/) as byte arrays, included by ui_assets.c.
UI_FILES := $(sort $(wildcard exporters/web/ui/*.js exporters/web/ui/*.css exporters/web/ui/*.svg))

define LAYER_RULES
OBJS_$(1) := $$(call layer_objs,$(1))
$$(OBJS_$(1)): LAYER_INC := $$(call layer_inc,$(1))
$(BUILD)/lib/libmxw_$(1).a: $$(OBJS_$(1))
	@mkdir -p $$(@D)
	@[ "$$(V)" != 0 ] || echo "  AR    $$@"
	$$(Q)rm -f $$@ && ar rcs $$@ $$^
UNIT_$(1) := $$(patsubst tests/unit/$(1)/%.c,$(BUILD)/tests/%,$$(wildcard tests/unit/$(1)/test_*.c))
$$(UNIT_$(1)): $(BUILD)/tests/%: tests/unit/$(1)/%.c $$(call layer_libs,$(1))
	@mkdir -p $$(@D)
	@[ "$$(V)" != 0 ] || echo "  TEST  $$@"
	$$(Q)$$(CC) $$(CFLAGS) $$(call layer_inc,$(1)) -Itests/unit $$(LDFLAGS) -o $$@ $$< \
		$$(call layer_libs,$(1)) $$(LDLIBS) -lcmocka
endef
$(foreach l,$(LAYERS),$(eval $(call LAYER_RULES,$(l))))

OBJS       := $(foreach l,$(LAYERS),$(OBJS_$(l)))
SRCS       := $(OBJS:$(BUILD)/obj/%.o=%.c)
UNIT_BINS  := $(foreach l,$(LAYERS),$(UNIT_$(l)))
AGENT_LIBS := $(filter-out %/libmxw_agent.a,$(call layer_libs,agent))
SMTPD_SRCS := $(wildcard tests/smtpd/*.c)
SMTPD_OBJS := $(SMTPD_SRCS:%.c=$(BUILD)/obj/%.o)

.PHONY: all deps deps-run run test soak bench fuzz fuzzers format clean layer-flags layer-table lint install uninstall
BENCH_BINS := $(patsubst tests/bench/%_bench.c,$(BUILD)/%-bench,$(wildcard tests/bench/*_bench.c))
all: $(BUILD)/mxwatch $(BUILD)/mxw-smtpd $(BENCH_BINS) \
     $(UNIT_BINS)

$(BUILD)/mxwatch: $(OBJS_agent) $(AGENT_LIBS)
	@[ "$(V)" != 0 ] || echo "  LD    $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/mxw-smtpd: $(SMTPD_OBJS)
	@[ "$(V)" != 0 ] || echo "  LD    $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ -lssl -lcrypto

# Benchmarks and their helpers (tests/bench/NAME_bench.c -> build/NAME-bench): figures only,
# never a test. pflog-bench also dumps parsed events for the Postfix harness test.
$(BUILD)/%-bench: tests/bench/%_bench.c $(AGENT_LIBS)
	@mkdir -p $(@D)
	@[ "$(V)" != 0 ] || echo "  LD    $@"
	$(Q)$(CC) $(CFLAGS) $(call layer_inc,agent) $(LDFLAGS) -o $@ $(filter %.c %.a,$^) $(LDLIBS)

$(BUILD)/gen/ui_assets.gen.h: $(UI_FILES)
	@mkdir -p $(@D)
	@[ "$(V)" != 0 ] || echo "  GEN   $@"
	$(Q)for f in $(UI_FILES); do n=$$(basename $$f | tr '.-' '__'); \
		xxd -i -n ui_$$n $$f | sed -e 's/^unsigned/static const unsigned/' -e '/_len = /d'; done >$@.tmp && mv $@.tmp $@
$(BUILD)/obj/exporters/web/ui_assets.o: $(BUILD)/gen/ui_assets.gen.h
$(BUILD)/obj/exporters/web/ui_assets.o: LAYER_INC += -I$(BUILD)/gen

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	@[ "$(V)" != 0 ] || echo "  CC    $<"
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(LAYER_INC) -c -o $@ $<

# Debian packages: what running needs, and what building and testing need on top.
# deps-run never installs an MTA (Postfix would replace the host's own).
deps-run:
	@tests/lib/deps.sh run
deps:
	@tests/lib/deps.sh all

run: deps-run
	@$(MAKE) --no-print-directory $(BUILD)/mxwatch $(BUILD)/mxw-smtpd
	@deploy/demo/run.sh $(BUILD) $(CONFIG)

test: deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) tests/run.sh

# The soak (tests/soak/soak.sh): output in tests/soak/out/, its verdict's rules in
# tests/soak/verdict.py, the curve of a 1 h run in docs/RELIABILITY.md.
DURATION ?= 15m
soak: deps
	@$(MAKE) --no-print-directory $(BUILD)/mxwatch $(BUILD)/mxw-smtpd
	@BUILD=$(BUILD) tests/soak/soak.sh $(DURATION)

bench:
	@tests/lib/deps.sh bench
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) tests/bench/run.sh

# libFuzzer targets (clang only): tests/fuzz/fuzz_NAME.c feeds the parsers of one layer and
# gets that layer's view of the tree, as a unit test does: its include flags, and its
# archives down, built by clang with the fuzz flags (FUZZ=1 above) in FUZZ_BUILD. `make
# test` replays every target's corpus (tests/fuzz/corpus/NAME) through the same entry point,
# without clang: tests/unit/LAYER/test_fuzz_LAYER.c. FUZZ_TARGETS picks some of them.
FUZZ_SECONDS ?= 60
FUZZ_BUILD   ?= build/fuzz
FUZZ_lib     := hostport
FUZZ_core    := config
FUZZ_probes  := dns_mx dns_records smtp_reply
FUZZ_sources := pflog pfqueue pfdefer lineasm logstate gwxml gwvalue transport sockdiag
FUZZ_snmp    := agentx
FUZZ_web     := webauth admin_request admin_headers ui_query
FUZZ_NAMES   := $(foreach l,$(LAYERS),$(FUZZ_$(l)))
FUZZ_TARGETS ?= $(FUZZ_NAMES)

define FUZZ_RULES
$(BUILD)/fuzz_$(2): tests/fuzz/fuzz_$(2).c $$(call layer_libs,$(1))
	@[ "$$(V)" != 0 ] || echo "  FUZZ  $$@"
	$$(Q)$$(CC) $$(CFLAGS) -fsanitize=fuzzer $$(call layer_inc,$(1)) -Itests/unit -o $$@ $$< \
		$$(call layer_libs,$(1)) $$(LDLIBS)
endef
ifeq ($(FUZZ),1)
$(foreach l,$(LAYERS),$(foreach n,$(FUZZ_$(l)),$(eval $(call FUZZ_RULES,$(l),$(n)))))
fuzzers: $(FUZZ_TARGETS:%=$(BUILD)/fuzz_%)
-include $(FUZZ_NAMES:%=$(BUILD)/fuzz_%.d)
endif

fuzz:
	@tests/lib/deps.sh fuzz
	@$(MAKE) --no-print-directory FUZZ=1 BUILD=$(FUZZ_BUILD) SANITIZE= fuzzers
	@tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# The include flags a layer's sources get (tests/integration/build_layers.sh checks them).
layer-flags:
	@echo $(call layer_inc,$(LAYER))

# Every layer's folder and include flags, one line each (the linters' compile database).
layer-table:
	@$(foreach l,$(LAYERS),echo "$(DIR_$(l)) $(call layer_inc,$(l))";)

# cppcheck and clang-tidy over every layer with the build's own flags (tests/lint/run.sh;
# the checks are .clang-tidy and tests/lint/cppcheck.txt). Part of `make test`.
LINT_CFLAGS = -std=c11 -D_GNU_SOURCE -pthread $(PKG_CFLAGS) -DMXW_VERSION=\"$(VERSION)\" \
              -DMXW_REVISION=\"$(REVISION)\" -I$(abspath $(BUILD)/gen)
LINT_DIR ?= $(BUILD)/lint
lint: deps $(BUILD)/gen/ui_assets.gen.h
	@tests/lint/run.sh $(LINT_DIR) $(LINT_CFLAGS)

# ---- install / uninstall (GNU conventions: PREFIX, DESTDIR for staging, as debian/rules does)
# The configuration lives in /etc whatever PREFIX is: the daemon's default and the unit read
# /etc/mxwatch/mxwatch.yml. The unit goes where systemd looks for PREFIX (/lib/systemd/system
# for /usr on Debian 12, PREFIX/lib/systemd/system otherwise), its ExecStart pointed at
# BINDIR. Manual pages are installed when deploy/man/ has them (*.1, *.5). The MIB under
# /usr/local is outside net-snmp's default search path: docs/DEPLOY.md says what to add.
PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
DATADIR    ?= $(PREFIX)/share
MIBDIR     ?= $(DATADIR)/snmp/mibs
MANDIR     ?= $(DATADIR)/man
DOCDIR     ?= $(DATADIR)/doc/mxwatch
SYSCONFDIR ?= /etc
UNITDIR    ?= $(if $(filter /usr,$(PREFIX)),/lib/systemd/system,$(PREFIX)/lib/systemd/system)
INSTALL    ?= install
MAN1       := $(wildcard deploy/man/*.1)
MAN5       := $(wildcard deploy/man/*.5)
SNMP_DOCS  := $(wildcard deploy/snmp/*)
CONF       := $(DESTDIR)$(SYSCONFDIR)/mxwatch/mxwatch.yml

install: $(BUILD)/mxwatch
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MIBDIR) $(DESTDIR)$(UNITDIR) \
		$(DESTDIR)$(DOCDIR)/snmp $(DESTDIR)$(DOCDIR)/examples $(DESTDIR)$(SYSCONFDIR)/mxwatch
	$(INSTALL) -m 0755 $(BUILD)/mxwatch $(DESTDIR)$(BINDIR)/mxwatch
	$(INSTALL) -m 0644 mibs/MXWATCH-MIB.txt $(DESTDIR)$(MIBDIR)/MXWATCH-MIB.txt
	sed 's|/usr/bin/mxwatch |$(BINDIR)/mxwatch |' deploy/systemd/mxwatch.service \
		>$(DESTDIR)$(UNITDIR)/mxwatch.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/mxwatch.service
	$(INSTALL) -m 0644 $(SNMP_DOCS) $(DESTDIR)$(DOCDIR)/snmp/
	$(INSTALL) -m 0644 deploy/mxwatch.example.yml $(DESTDIR)$(DOCDIR)/examples/
	@if [ -e $(CONF) ]; then echo "install: keeping $(CONF)"; \
	else echo "$(INSTALL) -m 0644 deploy/mxwatch.example.yml $(CONF)"; \
		$(INSTALL) -m 0644 deploy/mxwatch.example.yml $(CONF); fi
	$(if $(MAN1),$(INSTALL) -d $(DESTDIR)$(MANDIR)/man1 && $(INSTALL) -m 0644 $(MAN1) $(DESTDIR)$(MANDIR)/man1/)
	$(if $(MAN5),$(INSTALL) -d $(DESTDIR)$(MANDIR)/man5 && $(INSTALL) -m 0644 $(MAN5) $(DESTDIR)$(MANDIR)/man5/)

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/mxwatch $(DESTDIR)$(MIBDIR)/MXWATCH-MIB.txt \
		$(DESTDIR)$(UNITDIR)/mxwatch.service $(DESTDIR)$(DOCDIR)/examples/mxwatch.example.yml \
		$(addprefix $(DESTDIR)$(DOCDIR)/snmp/,$(notdir $(SNMP_DOCS))) \
		$(addprefix $(DESTDIR)$(MANDIR)/man1/,$(notdir $(MAN1))) \
		$(addprefix $(DESTDIR)$(MANDIR)/man5/,$(notdir $(MAN5)))
	@if cmp -s deploy/mxwatch.example.yml $(CONF); then echo "rm -f $(CONF)"; rm -f $(CONF); \
	elif [ -e $(CONF) ]; then echo "uninstall: keeping $(CONF) (changed from the example)"; fi
	-rmdir $(DESTDIR)$(DOCDIR)/snmp $(DESTDIR)$(DOCDIR)/examples $(DESTDIR)$(DOCDIR) \
		$(DESTDIR)$(SYSCONFDIR)/mxwatch 2>/dev/null

format:
	clang-format -i $(SRCS) $(foreach l,$(LAYERS),$(wildcard $(DIR_$(l))/*.h)) \
		$(wildcard tests/unit/*.h tests/unit/*/*.c tests/smtpd/*.[ch] tests/bench/*.c tests/fuzz/*.[ch])

clean:
	rm -rf build

-include $(OBJS:.o=.d) $(SMTPD_OBJS:.o=.d) $(UNIT_BINS:%=%.d) $(BENCH_BINS:%=%.d)
